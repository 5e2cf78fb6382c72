//! Announcing jobs to push transports, after the transaction that created them committed, and
//! the relay that re-announces what a lost announcement left waiting.
//!
//! Announcements are at-least-once hints, not the queue: Postgres is. A consumer claims an
//! announced job by id, and a job already claimed or finished answers "nothing to claim", so a
//! duplicate costs one request and a lost one costs the relay's delay.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::Api;
use crate::db::DbError;
use crate::ports::ReadyJob;
use crate::store::sql;

/// How long a claimable job waits unclaimed before the relay announces it again. Longer than a
/// healthy transport takes to deliver, so the relay rarely duplicates a live announcement.
pub const RELAY_AFTER: Duration = Duration::seconds(60);

/// Most jobs one relay pass announces.
pub const RELAY_BATCH: i64 = 1000;

/// Transports delay a message at most this long (Cloudflare Queues: 12 hours); later jobs are
/// left to the relay.
const MAX_DELAY_SECONDS: i64 = 12 * 3600;

/// Announces jobs just committed: `(id, queue, run_at)`.
pub async fn announce(api: &Api, jobs: Vec<(Uuid, String, Option<DateTime<Utc>>)>) {
    let push = &api.ports().job_push;
    if !push.pushes() || jobs.is_empty() {
        return;
    }
    let now = api.now();
    let polled = push.polled_queues();
    let ready: Vec<ReadyJob> = jobs
        .into_iter()
        .filter(|(_, queue, _)| !polled.contains(queue))
        .filter_map(|(id, queue, run_at)| {
            let delay = run_at.map_or(0, |at| (at - now).num_seconds().max(0));
            (delay <= MAX_DELAY_SECONDS).then(|| ReadyJob {
                id,
                queue,
                delay_seconds: u32::try_from(delay).unwrap_or(0),
            })
        })
        .collect();
    if !ready.is_empty() {
        push.push(ready).await;
    }
}

/// Announces the waiting jobs of `queue` (at most `RELAY_BATCH`, due first), as resuming it
/// does: while it was paused their announcements found nothing to claim, and the relay would
/// only pick them up a minute later. Returns how many were announced; 0 where nothing is
/// pushed or the queue is polled.
pub async fn announce_queue(api: &Api, queue: &str) -> Result<usize, DbError> {
    let push = &api.ports().job_push;
    if !push.pushes() || push.polled_queues().iter().any(|q| q == queue) {
        return Ok(0);
    }
    let rows = api
        .db()
        .query(
            sql::JOBS_WAITING_IN_QUEUE,
            &[queue.into(), RELAY_BATCH.into()],
        )
        .await?;
    let jobs = rows
        .iter()
        .map(|r| Ok((r.get("id")?, r.get("queue")?, Some(r.get("run_at")?))))
        .collect::<Result<Vec<_>, DbError>>()?;
    let n = jobs.len();
    announce(api, jobs).await;
    Ok(n)
}

/// Jobs claimable for at least `RELAY_AFTER` and still unclaimed.
pub async fn overdue(api: &Api) -> Result<Vec<ReadyJob>, DbError> {
    let rows = api
        .db()
        .query(
            sql::JOBS_OVERDUE,
            &[
                (api.now() - RELAY_AFTER).into(),
                RELAY_BATCH.into(),
                api.ports().job_push.polled_queues().into(),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ReadyJob {
                id: r.get("id")?,
                queue: r.get("queue")?,
                delay_seconds: 0,
            })
        })
        .collect()
}

/// One relay pass (the scheduler's `maintenance.relay`): re-announces overdue jobs. Returns how
/// many were handed to the transport; 0 where nothing is pushed.
pub async fn relay(api: &Api) -> Result<usize, DbError> {
    let push = &api.ports().job_push;
    if !push.pushes() {
        return Ok(0);
    }
    let jobs = overdue(api).await?;
    if jobs.is_empty() {
        return Ok(0);
    }
    Ok(push.push(jobs).await)
}
