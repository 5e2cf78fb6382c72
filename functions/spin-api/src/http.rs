//! Spin's request and response parts to and from the core's `ApiRequest` / `ApiResponse`.
//!
//! Plain data in, plain data out, so the mapping is tested natively; the WASI types are only
//! touched in `component.rs`.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use powernode_api::error::ApiError;
use powernode_api::{ApiRequest, ApiResponse, ResponseBody};
use shared::ErrorCode;

/// The header Spin sets to the client's socket address (`ip:port`).
pub const CLIENT_ADDR_HEADER: &str = "spin-client-addr";

/// Builds the core's request. Header names or values that HTTP does not allow are dropped (a
/// real HTTP front end never passes them; nothing downstream could use them).
pub fn api_request(
    method: &str,
    path_with_query: &str,
    headers: Vec<(String, Vec<u8>)>,
    body: Bytes,
) -> Result<ApiRequest, ApiError> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| ApiError::bad_request("the request method is not valid"))?;
    let (path, query) = match path_with_query.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (path_with_query, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            map.append(name, value);
        }
    }
    let client_ip = client_ip(&map);
    Ok(ApiRequest {
        method,
        path: path.to_string(),
        query,
        headers: map,
        body,
        stream: powernode_api::http::BodySlot::default(),
        client_ip,
    })
}

/// The client's IP from Spin's `spin-client-addr` (an address with a port, or a bare IP).
pub fn client_ip(headers: &HeaderMap) -> Option<IpAddr> {
    let value = headers.get(CLIENT_ADDR_HEADER)?.to_str().ok()?.trim();
    value
        .parse::<SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| value.parse::<IpAddr>())
        .ok()
}

/// A request body read chunk by chunk, refused as soon as it passes the limit (so an oversized
/// upload costs at most `limit` bytes of memory).
#[derive(Debug)]
pub struct BodyReader {
    limit: usize,
    body: Vec<u8>,
}

impl BodyReader {
    /// An empty body that may grow to `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            body: Vec::new(),
        }
    }

    /// Appends a chunk; 413 past the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        if self.body.len().saturating_add(chunk.len()) > self.limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is over the {}-byte limit", self.limit),
            ));
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub fn finish(self) -> Bytes {
        Bytes::from(self.body)
    }
}

/// The core's response as the `http::Response` spin-sdk writes out. That response type holds
/// the whole body, so a streamed body (a download) is gathered first; a stream that fails
/// midway ends the body there, as a cut transfer would.
pub async fn spin_response(response: ApiResponse) -> http::Response<Vec<u8>> {
    use futures::StreamExt as _;
    let (parts, body) = response.into_parts();
    let bytes = match body {
        ResponseBody::Full(bytes) => bytes.to_vec(),
        ResponseBody::Stream(mut chunks) => {
            let mut out = Vec::new();
            while let Some(Ok(chunk)) = chunks.next().await {
                out.extend_from_slice(&chunk);
            }
            out
        }
    };
    http::Response::from_parts(parts, bytes)
}
