//! Runs as users see them: start one (a queued run and its `ai.agent_run` job, in one
//! transaction), list and read them, cancel one.

use shared::api::agents::{RUN_STATUSES, Run, StartRunRequest};
use shared::pagination::{PageRequest, Pagination};
use uuid::Uuid;

use super::{RUN_JOB, RUN_QUEUE, agent};
use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::queue;
use crate::service::jobs::enqueue_platform_job;
use crate::store::{self, agents::NewRun, agents::RunEnd};

/// The longest input a run takes, in characters.
const MAX_INPUT_CHARS: usize = 100_000;

/// One of the account's runs with its steps, or 404.
pub async fn find(api: &Api, account: Uuid, id: Uuid) -> ApiResult<Run> {
    let (_, mut run) = store::agents::get_run(api.db(), Some(account), id)
        .await?
        .ok_or_else(|| ApiError::not_found("run"))?;
    run.steps = store::agents::steps(api.db(), id, 0).await?;
    Ok(run)
}

/// `POST /api/v1/ai/agents/:id/runs`: 202 with the queued run.
pub async fn start(ctx: &Ctx<'_>, agent_id: Uuid, req: StartRunRequest) -> ApiResult<Run> {
    let user = ctx.user()?;
    let account = user.account_id;
    let api = ctx.api;
    let input = match req.input {
        Some(i) if i.trim().is_empty() => {
            return Err(ApiError::invalid_field("input", "must not be empty"));
        }
        Some(i) if i.chars().count() > MAX_INPUT_CHARS => {
            return Err(ApiError::invalid_field(
                "input",
                "must be at most 100,000 characters",
            ));
        }
        Some(i) if i.contains('\0') => {
            return Err(ApiError::invalid_field(
                "input",
                "must not contain NUL characters",
            ));
        }
        Some(i) => i,
        None => return Err(ApiError::invalid_field("input", "is required")),
    };
    agent::find(api, account, agent_id).await?;
    let id = api.new_id();
    let tx = api.db().begin().await?;
    store::agents::insert_run(
        &*tx,
        &NewRun {
            id,
            account_id: account,
            agent_id,
            input: &input,
            created_by: Some(user.id),
            created_at: api.now(),
        },
    )
    .await?;
    let announce = enqueue_platform_job(
        api,
        &*tx,
        account,
        RUN_QUEUE,
        RUN_JOB,
        serde_json::json!({ "run_id": id }),
    )
    .await?;
    if let Some((job, _, _)) = announce.first() {
        store::agents::set_run_job(&*tx, id, *job).await?;
    }
    tx.commit().await?;
    queue::push::announce(api, announce).await;
    find(api, account, id).await
}

/// `GET /api/v1/ai/runs?agent_id=&status=&page=`: newest first, without their steps.
pub async fn list(
    ctx: &Ctx<'_>,
    agent_id: Option<&str>,
    status: Option<&str>,
    page: PageRequest,
) -> ApiResult<(Vec<Run>, Pagination)> {
    let account = ctx.user()?.account_id;
    let agent_id = match agent_id.filter(|a| !a.is_empty()) {
        Some(a) => Some(
            Uuid::parse_str(a)
                .map_err(|_| ApiError::bad_request("`agent_id` must be an agent's id"))?,
        ),
        None => None,
    };
    let status = status.filter(|s| !s.is_empty());
    if let Some(s) = status
        && !RUN_STATUSES.contains(&s)
    {
        return Err(ApiError::bad_request(format!(
            "`status` must be one of {}",
            RUN_STATUSES.join(", ")
        )));
    }
    let (runs, total) = store::agents::list_runs(
        ctx.api.db(),
        account,
        agent_id,
        status,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    Ok((runs, page.meta(u64::try_from(total).unwrap_or(0))))
}

/// `GET /api/v1/ai/runs/:id`.
pub async fn get(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Run> {
    find(ctx.api, ctx.user()?.account_id, id).await
}

/// `POST /api/v1/ai/runs/:id/cancel`: a queued run never starts; a running one stops before
/// its next step (a step in flight is still recorded). Cancelling an ended run is a conflict.
pub async fn cancel(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Run> {
    let user = ctx.user()?;
    let api = ctx.api;
    let run = find(api, user.account_id, id).await?;
    let reason = format!("cancelled by {}", user.email);
    let ended = store::agents::end_run(
        api.db(),
        Some(user.account_id),
        id,
        &RunEnd {
            status: "cancelled",
            output: None,
            error: Some(&reason),
            at: api.now(),
        },
    )
    .await?;
    if !ended {
        return Err(ApiError::conflict(format!(
            "the run has already ended ({})",
            run.status
        )));
    }
    find(api, user.account_id, id).await
}
