//! A streamed answer after its first piece: provider events become the proxy's events as they
//! arrive, each within the gap and whole-call deadlines. The stream always ends with `Done` (the
//! whole answer, the provider's usage, cost and attempts) or `Error`: never a silent cut.

use std::collections::VecDeque;
use std::pin::Pin;

use futures_util::{Stream, StreamExt as _};
use shared::api::ai::{Attempt, ChatAnswer};

use super::attempt::{Deps, Ended, Failure, record, within};
use super::upstream::{Kind, Model, Upstream};
use super::wire::{Answer, Piece, UsagePart};
use super::{ProxyEvent, anthropic, openai};
use crate::service::ai::budget::{self, Hold};
use crate::service::ai::money::cost_pusd;

/// Provider events as they arrive.
#[cfg(not(target_arch = "wasm32"))]
pub type SseEvents = Pin<Box<dyn Stream<Item = Result<eventsource_stream::Event, String>> + Send>>;
/// Provider events as they arrive.
#[cfg(target_arch = "wasm32")]
pub type SseEvents = Pin<Box<dyn Stream<Item = Result<eventsource_stream::Event, String>>>>;

/// The proxy's events.
#[cfg(not(target_arch = "wasm32"))]
pub type EventStream = Pin<Box<dyn Stream<Item = ProxyEvent> + Send>>;
/// The proxy's events.
#[cfg(target_arch = "wasm32")]
pub type EventStream = Pin<Box<dyn Stream<Item = ProxyEvent>>>;

/// Parses provider events of either kind into pieces.
pub struct Parser {
    kind: Kind,
    anthropic: anthropic::StreamState,
}

impl Parser {
    /// A parser for `kind`; `json_output` when JSON-schema output was asked of an `anthropic`
    /// provider.
    pub fn new(kind: Kind, json_output: bool) -> Self {
        Self {
            kind,
            anthropic: anthropic::StreamState::new(json_output),
        }
    }

    /// The pieces of one event.
    pub fn parse(&mut self, event: &eventsource_stream::Event) -> Result<Vec<Piece>, String> {
        match self.kind {
            Kind::OpenAi => openai::parse_event(&event.data),
            Kind::Anthropic => {
                anthropic::parse_event(&mut self.anthropic, &event.event, &event.data)
            }
        }
    }
}

/// Everything a stream in progress holds.
pub struct Relay {
    pub deps: Deps,
    pub upstream: Upstream,
    pub model: Model,
    pub events: SseEvents,
    pub parser: Parser,
    pub answer: Answer,
    pub usage: UsagePart,
    pub ended: Ended,
    pub earlier: Vec<Attempt>,
    pub hold: Option<Hold>,
    /// Pieces read while waiting for the first one, not yet sent.
    pub pending: VecDeque<ProxyEvent>,
    pub done: bool,
}

/// The proxy event of a piece the client should see.
pub fn event_of(piece: &Piece) -> Option<ProxyEvent> {
    match piece {
        Piece::Text(t) if !t.is_empty() => Some(ProxyEvent::Delta {
            content: t.clone(),
            tool_call_delta: None,
        }),
        Piece::Tool {
            index,
            id,
            name,
            arguments,
        } => Some(ProxyEvent::Delta {
            content: String::new(),
            tool_call_delta: Some(serde_json::json!({
                "index": index, "id": id, "name": name, "arguments": arguments,
            })),
        }),
        _ => None,
    }
}

impl Relay {
    /// The stream of events, starting with those already read.
    pub fn into_stream(self) -> EventStream {
        Box::pin(futures_util::stream::unfold(self, |mut relay| async move {
            loop {
                if let Some(event) = relay.pending.pop_front() {
                    return Some((event, relay));
                }
                if relay.done {
                    return None;
                }
                relay.step().await;
            }
        }))
    }

    /// Reads one provider event (or ends the stream).
    async fn step(&mut self) {
        let elapsed = u64::try_from(self.deps.now_ms() - self.ended.started_ms).unwrap_or(0);
        let left = self
            .upstream
            .deadlines
            .total
            .saturating_sub(std::time::Duration::from_millis(elapsed));
        let limit = left.min(self.upstream.deadlines.idle);
        let next = within(&*self.deps.outbound, limit, self.events.next()).await;
        let event = match next {
            None if left <= self.upstream.deadlines.idle => {
                return self
                    .fail("the stream did not finish within the total timeout")
                    .await;
            }
            None => {
                return self
                    .fail(&format!(
                        "no chunk for {} ms (the gap timeout)",
                        self.upstream.deadlines.idle.as_millis()
                    ))
                    .await;
            }
            Some(None) => {
                // The connection ended. Without an end marker that is a cut, unless the
                // provider already said why it finished.
                if self.answer.finish_reason.is_some() {
                    return self.finish().await;
                }
                return self
                    .fail("the provider's stream ended before the answer finished")
                    .await;
            }
            Some(Some(Err(e))) => return self.fail(&format!("the stream broke off: {e}")).await,
            Some(Some(Ok(event))) => event,
        };
        let pieces = match self.parser.parse(&event) {
            Ok(p) => p,
            Err(e) => return self.fail(&e).await,
        };
        for piece in pieces {
            self.answer.apply(&piece, &mut self.usage);
            match &piece {
                Piece::End => return self.finish().await,
                Piece::Error(e) => return self.fail(&format!("the provider reported: {e}")).await,
                _ => {
                    if let Some(event) = event_of(&piece) {
                        self.pending.push_back(event);
                    }
                }
            }
        }
    }

    /// A stream whose end marker came with its first pieces.
    pub async fn finished_now(mut self) -> Self {
        self.finish().await;
        self
    }

    async fn finish(&mut self) {
        self.done = true;
        let usage = self.usage.total().unwrap_or_default();
        let cost = cost_pusd(&usage, &self.model.price);
        self.ended.result = Ok((usage, cost));
        let attempt = record(&self.deps, &self.ended).await;
        if let Some(hold) = &self.hold {
            budget::settle(&*self.deps.cache, hold, cost).await;
        }
        let mut attempts = std::mem::take(&mut self.earlier);
        attempts.push(attempt);
        let answer = ChatAnswer {
            id: self.ended.call_id,
            model: self.model.name.clone(),
            provider_id: self.upstream.id,
            content: std::mem::take(&mut self.answer.content),
            tool_calls: (!self.answer.tool_calls.is_empty())
                .then(|| self.answer.tool_calls.iter().map(|t| t.to_json()).collect()),
            finish_reason: self
                .answer
                .finish_reason
                .clone()
                .unwrap_or_else(|| "stop".into()),
            usage,
            cost_usd: crate::service::ai::money::pusd_to_usd(cost),
            attempts,
            memory: self.ended.memory.clone(),
        };
        self.pending.push_back(ProxyEvent::Done(Box::new(answer)));
    }

    async fn fail(&mut self, message: &str) {
        self.done = true;
        // Tokens already streamed were spent, but the provider's count never came: the ledger
        // keeps what is known (none), and the breaker counts the failure.
        self.ended.result = Err((Failure::broken(message), true));
        record(&self.deps, &self.ended).await;
        if let Some(hold) = &self.hold {
            budget::settle(&*self.deps.cache, hold, 0).await;
        }
        self.pending.push_back(ProxyEvent::Error {
            code: "upstream_error".into(),
            message: format!("the answer broke off: {message}"),
        });
    }
}
