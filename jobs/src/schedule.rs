//! The cron table and the scheduler that enqueues its ticks.
//!
//! Every tick is enqueued through the API with the idempotency key `schedule:{name}:{tick}`, so
//! any number of schedulers can run at once (one per host, say) and each tick is enqueued
//! exactly once. After downtime a scheduler catches up on the last tick it missed, not on every
//! one (maintenance wants "soon", not "once per missed minute").

use chrono::{DateTime, Utc};
use croner::Cron;
use shared::api::jobs::EnqueueRequest;
use std::str::FromStr as _;
use std::sync::Arc;

use crate::client::{BackendApiClient, ClientError};

/// One scheduled job.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Stable name; part of each tick's idempotency key.
    pub name: &'static str,
    /// Five-field cron expression, in UTC.
    pub cron: &'static str,
    /// What to enqueue.
    pub job_type: &'static str,
    /// Where.
    pub queue: &'static str,
}

/// Every schedule of the platform (ARCHITECTURE.md: "scheduled work").
pub const SCHEDULES: &[Schedule] = &[
    Schedule {
        name: "rescue_expired_leases",
        cron: "* * * * *",
        job_type: "maintenance.rescue",
        queue: "maintenance",
    },
    Schedule {
        // Where a push transport announces jobs (the edge), re-announce what it lost; a no-op
        // where consumers poll.
        name: "relay_unannounced_jobs",
        cron: "* * * * *",
        job_type: "maintenance.relay",
        queue: "maintenance",
    },
    Schedule {
        name: "sweep_stuck_processing",
        cron: "* * * * *",
        job_type: "maintenance.sweep_stuck_processing",
        queue: "maintenance",
    },
    Schedule {
        // Looks back an hour each time; each email's idempotency key makes it once per person.
        name: "notify_dead_jobs",
        cron: "* * * * *",
        job_type: "maintenance.notify_dead_jobs",
        queue: "maintenance",
    },
    // Every 5 minutes.
    Schedule {
        name: "check_storages",
        cron: "*/5 * * * *",
        job_type: "maintenance.check_storages",
        queue: "maintenance",
    },
    Schedule {
        name: "check_services",
        cron: "*/5 * * * *",
        job_type: "maintenance.check_services",
        queue: "maintenance",
    },
    // Hourly, at different minutes so they do not start together.
    Schedule {
        name: "expire_shares",
        cron: "7 * * * *",
        job_type: "maintenance.expire_shares",
        queue: "maintenance",
    },
    Schedule {
        name: "prune_completed_jobs",
        cron: "17 * * * *",
        job_type: "maintenance.prune_jobs",
        queue: "maintenance",
    },
    Schedule {
        name: "sweep_abandoned_uploads",
        cron: "37 * * * *",
        job_type: "maintenance.sweep_abandoned_uploads",
        queue: "maintenance",
    },
    // Daily, in the quiet hours (01:00-05:00 UTC). The trash is purged before the orphan sweep,
    // so objects a failed purge left are found the same night.
    Schedule {
        name: "purge_deleted_files",
        cron: "10 1 * * *",
        job_type: "maintenance.purge_deleted_files",
        queue: "maintenance",
    },
    Schedule {
        name: "enforce_retention",
        cron: "40 1 * * *",
        job_type: "maintenance.enforce_retention",
        queue: "maintenance",
    },
    // The backup runs after the purge and retention, so it holds what the day keeps, and
    // before the orphan sweep (which leaves the backups' prefix alone).
    Schedule {
        name: "backup",
        cron: "0 2 * * *",
        job_type: "maintenance.backup",
        queue: "maintenance",
    },
    Schedule {
        name: "sweep_orphans",
        cron: "0 3 * * *",
        job_type: "maintenance.sweep_orphans",
        queue: "maintenance",
    },
];

/// Why the table is wrong.
#[derive(Debug, thiserror::Error)]
#[error("schedule {name}: invalid cron `{cron}`: {reason}")]
pub struct ScheduleError {
    name: &'static str,
    cron: &'static str,
    reason: String,
}

/// Enqueues due ticks.
pub struct Scheduler {
    client: Arc<BackendApiClient>,
    schedules: Vec<(Schedule, Cron)>,
    /// Ticks up to and including this time were handled.
    handled_until: DateTime<Utc>,
}

impl Scheduler {
    /// Parses the table; starting at `now`, the latest tick of the last minute is still due.
    pub fn new(
        client: Arc<BackendApiClient>,
        table: &[Schedule],
        now: DateTime<Utc>,
    ) -> Result<Self, ScheduleError> {
        let schedules = table
            .iter()
            .map(|s| {
                Cron::from_str(s.cron)
                    .map(|c| (*s, c))
                    .map_err(|e| ScheduleError {
                        name: s.name,
                        cron: s.cron,
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            client,
            schedules,
            handled_until: now - chrono::Duration::seconds(60),
        })
    }

    /// The ticks due in `(handled_until, now]`: at most the latest one per schedule.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<(Schedule, DateTime<Utc>)> {
        self.schedules
            .iter()
            .filter_map(|(s, cron)| {
                let mut latest = None;
                let mut from = self.handled_until;
                while let Ok(next) = cron.find_next_occurrence(&from, false) {
                    if next > now {
                        break;
                    }
                    latest = Some(next);
                    from = next;
                }
                latest.map(|tick| (*s, tick))
            })
            .collect()
    }

    /// Enqueues what is due at `now`; returns how many ticks were sent.
    pub async fn run_once(&mut self, now: DateTime<Utc>) -> Result<usize, ClientError> {
        let due = self.due(now);
        if !due.is_empty() {
            let jobs = due
                .iter()
                .map(|(s, tick)| EnqueueRequest {
                    job_type: Some(s.job_type.into()),
                    queue: Some(s.queue.into()),
                    args: Some(serde_json::json!({ "tick": tick })),
                    idempotency_key: Some(format!("schedule:{}:{}", s.name, tick.to_rfc3339())),
                    ..EnqueueRequest::default()
                })
                .collect();
            self.client.enqueue(jobs).await?;
        }
        self.handled_until = now;
        Ok(due.len())
    }

    /// Checks every second until `stop` (the native hosts; the edge runs `run_once` from its
    /// cron trigger).
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn run(mut self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(schedules = self.schedules.len(), "scheduler started");
        loop {
            if let Err(e) = self.run_once(Utc::now()).await {
                // Not advanced: the same ticks are tried again next second.
                tracing::warn!(error = %e, "scheduler could not enqueue; retrying");
            }
            tokio::select! { _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}, _ = stop.changed() => return }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s)
            .single()
            .expect("valid time")
    }

    fn scheduler(now: DateTime<Utc>) -> Scheduler {
        let client =
            BackendApiClient::new("http://127.0.0.1:9", b"secret", "test").expect("client");
        Scheduler::new(Arc::new(client), SCHEDULES, now).expect("valid table")
    }

    #[test]
    fn the_table_parses_and_every_job_type_is_registered() {
        for s in SCHEDULES {
            assert!(
                shared::job::is_registered(s.job_type),
                "{} is not in shared::job::JOB_TYPES",
                s.job_type
            );
        }
        let _ = scheduler(at(10, 0, 0));
    }

    #[test]
    fn due_ticks_are_the_latest_per_schedule() {
        let mut s = scheduler(at(10, 16, 30));
        let due = s.due(at(10, 17, 5));
        let names: Vec<(&str, DateTime<Utc>)> = due.iter().map(|(s, t)| (s.name, *t)).collect();
        assert_eq!(
            names,
            [
                ("rescue_expired_leases", at(10, 17, 0)),
                ("relay_unannounced_jobs", at(10, 17, 0)),
                ("sweep_stuck_processing", at(10, 17, 0)),
                ("notify_dead_jobs", at(10, 17, 0)),
                ("prune_completed_jobs", at(10, 17, 0))
            ]
        );
        s.handled_until = at(10, 17, 5);
        assert!(
            s.due(at(10, 17, 59)).is_empty(),
            "nothing new within the minute"
        );
        let names: Vec<&str> = s.due(at(10, 20, 0)).iter().map(|(s, _)| s.name).collect();
        assert_eq!(
            names,
            [
                "rescue_expired_leases",
                "relay_unannounced_jobs",
                "sweep_stuck_processing",
                "notify_dead_jobs",
                "check_storages",
                "check_services"
            ],
            "after downtime, one catch-up tick per schedule, not one per missed minute"
        );
    }

    #[test]
    fn the_backup_is_due_once_a_night_at_two() {
        let mut s = scheduler(at(1, 59, 30));
        let due = s.due(at(2, 0, 5));
        assert!(
            due.iter().any(|(s, t)| s.name == "backup"
                && s.job_type == "maintenance.backup"
                && *t == at(2, 0, 0)),
            "{:?}",
            due.iter().map(|(s, _)| s.name).collect::<Vec<_>>()
        );
        s.handled_until = at(2, 0, 5);
        assert!(!s.due(at(23, 59, 0)).iter().any(|(s, _)| s.name == "backup"));
    }
}
