//! Keeping and giving back leases.

use std::collections::HashSet;

use chrono::Duration;
use uuid::Uuid;

use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// Extends the leases `worker` holds; returns the ids it still held.
pub async fn heartbeat(
    api: &Api,
    worker: &str,
    ids: Vec<Uuid>,
    lease_seconds: i64,
) -> Result<HashSet<Uuid>, DbError> {
    let now = api.now();
    let rows = api
        .db()
        .query(
            sql::JOB_HEARTBEAT,
            &[
                ids.into(),
                now.into(),
                (now + Duration::seconds(lease_seconds)).into(),
                worker.into(),
            ],
        )
        .await?;
    rows.iter().map(|r| r.get("id")).collect()
}

/// Puts held jobs back for `seconds` without spending the attempt; returns the ids snoozed.
pub async fn snooze(
    api: &Api,
    worker: &str,
    ids: Vec<Uuid>,
    seconds: i64,
) -> Result<HashSet<Uuid>, DbError> {
    let now = api.now();
    let rows = api
        .db()
        .query(
            sql::JOB_SNOOZE,
            &[
                ids.into(),
                now.into(),
                (now + Duration::seconds(seconds)).into(),
                worker.into(),
            ],
        )
        .await?;
    rows.iter().map(|r| r.get("id")).collect()
}
