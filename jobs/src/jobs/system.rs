//! Diagnostic job types: `system.noop` (does nothing; the benchmark's job), `system.sleep`
//! (`{"ms": N}`, at most 10 minutes), `system.fail` (always fails with `{"message": ...}`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared::api::jobs::ClaimedJob;
use shared::maybe_async_trait;

use crate::job::{Job, JobError, Registry};

/// Registers the three.
pub fn register(r: &mut Registry) {
    r.register(Arc::new(Noop));
    r.register(Arc::new(Sleep));
    r.register(Arc::new(Fail));
}

struct Noop;

maybe_async_trait! {
impl Job for Noop {
    fn job_type(&self) -> &'static str {
        "system.noop"
    }
    async fn execute(&self, _job: &ClaimedJob) -> Result<Value, JobError> {
        Ok(Value::Null)
    }
}
}

struct Sleep;

const MAX_SLEEP_MS: u64 = 600_000;

maybe_async_trait! {
impl Job for Sleep {
    fn job_type(&self) -> &'static str {
        "system.sleep"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let ms = job.args["ms"].as_u64().ok_or_else(|| {
            JobError::Abort("args.ms must be a whole number of milliseconds".into())
        })?;
        if ms > MAX_SLEEP_MS {
            return Err(JobError::Abort(format!(
                "args.ms must be at most {MAX_SLEEP_MS}"
            )));
        }
        crate::platform::sleep(Duration::from_millis(ms)).await;
        Ok(json!({ "slept_ms": ms }))
    }
}
}

struct Fail;

maybe_async_trait! {
impl Job for Fail {
    fn job_type(&self) -> &'static str {
        "system.fail"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let message = job.args["message"]
            .as_str()
            .unwrap_or("system.fail always fails");
        Err(JobError::Retry(message.to_string()))
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(args: Value) -> ClaimedJob {
        ClaimedJob {
            id: uuid::Uuid::nil(),
            queue: "default".into(),
            job_type: String::new(),
            args,
            attempt: 1,
            max_attempts: 4,
            lease_expires_at: chrono::Utc::now(),
            account_id: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn diagnostics_behave_as_documented() {
        let r = Registry::with_builtin();
        assert_eq!(r.names(), ["system.fail", "system.noop", "system.sleep"]);
        // Every type the API accepts has a consumer in the platform registry, but the media
        // runner's; natively that includes email, which the edge's registry leaves out.
        let client =
            crate::client::BackendApiClient::new("http://127.0.0.1:9", b"s", "t").expect("client");
        let mut registered: Vec<&str> = shared::job::JOB_TYPES
            .iter()
            .copied()
            .filter(|t| !shared::job::MEDIA_JOB_TYPES.contains(t))
            .collect();
        registered.sort_unstable();
        assert_eq!(
            Registry::with_platform(std::sync::Arc::new(client)).names(),
            registered
        );
        let client =
            crate::client::BackendApiClient::new("http://127.0.0.1:9", b"s", "t").expect("client");
        let edge = Registry::platform_common(std::sync::Arc::new(client)).names();
        let native_only: Vec<&str> = registered
            .iter()
            .copied()
            .filter(|t| !edge.contains(t))
            .collect();
        assert_eq!(native_only, shared::job::NATIVE_JOB_TYPES);
        let noop = r.get("system.noop").expect("noop");
        assert_eq!(noop.execute(&job(json!({}))).await, Ok(Value::Null));
        let sleep = r.get("system.sleep").expect("sleep");
        assert_eq!(
            sleep.execute(&job(json!({ "ms": 20 }))).await,
            Ok(json!({ "slept_ms": 20 }))
        );
        assert!(matches!(
            sleep.execute(&job(json!({ "ms": "x" }))).await,
            Err(JobError::Abort(_))
        ));
        let fail = r.get("system.fail").expect("fail");
        assert_eq!(
            fail.execute(&job(json!({ "message": "boom" }))).await,
            Err(JobError::Retry("boom".into()))
        );
    }
}
