//! What becomes of a queue message once its job was delivered.

use jobs::client::ClientError;
use jobs::deliver::Delivery;

/// Cloudflare Queues delay a retried message at most 12 hours. A job due later is acknowledged
/// when it arrives early (not claimable yet) and announced again by the relay once due.
pub const MAX_RETRY_DELAY_SECONDS: u32 = 12 * 3600;

/// The pause before re-delivering a message whose job could not be settled because the API
/// did not answer: the job's own backoff for API errors starts at 30 s too.
pub const API_UNREACHABLE_DELAY_SECONDS: u32 = 30;

/// What the consumer does with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Acknowledge it: the job ran, or there is nothing to do for it here.
    Ack,
    /// Deliver it again after this many seconds.
    Retry {
        /// Seconds from now.
        delay_seconds: u32,
    },
    /// Send it to the dead-letter queue, then acknowledge it: its job is dead in Postgres.
    DeadLetter,
}

/// Maps the outcome of `jobs::deliver` to what happens to the message.
pub fn action(outcome: &Result<Delivery, ClientError>) -> Action {
    match outcome {
        Ok(Delivery::Ack) => Action::Ack,
        Ok(Delivery::RetryIn(seconds)) => Action::Retry {
            delay_seconds: (*seconds).min(MAX_RETRY_DELAY_SECONDS),
        },
        Ok(Delivery::DeadLetter) => Action::DeadLetter,
        // The API refused the service token or the request: retrying the message cannot fix
        // that, and the job is untouched in Postgres (the relay re-announces it once the
        // deployment is fixed). Acknowledge rather than fill the dead-letter queue.
        Err(e) if !e.is_api_error() => Action::Ack,
        // No answer: the job may be claimed or not; deliver the message again later.
        Err(_) => Action::Retry {
            delay_seconds: API_UNREACHABLE_DELAY_SECONDS,
        },
    }
}

/// Reads a message body; `None` for anything that is not an announcement (it can never
/// succeed, so the consumer acknowledges and logs it).
pub fn announcement(
    body: &serde_json::Value,
) -> Option<shared::api::announcement::JobAnnouncement> {
    serde_json::from_value(body.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ClientError {
        ClientError::Api {
            status,
            code: "x".into(),
            message: String::new(),
        }
    }

    #[test]
    fn a_finished_job_acks_and_a_failed_one_waits_for_its_backoff() {
        assert_eq!(action(&Ok(Delivery::Ack)), Action::Ack);
        assert_eq!(
            action(&Ok(Delivery::RetryIn(90))),
            Action::Retry { delay_seconds: 90 }
        );
        assert_eq!(action(&Ok(Delivery::DeadLetter)), Action::DeadLetter);
    }

    #[test]
    fn a_backoff_past_the_queue_limit_is_capped() {
        assert_eq!(
            action(&Ok(Delivery::RetryIn(3 * 86_400))),
            Action::Retry {
                delay_seconds: MAX_RETRY_DELAY_SECONDS
            }
        );
    }

    #[test]
    fn an_unreachable_api_retries_and_a_refusal_acks() {
        for transient in [
            api(503),
            api(429),
            ClientError::Transport("connection refused".into()),
        ] {
            assert_eq!(
                action(&Err(transient)),
                Action::Retry {
                    delay_seconds: API_UNREACHABLE_DELAY_SECONDS
                }
            );
        }
        assert_eq!(action(&Err(api(401))), Action::Ack);
        assert_eq!(
            action(&Err(ClientError::Decode("not json".into()))),
            Action::Ack
        );
    }

    #[test]
    fn only_announcements_are_read() {
        let id = "0190f3a1-7c3e-7b1a-9e2f-3c4d5e6f7a8b";
        let ok = announcement(&serde_json::json!({ "id": id, "queue": "default" }))
            .expect("an announcement");
        assert_eq!(ok.id.to_string(), id);
        assert_eq!(ok.queue, "default");
        assert!(announcement(&serde_json::json!({ "id": "nope", "queue": "default" })).is_none());
        assert!(announcement(&serde_json::json!("hello")).is_none());
    }
}
