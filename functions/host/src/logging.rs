//! `tracing` output: JSON in production, pretty when a person is watching.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `POWERNODE_LOG_FORMAT=json|pretty` chooses; by default JSON
/// unless stderr is a terminal. `RUST_LOG` filters (default `info`).
pub fn init() {
    use std::io::IsTerminal as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("POWERNODE_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("pretty") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.pretty().try_init()
    };
}
