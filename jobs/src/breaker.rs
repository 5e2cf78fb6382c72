//! Circuit breakers per dependency. After `failure_threshold` consecutive failures the breaker
//! opens and calls fail fast for `cool_down`; then one probe call is let through (half-open):
//! success closes it, failure opens it again. Each call also has the dependency's timeout.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::client::ClientError;

/// A dependency's breaker settings.
#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// The dependency's name, for errors and logs.
    pub name: &'static str,
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before a probe.
    pub cool_down: Duration,
    /// The longest one call may take.
    pub call_timeout: Duration,
}

/// The backend API: 120 s per call (ARCHITECTURE.md).
pub const BACKEND_API: BreakerConfig = BreakerConfig {
    name: "backend_api",
    failure_threshold: 5,
    cool_down: Duration::from_secs(10),
    call_timeout: Duration::from_secs(120),
};
/// An AI provider: 600 s per call.
pub const AI_PROVIDER: BreakerConfig = BreakerConfig {
    name: "ai_provider",
    failure_threshold: 5,
    cool_down: Duration::from_secs(30),
    call_timeout: Duration::from_secs(600),
};
/// Long missions: 600 s per call.
pub const MISSIONS: BreakerConfig = BreakerConfig {
    name: "missions",
    failure_threshold: 3,
    cool_down: Duration::from_secs(60),
    call_timeout: Duration::from_secs(600),
};

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail fast until the cool-down ends.
    Open,
    /// One probe is in flight.
    HalfOpen,
}

struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Option<Instant>,
}

/// One dependency's breaker.
pub struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
            }),
        }
    }

    /// The state now (an open breaker past its cool-down reports `HalfOpen`: the next call probes).
    pub fn state(&self) -> BreakerState {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.state {
            BreakerState::Open
                if inner
                    .opened_at
                    .is_some_and(|t| t.elapsed() >= self.config.cool_down) =>
            {
                BreakerState::HalfOpen
            }
            s => s,
        }
    }

    /// Runs `call` through the breaker. Only API errors (transient) count as failures: a 422
    /// says the request was wrong, not that the dependency is down.
    pub async fn call<T, Fut>(&self, call: Fut) -> Result<T, ClientError>
    where
        Fut: Future<Output = Result<T, ClientError>>,
    {
        self.admit()?;
        let result = match tokio::time::timeout(self.config.call_timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(ClientError::Transport(format!(
                "{} call timed out after {:?}",
                self.config.name, self.config.call_timeout
            ))),
        };
        self.record(result.as_ref().err().is_some_and(ClientError::is_api_error));
        result
    }

    fn admit(&self) -> Result<(), ClientError> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.state {
            BreakerState::Closed => Ok(()),
            BreakerState::HalfOpen => Err(ClientError::CircuitOpen(self.config.name)),
            BreakerState::Open => {
                if inner
                    .opened_at
                    .is_some_and(|t| t.elapsed() >= self.config.cool_down)
                {
                    inner.state = BreakerState::HalfOpen;
                    tracing::info!(dependency = self.config.name, "circuit half-open: probing");
                    Ok(())
                } else {
                    Err(ClientError::CircuitOpen(self.config.name))
                }
            }
        }
    }

    fn record(&self, failed: bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !failed {
            if inner.state != BreakerState::Closed {
                tracing::info!(dependency = self.config.name, "circuit closed");
            }
            *inner = Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: None,
            };
            return;
        }
        inner.failures += 1;
        if inner.state == BreakerState::HalfOpen || inner.failures >= self.config.failure_threshold
        {
            if inner.state != BreakerState::Open {
                tracing::warn!(
                    dependency = self.config.name,
                    failures = inner.failures,
                    "circuit open"
                );
            }
            inner.state = BreakerState::Open;
            inner.opened_at = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: BreakerConfig = BreakerConfig {
        name: "test",
        failure_threshold: 2,
        cool_down: Duration::from_secs(5),
        call_timeout: Duration::from_secs(1),
    };

    fn down() -> Result<(), ClientError> {
        Err(ClientError::Transport("refused".into()))
    }

    #[tokio::test(start_paused = true)]
    async fn opens_fails_fast_half_opens_and_closes() {
        let b = CircuitBreaker::new(TEST);
        assert!(b.call(async { down() }).await.is_err());
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.call(async { down() }).await.is_err());
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(
            b.call(async { Ok(1) }).await,
            Err(ClientError::CircuitOpen("test")),
            "fails fast while open"
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.call(async { down() }).await.is_err(), "a failed probe");
        assert_eq!(b.state(), BreakerState::Open);
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(b.call(async { Ok(2) }).await, Ok(2), "a good probe");
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn client_errors_do_not_trip_it_and_slow_calls_time_out() {
        let b = CircuitBreaker::new(TEST);
        for _ in 0..5 {
            let r: Result<(), _> = b
                .call(async {
                    Err(ClientError::Api {
                        status: 422,
                        code: "x".into(),
                        message: String::new(),
                    })
                })
                .await;
            assert!(r.is_err());
        }
        assert_eq!(b.state(), BreakerState::Closed);
        let slow = b.call(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        });
        assert!(matches!(slow.await, Err(ClientError::Transport(_))));
    }
}
