//! Operators' views and actions. `scope` is the account whose jobs the caller may see, or
//! `None` for a platform admin (every account's and the platform's own jobs).

use std::collections::BTreeMap;

use shared::api::jobs::{Job, QueueSummary};
use shared::job::JobState;
use uuid::Uuid;

use super::rows;
use crate::Api;
use crate::db::DbError;
use crate::store::{query_one, query_opt, sql};

/// A job, if visible in `scope`.
pub async fn get(api: &Api, id: Uuid, scope: Option<Uuid>) -> Result<Option<Job>, DbError> {
    query_opt(api.db(), sql::JOB_GET, &[id.into(), scope.into()])
        .await?
        .map(|r| rows::job(&r))
        .transpose()
}

/// A page of jobs, newest first, and the total.
pub async fn list(
    api: &Api,
    scope: Option<Uuid>,
    queue: Option<String>,
    state: Option<JobState>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Job>, i64), DbError> {
    let state = state.map(JobState::as_str);
    let filters = [scope.into(), queue.clone().into(), state.into()];
    let total: i64 = query_one(api.db(), sql::JOB_LIST_COUNT, &filters)
        .await?
        .get("total")?;
    let rows = api
        .db()
        .query(
            sql::JOB_LIST,
            &[
                scope.into(),
                queue.into(),
                state.into(),
                limit.into(),
                offset.into(),
            ],
        )
        .await?;
    Ok((rows.iter().map(rows::job).collect::<Result<_, _>>()?, total))
}

/// Runs a dead or retryable job now; false if it is not in one of those states (or not visible).
pub async fn retry(api: &Api, id: Uuid, scope: Option<Uuid>) -> Result<bool, DbError> {
    Ok(!api
        .db()
        .query(sql::JOB_RETRY, &[id.into(), api.now().into(), scope.into()])
        .await?
        .is_empty())
}

/// Moves a waiting job to dead; false if it is running or finished (or not visible).
pub async fn discard(api: &Api, id: Uuid, scope: Option<Uuid>) -> Result<bool, DbError> {
    Ok(!api
        .db()
        .query(
            sql::JOB_DISCARD,
            &[id.into(), api.now().into(), scope.into()],
        )
        .await?
        .is_empty())
}

/// Pauses or resumes a queue; false if there is no such queue.
pub async fn set_paused(api: &Api, queue: &str, paused: bool) -> Result<bool, DbError> {
    let at = paused.then(|| api.now());
    Ok(!api
        .db()
        .query(sql::QUEUE_SET_PAUSED, &[queue.into(), at.into()])
        .await?
        .is_empty())
}

/// Every queue with its counts and throughput, for the jobs in `scope`.
pub async fn summaries(api: &Api, scope: Option<Uuid>) -> Result<Vec<QueueSummary>, DbError> {
    let now = api.now();
    let db = api.db();
    let mut out: Vec<QueueSummary> = db
        .query(sql::QUEUE_LIST, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(QueueSummary {
                name: r.get("name")?,
                priority: r.get("priority")?,
                paused: r.get("paused")?,
                counts: JobState::ALL
                    .iter()
                    .map(|s| (s.as_str().to_string(), 0))
                    .collect::<BTreeMap<_, _>>(),
                oldest_available_age_seconds: 0.0,
                completed_last_minute: 0,
                failed_last_minute: 0,
            })
        })
        .collect::<Result<_, DbError>>()?;
    for row in db
        .query(sql::JOB_COUNTS_BY_QUEUE, &[now.into(), scope.into()])
        .await?
    {
        let queue: String = row.get("queue")?;
        if let Some(q) = out.iter_mut().find(|q| q.name == queue) {
            q.counts.insert(row.get("state")?, row.get("n")?);
        }
    }
    for row in db
        .query(sql::JOB_STATS_BY_QUEUE, &[now.into(), scope.into()])
        .await?
    {
        let queue: String = row.get("queue")?;
        if let Some(q) = out.iter_mut().find(|q| q.name == queue) {
            q.oldest_available_age_seconds = row.get("oldest_available_age_seconds")?;
            q.completed_last_minute = row.get("completed_last_minute")?;
            q.failed_last_minute = row.get("failed_last_minute")?;
        }
    }
    Ok(out)
}

/// Jobs by queue and state across every account, for `/metrics`.
pub async fn depth(api: &Api) -> Result<Vec<(String, String, i64)>, DbError> {
    let rows = api
        .db()
        .query(
            sql::JOB_COUNTS_BY_QUEUE,
            &[api.now().into(), Option::<Uuid>::None.into()],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.get("queue")?, r.get("state")?, r.get("n")?)))
        .collect()
}
