//! `system.spawn` (`{"key": K, "ms": N}`): a diagnostic job with a side effect, guarded by the
//! idempotency helpers. Its effect is enqueueing one `system.noop` child
//! (`{"spawned_by": K}`) in its own queue; then it sleeps `ms` (at most a minute), which is the
//! window in which a test kills its consumer. A re-delivered run finds the key marked and skips
//! the effect, so each key has exactly one child however often its parent runs.
//!
//! The guard is `already_processed` → effect → `mark_processed`, and the effect itself carries
//! the same key as its enqueue idempotency key. The helpers alone are at-least-once: a crash
//! between the effect and the mark repeats the effect on re-delivery (a test saw it against the
//! slower Workers runtime). The keyed enqueue closes that window: a repeated effect finds the
//! first child and creates nothing. The helpers still save the call in the common case.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared::api::jobs::{ClaimedJob, EnqueueRequest};
use shared::maybe_async_trait;

use crate::client::BackendApiClient;
use crate::job::{Job, JobError, Registry};

/// Registers `system.spawn`.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>) {
    r.register(Arc::new(Spawn(client)));
}

struct Spawn(Arc<BackendApiClient>);

const MAX_SLEEP_MS: u64 = 60_000;

maybe_async_trait! {
impl Job for Spawn {
    fn job_type(&self) -> &'static str {
        "system.spawn"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let key = job.args["key"]
            .as_str()
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or_else(|| JobError::Abort("args.key must be 1 to 200 characters".into()))?;
        let ms = job.args["ms"].as_u64().unwrap_or(0).min(MAX_SLEEP_MS);
        let guard = format!("system.spawn:{key}");
        let spawned = if self.0.already_processed(&guard).await? {
            false
        } else {
            let enqueued = self
                .0
                .enqueue(vec![EnqueueRequest {
                    job_type: Some("system.noop".into()),
                    args: Some(json!({ "spawned_by": key })),
                    queue: Some(job.queue.clone()),
                    idempotency_key: Some(guard.clone()),
                    ..EnqueueRequest::default()
                }])
                .await?;
            self.0.mark_processed(&guard).await?;
            enqueued.first().is_some_and(|e| e.created)
        };
        crate::platform::sleep(Duration::from_millis(ms)).await;
        Ok(json!({ "spawned": spawned }))
    }
}
}
