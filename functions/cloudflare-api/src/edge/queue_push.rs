//! The `JobPush` port over a Cloudflare Queue: after the request's transaction committed, each
//! ready job's id goes to the `JOBS` queue, sent after the response (`ctx.wait_until`) so
//! enqueueing costs the client no extra round trip.

use std::sync::Arc;

use powernode_api::maybe_async_trait;
use powernode_api::ports::{JobPush, ReadyJob};
use shared::api::announcement::JobAnnouncement;
use worker::{BatchMessageBuilder, Context, MessageBuilder, Queue, console_error};

/// Cloudflare's limit on messages per `sendBatch`.
const SEND_BATCH_MAX: usize = 100;

/// Announces jobs on the `JOBS` queue.
pub struct QueuePush {
    queue: Queue,
    /// Shared with the AI Worker's background port, which also sends work past the response.
    ctx: Arc<Context>,
    polled: Vec<String>,
}

impl QueuePush {
    /// `polled`: queues whose consumers poll (never announced).
    pub fn new(queue: Queue, ctx: Arc<Context>, polled: Vec<String>) -> Self {
        Self { queue, ctx, polled }
    }
}

maybe_async_trait! {
impl JobPush for QueuePush {
    fn pushes(&self) -> bool {
        true
    }

    fn polled_queues(&self) -> Vec<String> {
        self.polled.clone()
    }

    async fn push(&self, jobs: Vec<ReadyJob>) -> usize {
        let count = jobs.len();
        let queue = self.queue.clone();
        // A failed send loses only the announcement: the relay finds the job unclaimed after
        // a minute and announces it again.
        self.ctx.wait_until(async move {
            for chunk in jobs.chunks(SEND_BATCH_MAX) {
                let batch = BatchMessageBuilder::new()
                    .messages(chunk.iter().map(|job| {
                        MessageBuilder::new(JobAnnouncement {
                            id: job.id,
                            queue: job.queue.clone(),
                        })
                        .delay_seconds(job.delay_seconds)
                        .build()
                    }))
                    .build();
                if let Err(e) = queue.send_batch(batch).await {
                    console_error!("announcing {} jobs failed; the relay will: {e}", chunk.len());
                }
            }
        });
        count
    }
}
}
