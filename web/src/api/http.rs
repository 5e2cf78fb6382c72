//! The one path every API call takes: a JSON or form body, the user's bearer token, the
//! envelope decoded into typed data or a typed error, and a transparent token refresh.
//!
//! Refresh tokens are single use and presenting one twice revokes the whole session (API.md),
//! so refreshes are serialised: a request that finds one in flight waits for its result.

use std::cell::Cell;

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::auth::{RefreshRequest, TokenResponse};
use shared::pagination::Pagination;
use shared::{ErrorBody, ErrorCode, FieldError, Success};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::browser;
use crate::session;

/// Why a call failed, as the user should be told.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The API answered with its error envelope.
    #[error("{message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The envelope's machine-readable code.
        code: ErrorCode,
        /// The envelope's message.
        message: String,
        /// Per-field problems of a 422.
        details: Vec<FieldError>,
        /// Seconds to wait, from `Retry-After` (429, 503).
        retry_after: Option<u64>,
    },
    /// No answer (offline, server down, request blocked).
    #[error("the server could not be reached; check the connection and try again")]
    Network,
    /// An answer that is not the API's envelope.
    #[error("the server's answer could not be read ({0})")]
    Decode(String),
}

impl ApiError {
    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// One sentence for a notification: the message, each field's problem, and how long to wait.
    pub fn describe(&self) -> String {
        match self {
            ApiError::Api {
                message,
                details,
                retry_after,
                ..
            } => {
                let mut text = message.clone();
                for d in details {
                    text.push_str(&format!("; {}: {}", d.field, d.message));
                }
                if let Some(s) = retry_after {
                    text.push_str(&format!(
                        " (try again in {})",
                        crate::format::duration_secs(*s)
                    ));
                }
                text
            }
            other => other.to_string(),
        }
    }
}

/// One page of a list, with the API's `meta.pagination`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where this page sits.
    pub pagination: Pagination,
}

/// A request body.
pub enum Body {
    /// None.
    Empty,
    /// A JSON document.
    Json(String),
    /// A multipart form (uploads).
    Form(web_sys::FormData),
}

thread_local! {
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
}

/// `GET path` → `data`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    Ok(call::<T>("GET", path, Body::Empty).await?.data)
}

/// `GET path` → a page of `data` with its pagination.
pub async fn get_page<T: DeserializeOwned>(path: &str) -> Result<Page<T>, ApiError> {
    let answer = call::<Vec<T>>("GET", path, Body::Empty).await?;
    let pagination = answer
        .meta
        .and_then(|m| m.get("pagination").cloned())
        .and_then(|p| serde_json::from_value(p).ok())
        .ok_or_else(|| ApiError::Decode("no pagination".into()))?;
    Ok(Page {
        items: answer.data,
        pagination,
    })
}

/// `method path` with a JSON body → `data`.
pub async fn send<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &impl Serialize,
) -> Result<T, ApiError> {
    let json = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(call::<T>(method, path, Body::Json(json)).await?.data)
}

/// `method path` without a body → `data`.
pub async fn send_empty<T: DeserializeOwned>(method: &str, path: &str) -> Result<T, ApiError> {
    Ok(call::<T>(method, path, Body::Empty).await?.data)
}

/// `POST path` with a multipart form → `data`.
pub async fn post_form<T: DeserializeOwned>(
    path: &str,
    form: web_sys::FormData,
) -> Result<T, ApiError> {
    Ok(call::<T>("POST", path, Body::Form(form)).await?.data)
}

/// `GET path` → the raw bytes (thumbnails, downloads), which need the token like any call.
pub async fn get_blob(path: &str) -> Result<web_sys::Blob, ApiError> {
    let response = exchange("GET", path, &Body::Empty).await?;
    if !response.ok() {
        return Err(error_from(&response).await);
    }
    let blob = JsFuture::from(response.blob().map_err(|_| ApiError::Network)?)
        .await
        .map_err(|_| ApiError::Network)?;
    blob.dyn_into::<web_sys::Blob>()
        .map_err(|_| ApiError::Decode("not a blob".into()))
}

/// `GET path` without the user's token (a public share link), with `headers` → the bytes and
/// the file name the answer's `Content-Disposition` gives.
pub async fn get_public_blob(
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(web_sys::Blob, Option<String>), ApiError> {
    let response = fetch("GET", path, &Body::Empty, None, headers).await?;
    if !response.ok() {
        return Err(error_from(&response).await);
    }
    let name = response
        .headers()
        .get("Content-Disposition")
        .ok()
        .flatten()
        .and_then(|d| crate::format::disposition_filename(&d));
    let blob = JsFuture::from(response.blob().map_err(|_| ApiError::Network)?)
        .await
        .map_err(|_| ApiError::Network)?
        .dyn_into::<web_sys::Blob>()
        .map_err(|_| ApiError::Decode("not a blob".into()))?;
    Ok((blob, name))
}

/// `POST path` with a JSON body whose answer is a stream of server-sent events: `on_event`
/// gets each event's name (`message` when unnamed) and data as they arrive. An error answer
/// (before the stream starts) is the error it carries.
pub async fn post_events(
    path: &str,
    body: &impl Serialize,
    on_event: impl FnMut(&str, &str),
) -> Result<(), ApiError> {
    let json = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    let response = exchange("POST", path, &Body::Json(json)).await?;
    if !response.ok() {
        return Err(error_from(&response).await);
    }
    read_events(&response, on_event).await
}

/// `GET path` whose answer is a stream of server-sent events, read as `post_events` reads
/// one. An answer that is not an event stream (a runtime that cannot hold one open answers
/// otherwise) is a `Decode` error, so the caller can fall back to polling.
pub async fn get_events(path: &str, on_event: impl FnMut(&str, &str)) -> Result<(), ApiError> {
    let response = exchange("GET", path, &Body::Empty).await?;
    if !response.ok() {
        return Err(error_from(&response).await);
    }
    let content_type = response
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if !content_type.starts_with("text/event-stream") {
        return Err(ApiError::Decode(format!(
            "not an event stream ({content_type})"
        )));
    }
    read_events(&response, on_event).await
}

/// Cancels the body's reader when the reading future is dropped (the page that wanted the
/// events went away): otherwise the browser keeps the connection open until the server ends it.
struct CancelOnDrop(web_sys::ReadableStreamDefaultReader);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        // Awaited so that a refusal (the stream had already failed) is not an unhandled
        // rejection in the console.
        let cancelled = JsFuture::from(self.0.cancel());
        wasm_bindgen_futures::spawn_local(async move {
            let _ = cancelled.await;
        });
    }
}

/// Hands each event of a streamed answer to `on_event` until the stream ends.
async fn read_events(
    response: &web_sys::Response,
    mut on_event: impl FnMut(&str, &str),
) -> Result<(), ApiError> {
    let stream = response
        .body()
        .ok_or_else(|| ApiError::Decode("no body".into()))?;
    let reader = CancelOnDrop(stream.get_reader().unchecked_into());
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.0.read())
            .await
            .map_err(|_| ApiError::Network)?;
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &JsValue::from_str("value"))
            .map_err(|_| ApiError::Network)?;
        pending.extend_from_slice(&js_sys::Uint8Array::new(&value).to_vec());
        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = pending.drain(..end + 2).collect();
            let (name, data) = sse_event(&String::from_utf8_lossy(&block));
            on_event(&name, &data);
        }
    }
    Ok(())
}

/// The name and data of one event block.
pub fn sse_event(block: &str) -> (String, String) {
    let mut name = String::from("message");
    let mut data = Vec::new();
    for line in block.lines() {
        if let Some(n) = line.strip_prefix("event:") {
            name = n.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push(d.strip_prefix(' ').unwrap_or(d));
        }
    }
    (name, data.join("\n"))
}

/// A request, decoded as the success envelope or turned into the error it carries.
async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Body,
) -> Result<Success<T>, ApiError> {
    let response = exchange(method, path, &body).await?;
    if !response.ok() {
        return Err(error_from(&response).await);
    }
    let text = text_of(&response).await?;
    serde_json::from_str::<Success<T>>(&text).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Sends with the current token; on a 401, refreshes once (or takes the token another request
/// just refreshed) and sends again.
async fn exchange(method: &str, path: &str, body: &Body) -> Result<web_sys::Response, ApiError> {
    let token = usable_access_token().await;
    let response = fetch(method, path, body, token.as_deref(), &[]).await?;
    if response.status() != 401 || token.is_none() {
        return Ok(response);
    }
    match token_after_401(token.as_deref()).await {
        Some(t) => fetch(method, path, body, Some(&t), &[]).await,
        None => Ok(response),
    }
}

/// The token to send again with after `used` got a 401: one another request refreshed in the
/// meantime, or a fresh one. `None` ends the session (the app goes back to sign-in).
pub(crate) async fn token_after_401(used: Option<&str>) -> Option<String> {
    let current = session::access_token();
    let fresh = if current.is_some() && current.as_deref() != used {
        current
    } else {
        refresh().await
    };
    if fresh.is_none() {
        session::expired();
    }
    fresh
}

/// The stored access token, refreshed first when it is about to expire.
pub(crate) async fn usable_access_token() -> Option<String> {
    while REFRESHING.get() {
        browser::sleep(50).await;
    }
    let token = session::access_token()?;
    let now = (js_sys::Date::now() / 1000.0) as i64;
    match crate::format::jwt_expiry(&token) {
        Some(exp) if exp - now < 30 => refresh().await,
        _ => Some(token),
    }
}

/// Trades the refresh token for a new pair; `None` when the session is over.
async fn refresh() -> Option<String> {
    if REFRESHING.get() {
        while REFRESHING.get() {
            browser::sleep(50).await;
        }
        return session::access_token();
    }
    REFRESHING.set(true);
    let result = refresh_now().await;
    REFRESHING.set(false);
    result
}

async fn refresh_now() -> Option<String> {
    let refresh_token = session::refresh_token()?;
    let body = serde_json::to_string(&RefreshRequest {
        refresh_token: Some(refresh_token),
    })
    .ok()?;
    let response = fetch("POST", "/api/v1/auth/refresh", &Body::Json(body), None, &[])
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    let text = text_of(&response).await.ok()?;
    let tokens = serde_json::from_str::<Success<TokenResponse>>(&text)
        .ok()?
        .data;
    session::store_tokens(&tokens.access_token, &tokens.refresh_token);
    Some(tokens.access_token)
}

async fn fetch(
    method: &str,
    path: &str,
    body: &Body,
    token: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> Result<web_sys::Response, ApiError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::Network)?;
    let _ = headers.set("Accept", "application/json");
    for (name, value) in extra_headers {
        let _ = headers.set(name, value);
    }
    if let Some(t) = token {
        let _ = headers.set("Authorization", &format!("Bearer {t}"));
    }
    match body {
        Body::Empty => {}
        Body::Json(json) => {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&JsValue::from_str(json));
        }
        // The browser writes the multipart boundary into Content-Type itself.
        Body::Form(form) => init.set_body(form),
    }
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Network)?;
    let window = web_sys::window().ok_or(ApiError::Network)?;
    let response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ApiError::Network)?;
    response
        .dyn_into::<web_sys::Response>()
        .map_err(|_| ApiError::Network)
}

async fn text_of(response: &web_sys::Response) -> Result<String, ApiError> {
    let promise = response.text().map_err(|_| ApiError::Network)?;
    JsFuture::from(promise)
        .await
        .map_err(|_| ApiError::Network)?
        .as_string()
        .ok_or_else(|| ApiError::Decode("not text".into()))
}

/// The error an unsuccessful response carries.
pub(crate) async fn error_from(response: &web_sys::Response) -> ApiError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok());
    let text = text_of(response).await.unwrap_or_default();
    error_from_parts(status, &text, retry_after)
}

/// The error of a status and body (also used for uploads, which go through XHR).
pub(crate) fn error_from_parts(status: u16, text: &str, retry_after: Option<u64>) -> ApiError {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(e) => ApiError::Api {
            status,
            code: e.code,
            message: e.error,
            details: e.details,
            retry_after,
        },
        Err(_) => ApiError::Decode(format!("HTTP {status}")),
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    crate::format::query_escape(value)
}
