//! The job runtime's HTTP transport over `worker::Fetch`.

use std::time::Duration;

use futures_util::future::{Either, select};
use jobs::client::ClientError;
use jobs::transport::{HttpReply, Transport};
use shared::maybe_async_trait;
use wasm_bindgen::JsValue;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

/// `fetch()` to the API's URL.
pub struct FetchTransport;

async fn send(
    method: Method,
    url: &str,
    bearer: &str,
    body: Option<Vec<u8>>,
) -> worker::Result<HttpReply> {
    let headers = Headers::new();
    headers.set("Authorization", &format!("Bearer {bearer}"))?;
    let mut init = RequestInit::new();
    if let Some(body) = body {
        headers.set("Content-Type", "application/json")?;
        init.with_body(Some(JsValue::from(js_sys_bytes(&body))));
    }
    init.with_method(method).with_headers(headers);
    let request = Request::new_with_init(url, &init)?;
    let mut response = Fetch::Request(request).send().await?;
    Ok(HttpReply {
        status: response.status_code(),
        body: response.bytes().await?,
    })
}

fn js_sys_bytes(body: &[u8]) -> worker::js_sys::Uint8Array {
    worker::js_sys::Uint8Array::from(body)
}

maybe_async_trait! {
impl Transport for FetchTransport {
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
        let method = Method::from(method.to_string());
        let call = Box::pin(send(method, url, bearer, body));
        let deadline = Box::pin(Delay::from(timeout));
        match select(call, deadline).await {
            // The error text is the runtime's (no token in it).
            Either::Left((result, _)) => result.map_err(|e| ClientError::Transport(e.to_string())),
            Either::Right(_) => Err(ClientError::Transport(format!(
                "no answer within {timeout:?}"
            ))),
        }
    }
}
}
