//! `ai.agent_run` (`{"run_id"}`): one run of an agent, through the API's worker routes only.
//!
//! 1. `start` the run: the API marks it running and answers its agent, its tools' definitions
//!    and the steps already recorded (a redelivered job resumes after the last of them);
//! 2. take the next step: a model call through the worker chat route (its `metadata` names the
//!    run and the step, so the proxy books it with the step once, and answers a repeat from
//!    the record), or one tool call the model asked for (`/tools`, run by the API with the
//!    run's account);
//! 3. stop at the model's final answer (`finish` completed), at `max_steps` (`finish` failed,
//!    saying so), or when the API refuses a step because the run was cancelled (409).
//!
//! What the model reads is rebuilt from the recorded steps each time, so a consumer killed
//! between any two steps leaves nothing the next one does not see.

use std::sync::Arc;

use serde_json::{Value, json};
use shared::api::agents::{
    FinishRunRequest, RUN_ID_KEY, RUN_STEP_KEY, Run, RunStep, RunWork, ToolCallRequest,
};
use shared::api::ai::ChatRequest;
use shared::api::jobs::ClaimedJob;
use shared::maybe_async_trait;
use uuid::Uuid;

use crate::client::{BackendApiClient, CALL_TIMEOUT, ClientError};
use crate::job::{Job, JobError, Registry};

/// Registers `ai.agent_run`.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>) {
    r.register(Arc::new(AgentRun(client)));
}

struct AgentRun(Arc<BackendApiClient>);

/// What a run does next, read from its steps.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Ask the model.
    Model,
    /// Run a tool call the model asked for and has no answer yet: `(id, name, arguments)`.
    Tool(String, String, Value),
    /// The model answered without asking for tools: this is the output.
    Finish(String),
}

/// The next action after `steps`.
pub fn next_action(steps: &[RunStep]) -> Next {
    let Some(last_llm) = steps.iter().rposition(|s| s.kind == "llm") else {
        return Next::Model;
    };
    let result = steps[last_llm].result.clone().unwrap_or(Value::Null);
    let calls = result["tool_calls"].as_array().cloned().unwrap_or_default();
    if calls.is_empty() {
        return Next::Finish(result["content"].as_str().unwrap_or_default().to_string());
    }
    let answered: Vec<&str> = steps[last_llm + 1..]
        .iter()
        .filter_map(|s| s.tool_call_id.as_deref())
        .collect();
    for (i, call) in calls.iter().enumerate() {
        let id = call["id"]
            .as_str()
            .map_or_else(|| format!("call_{i}"), str::to_string);
        // A call without an id (no provider sends one) is named by its place, as its step is.
        if !answered.contains(&id.as_str()) {
            let name = call["function"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let args = call["function"]["arguments"].clone();
            return Next::Tool(id, name, args);
        }
    }
    Next::Model
}

/// The conversation the model reads: the system prompt, the input, then each step.
pub fn messages(system_prompt: &str, input: &str, steps: &[RunStep]) -> Vec<Value> {
    let mut out = Vec::with_capacity(steps.len() + 2);
    if !system_prompt.trim().is_empty() {
        out.push(json!({"role": "system", "content": system_prompt}));
    }
    out.push(json!({"role": "user", "content": input}));
    for s in steps {
        let result = s.result.clone().unwrap_or(Value::Null);
        if s.kind == "llm" {
            let mut m = json!({"role": "assistant", "content": result["content"]});
            if let Some(calls) = result["tool_calls"].as_array().filter(|c| !c.is_empty()) {
                m["tool_calls"] = json!(calls);
            }
            out.push(m);
        } else {
            out.push(json!({
                "role": "tool",
                "tool_call_id": s.tool_call_id,
                "content": result.to_string(),
            }));
        }
    }
    out
}

/// How a refused step ends the job.
enum Stop {
    /// The run ended elsewhere (cancelled, deleted): nothing to record.
    Quietly(String),
    /// It will not succeed later: the run fails with this reason.
    Fail(String),
    /// Try again with the backoff.
    Retry(ClientError),
}

fn stop_of(e: ClientError) -> Stop {
    match e {
        ClientError::Api {
            status: 409,
            message,
            ..
        } => Stop::Quietly(message),
        ClientError::Api { status: 404, .. } => Stop::Quietly("the run was deleted".into()),
        ClientError::Api {
            status: status @ (400 | 402 | 422),
            message,
            ..
        } => Stop::Fail(format!("the API refused a step ({status}): {message}")),
        other => Stop::Retry(other),
    }
}

fn path(run: Uuid, rest: &str) -> String {
    format!("/api/v1/worker/ai/runs/{run}{rest}")
}

impl AgentRun {
    async fn finish(&self, run: Uuid, body: &FinishRunRequest) -> Result<Run, ClientError> {
        self.0
            .request("POST", &path(run, "/finish"), Some(body), CALL_TIMEOUT)
            .await
    }

    async fn fail_run(&self, run: Uuid, why: &str) {
        let body = FinishRunRequest {
            status: Some("failed".into()),
            output: None,
            error: Some(why.to_string()),
        };
        if let Err(e) = self.finish(run, &body).await {
            tracing::warn!(run = %run, error = %e, "could not mark the run failed");
        }
    }

    /// The job's end after a refused or failed call.
    async fn after(&self, job: &ClaimedJob, run: Uuid, e: ClientError) -> Result<Value, JobError> {
        match stop_of(e) {
            Stop::Quietly(why) => Ok(json!({ "stopped": why })),
            Stop::Fail(why) => {
                self.fail_run(run, &why).await;
                Err(JobError::Abort(why))
            }
            Stop::Retry(e) => {
                if job.attempt >= job.max_attempts {
                    self.fail_run(run, &format!("gave up after {} attempts: {e}", job.attempt))
                        .await;
                }
                Err(JobError::Api(e))
            }
        }
    }

    async fn execute_run(&self, job: &ClaimedJob, run_id: Uuid) -> Result<Value, JobError> {
        let mut work: RunWork = match self
            .0
            .request::<(), _>("POST", &path(run_id, "/start"), None, CALL_TIMEOUT)
            .await
        {
            Ok(w) => w,
            Err(e) => return self.after(job, run_id, e).await,
        };
        if work.run.is_finished() {
            return Ok(json!({ "stopped": format!("the run is {}", work.run.status) }));
        }
        let mut steps = std::mem::take(&mut work.run.steps);
        let max_steps = work.agent.max_steps;
        loop {
            let next = next_action(&steps);
            if let Next::Finish(output) = next {
                let body = FinishRunRequest {
                    status: Some("completed".into()),
                    output: Some(output),
                    error: None,
                };
                return match self.finish(run_id, &body).await {
                    Ok(run) => Ok(json!({ "status": run.status, "steps": steps.len() })),
                    Err(e) => self.after(job, run_id, e).await,
                };
            }
            let n = i32::try_from(steps.len() + 1).unwrap_or(i32::MAX);
            if n > max_steps {
                let why = format!("stopped at max_steps ({max_steps}) without a final answer");
                self.fail_run(run_id, &why).await;
                return Ok(json!({ "status": "failed", "error": why }));
            }
            let step = match next {
                Next::Tool(id, tool, arguments) => {
                    let body = ToolCallRequest {
                        n: Some(n),
                        tool: Some(tool),
                        tool_call_id: Some(id),
                        arguments: Some(arguments),
                    };
                    self.0
                        .request("POST", &path(run_id, "/tools"), Some(&body), CALL_TIMEOUT)
                        .await
                }
                _ => self.model_step(job, &work, &steps, n).await,
            };
            match step {
                Ok(s) => steps.push(s),
                Err(e) => return self.after(job, run_id, e).await,
            }
        }
    }

    /// One model call, as the step the API recorded with it.
    async fn model_step(
        &self,
        job: &ClaimedJob,
        work: &RunWork,
        steps: &[RunStep],
        n: i32,
    ) -> Result<RunStep, ClientError> {
        let agent = &work.agent;
        let req = ChatRequest {
            model: Some(agent.model.clone()),
            messages: Some(messages(&agent.system_prompt, &work.run.input, steps)),
            tools: (!work.tool_definitions.is_empty()).then(|| work.tool_definitions.clone()),
            max_tokens: agent.max_tokens.and_then(|m| u32::try_from(m).ok()),
            routing: agent.routing.clone(),
            metadata: Some(json!({ RUN_ID_KEY: work.run.id, RUN_STEP_KEY: n })),
            ..ChatRequest::default()
        };
        let answer = self.0.ai_chat(req, work.account_id, Some(job.id)).await?;
        // Kept only to rebuild the conversation: the API recorded the step with its own
        // latency and time (and the edge has no clock to read here: `Instant` panics there).
        Ok(RunStep {
            n,
            kind: "llm".into(),
            tool: None,
            tool_call_id: None,
            arguments: None,
            result: Some(json!({
                "content": answer.content,
                "tool_calls": answer.tool_calls,
                "finish_reason": answer.finish_reason,
            })),
            usage: Some(answer.usage),
            cost_usd: Some(answer.cost_usd),
            latency_ms: answer
                .attempts
                .iter()
                .map(|a| i32::try_from(a.latency_ms).unwrap_or(i32::MAX))
                .fold(0, i32::saturating_add),
            created_at: work.run.started_at.unwrap_or(work.run.created_at),
        })
    }
}

maybe_async_trait! {
impl Job for AgentRun {
    fn job_type(&self) -> &'static str {
        "ai.agent_run"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let run = job.args["run_id"]
            .as_str()
            .and_then(|r| Uuid::parse_str(r).ok())
            .ok_or_else(|| JobError::Abort("args.run_id must be a run's id".into()))?;
        self.execute_run(job, run).await
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: i32, kind: &str, call: Option<&str>, result: Value) -> RunStep {
        RunStep {
            n,
            kind: kind.into(),
            tool: (kind == "tool").then(|| "list_files".into()),
            tool_call_id: call.map(str::to_string),
            arguments: None,
            result: Some(result),
            usage: None,
            cost_usd: None,
            latency_ms: 1,
            created_at: chrono::Utc::now(),
        }
    }

    fn asks(ids: &[&str]) -> Value {
        json!({"content": "", "tool_calls": ids.iter().map(|id| json!({
            "id": id, "type": "function",
            "function": {"name": "list_files", "arguments": "{\"q\":\"a\"}"}
        })).collect::<Vec<_>>()})
    }

    #[test]
    fn a_new_run_asks_the_model() {
        assert_eq!(next_action(&[]), Next::Model);
    }

    #[test]
    fn an_answer_without_tool_calls_is_the_output() {
        let steps = [step(
            1,
            "llm",
            None,
            json!({"content": "42", "tool_calls": null}),
        )];
        assert_eq!(next_action(&steps), Next::Finish("42".into()));
    }

    #[test]
    fn each_tool_call_is_answered_once_in_order_then_the_model_is_asked() {
        let mut steps = vec![step(1, "llm", None, asks(&["a", "b"]))];
        let Next::Tool(id, name, _) = next_action(&steps) else {
            panic!("expected a tool call");
        };
        assert_eq!((id.as_str(), name.as_str()), ("a", "list_files"));
        steps.push(step(2, "tool", Some("a"), json!({"files": []})));
        assert!(matches!(next_action(&steps), Next::Tool(id, _, _) if id == "b"));
        steps.push(step(3, "tool", Some("b"), json!({"files": []})));
        assert_eq!(next_action(&steps), Next::Model);
    }

    #[test]
    fn the_conversation_is_rebuilt_from_the_steps() {
        let steps = [
            step(1, "llm", None, asks(&["a"])),
            step(2, "tool", Some("a"), json!({"files": []})),
        ];
        let m = messages("Be brief.", "What files?", &steps);
        let roles: Vec<&str> = m.iter().filter_map(|m| m["role"].as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool"]);
        assert_eq!(m[2]["tool_calls"][0]["id"], "a");
        assert_eq!(m[3]["tool_call_id"], "a");
        assert_eq!(m[3]["content"], "{\"files\":[]}");
        assert_eq!(messages("", "hi", &[]).len(), 1);
    }
}
