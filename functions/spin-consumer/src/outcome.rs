//! What happens to a job after the consumer handled its announcement, on Spin.
//!
//! `jobs::deliver` answers as a queue would want (`Ack`, `RetryIn`, `DeadLetter`), but a Redis
//! pub/sub message cannot be delayed, redelivered or dead-lettered: once the handler returns it
//! is gone, whatever the handler says. Nothing is lost, because Postgres holds the job's state
//! and the API has already recorded the outcome before `deliver` answers:
//!
//! - `Ack`: completed, or nothing to do here (already taken or finished, not due, paused).
//! - `RetryIn(s)`: the job is `retryable` in Postgres with `run_at` s seconds away. No message
//!   is scheduled for it; the cron sweep's relay re-announces jobs claimable for `RELAY_AFTER`
//!   (60 s) and still unclaimed, and runs every minute, so the retry starts between s + 60 and
//!   s + 120 seconds from now rather than at s.
//! - `DeadLetter`: the job is `dead` in Postgres, kept with its errors for a manual retry or
//!   discard through the API. There is no dead-letter channel to publish to.

use std::fmt;

use jobs::deliver::Delivery;

/// How long a claimable job waits unclaimed before the relay re-announces it (the API's
/// `queue::push::RELAY_AFTER`).
pub const RELAY_AFTER_SECONDS: u64 = 60;

/// How often the cron sweep runs the relay (`[[trigger.cron]]` in spin.toml: every minute).
pub const SWEEP_PERIOD_SECONDS: u64 = 60;

/// The job's fate, as the component logs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Nothing more to do for this announcement.
    Done,
    /// Retryable in Postgres; the relay announces it again within this window from now.
    RetriedByRelay {
        /// Seconds from now, at the earliest.
        earliest: u64,
        /// Seconds from now, at the latest (a healthy sweep).
        latest: u64,
    },
    /// Dead in Postgres.
    Dead,
}

/// The fate of a job `deliver` answered `delivery` for.
pub fn fate(delivery: Delivery) -> Fate {
    match delivery {
        Delivery::Ack => Fate::Done,
        Delivery::RetryIn(seconds) => {
            let earliest = u64::from(seconds) + RELAY_AFTER_SECONDS;
            Fate::RetriedByRelay {
                earliest,
                latest: earliest + SWEEP_PERIOD_SECONDS,
            }
        }
        Delivery::DeadLetter => Fate::Dead,
    }
}

impl fmt::Display for Fate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fate::Done => f.write_str("done"),
            Fate::RetriedByRelay { earliest, latest } => write!(
                f,
                "retryable; the relay re-announces it in {earliest} to {latest} s"
            ),
            Fate::Dead => f.write_str("dead (kept in Postgres for a manual retry or discard)"),
        }
    }
}
