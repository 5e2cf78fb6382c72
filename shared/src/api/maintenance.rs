//! The platform's scheduled maintenance: which tasks exist, and what a run reports.
//!
//! The scheduler (`jobs::schedule`) enqueues `maintenance.<task>` jobs; a consumer runs one by
//! calling `POST /api/v1/worker/maintenance/{task}`, and the API does the work (consumers hold
//! no database access). The report becomes the job's result, so every run is visible in the
//! queue admin API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A maintenance task run through the generic route. (Rescue, relay and job pruning predate it
/// and keep their own routes.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceTask {
    /// File processing records still pending or processing whose queue job ended (dead,
    /// cancelled, pruned) are marked failed, so a file never shows "processing" forever.
    SweepStuckProcessing,
    /// Every storage backend's connection test; the outcome is kept on the storage.
    CheckStorages,
    /// Postgres and Redis answer; the job fails (and is retried, then reported dead) if not.
    CheckServices,
    /// Shares past their expiry are revoked and their token forgotten.
    ExpireShares,
    /// Direct uploads never completed within a day: the row and any partial object go.
    SweepAbandonedUploads,
    /// Files soft-deleted more than 30 days ago are deleted for good, bytes included.
    PurgeDeletedFiles,
    /// Audit log entries and finished webhook events past retention are deleted.
    EnforceRetention,
    /// Objects in storage that no row refers to (older than a day) are removed.
    SweepOrphans,
    /// Every account's metadata is exported as JSON to its default storage.
    Backup,
    /// Jobs that died recently are reported by email to their account's owners and admins.
    NotifyDeadJobs,
}

impl MaintenanceTask {
    /// Every task.
    pub const ALL: &'static [MaintenanceTask] = &[
        MaintenanceTask::SweepStuckProcessing,
        MaintenanceTask::CheckStorages,
        MaintenanceTask::CheckServices,
        MaintenanceTask::ExpireShares,
        MaintenanceTask::SweepAbandonedUploads,
        MaintenanceTask::PurgeDeletedFiles,
        MaintenanceTask::EnforceRetention,
        MaintenanceTask::SweepOrphans,
        MaintenanceTask::Backup,
        MaintenanceTask::NotifyDeadJobs,
    ];

    /// The route's and the job type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceTask::SweepStuckProcessing => "sweep_stuck_processing",
            MaintenanceTask::CheckStorages => "check_storages",
            MaintenanceTask::CheckServices => "check_services",
            MaintenanceTask::ExpireShares => "expire_shares",
            MaintenanceTask::SweepAbandonedUploads => "sweep_abandoned_uploads",
            MaintenanceTask::PurgeDeletedFiles => "purge_deleted_files",
            MaintenanceTask::EnforceRetention => "enforce_retention",
            MaintenanceTask::SweepOrphans => "sweep_orphans",
            MaintenanceTask::Backup => "backup",
            MaintenanceTask::NotifyDeadJobs => "notify_dead_jobs",
        }
    }

    /// The job type that runs it: `maintenance.<name>`.
    pub fn job_type(self) -> &'static str {
        match self {
            MaintenanceTask::SweepStuckProcessing => "maintenance.sweep_stuck_processing",
            MaintenanceTask::CheckStorages => "maintenance.check_storages",
            MaintenanceTask::CheckServices => "maintenance.check_services",
            MaintenanceTask::ExpireShares => "maintenance.expire_shares",
            MaintenanceTask::SweepAbandonedUploads => "maintenance.sweep_abandoned_uploads",
            MaintenanceTask::PurgeDeletedFiles => "maintenance.purge_deleted_files",
            MaintenanceTask::EnforceRetention => "maintenance.enforce_retention",
            MaintenanceTask::SweepOrphans => "maintenance.sweep_orphans",
            MaintenanceTask::Backup => "maintenance.backup",
            MaintenanceTask::NotifyDeadJobs => "maintenance.notify_dead_jobs",
        }
    }

    /// Parses a route name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == name)
    }
}

/// Answer of `POST /api/v1/worker/maintenance/{task}`, kept as the job's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceReport {
    /// The task's name.
    pub task: String,
    /// What it did, counted: e.g. `{"files_deleted": 3, "bytes_freed": 1048576}`.
    pub counts: BTreeMap<String, u64>,
    /// What it could not do, one line each (the run still completes: one broken storage must
    /// not stop the others). Never holds a secret.
    pub problems: Vec<String>,
}

impl MaintenanceReport {
    /// An empty report for `task`.
    pub fn new(task: MaintenanceTask) -> Self {
        Self {
            task: task.as_str().to_string(),
            ..Self::default()
        }
    }

    /// Adds `n` to the count `name`.
    pub fn add(&mut self, name: &str, n: u64) {
        *self.counts.entry(name.to_string()).or_default() += n;
    }

    /// Records something that could not be done.
    pub fn problem(&mut self, line: impl Into<String>) {
        self.problems.push(line.into());
    }

    /// The count `name` (0 when never added).
    pub fn count(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_job_types_follow_them() {
        for t in MaintenanceTask::ALL {
            assert_eq!(MaintenanceTask::parse(t.as_str()), Some(*t));
            assert_eq!(t.job_type(), format!("maintenance.{}", t.as_str()));
            assert!(crate::job::is_registered(t.job_type()), "{t:?}");
            let json = serde_json::to_value(t).expect("serializes");
            assert_eq!(json, t.as_str());
        }
        assert_eq!(MaintenanceTask::parse("rescue"), None);
    }
}
