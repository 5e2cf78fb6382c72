//! Runaway loop detection: a job type that keeps running with the same arguments (a job that
//! re-enqueues itself, a retry storm) is stopped for a while instead of burning the consumers.
//!
//! Runs are counted at claim time, per account, job type and arguments, in the cache: a counter
//! lives for the policy's window from its first run. A claim that takes the count past the limit
//! trips a "disabled" key for `disable_seconds` and resets the counter, so counting starts afresh
//! once the job type is enabled again. Jobs claimed while disabled go back to `scheduled` until
//! the key expires, without spending an attempt, with the reason in their history.
//!
//! Detection fails open: when the cache cannot be reached, jobs run (and a warning is logged);
//! a loop then runs unchecked for as long as the outage lasts, which is better than stopping the
//! queue.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use shared::api::jobs::ClaimedJob;
use uuid::Uuid;

use super::claim::Claimed;
use crate::Api;
use crate::db::DbError;
use crate::ports::CacheError;
use crate::store::sql;

/// Keeps the jobs that may run now and gives the others back until their job type and
/// arguments are enabled again.
pub async fn screen(
    api: &Api,
    worker: &str,
    claimed: Vec<Claimed>,
) -> Result<Vec<ClaimedJob>, DbError> {
    let policy = api.config().runaway;
    if policy.max_runs == 0 || claimed.is_empty() {
        return Ok(claimed.into_iter().map(|c| c.job).collect());
    }
    let verdicts = match decide(api, &claimed).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "runaway detection skipped: the cache is unavailable");
            return Ok(claimed.into_iter().map(|c| c.job).collect());
        }
    };
    let mut run = Vec::with_capacity(claimed.len());
    let mut deferred: BTreeMap<DateTime<Utc>, Vec<&ClaimedJob>> = BTreeMap::new();
    for (c, verdict) in claimed.iter().zip(&verdicts) {
        match verdict {
            None => run.push(c.job.clone()),
            Some(until) => deferred.entry(*until).or_default().push(&c.job),
        }
    }
    let now = api.now();
    for (until, jobs) in deferred {
        let Some(first) = jobs.first() else { continue };
        let reason = format!(
            "runaway loop: {} ran more than {} times in {} s with these arguments; disabled until {}",
            first.job_type,
            policy.max_runs,
            policy.window_seconds,
            until.to_rfc3339()
        );
        tracing::warn!(job_type = %first.job_type, count = jobs.len(), until = %until, "runaway loop: jobs deferred");
        let ids: Vec<Uuid> = jobs.iter().map(|j| j.id).collect();
        api.db()
            .execute(
                sql::JOB_DEFER,
                &[
                    ids.into(),
                    now.into(),
                    until.into(),
                    reason.into(),
                    worker.into(),
                ],
            )
            .await?;
        for job in jobs {
            api.metrics()
                .record_job(&job.queue, &job.job_type, "deferred", 0.0);
        }
    }
    Ok(run)
}

/// For each claimed job: `None` to run it, or the time until which it must wait.
async fn decide(api: &Api, claimed: &[Claimed]) -> Result<Vec<Option<DateTime<Utc>>>, CacheError> {
    let policy = api.config().runaway;
    let cache = &api.ports().cache;
    let now = api.now();
    // Jobs grouped by what is counted, in claim order within each group.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in claimed.iter().enumerate() {
        groups.entry(subject(c)).or_default().push(i);
    }
    let subjects: Vec<&String> = groups.keys().collect();
    let off_keys: Vec<String> = subjects
        .iter()
        .map(|s| format!("runaway:off:{s}"))
        .collect();
    let offs = cache.get_many(&off_keys).await?;

    let mut verdicts = vec![None; claimed.len()];
    let mut counted: Vec<(&String, &Vec<usize>)> = Vec::new();
    for ((subject, members), off) in groups.iter().zip(offs) {
        match off {
            Some(until) => {
                let until = DateTime::parse_from_rfc3339(&until)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|_| now + seconds(policy.disable_seconds));
                for &i in members {
                    verdicts[i] = Some(until);
                }
            }
            None => counted.push((subject, members)),
        }
    }
    if counted.is_empty() {
        return Ok(verdicts);
    }
    let counters: Vec<(String, i64)> = counted
        .iter()
        .map(|(s, m)| {
            (
                format!("runaway:n:{s}"),
                i64::try_from(m.len()).unwrap_or(i64::MAX),
            )
        })
        .collect();
    let totals = cache
        .incr_many_with_ttl(&counters, policy.window_seconds)
        .await?;
    let limit = i64::from(policy.max_runs);
    for ((subject, members), total) in counted.into_iter().zip(totals) {
        if total <= limit {
            continue;
        }
        // This claim tripped it: the runs still within the limit go ahead, the rest wait.
        let before = total - i64::try_from(members.len()).unwrap_or(i64::MAX);
        let allowed = usize::try_from((limit - before).max(0)).unwrap_or(0);
        let until = now + seconds(policy.disable_seconds);
        cache
            .set_ex(
                &format!("runaway:off:{subject}"),
                &until.to_rfc3339(),
                policy.disable_seconds.max(1),
            )
            .await?;
        cache.del(&format!("runaway:n:{subject}")).await?;
        for &i in members.iter().skip(allowed) {
            verdicts[i] = Some(until);
        }
    }
    Ok(verdicts)
}

/// What runs are counted by: account, job type and arguments.
fn subject(c: &Claimed) -> String {
    let account = c
        .job
        .account_id
        .map_or_else(|| "platform".to_string(), |a| a.simple().to_string());
    format!("{account}:{}:{}", c.job.job_type, c.args_hash)
}

fn seconds(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2))
}
