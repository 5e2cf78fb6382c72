//! How `BackendApiClient` reaches the API: one authenticated JSON POST. Natively that is
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
}
}
