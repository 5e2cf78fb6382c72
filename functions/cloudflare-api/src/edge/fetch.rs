//! The Upstash transport over `worker::Fetch`.

use std::time::Duration;

use futures_util::future::{Either, select};
use powernode_api::maybe_async_trait;
use powernode_api::ports::CacheError;
use wasm_bindgen::JsValue;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

use crate::upstash::{HttpReply, Transport};

/// The longest a cache call may take, as natively: an outage costs a request this and a 503.
const CALL_DEADLINE: Duration = Duration::from_secs(2);

/// POSTs to the Upstash REST endpoint with the bearer token.
pub struct FetchTransport {
    base: String,
    token: String,
}

impl FetchTransport {
    /// `base` is `UPSTASH_REDIS_REST_URL`, `token` is `UPSTASH_REDIS_REST_TOKEN`.
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    async fn send(&self, path: &str, body: String) -> worker::Result<HttpReply> {
        let headers = Headers::new();
        headers.set("Authorization", &format!("Bearer {}", self.token))?;
        headers.set("Content-Type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(&body)));
        let request = Request::new_with_init(&format!("{}{path}", self.base), &init)?;
        let mut response = Fetch::Request(request).send().await?;
        Ok(HttpReply {
            status: response.status_code(),
            body: response.bytes().await?,
        })
    }
}

maybe_async_trait! {
impl Transport for FetchTransport {
    async fn post(&self, path: &str, body: String) -> Result<HttpReply, CacheError> {
        let call = Box::pin(self.send(path, body));
        let deadline = Box::pin(Delay::from(CALL_DEADLINE));
        match select(call, deadline).await {
            // Not reaching the endpoint is an outage; the error text holds no token.
            Either::Left((result, _)) => result.map_err(|e| CacheError::Unavailable(e.to_string())),
            Either::Right(_) => Err(CacheError::Unavailable(format!(
                "no answer within {CALL_DEADLINE:?}"
            ))),
        }
    }
}
}
