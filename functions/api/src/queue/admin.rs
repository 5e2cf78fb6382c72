//! Operators' views and actions. `scope` is the account whose jobs the caller may see, or
//! `None` for a platform admin (every account's and the platform's own jobs).

use std::collections::BTreeMap;

use chrono::{DurationRound, TimeDelta};
use shared::api::jobs::{Job, QueueHistoryPoint, QueueSummary};
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

/// Queue `queue`'s finished jobs per minute over the last `minutes` minutes (the current,
/// partial minute last), for the jobs in `scope`; `None` if there is no such queue.
pub async fn history(
    api: &Api,
    queue: &str,
    minutes: u16,
    scope: Option<Uuid>,
) -> Result<Option<Vec<QueueHistoryPoint>>, DbError> {
    let minute = TimeDelta::minutes(1);
    let now = api.now();
    // Truncating a UTC instant to a whole minute only fails out of chrono's range; the instant
    // itself is then the best start there is.
    let current = now.duration_trunc(minute).unwrap_or(now);
    let until = current + minute;
    let from = until - TimeDelta::minutes(i64::from(minutes));
    let rows = api
        .db()
        .query(
            sql::JOB_HISTORY_BY_MINUTE,
            &[queue.into(), from.into(), until.into(), scope.into()],
        )
        .await?;
    // Every minute has a row, so an empty answer can only mean the queue does not exist.
    if rows.is_empty() {
        return Ok(None);
    }
    rows.iter()
        .map(|r| {
            Ok(QueueHistoryPoint {
                minute: r.get("minute")?,
                completed: r.get("completed")?,
                dead: r.get("dead")?,
                wait_ms_avg: r.get("wait_ms_avg")?,
                run_ms_avg: r.get("run_ms_avg")?,
            })
        })
        .collect::<Result<_, DbError>>()
        .map(Some)
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
