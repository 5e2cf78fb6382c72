//! `ingest`: the ingestion rate end to end, through the HTTP API of a running `powernode serve`
//! (with its consumers): an account, an OpenAI-compatible provider serving the embedding model,
//! a base, N documents added as text; then the documents are polled until every one is
//! `ready` (or `failed`). Chunks per second = the chunks the API made and embedded / the time
//! from the first add to the last document ready.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::corpus;
use crate::load::MODEL;

#[derive(clap::Args)]
pub struct Ingest {
    /// The platform (`http://127.0.0.1:P`).
    #[arg(long)]
    api: String,
    /// The embedding server's OpenAI base URL (`http://127.0.0.1:P/v1`).
    #[arg(long)]
    embed_url: String,
    /// The corpus directory (its `documents.tsv`).
    #[arg(long)]
    corpus: PathBuf,
    /// Documents to add.
    #[arg(long, default_value_t = 2000)]
    documents: usize,
    /// Adds in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The base's chunk size in tokens (the API's default is 400).
    #[arg(long, default_value_t = 128)]
    chunk_tokens: i32,
    /// Tokens a chunk repeats from the one before.
    #[arg(long, default_value_t = 16)]
    chunk_overlap: i32,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON: {text}"))
    }
}

/// The `data` of an answer (the API wraps every answer in `{"data": ...}`).
fn data(v: &Value) -> &Value {
    v.get("data").unwrap_or(v)
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str> {
    data(v)
        .get(name)
        .and_then(Value::as_str)
        .with_context(|| format!("no `{name}` in {v}"))
}

/// The embedding server alone, over HTTP, as a yardstick: `texts` in batches of `batch`.
async fn embed_alone(
    http: &reqwest::Client,
    url: &str,
    texts: &[String],
    batch: usize,
) -> Result<f64> {
    let started = Instant::now();
    for part in texts.chunks(batch.max(1)) {
        let resp = http
            .post(format!("{url}/embeddings"))
            .json(&json!({"model": MODEL, "input": part}))
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("embedding server: {}", resp.status());
        }
        resp.bytes().await?;
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = texts.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    Ok(rate)
}

pub async fn run(args: Ingest) -> Result<()> {
    let rows = corpus::read_tsv(&args.corpus.join("documents.tsv"), 3)?;
    if rows.is_empty() {
        bail!("no documents in the corpus");
    }
    // Spread over the corpus (every base), deterministically.
    let n = args.documents.min(rows.len());
    let docs: Vec<(String, String)> = (0..n)
        .map(|i| {
            let row = &rows[i * rows.len() / n];
            (corpus::unescape(&row[1]), corpus::unescape(&row[2]))
        })
        .collect();
    let words: usize = docs.iter().map(|(_, t)| t.split_whitespace().count()).sum();

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let base = args.api.trim_end_matches('/').to_string();
    let register = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({
            "email": format!("knowledge-bench-{}@example.com", uuid::Uuid::now_v7().simple()),
            "password": "bench password 0123",
            "name": "Knowledge bench",
        }))
        .send()
        .await?;
    let status = register.status();
    let register: Value = serde_json::from_str(&register.text().await?)
        .with_context(|| format!("register: {status}"))?;
    let token = field(&register, "access_token")?.to_string();
    let api = Arc::new(Api {
        http: http.clone(),
        base,
        token,
    });

    api.call(
        reqwest::Method::POST,
        "/api/v1/ai/providers",
        Some(&json!({
            "name": "wordllama",
            "kind": "openai",
            "base_url": args.embed_url,
            "models": [{"name": MODEL, "kind": "embedding", "input_usd_per_mtok": 0.01, "output_usd_per_mtok": 0.0}],
        })),
    )
    .await?;
    let created = api
        .call(
            reqwest::Method::POST,
            "/api/v1/knowledge/bases",
            Some(&json!({
                "name": "ingestion",
                "embedding_model": MODEL,
                "chunk_tokens": args.chunk_tokens,
                "chunk_overlap": args.chunk_overlap,
            })),
        )
        .await?;
    let base_id = field(&created, "id")?.to_string();

    // The model alone first, for scale: paragraphs of the documents, in batches of 32 (the
    // ingestion job's `EMBED_BATCH`), one call at a time.
    let sample: Vec<String> = docs
        .iter()
        .flat_map(|(_, t)| t.split("\n\n").map(str::to_owned))
        .take(4096)
        .collect();
    let alone = embed_alone(&http, args.embed_url.trim_end_matches('/'), &sample, 32).await?;

    eprintln!("adding {n} documents ({words} words) to base {base_id}");
    let started = Instant::now();
    let docs = Arc::new(docs);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // A 500 is retried (up to 5 attempts) and counted: the add is idempotent (same title, same
    // text), and a transient failure should not end the measurement, but it is reported.
    let retried = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let first_failure: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    for _ in 0..args.concurrency.max(1) {
        let (api, docs, next, base_id) = (api.clone(), docs.clone(), next.clone(), base_id.clone());
        let (retried, first_failure) = (retried.clone(), first_failure.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((title, text)) = docs.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                let body = json!({"title": title, "text": text});
                let path = format!("/api/v1/knowledge/bases/{base_id}/documents");
                let mut attempt = 1;
                loop {
                    match api.call(reqwest::Method::POST, &path, Some(&body)).await {
                        Ok(_) => break,
                        Err(e) if attempt < 5 && e.to_string().contains(": 500 ") => {
                            retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if let Ok(mut first) = first_failure.lock() {
                                first.get_or_insert_with(|| e.to_string());
                            }
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.context("add task")??;
    }
    let retried = retried.load(std::sync::atomic::Ordering::Relaxed);
    if let Ok(first) = first_failure.lock()
        && let Some(e) = first.as_ref()
    {
        eprintln!("{retried} adds answered 500 and were retried; the first: {e}");
    }
    let added = started.elapsed();
    eprintln!(
        "{n} documents added in {:.1} s; waiting for ready",
        added.as_secs_f64()
    );

    let deadline = started + Duration::from_secs(args.timeout);
    let (ready, failed, chunks, first_error) = loop {
        let (mut ready, mut failed, mut chunks, mut first_error) = (0usize, 0usize, 0i64, None);
        let mut page_no = 1usize;
        loop {
            let page = api
                .call(
                    reqwest::Method::GET,
                    &format!(
                        "/api/v1/knowledge/bases/{base_id}/documents?page={page_no}&per_page=100"
                    ),
                    None,
                )
                .await?;
            let items = data(&page)
                .as_array()
                .with_context(|| format!("documents: not a list: {page}"))?;
            for d in items {
                match d.get("status").and_then(Value::as_str) {
                    Some("ready") => {
                        ready += 1;
                        chunks += d.get("chunk_count").and_then(Value::as_i64).unwrap_or(0);
                    }
                    Some("failed") => {
                        failed += 1;
                        if first_error.is_none() {
                            first_error = d.get("error").map(Value::to_string);
                        }
                    }
                    _ => {}
                }
            }
            page_no += 1;
            if items.len() < 100 {
                break;
            }
        }
        if ready + failed >= n {
            break (ready, failed, chunks, first_error);
        }
        if Instant::now() > deadline {
            bail!(
                "after {} s only {ready} of {n} documents are ready ({failed} failed)",
                args.timeout
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let took = started.elapsed().as_secs_f64();
    if let Some(e) = first_error {
        eprintln!("{failed} documents failed; the first: {e}");
    }
    #[allow(clippy::cast_precision_loss)]
    let (chunk_rate, doc_rate) = (
        chunks as f64 / took.max(1e-9),
        ready as f64 / took.max(1e-9),
    );
    println!("\n### Ingestion end to end through the API\n");
    println!(
        "| documents | words | chunk_tokens / overlap | chunks | adds accepted in | adds retried after a 500 | all ready in | chunks/s end to end | documents/s | failed | the embedding server alone |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {n} | {words} | {} / {} | {chunks} | {:.1} s | {retried} | {took:.1} s | **{chunk_rate:.0}** | {doc_rate:.1} | {failed} | {alone:.0} texts/s (batches of 32, one at a time) |",
        args.chunk_tokens,
        args.chunk_overlap,
        added.as_secs_f64()
    );
    if failed > 0 {
        bail!("{failed} of {n} documents failed");
    }
    Ok(())
}
