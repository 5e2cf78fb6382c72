//! What both entry points set up per instance (wasm32 only): logging, the settings from Spin
//! variables, and the job runtime over Spin's outbound HTTP.

use std::sync::Arc;

use crate::config::{ConfigError, ConsumerSettings};
use crate::consume::Consumer;
use crate::transport::spin::SpinTransport;

/// The consumer for this instance.
pub fn consumer() -> Result<Consumer, ConfigError> {
    init_logging();
    let settings = ConsumerSettings::from_lookup(lookup)?;
    Ok(Consumer::new(
        settings,
        Arc::new(SpinTransport),
        worker_id(),
    ))
}

/// A Spin variable.
#[cfg(not(feature = "no-spin-imports"))]
fn lookup(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// The `no-spin-imports` build: the variable's name, upper-cased, in the WASI environment.
#[cfg(feature = "no-spin-imports")]
fn lookup(name: &str) -> Option<String> {
    std::env::var(name.to_ascii_uppercase()).ok()
}

/// A lease owner unique to this instance. Should WASI's random source fail, the clock in
/// nanoseconds still keeps two instances apart in practice.
fn worker_id() -> String {
    let n = getrandom::u64().unwrap_or_else(|_| {
        let nanos = jobs::platform::now()
            .timestamp_nanos_opt()
            .unwrap_or_default();
        nanos.unsigned_abs()
    });
    format!("spin-consumer-{n:016x}")
}

/// Plain lines on stderr, which Spin keeps as the component's log. A reused instance would
/// initialise twice: the second is ignored.
fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}
