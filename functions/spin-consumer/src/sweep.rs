//! The cron sweep: what the every-minute trigger runs. It re-announces the jobs a lost
//! announcement left waiting (`relay`), and enqueues the cron table's due ticks (rescue,
//! relay, prune), which are then announced and run like any job.
//!
//! The relay is called directly as well as being in the table: it is what recovers lost
//! announcements, so it must not itself depend on an announcement arriving.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jobs::client::{BackendApiClient, ClientError};
use jobs::retry::with_api_retry;
use jobs::schedule::{SCHEDULES, ScheduleError, Scheduler};

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Jobs the relay re-announced.
    pub relayed: u64,
    /// Cron ticks enqueued (each exactly once across sweeps: idempotency keys).
    pub ticks: usize,
}

/// Why a sweep failed. The next sweep, a minute later, tries again.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The cron table does not parse (a bug in `jobs::schedule::SCHEDULES`).
    #[error(transparent)]
    Table(#[from] ScheduleError),
    /// A call failed even after retries; the other part still ran.
    #[error("relay: {relay}; schedule: {schedule}")]
    Calls {
        /// The relay's result.
        relay: CallResult,
        /// The scheduler's result.
        schedule: CallResult,
    },
}

/// One part's result, for `SweepError`'s message.
#[derive(Debug)]
pub enum CallResult {
    /// It worked; this many jobs or ticks.
    Ok(u64),
    /// It failed.
    Failed(ClientError),
}

impl std::fmt::Display for CallResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallResult::Ok(n) => write!(f, "ok ({n})"),
            CallResult::Failed(e) => write!(f, "failed: {e}"),
        }
    }
}

/// Runs the relay and the cron table's ticks due at `now`.
pub async fn sweep(
    client: Arc<BackendApiClient>,
    now: DateTime<Utc>,
) -> Result<SweepReport, SweepError> {
    // Checked once, so that each attempt below can build its scheduler afresh from the same
    // `now`: a retry then sends the same ticks under the same idempotency keys.
    Scheduler::new(client.clone(), SCHEDULES, now)?;
    let relay = with_api_retry(3, || client.relay()).await;
    let schedule = with_api_retry(3, || {
        let client = client.clone();
        async move {
            let mut scheduler = Scheduler::new(client, SCHEDULES, now)
                .map_err(|e| ClientError::Decode(e.to_string()))?;
            scheduler.run_once(now).await
        }
    })
    .await;
    match (relay, schedule) {
        (Ok(relay), Ok(ticks)) => Ok(SweepReport {
            relayed: relay.pushed,
            ticks,
        }),
        (relay, schedule) => Err(SweepError::Calls {
            relay: relay.map_or_else(CallResult::Failed, |r| CallResult::Ok(r.pushed)),
            schedule: schedule.map_or_else(CallResult::Failed, |n| {
                CallResult::Ok(u64::try_from(n).unwrap_or(u64::MAX))
            }),
        }),
    }
}

/// The time a cron event stands for: the trigger's `timestamp` (seconds since the epoch, when
/// it fired), so a slow start still sweeps the minute it was fired for; `now` if the
/// timestamp is not a time.
pub fn fired_at(timestamp: u64, now: DateTime<Utc>) -> DateTime<Utc> {
    i64::try_from(timestamp)
        .ok()
        .filter(|&t| t > 0)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or(now)
}
