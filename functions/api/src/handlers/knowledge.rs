//! `/api/v1/knowledge/...` and the ingestion jobs' `/api/v1/worker/knowledge/...` routes.

use serde_json::json;
use shared::api::knowledge::SearchRequest;
use shared::pagination::PageRequest;

use crate::context::{Ctx, Principal};
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::ai::Caller;
use crate::service::knowledge::{bases, documents, ingestion, search};

pub async fn create_base(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::created(&bases::create(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn list_bases(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&bases::list(ctx).await?)?.into())
}

pub async fn get_base(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge base")?;
    Ok(Reply::ok(&bases::get(ctx, id).await?)?.into())
}

pub async fn delete_base(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge base")?;
    Ok(Reply::ok(&bases::delete(ctx, id).await?)?.into())
}

pub async fn add_document(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let base = ctx.param_id("id", "knowledge base")?;
    let doc = documents::add(ctx, base, ctx.req.json()?).await?;
    Ok(Reply::with_status(http::StatusCode::ACCEPTED, &doc)?.into())
}

pub async fn list_documents(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let base = ctx.param_id("id", "knowledge base")?;
    let q = |n: &str| ctx.req.query_param(n);
    let page =
        PageRequest::parse(q("page").as_deref(), q("per_page").as_deref()).map_err(|field| {
            ApiError::bad_request(format!("`{field}` must be a whole number in range"))
        })?;
    let (rows, pagination) = documents::list(ctx, base, page).await?;
    Ok(Reply::ok(&rows)?
        .meta(json!({ "pagination": pagination }))
        .into())
}

pub async fn get_document(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let base = ctx.param_id("id", "knowledge base")?;
    let id = ctx.param_id("doc_id", "knowledge document")?;
    Ok(Reply::ok(&documents::get(ctx, base, id).await?)?.into())
}

pub async fn delete_document(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let base = ctx.param_id("id", "knowledge base")?;
    let id = ctx.param_id("doc_id", "knowledge document")?;
    Ok(Reply::ok(&documents::delete(ctx, base, id).await?)?.into())
}

/// A user searching their account's base, or a consumer naming the account.
pub async fn search(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let base = ctx.param_id("id", "knowledge base")?;
    let req: SearchRequest = ctx.req.json()?;
    let caller = match &ctx.principal {
        Principal::User(u) => Caller {
            account_id: u.account_id,
            user_id: Some(u.id),
            job_id: None,
            api_key_id: None,
            run_step: None,
        },
        Principal::Service(_) => Caller {
            account_id: req.account_id.ok_or_else(|| {
                ApiError::invalid_field("account_id", "is required on worker routes")
            })?,
            user_id: None,
            job_id: None,
            api_key_id: None,
            run_step: None,
        },
        _ => return Err(ApiError::unauthorized()),
    };
    Ok(Reply::ok(&search::search(ctx.api, caller, base, &req).await?)?.into())
}

pub async fn worker_source(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge document")?;
    Ok(Reply::ok(&ingestion::source(ctx.api, id).await?)?.into())
}

pub async fn worker_put_chunks(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge document")?;
    Ok(Reply::ok(&ingestion::put_chunks(ctx.api, id, ctx.req.json()?).await?)?.into())
}

pub async fn worker_put_embeddings(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge document")?;
    Ok(Reply::ok(&ingestion::put_embeddings(ctx.api, id, ctx.req.json()?).await?)?.into())
}

pub async fn worker_ready(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge document")?;
    Ok(Reply::ok(&ingestion::ready(ctx.api, id, ctx.req.json()?).await?)?.into())
}

pub async fn worker_failed(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge document")?;
    Ok(Reply::ok(&ingestion::failed(ctx.api, id, ctx.req.json()?).await?)?.into())
}

pub async fn worker_put_text(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "knowledge document")?;
    Ok(Reply::ok(&ingestion::put_text(ctx.api, id, ctx.req.json()?).await?)?.into())
}
