//! The native clock, RNG and password hasher.

use chrono::{DateTime, Utc};
use powernode_api::maybe_async_trait;
use powernode_api::ports::{Clock, PasswordError, PasswordHasher, Rng};
use powernode_api::service::passwords;

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The OS's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) {
        // getrandom fails only when the OS has no entropy source at all; nothing can run safely
        // then, so this is the one place the host stops rather than continue with weak keys.
        getrandom::fill(buf).expect("the OS random source is available");
    }
}

/// argon2 on tokio's blocking pool, so a burst of sign-ins does not stall other requests.
#[derive(Debug, Default, Clone, Copy)]
pub struct BlockingArgon2;

maybe_async_trait! {
impl PasswordHasher for BlockingArgon2 {
    async fn hash(&self, password: String, salt: [u8; 16]) -> Result<String, PasswordError> {
        tokio::task::spawn_blocking(move || passwords::hash(&password, salt))
            .await
            .map_err(|e| PasswordError(e.to_string()))?
    }
    async fn verify(&self, password: String, phc: String) -> Result<bool, PasswordError> {
        tokio::task::spawn_blocking(move || passwords::verify(&password, &phc))
            .await
            .map_err(|e| PasswordError(e.to_string()))?
    }
}
}

/// Background work on the tokio runtime (an answered AI call's ledger row and breaker report).
pub struct TokioBackground;

impl powernode_api::ports::background::Background for TokioBackground {
    fn spawn(
        &self,
        task: powernode_api::ports::background::Task,
    ) -> Result<(), powernode_api::ports::background::Task> {
        tokio::spawn(task);
        Ok(())
    }
}
