//! The worker routes a consumer executes a run through, and the recording of its steps.
//!
//! A consumer starts (or resumes) a run with `start`, which answers the run, its steps so far
//! and its agent. Each model step is a worker chat call whose `metadata` names the run and the
//! step: the proxy asks `open_llm_step` first (a step already recorded is answered from its
//! record) and books the answer with `book_llm_step` (ledger row and step in one
//! transaction). Each tool call is `tool_step`, run here with the run's account. `finish`
//! ends the run. Every step is keyed by (run, n) and written once.

use serde_json::{Value, json};
use shared::api::agents::{FinishRunRequest, RunStep, RunWork, ToolCallRequest};
use shared::api::ai::ChatAnswer;
use uuid::Uuid;

use super::{runs, tools};
use crate::Api;
use crate::db::DbError;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, agents::NewStep, agents::RunEnd, ai::LedgerEntry};

/// The unique index that allows one answered call per run step.
const BOOKED_ONCE: &str = "ai_requests_run_step_ok_idx";

/// 409 for a run that takes no more steps.
fn ended(status: &str) -> ApiError {
    ApiError::conflict(format!("the run is {status}: it takes no more steps"))
}

/// `POST /api/v1/worker/ai/runs/:id/start`: marks the run running (a redelivered one stays
/// running) and answers what executing it needs. A run that ended answers as it is, and the
/// consumer stops.
pub async fn start(api: &Api, id: Uuid) -> ApiResult<RunWork> {
    // The update moves only a queued or running run, so an ended one is read as it is.
    store::agents::start_run(api.db(), id, api.now()).await?;
    let (account, mut run) = store::agents::get_run(api.db(), None, id)
        .await?
        .ok_or_else(|| ApiError::not_found("run"))?;
    run.steps = store::agents::steps(api.db(), id, 0).await?;
    let agent = store::agents::get_agent(api.db(), account, run.agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))?;
    let tool_definitions = tools::definitions(&agent.tools);
    Ok(RunWork {
        account_id: account,
        run,
        agent,
        tool_definitions,
    })
}

/// Before a run's model step is called: the recorded answer if the step was taken already;
/// `None` to go ahead. A run of another account is 404, a run that ended 409.
pub async fn open_llm_step(
    api: &Api,
    account: Uuid,
    (run, n): (Uuid, i32),
) -> ApiResult<Option<ChatAnswer>> {
    let open = store::agents::open_step(api.db(), account, run, n)
        .await?
        .ok_or_else(|| ApiError::not_found("run"))?;
    match (open.kind.as_deref(), open.answer) {
        (Some("llm"), Some(answer)) => return read_answer(answer).map(Some),
        (Some(_), _) => {
            return Err(ApiError::conflict(format!(
                "step {n} of the run is a tool call"
            )));
        }
        (None, _) => {}
    }
    if open.status != "running" {
        return Err(ended(&open.status));
    }
    Ok(None)
}

fn read_answer(answer: serde_json::Value) -> ApiResult<ChatAnswer> {
    serde_json::from_value(answer)
        .map_err(|e| ApiError::internal(format!("a recorded step does not read: {e}")))
}

/// The chat answer step `n` returned, if it was recorded; 409 if step `n` is a tool call.
async fn recorded_answer(
    c: &dyn crate::ports::Conn,
    run: Uuid,
    n: i32,
) -> ApiResult<Option<ChatAnswer>> {
    match store::agents::step_answer(c, run, n).await? {
        None => Ok(None),
        Some((kind, Some(answer))) if kind == "llm" => read_answer(answer).map(Some),
        Some(_) => Err(ApiError::conflict(format!(
            "step {n} of the run is a tool call"
        ))),
    }
}

/// Writes the ledger row of a model step's answered call and the step, in one statement. If
/// the step was recorded meanwhile (two consumers on one run), nothing is written and the
/// recorded answer is returned.
pub async fn book_llm_step(
    api: &Api,
    entry: &LedgerEntry,
    answer: &ChatAnswer,
) -> ApiResult<ChatAnswer> {
    let Some((run, n)) = entry.run_step else {
        return Err(ApiError::internal("a run step's call without its step"));
    };
    let step = NewStep {
        run_id: run,
        n,
        kind: "llm",
        tool: None,
        tool_call_id: None,
        arguments: None,
        result: Some(json!({
            "content": answer.content,
            "tool_calls": answer.tool_calls,
            "finish_reason": answer.finish_reason,
        })),
        answer: Some(json!(answer)),
        usage: answer.usage,
        cost_pusd: entry.cost_pusd,
        latency_ms: entry.latency_ms,
        created_at: entry.created_at,
    };
    let written = match store::agents::book_llm_step(api.db(), &step, entry).await {
        Ok(w) => w,
        // The other consumer's ledger row came first: its step is (or is about to be) there.
        Err(DbError::UniqueViolation(Some(c))) if c == BOOKED_ONCE => false,
        Err(e) => return Err(e.into()),
    };
    if written {
        return Ok(answer.clone());
    }
    recorded_answer(api.db(), run, n)
        .await?
        .ok_or_else(|| ApiError::conflict(format!("step {n} of the run was taken meanwhile")))
}

/// Step `n` as recorded.
async fn step(api: &Api, run: Uuid, n: i32) -> ApiResult<Option<RunStep>> {
    Ok(store::agents::steps(api.db(), run, n - 1)
        .await?
        .into_iter()
        .find(|s| s.n == n))
}

/// `POST /api/v1/worker/ai/runs/:id/tools`: runs one tool call with the run's account and
/// records it as step `n`; a step already recorded is answered as it was.
pub async fn tool_step(api: &Api, run_id: Uuid, req: ToolCallRequest) -> ApiResult<RunStep> {
    let n = req
        .n
        .filter(|n| (1..=1000).contains(n))
        .ok_or_else(|| ApiError::invalid_field("n", "must be from 1 to 1000"))?;
    let tool = req
        .tool
        .filter(|t| (1..=100).contains(&t.len()))
        .ok_or_else(|| ApiError::invalid_field("tool", "must name a tool"))?;
    if req.tool_call_id.as_ref().is_some_and(|t| t.len() > 200) {
        return Err(ApiError::invalid_field(
            "tool_call_id",
            "must be at most 200 bytes",
        ));
    }
    let tool_call_id = req.tool_call_id;
    let (account, run) = store::agents::get_run(api.db(), None, run_id)
        .await?
        .ok_or_else(|| ApiError::not_found("run"))?;
    if let Some(done) = step(api, run_id, n).await? {
        if done.kind != "tool" {
            return Err(ApiError::conflict(format!(
                "step {n} of the run is a model call"
            )));
        }
        return Ok(done);
    }
    if run.status != "running" {
        return Err(ended(&run.status));
    }
    let agent = store::agents::get_agent(api.db(), account, run.agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))?;
    // Models write arguments as the text of a JSON object; what does not parse is the
    // model's mistake, answered to it as a tool error.
    let arguments = match req.arguments {
        Some(Value::String(text)) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Some(v) => v,
        None => json!({}),
    };
    let started = api.now();
    let result = if agent.tools.contains(&tool) {
        tools::run(api, account, &agent, &tool, &arguments).await?
    } else {
        tools::error(
            "unknown_tool",
            format!("this agent has no tool named `{tool}`"),
        )
    };
    let latency_ms = i32::try_from((api.now() - started).num_milliseconds()).unwrap_or(i32::MAX);
    store::agents::insert_step(
        api.db(),
        &NewStep {
            run_id,
            n,
            kind: "tool",
            tool: Some(&tool),
            tool_call_id: tool_call_id.as_deref(),
            arguments: Some(arguments),
            result: Some(result),
            answer: None,
            usage: Default::default(),
            cost_pusd: 0,
            latency_ms,
            created_at: api.now(),
        },
    )
    .await?;
    step(api, run_id, n)
        .await?
        .ok_or_else(|| ApiError::internal("a recorded step is missing"))
}

/// `POST /api/v1/worker/ai/runs/:id/finish`: `completed` with the output, or `failed` with
/// the reason. A run that ended already (cancelled meanwhile) stays as it was.
pub async fn finish(
    api: &Api,
    run_id: Uuid,
    req: FinishRunRequest,
) -> ApiResult<shared::api::agents::Run> {
    let status = match req.status.as_deref() {
        Some(s @ ("completed" | "failed")) => s,
        _ => {
            return Err(ApiError::invalid_field(
                "status",
                "must be completed or failed",
            ));
        }
    };
    let error = req.error.map(|e| e.chars().take(2000).collect::<String>());
    if status == "failed" && error.is_none() {
        return Err(ApiError::invalid_field(
            "error",
            "is required when a run fails",
        ));
    }
    let (account, _) = store::agents::get_run(api.db(), None, run_id)
        .await?
        .ok_or_else(|| ApiError::not_found("run"))?;
    store::agents::end_run(
        api.db(),
        None,
        run_id,
        &RunEnd {
            status,
            output: req.output.as_deref().filter(|_| status == "completed"),
            error: error.as_deref(),
            at: api.now(),
        },
    )
    .await?;
    runs::find(api, account, run_id).await
}
