//! The scheduled maintenance's bulk queries (`sql/maintenance.sql`): what is due, and the batch
//! updates that settle it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::DbError;
use crate::ports::Conn;

/// An open processing record whose queue job ended without reporting.
#[derive(Debug, Clone)]
pub struct StuckProcessing {
    /// The record.
    pub id: Uuid,
    /// Its file.
    pub file_id: Uuid,
    /// The queue job's state, or `gone` when it was pruned.
    pub job_state: String,
}

/// Up to `limit` stuck records created before `before`.
pub async fn stuck_processing(
    c: &dyn Conn,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<StuckProcessing>, DbError> {
    c.query(sql::PROCESSING_STUCK, &[before.into(), limit.into()])
        .await?
        .iter()
        .map(|r| {
            Ok(StuckProcessing {
                id: r.get("id")?,
                file_id: r.get("file_id")?,
                job_state: r.get("job_state")?,
            })
        })
        .collect()
}

/// Marks a stuck record failed; false when it was settled meanwhile.
pub async fn fail_stuck(
    c: &dyn Conn,
    id: Uuid,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::PROCESSING_FAIL_STUCK,
        &[id.into(), error.to_string().into(), now.into()],
    )
    .await?
        == 1)
}

/// Revokes up to `limit` shares whose expiry passed; returns how many.
pub async fn expire_shares(c: &dyn Conn, now: DateTime<Utc>, limit: i64) -> Result<u64, DbError> {
    c.execute(sql::SHARES_EXPIRE, &[now.into(), limit.into()])
        .await
}

/// A direct upload's file row.
#[derive(Debug, Clone)]
pub struct AbandonedUpload {
    /// The file.
    pub id: Uuid,
    /// Its account.
    pub account_id: Uuid,
    /// Where its bytes were going.
    pub storage_id: Uuid,
}

/// Up to `limit` direct uploads handed out before `before` and never completed.
pub async fn abandoned_uploads(
    c: &dyn Conn,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<AbandonedUpload>, DbError> {
    c.query(sql::UPLOADS_ABANDONED, &[before.into(), limit.into()])
        .await?
        .iter()
        .map(|r| {
            Ok(AbandonedUpload {
                id: r.get("id")?,
                account_id: r.get("account_id")?,
                storage_id: r.get("storage_id")?,
            })
        })
        .collect()
}

/// Up to `limit` files trashed before `before`.
pub async fn trash_due(
    c: &dyn Conn,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    c.query(sql::TRASH_DUE, &[before.into(), limit.into()])
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect()
}

/// Locks a trashed file if it is still due; false when restored or gone meanwhile.
pub async fn lock_trash_due(
    c: &dyn Conn,
    id: Uuid,
    before: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(
        query_opt(c, sql::TRASH_LOCK_DUE, &[id.into(), before.into()])
            .await?
            .is_some(),
    )
}

/// Deletes up to `limit` audit entries older than `before`.
pub async fn prune_audit(c: &dyn Conn, before: DateTime<Utc>, limit: i64) -> Result<u64, DbError> {
    c.execute(sql::AUDIT_PRUNE, &[before.into(), limit.into()])
        .await
}

/// Deletes up to `limit` finished webhook events older than `before`.
pub async fn prune_webhook_events(
    c: &dyn Conn,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<u64, DbError> {
    c.execute(sql::WEBHOOK_EVENTS_PRUNE, &[before.into(), limit.into()])
        .await
}

/// Every object key the rows of `account` refer to.
pub async fn referenced_keys(c: &dyn Conn, account: Uuid) -> Result<HashSet<String>, DbError> {
    c.query(sql::ACCOUNT_REFERENCED_KEYS, &[account.into()])
        .await?
        .iter()
        .map(|r| r.get("key"))
        .collect()
}
