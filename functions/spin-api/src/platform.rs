//! Clock, randomness and password hashing for a Spin instance.

use chrono::{DateTime, Utc};
use powernode_api::maybe_async_trait;
use powernode_api::ports::{Clock, PasswordError, PasswordHasher, Rng};
use powernode_api::service::passwords;

/// WASI's wall clock (through std).
#[derive(Debug, Default, Clone, Copy)]
pub struct WasiClock;

impl Clock for WasiClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// WASI's `random` interface (through getrandom).
#[derive(Debug, Default, Clone, Copy)]
pub struct WasiRng;

impl Rng for WasiRng {
    fn fill(&self, buf: &mut [u8]) {
        // The host's random source failing means no key or token can be made safely; the port
        // has no error path, so the instance stops (Spin answers 500) rather than go on weakly.
        getrandom::fill(buf).expect("the WASI random source is available");
    }
}

/// argon2 inline: a Spin instance serves one request, so there is nothing else to stall.
#[derive(Debug, Default, Clone, Copy)]
pub struct InlineArgon2;

maybe_async_trait! {
impl PasswordHasher for InlineArgon2 {
    async fn hash(&self, password: String, salt: [u8; 16]) -> Result<String, PasswordError> {
        passwords::hash(&password, salt)
    }
    async fn verify(&self, password: String, phc: String) -> Result<bool, PasswordError> {
        passwords::verify(&password, &phc)
    }
}
}
