//! The `JobPush` port over Spin's Redis publish: after the transaction that created jobs
//! commits, each job due now is published as a [`JobAnnouncement`] on the `jobs_channel`
//! channel, which the consumer component's Redis trigger subscribes to.
//!
//! Redis pub/sub cannot hold a message back, so a job due later (`delay_seconds > 0`: a
//! scheduled job, or a retry's backoff) is not published at all: the relay (the consumer
//! component's cron sweep, every minute) announces it once it has been claimable for
//! `RELAY_AFTER` (60 s) and is still unclaimed. Such a job starts 60 to 120 s after it is due.
//! Pub/sub also drops messages nobody is subscribed to at that instant; the relay covers that
//! the same way, which is why a failed publish is logged and never fails the request.

use powernode_api::maybe_async_trait;
use powernode_api::ports::{JobPush, MaybeSend, MaybeSync, ReadyJob};
use shared::api::announcement::JobAnnouncement;
use spin_sdk::redis::Error as RedisError;

/// Publishes messages on a Redis channel: Spin's connection, or a fake in tests.
pub trait Publisher: MaybeSend + MaybeSync {
    /// Publishes `payload` on `channel`.
    fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), RedisError>;
}

/// The announcements to publish for `jobs`: those due now, in order.
pub fn announcements(jobs: Vec<ReadyJob>) -> Vec<JobAnnouncement> {
    jobs.into_iter()
        .filter(|job| job.delay_seconds == 0)
        .map(|job| JobAnnouncement {
            id: job.id,
            queue: job.queue,
        })
        .collect()
}

/// Announces jobs on one Redis channel.
pub struct SpinJobPush<P: Publisher> {
    publisher: P,
    channel: String,
}

impl<P: Publisher> SpinJobPush<P> {
    /// Publishes through `publisher` on `channel`.
    pub fn new(publisher: P, channel: &str) -> Self {
        Self {
            publisher,
            channel: channel.to_string(),
        }
    }
}

maybe_async_trait! {
impl<P: Publisher> JobPush for SpinJobPush<P> {
    fn pushes(&self) -> bool {
        true
    }

    fn polled_queues(&self) -> Vec<String> {
        // The media runner polls its queue on every runtime, and the native consumer polls
        // `email` (SMTP needs a TCP client the Spin consumer lacks).
        let mut polled = vec!["file_processing".to_string()];
        polled.extend(shared::job::NATIVE_QUEUES.iter().map(|q| q.to_string()));
        polled
    }

    async fn push(&self, jobs: Vec<ReadyJob>) -> usize {
        let mut published = 0;
        for announcement in announcements(jobs) {
            match self.publisher.publish(&self.channel, &announcement.to_bytes()) {
                Ok(()) => published += 1,
                // The job is committed; the relay announces it within two minutes.
                Err(e) => tracing::warn!(
                    job = %announcement.id,
                    error = %crate::redis::classify(e),
                    "could not publish the job announcement; the relay will"
                ),
            }
        }
        published
    }
}
}

/// Spin's own connection, opened on first publish from the `redis_url` variable.
#[cfg(target_arch = "wasm32")]
pub mod spin {
    use std::sync::OnceLock;

    use spin_sdk::redis::{Connection, Error};

    /// Publishes through one connection to `address`, opened when first needed (a request that
    /// enqueues nothing opens none).
    pub struct SpinPublisher {
        address: String,
        conn: OnceLock<Connection>,
    }

    impl SpinPublisher {
        /// A publisher for the Redis at `address` (`redis_url`).
        pub fn new(address: String) -> Self {
            Self {
                address,
                conn: OnceLock::new(),
            }
        }
    }

    impl super::Publisher for SpinPublisher {
        fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), Error> {
            let conn = match self.conn.get() {
                Some(conn) => conn,
                None => {
                    let opened = Connection::open(&self.address)?;
                    self.conn.get_or_init(|| opened)
                }
            };
            conn.publish(channel, payload)
        }
    }
}
