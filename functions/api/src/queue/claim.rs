//! Claiming jobs under a lease.

use chrono::Duration;
use shared::api::jobs::ClaimedJob;
use uuid::Uuid;

use super::rows;
use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// A claimed job and the hash of its arguments (runaway detection counts runs by it).
#[derive(Debug, Clone)]
pub struct Claimed {
    /// What the consumer gets.
    pub job: ClaimedJob,
    /// MD5 of the arguments' canonical text: identifies "the same arguments", not a secret.
    pub args_hash: String,
}

fn claimed(row: &crate::db::Row) -> Result<Claimed, DbError> {
    Ok(Claimed {
        job: rows::claimed(row)?,
        args_hash: row.get("args_hash")?,
    })
}

/// Claims up to `limit` due jobs from `queues` for `worker`, leased for `lease_seconds`.
pub async fn claim(
    api: &Api,
    queues: Vec<String>,
    limit: i64,
    lease_seconds: i64,
    worker: &str,
) -> Result<Vec<Claimed>, DbError> {
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
    rows.iter().map(claimed).collect()
}

/// Claims one job by id (push transports deliver ids); `None` if it is not claimable.
pub async fn claim_by_id(
    api: &Api,
    id: Uuid,
    lease_seconds: i64,
    worker: &str,
) -> Result<Option<Claimed>, DbError> {
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
    rows.first().map(claimed).transpose()
}
