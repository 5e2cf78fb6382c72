//! `with_api_retry`: retries a call to the API when it failed transiently (408, 429, 500, 502,
//! 503, 504, or no answer), with a short doubling pause; other failures return at once.

use std::future::Future;
use std::time::Duration;

use crate::client::ClientError;

/// The pause before the first retry; it doubles after each.
pub const FIRST_PAUSE: Duration = Duration::from_millis(250);

/// Runs `call` up to `max_attempts` times while it fails with an API error.
pub async fn with_api_retry<T, F, Fut>(max_attempts: u32, mut call: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let mut pause = FIRST_PAUSE;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e)
                if e.is_api_error()
                    && !matches!(e, ClientError::CircuitOpen(_))
                    && attempt < max_attempts =>
            {
                tracing::debug!(attempt, error = %e, "API call failed; retrying");
                crate::platform::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn api(status: u16) -> ClientError {
        ClientError::Api {
            status,
            code: "x".into(),
            message: String::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_failures_up_to_the_limit() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_api_retry(3, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(503))
        })
        .await;
        assert_eq!(result, Err(api(503)));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn returns_the_first_success_and_does_not_retry_client_errors() {
        let calls = AtomicU32::new(0);
        let ok = with_api_retry(3, || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(ClientError::Transport("reset".into()))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(ok, Ok(7));
        let calls = AtomicU32::new(0);
        let refused: Result<(), _> = with_api_retry(3, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(422))
        })
        .await;
        assert_eq!(refused, Err(api(422)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
