//! The media runner's view of a file (service token only): the file itself, its bytes, its
//! merged metadata, and its reports on each processing job, from which the file's
//! `processing_status` follows.
//!
//! A processing job's states: `pending` (queued with the upload) → `processing` (an attempt
//! started) → `completed` or `failed`. A `failed` job may start again (its retry, or a job
//! the runner marked failed too early); a `completed` one is final, and reprocessing queues
//! new ones instead.

use serde_json::Value;
use shared::api::files::{File, MergeMetadataRequest, ProcessingJob, UpdateProcessingJobRequest};
use uuid::Uuid;

use super::{download, view};
use crate::context::Ctx;
use crate::db::{DbError, Row};
use crate::error::{ApiError, ApiResult};
use crate::http::Outcome;
use crate::service::validate::Checks;
use crate::store;
use crate::store::file_processing::{self as fp, JobReport};

/// Longest error text kept for a failed job.
const MAX_ERROR_CHARS: usize = 2000;

/// Any account's stored file (deleted ones too: a job queued before the delete still runs).
pub async fn file(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<File> {
    let row = store::files::get_any(ctx.api.db(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(view(&row))
}

/// The bytes of version `version` (the newest when `None`), with ranges like a user download.
pub async fn content(ctx: &Ctx<'_>, id: Uuid, version: Option<i32>) -> ApiResult<Outcome> {
    let row = store::files::get_any(ctx.api.db(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    download::serve(ctx, &row, version).await
}

/// Merges the runner's findings into the file's metadata.
pub async fn merge_metadata(ctx: &Ctx<'_>, id: Uuid, req: MergeMetadataRequest) -> ApiResult<File> {
    let patch = match req.metadata {
        Some(v @ Value::Object(_)) => v,
        _ => return Err(ApiError::invalid_field("metadata", "must be a JSON object")),
    };
    let api = ctx.api;
    if !fp::merge_metadata(api.db(), id, patch, api.now()).await? {
        return Err(ApiError::not_found("file"));
    }
    file(ctx, id).await
}

/// Whether a processing job may go from `from` to `to`.
pub fn may_move(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("pending" | "processing" | "failed", "processing")
            | ("processing", "completed" | "failed")
    )
}

/// Records the runner's report on processing job `job` of file `file`, then the file's status.
pub async fn report(
    ctx: &Ctx<'_>,
    file: Uuid,
    job: Uuid,
    req: UpdateProcessingJobRequest,
) -> ApiResult<ProcessingJob> {
    let mut checks = Checks::new();
    let status = req.status.as_deref().unwrap_or("");
    if !matches!(status, "processing" | "completed" | "failed") {
        checks.fail("status", "must be processing, completed or failed");
    }
    if req.result_data.as_ref().is_some_and(|v| !v.is_object()) {
        checks.fail("result_data", "must be a JSON object");
    }
    if status == "failed" && req.error.as_deref().is_none_or(|e| e.trim().is_empty()) {
        checks.fail("error", "a failed job needs its reason");
    }
    checks.finish()?;

    let api = ctx.api;
    let tx = api.db().begin().await?;
    // The file's row first: reports on two of its jobs at once would each compute the file's
    // status without the other's change (READ COMMITTED) and leave it `processing` for good.
    // Held, the second report's status query runs after the first one committed.
    if fp::lock_stored_file(&*tx, file).await?.is_none() {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("processing job"));
    }
    let Some(current) = fp::lock_job(&*tx, file, job).await? else {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("processing job"));
    };
    let from: String = current.get("status").map_err(ApiError::from)?;
    if !may_move(&from, status) {
        let _ = tx.rollback().await;
        return Err(ApiError::conflict(format!(
            "a {from} processing job cannot become {status}"
        )));
    }
    let now = api.now();
    let error: Option<String> = (status == "failed").then(|| {
        req.error
            .as_deref()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(MAX_ERROR_CHARS)
            .collect()
    });
    let row = fp::set_job(
        &*tx,
        job,
        JobReport {
            status,
            new_attempt: status == "processing",
            // A new attempt starts clean; a finished one keeps what it produced.
            result_data: if status == "processing" {
                None
            } else {
                req.result_data
            },
            error: error.as_deref(),
            completed_at: matches!(status, "completed" | "failed").then_some(now),
        },
    )
    .await?;
    fp::refresh_status(&*tx, file, now).await?;
    tx.commit().await?;
    job_view(&row).map_err(Into::into)
}

/// The answer's shape of a processing job row.
pub fn job_view(r: &Row) -> Result<ProcessingJob, DbError> {
    Ok(ProcessingJob {
        id: r.get("id")?,
        job_type: r.get("job_type")?,
        status: r.get("status")?,
        attempts: r.get("attempts")?,
        result_data: r.get("result_data")?,
        error: r.get("error")?,
        created_at: r.get("created_at")?,
        completed_at: r.get("completed_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_move_forward_and_failed_ones_may_retry() {
        assert!(may_move("pending", "processing"));
        assert!(may_move("processing", "completed"));
        assert!(may_move("processing", "failed"));
        assert!(may_move("failed", "processing"));
        assert!(
            may_move("processing", "processing"),
            "a re-delivered attempt"
        );
        assert!(
            !may_move("pending", "completed"),
            "work must start before it ends"
        );
        assert!(!may_move("completed", "processing"), "completed is final");
        assert!(!may_move("completed", "failed"));
        assert!(!may_move("failed", "completed"));
    }
}
