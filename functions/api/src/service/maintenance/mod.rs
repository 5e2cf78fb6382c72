//! The scheduled maintenance tasks (`shared::api::maintenance::MaintenanceTask`), one file
//! each. The scheduler enqueues a `maintenance.<task>` job; its consumer calls
//! `POST /api/v1/worker/maintenance/{task}`, which runs [`run`].
//!
//! Every task is idempotent: it acts on what the database says is due now, so a second run (a
//! retried job, two schedulers) finds nothing left to do. One broken storage or account is a
//! line in the report's `problems`, not a failed run, so it cannot hold the others back.

mod backup;
mod dead_jobs;
mod deleted_files;
mod orphans;
mod retention;
mod service_health;
mod shares;
mod storage_health;
mod stores;
mod stuck_processing;
mod uploads;

pub use backup::{BACKUP_FORMAT, BACKUP_PREFIX, BACKUP_VERSION, backup_key};

use chrono::Duration;
use shared::api::maintenance::{MaintenanceReport, MaintenanceTask};

use crate::Api;
use crate::error::ApiResult;

/// Files stay in the trash this long before they are deleted for good.
pub const TRASH_RETENTION: Duration = Duration::days(30);
/// Audit log entries are kept this long.
pub const AUDIT_RETENTION: Duration = Duration::days(365);
/// Processed and failed webhook events are kept this long (pending ones until processed).
pub const WEBHOOK_EVENT_RETENTION: Duration = Duration::days(30);
/// A direct upload not completed within this is abandoned.
pub const ABANDONED_UPLOAD_AFTER: Duration = Duration::hours(24);
/// An object no row refers to is only removed once this old, so an upload between its put and
/// its row's commit is never taken for an orphan.
pub const ORPHAN_MIN_AGE: Duration = Duration::hours(24);

/// Runs one task now.
pub async fn run(api: &Api, task: MaintenanceTask) -> ApiResult<MaintenanceReport> {
    let mut report = MaintenanceReport::new(task);
    match task {
        MaintenanceTask::SweepStuckProcessing => stuck_processing::run(api, &mut report).await?,
        MaintenanceTask::CheckStorages => storage_health::run(api, &mut report).await?,
        MaintenanceTask::CheckServices => service_health::run(api, &mut report).await?,
        MaintenanceTask::ExpireShares => shares::run(api, &mut report).await?,
        MaintenanceTask::SweepAbandonedUploads => uploads::run(api, &mut report).await?,
        MaintenanceTask::PurgeDeletedFiles => deleted_files::run(api, &mut report).await?,
        MaintenanceTask::EnforceRetention => retention::run(api, &mut report).await?,
        MaintenanceTask::SweepOrphans => orphans::run(api, &mut report).await?,
        MaintenanceTask::Backup => backup::run(api, &mut report).await?,
        MaintenanceTask::NotifyDeadJobs => dead_jobs::run(api, &mut report).await?,
    }
    if report.problems.is_empty() {
        tracing::info!(task = task.as_str(), counts = ?report.counts, "maintenance done");
    } else {
        tracing::warn!(task = task.as_str(), counts = ?report.counts, problems = ?report.problems, "maintenance done with problems");
    }
    Ok(report)
}
