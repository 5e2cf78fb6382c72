//! Failing jobs: the API, not the consumer, decides when a job runs again (the retry policy in
//! `shared`) and when it is dead.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use shared::job::JobState;
use shared::retry_policy::backoff_seconds;
use uuid::Uuid;

use super::executions::{self, Finished};
use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// One reported failure.
#[derive(Debug, Clone)]
pub struct Failed {
    /// Job.
    pub id: Uuid,
    /// What went wrong (stored in the job's error history).
    pub error: String,
    /// An API error (408, 429, 5xx from the API): the short fixed backoff.
    pub api_error: bool,
    /// Straight to dead.
    pub discard: bool,
}

/// Records failures; returns each job's new state and next run (absent ids were not held).
pub async fn fail(
    api: &Api,
    worker: &str,
    failures: Vec<Failed>,
) -> Result<HashMap<Uuid, (JobState, DateTime<Utc>)>, DbError> {
    let now = api.now();
    let ids: Vec<Uuid> = failures.iter().map(|f| f.id).collect();
    let tx = api.db().begin().await?;
    let held = tx
        .query(sql::JOB_FAIL_LOCK, &[ids.into(), worker.into(), now.into()])
        .await?;
    let mut attempts: HashMap<Uuid, (i64, i64)> = HashMap::new();
    let mut labels: HashMap<Uuid, Labels> = HashMap::new();
    for row in &held {
        attempts.insert(
            row.get("id")?,
            (row.get("attempts")?, row.get("max_attempts")?),
        );
        labels.insert(
            row.get("id")?,
            Labels {
                queue: row.get("queue")?,
                job_type: row.get("job_type")?,
                account_id: row.get("account_id")?,
                started_at: row.get("started_at")?,
                run_seconds: row.get("run_seconds")?,
            },
        );
    }
    let mut errors: HashMap<Uuid, String> = HashMap::new();
    let mut out = HashMap::new();
    for f in failures {
        let Some(&(made, allowed)) = attempts.get(&f.id) else {
            continue;
        };
        let (state, run_at) = if f.discard || made >= allowed {
            (JobState::Dead, now)
        } else {
            let jitter = api.random::<1>()[0];
            let wait =
                backoff_seconds(u32::try_from(made).unwrap_or(u32::MAX), f.api_error, jitter);
            (
                JobState::Retryable,
                now + Duration::seconds(i64::try_from(wait).unwrap_or(i64::MAX / 2)),
            )
        };
        let error: String = f.error.chars().take(4000).collect();
        errors.insert(f.id, error.clone());
        tx.execute(
            sql::JOB_FAIL,
            &[
                f.id.into(),
                now.into(),
                state.as_str().into(),
                run_at.into(),
                error.into(),
            ],
        )
        .await?;
        out.insert(f.id, (state, run_at));
    }
    tx.commit().await?;
    let mut finished = Vec::with_capacity(out.len());
    for (id, (state, _)) in &out {
        if let Some(l) = labels.remove(id) {
            api.metrics()
                .record_job(&l.queue, &l.job_type, state.as_str(), l.run_seconds);
            let made = attempts.get(id).map_or(0, |(made, _)| *made);
            finished.push(Finished::new(
                *id,
                l.queue,
                l.job_type,
                l.account_id,
                made,
                l.started_at,
                now,
                state.as_str(),
                errors.remove(id),
            ));
        }
    }
    executions::record(api, finished).await;
    Ok(out)
}

/// What a failure is filed under, read while locking the job.
struct Labels {
    queue: String,
    job_type: String,
    account_id: Option<Uuid>,
    started_at: DateTime<Utc>,
    run_seconds: f64,
}
