//! Enqueueing, always inside the caller's transaction: a domain write and the job it causes
//! commit or roll back together.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use shared::job::{DEFAULT_MAX_ATTEMPTS, JobState};
use uuid::Uuid;

use crate::Api;
use crate::db::DbError;
use crate::ports::Conn;
use crate::store::{query_opt, sql};

/// How long a finished job still dedupes a new enqueue with the same idempotency key.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::hours(24);

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// The account it works for (`None`: platform work).
    pub account_id: Option<Uuid>,
    /// Queue (must exist).
    pub queue: String,
    /// A registered job type.
    pub job_type: String,
    /// Arguments (an object).
    pub args: serde_json::Value,
    /// When to run; `None` is now.
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Priority; `None` takes the queue's.
    pub priority: Option<i32>,
    /// Deduplication key.
    pub idempotency_key: Option<String>,
}

impl NewJob {
    /// A job with defaults: queue `default`, run now, four attempts.
    pub fn new(job_type: &str, args: serde_json::Value) -> Self {
        Self {
            account_id: None,
            queue: "default".into(),
            job_type: job_type.into(),
            args,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            priority: None,
            idempotency_key: None,
        }
    }

    /// The fingerprint that tells a replay (same request) from a conflict.
    fn request_hash(&self) -> Vec<u8> {
        let canonical = serde_json::json!({
            "account_id": self.account_id, "queue": self.queue, "job_type": self.job_type, "args": self.args,
            "run_at": self.run_at, "max_attempts": self.max_attempts, "priority": self.priority,
        });
        Sha256::digest(canonical.to_string().as_bytes()).to_vec()
    }
}

/// What enqueue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job.
    Created(Uuid),
    /// The same idempotency key and request were seen: this is that job.
    Existing(Uuid),
    /// The idempotency key belongs to a job enqueued with another request.
    KeyConflict,
    /// No such queue.
    UnknownQueue,
}

/// Enqueues in `c` (the caller's transaction, or the database for a job on its own).
pub async fn enqueue(api: &Api, c: &dyn Conn, job: &NewJob) -> Result<Enqueued, DbError> {
    let now = api.now();
    let hash = job.request_hash();
    if let Some(key) = &job.idempotency_key
        && let Some(found) = existing(c, key, &hash, now).await?
    {
        return Ok(found);
    }
    let id = api.new_id();
    let run_at = job.run_at.unwrap_or(now);
    let state = if run_at > now {
        JobState::Scheduled
    } else {
        JobState::Available
    };
    let inserted = c
        .execute(
            sql::JOB_INSERT,
            &[
                id.into(),
                job.account_id.into(),
                job.queue.as_str().into(),
                job.job_type.as_str().into(),
                job.args.clone().into(),
                job.priority.into(),
                state.as_str().into(),
                job.max_attempts.into(),
                run_at.into(),
                job.idempotency_key.clone().into(),
                hash.clone().into(),
                now.into(),
            ],
        )
        .await;
    match inserted? {
        0 => match &job.idempotency_key {
            // Lost a race for the key (the insert waited for the winner to commit, so its job is
            // visible now), or the queue does not exist.
            Some(key) => Ok(existing(c, key, &hash, now)
                .await?
                .unwrap_or(Enqueued::UnknownQueue)),
            None => Ok(Enqueued::UnknownQueue),
        },
        _ => Ok(Enqueued::Created(id)),
    }
}

async fn existing(
    c: &dyn Conn,
    key: &str,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<Enqueued>, DbError> {
    let Some(row) = query_opt(
        c,
        sql::JOB_FIND_BY_IDEMPOTENCY_KEY,
        &[key.into(), (now - IDEMPOTENCY_WINDOW).into()],
    )
    .await?
    else {
        return Ok(None);
    };
    let stored: Option<Vec<u8>> = row.get("request_hash")?;
    Ok(Some(if stored.as_deref() == Some(hash) {
        Enqueued::Existing(row.get("id")?)
    } else {
        Enqueued::KeyConflict
    }))
}

/// Enqueues several jobs in `c`; answers in the same order. Jobs without an idempotency key go
/// in one statement; keyed ones need their look-up and go one by one.
pub async fn enqueue_many(
    api: &Api,
    c: &dyn Conn,
    jobs: &[NewJob],
) -> Result<Vec<Enqueued>, DbError> {
    let now = api.now();
    let mut out: Vec<Option<Enqueued>> = vec![None; jobs.len()];
    let plain: Vec<(usize, Uuid, serde_json::Value)> = jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.idempotency_key.is_none())
        .map(|(i, j)| {
            let id = api.new_id();
            let run_at = j.run_at.unwrap_or(now);
            let state = if run_at > now { JobState::Scheduled } else { JobState::Available };
            let row = serde_json::json!({
                "id": id, "account_id": j.account_id, "queue": j.queue, "job_type": j.job_type, "args": j.args,
                "priority": j.priority, "state": state.as_str(), "max_attempts": j.max_attempts, "run_at": run_at,
            });
            (i, id, row)
        })
        .collect();
    if !plain.is_empty() {
        let rows = serde_json::Value::Array(plain.iter().map(|(_, _, r)| r.clone()).collect());
        let inserted: std::collections::HashSet<Uuid> = c
            .query(sql::JOB_INSERT_MANY, &[rows.into(), now.into()])
            .await?
            .iter()
            .map(|r| r.get("id"))
            .collect::<Result<_, _>>()?;
        let mut woken: Vec<String> = Vec::new();
        for (i, id, _) in &plain {
            out[*i] = Some(if inserted.contains(id) {
                Enqueued::Created(*id)
            } else {
                Enqueued::UnknownQueue
            });
            let job = &jobs[*i];
            if inserted.contains(id)
                && job.run_at.is_none_or(|t| t <= now)
                && !woken.contains(&job.queue)
            {
                woken.push(job.queue.clone());
            }
        }
        if !woken.is_empty() {
            c.execute(sql::JOB_NOTIFY_QUEUES, &[woken.into()]).await?;
        }
    }
    for (i, job) in jobs.iter().enumerate() {
        if out[i].is_none() {
            out[i] = Some(enqueue(api, c, job).await?);
        }
    }
    Ok(out.into_iter().flatten().collect())
}
