//! `queue-bench`: times Powernode's queue end to end, as a user would run it.
//!
//! 1. starts `powernode serve` (consumers off) on a fresh database;
//! 2. bulk-enqueues N `system.noop` jobs through the batch enqueue route (1,000 per request);
//! 3. starts one `powernode-jobs` process at concurrency C and times until all N are completed;
//! 4. with that consumer running, enqueues 200 jobs one at a time, 5 ms apart, and reports the
//!    enqueue-to-start latency (creation to claim, from the job rows) at p50 and p99.
//!
//! Prints one JSON line in the peers' format (benches/queue-peers) on stdout.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use jobs::client::BackendApiClient;
use shared::api::jobs::EnqueueRequest;
use tokio_postgres::NoTls;

#[derive(Parser)]
struct Cli {
    /// A Postgres URL whose user may create databases.
    #[arg(long)]
    database_url: String,
    /// Redis URL.
    #[arg(long)]
    redis_url: String,
    /// Jobs to run.
    #[arg(long, default_value_t = 20_000)]
    jobs: usize,
    /// Consumer concurrency.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// The `powernode` binary.
    #[arg(long)]
    powernode_bin: String,
    /// The `powernode-jobs` binary.
    #[arg(long)]
    jobs_bin: String,
}

const SECRET: &str = "queue-bench-service-secret-0123456789";
const BATCH: usize = 1000;
const LATENCY_JOBS: usize = 200;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let name = format!("pn_bench_{}", uuid::Uuid::new_v4().simple());
    let (admin, conn) = tokio_postgres::connect(&cli.database_url, NoTls)
        .await
        .context("connecting to Postgres")?;
    tokio::spawn(conn);
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let db_url = format!(
        "{}/{name}",
        cli.database_url
            .rsplit_once('/')
            .context("database URL has a path")?
            .0
    );
    let result = run(&cli, &db_url).await;
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    let line = result?;
    println!("{line}");
    Ok(())
}

async fn run(cli: &Cli, db_url: &str) -> Result<serde_json::Value> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let data_dir = std::env::temp_dir().join(format!("pn-bench-{port}"));
    let _server = Killed(
        Command::new(&cli.powernode_bin)
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("REDIS_URL", &cli.redis_url)
            .env("POWERNODE_REDIS_PREFIX", format!("bench{port}:"))
            .env("POWERNODE_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("POWERNODE_DATA_DIR", &data_dir)
            .env("POWERNODE_CONSUMERS", "off")
            .env("WORKER_SERVICE_TOKEN", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting powernode serve")?,
    );
    wait_healthy(&base).await?;
    let (db, conn) = tokio_postgres::connect(db_url, NoTls).await?;
    tokio::spawn(conn);
    let client = BackendApiClient::new(&base, SECRET.as_bytes(), "bench")
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    eprintln!("enqueueing {} jobs in batches of {BATCH}", cli.jobs);
    let started = Instant::now();
    let mut left = cli.jobs;
    while left > 0 {
        let n = left.min(BATCH);
        // Distinct arguments: 20,000 runs of identical ones within a minute would be a runaway
        // loop, and deferred.
        let first = cli.jobs - left;
        let jobs = (first..first + n)
            .map(|i| noop(serde_json::json!({ "n": i })))
            .collect();
        client
            .enqueue(jobs)
            .await
            .map_err(|e| anyhow::anyhow!("enqueue: {e}"))?;
        left -= n;
    }
    let enqueue_secs = started.elapsed().as_secs_f64();

    eprintln!(
        "processing with one powernode-jobs process at concurrency {}",
        cli.concurrency
    );
    let started = Instant::now();
    let _consumer = Killed(
        Command::new(&cli.jobs_bin)
            .args([
                "--queues",
                "default",
                "--concurrency",
                &cli.concurrency.to_string(),
            ])
            .env("BACKEND_API_URL", &base)
            .env("WORKER_SERVICE_TOKEN", SECRET)
            .env("RUST_LOG", "warn")
            .spawn()
            .context("starting powernode-jobs")?,
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    // The peers count completions in-process from their own events; polling count(*) over a
    // 20,000-row table every 20 ms cost Powernode a sixth of the machine's CPU (perf). These two
    // probes read the claimable and running partial indexes: the first entry, or nothing.
    loop {
        let busy: bool = db
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('available', 'scheduled', 'retryable'))
                     OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running')",
                &[],
            )
            .await?
            .get(0);
        if !busy {
            break;
        }
        if Instant::now() > deadline {
            bail!("jobs still waiting or running after 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let process_secs = started.elapsed().as_secs_f64();
    let done: i64 = db
        .query_one("SELECT count(*) FROM jobs WHERE state = 'completed'", &[])
        .await?
        .get(0);
    if usize::try_from(done).unwrap_or(0) != cli.jobs {
        bail!("{done} of {} jobs completed", cli.jobs);
    }

    eprintln!("latency: {LATENCY_JOBS} jobs one at a time, 5 ms apart");
    for i in 0..LATENCY_JOBS {
        client
            .enqueue(vec![noop(serde_json::json!({ "latency": i }))])
            .await
            .map_err(|e| anyhow::anyhow!("enqueue: {e}"))?;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut waits: Vec<f64> = loop {
        let rows = db
            .query(
                "SELECT EXTRACT(EPOCH FROM (attempted_at - created_at))::float8 * 1000 FROM jobs WHERE args ? 'latency' AND attempted_at IS NOT NULL",
                &[],
            )
            .await?;
        if rows.len() >= LATENCY_JOBS {
            break rows.iter().map(|r| r.get::<_, f64>(0)).collect();
        }
        if Instant::now() > deadline {
            bail!("latency jobs were not all started within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    waits.sort_by(f64::total_cmp);
    let pct = |p: f64| waits[((waits.len() as f64 - 1.0) * p).round() as usize];
    Ok(serde_json::json!({
        "peer": "powernode",
        "version": env!("CARGO_PKG_VERSION"),
        "jobs": cli.jobs,
        "concurrency": cli.concurrency,
        "enqueue_per_sec": (cli.jobs as f64 / enqueue_secs).round(),
        "process_per_sec": (cli.jobs as f64 / process_secs).round(),
        "latency_p50_ms": (pct(0.5) * 10.0).round() / 10.0,
        "latency_p99_ms": (pct(0.99) * 10.0).round() / 10.0,
    }))
}

fn noop(args: serde_json::Value) -> EnqueueRequest {
    EnqueueRequest {
        job_type: Some("system.noop".into()),
        args: Some(args),
        ..EnqueueRequest::default()
    }
}

async fn wait_healthy(base: &str) -> Result<()> {
    let addr = base.trim_start_matches("http://").to_string();
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("powernode did not start listening on {addr}")
}
