//! Execution tracking: the newest runs of each job type (start, duration, outcome), kept in the
//! cache as capped lists, one platform-wide and one per account, so an account's operators see
//! their own runs only.
//!
//! Recording is best effort: the job's state in Postgres is the truth, and a cache outage must
//! not fail a completion, so errors are logged and dropped.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use shared::api::jobs::JobRun;
use uuid::Uuid;

use crate::Api;
use crate::ports::CacheError;

/// Runs kept per job type (ARCHITECTURE.md).
pub const KEPT_RUNS: usize = 20;

/// A finished run, with what it is filed under.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The job's type.
    pub job_type: String,
    /// The job's account (`None`: platform work).
    pub account_id: Option<Uuid>,
    /// What the list keeps.
    pub run: JobRun,
}

impl Finished {
    /// A run that started at `started_at` and ended `now` with `outcome`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        job_id: Uuid,
        queue: String,
        job_type: String,
        account_id: Option<Uuid>,
        attempt: i64,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
        outcome: &str,
        error: Option<String>,
    ) -> Self {
        Self {
            job_type,
            account_id,
            run: JobRun {
                job_id,
                queue,
                attempt,
                started_at,
                duration_ms: (now - started_at).num_milliseconds().max(0),
                outcome: outcome.to_string(),
                error,
            },
        }
    }
}

fn key(job_type: &str, account: Option<Uuid>) -> String {
    match account {
        Some(a) => format!("runs:{}:{job_type}", a.simple()),
        None => format!("runs:all:{job_type}"),
    }
}

/// Files finished runs; logs and drops cache errors.
pub async fn record(api: &Api, finished: Vec<Finished>) {
    if finished.is_empty() {
        return;
    }
    // Each list gets its runs oldest first, so the newest ends up at the head.
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &finished {
        let Ok(text) = serde_json::to_string(&f.run) else {
            continue;
        };
        lists
            .entry(key(&f.job_type, None))
            .or_default()
            .push(text.clone());
        if let Some(account) = f.account_id {
            lists
                .entry(key(&f.job_type, Some(account)))
                .or_default()
                .push(text);
        }
    }
    let lists: Vec<(String, Vec<String>)> = lists.into_iter().collect();
    if let Err(e) = api.ports().cache.push_capped(&lists, KEPT_RUNS).await {
        tracing::warn!(error = %e, runs = finished.len(), "execution tracking skipped: the cache is unavailable");
    }
}

/// The newest runs of a job type, newest first: every account's for `None` (platform admins),
/// else that account's.
pub async fn recent(
    api: &Api,
    job_type: &str,
    account: Option<Uuid>,
) -> Result<Vec<JobRun>, CacheError> {
    let items = api
        .ports()
        .cache
        .list(&key(job_type, account), KEPT_RUNS)
        .await?;
    // An entry that no longer parses (written by another version) is skipped, not an error.
    Ok(items
        .iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect())
}
