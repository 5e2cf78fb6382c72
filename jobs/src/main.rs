//! `powernode-jobs`: a queue consumer process. It reaches the platform only through the API
//! (`BACKEND_API_URL`) with a service token it signs from `WORKER_SERVICE_TOKEN`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use jobs::client::BackendApiClient;
use jobs::consumer::{Consumer, ConsumerConfig};
use jobs::job::Registry;

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
        default_value = "default,webhooks,maintenance,email,ai"
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
    jobs::process::init_logging();
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
    jobs::process::run_until_signalled(consumer)
        .await
        .context("signal handlers")?;
    Ok(())
}
