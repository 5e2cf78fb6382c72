//! The media runner's writes to a file: derivative keys, merged metadata, processing job
//! reports and the file's `processing_status` that follows from them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::{DbError, Row};
use crate::ports::Conn;

/// What a derivative upload needs of its file, read under a row lock.
#[derive(Debug, Clone)]
pub struct DerivativeTarget {
    /// Owner (object keys start with it).
    pub account_id: Uuid,
    /// Where the file's bytes, and so its derivatives, live.
    pub storage_id: Uuid,
    /// The newest version.
    pub version: i32,
    /// Thumbnail keys by size.
    pub thumbnails: Value,
    /// Poster key.
    pub poster_key: Option<String>,
}

/// Locks a stored file's row (derivative writes, job reports); `None`: no such file.
pub async fn lock_stored_file(
    c: &dyn Conn,
    file: Uuid,
) -> Result<Option<DerivativeTarget>, DbError> {
    let Some(r) = query_opt(c, sql::FILE_LOCK_STORED, &[file.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(DerivativeTarget {
        account_id: r.get("account_id")?,
        storage_id: r.get("storage_id")?,
        version: i32::try_from(r.get::<i64>("version")?).unwrap_or(i32::MAX),
        thumbnails: r.get("thumbnails")?,
        poster_key: r.get("poster_key")?,
    }))
}

/// Points thumbnail `size` at `key`.
pub async fn set_thumbnail(
    c: &dyn Conn,
    file: Uuid,
    size: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::FILE_THUMBNAIL_SET,
        &[file.into(), size.into(), key.into(), now.into()],
    )
    .await
    .map(drop)
}

/// Points the poster at `key`.
pub async fn set_poster(
    c: &dyn Conn,
    file: Uuid,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(sql::FILE_POSTER_SET, &[file.into(), key.into(), now.into()])
        .await
        .map(drop)
}

/// Merges `patch` (an object) into the file's metadata; false when there is no such file.
pub async fn merge_metadata(
    c: &dyn Conn,
    file: Uuid,
    patch: Value,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = c
        .execute(
            sql::FILE_METADATA_MERGE,
            &[file.into(), patch.into(), now.into()],
        )
        .await?;
    Ok(n > 0)
}

/// Locks one of the file's processing jobs (`None`: not this file's).
pub async fn lock_job(c: &dyn Conn, file: Uuid, id: Uuid) -> Result<Option<Row>, DbError> {
    query_opt(c, sql::FILE_PROCESSING_JOB_LOCK, &[id.into(), file.into()]).await
}

/// A processing job's new state.
#[derive(Debug, Clone)]
pub struct JobReport<'a> {
    /// `processing`, `completed` or `failed`.
    pub status: &'a str,
    /// Whether this report starts an attempt.
    pub new_attempt: bool,
    /// What was produced.
    pub result_data: Option<Value>,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// Set when the job finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Writes a report; returns the job's row as it now is.
pub async fn set_job(c: &dyn Conn, id: Uuid, report: JobReport<'_>) -> Result<Row, DbError> {
    query_opt(
        c,
        sql::FILE_PROCESSING_JOB_SET,
        &[
            id.into(),
            report.status.into(),
            i64::from(report.new_attempt).into(),
            report.result_data.into(),
            report.error.into(),
            report.completed_at.into(),
        ],
    )
    .await?
    .ok_or_else(|| DbError::Query("the locked processing job vanished".into()))
}

/// Sets the file's `processing_status` from its newest processing jobs.
pub async fn refresh_status(c: &dyn Conn, file: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(
        sql::FILE_PROCESSING_STATUS_REFRESH,
        &[file.into(), now.into()],
    )
    .await
    .map(drop)
}
