//! `/api/v1/ai/agents` and `/api/v1/ai/runs`: agents with their fleet stats, their runs, and a
//! run's live events.

use shared::api::agents::{Agent, AgentRequest, Run, RunStep, StartRunRequest};
use uuid::Uuid;

use super::http::{self, ApiError, Page};
use crate::format::with_query;

/// Rows per page of the runs list.
pub const RUNS_PER_PAGE: u32 = 20;

/// The account's agents, each with its runs of the last 24 hours.
pub async fn agents() -> Result<Vec<Agent>, ApiError> {
    http::get("/api/v1/ai/agents").await
}

/// Creates an agent.
pub async fn create(body: &AgentRequest) -> Result<Agent, ApiError> {
    http::send("POST", "/api/v1/ai/agents", body).await
}

/// Changes the fields `body` names.
pub async fn update(id: Uuid, body: &AgentRequest) -> Result<Agent, ApiError> {
    http::send("PATCH", &format!("/api/v1/ai/agents/{id}"), body).await
}

/// Deletes an agent.
pub async fn delete(id: Uuid) -> Result<Agent, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/ai/agents/{id}")).await
}

/// Queues a run of `agent` answering `input`.
pub async fn start_run(agent: Uuid, input: &str) -> Result<Run, ApiError> {
    let body = StartRunRequest {
        input: Some(input.to_string()),
    };
    http::send("POST", &format!("/api/v1/ai/agents/{agent}/runs"), &body).await
}

/// What the runs list shows: `None` and `""` mean any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunQuery {
    pub agent_id: Option<Uuid>,
    pub status: String,
    pub page: u32,
}

/// The list path of runs matching `query`.
pub fn runs_path(query: &RunQuery) -> String {
    with_query(
        "/api/v1/ai/runs",
        &[
            (
                "agent_id",
                query.agent_id.map(|a| a.to_string()).unwrap_or_default(),
            ),
            ("status", query.status.clone()),
            ("page", query.page.max(1).to_string()),
            ("per_page", RUNS_PER_PAGE.to_string()),
        ],
    )
}

/// A page of runs, newest first (without their steps).
pub async fn runs(query: &RunQuery) -> Result<Page<Run>, ApiError> {
    http::get_page(&runs_path(query)).await
}

/// One run with its steps.
pub async fn run(id: Uuid) -> Result<Run, ApiError> {
    http::get(&format!("/api/v1/ai/runs/{id}")).await
}

/// Cancels a queued or running run.
pub async fn cancel(id: Uuid) -> Result<Run, ApiError> {
    http::send_empty("POST", &format!("/api/v1/ai/runs/{id}/cancel")).await
}

/// One event of a run's stream.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// The run (with its steps on the first event, maybe without on status changes).
    Run(Run),
    /// A step that landed.
    Step(RunStep),
}

/// The event a named server-sent event carries; `None` for names this page does not know or
/// data it cannot read (a newer server may send more).
pub fn run_event(name: &str, data: &str) -> Option<RunEvent> {
    match name {
        "run" => serde_json::from_str(data).ok().map(RunEvent::Run),
        "step" => serde_json::from_str(data).ok().map(RunEvent::Step),
        _ => None,
    }
}

/// Follows a run's events after step `after` until the server ends the stream (the run
/// finished, or the stream's time ran out: follow again from the last step). An answer that
/// is not a stream is an error: the caller polls instead.
pub async fn watch(
    id: Uuid,
    after: i32,
    mut on_event: impl FnMut(RunEvent),
) -> Result<(), ApiError> {
    let path = with_query(
        &format!("/api/v1/ai/runs/{id}/events"),
        &[("after", after.to_string())],
    );
    http::get_events(&path, |name, data| {
        if let Some(event) = run_event(name, data) {
            on_event(event);
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_path_names_only_the_filters_set() {
        assert_eq!(
            runs_path(&RunQuery::default()),
            "/api/v1/ai/runs?page=1&per_page=20"
        );
        let agent = Uuid::nil();
        let query = RunQuery {
            agent_id: Some(agent),
            status: "running".into(),
            page: 3,
        };
        assert_eq!(
            runs_path(&query),
            format!("/api/v1/ai/runs?agent_id={agent}&status=running&page=3&per_page=20")
        );
    }

    #[test]
    fn events_are_read_by_name_and_unknown_ones_skipped() {
        let step = r#"{"n":1,"kind":"llm","result":{"content":"hi"},"latency_ms":12,"created_at":"2026-01-01T00:00:00Z"}"#;
        match run_event("step", step) {
            Some(RunEvent::Step(s)) => assert_eq!((s.n, s.kind.as_str()), (1, "llm")),
            other => panic!("{other:?}"),
        }
        assert_eq!(run_event("ping", "{}"), None);
        assert_eq!(run_event("step", "not json"), None);
    }
}
