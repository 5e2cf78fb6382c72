//! `media-runner`: consumes the `file_processing` queue through the API (`BACKEND_API_URL`)
//! with a service token it signs from `WORKER_SERVICE_TOKEN`, and never touches the database.
//! Each job downloads its file into a private work dir, makes thumbnails, a poster, metadata,
//! or a knowledge document's text, and sends them back through the API.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use jobs::client::BackendApiClient;
use jobs::consumer::{Consumer, ConsumerConfig};
use media_runner::Limits;
use media_runner::consumer::{self, workdir::WorkRoot};
use media_runner::text::TextLimits;

#[derive(Parser)]
#[command(
    name = "media-runner",
    version,
    about = "Process uploaded files (thumbnails, EXIF, ffprobe, posters, documents' text) through the Powernode API"
)]
struct Cli {
    /// The API's base URL.
    #[arg(long, env = "BACKEND_API_URL", default_value = "http://127.0.0.1:8080")]
    api_url: String,
    /// The secret service tokens are signed with.
    #[arg(long, env = "WORKER_SERVICE_TOKEN", hide_env_values = true)]
    service_token: String,
    /// Files being processed are kept here; emptied at start (leftovers of a crash).
    #[arg(
        long,
        env = "MEDIA_RUNNER_WORK_DIR",
        default_value = "/tmp/powernode-media-runner"
    )]
    work_dir: PathBuf,
    /// Jobs processed at once (default: the number of CPUs).
    #[arg(long, env = "MEDIA_RUNNER_CONCURRENCY")]
    concurrency: Option<usize>,
    /// Lease per claim, seconds (renewed by heartbeats while a job runs; the API takes 5 to
    /// 3600).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(i64).range(5..=3600))]
    lease_seconds: i64,
    /// Largest file processed, bytes.
    #[arg(long, env = "MEDIA_RUNNER_MAX_FILE_BYTES")]
    max_file_bytes: Option<u64>,
    /// Largest image or PDF processed, bytes (they are read whole into memory).
    #[arg(long, env = "MEDIA_RUNNER_MAX_IN_MEMORY_BYTES")]
    max_in_memory_bytes: Option<u64>,
    /// Largest image processed, pixels (width × height).
    #[arg(long, env = "MEDIA_RUNNER_MAX_PIXELS")]
    max_pixels: Option<u64>,
    /// Wall-clock limit of one ffmpeg/ffprobe run, seconds.
    #[arg(long, env = "MEDIA_RUNNER_TOOL_TIMEOUT_SECONDS")]
    tool_timeout_seconds: Option<u64>,
    /// Largest text read from a knowledge document, bytes of UTF-8 (the API's limit is the
    /// default; a larger text fails the document).
    #[arg(long, env = "MEDIA_RUNNER_MAX_TEXT_BYTES")]
    max_text_bytes: Option<usize>,
    /// Seconds in-flight jobs get to finish after SIGTERM before they are given back.
    #[arg(long, default_value_t = 30)]
    shutdown_deadline: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    jobs::process::init_logging();
    let cli = Cli::parse();
    let mut limits = Limits::default();
    if let Some(n) = cli.max_file_bytes {
        limits.max_file_bytes = n;
    }
    if let Some(n) = cli.max_in_memory_bytes {
        limits.max_in_memory_bytes = n;
    }
    if let Some(n) = cli.max_pixels {
        limits.max_pixels = n;
    }
    if let Some(s) = cli.tool_timeout_seconds {
        limits.tool_timeout = Duration::from_secs(s);
    }
    let mut text_limits = TextLimits::from_limits(&limits);
    if let Some(n) = cli.max_text_bytes {
        text_limits.max_text_bytes = n;
    }
    let work = Arc::new(
        WorkRoot::prepare(cli.work_dir.clone())
            .with_context(|| format!("the work dir {}", cli.work_dir.display()))?,
    );
    let client = BackendApiClient::new(
        &cli.api_url,
        cli.service_token.as_bytes(),
        consumer::SERVICE_NAME,
    )
    .map(Arc::new)
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let registry = consumer::registry(client.clone(), work, limits, text_limits)?;
    let mut config = ConsumerConfig::new(vec![consumer::QUEUE.to_string()]);
    config.concurrency = cli
        .concurrency
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    // Media jobs are long: claim only what can start now, so another runner gets the rest.
    config.prefetch = Some(0);
    config.lease_seconds = cli.lease_seconds;
    config.shutdown_deadline = Duration::from_secs(cli.shutdown_deadline);
    config.worker_id = format!("{}-{}", consumer::SERVICE_NAME, config.worker_id);
    tracing::info!(api = %cli.api_url, concurrency = config.concurrency, "media runner started");
    let consumer = Consumer::new(client, Arc::new(registry), config);
    jobs::process::run_until_signalled(consumer)
        .await
        .context("signal handlers")?;
    Ok(())
}
