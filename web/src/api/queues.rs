//! Queues and jobs (platform admins, and account users with `jobs.read` for their own jobs).

use shared::api::jobs::{Job, QueueHistoryPoint, QueueSummary};
use uuid::Uuid;

use super::http::{self, ApiError, Page};
use crate::format::with_query;

/// Every queue with its counts.
pub async fn summaries() -> Result<Vec<QueueSummary>, ApiError> {
    http::get("/api/v1/admin/queues").await
}

/// Throughput and latency per minute over the last hour, oldest first.
pub async fn history(queue: &str) -> Result<Vec<QueueHistoryPoint>, ApiError> {
    http::get(&format!("/api/v1/admin/queues/{queue}/history?minutes=60")).await
}

/// Pauses or resumes a queue.
pub async fn set_paused(queue: &str, paused: bool) -> Result<serde_json::Value, ApiError> {
    let action = if paused { "pause" } else { "resume" };
    http::send_empty("POST", &format!("/api/v1/admin/queues/{queue}/{action}")).await
}

/// A page of jobs in `queue` (or all) and `state` (or all).
pub async fn jobs(queue: &str, state: &str, page: u32) -> Result<Page<Job>, ApiError> {
    let path = with_query(
        "/api/v1/admin/jobs",
        &[
            ("queue", queue.to_string()),
            ("state", state.to_string()),
            ("page", page.max(1).to_string()),
            ("per_page", "25".to_string()),
        ],
    );
    http::get_page(&path).await
}

/// One job with its args and error history.
pub async fn job(id: Uuid) -> Result<Job, ApiError> {
    http::get(&format!("/api/v1/admin/jobs/{id}")).await
}

/// Runs a dead or retryable job again now.
pub async fn retry(id: Uuid) -> Result<Job, ApiError> {
    http::send_empty("POST", &format!("/api/v1/admin/jobs/{id}/retry")).await
}

/// Moves a job to dead.
pub async fn discard(id: Uuid) -> Result<Job, ApiError> {
    http::send_empty("POST", &format!("/api/v1/admin/jobs/{id}/discard")).await
}
