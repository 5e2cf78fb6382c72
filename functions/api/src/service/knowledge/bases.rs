//! Knowledge bases: create (the embedding model must be one the account's providers offer),
//! list with their counts, get, delete (documents and chunks go with it).

use serde_json::json;
use shared::api::knowledge::{CreateKnowledgeBaseRequest, KnowledgeBase};
use uuid::Uuid;

use crate::Api;
use crate::context::Ctx;
use crate::db::DbError;
use crate::error::{ApiError, ApiResult};
use crate::service::ai::providers;
use crate::service::audit;
use crate::service::validate::Checks;
use crate::store::{self, knowledge::NewBase};

/// The constraint that keeps base names unique in an account.
const NAME_UNIQUE: &str = "knowledge_bases_account_name_key";
const DEFAULT_CHUNK_TOKENS: i32 = 400;
const DEFAULT_CHUNK_OVERLAP: i32 = 50;

/// One of the account's bases, or 404.
pub async fn find(api: &Api, account: Uuid, id: Uuid) -> ApiResult<KnowledgeBase> {
    store::knowledge::get_base(api.db(), account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge base"))
}

/// `POST /api/v1/knowledge/bases`.
pub async fn create(ctx: &Ctx<'_>, req: CreateKnowledgeBaseRequest) -> ApiResult<KnowledgeBase> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut checks = Checks::new();
    let name = match req.name.as_deref().map(str::trim) {
        Some(n) if (1..=100).contains(&n.chars().count()) && !n.chars().any(char::is_control) => {
            Some(n)
        }
        _ => {
            checks.fail(
                "name",
                "must be 1 to 100 characters, without control characters",
            );
            None
        }
    };
    let model = match req.embedding_model.as_deref().map(str::trim) {
        Some(m) if (1..=200).contains(&m.len()) && !m.chars().any(char::is_control) => Some(m),
        _ => {
            checks.fail("embedding_model", "must name an embedding model");
            None
        }
    };
    let chunk_tokens = req.chunk_tokens.unwrap_or(DEFAULT_CHUNK_TOKENS);
    if !(32..=4000).contains(&chunk_tokens) {
        checks.fail("chunk_tokens", "must be from 32 to 4000");
    }
    let chunk_overlap = req
        .chunk_overlap
        .unwrap_or(DEFAULT_CHUNK_OVERLAP.min(chunk_tokens / 2));
    if chunk_overlap < 0 || chunk_overlap >= chunk_tokens {
        checks.fail("chunk_overlap", "must be from 0 to less than chunk_tokens");
    }
    if let Some(m) = model {
        let offered = providers::load_upstreams(api, account)
            .await?
            .iter()
            .any(|u| u.enabled && u.model(m, "embedding").is_some());
        if !offered {
            checks.fail(
                "embedding_model",
                format!("no enabled provider of this account offers the embedding model `{m}`"),
            );
        }
    }
    checks.finish()?;
    let (Some(name), Some(model)) = (name, model) else {
        return Err(ApiError::internal("validation passed without a name"));
    };
    let id = api.new_id();
    let tx = api.db().begin().await?;
    store::knowledge::insert_base(
        &*tx,
        &NewBase {
            id,
            account_id: account,
            name,
            embedding_model: model,
            chunk_tokens,
            chunk_overlap,
            created_at: api.now(),
        },
    )
    .await
    .map_err(name_taken)?;
    audit::by_user(
        ctx,
        &*tx,
        "knowledge_base.created",
        "knowledge_base",
        id,
        json!({"name": name, "embedding_model": model}),
    )
    .await?;
    tx.commit().await?;
    find(api, account, id).await
}

fn name_taken(e: DbError) -> ApiError {
    match &e {
        DbError::UniqueViolation(Some(c)) if c == NAME_UNIQUE => {
            ApiError::conflict("a knowledge base of this account already has that name")
        }
        _ => e.into(),
    }
}

/// `GET /api/v1/knowledge/bases`.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Vec<KnowledgeBase>> {
    let account = ctx.user()?.account_id;
    Ok(store::knowledge::list_bases(ctx.api.db(), account).await?)
}

/// `GET /api/v1/knowledge/bases/:id`.
pub async fn get(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<KnowledgeBase> {
    find(ctx.api, ctx.user()?.account_id, id).await
}

/// `DELETE /api/v1/knowledge/bases/:id`: the base as it was.
pub async fn delete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<KnowledgeBase> {
    let account = ctx.user()?.account_id;
    let base = find(ctx.api, account, id).await?;
    let tx = ctx.api.db().begin().await?;
    if !store::knowledge::delete_base(&*tx, account, id).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("knowledge base"));
    }
    audit::by_user(
        ctx,
        &*tx,
        "knowledge_base.deleted",
        "knowledge_base",
        id,
        json!({"name": base.name, "documents": base.document_count}),
    )
    .await?;
    tx.commit().await?;
    Ok(base)
}
