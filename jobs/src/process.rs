//! What every consumer binary (`powernode-jobs`, `media-runner`) does around its consumer:
//! logs through `tracing` (pretty on a terminal, JSON otherwise), runs until SIGTERM or
//! SIGINT, drains, and logs the tally.

use std::sync::atomic::Ordering;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::consumer::Consumer;

/// Logs to stderr at `RUST_LOG` (default `info`): pretty for a person, JSON for a collector.
pub fn init_logging() {
    use std::io::IsTerminal as _;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.pretty().init()
    } else {
        builder.json().flatten_event(true).init()
    }
}

/// Runs `consumer` until SIGTERM or SIGINT, then lets it drain (its shutdown deadline) and
/// logs what it did. Fails only when the signal handlers cannot be installed.
pub async fn run_until_signalled(consumer: Consumer) -> std::io::Result<()> {
    let stats = consumer.stats();
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(consumer.run(stopped));
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
    let _ = stop.send(true);
    if let Err(e) = running.await {
        tracing::error!(error = %e, "the consumer task ended abnormally");
    }
    tracing::info!(
        claimed = stats.claimed.load(Ordering::Relaxed),
        completed = stats.completed.load(Ordering::Relaxed),
        failed = stats.failed.load(Ordering::Relaxed),
        released = stats.released.load(Ordering::Relaxed),
        "stopped"
    );
    Ok(())
}
