//! Clock and randomness from the JavaScript runtime (wasm32 has no OS clock or entropy).

use chrono::{DateTime, Utc};
use powernode_api::ports::{Clock, Rng};

/// `Date.now()`. Workers advance it only across I/O (a Spectre mitigation), which is precise
/// enough for token expiries, leases and rate-limit windows.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> DateTime<Utc> {
        // Date.now() is whole milliseconds well inside i64's range.
        #[allow(clippy::cast_possible_truncation)]
        let millis = js_sys::Date::now() as i64;
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }
}

/// `crypto.getRandomValues` through getrandom's `wasm_js` backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsRng;

impl Rng for JsRng {
    fn fill(&self, buf: &mut [u8]) {
        // Workers always provide crypto.getRandomValues; without it no key or token could be
        // made safely, so stopping is the only correct answer.
        getrandom::fill(buf).expect("crypto.getRandomValues is available");
    }
}

/// Background work through `ctx.wait_until`: the runtime keeps the isolate for it after the
/// response is sent.
#[cfg(feature = "ai-worker")]
pub struct WaitUntil(pub std::sync::Arc<worker::Context>);

#[cfg(feature = "ai-worker")]
impl powernode_api::ports::background::Background for WaitUntil {
    fn spawn(
        &self,
        task: powernode_api::ports::background::Task,
    ) -> Result<(), powernode_api::ports::background::Task> {
        self.0.wait_until(task);
        Ok(())
    }
}
