//! One proxy call: check the request, find the candidates (enabled providers of the account
//! that offer the model, under their limits, breaker not open), order them by the strategy,
//! reserve against the budget, then try up to three in turn until one answers. A failure before
//! the first byte reaches the client moves on; a request the provider rejects does not.
//!
//! Layout: `wire` (kind-neutral shapes), `openai` and `anthropic` (the two wire formats),
//! `upstream` (a provider ready to call), `attempt` (one try, its ledger row and breaker
//! report), `relay` (a stream after its first piece).

pub mod anthropic;
pub mod attempt;
pub mod openai;
pub mod relay;
pub mod upstream;
pub mod wire;

use eventsource_stream::Eventsource as _;
use futures_util::StreamExt as _;
use serde_json::Value;
use shared::ErrorCode;
use shared::FieldError;
use shared::api::ai::{Attempt, ChatAnswer, ChatRequest, EmbeddingsAnswer, EmbeddingsRequest};
use shared::api::knowledge::MemoryChunk;
use uuid::Uuid;

use self::attempt::{Deps, Ended, Failure, call_whole, open, record, within};
use self::relay::{EventStream, Parser, Relay, event_of};
use self::upstream::{Kind, Model, Upstream};
use self::wire::{Answer, ChatCall, Piece, UsagePart};
use super::Caller;
use super::agents::steps;
use super::budget::{self, Hold};
use super::money::{cost_pusd, pusd_to_usd};
use super::routing::state::{self, Limits, Target};
use super::routing::strategy::{self, Choice, Strategy};
use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::service::knowledge::memory;
use crate::service::validate::Checks;

/// Attempts per call at most (API.md "Failover").
pub const MAX_ATTEMPTS: usize = 3;

/// An event of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ProxyEvent {
    /// A chunk: text, or a fragment of a tool call.
    Delta {
        content: String,
        tool_call_delta: Option<Value>,
    },
    /// The whole answer, last.
    Done(Box<ChatAnswer>),
    /// The stream broke off after it started.
    Error { code: String, message: String },
}

/// A chat call's result.
pub enum ChatOutcome {
    /// Answered whole.
    Answer(Box<ChatAnswer>),
    /// Streaming.
    Stream(EventStream),
}

/// The checked parts of a request that pick providers.
struct Route {
    model: String,
    strategy: Strategy,
    only: Option<Vec<Uuid>>,
    fallback: bool,
}

impl Route {
    /// Attempts a call may make.
    fn max_attempts(&self) -> i32 {
        if self.fallback {
            MAX_ATTEMPTS as i32
        } else {
            1
        }
    }
}

fn check_route(
    checks: &mut Checks,
    model: Option<&str>,
    routing: Option<&shared::api::ai::Routing>,
) -> Option<Route> {
    let model = match model.map(str::trim) {
        Some(m) if !m.is_empty() && m.len() <= 200 && !m.chars().any(char::is_control) => {
            Some(m.to_string())
        }
        _ => {
            checks.fail("model", "is required (1 to 200 characters)");
            None
        }
    };
    let strategy = match routing.and_then(|r| r.strategy.as_deref()) {
        None => Some(Strategy::Weighted),
        Some(s) => Strategy::parse(s).or_else(|| {
            checks.fail(
                "routing.strategy",
                format!("must be one of {}", Strategy::NAMES.join(", ")),
            );
            None
        }),
    };
    Some(Route {
        model: model?,
        strategy: strategy?,
        only: routing.and_then(|r| r.providers.clone()),
        fallback: routing.and_then(|r| r.fallback).unwrap_or(true),
    })
}

fn check_chat(req: ChatRequest) -> ApiResult<(Route, ChatCall, bool)> {
    let mut checks = Checks::new();
    let route = check_route(&mut checks, req.model.as_deref(), req.routing.as_ref());
    let messages = match req.messages {
        Some(m) if !m.is_empty() => {
            for (i, msg) in m.iter().enumerate() {
                let role = msg.get("role").and_then(Value::as_str);
                if !matches!(
                    role,
                    Some("system" | "developer" | "user" | "assistant" | "tool")
                ) {
                    checks.fail(
                        &format!("messages[{i}].role"),
                        "must be system, developer, user, assistant or tool",
                    );
                }
                match msg.get("content") {
                    Some(Value::String(_) | Value::Array(_)) => {}
                    Some(Value::Null) | None if role == Some("assistant") => {}
                    _ => checks.fail(
                        &format!("messages[{i}].content"),
                        "must be text or an array of parts",
                    ),
                }
            }
            m
        }
        _ => {
            checks.fail("messages", "is required: at least one message");
            Vec::new()
        }
    };
    if let Some(tools) = &req.tools {
        for (i, t) in tools.iter().enumerate() {
            if t.get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .is_none()
            {
                checks.fail(
                    &format!("tools[{i}]"),
                    "must be {type: function, function: {name, parameters}}",
                );
            }
        }
    }
    if let Some(format) = &req.response_format
        && !matches!(
            format.get("type").and_then(Value::as_str),
            Some("text" | "json_object" | "json_schema")
        )
    {
        checks.fail(
            "response_format.type",
            "must be text, json_object or json_schema",
        );
    }
    if req.max_tokens.is_some_and(|m| m == 0 || m > 1_000_000) {
        checks.fail("max_tokens", "must be from 1 to 1000000");
    }
    if req.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        checks.fail("temperature", "must be from 0 to 2");
    }
    checks.finish()?;
    let route = route.ok_or_else(|| ApiError::internal("validation passed without a route"))?;
    let call = ChatCall {
        messages,
        tools: req.tools,
        tool_choice: req.tool_choice,
        response_format: req.response_format,
        max_tokens: req.max_tokens,
        temperature: req.temperature,
    };
    Ok((route, call, req.stream.unwrap_or(false)))
}

/// A rough token count of a request: characters / 3, plus a little per message for the
/// template. Only reservations and `least_cost` use it; the ledger keeps the provider's count.
fn estimate_input_tokens(call: &ChatCall) -> i64 {
    let chars: usize = call
        .messages
        .iter()
        .map(|m| m.to_string().len())
        .sum::<usize>()
        + call
            .tools
            .iter()
            .flatten()
            .map(|t| t.to_string().len())
            .sum::<usize>();
    i64::try_from(chars / 3).unwrap_or(i64::MAX / 2) + 16 * call.messages.len() as i64 + 32
}

/// Output tokens a call without `max_tokens` is reserved for.
const DEFAULT_OUTPUT_RESERVATION: i64 = 4096;

/// A provider that can be tried, in order.
struct Candidate {
    upstream: Upstream,
    model: Model,
}

/// The account's candidates for `route` and `kind` (`chat` or `embedding`), ordered.
async fn candidates(
    api: &Api,
    deps: &Deps,
    account: Uuid,
    route: &Route,
    kind: &str,
    estimate: (i64, i64),
) -> ApiResult<Vec<Candidate>> {
    let all = super::providers::load_upstreams(api, account).await?;
    let offering: Vec<Candidate> = all
        .iter()
        .filter(|u| u.enabled)
        .filter(|u| route.only.as_ref().is_none_or(|only| only.contains(&u.id)))
        .filter_map(|u| {
            let model = u.model(&route.model, kind)?.clone();
            Some(Candidate {
                upstream: u.clone(),
                model,
            })
        })
        .collect();
    if offering.is_empty() {
        return Err(ApiError::invalid_field(
            "model",
            format!(
                "no enabled provider of this account{} offers the {kind} model `{}`",
                if route.only.is_some() {
                    " among routing.providers"
                } else {
                    ""
                },
                route.model
            ),
        ));
    }
    let targets: Vec<Target> = offering
        .iter()
        .map(|c| Target {
            provider: c.upstream.id,
            model: route.model.clone(),
        })
        .collect();
    let now_ms = deps.now_ms();
    let (lives, rr) = if route.strategy.needs_live_state() {
        state::read(
            &*deps.cache,
            &targets,
            &format!("ai:rr:{account}:{}", route.model),
            now_ms,
        )
        .await
        .map_err(|e| ApiError::unavailable("the AI routing state", e.to_string()))?
    } else {
        (vec![state::Live::default(); targets.len()], 0)
    };
    let mut open_for: Option<i64> = None;
    let mut usable = Vec::new();
    let mut choices = Vec::new();
    for (c, live) in offering.into_iter().zip(lives) {
        let stale = c.upstream.deadlines.total.as_millis() as i64;
        let full = c
            .upstream
            .rpm_limit
            .is_some_and(|l| live.rpm >= i64::from(l))
            || c.upstream
                .tpm_limit
                .is_some_and(|l| live.tpm >= i64::from(l));
        let wait = live
            .wait_ms(now_ms, stale)
            .or(full.then_some(60_000 - now_ms % 60_000));
        if let Some(ms) = wait {
            open_for = Some(open_for.map_or(ms, |w| w.min(ms)));
            continue;
        }
        choices.push(Choice {
            provider: c.upstream.id,
            weight: c.upstream.weight,
            priority: c.upstream.priority,
            estimated_cost: cost_pusd(
                &shared::api::ai::TokenUsage {
                    input_tokens: estimate.0,
                    output_tokens: estimate.1,
                    cached_input_tokens: 0,
                    total_tokens: estimate.0 + estimate.1,
                },
                &c.model.price,
            ),
            busy: live.busy,
            latency_us: live.latency_us,
        });
        usable.push(Some(c));
    }
    if usable.is_empty() {
        return Err(nobody_free(&route.model, open_for));
    }
    // All of them, in order: the caller stops after `route.max_attempts()` real attempts (a
    // candidate whose claim is refused is no attempt).
    let order = strategy::order(route.strategy, &choices, rr, deps.random_u64());
    Ok(order
        .into_iter()
        .filter_map(|i| usable.get_mut(i).and_then(Option::take))
        .collect())
}

/// The breaker targets of `cands`, in order.
fn targets_of(cands: &[Candidate], model: &str) -> Vec<Target> {
    cands
        .iter()
        .map(|c| Target {
            provider: c.upstream.id,
            model: model.to_string(),
        })
        .collect()
}

/// Claims a call to `cand` (its breaker, window and probe slot): the attempt, begun, or `None`
/// when the claim is refused.
#[allow(clippy::too_many_arguments)]
async fn claim(
    deps: &Deps,
    cand: &Candidate,
    caller: Caller,
    call_id: Uuid,
    model: &str,
    endpoint: &'static str,
    stream: bool,
    attempt: i32,
) -> ApiResult<Option<Ended>> {
    let target = Target {
        provider: cand.upstream.id,
        model: model.to_string(),
    };
    let limits = Limits {
        rpm: cand.upstream.rpm_limit,
        tpm: cand.upstream.tpm_limit,
        probe_stale_ms: cand.upstream.deadlines.total.as_millis() as i64,
    };
    let was_probe = match state::acquire(&*deps.cache, &target, limits, deps.now_ms()).await {
        Ok(Ok(probe)) => probe,
        Ok(Err(_)) => return Ok(None),
        Err(e) => return Err(ApiError::unavailable("the AI routing state", e.to_string())),
    };
    Ok(Some(Ended {
        call_id,
        caller,
        endpoint,
        requested_model: model.to_string(),
        provider_id: cand.upstream.id,
        attempt,
        stream,
        started_ms: deps.now_ms(),
        ttft_ms: None,
        ended_ms: None,
        was_probe,
        memory: None,
        result: Err((Failure::broken("not finished"), false)),
    }))
}

/// The 503 when no candidate can take a call: `Retry-After` is the earliest moment one can
/// (`wait_ms`), or 1 s when unknown.
fn nobody_free(model: &str, wait_ms: Option<i64>) -> ApiError {
    let secs = (wait_ms.unwrap_or(1000).max(1) + 999) / 1000;
    let mut e = ApiError::unavailable(
        "AI providers",
        "every provider of the model is open, parked or at its limit",
    );
    e.message = format!(
        "no provider can take `{model}` right now (breakers open or limits reached); retry in {secs} s"
    );
    e.retry_after = Some(u64::try_from(secs).unwrap_or(1));
    e
}

/// After every claim was refused: reads the routing state to say when one can be claimed.
async fn refused_everywhere(
    deps: &Deps,
    account: Uuid,
    model: &str,
    targets: &[Target],
) -> ApiError {
    let now_ms = deps.now_ms();
    match state::read(
        &*deps.cache,
        targets,
        &format!("ai:rr:{account}:{model}"),
        now_ms,
    )
    .await
    {
        Ok((lives, _)) => {
            // A probe or a window's claim is settled within the whole-call timeout; a minute
            // is the longest a window stays full.
            let wait = lives
                .iter()
                .filter_map(|l| l.wait_ms(now_ms, i64::MAX / 4).map(|w| w.min(60_000)))
                .min();
            nobody_free(model, wait)
        }
        Err(e) => ApiError::unavailable("the AI routing state", e.to_string()),
    }
}

/// The most a call can cost at the dearest candidate, in pico-USD.
fn reservation(cands: &[Candidate], estimate: (i64, i64)) -> i64 {
    cands
        .iter()
        .map(|c| {
            cost_pusd(
                &shared::api::ai::TokenUsage {
                    input_tokens: estimate.0,
                    output_tokens: estimate.1,
                    cached_input_tokens: 0,
                    total_tokens: estimate.0 + estimate.1,
                },
                &c.model.price,
            )
        })
        .max()
        .unwrap_or(0)
}

/// The 502 after every attempt failed.
fn all_failed(attempts: &[Attempt]) -> ApiError {
    let mut e = ApiError::new(
        ErrorCode::UpstreamError,
        format!("every provider tried failed ({} attempts)", attempts.len()),
    );
    e.details = attempts
        .iter()
        .map(|a| FieldError {
            field: a.provider_id.to_string(),
            message: a.error.clone().unwrap_or_else(|| a.status.clone()),
        })
        .collect();
    e
}

fn rejected(f: &Failure) -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamRejected,
        format!("the provider rejected the request: {}", f.message),
    )
}

/// `POST /api/v1/ai/chat` and its twins.
pub async fn chat(api: &Api, caller: Caller, mut req: ChatRequest) -> ApiResult<ChatOutcome> {
    if let Some(step) = caller.run_step {
        if req.stream == Some(true) {
            return Err(ApiError::invalid_field(
                "stream",
                "an agent run's step is answered whole",
            ));
        }
        // A step already recorded (the consumer crashed after it) is answered from the record.
        if let Some(answer) = steps::open_llm_step(api, caller.account_id, step).await? {
            return Ok(ChatOutcome::Answer(Box::new(answer)));
        }
    }
    let memory_request = req.memory.take();
    let (route, mut call, stream) = check_chat(req)?;
    let memory = match &memory_request {
        Some(m) => Some(memory::recall(api, caller, m, &mut call.messages).await?),
        None => None,
    };
    let deps = Deps::of(api);
    let estimate = (
        estimate_input_tokens(&call),
        call.max_tokens
            .map_or(DEFAULT_OUTPUT_RESERVATION, i64::from),
    );
    let cands = candidates(api, &deps, caller.account_id, &route, "chat", estimate).await?;
    let call_id = deps.new_id();
    let hold_ms = cands
        .iter()
        .map(|c| c.upstream.deadlines.total.as_millis() as i64)
        .max()
        .unwrap_or(0)
        + 60_000;
    let hold = budget::reserve(
        api,
        &deps,
        caller.account_id,
        call_id,
        reservation(&cands, estimate),
        hold_ms,
    )
    .await?;
    let json_output = call
        .response_format
        .as_ref()
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t == "json_schema" || t == "json_object");
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut n = 0;
    let targets = targets_of(&cands, &route.model);
    for cand in cands {
        if n >= route.max_attempts() {
            break;
        }
        let Some(mut ended) = claim(
            &deps,
            &cand,
            caller,
            call_id,
            &route.model,
            "chat",
            stream,
            n + 1,
        )
        .await?
        else {
            // Open, parked, full, or taken by another instance since: not an attempt.
            continue;
        };
        n += 1;
        ended.memory.clone_from(&memory);
        let request = cand.upstream.chat_request(&route.model, &call, stream);
        let json_anthropic = json_output && cand.upstream.kind == Kind::Anthropic;
        if stream {
            match first_pieces(&deps, &cand.upstream, request, json_anthropic).await {
                Ok((events, parser, answer, usage, pending, finished)) => {
                    ended.ttft_ms = Some(deps.now_ms() - ended.started_ms);
                    let relay = Relay {
                        deps: deps.clone(),
                        upstream: cand.upstream,
                        model: cand.model,
                        events,
                        parser,
                        answer,
                        usage,
                        ended,
                        earlier: attempts,
                        hold,
                        pending,
                        done: false,
                    };
                    let relay = if finished {
                        relay.finished_now().await
                    } else {
                        relay
                    };
                    return Ok(ChatOutcome::Stream(relay.into_stream()));
                }
                Err(f) => {
                    if let Some(e) = attempt_failed(&deps, ended, f, &hold, &mut attempts).await {
                        return Err(e);
                    }
                }
            }
            continue;
        }
        let outcome = match call_whole(&deps, &cand.upstream, request).await {
            Ok(body) => match cand.upstream.kind {
                Kind::OpenAi => openai::parse_answer(&body),
                Kind::Anthropic => anthropic::parse_answer(&body, json_anthropic),
            }
            .map_err(|e| Failure::broken(format!("malformed answer: {e}"))),
            Err(f) => Err(f),
        };
        match outcome {
            Ok(answer) => {
                let usage = answer.usage.unwrap_or_default();
                let cost = cost_pusd(&usage, &cand.model.price);
                ended.result = Ok((usage, cost));
                if caller.run_step.is_some() {
                    return book_run_step(api, &deps, ended, hold, |view| {
                        attempts.push(view);
                        answer_of(call_id, &cand, answer, usage, cost, attempts, memory)
                    })
                    .await
                    .map(|a| ChatOutcome::Answer(Box::new(a)));
                }
                attempts.push(finish_later(api, &deps, ended, hold, cost).await);
                return Ok(ChatOutcome::Answer(Box::new(answer_of(
                    call_id, &cand, answer, usage, cost, attempts, memory,
                ))));
            }
            Err(f) => {
                if let Some(e) = attempt_failed(&deps, ended, f, &hold, &mut attempts).await {
                    return Err(e);
                }
            }
        }
    }
    Err(out_of_candidates(
        &deps,
        caller.account_id,
        &route.model,
        &targets,
        &hold,
        &attempts,
    )
    .await)
}

/// The answered attempt as the answer lists it; its ledger row, breaker report and budget
/// settlement run after the response where the runtime can (they need no more of the caller).
async fn finish_later(
    api: &Api,
    deps: &Deps,
    mut ended: Ended,
    hold: Option<Hold>,
    cost: i64,
) -> Attempt {
    let now_ms = deps.now_ms();
    ended.ended_ms = Some(now_ms);
    let view = ended.view(now_ms);
    let deps = deps.clone();
    let task = Box::pin(async move {
        record(&deps, &ended).await;
        if let Some(h) = &hold {
            budget::settle(&*deps.cache, h, cost).await;
        }
    });
    crate::ports::background::run_after(&*api.ports().background, task).await;
    view
}

/// The answered attempt of an agent run's model step: its ledger row and the step are written
/// in one statement, so the step is booked once however often the consumer asks; a step
/// recorded meanwhile by another consumer wins, and its answer is returned. The breaker report
/// and budget settlement run after, as for any call.
async fn book_run_step(
    api: &Api,
    deps: &Deps,
    mut ended: Ended,
    hold: Option<Hold>,
    answer: impl FnOnce(Attempt) -> ChatAnswer,
) -> ApiResult<ChatAnswer> {
    let now_ms = deps.now_ms();
    ended.ended_ms = Some(now_ms);
    let answer = answer(ended.view(now_ms));
    let cost = ended.result.as_ref().map_or(0, |(_, c)| *c);
    let booked = steps::book_llm_step(api, &attempt::ledger_entry(deps, &ended), &answer).await;
    let deps = deps.clone();
    let task = Box::pin(async move {
        attempt::report(&deps, &ended).await;
        if let Some(h) = &hold {
            budget::settle(&*deps.cache, h, cost).await;
        }
    });
    crate::ports::background::run_after(&*api.ports().background, task).await;
    booked
}

/// Records a failed attempt; a request the provider rejected ends the call (its error).
async fn attempt_failed(
    deps: &Deps,
    mut ended: Ended,
    f: Failure,
    hold: &Option<Hold>,
    attempts: &mut Vec<Attempt>,
) -> Option<ApiError> {
    ended.result = Err((f.clone(), false));
    attempts.push(record(deps, &ended).await);
    if !f.rejected {
        return None;
    }
    settle_nothing(deps, hold).await;
    Some(rejected(&f))
}

/// The error after the candidates ran out: 503 if none could be claimed, else 502 listing
/// the attempts. The reservation is released either way.
async fn out_of_candidates(
    deps: &Deps,
    account: Uuid,
    model: &str,
    targets: &[Target],
    hold: &Option<Hold>,
    attempts: &[Attempt],
) -> ApiError {
    settle_nothing(deps, hold).await;
    if attempts.is_empty() {
        return refused_everywhere(deps, account, model, targets).await;
    }
    all_failed(attempts)
}

async fn settle_nothing(deps: &Deps, hold: &Option<Hold>) {
    if let Some(h) = hold {
        budget::settle(&*deps.cache, h, 0).await;
    }
}

fn answer_of(
    call_id: Uuid,
    cand: &Candidate,
    answer: Answer,
    usage: shared::api::ai::TokenUsage,
    cost: i64,
    attempts: Vec<Attempt>,
    memory: Option<Vec<MemoryChunk>>,
) -> ChatAnswer {
    ChatAnswer {
        id: call_id,
        model: cand.model.name.clone(),
        provider_id: cand.upstream.id,
        content: answer.content,
        tool_calls: (!answer.tool_calls.is_empty())
            .then(|| answer.tool_calls.iter().map(|t| t.to_json()).collect()),
        finish_reason: answer.finish_reason.unwrap_or_else(|| "stop".into()),
        usage,
        cost_usd: pusd_to_usd(cost),
        attempts,
        memory,
    }
}

type FirstPieces = (
    relay::SseEvents,
    Parser,
    Answer,
    UsagePart,
    std::collections::VecDeque<ProxyEvent>,
    bool,
);

/// Opens a stream and reads until its first piece the client can see (or its end), within the
/// first-token deadline. Until then a failure can still move on to the next provider.
async fn first_pieces(
    deps: &Deps,
    up: &Upstream,
    request: crate::ports::outbound::OutboundRequest,
    json_output: bool,
) -> Result<FirstPieces, Failure> {
    let started = deps.now_ms();
    let (_, body) = open(deps, up, request).await?;
    let mut events: relay::SseEvents =
        Box::pin(body.eventsource().map(|e| e.map_err(|e| e.to_string())));
    let mut parser = Parser::new(up.kind, json_output);
    let mut answer = Answer::default();
    let mut usage = UsagePart::default();
    let mut pending = std::collections::VecDeque::new();
    loop {
        let spent = u64::try_from(deps.now_ms() - started).unwrap_or(0);
        let left = up
            .deadlines
            .first_token
            .saturating_sub(std::time::Duration::from_millis(spent));
        let event = match within(&*deps.outbound, left, events.next()).await {
            None => {
                return Err(Failure::broken(format!(
                    "no token within the first-token timeout ({} ms)",
                    up.deadlines.first_token.as_millis()
                )));
            }
            Some(None) => return Err(Failure::broken("the stream ended before any token")),
            Some(Some(Err(e))) => {
                return Err(Failure::broken(format!("the stream broke off: {e}")));
            }
            Some(Some(Ok(event))) => event,
        };
        let pieces = parser.parse(&event).map_err(Failure::broken)?;
        let mut finished = false;
        for piece in &pieces {
            answer.apply(piece, &mut usage);
            match piece {
                Piece::Error(e) => {
                    return Err(Failure::broken(format!("the provider reported: {e}")));
                }
                Piece::End => finished = true,
                _ => {
                    if let Some(ev) = event_of(piece) {
                        pending.push_back(ev);
                    }
                }
            }
        }
        if finished || !pending.is_empty() {
            return Ok((events, parser, answer, usage, pending, finished));
        }
    }
}

/// `POST /api/v1/ai/embeddings` and its twins.
pub async fn embeddings(
    api: &Api,
    caller: Caller,
    req: EmbeddingsRequest,
) -> ApiResult<EmbeddingsAnswer> {
    let mut checks = Checks::new();
    let route = check_route(&mut checks, req.model.as_deref(), req.routing.as_ref());
    let input = match req.input {
        Some(i) if !i.is_empty() && i.len() <= 256 => {
            if i.iter().any(|t| t.is_empty() || t.len() > 64 * 1024) {
                checks.fail("input", "each text must be 1 byte to 64 KiB");
            }
            i
        }
        _ => {
            checks.fail("input", "is required: 1 to 256 texts");
            Vec::new()
        }
    };
    checks.finish()?;
    let route = route.ok_or_else(|| ApiError::internal("validation passed without a route"))?;
    let deps = Deps::of(api);
    let estimate = (
        i64::try_from(input.iter().map(String::len).sum::<usize>() / 3).unwrap_or(0) + 8,
        0,
    );
    let cands = candidates(api, &deps, caller.account_id, &route, "embedding", estimate).await?;
    let call_id = deps.new_id();
    let hold = budget::reserve(
        api,
        &deps,
        caller.account_id,
        call_id,
        reservation(&cands, estimate),
        700_000,
    )
    .await?;
    let mut attempts = Vec::new();
    let mut n = 0;
    let targets = targets_of(&cands, &route.model);
    for cand in cands {
        if n >= route.max_attempts() {
            break;
        }
        let Some(mut ended) = claim(
            &deps,
            &cand,
            caller,
            call_id,
            &route.model,
            "embeddings",
            false,
            n + 1,
        )
        .await?
        else {
            // Open, parked, full, or taken by another instance since: not an attempt.
            continue;
        };
        n += 1;
        let request = cand.upstream.embeddings_request(&route.model, &input);
        let outcome = call_whole(&deps, &cand.upstream, request)
            .await
            .and_then(|body| {
                openai::parse_embeddings(&body, input.len())
                    .map_err(|e| Failure::broken(format!("malformed answer: {e}")))
            });
        match outcome {
            Ok((vectors, tokens)) => {
                let usage = shared::api::ai::TokenUsage {
                    input_tokens: tokens,
                    output_tokens: 0,
                    cached_input_tokens: 0,
                    total_tokens: tokens,
                };
                let cost = cost_pusd(&usage, &cand.model.price);
                ended.result = Ok((usage, cost));
                finish_later(api, &deps, ended, hold, cost).await;
                return Ok(EmbeddingsAnswer {
                    model: route.model,
                    provider_id: cand.upstream.id,
                    embeddings: vectors,
                    usage,
                    cost_usd: pusd_to_usd(cost),
                });
            }
            Err(f) => {
                if let Some(e) = attempt_failed(&deps, ended, f, &hold, &mut attempts).await {
                    return Err(e);
                }
            }
        }
    }
    Err(out_of_candidates(
        &deps,
        caller.account_id,
        &route.model,
        &targets,
        &hold,
        &attempts,
    )
    .await)
}

/// One direct call to each model of a provider (the test route): no routing, no budget; each
/// is still a ledger row and a breaker report.
pub async fn probe_models(
    api: &Api,
    caller: Caller,
    up: &Upstream,
) -> Vec<shared::api::ai::ProviderTestResult> {
    let deps = Deps::of(api);
    let mut results = Vec::new();
    for model in &up.models {
        let started = deps.now_ms();
        let embedding = model.kind == "embedding";
        let request = if embedding {
            up.embeddings_request(&model.name, &["ping".to_string()])
        } else {
            let call = ChatCall {
                messages: vec![serde_json::json!({"role": "user", "content": "Say OK."})],
                max_tokens: Some(1),
                ..ChatCall::default()
            };
            up.chat_request(&model.name, &call, false)
        };
        let outcome = call_whole(&deps, up, request).await.and_then(|body| {
            if embedding {
                openai::parse_embeddings(&body, 1).map(|(_, t)| shared::api::ai::TokenUsage {
                    input_tokens: t,
                    total_tokens: t,
                    ..Default::default()
                })
            } else {
                match up.kind {
                    Kind::OpenAi => openai::parse_answer(&body),
                    Kind::Anthropic => anthropic::parse_answer(&body, false),
                }
                .map(|a| a.usage.unwrap_or_default())
            }
            .map_err(|e| Failure::broken(format!("malformed answer: {e}")))
        });
        let ended = Ended {
            call_id: deps.new_id(),
            caller,
            endpoint: if embedding { "embeddings" } else { "chat" },
            requested_model: model.name.clone(),
            provider_id: up.id,
            attempt: 1,
            stream: false,
            started_ms: started,
            ttft_ms: None,
            ended_ms: None,
            was_probe: false,
            memory: None,
            result: outcome
                .map(|u| (u, cost_pusd(&u, &model.price)))
                .map_err(|f| (f, false)),
        };
        let view = record(&deps, &ended).await;
        results.push(shared::api::ai::ProviderTestResult {
            model: model.name.clone(),
            ok: view.status == "ok",
            latency_ms: view.latency_ms,
            error: view.error,
        });
    }
    results
}
