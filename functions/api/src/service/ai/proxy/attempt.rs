//! One attempt at one provider: send, wait within the deadlines, classify the answer, and when
//! it ends, write its ledger row and report it to the breaker. Whether a failure moves on to
//! the next candidate is the caller's choice (`Failure::retryable`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use futures_util::future::{Either, select};
use shared::api::ai::{Attempt, TokenUsage};
use uuid::Uuid;

use super::upstream::Upstream;
use crate::Api;
use crate::ports::outbound::{Outbound, OutboundBody, OutboundError, OutboundRequest};
use crate::ports::{Cache, Clock, Db, Rng};
use crate::service::ai::Caller;
use crate::service::ai::routing::state::{self, Outcome, Report, Target};
use crate::store::ai::LedgerEntry;

/// The largest non-streamed answer read (a chat answer or a batch of embeddings).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// The ports a call needs, owned, so a stream can outlive the handler that started it.
#[derive(Clone)]
pub struct Deps {
    pub db: Arc<dyn Db>,
    pub cache: Arc<dyn Cache>,
    pub outbound: Arc<dyn Outbound>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
    /// The breaker's first cool-down.
    pub base_cooldown_ms: i64,
}

impl Deps {
    /// From the API's ports.
    pub fn of(api: &Api) -> Self {
        let p = api.ports();
        Self {
            db: p.db.clone(),
            cache: p.cache.clone(),
            outbound: p.outbound.clone(),
            clock: p.clock.clone(),
            rng: p.rng.clone(),
            base_cooldown_ms: api.config().ai_breaker_cooldown_ms,
        }
    }

    /// Milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// A fresh UUIDv7.
    pub fn new_id(&self) -> Uuid {
        let mut bytes = [0u8; 10];
        self.rng.fill(&mut bytes);
        shared::ids::uuid_v7(u64::try_from(self.now_ms()).unwrap_or(0), bytes)
    }

    /// A random number (the weighted strategy).
    pub fn random_u64(&self) -> u64 {
        let mut bytes = [0u8; 8];
        self.rng.fill(&mut bytes);
        u64::from_le_bytes(bytes)
    }
}

/// Runs `fut`, or gives up after `limit`.
pub async fn within<F: Future>(
    outbound: &dyn Outbound,
    limit: Duration,
    fut: F,
) -> Option<F::Output> {
    let fut = Box::pin(fut);
    let timer = Box::pin(outbound.sleep(limit));
    match select(fut, timer).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The provider's HTTP status, if it answered.
    pub status: Option<u16>,
    /// For the caller and the ledger (never a key).
    pub message: String,
    /// The provider refused the request itself (a 4xx other than 408/409/429): not retried.
    pub rejected: bool,
    /// A 429's `Retry-After`, in milliseconds.
    pub park_ms: i64,
}

impl Failure {
    /// A failure that counts against the breaker and moves on.
    pub fn broken(message: impl Into<String>) -> Self {
        Self {
            status: None,
            message: message.into(),
            rejected: false,
            park_ms: 0,
        }
    }

    /// What the breaker makes of it.
    pub fn outcome(&self) -> Outcome {
        if self.rejected || self.park_ms > 0 {
            Outcome::Neutral
        } else {
            Outcome::Failure
        }
    }
}

/// `Retry-After` in milliseconds (seconds only; a date or nothing reads as 1 s).
fn retry_after_ms(headers: &http::HeaderMap) -> i64 {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(1000, |s| (s * 1000.0).min(3_600_000.0) as i64)
        .max(1)
}

/// Sends and waits for the status within the first-token deadline; a non-2xx is read and
/// classified here.
pub async fn open(
    deps: &Deps,
    up: &Upstream,
    request: OutboundRequest,
) -> Result<(http::HeaderMap, OutboundBody), Failure> {
    let out = &*deps.outbound;
    let sent = within(out, up.deadlines.first_token, out.send(request)).await;
    let response = match sent {
        None => {
            return Err(Failure::broken(format!(
                "no answer within the first-token timeout ({} ms)",
                up.deadlines.first_token.as_millis()
            )));
        }
        Some(Err(OutboundError::Blocked(m))) => {
            return Err(Failure::broken(format!("refused: {m}")));
        }
        Some(Err(e)) => return Err(Failure::broken(e.to_string())),
        Some(Ok(r)) => r,
    };
    if (200..300).contains(&response.status) {
        return Ok((response.headers, response.body));
    }
    let status = response.status;
    let park_ms = if status == 429 {
        retry_after_ms(&response.headers)
    } else {
        0
    };
    // The error body is small; a provider that sends an endless one is cut at the deadline.
    let body = within(out, up.deadlines.idle, read_all(response.body, 64 * 1024))
        .await
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut message = format!("HTTP {status}: {}", super::wire::error_message(&body));
    // A provider that echoes the key it was sent must not put it in the ledger or an answer.
    if let Some(key) = up.api_key.as_deref().filter(|k| k.len() >= 4) {
        message = message.replace(key, "[redacted]");
    }
    Err(Failure {
        status: Some(status),
        message,
        rejected: (400..500).contains(&status) && !matches!(status, 408 | 409 | 429),
        park_ms,
    })
}

/// Reads a body whole, up to `limit` bytes.
pub async fn read_all(mut body: OutboundBody, limit: usize) -> Result<Bytes, String> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if buf.len() + chunk.len() > limit {
            return Err(format!("the answer is larger than {limit} bytes"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// A whole (non-streamed) call: the answer's body, or why not.
pub async fn call_whole(
    deps: &Deps,
    up: &Upstream,
    request: OutboundRequest,
) -> Result<Bytes, Failure> {
    let (_, body) = open(deps, up, request).await?;
    within(
        &*deps.outbound,
        up.deadlines.total,
        read_all(body, MAX_ANSWER_BYTES),
    )
    .await
    .ok_or_else(|| Failure::broken("the answer did not finish within the total timeout"))?
    .map_err(Failure::broken)
}

/// What is recorded of an attempt when it ends.
#[derive(Debug, Clone)]
pub struct Ended {
    pub call_id: Uuid,
    pub caller: Caller,
    pub endpoint: &'static str,
    pub requested_model: String,
    pub provider_id: Uuid,
    pub attempt: i32,
    pub stream: bool,
    pub started_ms: i64,
    pub ttft_ms: Option<i64>,
    /// When it ended, if recorded later than that.
    pub ended_ms: Option<i64>,
    pub was_probe: bool,
    /// The knowledge chunks a chat call's memory added (`None`: it asked for none).
    pub memory: Option<Vec<shared::api::knowledge::MemoryChunk>>,
    /// Ok: the usage and its cost in pico-USD; Err: the failure, and whether it came after the
    /// first chunk reached the client (`cut`).
    pub result: Result<(TokenUsage, i64), (Failure, bool)>,
}

impl Ended {
    /// The attempt as the answer lists it.
    pub fn view(&self, now_ms: i64) -> Attempt {
        let (status, error) = match &self.result {
            Ok(_) => ("ok", None),
            Err((f, cut)) => (status_of(f, *cut), Some(f.message.clone())),
        };
        Attempt {
            provider_id: self.provider_id,
            status: status.into(),
            latency_ms: u64::try_from(now_ms - self.started_ms).unwrap_or(0),
            error,
        }
    }
}

fn status_of(f: &Failure, cut: bool) -> &'static str {
    if cut {
        "cut"
    } else if f.rejected {
        "rejected"
    } else {
        "failed"
    }
}

/// Writes the attempt's ledger row and reports it to the breaker. Neither failing fails the
/// call: the tokens are spent, so the answer still goes out, and the failure is logged.
pub async fn record(deps: &Deps, ended: &Ended) -> Attempt {
    let now_ms = ended.ended_ms.unwrap_or_else(|| deps.now_ms());
    let view = ended.view(now_ms);
    let entry = ledger_entry(deps, ended);
    if let Err(e) = crate::store::ai::insert_ledger(&*deps.db, &entry).await {
        tracing::error!(call = %ended.call_id, error = %e, "the AI ledger row was not written");
    }
    report(deps, ended).await;
    view
}

/// The attempt's ledger row.
pub fn ledger_entry(deps: &Deps, ended: &Ended) -> LedgerEntry {
    let now_ms = ended.ended_ms.unwrap_or_else(|| deps.now_ms());
    let latency_ms = i32::try_from(now_ms - ended.started_ms).unwrap_or(i32::MAX);
    let (usage, cost, failure) = match &ended.result {
        Ok((u, c)) => (*u, *c, None),
        Err((f, _)) => (TokenUsage::default(), 0, Some(f)),
    };
    LedgerEntry {
        id: deps.new_id(),
        call_id: ended.call_id,
        account_id: ended.caller.account_id,
        user_id: ended.caller.user_id,
        job_id: ended.caller.job_id,
        api_key_id: ended.caller.api_key_id,
        endpoint: ended.endpoint,
        requested_model: ended.requested_model.clone(),
        provider_id: Some(ended.provider_id),
        served_model: Some(ended.requested_model.clone()),
        attempt: ended.attempt,
        status: match &ended.result {
            Ok(_) => "ok",
            Err((f, cut)) => status_of(f, *cut),
        },
        http_status: failure.and_then(|f| f.status).map(i32::from),
        error: failure.map(|f| f.message.clone()),
        stream: ended.stream,
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cached_input_tokens: usage.cached_input_tokens,
        cost_pusd: cost,
        latency_ms,
        ttft_ms: ended.ttft_ms.and_then(|t| i32::try_from(t).ok()),
        memory_chunks: ended
            .memory
            .as_ref()
            .map_or(0, |m| i32::try_from(m.len()).unwrap_or(i32::MAX)),
        memory_chunk_ids: ended
            .memory
            .as_ref()
            .map(|m| serde_json::json!(m.iter().map(|c| c.chunk_id).collect::<Vec<_>>())),
        run_step: ended.caller.run_step,
        created_at: deps.clock.now(),
    }
}

/// Reports the attempt to its provider's breaker and windows.
pub async fn report(deps: &Deps, ended: &Ended) {
    let now_ms = ended.ended_ms.unwrap_or_else(|| deps.now_ms());
    let (usage, failure) = match &ended.result {
        Ok((u, _)) => (*u, None),
        Err((f, _)) => (TokenUsage::default(), Some(f)),
    };
    let target = Target {
        provider: ended.provider_id,
        model: ended.requested_model.clone(),
    };
    let latency = ended.ttft_ms.unwrap_or(now_ms - ended.started_ms).max(1) * 1000;
    let report = Report {
        outcome: match &ended.result {
            Ok(_) => Outcome::Success,
            Err((f, _)) => f.outcome(),
        },
        // Failures would drag the average down (a refused connection is fast).
        latency_us: if ended.result.is_ok() { latency } else { 0 },
        tokens: usage.total_tokens,
        was_probe: ended.was_probe,
        park_ms: failure.map_or(0, |f| f.park_ms),
        base_cooldown_ms: deps.base_cooldown_ms,
        error: failure.map(|f| f.message.clone()),
    };
    if let Err(e) = state::release(&*deps.cache, &target, &report, now_ms).await {
        tracing::warn!(call = %ended.call_id, error = %e, "the AI routing state was not updated");
    }
}
