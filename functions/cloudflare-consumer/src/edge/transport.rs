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

async fn send(url: &str, bearer: &str, body: Vec<u8>) -> worker::Result<HttpReply> {
    let headers = Headers::new();
    headers.set("Authorization", &format!("Bearer {bearer}"))?;
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from(js_sys_bytes(&body))));
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
        let call = Box::pin(send(url, bearer, body));
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
