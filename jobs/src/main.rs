//! `powernode-jobs`: a queue consumer process. It reaches the platform only through the API
//! (`BACKEND_API_URL`) with a service token it signs from `WORKER_SERVICE_TOKEN`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use jobs::client::BackendApiClient;
use jobs::consumer::{Consumer, ConsumerConfig};
use jobs::job::Registry;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "powernode-jobs",
    version,
    about = "Consume Powernode queues through the API"
)]
struct Cli {
    /// The API's base URL.
    #[arg(long, env = "BACKEND_API_URL", default_value = "http://127.0.0.1:8080")]
    api_url: String,
    /// The secret service tokens are signed with.
    #[arg(long, env = "WORKER_SERVICE_TOKEN", hide_env_values = true)]
    service_token: String,
    /// Queues to consume, comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "default,webhooks,maintenance,email"
    )]
    queues: Vec<String>,
    /// Jobs run at once.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Most jobs claimed ahead of free slots (default ten times `--concurrency`, at most 990;
    /// 0 turns prefetching off). The buffer adapts below it to how fast jobs finish.
    #[arg(long)]
    prefetch: Option<usize>,
    /// Lease per claim, seconds (renewed by heartbeats).
    #[arg(long, default_value_t = 60)]
    lease_seconds: i64,
    /// Seconds in-flight jobs get to finish after SIGTERM before they are given back.
    #[arg(long, default_value_t = 30)]
    shutdown_deadline: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
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

    let cli = Cli::parse();
    let client = BackendApiClient::new(
        &cli.api_url,
        cli.service_token.as_bytes(),
        jobs::SERVICE_NAME,
    )
    .map(Arc::new)
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut config = ConsumerConfig::new(cli.queues);
    config.concurrency = cli.concurrency.max(1);
    config.prefetch = cli.prefetch;
    config.lease_seconds = cli.lease_seconds;
    config.shutdown_deadline = Duration::from_secs(cli.shutdown_deadline);
    let consumer = Consumer::new(
        client.clone(),
        Arc::new(Registry::with_platform(client)),
        config,
    );
    let stats = consumer.stats();
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(consumer.run(stopped));

    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
    let _ = stop.send(true);
    running.await.context("consumer task")?;
    tracing::info!(
        claimed = stats.claimed.load(Ordering::Relaxed),
        completed = stats.completed.load(Ordering::Relaxed),
        failed = stats.failed.load(Ordering::Relaxed),
        released = stats.released.load(Ordering::Relaxed),
        "stopped"
    );
    Ok(())
}
