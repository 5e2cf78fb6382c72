//! `api-latency`: times one authenticated GET against several runtimes serving the same data,
//! alternating between them request by request (so a burst of load on this shared machine hits
//! every runtime alike), and prints a Markdown table of p50, p90 and mean, with each runtime's
//! p50 as a ratio of the first's.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Side-by-side latency of one API request on several runtimes")]
struct Cli {
    /// `LABEL=BASE_URL`, one per runtime (the first is the reference).
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// Path and query to GET, e.g. `/api/v1/files?per_page=50`.
    #[arg(long)]
    path: String,
    /// Bearer token.
    #[arg(long, env = "API_LATENCY_TOKEN", hide_env_values = true)]
    token: String,
    /// Timed requests per runtime.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Untimed requests per runtime first (connections, caches, JIT).
    #[arg(long, default_value_t = 30)]
    warmup: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    // p in [0, 1]; the rank is a small index.
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let targets: Vec<(String, String)> = cli
        .targets
        .iter()
        .map(|t| {
            t.split_once('=')
                .map(|(l, u)| (l.to_string(), u.trim_end_matches('/').to_string()))
                .context("a target is LABEL=BASE_URL")
        })
        .collect::<Result<_>>()?;
    let http = reqwest::Client::new();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(cli.requests); targets.len()];
    let mut expected_len = None;
    for i in 0..(cli.warmup + cli.requests) {
        // Rotate who goes first each round.
        for k in 0..targets.len() {
            let t = (i + k) % targets.len();
            let url = format!("{}{}", targets[t].1, cli.path);
            let started = Instant::now();
            let response = http.get(&url).bearer_auth(&cli.token).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let took = started.elapsed();
            if !status.is_success() {
                bail!(
                    "{} answered {status}: {}",
                    targets[t].0,
                    String::from_utf8_lossy(&body)
                );
            }
            // Every runtime must answer the same amount of data, or the race is not fair.
            let rows = serde_json::from_slice::<serde_json::Value>(&body)?["data"]
                .as_array()
                .map(Vec::len);
            match expected_len {
                None => expected_len = Some(rows),
                Some(e) if e != rows => bail!("{} answered {rows:?} rows, not {e:?}", targets[t].0),
                Some(_) => {}
            }
            if i >= cli.warmup {
                samples[t].push(took);
            }
        }
    }
    let rows = expected_len.flatten().unwrap_or(0);
    println!(
        "GET {} ({rows} rows), {} requests each, alternating\n",
        cli.path, cli.requests
    );
    println!(
        "| runtime | p50 ms | p90 ms | mean ms | p50 vs {} |",
        targets[0].0
    );
    println!("|---|---|---|---|---|");
    let mut reference = None;
    for ((label, _), mut s) in targets.iter().zip(samples) {
        s.sort_unstable();
        let p50 = percentile(&s, 0.5);
        let total: Duration = s.iter().sum();
        #[allow(clippy::cast_possible_truncation)]
        let mean = total / (s.len().max(1) as u32);
        let reference = *reference.get_or_insert(p50);
        println!(
            "| {label} | {:.2} | {:.2} | {:.2} | {:.2}x |",
            ms(p50),
            ms(percentile(&s, 0.9)),
            ms(mean),
            ms(p50) / ms(reference).max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}
