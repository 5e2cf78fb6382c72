//! `/api/v1/webhooks/...` (endpoints and the event log), the public receiver
//! `/webhooks/:endpoint_id`, and the worker routes of the `webhooks.process` job.

use http::StatusCode;
use shared::pagination::PageRequest;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::webhooks::{self, receive};

fn page(ctx: &Ctx<'_>) -> ApiResult<PageRequest> {
    let q = |name: &str| ctx.req.query_param(name);
    PageRequest::parse(q("page").as_deref(), q("per_page").as_deref()).map_err(|field| {
        ApiError::bad_request(format!("`{field}` must be a whole number in range"))
    })
}

pub async fn create_endpoint(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::created(&webhooks::create(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn list_endpoints(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let (list, pagination) = webhooks::list(ctx, page(ctx)?).await?;
    Ok(Reply::ok(&list)?
        .meta(serde_json::json!({ "pagination": pagination }))
        .into())
}

pub async fn delete_endpoint(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "webhook endpoint")?;
    Ok(Reply::ok(&webhooks::delete(ctx, id).await?)?.into())
}

pub async fn list_events(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let endpoint = ctx.req.query_param("endpoint_id");
    let state = ctx.req.query_param("state");
    let (list, pagination) =
        webhooks::events(ctx, endpoint.as_deref(), state.as_deref(), page(ctx)?).await?;
    Ok(Reply::ok(&list)?
        .meta(serde_json::json!({ "pagination": pagination }))
        .into())
}

pub async fn get_event(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "webhook event")?;
    Ok(Reply::ok(&webhooks::event(ctx, id).await?)?.into())
}

pub async fn replay_event(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "webhook event")?;
    Ok(Reply::ok(&webhooks::replay(ctx, id).await?)?.into())
}

pub async fn receive(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("endpoint_id", "webhook endpoint")?;
    let receipt = receive::receive(ctx, id).await?;
    Ok(Reply::with_status(StatusCode::ACCEPTED, &receipt)?.into())
}

pub async fn worker_get_event(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "webhook event")?;
    Ok(Reply::ok(&webhooks::worker_event(ctx, id).await?)?.into())
}

pub async fn worker_report_event(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "webhook event")?;
    Ok(Reply::ok(&webhooks::report(ctx, id, ctx.req.json()?).await?)?.into())
}
