//! The worker routes of ingestion (service token): the `knowledge.ingest` job reads a
//! document, stores its chunks, stores their vectors and marks it ready or failed; the media
//! runner's `knowledge.extract` job hands over a file's text. Each step is idempotent, so a
//! job redelivered after a crash redoes nothing twice.

use std::collections::{HashMap, VecDeque};

use serde_json::json;
use shared::api::knowledge::{
    ChunkPlan, DocumentFailedRequest, DocumentReadyRequest, DocumentTextRequest, IngestionSource,
    KnowledgeDocument, PendingChunk, PutChunksRequest, PutEmbeddingsRequest,
};
use uuid::Uuid;

use super::documents::enqueue_ingestion;
use super::{sha256_hex, text_problem};
use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::queue;
use crate::service::validate::Checks;
use crate::store::{self, knowledge::IngestionRow, knowledge::NewChunkRow};

/// Most chunks one document may have.
const MAX_CHUNKS: usize = 20_000;
/// Most vectors one call may store.
const MAX_VECTORS_PER_CALL: usize = 512;
/// Longest error kept on a document.
const MAX_ERROR_CHARS: usize = 2000;

async fn row(api: &Api, id: Uuid) -> ApiResult<IngestionRow> {
    store::knowledge::for_ingestion(api.db(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge document"))
}

async fn view(api: &Api, r: &IngestionRow) -> ApiResult<KnowledgeDocument> {
    store::knowledge::get_document(api.db(), r.account_id, r.base_id, r.id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge document"))
}

/// `GET /api/v1/worker/knowledge/documents/:id`.
pub async fn source(api: &Api, id: Uuid) -> ApiResult<IngestionSource> {
    let r = row(api, id).await?;
    Ok(IngestionSource {
        document_id: r.id,
        account_id: r.account_id,
        knowledge_base_id: r.base_id,
        status: r.status,
        text: r.body,
        content_sha256: r.content_sha256,
        embedding_model: r.embedding_model,
        chunk_tokens: r.chunk_tokens,
        chunk_overlap: r.chunk_overlap,
    })
}

/// Locks the document in `tx` and checks the job works on its current text.
async fn lock_current(tx: &dyn crate::ports::Conn, id: Uuid, sha: &str) -> ApiResult<()> {
    match store::knowledge::lock_document(tx, id).await? {
        None => Err(ApiError::not_found("knowledge document")),
        Some(current) if current.as_deref() == Some(sha) => Ok(()),
        Some(_) => Err(ApiError::conflict(
            "the document's text changed since this job read it; a newer job ingests it",
        )),
    }
}

/// `PUT .../documents/:id/chunks`: the document's chunks become exactly these. A stored chunk
/// whose text is unchanged is kept with its vector (moved to its new position); the others
/// are deleted, the new ones stored without a vector and returned for embedding.
pub async fn put_chunks(api: &Api, id: Uuid, req: PutChunksRequest) -> ApiResult<ChunkPlan> {
    let mut checks = Checks::new();
    let sha = checks
        .required("content_sha256", &req.content_sha256)
        .map(str::to_string);
    let chunks = req.chunks.unwrap_or_default();
    if chunks.is_empty() || chunks.len() > MAX_CHUNKS {
        checks.fail("chunks", format!("must hold 1 to {MAX_CHUNKS} chunks"));
    }
    for (i, c) in chunks.iter().enumerate() {
        if c.text.trim().is_empty() || c.text.contains('\0') || c.token_count < 1 {
            checks.fail(
                &format!("chunks[{i}]"),
                "must have text (no NUL) and a positive token_count",
            );
            break;
        }
    }
    checks.finish()?;
    let sha = sha.ok_or_else(|| ApiError::internal("checked hash vanished"))?;
    let r = row(api, id).await?;
    let tx = api.db().begin().await?;
    lock_current(&*tx, id, &sha).await?;
    let stored = store::knowledge::chunks_of(&*tx, id).await?;
    let mut by_hash: HashMap<String, VecDeque<Uuid>> = HashMap::new();
    for c in stored {
        by_hash.entry(c.content_sha256).or_default().push_back(c.id);
    }
    let mut moves = Vec::new();
    let mut fresh = Vec::new();
    for (position, chunk) in chunks.iter().enumerate() {
        let position = i32::try_from(position).map_err(|_| ApiError::internal("chunk count"))?;
        let hash = sha256_hex(&chunk.text);
        match by_hash.get_mut(&hash).and_then(VecDeque::pop_front) {
            Some(kept) => moves.push((kept, position)),
            None => fresh.push(NewChunkRow {
                id: api.new_id(),
                position,
                body: &chunk.text,
                token_count: chunk.token_count,
                content_sha256: hash,
            }),
        }
    }
    let gone: Vec<Uuid> = by_hash.into_values().flatten().collect();
    if !gone.is_empty() {
        store::knowledge::delete_chunks(&*tx, id, gone).await?;
    }
    if !moves.is_empty() {
        store::knowledge::move_chunks(&*tx, id, &moves).await?;
    }
    if !fresh.is_empty() {
        store::knowledge::insert_chunks(&*tx, r.account_id, r.base_id, id, &fresh).await?;
    }
    let count = i32::try_from(chunks.len()).map_err(|_| ApiError::internal("chunk count"))?;
    store::knowledge::set_status(&*tx, id, "embedding", None, Some(count), api.now()).await?;
    let pending = store::knowledge::pending_chunks(&*tx, id).await?;
    tx.commit().await?;
    Ok(ChunkPlan {
        chunk_count: count,
        kept: count - i32::try_from(pending.len()).unwrap_or(count),
        pending: pending
            .into_iter()
            .map(|(id, text)| PendingChunk { id, text })
            .collect(),
    })
}

/// `PUT .../documents/:id/embeddings`: stores chunks' vectors. The first vector of a base
/// fixes its dimension (and makes the dimension's HNSW index); later ones must match it.
pub async fn put_embeddings(
    api: &Api,
    id: Uuid,
    req: PutEmbeddingsRequest,
) -> ApiResult<KnowledgeDocument> {
    let vectors = req.embeddings.unwrap_or_default();
    let dims = vectors.first().map_or(0, |v| v.embedding.len());
    if vectors.is_empty() || vectors.len() > MAX_VECTORS_PER_CALL {
        return Err(ApiError::invalid_field(
            "embeddings",
            format!("must hold 1 to {MAX_VECTORS_PER_CALL} vectors"),
        ));
    }
    if !(1..=2000).contains(&dims)
        || vectors
            .iter()
            .any(|v| v.embedding.len() != dims || v.embedding.iter().any(|x| !x.is_finite()))
    {
        return Err(ApiError::invalid_field(
            "embeddings",
            "vectors must all have the same 1 to 2000 finite dimensions",
        ));
    }
    let dims = u16::try_from(dims).map_err(|_| ApiError::internal("dimension range"))?;
    let r = row(api, id).await?;
    if r.dimensions.is_none() {
        // Its own transaction: CREATE INDEX locks the table against writes until commit.
        let tx = api.db().begin().await?;
        store::knowledge::learn_dimensions(&*tx, r.base_id, i32::from(dims)).await?;
        store::knowledge::ensure_hnsw_index(&*tx, dims).await?;
        tx.commit().await?;
    }
    let tx = api.db().begin().await?;
    let fixed = store::knowledge::learn_dimensions(&*tx, r.base_id, i32::from(dims)).await?;
    if fixed != i32::from(dims) {
        let _ = tx.rollback().await;
        return Err(ApiError::invalid_field(
            "embeddings",
            format!(
                "the base's vectors have {fixed} dimensions and these have {dims}: its model \
                 changed; make a new base for the new model"
            ),
        ));
    }
    let rows: Vec<_> = vectors
        .iter()
        .map(|v| json!({"id": v.chunk_id, "embedding": v.embedding}))
        .collect();
    store::knowledge::embed_chunks(&*tx, id, i32::from(dims), json!(rows)).await?;
    tx.commit().await?;
    view(api, &r).await
}

/// `POST .../documents/:id/ready`: every chunk of the text with this hash has its vector.
pub async fn ready(api: &Api, id: Uuid, req: DocumentReadyRequest) -> ApiResult<KnowledgeDocument> {
    let sha = req
        .content_sha256
        .ok_or_else(|| ApiError::invalid_field("content_sha256", "is required"))?;
    let r = row(api, id).await?;
    let tx = api.db().begin().await?;
    lock_current(&*tx, id, &sha).await?;
    let (chunks, embedded) = store::knowledge::chunk_counts(&*tx, id).await?;
    if chunks == 0 || embedded < chunks {
        let _ = tx.rollback().await;
        return Err(ApiError::conflict(format!(
            "{} of the document's {chunks} chunks have no vector yet",
            chunks - embedded
        )));
    }
    let count = i32::try_from(chunks).map_err(|_| ApiError::internal("chunk count"))?;
    store::knowledge::set_status(&*tx, id, "ready", None, Some(count), api.now()).await?;
    tx.commit().await?;
    view(api, &r).await
}

/// `POST .../documents/:id/failed`: the job gave up; `error` says why.
pub async fn failed(
    api: &Api,
    id: Uuid,
    req: DocumentFailedRequest,
) -> ApiResult<KnowledgeDocument> {
    let error: String = req
        .error
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| ApiError::invalid_field("error", "must say why"))?
        .chars()
        .filter(|c| *c != '\0')
        .take(MAX_ERROR_CHARS)
        .collect();
    let r = row(api, id).await?;
    store::knowledge::set_status(api.db(), id, "failed", Some(&error), None, api.now()).await?;
    view(api, &r).await
}

/// `PUT .../documents/:id/text`: a file document's text, read by the media runner. Text equal
/// to what the document already holds, fully embedded, makes it ready again and changes
/// nothing else; other text replaces it and queues the ingestion.
pub async fn put_text(
    api: &Api,
    id: Uuid,
    req: DocumentTextRequest,
) -> ApiResult<KnowledgeDocument> {
    // Extracted text: NUL (which Postgres refuses) carries nothing worth keeping.
    let text: String = req
        .text
        .ok_or_else(|| ApiError::invalid_field("text", "is required"))?
        .replace('\0', "");
    if let Some(why) = text_problem(&text) {
        return Err(ApiError::invalid_field("text", why));
    }
    let r = row(api, id).await?;
    let sha = sha256_hex(&text);
    let tx = api.db().begin().await?;
    let Some(current) = store::knowledge::lock_document(&*tx, id).await? else {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("knowledge document"));
    };
    let now = api.now();
    let mut announce = Vec::new();
    let (chunks, embedded) = store::knowledge::chunk_counts(&*tx, id).await?;
    if current.as_deref() == Some(sha.as_str()) && chunks > 0 && embedded == chunks {
        store::knowledge::set_status(&*tx, id, "ready", None, None, now).await?;
    } else {
        store::knowledge::replace_body(&*tx, id, Some(&text), Some(&sha), None, now).await?;
        announce = enqueue_ingestion(api, &*tx, r.account_id, id).await?;
    }
    tx.commit().await?;
    queue::push::announce(api, announce).await;
    view(api, &r).await
}
