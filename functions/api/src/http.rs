//! The runtime-neutral request and response, and the one path from a handler's result to the
//! envelope (`render_success` / `render_error`).

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::ApiError;
use crate::ports::storage::ByteStream;

/// A request as every runtime adapter hands it over: the body already read (up to the
/// configured limit; adapters answer 413 past it), or, for the routes that take uploads
/// ([`Api::streams_body`](crate::Api::streams_body)), left as a stream in `stream`.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Method.
    pub method: Method,
    /// Path without the query.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body (empty when it comes as `stream`).
    pub body: Bytes,
    /// The body as it arrives, for upload routes; taken once by the handler.
    pub stream: BodySlot,
    /// The client's address as the adapter knows it (socket peer, or the edge's header).
    pub client_ip: Option<IpAddr>,
}

/// A request body stream, taken at most once. Shared behind a lock so the request stays
/// `Clone` and handlers, which see `&ApiRequest`, can still take it.
#[derive(Clone, Default)]
pub struct BodySlot(Arc<Mutex<Option<ByteStream>>>);

impl BodySlot {
    /// A slot holding `stream`.
    // On wasm32 the stream is not `Send` and nothing is shared across threads: the Arc is only
    // what keeps `ApiRequest` cloneable.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub fn new(stream: ByteStream) -> Self {
        Self(Arc::new(Mutex::new(Some(stream))))
    }

    /// The stream, the first time; `None` after, or when the body came whole.
    pub fn take(&self) -> Option<ByteStream> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl std::fmt::Debug for BodySlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodySlot")
    }
}

impl ApiRequest {
    /// A request with no body and no headers (tests and internal calls).
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (path_and_query.to_string(), None),
        };
        Self {
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            stream: BodySlot::default(),
            client_ip: None,
        }
    }

    /// The body as a stream: the adapter's stream when it left one, else the bytes it read.
    pub fn take_body_stream(&self) -> ByteStream {
        match self.stream.take() {
            Some(stream) => stream,
            None => {
                let body = self.body.clone();
                Box::pin(futures_util::stream::once(async move { Ok(body) }))
            }
        }
    }

    /// The body parsed as a JSON object into `T`. Malformed JSON, a non-object and wrong
    /// types are 400; missing required fields are left to the service's validation (422).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if let Some(ct) = self.headers.get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            if !ct.starts_with("application/json") && !ct.contains("+json") {
                return Err(ApiError::bad_request(
                    "the body must be JSON (Content-Type: application/json)",
                ));
            }
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        }
        let value: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        }
        if let Some(at) = nul_in_json(&value, "") {
            return Err(nul_refused(&format!("the body's `{at}`")));
        }
        serde_json::from_value(value).map_err(|e| ApiError::bad_request(format!("wrong type: {e}")))
    }

    /// Refuses a request whose path or query carries a NUL character once percent-decoded.
    /// Postgres cannot store U+0000 in `text` or `jsonb`, so such input would otherwise reach
    /// it and fail there as a 500; `Api::handle` calls this before routing, so it holds for
    /// every route, and [`ApiRequest::json`] does the same for every JSON body.
    pub fn refuse_nul_text(&self) -> Result<(), ApiError> {
        if percent_encoding::percent_decode_str(&self.path).any(|b| b == 0) {
            return Err(nul_refused("the path"));
        }
        if let Some(query) = self.query.as_deref()
            && let Some((name, _)) = url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(nul_refused(&format!(
                "the query parameter `{}`",
                name.replace('\0', "\\0")
            )));
        }
        Ok(())
    }

    /// A query parameter, percent-decoded; the first one when repeated.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The bearer token of `Authorization`, if any.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|t| !t.is_empty())
    }

    /// A header as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

/// 400 for text with a NUL character in it, naming where.
fn nul_refused(place: &str) -> ApiError {
    // The place may hold a client's key or parameter name: at most 120 characters of it.
    let place: String = place.chars().take(120).collect();
    ApiError::bad_request(format!(
        "{place} contains a NUL character (U+0000), which no text field accepts"
    ))
}

/// The path (`a.b[2]`) of the first string or key in `value` that contains a NUL character.
fn nul_in_json(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(if at.is_empty() {
            "(body)".into()
        } else {
            at.into()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in_json(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if at.is_empty() {
                k.replace('\0', "\\0")
            } else {
                format!("{at}.{}", k.replace('\0', "\\0"))
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_in_json(v, &here)
            }
        }),
        _ => None,
    }
}

/// The response every adapter writes out.
pub type ApiResponse = http::Response<ResponseBody>;

/// Chunks of a response body the core makes as it goes (server-sent events; `Send` natively,
/// as `ByteStream` is).
#[cfg(not(target_arch = "wasm32"))]
pub type Chunks = std::pin::Pin<Box<dyn futures_util::Stream<Item = Bytes> + Send>>;
/// Chunks of a response body the core makes as it goes.
#[cfg(target_arch = "wasm32")]
pub type Chunks = std::pin::Pin<Box<dyn futures_util::Stream<Item = Bytes>>>;

/// A response body: bytes in hand (every JSON answer), or a stream (file downloads), which the
/// adapter writes out as it arrives.
pub enum ResponseBody {
    /// The whole body.
    Full(Bytes),
    /// Chunks, in order; an error ends the response early (the client sees a cut transfer).
    Stream(ByteStream),
}

impl ResponseBody {
    /// The bytes, when the body is whole.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            ResponseBody::Full(b) => Some(b),
            ResponseBody::Stream(_) => None,
        }
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseBody::Full(b) => write!(f, "Full({} bytes)", b.len()),
            ResponseBody::Stream(_) => f.write_str("Stream"),
        }
    }
}

impl From<Bytes> for ResponseBody {
    fn from(b: Bytes) -> Self {
        ResponseBody::Full(b)
    }
}

/// What a handler returns on success: a status, the `data` value and optional `meta`.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 200, 201 or 202.
    pub status: StatusCode,
    /// `data`.
    pub data: serde_json::Value,
    /// `meta`.
    pub meta: Option<serde_json::Value>,
}

impl Reply {
    /// 200 with `data`.
    pub fn ok<T: Serialize>(data: &T) -> Result<Self, ApiError> {
        Self::with_status(StatusCode::OK, data)
    }

    /// 201 with `data`.
    pub fn created<T: Serialize>(data: &T) -> Result<Self, ApiError> {
        Self::with_status(StatusCode::CREATED, data)
    }

    /// `status` with `data`.
    pub fn with_status<T: Serialize>(status: StatusCode, data: &T) -> Result<Self, ApiError> {
        let data = serde_json::to_value(data)
            .map_err(|e| ApiError::internal(format!("serialize reply: {e}")))?;
        Ok(Self {
            status,
            data,
            meta: None,
        })
    }

    /// Adds `meta`.
    pub fn meta(mut self, meta: serde_json::Value) -> Self {
        self.meta = Some(meta);
        self
    }
}

/// A handler's answer: the JSON envelope, raw bytes (metrics, OpenAPI), or a streamed body
/// with its own status and headers (downloads).
pub enum Outcome {
    /// `{"success": true, ...}`.
    Json(Reply),
    /// A non-envelope body with its content type.
    Raw {
        /// Status.
        status: StatusCode,
        /// `Content-Type`.
        content_type: &'static str,
        /// Body.
        body: Bytes,
    },
    /// Any status and headers, the body streamed (file downloads, 206 ranges, 304).
    Stream {
        /// Status.
        status: StatusCode,
        /// Headers (content type, length, disposition, ETag...).
        headers: HeaderMap,
        /// Body.
        body: ResponseBody,
    },
}

impl From<Reply> for Outcome {
    fn from(r: Reply) -> Self {
        Outcome::Json(r)
    }
}

/// Writes a success envelope.
pub fn render_success(reply: Reply) -> ApiResponse {
    let body = shared::Success {
        success: true,
        data: reply.data,
        meta: reply.meta,
    };
    json_response(reply.status, &body)
}

/// Writes an error envelope (and `Retry-After` when set). Never includes `internal`.
pub fn render_error(error: &ApiError) -> ApiResponse {
    let body = shared::ErrorBody {
        success: false,
        error: error.message.clone(),
        code: error.code,
        details: error.details.clone(),
    };
    let status =
        StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, &body);
    if let Some(secs) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Writes a non-envelope body.
pub fn render_raw(status: StatusCode, content_type: &'static str, body: Bytes) -> ApiResponse {
    let mut response = http::Response::new(ResponseBody::Full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_response<T: Serialize>(status: StatusCode, body: &T) -> ApiResponse {
    // Serializing our own envelope types cannot fail; fall back to a fixed body rather than panic.
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| {
        br#"{"success":false,"error":"internal error","code":"internal","details":[]}"#.to_vec()
    });
    let mut response = http::Response::new(ResponseBody::Full(Bytes::from(bytes)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: ApiError) -> String {
        e.message
    }

    #[test]
    fn nul_in_the_path_or_a_query_value_or_name_is_refused() {
        for url in [
            "/api/v1/files/a%00b",
            "/api/v1/files?q=a%00b",
            "/api/v1/files?page=1&a%00=1",
            "/api/v1/files?q=a%2500b&x=%00",
        ] {
            assert!(
                ApiRequest::new(Method::GET, url).refuse_nul_text().is_err(),
                "{url}"
            );
        }
        for url in [
            "/api/v1/files?q=a%2500b",
            "/api/v1/files/x?q=caf%C3%A9",
            "/health",
        ] {
            assert!(
                ApiRequest::new(Method::GET, url).refuse_nul_text().is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn nul_anywhere_in_a_json_body_is_refused_naming_where() {
        let mut req = ApiRequest::new(Method::POST, "/x");
        req.body = Bytes::from(r#"{"a":{"b":["ok","x\u0000y"]}}"#);
        let err = req.json::<serde_json::Value>().expect_err("refused");
        assert!(message(err).contains("`a.b[1]`"));
        req.body = Bytes::from(r#"{"k\u0000":1}"#);
        let err = req.json::<serde_json::Value>().expect_err("refused");
        assert!(message(err).contains("k\\0"), "the key is shown escaped");
        req.body = Bytes::from(r#"{"a":"no nul here \\u0000"}"#);
        assert!(req.json::<serde_json::Value>().is_ok());
    }

    fn post(body: &str) -> ApiRequest {
        let mut r = ApiRequest::new(Method::POST, "/x");
        r.body = Bytes::from(body.to_string());
        r
    }

    #[derive(serde::Deserialize, Debug)]
    struct Body {
        #[allow(dead_code)]
        email: Option<String>,
    }

    fn refusal(body: &str) -> shared::ErrorCode {
        post(body)
            .json::<Body>()
            .map(|_| ())
            .expect_err("refused")
            .code
    }

    #[test]
    fn json_body_errors_are_400() {
        for body in ["{", "[1]", "", r#"{"email": 5}"#] {
            assert_eq!(refusal(body), shared::ErrorCode::BadRequest, "{body:?}");
        }
        assert!(
            post(r#"{}"#).json::<Body>().is_ok(),
            "a missing field is the service's 422 to give"
        );
    }

    #[test]
    fn error_envelope_hides_internals_and_sets_retry_after() {
        let mut e = ApiError::unavailable("the database", "connection refused at 10.0.0.7:5432");
        e.internal = Some("secret detail".into());
        let r = render_error(&e);
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
        let text = String::from_utf8_lossy(r.body().as_bytes().expect("a whole body")).to_string();
        assert!(
            !text.contains("secret") && !text.contains("10.0.0.7"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["success"], false);
        assert_eq!(v["code"], "unavailable");
    }

    #[test]
    fn bearer_and_query_parsing() {
        let mut r = ApiRequest::new(Method::GET, "/x?page=2&q=a%20b");
        r.headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(r.bearer_token(), Some("abc"));
        assert_eq!(r.query_param("q").as_deref(), Some("a b"));
        assert_eq!(r.query_param("page").as_deref(), Some("2"));
        assert_eq!(r.query_param("none"), None);
    }
}
