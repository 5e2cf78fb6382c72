//! Outbound HTTP to the outside world (AI providers): reqwest natively, `worker::Fetch` on
//! Cloudflare, Spin's outbound HTTP. The answer's body is a stream, so the proxy can relay a
//! model's tokens as they come; every deadline past connecting (first byte, gaps, the whole
//! call) is the core's, raced against [`Outbound::sleep`].

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::HeaderMap;

use super::{MaybeSend, MaybeSync, maybe_async_trait};

/// An answer body in chunks.
#[cfg(not(target_arch = "wasm32"))]
pub type OutboundBody = Pin<Box<dyn Stream<Item = Result<Bytes, OutboundError>> + Send>>;
/// An answer body in chunks.
#[cfg(target_arch = "wasm32")]
pub type OutboundBody = Pin<Box<dyn Stream<Item = Result<Bytes, OutboundError>>>>;

/// A request: always JSON (or empty) bodies, as every provider API takes.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// `GET` or `POST`.
    pub method: http::Method,
    /// Absolute http(s) URL.
    pub url: String,
    /// Headers (keys among them: never log a request).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The longest connecting may take.
    pub connect_timeout: Duration,
}

/// An answer whose body has not been read yet.
pub struct OutboundResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as it arrives.
    pub body: OutboundBody,
}

/// Why an outbound call failed. Messages never hold a header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The address is loopback, private, link-local or a metadata service, and
    /// `POWERNODE_ALLOW_PRIVATE_UPSTREAMS` is off.
    #[error("refused: {0}")]
    Blocked(String),
    /// No connection (refused, DNS, TLS, or past the connect timeout).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The body broke off while it was read.
    #[error("the answer broke off: {0}")]
    Body(String),
    /// This runtime cannot call out.
    #[error("not supported here: {0}")]
    Unsupported(String),
}

maybe_async_trait! {
/// Outbound HTTP.
pub trait Outbound: MaybeSend + MaybeSync {
    /// Sends a request and returns once the status and headers are in.
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;
    /// Waits `duration` (the runtime's timer), for the core's deadlines.
    async fn sleep(&self, duration: Duration);
    /// Whether the runtime can hold a response open and pace it with `sleep` (a run's live
    /// progress); one that cannot is polled instead.
    fn holds_streams(&self) -> bool {
        true
    }
}
}

/// The port of runtimes that cannot call out (yet).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOutbound;

maybe_async_trait! {
impl Outbound for NoOutbound {
    async fn send(&self, _request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        Err(OutboundError::Unsupported("this runtime has no outbound HTTP".into()))
    }
    async fn sleep(&self, _duration: Duration) {}
    fn holds_streams(&self) -> bool {
        false
    }
}
}
