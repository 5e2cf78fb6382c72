//! Claiming jobs under a lease.

use chrono::Duration;
use shared::api::jobs::ClaimedJob;
use uuid::Uuid;

use super::rows;
use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// Claims up to `limit` due jobs from `queues` for `worker`, leased for `lease_seconds`.
pub async fn claim(
    api: &Api,
    queues: Vec<String>,
    limit: i64,
    lease_seconds: i64,
    worker: &str,
) -> Result<Vec<ClaimedJob>, DbError> {
    let now = api.now();
    let rows = api
        .db()
        .query(
            sql::JOB_CLAIM,
            &[
                queues.into(),
                now.into(),
                limit.into(),
                worker.into(),
                (now + Duration::seconds(lease_seconds)).into(),
            ],
        )
        .await?;
    rows.iter().map(rows::claimed).collect()
}

/// Claims one job by id (push transports deliver ids); `None` if it is not claimable.
pub async fn claim_by_id(
    api: &Api,
    id: Uuid,
    lease_seconds: i64,
    worker: &str,
) -> Result<Option<ClaimedJob>, DbError> {
    let now = api.now();
    let rows = api
        .db()
        .query(
            sql::JOB_CLAIM_BY_ID,
            &[
                id.into(),
                now.into(),
                worker.into(),
                (now + Duration::seconds(lease_seconds)).into(),
            ],
        )
        .await?;
    rows.first().map(rows::claimed).transpose()
}
