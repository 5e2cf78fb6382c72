//! How `BackendApiClient` reaches the API: authenticated JSON requests (mostly POST). Natively that is
//! reqwest (`transport::reqwest`); the edge adapters bring their runtime's fetch (Workers'
//! `Fetch`, Spin's outbound HTTP), so the job runtime is the same everywhere.

#[cfg(not(target_arch = "wasm32"))]
pub mod reqwest;

use std::time::Duration;

use shared::maybe_async_trait;

use crate::client::ClientError;

/// An HTTP answer: its status and body.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// HTTP status.
    pub status: u16,
    /// The body, as sent.
    pub body: Vec<u8>,
}

maybe_async_trait! {
/// Sends one request to the API.
pub trait Transport: Send + Sync {
    /// POSTs `body` (JSON) to `url` with `Authorization: Bearer {bearer}`. Fails with
    /// `ClientError::Transport` when no answer came within `timeout`; any answer, whatever its
    /// status, is a reply.
    async fn post(
        &self,
        url: &str,
        bearer: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<HttpReply, ClientError>;

    /// Sends `method` (`GET`, `PATCH` ...) to `url`, with `body` as JSON when given. Transports
    /// that only POST keep this default, which refuses any other method (the job that needed it
    /// fails with that message rather than calling the wrong route).
    async fn send(
        &self,
        method: &str,
        url: &str,
        bearer: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<HttpReply, ClientError> {
        if method == "POST" {
            return self.post(url, bearer, body.unwrap_or_default(), timeout).await;
        }
        Err(ClientError::Transport(format!(
            "this transport cannot send {method}"
        )))
    }
}
}
