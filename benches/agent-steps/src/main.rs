//! `agent-steps-bench`: what making an agent's steps durable costs, against a running
//! Powernode whose AI provider is an instant upstream (`ai-proxy-bench upstream`), so what is
//! measured is the platform's.
//!
//! 1. **A step against a plain call**, sequential requests alternating request by request (a
//!    burst of load on this shared machine hits both alike), then each under the same
//!    concurrency for the same time: the worker chat route as a consumer's `ai.chat` calls it,
//!    and the same call as a run's model step (`metadata.run_id`/`run_step`: the replay check,
//!    then the ledger row and the step in one transaction). A third row asks for steps already
//!    recorded: what a consumer resuming after a crash pays.
//! 2. **Whole runs against `ai.chat` jobs**: `--jobs` runs of an agent without tools (start,
//!    one model step, finish) executed by a running consumer, against
//!    as many `ai.chat` jobs making the same model call; jobs per second end to end.
//!
//! `--part steps` runs part 1 (no consumer of `ai` may run: the bench takes the steps itself),
//! `--part jobs` part 2 (one consumer of `ai` must).
//!
//! Prints Markdown tables.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "The cost of durable agent steps, side by side with plain proxy calls")]
struct Cli {
    /// The API's base URL.
    #[arg(long)]
    base: String,
    /// A user of an account whose provider serves `--model` (owner: it creates the agent).
    #[arg(long)]
    token: String,
    /// The consumers' `WORKER_SERVICE_TOKEN` secret (the worker routes' tokens are signed
    /// with it).
    #[arg(long)]
    service_token: String,
    /// The chat model.
    #[arg(long, default_value = "bench")]
    model: String,
    /// Timed sequential requests of each kind.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Untimed requests of each kind first.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    /// Requests in flight during the throughput runs.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of each throughput run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Runs, and `ai.chat` jobs, of part 2.
    #[arg(long, default_value_t = 300)]
    jobs: usize,
    /// `steps` (part 1: no consumer of the `ai` queue may run) or `jobs` (part 2: one must).
    #[arg(long)]
    part: Part,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Part {
    Steps,
    Jobs,
}

struct Bench {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Signs service tokens as a consumer does.
    service: jobs::client::BackendApiClient,
    model: String,
    account: String,
}

/// Steps a run may number (the API's bound on `run_step`).
const STEPS_PER_RUN: usize = 1000;

impl Bench {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let response = req.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {text}");
        }
        let v: Value = serde_json::from_str(&text)?;
        Ok(v["data"].clone())
    }

    async fn user(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        self.send(method, path, &self.token, body).await
    }

    fn service_token(&self) -> Result<String> {
        Ok(self.service.bearer_token()?)
    }

    /// One worker chat call; `step` names a run's step.
    async fn chat(&self, step: Option<(&str, usize)>) -> Result<()> {
        let mut body = json!({
            "model": self.model, "account_id": self.account, "max_tokens": 8,
            "messages": [{"role": "user", "content": "Say something."}],
        });
        if let Some((run, n)) = step {
            body["metadata"] = json!({"run_id": run, "run_step": n});
        }
        let answer = self
            .send(
                reqwest::Method::POST,
                "/api/v1/worker/ai/chat",
                &self.service_token()?,
                Some(&body),
            )
            .await?;
        if answer["content"] != "An instant answer." {
            bail!("the proxy answered something else: {answer}");
        }
        Ok(())
    }

    /// A new running run of `agent` (started through the worker route, as a consumer would).
    async fn running_run(&self, agent: &str) -> Result<String> {
        let run = self
            .user(
                reqwest::Method::POST,
                &format!("/api/v1/ai/agents/{agent}/runs"),
                Some(&json!({"input": "hi"})),
            )
            .await?;
        let id = run["id"].as_str().context("run id")?.to_string();
        // No consumer runs in this part: the run's job is withdrawn, and the bench takes its
        // steps itself.
        let job = run["job_id"].as_str().context("job id")?;
        self.user(
            reqwest::Method::POST,
            &format!("/api/v1/admin/jobs/{job}/discard"),
            Some(&json!({})),
        )
        .await?;
        self.send(
            reqwest::Method::POST,
            &format!("/api/v1/worker/ai/runs/{id}/start"),
            &self.service_token()?,
            None,
        )
        .await?;
        Ok(id)
    }
}

/// Hands out fresh (run, step) pairs, a new run every 1,000 steps.
struct Steps {
    agent: String,
    runs: Vec<String>,
    next: usize,
}

impl Steps {
    async fn take(&mut self, b: &Bench) -> Result<(String, usize)> {
        if self.next.is_multiple_of(STEPS_PER_RUN) {
            self.runs.push(b.running_run(&self.agent).await?);
        }
        let n = self.next % STEPS_PER_RUN + 1;
        self.next += 1;
        Ok((self.runs.last().cloned().unwrap_or_default(), n))
    }
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

/// Requests per second of `call` with `concurrency` in flight for `seconds`; failures counted.
async fn throughput<F, Fut>(concurrency: usize, seconds: u64, call: F) -> (f64, u64)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let call = Arc::new(call);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (call, ok, failed, counter) =
            (call.clone(), ok.clone(), failed.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                match call(i).await {
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

/// Part 1: a step against a plain call.
async fn steps_against_calls(cli: &Cli, b: Arc<Bench>, agent: &str) -> Result<()> {
    let mut steps = Steps {
        agent: agent.to_string(),
        runs: Vec::new(),
        next: 0,
    };
    let mut recorded = Vec::new();
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for i in 0..(cli.warmup + cli.requests) {
        for k in 0..3 {
            let kind = (i + k) % 3;
            let started = Instant::now();
            match kind {
                0 => b.chat(None).await,
                1 => {
                    let (run, n) = steps.take(&b).await?;
                    let r = b.chat(Some((&run, n))).await;
                    recorded.push((run, n));
                    r
                }
                _ => match recorded.get(i % recorded.len().max(1)) {
                    Some((run, n)) => b.chat(Some((run, *n))).await,
                    None => Ok(()),
                },
            }
            .with_context(|| format!("request {i}"))?;
            if i >= cli.warmup {
                samples[kind].push(started.elapsed());
            }
        }
    }
    for s in &mut samples {
        s.sort();
    }
    // Throughput: each runs apart, for the same time at the same concurrency. Fresh steps come
    // from runs made beforehand (a run's creation is not part of a step's cost).
    let (plain_rps, plain_failed) = {
        let b = b.clone();
        throughput(cli.concurrency, cli.seconds, move |_| {
            let b = b.clone();
            async move { b.chat(None).await }
        })
        .await
    };
    let mut fresh = Vec::new();
    // Enough fresh steps for twice the plain rate (the step is the slower path).
    let wanted =
        (plain_rps as usize).saturating_mul(usize::try_from(cli.seconds).unwrap_or(1)) * 2 + 1;
    for _ in 0..wanted.div_ceil(STEPS_PER_RUN) {
        fresh.push(b.running_run(agent).await?);
    }
    let fresh = Arc::new(fresh);
    let (step_rps, step_failed) = {
        let (b, fresh) = (b.clone(), fresh.clone());
        throughput(cli.concurrency, cli.seconds, move |i| {
            let (b, fresh) = (b.clone(), fresh.clone());
            async move {
                let i = usize::try_from(i).unwrap_or(usize::MAX);
                let run = fresh.get(i / STEPS_PER_RUN).context("out of fresh runs")?;
                b.chat(Some((run, i % STEPS_PER_RUN + 1))).await
            }
        })
        .await
    };
    let recorded = Arc::new(recorded);
    let (replay_rps, replay_failed) = {
        let (b, recorded) = (b.clone(), recorded.clone());
        throughput(cli.concurrency, cli.seconds, move |i| {
            let (b, recorded) = (b.clone(), recorded.clone());
            async move {
                let (run, n) = &recorded[usize::try_from(i).unwrap_or(0) % recorded.len()];
                b.chat(Some((run, *n))).await
            }
        })
        .await
    };
    println!(
        "| call | p50 | p99 | p50 vs plain | req/s at {} in flight | req/s vs plain | errors |",
        cli.concurrency
    );
    println!("|---|---|---|---|---|---|---|");
    let base = percentile(&samples[0], 0.5);
    let rows = [
        (
            "plain worker chat (as `ai.chat`)",
            &samples[0],
            plain_rps,
            plain_failed,
        ),
        (
            "a run's model step (booked with its step)",
            &samples[1],
            step_rps,
            step_failed,
        ),
        (
            "a recorded step asked again (resume)",
            &samples[2],
            replay_rps,
            replay_failed,
        ),
    ];
    for (label, s, rps, failed) in rows {
        let p50 = percentile(s, 0.5);
        println!(
            "| {label} | {:.3} ms | {:.3} ms | {:.2}x | {rps:.0} | {:.2}x | {failed} |",
            ms(p50),
            ms(percentile(s, 0.99)),
            ms(p50) / ms(base).max(1e-9),
            rps / plain_rps.max(1e-9),
        );
    }
    Ok(())
}

/// Part 2: whole runs against `ai.chat` jobs, through the running consumer.
async fn runs_against_jobs(cli: &Cli, b: &Bench, agent: &str) -> Result<()> {
    // ai.chat jobs first, then runs, each timed from the first enqueue to the last completion.
    let started = Instant::now();
    let mut jobs = Vec::new();
    for i in 0..cli.jobs {
        // Each job's arguments differ: the runaway guard disables a job type that runs with the
        // same arguments more than 5 times a minute (runs differ by their run id).
        let job = b
            .user(
                reqwest::Method::POST,
                "/api/v1/admin/jobs",
                Some(&json!({"job_type": "ai.chat", "queue": "ai",
                             "args": {"model": b.model, "prompt": format!("hi {i}"), "max_tokens": 8}})),
            )
            .await?;
        jobs.push(job["id"].as_str().context("job id")?.to_string());
    }
    for id in &jobs {
        loop {
            let j = b
                .user(
                    reqwest::Method::GET,
                    &format!("/api/v1/admin/jobs/{id}"),
                    None,
                )
                .await?;
            match j["state"].as_str() {
                Some("completed") => break,
                Some("dead" | "retryable") => bail!("an ai.chat job failed: {j}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    let jobs_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut runs = Vec::new();
    for _ in 0..cli.jobs {
        let run = b
            .user(
                reqwest::Method::POST,
                &format!("/api/v1/ai/agents/{agent}/runs"),
                Some(&json!({"input": "hi"})),
            )
            .await?;
        runs.push(run["id"].as_str().context("run id")?.to_string());
    }
    for id in &runs {
        loop {
            let r = b
                .user(reqwest::Method::GET, &format!("/api/v1/ai/runs/{id}"), None)
                .await?;
            match r["status"].as_str() {
                Some("completed") => break,
                Some("failed" | "cancelled") => bail!("a run ended otherwise: {r}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    let runs_secs = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let n = cli.jobs as f64;
    println!();
    println!(
        "| {} jobs on queue `ai`, one consumer | jobs/s end to end | vs `ai.chat` |",
        cli.jobs
    );
    println!("|---|---|---|");
    println!(
        "| `ai.chat` (one proxy call) | {:.1} | 1.00x |",
        n / jobs_secs
    );
    println!(
        "| `ai.agent_run`, no tools (start, one model step booked with its step, finish) | {:.1} | {:.2}x |",
        n / runs_secs,
        jobs_secs / runs_secs
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(cli.concurrency * 2)
        .build()?;
    let mut b = Bench {
        http,
        base: cli.base.trim_end_matches('/').to_string(),
        token: cli.token.clone(),
        service: jobs::client::BackendApiClient::new(
            &cli.base,
            cli.service_token.as_bytes(),
            "agent-steps-bench",
        )?,
        model: cli.model.clone(),
        account: String::new(),
    };
    let me = b
        .user(reqwest::Method::GET, "/api/v1/auth/me", None)
        .await?;
    b.account = me["account_id"]
        .as_str()
        .context("account_id in /auth/me")?
        .to_string();
    let name = match cli.part {
        Part::Steps => "bench-steps",
        Part::Jobs => "bench-runs",
    };
    let agent = b
        .user(
            reqwest::Method::POST,
            "/api/v1/ai/agents",
            Some(&json!({"name": name, "model": b.model})),
        )
        .await?;
    let agent = agent["id"].as_str().context("agent id")?.to_string();
    match cli.part {
        Part::Steps => steps_against_calls(&cli, Arc::new(b), &agent).await?,
        Part::Jobs => runs_against_jobs(&cli, &b, &agent).await?,
    }
    Ok(())
}
