//! The `azure` provider: block blobs in one container of an Azure Storage account, over the
//! Blob REST API with Shared Key authentication ([`crate::azure_auth`]). There is no maintained
//! pure-Rust Azure SDK worth its weight here; the handful of calls used are plain HTTP.
//!
//! Uploads stream: the body is cut into blocks of [`BLOCK_SIZE`], one held in memory at a time.
//! A body that fits in one block goes up as a single Put Blob; a longer one as Put Block calls
//! and a final Put Block List, which is the only call that makes the object visible. So a
//! failed upload never commits anything under the key (an existing object stays as it was);
//! its staged, uncommitted blocks are garbage-collected by Azure (after a week, or at the next
//! commit to that blob name), so there is nothing to clean up.
//!
//! Configuration (JSON): `account_name`, `account_key` (base64, the secret), `container`,
//! optional `endpoint` (default `https://{account}.blob.core.windows.net`; Azurite's is
//! path-style, `http://127.0.0.1:PORT/devstoreaccount1`) and optional `prefix` (a folder
//! inside the container). Errors name a bad field, never its value; no error or log carries
//! the key, a signature or a presigned URL.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt as _;
use powernode_api::maybe_async_trait;
use powernode_api::ports::storage::{
    ByteRange, ByteStream, GetObject, ObjectInfo, ObjectPage, ObjectStore, PresignFor, Presigned,
    StorageError, check_key,
};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use url::Url;

use crate::azure_auth::{BlobSas, SharedKey};
use crate::azure_list;

/// Block size of chunked uploads: one block is what an upload holds in memory. 8 MiB times
/// Azure's 50,000 blocks per blob allows objects up to about 390 GiB.
pub const BLOCK_SIZE: usize = 8 * 1024 * 1024;
/// First buffer of a body of unknown size.
const UNKNOWN_SIZE_START: usize = 256 * 1024;
/// Azure's limit on committed blocks per blob.
const MAX_BLOCKS: usize = 50_000;
/// Attempts for a call that failed transiently (a connection error, 408, 429, 5xx). Every call
/// made here is idempotent (the blocks are held in memory until acknowledged).
const ATTEMPTS: u32 = 3;
/// Connecting: a reachable service answers within seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Silence on a connection for this long fails the call (or a download's stream).
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Whole-call limit for calls without a large body (HEAD, DELETE, Put Block List).
const SMALL_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Whole-call limit for sending one block: 8 MiB at a slow 20 KB/s.
const BLOCK_CALL_TIMEOUT: Duration = Duration::from_secs(420);

/// One container (optionally a folder in it) of an Azure Storage account.
#[derive(Debug, Clone)]
pub struct AzureStore {
    client: reqwest::Client,
    key: SharedKey,
    /// The account's blob endpoint, without a trailing slash.
    endpoint: Url,
    container: String,
    /// Prepended to keys as `{prefix}/{key}`; already checked like a key.
    prefix: Option<String>,
}

/// A configuration field that must be a string when present ("" counts as absent).
fn optional<'a>(config: &'a Value, field: &str) -> Result<Option<&'a str>, StorageError> {
    match config.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim())),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

fn required<'a>(config: &'a Value, field: &str) -> Result<&'a str, StorageError> {
    optional(config, field)?.ok_or_else(|| invalid(field, "is required"))
}

/// Names the field and the rule, never the value (which may be the key).
fn invalid(field: &str, why: &str) -> StorageError {
    StorageError::InvalidConfig(format!("azure `{field}` {why}"))
}

/// Azure's account names: 3 to 24 lower-case letters and digits.
fn valid_account(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Azure's container names: 3 to 63 of lower-case letters, digits and single hyphens, starting
/// and ending with a letter or digit. Checked here so a name can go into a URL path as is.
fn valid_container(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (3..=63).contains(&name.len())
        && name.bytes().all(|b| alnum(b) || b == b'-')
        && name.bytes().next().is_some_and(alnum)
        && name.bytes().last().is_some_and(alnum)
        && !name.contains("--")
}

impl AzureStore {
    /// The store for a storage row's (decrypted) configuration. Makes no call; builds its own
    /// HTTP client (rustls), so stores never share connections across runtimes.
    pub fn from_config(config: &Value) -> Result<Self, StorageError> {
        if !config.is_object() {
            return Err(StorageError::InvalidConfig(
                "azure configuration must be a JSON object".into(),
            ));
        }
        let account = required(config, "account_name")?;
        if !valid_account(account) {
            return Err(invalid(
                "account_name",
                "must be 3 to 24 lower-case letters and digits",
            ));
        }
        let key = BASE64
            .decode(required(config, "account_key")?)
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| invalid("account_key", "must be the account key in base64"))?;
        let container = required(config, "container")?;
        if !valid_container(container) {
            return Err(invalid(
                "container",
                "must be 3 to 63 lower-case letters, digits and single hyphens",
            ));
        }
        let endpoint = match optional(config, "endpoint")? {
            Some(text) => parse_endpoint(text)?,
            None => parse_endpoint(&format!("https://{account}.blob.core.windows.net"))?,
        };
        let prefix = match optional(config, "prefix")?.map(|p| p.trim_matches('/')) {
            None | Some("") => None,
            Some(p) => {
                check_key(p).map_err(|_| {
                    invalid("prefix", "must be `/`-separated segments of [A-Za-z0-9._-]")
                })?;
                Some(p.to_owned())
            }
        };
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            // A signed request must not be replayed somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("powernode-storage/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| StorageError::Unavailable("could not build the HTTP client".into()))?;
        Ok(Self {
            client,
            key: SharedKey::new(account, &key),
            endpoint,
            container: container.to_owned(),
            prefix,
        })
    }

    /// Creates the container if it does not exist (provisioning and tests; the port's calls
    /// expect it to exist). Succeeds when it already does.
    pub async fn create_container(&self) -> Result<(), StorageError> {
        let mut url = self.container_url()?;
        url.query_pairs_mut().append_pair("restype", "container");
        let response = self
            .send("Create Container", Method::PUT, url, HeaderMap::new(), None)
            .await?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::CONFLICT if error_code(&response) == "ContainerAlreadyExists" => Ok(()),
            _ => Err(status_error("Create Container", &response)),
        }
    }

    fn container_url(&self) -> Result<Url, StorageError> {
        let mut url = self.endpoint.clone();
        url.path_segments_mut()
            .map_err(|()| invalid("endpoint", "must be an http(s) URL"))?
            .pop_if_empty()
            .push(&self.container);
        Ok(url)
    }

    /// The blob's name in the container: the key (checked) under the prefix.
    fn blob_name(&self, key: &str) -> Result<String, StorageError> {
        check_key(key)?;
        Ok(match &self.prefix {
            Some(prefix) => format!("{prefix}/{key}"),
            None => key.to_owned(),
        })
    }

    fn blob_url(&self, name: &str) -> Result<Url, StorageError> {
        let mut url = self.container_url()?;
        // Checked names only hold URL-safe characters, so the path is the name itself.
        url.path_segments_mut()
            .map_err(|()| invalid("endpoint", "must be an http(s) URL"))?
            .extend(name.split('/'));
        Ok(url)
    }

    /// Signs and sends one call, retrying transient failures. Errors name `op`, never the URL.
    async fn send(
        &self,
        op: &'static str,
        method: Method,
        url: Url,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Response, StorageError> {
        let timeout = match (&method, &body) {
            (_, Some(b)) if b.len() > 64 * 1024 => Some(BLOCK_CALL_TIMEOUT),
            // A download's body streams for as long as it takes; READ_TIMEOUT catches stalls.
            (&Method::GET, None) => None,
            _ => Some(SMALL_CALL_TIMEOUT),
        };
        let mut attempt = 1;
        loop {
            let mut request = reqwest::Request::new(method.clone(), url.clone());
            *request.headers_mut() = headers.clone();
            *request.timeout_mut() = timeout;
            if let Some(body) = &body {
                // Signed, so it must be in the headers before signing (reqwest adds it later).
                request
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
                *request.body_mut() = Some(body.clone().into());
            }
            self.key.authorize(&mut request, now());
            let outcome = match self.client.execute(request).await {
                Ok(response) if is_transient(response.status()) => Err(status_error(op, &response)),
                Ok(response) => return Ok(response),
                Err(e) => Err(transport_error(op, &e)),
            };
            if attempt >= ATTEMPTS {
                return outcome;
            }
            if let Err(e) = &outcome {
                tracing::debug!(op, attempt, error = %e, "retrying a transient Azure failure");
            }
            // 0.25 s, then 1 s: enough for a throttled or restarting service to recover.
            tokio::time::sleep(Duration::from_millis(250 * 4u64.pow(attempt - 1))).await;
            attempt += 1;
        }
    }

    /// Stages one block of an upload. Block ids are the upload's id and the block's index,
    /// fixed-width because Azure wants all ids of a blob to have the same length.
    async fn put_block(
        &self,
        url: &Url,
        upload: &str,
        ids: &mut Vec<String>,
        block: Bytes,
    ) -> Result<(), StorageError> {
        if ids.len() >= MAX_BLOCKS {
            return Err(StorageError::Body(format!(
                "the object exceeds {MAX_BLOCKS} blocks of {BLOCK_SIZE} bytes"
            )));
        }
        let id = BASE64.encode(format!("{upload}-{:06}", ids.len()));
        let mut url = url.clone();
        url.query_pairs_mut()
            .append_pair("comp", "block")
            .append_pair("blockid", &id);
        let response = self
            .send("Put Block", Method::PUT, url, HeaderMap::new(), Some(block))
            .await?;
        expect_success("Put Block", &response)?;
        ids.push(id);
        Ok(())
    }
}

fn parse_endpoint(text: &str) -> Result<Url, StorageError> {
    let bad = || {
        invalid(
            "endpoint",
            "must be an http(s) URL without credentials or query",
        )
    };
    let mut url = Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad());
    }
    // Azurite's path-style endpoint ends in the account; a trailing slash would double it.
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

fn is_transient(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// Azure's error code (`x-ms-error-code`, also sent on HEAD), reduced to letters and digits so
/// nothing else can travel in it. The XML body is never read: for a refused signature it
/// quotes the string that was signed.
fn error_code(response: &Response) -> String {
    response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect()
}

/// The error for a status that is not the call's success.
fn status_error(op: &str, response: &Response) -> StorageError {
    let status = response.status();
    let code = error_code(response);
    let what = format!("{op}: HTTP {} {code}", status.as_u16());
    match status {
        // A missing container is a configuration problem, not a missing object.
        _ if code == "ContainerNotFound" => invalid("container", "does not exist in this account"),
        StatusCode::NOT_FOUND => StorageError::NotFound,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => StorageError::Denied(what),
        StatusCode::RANGE_NOT_SATISFIABLE => StorageError::RangeNotSatisfiable,
        _ => StorageError::Unavailable(what),
    }
}

fn expect_success(op: &str, response: &Response) -> Result<(), StorageError> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(status_error(op, response))
    }
}

/// reqwest's errors are reduced to their kind: their text can hold the URL.
fn transport_error(op: &str, e: &reqwest::Error) -> StorageError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection failed mid-body"
    } else {
        "the request failed"
    };
    StorageError::Unavailable(format!("{op}: {kind}"))
}

fn header_u64(response: &Response, name: HeaderName) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

/// `bytes START-END/TOTAL` of a 206 answer, as given (START may be past END, see `get`).
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()?, total.parse().ok()?))
}

fn static_header(
    name: &'static str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), StorageError> {
    let value = HeaderValue::from_str(value)
        .map_err(|_| StorageError::Body(format!("`{name}` is not a valid header value")))?;
    Ok((HeaderName::from_static(name), value))
}

/// The object's headers for Put Blob and Put Block List (the content type it is served with).
fn content_type_headers(content_type: &str) -> Result<HeaderMap, StorageError> {
    let mut headers = HeaderMap::new();
    if !content_type.is_empty() {
        let (name, value) = static_header("x-ms-blob-content-type", content_type)?;
        headers.insert(name, value);
    }
    Ok(headers)
}

fn block_list_xml(ids: &[String]) -> String {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="utf-8"?><BlockList>"#);
    for id in ids {
        // Base64 needs no XML escaping.
        xml.push_str("<Latest>");
        xml.push_str(id);
        xml.push_str("</Latest>");
    }
    xml.push_str("</BlockList>");
    xml
}

impl AzureStore {
    /// `put`: cuts the body into blocks; see the module doc for what is committed when.
    async fn put_streamed(
        &self,
        key: &str,
        mut body: ByteStream,
        size: Option<u64>,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let url = self.blob_url(&self.blob_name(key)?)?;
        let object_headers = content_type_headers(content_type)?;
        // Sized for the body when its size is known; otherwise small at first (most bodies
        // of unknown size are small too), growing to a block if the body is that long.
        let capacity = size
            .and_then(|s| usize::try_from(s).ok())
            .map_or(UNKNOWN_SIZE_START, |s| s.min(BLOCK_SIZE));
        let mut block = BytesMut::with_capacity(capacity);
        let upload = uuid::Uuid::now_v7().simple().to_string();
        let mut ids = Vec::new();
        let mut total = 0u64;
        while let Some(chunk) = body.next().await {
            let mut chunk = chunk?;
            total += chunk.len() as u64;
            if size.is_some_and(|s| total > s) {
                return Err(StorageError::Body(
                    "the body is longer than its declared size".into(),
                ));
            }
            while !chunk.is_empty() {
                // A full block is sent only once more bytes arrive, so a body of exactly one
                // block still goes up as a single Put Blob.
                if block.len() == BLOCK_SIZE {
                    let full = block.split().freeze();
                    self.put_block(&url, &upload, &mut ids, full).await?;
                    // After the send, which dropped the sent block: one block in memory.
                    block.reserve(BLOCK_SIZE);
                }
                let take = (BLOCK_SIZE - block.len()).min(chunk.len());
                block.extend_from_slice(&chunk.split_to(take));
            }
        }
        if size.is_some_and(|s| total != s) {
            return Err(StorageError::Body(
                "the body is shorter than its declared size".into(),
            ));
        }
        if ids.is_empty() {
            let mut headers = object_headers;
            let (name, value) = static_header("x-ms-blob-type", "BlockBlob")?;
            headers.insert(name, value);
            let response = self
                .send("Put Blob", Method::PUT, url, headers, Some(block.freeze()))
                .await?;
            expect_success("Put Blob", &response)?;
            return Ok(total);
        }
        if !block.is_empty() {
            self.put_block(&url, &upload, &mut ids, block.freeze())
                .await?;
        }
        let mut url = url;
        url.query_pairs_mut().append_pair("comp", "blocklist");
        let response = self
            .send(
                "Put Block List",
                Method::PUT,
                url,
                object_headers,
                Some(Bytes::from(block_list_xml(&ids))),
            )
            .await?;
        expect_success("Put Block List", &response)?;
        Ok(total)
    }

    /// `get`: one Get Blob, its body streamed as it arrives.
    async fn get_blob(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject, StorageError> {
        let url = self.blob_url(&self.blob_name(key)?)?;
        let mut headers = HeaderMap::new();
        if let Some(r) = range {
            if r.end < r.start {
                return Err(StorageError::RangeNotSatisfiable);
            }
            // Azure clamps an end past the object's end, as HTTP does, and answers 416 for a
            // start past it.
            let (name, value) =
                static_header("x-ms-range", &format!("bytes={}-{}", r.start, r.end))?;
            headers.insert(name, value);
        }
        let response = self
            .send("Get Blob", Method::GET, url, headers, None)
            .await?;
        expect_success("Get Blob", &response)?;
        let bad = || StorageError::Unavailable("Get Blob: an answer without its size".into());
        let (size, range) = match range {
            Some(_) => {
                let (start, end, size) = response
                    .headers()
                    .get(header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range)
                    .ok_or_else(bad)?;
                // Azure answers 416 for a start at the object's end; Azurite answers an empty
                // 206, `bytes N-(N-1)/N`. Both mean the same here.
                if start >= size || end < start {
                    return Err(StorageError::RangeNotSatisfiable);
                }
                (size, Some(ByteRange { start, end }))
            }
            None => (
                header_u64(&response, header::CONTENT_LENGTH).ok_or_else(bad)?,
                None,
            ),
        };
        let body: ByteStream = Box::pin(
            response
                .bytes_stream()
                .map(|chunk| chunk.map_err(|e| transport_error("Get Blob (body)", &e))),
        );
        Ok(GetObject { size, range, body })
    }

    /// `presign`: the blob's URL with a service SAS.
    fn sas_url(
        &self,
        purpose: PresignFor,
        key: &str,
        expires_in: Duration,
        content_type: Option<&str>,
    ) -> Result<Presigned, StorageError> {
        let name = self.blob_name(key)?;
        let mut url = self.blob_url(&name)?;
        let expires_at = expiry(now(), expires_in)?;
        let content_type = content_type.filter(|c| !c.is_empty());
        if let Some(c) = content_type {
            // Sent as a header (upload) or signed into the URL (download): either way it must
            // be a valid header value.
            HeaderValue::from_str(c).map_err(|_| {
                StorageError::Body("the content type is not a valid header value".into())
            })?;
        }
        let (permissions, method, headers, response_content_type) = match purpose {
            PresignFor::Download => ("r", "GET", Vec::new(), content_type),
            PresignFor::Upload => {
                let mut headers = vec![("x-ms-blob-type".to_owned(), "BlockBlob".to_owned())];
                if let Some(c) = content_type {
                    headers.push(("x-ms-blob-content-type".to_owned(), c.to_owned()));
                }
                // `c` creates the blob, `w` overwrites one: an upload may replace its key.
                ("cw", "PUT", headers, None)
            }
        };
        let query = self.key.blob_sas(&BlobSas {
            permissions,
            expiry: expires_at,
            container: &self.container,
            blob: &name,
            https_only: self.endpoint.scheme() == "https",
            response_content_type,
        });
        url.set_query(Some(&query));
        Ok(Presigned {
            url: url.into(),
            method,
            headers,
            expires_at,
        })
    }
}

maybe_async_trait! {
impl ObjectStore for AzureStore {
    async fn put(
        &self,
        key: &str,
        body: ByteStream,
        size: Option<u64>,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        self.put_streamed(key, body, size, content_type).await
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        self.get_blob(key, range).await
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        let url = self.blob_url(&self.blob_name(key)?)?;
        let response = self
            .send("Get Blob Properties", Method::HEAD, url, HeaderMap::new(), None)
            .await?;
        match expect_success("Get Blob Properties", &response) {
            Ok(()) => {}
            Err(StorageError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        }
        // Read the header itself: for a HEAD answer the body's length is zero.
        let size = header_u64(&response, header::CONTENT_LENGTH).ok_or_else(|| {
            StorageError::Unavailable("Get Blob Properties: an answer without its size".into())
        })?;
        Ok(Some(ObjectInfo { size }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let url = self.blob_url(&self.blob_name(key)?)?;
        let mut headers = HeaderMap::new();
        // Snapshots would otherwise make the delete fail; none are made here, but an operator
        // may have taken some.
        let (name, value) = static_header("x-ms-delete-snapshots", "include")?;
        headers.insert(name, value);
        let response = self.send("Delete Blob", Method::DELETE, url, headers, None).await?;
        match expect_success("Delete Blob", &response) {
            Ok(()) | Err(StorageError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn presign(
        &self,
        purpose: PresignFor,
        key: &str,
        expires_in: Duration,
        content_type: Option<&str>,
    ) -> Result<Presigned, StorageError> {
        self.sas_url(purpose, key, expires_in, content_type)
    }

    async fn list(&self, prefix: &str, after: Option<String>) -> Result<ObjectPage, StorageError> {
        let full = match &self.prefix {
            Some(p) => format!("{p}/{prefix}"),
            None => prefix.to_owned(),
        };
        let mut url = self.container_url()?;
        url.query_pairs_mut()
            .append_pair("restype", "container")
            .append_pair("comp", "list")
            .append_pair("prefix", &full);
        if let Some(marker) = &after {
            url.query_pairs_mut().append_pair("marker", marker);
        }
        let response = self.send("List Blobs", Method::GET, url, HeaderMap::new(), None).await?;
        expect_success("List Blobs", &response)?;
        let xml = response
            .text()
            .await
            .map_err(|e| transport_error("List Blobs", &e))?;
        let page = azure_list::parse(&xml)?;
        // Keys are the store's own: its prefix comes off.
        let strip = self.prefix.as_ref().map(|p| format!("{p}/"));
        let objects = page
            .blobs
            .into_iter()
            .filter_map(|mut o| {
                if let Some(p) = &strip {
                    o.key = o.key.strip_prefix(p.as_str())?.to_owned();
                }
                Some(o)
            })
            .collect();
        Ok(ObjectPage { objects, next: page.next_marker })
    }
}
}

/// The wall clock (chrono's `clock` feature is off in this workspace: the core reads time
/// through its Clock port; a provider signing requests needs the real time).
fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

/// `now + expires_in`, to the whole second (the SAS format has no fractions; rounding down
/// keeps the URL from outliving what was asked).
fn expiry(now: DateTime<Utc>, expires_in: Duration) -> Result<DateTime<Utc>, StorageError> {
    let too_far = || StorageError::Unsupported("an expiry that far away".into());
    let at = TimeDelta::from_std(expires_in)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(too_far)?;
    DateTime::from_timestamp(at.timestamp(), 0).ok_or_else(too_far)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: &str = "c2VjcmV0LWtleS1ieXRlcw==";

    fn config() -> Value {
        json!({
            "account_name": "devstoreaccount1",
            "account_key": KEY,
            "container": "files",
            "endpoint": "http://127.0.0.1:10000/devstoreaccount1/",
            "prefix": "/tenant-a/",
        })
    }

    fn config_error(config: &Value) -> String {
        match AzureStore::from_config(config) {
            Err(StorageError::InvalidConfig(why)) => why,
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn blob_urls_put_keys_under_the_prefix() {
        let store = AzureStore::from_config(&config()).expect("valid");
        let url = store
            .blob_url(&store.blob_name("acct/f/v1").expect("key"))
            .expect("url");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/files/tenant-a/acct/f/v1"
        );
        assert!(matches!(
            store.blob_name("../x"),
            Err(StorageError::InvalidKey(_))
        ));
    }

    #[test]
    fn the_endpoint_defaults_to_the_account_on_azure() {
        let mut config = config();
        config["endpoint"] = Value::Null;
        let store = AzureStore::from_config(&config).expect("valid");
        assert_eq!(
            store.container_url().expect("url").as_str(),
            "https://devstoreaccount1.blob.core.windows.net/files"
        );
    }

    #[test]
    fn bad_fields_are_named_and_their_values_never_shown() {
        for (field, value) in [
            ("account_name", json!(null)),
            ("account_name", json!("Has Upper")),
            ("account_key", json!(null)),
            ("account_key", json!("not base64 !!")),
            ("account_key", json!(42)),
            ("container", json!("a--b")),
            ("container", json!("x")),
            ("endpoint", json!("ftp://example.com")),
            ("endpoint", json!("https://user:pw@example.com")),
            ("endpoint", json!("https://example.com/?sig=x")),
            ("prefix", json!("a/../b")),
        ] {
            let mut config = config();
            config[field] = value.clone();
            let why = config_error(&config);
            assert!(why.contains(&format!("`{field}`")), "{why}");
            if let Some(text) = value.as_str() {
                assert!(!why.contains(text), "{why} shows the value");
            }
        }
        assert!(config_error(&json!("a string")).contains("JSON object"));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let store = AzureStore::from_config(&config()).expect("valid");
        let shown = format!("{store:?}");
        assert!(!shown.contains(KEY) && !shown.contains("secret-key-bytes"));
    }

    #[test]
    fn content_range_and_expiry_parse() {
        assert_eq!(parse_content_range("bytes 5-9/100"), Some((5, 9, 100)));
        for bad in ["bytes */100", "5-9/100", "bytes 5-9/x", "bytes 5/100"] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
        let now = DateTime::from_timestamp(1_800_000_000, 999_000_000).expect("time");
        assert_eq!(
            expiry(now, Duration::from_millis(1500)).expect("near"),
            DateTime::from_timestamp(1_800_000_002, 0).expect("time")
        );
        assert!(expiry(now, Duration::MAX).is_err());
    }

    #[tokio::test]
    async fn a_download_sas_is_read_only_and_an_upload_sas_needs_the_blob_type() {
        let store = AzureStore::from_config(&config()).expect("valid");
        let get = store
            .presign(
                PresignFor::Download,
                "k",
                Duration::from_secs(60),
                Some("image/png"),
            )
            .await
            .expect("presign");
        assert_eq!(get.method, "GET");
        assert!(get.url.contains("/files/tenant-a/k?") && get.url.contains("sp=r&"));
        assert!(get.url.contains("rsct=image%2Fpng") && !get.url.contains("spr="));
        let put = store
            .presign(PresignFor::Upload, "k", Duration::from_secs(60), None)
            .await
            .expect("presign");
        assert_eq!(put.method, "PUT");
        assert!(put.url.contains("sp=cw&"));
        assert_eq!(
            put.headers,
            [("x-ms-blob-type".to_owned(), "BlockBlob".to_owned())]
        );
    }
}
