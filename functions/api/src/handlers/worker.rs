//! `/api/v1/worker/queue/...`: the consumers' side of the queue (service token only).

use shared::api::maintenance::MaintenanceTask;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::{jobs, maintenance};

pub async fn claim(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::claim(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn claim_by_id(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "job")?;
    Ok(Reply::ok(&jobs::claim_by_id(ctx, id, ctx.req.json()?).await?)?.into())
}

pub async fn heartbeat(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::heartbeat(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn complete(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::complete(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn fail(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::fail(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn snooze(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::snooze(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn enqueue(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::enqueue_batch(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn rescue(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::rescue(ctx).await?)?.into())
}

pub async fn relay(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::relay(ctx).await?)?.into())
}

pub async fn prune(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::prune(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn maintenance(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let task = ctx
        .param("task")
        .and_then(MaintenanceTask::parse)
        .ok_or_else(|| ApiError::not_found("maintenance task"))?;
    Ok(Reply::ok(&maintenance::run(ctx.api, task).await?)?.into())
}

pub async fn idempotency_check(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::idempotency_check(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn idempotency_mark(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&jobs::idempotency_mark(ctx, ctx.req.json()?).await?)?.into())
}
