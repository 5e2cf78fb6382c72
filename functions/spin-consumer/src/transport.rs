//! `jobs::transport::Transport` over Spin's outbound HTTP (`wasi:http/outgoing-handler`, through
//! `spin_sdk::http::send`): how the job runtime's `BackendApiClient` reaches the API.
//!
//! The request and the reply are built and read by plain functions tested natively; only the
//! `spin` submodule sends.
//!
//! Timeouts: spin-sdk 5.2's `send` takes no request options, so the client's per-call timeout
//! cannot be handed to the host. A call waits as long as Spin lets outbound requests wait
//! (the host's connect and first-byte limits) and as long as the trigger lets the instance run.
//! A hung API therefore costs one instance, not the job: its lease runs out and the rescuer
//! makes it claimable again.

use jobs::client::ClientError;
use jobs::transport::HttpReply;
use spin_sdk::http::{Method, Request, Response, SendError};

/// The authenticated JSON POST the client asks for. With its length: without it the body goes
/// out chunked, which not every server or proxy in front of the API reads (Python's
/// `http.server` sees an empty body).
pub fn request(url: &str, bearer: &str, body: Vec<u8>) -> Request {
    Request::builder()
        .method(Method::Post)
        .uri(url)
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("content-length", body.len().to_string())
        .body(body)
        .build()
}

/// Any other authenticated request (`GET`, `PATCH` ...), with a JSON body when given. A method
/// the API has no use for is `Decode`: retrying cannot fix it.
pub fn request_with(
    method: &str,
    url: &str,
    bearer: &str,
    body: Option<Vec<u8>>,
) -> Result<Request, ClientError> {
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => return Err(ClientError::Decode(format!("unsupported method {other}"))),
    };
    let mut builder = Request::builder();
    builder
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {bearer}"))
        .header("accept", "application/json");
    Ok(match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .header("content-length", body.len().to_string())
            .body(body)
            .build(),
        None => builder.build(),
    })
}

/// Any answer is a reply, whatever its status: the client reads the envelope.
pub fn reply(response: Response) -> HttpReply {
    HttpReply {
        status: *response.status(),
        body: response.into_body(),
    }
}

/// A failed send. No answer (refused, reset, DNS, a host that is not in
/// `allowed_outbound_hosts`) is `Transport`, which the client retries as an API error; a
/// request Spin could not even build is `Decode`, which retrying cannot fix.
pub fn send_error(e: SendError) -> ClientError {
    match e {
        SendError::RequestConversion(e) => ClientError::Decode(format!("bad request: {e}")),
        SendError::ResponseConversion(e) => {
            ClientError::Transport(format!("reading the answer: {e}"))
        }
        SendError::Io(e) => ClientError::Transport(format!("I/O: {e:?}")),
        SendError::Http(e) => ClientError::Transport(format!("HTTP: {e:?}")),
    }
}

/// Spin's outbound HTTP.
#[cfg(target_arch = "wasm32")]
pub mod spin {
    use std::time::Duration;

    use jobs::client::ClientError;
    use jobs::transport::{HttpReply, Transport};
    use shared::maybe_async_trait;

    /// Sends through `spin_sdk::http::send`.
    #[derive(Debug, Default, Clone, Copy)]
    pub struct SpinTransport;

    maybe_async_trait! {
    impl Transport for SpinTransport {
        async fn post(
            &self,
            url: &str,
            bearer: &str,
            body: Vec<u8>,
            // Not passed on: see the module docs.
            _timeout: Duration,
        ) -> Result<HttpReply, ClientError> {
            let response: spin_sdk::http::Response = spin_sdk::http::send(super::request(url, bearer, body))
                .await
                .map_err(super::send_error)?;
            Ok(super::reply(response))
        }

        async fn send(
            &self,
            method: &str,
            url: &str,
            bearer: &str,
            body: Option<Vec<u8>>,
            _timeout: Duration,
        ) -> Result<HttpReply, ClientError> {
            let request = super::request_with(method, url, bearer, body)?;
            let response: spin_sdk::http::Response =
                spin_sdk::http::send(request).await.map_err(super::send_error)?;
            Ok(super::reply(response))
        }
    }
    }
}
