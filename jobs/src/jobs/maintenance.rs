//! Platform maintenance, enqueued by the scheduler and run by any consumer. The work happens
//! in the API (these jobs hold no database access); they only ask for it.

use std::sync::Arc;

use serde_json::Value;
use shared::api::jobs::ClaimedJob;
use shared::api::maintenance::MaintenanceTask;
use shared::maybe_async_trait;

use crate::client::BackendApiClient;
use crate::job::{Job, JobError, Registry};

/// Registers the maintenance job types.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>) {
    r.register(Arc::new(Rescue(client.clone())));
    r.register(Arc::new(Relay(client.clone())));
    r.register(Arc::new(PruneJobs(client.clone())));
    for task in MaintenanceTask::ALL {
        r.register(Arc::new(Task {
            client: client.clone(),
            task: *task,
        }));
    }
}

/// `maintenance.rescue`: re-deliver jobs whose lease expired.
struct Rescue(Arc<BackendApiClient>);

maybe_async_trait! {
impl Job for Rescue {
    fn job_type(&self) -> &'static str {
        "maintenance.rescue"
    }
    async fn execute(&self, _job: &ClaimedJob) -> Result<Value, JobError> {
        let report = self.0.rescue().await?;
        serde_json::to_value(report).map_err(|e| JobError::Abort(e.to_string()))
    }
}
}

/// `maintenance.relay`: re-announce jobs a push transport lost.
struct Relay(Arc<BackendApiClient>);

maybe_async_trait! {
impl Job for Relay {
    fn job_type(&self) -> &'static str {
        "maintenance.relay"
    }
    async fn execute(&self, _job: &ClaimedJob) -> Result<Value, JobError> {
        let report = self.0.relay().await?;
        serde_json::to_value(report).map_err(|e| JobError::Abort(e.to_string()))
    }
}
}

/// `maintenance.prune_jobs`: delete completed jobs past retention.
struct PruneJobs(Arc<BackendApiClient>);

maybe_async_trait! {
impl Job for PruneJobs {
    fn job_type(&self) -> &'static str {
        "maintenance.prune_jobs"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let report = self
            .0
            .prune_jobs(job.args["older_than_seconds"].as_i64())
            .await?;
        serde_json::to_value(report).map_err(|e| JobError::Abort(e.to_string()))
    }
}
}

/// `maintenance.<task>`: one of the tasks run through the API's generic maintenance route.
struct Task {
    client: Arc<BackendApiClient>,
    task: MaintenanceTask,
}

maybe_async_trait! {
impl Job for Task {
    fn job_type(&self) -> &'static str {
        self.task.job_type()
    }
    async fn execute(&self, _job: &ClaimedJob) -> Result<Value, JobError> {
        let report = self.client.maintenance(self.task).await?;
        serde_json::to_value(report).map_err(|e| JobError::Abort(e.to_string()))
    }
}
}
