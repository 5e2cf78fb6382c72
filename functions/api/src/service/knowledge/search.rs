//! Search in a base: `vector` (cosine, HNSW with iterative scans), `text` (Postgres full
//! text), `hybrid` (both fused by reciprocal rank in one statement). The query is embedded
//! through the proxy with the base's model, so its ledger books the tokens.

use shared::api::ai::EmbeddingsRequest;
use shared::api::knowledge::{KnowledgeBase, SearchHit, SearchRequest};
use uuid::Uuid;

use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::service::ai::{Caller, proxy};
use crate::service::validate::Checks;
use crate::store;

/// HNSW's candidate list while searching. 200 met recall@10 >= 0.95 at p95 <= 20 ms in every
/// query set of BENCHMARKS.md "Knowledge search" (100 missed it for a mid-sized base asked
/// about other topics: 0.909).
pub const EF_SEARCH: u32 = 200;
/// Candidates each ranking gives the fusion, at least.
const HYBRID_CANDIDATES: i64 = 40;
const DEFAULT_TOP_K: i64 = 5;

/// How to rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Cosine similarity of the embeddings.
    Vector,
    /// Full-text rank.
    Text,
    /// Both, fused by reciprocal rank.
    Hybrid,
}

/// A checked search.
#[derive(Debug, Clone)]
pub struct Query {
    /// The words.
    pub text: String,
    /// Results wanted, 1 to 50.
    pub top_k: i64,
    /// How to rank.
    pub mode: Mode,
}

/// Checks a search body.
pub fn check(req: &SearchRequest) -> ApiResult<Query> {
    let mut checks = Checks::new();
    let text = match req.query.as_deref().map(str::trim) {
        Some(q) if !q.is_empty() && q.len() <= 4000 && !q.contains('\0') => q.to_string(),
        _ => {
            checks.fail("query", "must be 1 to 4000 bytes of text");
            String::new()
        }
    };
    let top_k = req.top_k.unwrap_or(DEFAULT_TOP_K);
    if !(1..=50).contains(&top_k) {
        checks.fail("top_k", "must be from 1 to 50");
    }
    let mode = match req.mode.as_deref() {
        None | Some("hybrid") => Mode::Hybrid,
        Some("vector") => Mode::Vector,
        Some("text") => Mode::Text,
        Some(_) => {
            checks.fail("mode", "must be hybrid, vector or text");
            Mode::Hybrid
        }
    };
    checks.finish()?;
    Ok(Query { text, top_k, mode })
}

/// Embeds `text` with the base's model for `caller`.
async fn embed(api: &Api, caller: Caller, base: &KnowledgeBase, text: &str) -> ApiResult<Vec<f32>> {
    let answer = proxy::embeddings(
        api,
        caller,
        EmbeddingsRequest {
            model: Some(base.embedding_model.clone()),
            input: Some(vec![text.to_string()]),
            routing: None,
            account_id: Some(caller.account_id),
        },
    )
    .await?;
    answer
        .embeddings
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("the embeddings answer had no vector"))
}

/// Runs a checked search in one of `caller`'s bases.
pub async fn run(
    api: &Api,
    caller: Caller,
    base: &KnowledgeBase,
    q: &Query,
) -> ApiResult<Vec<SearchHit>> {
    let account = caller.account_id;
    if q.mode == Mode::Text {
        return Ok(
            store::knowledge::search_text(api.db(), account, base.id, &q.text, q.top_k).await?,
        );
    }
    // Nothing embedded yet: no vector to compare, and text search only sees embedded chunks.
    let Some(dims) = base.dimensions else {
        return Ok(Vec::new());
    };
    let vector = embed(api, caller, base, &q.text).await?;
    let dims = u16::try_from(dims).map_err(|_| ApiError::internal("dimension range"))?;
    if vector.len() != usize::from(dims) {
        return Err(ApiError::invalid_field(
            "query",
            format!(
                "the model `{}` now answers {} dimensions; the base holds {dims}",
                base.embedding_model,
                vector.len()
            ),
        ));
    }
    let tx = api.db().begin().await?;
    store::knowledge::search_settings(&*tx, EF_SEARCH).await?;
    let hits = match q.mode {
        Mode::Vector => {
            let hits = store::knowledge::search_vector(
                &*tx,
                account,
                base.id,
                dims,
                vector.clone(),
                q.top_k,
                false,
            )
            .await?;
            if hits.len() < usize::try_from(q.top_k).unwrap_or(usize::MAX) {
                // The index scan gave up before the filter kept top_k rows (a small base in a
                // big index): the exact scan of this base alone returns every row there is.
                store::knowledge::search_vector(&*tx, account, base.id, dims, vector, q.top_k, true)
                    .await?
            } else {
                hits
            }
        }
        _ => {
            store::knowledge::search_hybrid(
                &*tx,
                account,
                base.id,
                dims,
                vector,
                &q.text,
                HYBRID_CANDIDATES.max(q.top_k * 4),
                q.top_k,
            )
            .await?
        }
    };
    tx.rollback().await?;
    Ok(hits)
}

/// `POST /api/v1/knowledge/bases/:id/search` (and its worker twin).
pub async fn search(
    api: &Api,
    caller: Caller,
    base: Uuid,
    req: &SearchRequest,
) -> ApiResult<Vec<SearchHit>> {
    let q = check(req)?;
    let base = super::bases::find(api, caller.account_id, base).await?;
    run(api, caller, &base, &q).await
}
