//! `/api/v1/ai/agents`, `/api/v1/ai/runs` and the runs' worker routes
//! (`/api/v1/worker/ai/runs/...`).

use serde_json::json;
use shared::pagination::PageRequest;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::handlers::ai::sse;
use crate::http::{Outcome, Reply};
use crate::service::ai::agents::{agent, events, runs, steps};

pub async fn create_agent(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::created(&agent::create(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn list_agents(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&agent::list(ctx).await?)?.into())
}

pub async fn get_agent(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "agent")?;
    Ok(Reply::ok(&agent::get(ctx, id).await?)?.into())
}

pub async fn update_agent(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "agent")?;
    Ok(Reply::ok(&agent::update(ctx, id, ctx.req.json()?).await?)?.into())
}

pub async fn delete_agent(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "agent")?;
    Ok(Reply::ok(&agent::delete(ctx, id).await?)?.into())
}

pub async fn start_run(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "agent")?;
    let run = runs::start(ctx, id, ctx.req.json()?).await?;
    Ok(Reply::with_status(http::StatusCode::ACCEPTED, &run)?.into())
}

pub async fn list_runs(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let q = |n: &str| ctx.req.query_param(n);
    let page =
        PageRequest::parse(q("page").as_deref(), q("per_page").as_deref()).map_err(|field| {
            ApiError::bad_request(format!("`{field}` must be a whole number in range"))
        })?;
    let (rows, pagination) =
        runs::list(ctx, q("agent_id").as_deref(), q("status").as_deref(), page).await?;
    Ok(Reply::ok(&rows)?
        .meta(json!({ "pagination": pagination }))
        .into())
}

pub async fn get_run(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "run")?;
    Ok(Reply::ok(&runs::get(ctx, id).await?)?.into())
}

pub async fn cancel_run(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "run")?;
    Ok(Reply::ok(&runs::cancel(ctx, id).await?)?.into())
}

pub async fn run_events(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "run")?;
    let after = match ctx.req.query_param("after") {
        None => 0,
        Some(a) => a
            .parse::<i32>()
            .ok()
            .filter(|a| (0..=1000).contains(a))
            .ok_or_else(|| ApiError::bad_request("`after` must be a step number from 0 to 1000"))?,
    };
    let account = ctx.user()?.account_id;
    Ok(sse(events::stream(ctx.api, account, id, after).await?))
}

pub async fn worker_start_run(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "run")?;
    Ok(Reply::ok(&steps::start(ctx.api, id).await?)?.into())
}

pub async fn worker_tool_step(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "run")?;
    Ok(Reply::ok(&steps::tool_step(ctx.api, id, ctx.req.json()?).await?)?.into())
}

pub async fn worker_finish_run(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "run")?;
    Ok(Reply::ok(&steps::finish(ctx.api, id, ctx.req.json()?).await?)?.into())
}
