//! The native transport: reqwest with rustls, a pooled client shared by every call.

use std::time::Duration;

use shared::maybe_async_trait;

use super::{HttpReply, Transport};
use crate::client::ClientError;

/// reqwest's pooled client.
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// A pool keeping up to 32 idle connections (a consumer's concurrent calls).
    pub fn new() -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(32)
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Self { http })
    }
}

maybe_async_trait! {
impl Transport for ReqwestTransport {
    async fn post(
        &self,
        url: &str,
        bearer: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<HttpReply, ClientError> {
        self.send("POST", url, bearer, Some(body), timeout).await
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        bearer: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<HttpReply, ClientError> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(bearer)
            .timeout(timeout);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(HttpReply {
            status,
            body: body.to_vec(),
        })
    }
}
}
