//! The clock and the timer, picked when compiling: the OS clock and tokio natively,
//! `Date.now()` and `setTimeout` in Workers (`wasm32-unknown-unknown` has no OS clock), and
//! WASI's clocks in Spin (`wasm32-wasip2`).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The current time.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The current time. Workers advance `Date.now()` only across I/O, which is precise enough for
/// token expiries and retry delays.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub fn now() -> DateTime<Utc> {
    // Whole milliseconds, well inside i64's range.
    #[allow(clippy::cast_possible_truncation)]
    let millis = js_sys::Date::now() as i64;
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Waits `duration` without holding the thread.
#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Waits `duration` on a JavaScript timer.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub async fn sleep(duration: Duration) {
    let millis = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
    gloo_timers::future::TimeoutFuture::new(millis).await;
}

/// Waits `duration`. A Spin component serves one event per instance, so blocking it costs
/// nothing else.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
pub async fn sleep(duration: Duration) {
    std::thread::sleep(duration);
}
