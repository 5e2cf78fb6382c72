//! `webhooks.process` (`{"event_id"}`), queued on `webhooks` with each received event: fetches
//! the event through the API, processes it and reports the outcome, which the event log shows.
//!
//! There is no business handler yet, so processing is the checks every handler would start
//! with: a `github` or `stripe` payload must be JSON (both providers only send JSON), else the
//! event is `failed` with why; anything else is `processed`. A payload problem is recorded on
//! the event and the job still completes: retrying would not change the payload.

use std::sync::Arc;

use serde_json::{Value, json};
use shared::api::jobs::ClaimedJob;
use shared::api::webhooks::ReportWebhookEventRequest;
use shared::maybe_async_trait;
use uuid::Uuid;

use crate::client::{BackendApiClient, ClientError};
use crate::job::{Job, JobError, Registry};

/// Registers `webhooks.process`.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>) {
    r.register(Arc::new(Process(client)));
}

/// What processing made of a payload: `Err` is the event's error.
pub fn outcome(provider: &str, payload: &str) -> Result<(), String> {
    match provider {
        "github" | "stripe" => serde_json::from_str::<Value>(payload)
            .map(drop)
            .map_err(|e| format!("the {provider} payload is not JSON: {e}")),
        _ => Ok(()),
    }
}

struct Process(Arc<BackendApiClient>);

fn gone(e: &ClientError, status: u16) -> bool {
    matches!(e, ClientError::Api { status: s, .. } if *s == status)
}

maybe_async_trait! {
impl Job for Process {
    fn job_type(&self) -> &'static str {
        "webhooks.process"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let id = job.args["event_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| JobError::Abort("args.event_id must be a UUID".into()))?;
        let event = match self.0.webhook_event(id).await {
            Ok(event) => event,
            // Deleted with its endpoint since it was queued: nothing is left to process.
            Err(e) if gone(&e, 404) => return Ok(json!({ "event_id": id, "skipped": "deleted" })),
            Err(e) => return Err(e.into()),
        };
        if event.event.state != "pending" {
            // A retry after the outcome was recorded, or an older job of a replayed event.
            return Ok(json!({ "event_id": id, "skipped": event.event.state }));
        }
        let report = match outcome(&event.provider, &event.payload) {
            Ok(()) => ReportWebhookEventRequest { state: Some("processed".into()), error: None },
            Err(why) => ReportWebhookEventRequest { state: Some("failed".into()), error: Some(why) },
        };
        match self.0.report_webhook_event(id, &report).await {
            Ok(done) => Ok(json!({ "event_id": id, "state": done.event.state })),
            // Another run recorded it first (409), or it was deleted meanwhile (404).
            Err(e) if gone(&e, 409) || gone(&e, 404) => {
                Ok(json!({ "event_id": id, "skipped": "reported elsewhere" }))
            }
            Err(e) => Err(e.into()),
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_and_stripe_payloads_must_be_json() {
        assert_eq!(outcome("github", r#"{"zen":"hi"}"#), Ok(()));
        assert_eq!(outcome("stripe", r#"{"id":"evt_1"}"#), Ok(()));
        assert!(outcome("github", "not json").is_err_and(|e| e.contains("not JSON")));
        assert!(outcome("stripe", "").is_err());
        assert_eq!(outcome("generic", "plain text is fine"), Ok(()));
    }
}
