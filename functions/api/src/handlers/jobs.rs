//! `/api/v1/admin/queues` and `/api/v1/admin/jobs`.

use http::StatusCode;
use shared::pagination::PageRequest;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::jobs;

pub async fn queues(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::summaries(ctx).await?)?.into())
}

pub async fn history(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let name = ctx
        .param("name")
        .ok_or_else(|| ApiError::not_found("queue"))?;
    let minutes = ctx.req.query_param("minutes");
    Ok(Reply::ok(&jobs::history(ctx, name, minutes.as_deref()).await?)?.into())
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let q = |name: &str| ctx.req.query_param(name);
    let page =
        PageRequest::parse(q("page").as_deref(), q("per_page").as_deref()).map_err(|field| {
            ApiError::bad_request(format!("`{field}` must be a whole number in range"))
        })?;
    let (list, pagination) = jobs::list(ctx, q("queue"), q("state"), page).await?;
    Ok(Reply::ok(&list)?
        .meta(serde_json::json!({ "pagination": pagination }))
        .into())
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::get(ctx, ctx.param_id("id", "job")?).await?)?.into())
}

pub async fn runs(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let job_type = ctx.param("job_type").unwrap_or_default();
    Ok(Reply::ok(&jobs::runs(ctx, job_type).await?)?.into())
}

pub async fn retry(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::retry(ctx, ctx.param_id("id", "job")?).await?)?.into())
}

pub async fn discard(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::discard(ctx, ctx.param_id("id", "job")?).await?)?.into())
}

pub async fn pause(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let name = ctx
        .param("name")
        .ok_or_else(|| ApiError::not_found("queue"))?;
    Ok(Reply::ok(&jobs::set_paused(ctx, name, true).await?)?.into())
}

pub async fn resume(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let name = ctx
        .param("name")
        .ok_or_else(|| ApiError::not_found("queue"))?;
    Ok(Reply::ok(&jobs::set_paused(ctx, name, false).await?)?.into())
}

pub async fn enqueue(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let (job, created) = jobs::enqueue(ctx, ctx.req.json()?).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(Reply::with_status(status, &job)?.into())
}
