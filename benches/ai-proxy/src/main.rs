//! `ai-proxy-bench`: what an LLM proxy costs on top of the model.
//!
//! - `upstream --port P`: an instant OpenAI-compatible server (`/v1/chat/completions` answers a
//!   fixed completion with usage at once), so everything measured is the proxy's.
//! - `run`: sends the same chat request to the upstream directly and through each proxy.
//!   Latency: sequential requests rotating between targets request by request (a burst of load
//!   on this shared machine hits every target alike); a proxy's added latency at p50 and p99 is
//!   its percentile minus the direct call's. Throughput: each target in turn under the same
//!   concurrency for the same time. Memory: each proxy's resident set after its load. Prints a
//!   Markdown table.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::json;

#[derive(Parser)]
#[command(about = "The LLM proxy's own cost, side by side with a direct call and its peers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the instant upstream on 127.0.0.1.
    Upstream {
        #[arg(long)]
        port: u16,
    },
    /// Measure.
    Run(Run),
}

#[derive(clap::Args)]
struct Run {
    /// The upstream's base URL (`http://127.0.0.1:P/v1`), called directly as the baseline.
    #[arg(long)]
    direct: String,
    /// `LABEL=BASE_URL=KEY` per proxy, each serving OpenAI's `/chat/completions` under its base.
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// `LABEL=PID`: the process whose resident memory is that proxy's.
    #[arg(long = "pid")]
    pids: Vec<String>,
    /// The model name every target maps to the upstream.
    #[arg(long, default_value = "bench")]
    model: String,
    /// Timed sequential requests per target.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Untimed requests per target first.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Requests in flight during the throughput runs.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds of each throughput run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

struct Target {
    label: String,
    url: String,
    key: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((last as f64) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn completion() -> serde_json::Value {
    json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "bench",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "An instant answer."}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
    })
}

async fn upstream(port: u16) -> Result<()> {
    let body = completion().to_string();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn call(http: &reqwest::Client, target: &Target, body: &serde_json::Value) -> Result<()> {
    let response = http
        .post(format!("{}/chat/completions", target.url))
        .bearer_auth(&target.key)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{} answered {status}: {text}", target.label);
    }
    let answer: serde_json::Value = serde_json::from_str(&text)?;
    if answer["choices"][0]["message"]["content"] != "An instant answer." {
        bail!("{} answered something else: {text}", target.label);
    }
    Ok(())
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

async fn throughput(
    http: &reqwest::Client,
    target: Arc<Target>,
    body: Arc<serde_json::Value>,
    concurrency: usize,
    seconds: u64,
) -> (f64, u64) {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, target, body, ok, failed) = (
            http.clone(),
            target.clone(),
            body.clone(),
            ok.clone(),
            failed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                match call(&http, &target, &body).await {
                    Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    #[allow(clippy::cast_precision_loss)]
    let rps = ok.load(Ordering::Relaxed) as f64 / seconds as f64;
    (rps, failed.load(Ordering::Relaxed))
}

async fn run(cli: Run) -> Result<()> {
    let mut targets = vec![Target {
        label: "direct".into(),
        url: cli.direct.trim_end_matches('/').into(),
        key: "none".into(),
    }];
    for t in &cli.targets {
        let mut parts = t.splitn(3, '=');
        let (Some(label), Some(url), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("a target is LABEL=BASE_URL=KEY: {t}");
        };
        targets.push(Target {
            label: label.into(),
            url: url.trim_end_matches('/').into(),
            key: key.into(),
        });
    }
    let body = json!({"model": cli.model, "messages": [{"role": "user", "content": "Say something."}], "max_tokens": 8});
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(cli.concurrency)
        .build()?;
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(cli.requests); targets.len()];
    for i in 0..(cli.warmup + cli.requests) {
        for k in 0..targets.len() {
            let t = (i + k) % targets.len();
            let started = Instant::now();
            call(&http, &targets[t], &body)
                .await
                .with_context(|| format!("request {i}"))?;
            if i >= cli.warmup {
                samples[t].push(started.elapsed());
            }
        }
    }
    for s in &mut samples {
        s.sort();
    }
    let direct = (percentile(&samples[0], 0.5), percentile(&samples[0], 0.99));
    let mut rows = Vec::new();
    let body = Arc::new(body);
    for (t, target) in targets.into_iter().enumerate() {
        let target = Arc::new(target);
        let (rps, failed) = throughput(
            &http,
            target.clone(),
            body.clone(),
            cli.concurrency,
            cli.seconds,
        )
        .await;
        let rss = cli
            .pids
            .iter()
            .filter_map(|p| p.split_once('='))
            .find(|(l, _)| *l == target.label)
            .and_then(|(_, pid)| rss_kib(pid));
        let (p50, p99) = (percentile(&samples[t], 0.5), percentile(&samples[t], 0.99));
        rows.push((target.label.clone(), p50, p99, rps, failed, rss));
    }
    let litellm_rps = rows.iter().find(|r| r.0 == "litellm").map(|r| r.3);
    println!(
        "| target | p50 | p99 | added p50 | added p99 | req/s at {} in flight | errors | RSS | req/s vs LiteLLM |",
        cli.concurrency
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (label, p50, p99, rps, failed, rss) in rows {
        let added = |v: Duration, base: Duration| {
            if label == "direct" {
                "-".to_string()
            } else {
                format!("{:.3} ms", ms(v) - ms(base))
            }
        };
        println!(
            "| {label} | {:.3} ms | {:.3} ms | {} | {} | {rps:.0} | {failed} | {} | {} |",
            ms(p50),
            ms(p99),
            added(p50, direct.0),
            added(p99, direct.1),
            rss.map_or_else(|| "-".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
            litellm_rps.map_or_else(|| "-".into(), |l| format!("{:.1}x", rps / l.max(1e-9))),
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Upstream { port } => upstream(port).await,
        Command::Run(run_args) => run(run_args).await,
    }
}
