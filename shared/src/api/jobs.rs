//! Bodies of the queue's admin routes (`/api/v1/admin/...`) and worker routes
//! (`/api/v1/worker/queue/...`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::job::JobState;

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// UUIDv7.
    pub id: Uuid,
    /// Queue name.
    pub queue: String,
    /// Registered job type.
    pub job_type: String,
    /// Arguments.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub args: serde_json::Value,
    /// State.
    pub state: JobState,
    /// Higher runs first.
    pub priority: i64,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// When it may run (next).
    pub run_at: DateTime<Utc>,
    /// Each failed attempt's error, oldest first.
    pub errors: Vec<JobError>,
    /// What the last successful run returned.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<serde_json::Value>,
    /// Enqueue time.
    pub created_at: DateTime<Utc>,
    /// When it reached a final state.
    pub completed_at: Option<DateTime<Utc>>,
}

/// One failed attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobError {
    /// When it failed.
    pub at: DateTime<Utc>,
    /// Which attempt.
    pub attempt: i64,
    /// What the consumer reported.
    pub error: String,
}

/// One run of a job type, as execution tracking keeps it (the newest 20 per job type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobRun {
    /// The job.
    pub job_id: Uuid,
    /// Its queue.
    pub queue: String,
    /// Which attempt this run was.
    pub attempt: i64,
    /// When the run started (the claim).
    pub started_at: DateTime<Utc>,
    /// How long until the consumer reported the outcome, in milliseconds.
    pub duration_ms: i64,
    /// `completed`, `retryable` (failed, will run again) or `dead`.
    pub outcome: String,
    /// The error the consumer reported, for a failed run.
    pub error: Option<String>,
}

/// `POST /api/v1/admin/jobs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnqueueRequest {
    /// A registered job type (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1))]
    pub job_type: Option<String>,
    /// Arguments (an object; default `{}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub args: Option<serde_json::Value>,
    /// Queue (default `default`).
    pub queue: Option<String>,
    /// When to run (default now).
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts allowed (default 4: the first run and three retries).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 1, maximum = 100))]
    pub max_attempts: Option<i64>,
    /// Priority 0..=10 (default: the queue's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 0, maximum = 10))]
    pub priority: Option<i64>,
    /// Deduplicates: the same key and body return the existing job; another body is 409.
    pub idempotency_key: Option<String>,
}

/// A queue with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueSummary {
    /// Name.
    pub name: String,
    /// Higher runs first.
    pub priority: i64,
    /// Paused queues are not claimed from.
    pub paused: bool,
    /// Jobs by state (every state present, zero included). Due scheduled and retryable jobs
    /// count as `available`.
    pub counts: BTreeMap<String, i64>,
    /// Age of the oldest claimable job (0 when none): the queue's latency.
    pub oldest_available_age_seconds: f64,
    /// Jobs completed in the last minute.
    pub completed_last_minute: i64,
    /// Failed attempts in the last minute (retryable or dead).
    pub failed_last_minute: i64,
}

/// One minute of a queue's history (`GET /api/v1/admin/queues/{name}/history`). A job counts
/// in the minute it was finalized (completed or dead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueHistoryPoint {
    /// Start of the minute (UTC).
    pub minute: DateTime<Utc>,
    /// Jobs completed in this minute.
    pub completed: i64,
    /// Jobs that went dead in this minute.
    pub dead: i64,
    /// Average wait of those jobs' last attempt, from `run_at` until claimed, in milliseconds;
    /// null when no job (or none was ever claimed).
    pub wait_ms_avg: Option<f64>,
    /// Average run of those jobs' last attempt, from the claim until finalized, in
    /// milliseconds; null when no job (or none was ever claimed).
    pub run_ms_avg: Option<f64>,
}

/// `POST /api/v1/worker/queue/claim`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimRequest {
    /// Queues to claim from (required, at least one).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<String>, min_items = 1, max_items = 1000))]
    pub queues: Option<Vec<String>>,
    /// Most jobs to claim (1..=1000, default 1).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
    /// Lease length (5..=3600, default 300).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 5, maximum = 3600))]
    pub lease_seconds: Option<i64>,
    /// When nothing is due, wait up to this many seconds (0..=30, default 0) for a job to be
    /// enqueued before answering an empty list (long-poll, woken by LISTEN/NOTIFY).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 0, maximum = 30))]
    pub wait_seconds: Option<i64>,
    /// The consumer process claiming (required): leases are held by it, and only it can
    /// heartbeat, complete, fail or snooze the jobs. Unique per process run.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S"))]
    pub worker_id: Option<String>,
}

/// A claimed job: what a consumer needs to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimedJob {
    /// Job id.
    pub id: Uuid,
    /// Queue.
    pub queue: String,
    /// Job type.
    pub job_type: String,
    /// Arguments.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub args: serde_json::Value,
    /// This attempt's number (1-based).
    pub attempt: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// When the lease runs out unless renewed.
    pub lease_expires_at: DateTime<Utc>,
    /// The account the job works for.
    pub account_id: Option<Uuid>,
}

/// `POST /api/v1/worker/queue/heartbeat`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatRequest {
    /// The `worker_id` the jobs were claimed with (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S"))]
    pub worker_id: Option<String>,
    /// Jobs whose leases to extend (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<Uuid>, min_items = 1, max_items = 1000))]
    pub ids: Option<Vec<Uuid>>,
    /// New lease length from now (default 300).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 5, maximum = 3600))]
    pub lease_seconds: Option<i64>,
}

/// One job's outcome, in `POST /api/v1/worker/queue/complete`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completion {
    /// Job id (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Uuid))]
    pub id: Option<Uuid>,
    /// What the job returned.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<serde_json::Value>,
}

/// `POST /api/v1/worker/queue/complete`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteRequest {
    /// The `worker_id` the jobs were claimed with (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S"))]
    pub worker_id: Option<String>,
    /// Completed jobs (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<Completion>, min_items = 1, max_items = 1000))]
    pub jobs: Option<Vec<Completion>>,
}

/// One job's failure, in `POST /api/v1/worker/queue/fail`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Failure {
    /// Job id (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Uuid))]
    pub id: Option<Uuid>,
    /// What went wrong (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1))]
    pub error: Option<String>,
    /// Whether the failure was an API error (HTTP 408, 429, 5xx from the API).
    pub api_error: Option<bool>,
    /// Do not retry: straight to dead.
    pub discard: Option<bool>,
}

/// `POST /api/v1/worker/queue/fail`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailRequest {
    /// The `worker_id` the jobs were claimed with (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S"))]
    pub worker_id: Option<String>,
    /// Failed jobs (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<Failure>, min_items = 1, max_items = 1000))]
    pub jobs: Option<Vec<Failure>>,
}

/// `POST /api/v1/worker/queue/snooze`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnoozeRequest {
    /// The `worker_id` the jobs were claimed with (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S"))]
    pub worker_id: Option<String>,
    /// Jobs to put back (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<Uuid>, min_items = 1, max_items = 1000))]
    pub ids: Option<Vec<Uuid>>,
    /// Seconds from now (0..=86400, required). The attempt does not count.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = i64, minimum = 0, maximum = 86400))]
    pub seconds: Option<i64>,
}

/// What a batch route did with each id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchOutcome {
    /// Job id.
    pub id: Uuid,
    /// The job's state afterwards, or `null` when the caller no longer held it (its lease
    /// expired and it was re-delivered, or it does not exist).
    pub state: Option<JobState>,
    /// For a failure: when it runs again.
    pub run_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/worker/queue/jobs/{id}/claim`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimByIdRequest {
    /// The consumer process claiming (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 200, pattern = "\\S"))]
    pub worker_id: Option<String>,
    /// Lease length (5..=3600, default 300).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 5, maximum = 3600))]
    pub lease_seconds: Option<i64>,
}

/// `POST /api/v1/worker/queue/enqueue`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnqueueBatchRequest {
    /// Jobs to enqueue together (1..=1000, required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<EnqueueRequest>, min_items = 1, max_items = 1000))]
    pub jobs: Option<Vec<EnqueueRequest>>,
}

/// One enqueued job of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enqueue {
    /// The job's id.
    pub id: Uuid,
    /// False when an idempotency key matched an existing job.
    pub created: bool,
}

/// Answer of `POST /api/v1/worker/maintenance/relay`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayReport {
    /// Jobs re-announced to the push transport (0 where consumers poll).
    pub pushed: u64,
}

/// Answer of `POST /api/v1/worker/maintenance/rescue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RescueReport {
    /// Jobs made claimable again.
    pub retried: u64,
    /// Jobs out of attempts, now dead.
    pub dead: u64,
}

/// `POST /api/v1/worker/maintenance/prune_jobs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PruneRequest {
    /// Delete completed jobs finished longer ago than this (default 7 days; 60 s to 10 years).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 60, maximum = 315_360_000))]
    pub older_than_seconds: Option<i64>,
}

/// Answer of `POST /api/v1/worker/maintenance/prune_jobs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PruneReport {
    /// Jobs deleted.
    pub deleted: u64,
}

/// What one pass of the dead-job notifier did (`notify_dead_jobs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotifyReport {
    /// Jobs that died within the look-back window and have someone to tell.
    pub dead_jobs: u64,
    /// Emails queued by this pass (a job already told about queues none).
    pub enqueued: u64,
}

/// `POST /api/v1/worker/idempotency/check` and `.../mark`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdempotencyRequest {
    /// The effect's key, 1 to 255 characters (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 255))]
    pub key: Option<String>,
    /// How long a mark is remembered (60..=30 days, default 7 days); `mark` only.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 60, maximum = 2592000))]
    pub ttl_seconds: Option<i64>,
}

/// Answer of the idempotency routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdempotencyState {
    /// The key.
    pub key: String,
    /// `check`: whether the key was marked. `mark`: true only for the call that marked it.
    pub processed: bool,
}
