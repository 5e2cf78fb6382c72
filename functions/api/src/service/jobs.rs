//! The queue's rules as the admin and worker routes see them: validation, scoping to the
//! caller's account, and the answers' shapes. The store itself is `crate::queue`.

use std::collections::HashSet;

use chrono::Duration;
use shared::api::jobs::{
    BatchOutcome, ClaimByIdRequest, ClaimRequest, ClaimedJob, CompleteRequest, Enqueue,
    EnqueueBatchRequest, EnqueueRequest, FailRequest, HeartbeatRequest, IdempotencyRequest,
    IdempotencyState, Job, JobRun, PruneReport, PruneRequest, QueueHistoryPoint, QueueSummary,
    RelayReport, RescueReport, SnoozeRequest,
};
use shared::job::{self, JobState};
use shared::pagination::{PageRequest, Pagination};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::queue::enqueue::{Enqueued, NewJob};
use crate::queue::{
    self, DEFAULT_LEASE_SECONDS, MAX_BATCH, MAX_LEASE_SECONDS, MIN_LEASE_SECONDS, fail::Failed,
};
use crate::service::validate::Checks;

/// The account whose jobs the caller sees, or `None` for a platform admin.
fn scope(ctx: &Ctx<'_>) -> ApiResult<Option<Uuid>> {
    let user = ctx.user()?;
    Ok(if user.is_platform("jobs.read") {
        None
    } else {
        Some(user.account_id)
    })
}

/// Queues with counts (the caller's jobs only, unless platform admin).
pub async fn summaries(ctx: &Ctx<'_>) -> ApiResult<Vec<QueueSummary>> {
    Ok(queue::admin::summaries(ctx.api, scope(ctx)?).await?)
}

/// Minutes of history a queue's chart may ask for: one a minute up to a day.
pub const HISTORY_MINUTES: std::ops::RangeInclusive<u16> = 1..=1440;

/// Minutes of history when the caller does not say.
pub const DEFAULT_HISTORY_MINUTES: u16 = 60;

/// A queue's throughput and latency per minute over the last `minutes` (the caller's jobs
/// only, unless platform admin), oldest first.
pub async fn history(
    ctx: &Ctx<'_>,
    name: &str,
    minutes: Option<&str>,
) -> ApiResult<Vec<QueueHistoryPoint>> {
    let minutes = match minutes {
        None => DEFAULT_HISTORY_MINUTES,
        // Digits only: `parse` alone would also take a leading `+`.
        Some(m) => Some(m)
            .filter(|m| m.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|m| m.parse::<u16>().ok())
            .filter(|m| HISTORY_MINUTES.contains(m))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`minutes` must be a whole number from {} to {}",
                    HISTORY_MINUTES.start(),
                    HISTORY_MINUTES.end()
                ))
            })?,
    };
    queue::admin::history(ctx.api, name, minutes, scope(ctx)?)
        .await?
        .ok_or_else(|| ApiError::not_found("queue"))
}

/// A page of jobs.
pub async fn list(
    ctx: &Ctx<'_>,
    queue: Option<String>,
    state: Option<String>,
    page: PageRequest,
) -> ApiResult<(Vec<Job>, Pagination)> {
    let state = match state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(JobState::parse(s).ok_or_else(|| {
            ApiError::bad_request("`state` must be one of scheduled, available, running, retryable, completed, dead, cancelled")
        })?),
    };
    let queue = queue.filter(|q| !q.is_empty());
    let (jobs, total) = queue::admin::list(
        ctx.api,
        scope(ctx)?,
        queue,
        state,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    Ok((jobs, page.meta(u64::try_from(total).unwrap_or(0))))
}

/// One job.
pub async fn get(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Job> {
    queue::admin::get(ctx.api, id, scope(ctx)?)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))
}

/// Retries a dead or retryable job now.
pub async fn retry(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Job> {
    let scope = scope(ctx)?;
    let job = queue::admin::get(ctx.api, id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    if !queue::admin::retry(ctx.api, id, scope).await? {
        return Err(ApiError::conflict(format!(
            "a {} job cannot be retried; only dead or retryable ones",
            job.state.as_str()
        )));
    }
    get(ctx, id).await
}

/// Moves a waiting job to dead.
pub async fn discard(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Job> {
    let scope = scope(ctx)?;
    let job = queue::admin::get(ctx.api, id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    if !queue::admin::discard(ctx.api, id, scope).await? {
        return Err(ApiError::conflict(format!(
            "a {} job cannot be discarded; only scheduled, available or retryable ones",
            job.state.as_str()
        )));
    }
    get(ctx, id).await
}

/// The newest runs of a registered job type (the caller's account's, unless platform admin).
pub async fn runs(ctx: &Ctx<'_>, job_type: &str) -> ApiResult<Vec<JobRun>> {
    if !job::is_registered(job_type) {
        return Err(ApiError::not_found("job type"));
    }
    Ok(queue::executions::recent(ctx.api, job_type, scope(ctx)?).await?)
}

/// Pauses or resumes a queue (platform admins only: queues are shared by every account).
pub async fn set_paused(ctx: &Ctx<'_>, name: &str, paused: bool) -> ApiResult<QueueSummary> {
    if !queue::admin::set_paused(ctx.api, name, paused).await? {
        return Err(ApiError::not_found("queue"));
    }
    if !paused {
        // Push transports (Workers, Spin) deliver what waited at once, as polling consumers
        // find it at once natively. An announcement is a hint: if it fails, the queue is
        // resumed all the same and the relay delivers within a minute or so.
        match queue::push::announce_queue(ctx.api, name).await {
            Ok(announced) => tracing::info!(queue = name, announced, "queue resumed"),
            Err(e) => tracing::warn!(
                queue = name,
                error = %e,
                "queue resumed; its waiting jobs are left to the relay"
            ),
        }
    }
    summaries(ctx)
        .await?
        .into_iter()
        .find(|q| q.name == name)
        .ok_or_else(|| ApiError::not_found("queue"))
}

/// Validates an enqueue request into a job for `account` (`None`: platform work). Field errors
/// are named `{prefix}field`, so a batch can say which item was wrong.
fn new_job(
    checks: &mut Checks,
    prefix: &str,
    req: EnqueueRequest,
    account: Option<Uuid>,
) -> NewJob {
    let field = |name: &str| format!("{prefix}{name}");
    let job_type = match req.job_type {
        Some(t) if job::is_registered(&t) => t,
        Some(_) => {
            checks.fail(
                &field("job_type"),
                format!(
                    "unknown job type; registered: {}",
                    job::JOB_TYPES.join(", ")
                ),
            );
            String::new()
        }
        None => {
            checks.fail(&field("job_type"), "is required");
            String::new()
        }
    };
    let args = req.args.unwrap_or_else(|| serde_json::json!({}));
    if !args.is_object() {
        checks.fail(&field("args"), "must be a JSON object");
    }
    let max_attempts = req
        .max_attempts
        .unwrap_or(i64::from(job::DEFAULT_MAX_ATTEMPTS));
    if !(1..=100).contains(&max_attempts) {
        checks.fail(&field("max_attempts"), "must be between 1 and 100");
    }
    if req.priority.is_some_and(|p| !(0..=10).contains(&p)) {
        checks.fail(&field("priority"), "must be between 0 and 10");
    }
    if req
        .idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.chars().count() > 255)
    {
        checks.fail(&field("idempotency_key"), "must be 1 to 255 characters");
    }
    NewJob {
        account_id: account,
        queue: req.queue.unwrap_or_else(|| "default".into()),
        job_type,
        args,
        run_at: req.run_at,
        max_attempts: i32::try_from(max_attempts).unwrap_or(job::DEFAULT_MAX_ATTEMPTS),
        priority: req.priority.and_then(|p| i32::try_from(p).ok()),
        idempotency_key: req.idempotency_key,
    }
}

fn enqueued_id(outcome: Enqueued, prefix: &str) -> ApiResult<(Uuid, bool)> {
    match outcome {
        Enqueued::Created(id) => Ok((id, true)),
        Enqueued::Existing(id) => Ok((id, false)),
        Enqueued::KeyConflict => Err(ApiError::conflict(format!(
            "{prefix}idempotency key was used with another request"
        ))),
        Enqueued::UnknownQueue => Err(ApiError::invalid_field(
            &format!("{prefix}queue"),
            "no such queue",
        )),
    }
}

/// Enqueues a registered job type. `Ok((job, true))` when created, `(job, false)` when the
/// idempotency key and body matched an existing job.
pub async fn enqueue(ctx: &Ctx<'_>, req: EnqueueRequest) -> ApiResult<(Job, bool)> {
    let user = ctx.user()?;
    let account = (!user.is_platform("jobs.manage")).then_some(user.account_id);
    let mut checks = Checks::new();
    let new = new_job(&mut checks, "", req, account);
    checks.finish()?;
    let (id, created) = enqueued_id(
        queue::enqueue::enqueue(ctx.api, ctx.api.db(), &new).await?,
        "",
    )?;
    if created {
        queue::push::announce(ctx.api, vec![(id, new.queue.clone(), new.run_at)]).await;
    }
    let job = queue::admin::get(ctx.api, id, None)
        .await?
        .ok_or_else(|| ApiError::internal("enqueued job vanished"))?;
    Ok((job, created))
}

/// Enqueues a batch of platform jobs for a consumer or the scheduler, in one transaction: all
/// or nothing.
pub async fn enqueue_batch(ctx: &Ctx<'_>, req: EnqueueBatchRequest) -> ApiResult<Vec<Enqueue>> {
    let mut checks = Checks::new();
    let items = batch(&mut checks, "jobs", req.jobs);
    let jobs: Vec<NewJob> = items
        .into_iter()
        .enumerate()
        .map(|(i, r)| new_job(&mut checks, &format!("jobs[{i}]."), r, None))
        .collect();
    checks.finish()?;
    let tx = ctx.api.db().begin().await?;
    let outcomes = queue::enqueue::enqueue_many(ctx.api, &*tx, &jobs).await?;
    let mut out = Vec::with_capacity(outcomes.len());
    let mut fresh = Vec::new();
    for (i, (outcome, job)) in outcomes.into_iter().zip(&jobs).enumerate() {
        match enqueued_id(outcome, &format!("jobs[{i}].")) {
            Ok((id, created)) => {
                if created {
                    fresh.push((id, job.queue.clone(), job.run_at));
                }
                out.push(Enqueue { id, created });
            }
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e);
            }
        }
    }
    tx.commit().await?;
    queue::push::announce(ctx.api, fresh).await;
    Ok(out)
}

fn worker_id(checks: &mut Checks, value: &Option<String>) -> String {
    match value.as_deref().map(str::trim) {
        Some(w) if !w.is_empty() && w.len() <= 200 => w.to_string(),
        Some(_) => {
            checks.fail("worker_id", "must be 1 to 200 characters");
            String::new()
        }
        None => {
            checks.fail("worker_id", "is required");
            String::new()
        }
    }
}

fn lease(checks: &mut Checks, value: Option<i64>) -> i64 {
    let seconds = value.unwrap_or(DEFAULT_LEASE_SECONDS);
    if !(MIN_LEASE_SECONDS..=MAX_LEASE_SECONDS).contains(&seconds) {
        checks.fail(
            "lease_seconds",
            format!("must be between {MIN_LEASE_SECONDS} and {MAX_LEASE_SECONDS}"),
        );
    }
    seconds
}

fn batch<T>(checks: &mut Checks, field: &str, value: Option<Vec<T>>) -> Vec<T> {
    match value {
        Some(v) if !v.is_empty() && v.len() <= MAX_BATCH => v,
        Some(_) => {
            checks.fail(field, format!("must hold 1 to {MAX_BATCH} items"));
            Vec::new()
        }
        None => {
            checks.fail(field, "is required");
            Vec::new()
        }
    }
}

/// Claims due jobs for a consumer.
pub async fn claim(ctx: &Ctx<'_>, req: ClaimRequest) -> ApiResult<Vec<ClaimedJob>> {
    let mut checks = Checks::new();
    let queues = batch(&mut checks, "queues", req.queues);
    let limit = req.limit.unwrap_or(1);
    if !(1..=i64::try_from(MAX_BATCH).unwrap_or(i64::MAX)).contains(&limit) {
        checks.fail("limit", format!("must be between 1 and {MAX_BATCH}"));
    }
    let lease_seconds = lease(&mut checks, req.lease_seconds);
    let worker = worker_id(&mut checks, &req.worker_id);
    let wait = req.wait_seconds.unwrap_or(0);
    if !(0..=MAX_WAIT_SECONDS).contains(&wait) {
        checks.fail(
            "wait_seconds",
            format!("must be between 0 and {MAX_WAIT_SECONDS}"),
        );
    }
    checks.finish()?;
    let api = ctx.api;
    let signal = &api.ports().job_signal;
    let deadline = api.now() + Duration::seconds(wait);
    loop {
        let generation = signal.generation();
        let claimed =
            queue::claim::claim(api, queues.clone(), limit, lease_seconds, &worker).await?;
        let took_some = !claimed.is_empty();
        let jobs = queue::runaway::screen(api, &worker, claimed).await?;
        if jobs.is_empty() && took_some {
            // Everything taken was deferred as a runaway; others may be due right behind them.
            continue;
        }
        let remaining = (deadline - api.now()).to_std().unwrap_or_default();
        if !jobs.is_empty() || remaining.is_zero() || !signal.can_wait() {
            return Ok(jobs);
        }
        signal.wait(generation, remaining).await;
    }
}

/// Longest long-poll a claim may ask for.
pub const MAX_WAIT_SECONDS: i64 = 30;

/// Claims one job by id (`None` if it is not claimable now).
pub async fn claim_by_id(
    ctx: &Ctx<'_>,
    id: Uuid,
    req: ClaimByIdRequest,
) -> ApiResult<Option<ClaimedJob>> {
    let mut checks = Checks::new();
    let lease_seconds = lease(&mut checks, req.lease_seconds);
    let worker = worker_id(&mut checks, &req.worker_id);
    checks.finish()?;
    let claimed = queue::claim::claim_by_id(ctx.api, id, lease_seconds, &worker).await?;
    let mut run = queue::runaway::screen(ctx.api, &worker, claimed.into_iter().collect()).await?;
    Ok(run.pop())
}

fn outcomes(ids: &[Uuid], done: &HashSet<Uuid>, state: JobState) -> Vec<BatchOutcome> {
    ids.iter()
        .map(|id| BatchOutcome {
            id: *id,
            state: done.contains(id).then_some(state),
            run_at: None,
        })
        .collect()
}

/// Extends leases.
pub async fn heartbeat(ctx: &Ctx<'_>, req: HeartbeatRequest) -> ApiResult<Vec<BatchOutcome>> {
    let mut checks = Checks::new();
    let ids = batch(&mut checks, "ids", req.ids);
    let lease_seconds = lease(&mut checks, req.lease_seconds);
    let worker = worker_id(&mut checks, &req.worker_id);
    checks.finish()?;
    let held = queue::lease::heartbeat(ctx.api, &worker, ids.clone(), lease_seconds).await?;
    Ok(outcomes(&ids, &held, JobState::Running))
}

/// Completes jobs.
pub async fn complete(ctx: &Ctx<'_>, req: CompleteRequest) -> ApiResult<Vec<BatchOutcome>> {
    let mut checks = Checks::new();
    let jobs = batch(&mut checks, "jobs", req.jobs);
    let worker = worker_id(&mut checks, &req.worker_id);
    if jobs.iter().any(|j| j.id.is_none()) {
        checks.fail("jobs", "every item needs an id");
    }
    checks.finish()?;
    let items: Vec<(Uuid, Option<serde_json::Value>)> = jobs
        .into_iter()
        .filter_map(|j| Some((j.id?, j.result)))
        .collect();
    let ids: Vec<Uuid> = items.iter().map(|(id, _)| *id).collect();
    let done = queue::complete::complete(ctx.api, &worker, items).await?;
    Ok(outcomes(&ids, &done, JobState::Completed))
}

/// Records failures; the API decides the retry time or dead.
pub async fn fail(ctx: &Ctx<'_>, req: FailRequest) -> ApiResult<Vec<BatchOutcome>> {
    let mut checks = Checks::new();
    let jobs = batch(&mut checks, "jobs", req.jobs);
    let worker = worker_id(&mut checks, &req.worker_id);
    if jobs
        .iter()
        .any(|j| j.id.is_none() || j.error.as_deref().is_none_or(str::is_empty))
    {
        checks.fail("jobs", "every item needs an id and an error");
    }
    checks.finish()?;
    let failures: Vec<Failed> = jobs
        .into_iter()
        .filter_map(|j| {
            Some(Failed {
                id: j.id?,
                error: j.error?,
                api_error: j.api_error.unwrap_or(false),
                discard: j.discard.unwrap_or(false),
            })
        })
        .collect();
    let ids: Vec<Uuid> = failures.iter().map(|f| f.id).collect();
    let result = queue::fail::fail(ctx.api, &worker, failures).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let found = result.get(id);
            BatchOutcome {
                id: *id,
                state: found.map(|(s, _)| *s),
                run_at: found.map(|(_, at)| *at),
            }
        })
        .collect())
}

/// Puts held jobs back for later without spending the attempt.
pub async fn snooze(ctx: &Ctx<'_>, req: SnoozeRequest) -> ApiResult<Vec<BatchOutcome>> {
    let mut checks = Checks::new();
    let ids = batch(&mut checks, "ids", req.ids);
    let worker = worker_id(&mut checks, &req.worker_id);
    let seconds = match req.seconds {
        Some(s) if (0..=86_400).contains(&s) => s,
        _ => {
            checks.fail("seconds", "must be between 0 and 86400");
            0
        }
    };
    checks.finish()?;
    let done = queue::lease::snooze(ctx.api, &worker, ids.clone(), seconds).await?;
    let run_at = ctx.api.now() + Duration::seconds(seconds);
    Ok(ids
        .iter()
        .map(|id| BatchOutcome {
            id: *id,
            state: done.contains(id).then_some(JobState::Scheduled),
            run_at: done.contains(id).then_some(run_at),
        })
        .collect())
}

/// Rescues jobs whose lease ran out (the scheduler's `maintenance.rescue`).
pub async fn rescue(ctx: &Ctx<'_>) -> ApiResult<RescueReport> {
    let r = queue::rescuer::run_once(ctx.api).await?;
    Ok(RescueReport {
        retried: r.retried as u64,
        dead: r.dead as u64,
    })
}

/// Re-announces jobs a push transport lost (the scheduler's `maintenance.relay`).
pub async fn relay(ctx: &Ctx<'_>) -> ApiResult<RelayReport> {
    let pushed = queue::push::relay(ctx.api).await?;
    Ok(RelayReport {
        pushed: u64::try_from(pushed).unwrap_or(0),
    })
}

/// The retention `prune_jobs` accepts: a minute to ten years.
pub const PRUNE_RETENTION_SECONDS: std::ops::RangeInclusive<i64> = 60..=10 * 365 * 86_400;

/// Deletes completed jobs past retention (the scheduler's `maintenance.prune_jobs`).
pub async fn prune(ctx: &Ctx<'_>, req: PruneRequest) -> ApiResult<PruneReport> {
    let seconds = req
        .older_than_seconds
        .unwrap_or(queue::pruner::DEFAULT_RETENTION.num_seconds());
    // The upper bound keeps `now - retention` inside chrono's range (beyond it chrono panics).
    let retention = Some(seconds)
        .filter(|s| PRUNE_RETENTION_SECONDS.contains(s))
        .and_then(Duration::try_seconds)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "older_than_seconds",
                format!(
                    "must be from {} to {}",
                    PRUNE_RETENTION_SECONDS.start(),
                    PRUNE_RETENTION_SECONDS.end()
                ),
            )
        })?;
    let deleted = queue::pruner::run_once(ctx.api, retention).await?;
    Ok(PruneReport { deleted })
}

/// How long an effect is remembered unless told otherwise.
pub const IDEMPOTENCY_TTL_SECONDS: i64 = 7 * 24 * 3600;

fn idempotency_key(checks: &mut Checks, key: &Option<String>) -> String {
    match key.as_deref() {
        Some(k) if !k.is_empty() && k.chars().count() <= 255 => format!("idem:{k}"),
        _ => {
            checks.fail("key", "must be 1 to 255 characters");
            String::new()
        }
    }
}

/// Whether an effect's key was marked done (`already_processed`).
pub async fn idempotency_check(
    ctx: &Ctx<'_>,
    req: IdempotencyRequest,
) -> ApiResult<IdempotencyState> {
    let mut checks = Checks::new();
    let key = idempotency_key(&mut checks, &req.key);
    checks.finish()?;
    let processed = ctx.api.ports().cache.get(&key).await?.is_some();
    Ok(IdempotencyState {
        key: req.key.unwrap_or_default(),
        processed,
    })
}

/// Marks an effect's key done (`mark_processed`); atomic, so of two racing marks exactly one is
/// told `processed: true`.
pub async fn idempotency_mark(
    ctx: &Ctx<'_>,
    req: IdempotencyRequest,
) -> ApiResult<IdempotencyState> {
    let mut checks = Checks::new();
    let key = idempotency_key(&mut checks, &req.key);
    let ttl = req.ttl_seconds.unwrap_or(IDEMPOTENCY_TTL_SECONDS);
    if !(60..=30 * 24 * 3600).contains(&ttl) {
        checks.fail("ttl_seconds", "must be between 60 and 2592000");
    }
    checks.finish()?;
    let first = ctx
        .api
        .ports()
        .cache
        .set_nx_ex(&key, "1", u64::try_from(ttl).unwrap_or(60))
        .await?;
    Ok(IdempotencyState {
        key: req.key.unwrap_or_default(),
        processed: first,
    })
}

/// Jobs queued in a transaction, announced after it commits (`queue::push::announce`).
pub(crate) type Announce = Vec<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)>;

/// Queues one of the platform's own jobs (`job_type` on `queue_name`, for `account`) in the
/// caller's transaction; returns what to announce after commit. The queue is one the
/// migrations seed, so its absence is a fault of the deployment, not of the request.
pub(crate) async fn enqueue_platform_job(
    api: &crate::Api,
    c: &dyn crate::ports::Conn,
    account: Uuid,
    queue_name: &str,
    job_type: &str,
    args: serde_json::Value,
) -> ApiResult<Announce> {
    let mut job = NewJob::new(job_type, args);
    job.account_id = Some(account);
    job.queue = queue_name.into();
    match crate::queue::enqueue::enqueue(api, c, &job).await? {
        Enqueued::Created(id) | Enqueued::Existing(id) => Ok(vec![(id, job.queue, None)]),
        Enqueued::KeyConflict | Enqueued::UnknownQueue => Err(ApiError::internal(format!(
            "the {queue_name} queue is missing"
        ))),
    }
}
