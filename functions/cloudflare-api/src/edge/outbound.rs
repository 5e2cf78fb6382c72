//! The outbound HTTP port over `worker::Fetch`, streaming the answer's body as it arrives.
//! Workers cannot resolve names themselves, so the address check is the URL's
//! (`check_base_url`); Cloudflare's own network refuses private addresses in production.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::future::{Either, select};
use http::{HeaderMap, HeaderName, HeaderValue};
use powernode_api::maybe_async_trait;
use powernode_api::ports::outbound::{Outbound, OutboundError, OutboundRequest, OutboundResponse};
use powernode_api::service::upstream_address::check_base_url;
use wasm_bindgen::JsValue;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

/// Outbound HTTP through the Workers runtime.
pub struct FetchOutbound {
    /// `POWERNODE_ALLOW_PRIVATE_UPSTREAMS`.
    pub allow_private: bool,
}

impl FetchOutbound {
    async fn fetch(&self, request: OutboundRequest) -> worker::Result<worker::Response> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value)?;
        }
        let mut init = RequestInit::new();
        init.with_method(if request.method == http::Method::GET {
            Method::Get
        } else {
            Method::Post
        })
        .with_headers(headers);
        if !request.body.is_empty() {
            let body = js_sys::Uint8Array::from(request.body.as_ref());
            init.with_body(Some(JsValue::from(body)));
        }
        let request = Request::new_with_init(&request.url, &init)?;
        Fetch::Request(request).send().await
    }
}

maybe_async_trait! {
impl Outbound for FetchOutbound {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        check_base_url(&request.url, self.allow_private).map_err(OutboundError::Blocked)?;
        let connect = request.connect_timeout;
        let call = Box::pin(self.fetch(request));
        let deadline = Box::pin(Delay::from(connect));
        let mut response = match select(call, deadline).await {
            Either::Left((Ok(response), _)) => response,
            Either::Left((Err(e), _)) => return Err(OutboundError::Connect(e.to_string())),
            Either::Right(_) => {
                return Err(OutboundError::Connect(format!(
                    "no answer within {} ms",
                    connect.as_millis()
                )));
            }
        };
        let status = response.status_code();
        let mut headers = HeaderMap::new();
        for (name, value) in response.headers().entries() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.append(name, value);
            }
        }
        let body = response
            .stream()
            .map_err(|e| OutboundError::Body(e.to_string()))?
            .map(|chunk| {
                chunk
                    .map(Bytes::from)
                    .map_err(|e| OutboundError::Body(e.to_string()))
            });
        Ok(OutboundResponse {
            status,
            headers,
            body: Box::pin(body),
        })
    }

    async fn sleep(&self, duration: Duration) {
        Delay::from(duration).await;
    }
}
}
