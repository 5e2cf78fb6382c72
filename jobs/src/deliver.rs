//! Running one announced job, for push transports (the edge's queue consumer): claim it by id,
//! run it with the same registry as the polling consumer, report the outcome, and tell the
//! transport what to do with its message.
//!
//! The message is only a hint (the job lives in Postgres), so every answer here is safe to act
//! on more than once: a job already taken or finished is simply acknowledged.

use std::sync::Arc;

use shared::api::jobs::{Completion, Failure};
use shared::job::JobState;
use uuid::Uuid;

use crate::client::{BackendApiClient, ClientError};
use crate::job::{Registry, Settled, run_one};
use crate::retry::with_api_retry;

/// What the transport does with the message that announced a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Done, or nothing to do here: acknowledge the message.
    Ack,
    /// The job failed and is due again in this many seconds: deliver the message again then.
    RetryIn(u32),
    /// The job is dead (out of attempts or aborted): the message goes to the dead-letter queue.
    DeadLetter,
}

/// Claims job `id` for `worker`, runs it and reports the outcome. Errors are calls to the API
/// that failed even after retries; the transport should re-deliver the message later.
pub async fn deliver(
    client: &BackendApiClient,
    registry: Arc<Registry>,
    worker: &str,
    id: Uuid,
    lease_seconds: i64,
) -> Result<Delivery, ClientError> {
    let claimed = with_api_retry(3, || client.claim_by_id(worker, id, lease_seconds)).await?;
    let Some(job) = claimed else {
        return Ok(Delivery::Ack);
    };
    match run_one(registry, job).await {
        Settled::Completed(id, result) => {
            let done = Completion {
                id: Some(id),
                result: Some(result),
            };
            with_api_retry(5, || client.complete(worker, vec![done.clone()])).await?;
            Ok(Delivery::Ack)
        }
        Settled::Failed(failure) => settle_failure(client, worker, failure).await,
    }
}

async fn settle_failure(
    client: &BackendApiClient,
    worker: &str,
    failure: Failure,
) -> Result<Delivery, ClientError> {
    let outcomes = with_api_retry(5, || client.fail(worker, vec![failure.clone()])).await?;
    let Some(outcome) = outcomes.into_iter().next() else {
        return Ok(Delivery::Ack);
    };
    Ok(match (outcome.state, outcome.run_at) {
        (Some(JobState::Dead), _) => Delivery::DeadLetter,
        (Some(JobState::Retryable), Some(at)) => {
            let wait = (at - crate::platform::now()).num_seconds().max(0);
            Delivery::RetryIn(u32::try_from(wait).unwrap_or(u32::MAX))
        }
        // Not held any more (its lease ran out and someone else has it): nothing to do here.
        _ => Delivery::Ack,
    })
}
