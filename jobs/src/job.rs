//! The `Job` trait, what a run can end in, and the registry by job type.

use std::collections::HashMap;
use std::sync::Arc;

use shared::api::jobs::{ClaimedJob, Failure};
use shared::maybe_async_trait;
use uuid::Uuid;

use crate::client::ClientError;

/// How a run failed, which decides what happens next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again later, by the backoff policy for ordinary errors.
    #[error("{0}")]
    Retry(String),
    /// A call to the API failed; transient failures get the API-error backoff (30/60/180 s).
    #[error(transparent)]
    Api(#[from] ClientError),
    /// Never retry: the job is dead at once (bad arguments, a permanent refusal).
    #[error("{0}")]
    Abort(String),
}

impl JobError {
    /// Whether the backoff policy should treat this as an API error.
    pub fn is_api_error(&self) -> bool {
        matches!(self, JobError::Api(e) if e.is_api_error())
    }
}

maybe_async_trait! {
/// A job type's behaviour. Implementations are stateless; everything a run needs comes in
/// `job` (its args, attempt and account).
pub trait Job: Send + Sync {
    /// The registered type name, e.g. `system.noop`.
    fn job_type(&self) -> &'static str;
    /// Runs once; the value returned is stored as the job's result.
    async fn execute(&self, job: &ClaimedJob) -> Result<serde_json::Value, JobError>;
}
}

/// Job types by name.
#[derive(Clone, Default)]
pub struct Registry {
    jobs: HashMap<&'static str, Arc<dyn Job>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry every deployment starts with (the diagnostic job types).
    pub fn with_builtin() -> Self {
        let mut r = Self::new();
        crate::jobs::system::register(&mut r);
        r
    }

    /// Every job type this deployment runs: the diagnostics (`system.spawn` among them), the
    /// platform's maintenance and webhook processing, which call the API through `client`,
    /// and natively `notifications.email` with the SMTP settings from the environment.
    pub fn with_platform(client: Arc<crate::client::BackendApiClient>) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        return Self::with_platform_mail(client, crate::jobs::email::MailSettings::from_env());
        #[cfg(target_arch = "wasm32")]
        Self::platform_common(client)
    }

    /// As `with_platform`, with the SMTP settings given (a host's own configuration, a test).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_platform_mail(
        client: Arc<crate::client::BackendApiClient>,
        mail: crate::jobs::email::MailSettings,
    ) -> Self {
        let mut r = Self::platform_common(client.clone());
        crate::jobs::email::register(&mut r, client, mail);
        r
    }

    /// What every runtime registers. Email is not among them: SMTP needs a TCP client the Wasm
    /// consumers lack, and the edge never claims the `email` queue.
    pub(crate) fn platform_common(client: Arc<crate::client::BackendApiClient>) -> Self {
        let mut r = Self::with_builtin();
        crate::jobs::spawn::register(&mut r, client.clone());
        crate::jobs::maintenance::register(&mut r, client.clone());
        crate::jobs::webhooks::register(&mut r, client.clone());
        crate::jobs::ai::register(&mut r, client.clone());
        crate::jobs::agents::register(&mut r, client.clone());
        crate::jobs::knowledge::register(&mut r, client);
        r
    }

    /// Adds a job type.
    pub fn register(&mut self, job: Arc<dyn Job>) {
        self.jobs.insert(job.job_type(), job);
    }

    /// The job type's implementation.
    pub fn get(&self, job_type: &str) -> Option<Arc<dyn Job>> {
        self.jobs.get(job_type).cloned()
    }

    /// Registered names.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.jobs.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

/// How a run ended, as the API is told.
#[derive(Debug, Clone)]
pub enum Settled {
    /// Completed with this result.
    Completed(Uuid, serde_json::Value),
    /// Failed; the API decides what happens next.
    Failed(Failure),
}

/// Runs one claimed job with its registered implementation. A job type nobody registered, or
/// a panic in the job, ends as a failure rather than taking the consumer down.
pub async fn run_one(registry: Arc<Registry>, job: ClaimedJob) -> Settled {
    let id = job.id;
    let Some(handler) = registry.get(&job.job_type) else {
        return Settled::Failed(failure(
            id,
            &JobError::Abort(format!("no consumer for job type `{}`", job.job_type)),
        ));
    };
    match execute(handler, job).await {
        Ok(value) => Settled::Completed(id, value),
        Err(e) => Settled::Failed(failure(id, &e)),
    }
}

/// Natively the job runs in its own task, so that a panic in it is caught here as a failed run.
#[cfg(not(target_arch = "wasm32"))]
async fn execute(handler: Arc<dyn Job>, job: ClaimedJob) -> Result<serde_json::Value, JobError> {
    tokio::spawn(async move { handler.execute(&job).await })
        .await
        .unwrap_or_else(|join| Err(JobError::Retry(format!("the job panicked: {join}"))))
}

/// In wasm a panic aborts the instance (the runtime re-delivers the message), so there is
/// nothing to catch.
#[cfg(target_arch = "wasm32")]
async fn execute(handler: Arc<dyn Job>, job: ClaimedJob) -> Result<serde_json::Value, JobError> {
    handler.execute(&job).await
}

fn failure(id: Uuid, e: &JobError) -> Failure {
    Failure {
        id: Some(id),
        error: Some(e.to_string()),
        api_error: Some(e.is_api_error()),
        discard: Some(matches!(e, JobError::Abort(_))),
    }
}
