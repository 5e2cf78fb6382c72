//! Job states and the job types the platform knows.

use serde::{Deserialize, Serialize};

/// Where a job is in its life. The API's queue module is the only writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waits for `run_at` (enqueued for later, or snoozed). Claimable once due.
    Scheduled,
    /// Claimable now.
    Available,
    /// Claimed by a consumer under a lease; the rescuer makes it claimable again if the lease
    /// runs out.
    Running,
    /// Failed with attempts left; claimable again at `run_at` (the backoff).
    Retryable,
    /// Done. Pruned after the retention period.
    Completed,
    /// Out of attempts, or discarded by an operator; kept with every error for a manual retry.
    Dead,
    /// Withdrawn before it ran.
    Cancelled,
}

impl JobState {
    /// Every state, in life order.
    pub const ALL: &'static [JobState] = &[
        JobState::Scheduled,
        JobState::Available,
        JobState::Running,
        JobState::Retryable,
        JobState::Completed,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The database and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Scheduled => "scheduled",
            JobState::Available => "available",
            JobState::Running => "running",
            JobState::Retryable => "retryable",
            JobState::Completed => "completed",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Self> {
        JobState::ALL.iter().copied().find(|s| s.as_str() == name)
    }

    /// Whether the job will not run again by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Dead | JobState::Cancelled
        )
    }
}

/// Attempts a job gets unless it says otherwise: the first run and three retries.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 4;

/// Job types every deployment registers. The API refuses to enqueue a type not listed here
/// (422), so a typo cannot sit in a queue that no consumer drains.
pub const JOB_TYPES: &[&str] = &[
    // Diagnostics: do nothing, sleep `{"ms": N}`, always fail with `{"message": ...}`.
    "system.noop",
    "system.sleep",
    "system.fail",
    // Diagnostic with a side effect: enqueue one `system.noop` child once per `{"key": K}`
    // (guarded by the idempotency helpers), then sleep `{"ms": N}`.
    "system.spawn",
    // Platform maintenance, enqueued by the scheduler: rescue expired leases; delete completed
    // jobs past retention (`{"older_than_seconds": N}`, default 7 days).
    "maintenance.rescue",
    // Re-announce claimable jobs a push transport lost (the edge; a no-op where consumers poll).
    "maintenance.relay",
    "maintenance.prune_jobs",
    // The rest of the scheduled maintenance, one type per `api::maintenance::MaintenanceTask`,
    // each run by `POST /api/v1/worker/maintenance/{task}` (args unused).
    "maintenance.sweep_stuck_processing",
    "maintenance.check_storages",
    "maintenance.check_services",
    "maintenance.expire_shares",
    "maintenance.sweep_abandoned_uploads",
    "maintenance.purge_deleted_files",
    "maintenance.enforce_retention",
    "maintenance.sweep_orphans",
    "maintenance.backup",
    "maintenance.notify_dead_jobs",
    // A received webhook event, queued with it on `webhooks` (`{"event_id"}`): processed
    // through the worker routes, its outcome recorded on the event.
    "webhooks.process",
    // A diagnostic LLM call (`{"model", "prompt", "max_tokens"?}`) through the API's proxy for
    // the job's account; the answer is the job's result.
    "ai.chat",
    // One run of an agent (`{"run_id"}`, queue `ai`): model steps through the proxy, tool
    // calls through the run's worker routes, each step recorded once, until its final answer.
    "ai.agent_run",
    // A knowledge document's ingestion (`{"document_id"}`, queue `default`): chunk its text,
    // embed the new chunks through the API's proxy, mark it ready; all through worker routes.
    "knowledge.ingest",
    // A file document's text (`{"document_id", "file_id", "version"}`), extracted by the media
    // runner (plain text, Markdown, HTML, PDF) and handed to the API, which queues the ingestion.
    "knowledge.extract",
    // A transactional email (`{"to", "subject", "text"}`, rendered by the API), queued on
    // `email` and sent over SMTP by the native consumer only (the edge has no TCP client).
    "notifications.email",
    // A file's processing, queued with its upload on `file_processing` for the media runner
    // (`{"file_id", "version", "processing_job_id"}`): thumbnails and EXIF of images, a video's
    // probe and poster, an audio file's probe, and every file's metadata.
    "media.thumbnail",
    "media.video",
    "media.audio",
    "media.metadata",
];

/// The job types the media runner consumes (queue `file_processing`); every other type has a
/// consumer in the `jobs` crate.
pub const MEDIA_JOB_TYPES: &[&str] = &[
    "media.thumbnail",
    "media.video",
    "media.audio",
    "media.metadata",
    "knowledge.extract",
];

/// The job types only native consumers run (SMTP needs a TCP client the Wasm consumers lack);
/// their queue (`email`) is polled by native consumers on every runtime, never pushed to the edge.
pub const NATIVE_JOB_TYPES: &[&str] = &["notifications.email"];

/// The queues of [`NATIVE_JOB_TYPES`]: never announced to an edge consumer (the API treats them
/// as polled on every runtime), and refused by the edge consumers if an announcement arrives.
pub const NATIVE_QUEUES: &[&str] = &["email"];

/// Whether a job type is registered.
pub fn is_registered(job_type: &str) -> bool {
    JOB_TYPES.contains(&job_type)
}
