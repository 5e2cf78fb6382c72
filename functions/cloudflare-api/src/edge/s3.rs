//! The Workers' `s3` provider: any S3-compatible server over `worker::Fetch`, with requests
//! signed by [`crate::s3_requests`]. The same configuration, keys, error mapping and part
//! cutting as the native `s3` provider (`powernode_api::ports::storage::s3`).
//!
//! A put of up to one part is a single `PutObject`; a longer body goes up as a multipart upload
//! of the same parts as natively, one part in memory at a time, aborted on any failure so
//! nothing is left under the key (S3 shows a multipart object only once completed).

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use powernode_api::maybe_async_trait;
use powernode_api::ports::Clock as _;
use powernode_api::ports::storage::s3::{
    MAX_PARTS, Parts, S3Config, classify, content_range, object_key,
};
use powernode_api::ports::storage::{
    ByteRange, ByteStream, GetObject, ListedObject, ObjectInfo, ObjectPage, ObjectStore,
    PresignFor, Presigned, StorageError,
};
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit, Response};

use super::platform::JsClock;
use crate::s3_requests::{
    S3Requests, Signed, complete_body, is_error_body, list_page, xml_element,
};

/// One bucket (or a prefix of it) reached over fetch.
pub struct S3FetchStore {
    requests: S3Requests,
}

impl S3FetchStore {
    /// The store for `config`. Makes no call.
    pub fn new(config: S3Config) -> Result<Self, StorageError> {
        Ok(Self {
            requests: S3Requests::new(config)?,
        })
    }

    fn key(&self, key: &str) -> Result<String, StorageError> {
        object_key(&self.requests.config().prefix, key)
    }

    async fn put_multipart(
        &self,
        key: &str,
        content_type: &str,
        first: Bytes,
        parts: &mut Parts,
    ) -> Result<u64, StorageError> {
        let op = "CreateMultipartUpload";
        let request = self
            .requests
            .create_multipart_upload(key, content_type, now())?;
        let mut response = send(op, &request, None).await?;
        let answer = ok_text(op, &mut response).await?;
        let upload_id = xml_element(&answer, "UploadId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| StorageError::Unavailable(format!("{op}: no upload id")))?;
        let mut guard = AbortOnDrop {
            requests: &self.requests,
            key,
            upload_id: Some(upload_id.clone()),
        };
        match self.upload_parts(key, &upload_id, first, parts).await {
            Ok(()) => {
                guard.upload_id = None;
                Ok(parts.read())
            }
            Err(e) => {
                if let Some(id) = guard.upload_id.take() {
                    abort(&self.requests, key, &id).await;
                }
                Err(e)
            }
        }
    }

    /// Uploads `first` and the remaining parts, then completes the upload.
    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        first: Bytes,
        parts: &mut Parts,
    ) -> Result<(), StorageError> {
        let mut etags = Vec::new();
        let mut part = first;
        loop {
            let number = etags.len() as u64 + 1;
            if number > MAX_PARTS {
                return Err(Parts::too_many_parts());
            }
            // Part numbers are 1..=10,000: the cast is exact.
            let request = self
                .requests
                .upload_part(key, upload_id, number as u16, now())?;
            let response = send("UploadPart", &request, Some(&part)).await?;
            let response = ok("UploadPart", response).await?;
            let etag = header(&response, "etag")
                .ok_or_else(|| StorageError::Unavailable("UploadPart: no ETag".into()))?;
            etags.push(etag);
            if parts.ended() {
                break;
            }
            part = parts.next().await?;
            // A body that ended on a part boundary leaves an empty last part: not sent.
            if part.is_empty() && parts.ended() {
                break;
            }
        }
        let op = "CompleteMultipartUpload";
        let request = self
            .requests
            .complete_multipart_upload(key, upload_id, now())?;
        let body = Bytes::from(complete_body(&etags));
        let mut response = send(op, &request, Some(&body)).await?;
        let answer = ok_text(op, &mut response).await?;
        // S3 may answer 200 and still fail the completion, in the body.
        if is_error_body(&answer) {
            return Err(classify(op, 500, xml_element(&answer, "Code").as_deref()));
        }
        Ok(())
    }
}

/// The Worker's clock in unix seconds (`Date.now()`, as every edge port reads it).
fn now() -> i64 {
    JsClock.now().timestamp()
}

/// Sends `request` with its signed headers and `body`. Failing to reach the server is
/// `Unavailable`; the error names the operation, never the URL (its query holds a signature).
async fn send(op: &str, request: &Signed, body: Option<&Bytes>) -> Result<Response, StorageError> {
    send_with(op, request, body, None).await
}

async fn send_with(
    op: &str,
    request: &Signed,
    body: Option<&Bytes>,
    range: Option<&str>,
) -> Result<Response, StorageError> {
    let failed = |_| StorageError::Unavailable(format!("{op}: the request could not be made"));
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(failed)?;
    }
    if let Some(range) = range {
        headers.set("range", range).map_err(failed)?;
    }
    let method = match request.method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "PUT" => Method::Put,
        "POST" => Method::Post,
        _ => Method::Delete,
    };
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        // A byte array: fetch sends its exact Content-Length, as S3 wants for a part.
        let array = js_sys::Uint8Array::from(body.as_ref());
        init.with_body(Some(JsValue::from(array)));
    }
    let request = Request::new_with_init(&request.url, &init).map_err(failed)?;
    Fetch::Request(request)
        .send()
        .await
        .map_err(|_| StorageError::Unavailable(format!("{op}: could not reach the endpoint")))
}

/// The response when it is a success; otherwise its S3 error mapped as natively.
async fn ok(op: &str, mut response: Response) -> Result<Response, StorageError> {
    let status = response.status_code();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    // An error answer is a small XML document (none for HEAD): only its code is kept.
    let code = response
        .text()
        .await
        .ok()
        .and_then(|body| xml_element(&body, "Code"));
    Err(classify(op, status, code.as_deref()))
}

/// A successful response's body as text.
async fn ok_text(op: &str, response: &mut Response) -> Result<String, StorageError> {
    let status = response.status_code();
    let text = response
        .text()
        .await
        .map_err(|_| StorageError::Unavailable(format!("{op}: the answer could not be read")))?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(classify(op, status, xml_element(&text, "Code").as_deref()))
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

fn length(op: &str, response: &Response) -> Result<u64, StorageError> {
    header(response, "content-length")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| StorageError::Unavailable(format!("{op}: no Content-Length")))
}

/// Aborts an upload; a failure only leaves parts for the bucket's lifecycle rule, so it is
/// logged, not returned (the upload's own error is the one that matters).
async fn abort(requests: &S3Requests, key: &str, upload_id: &str) {
    let op = "AbortMultipartUpload";
    let outcome = match requests.abort_multipart_upload(key, upload_id, now()) {
        Ok(request) => match send(op, &request, None).await {
            Ok(response) => ok(op, response).await.map(drop),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) | Err(StorageError::NotFound) => {}
        Err(e) => worker::console_warn!("could not abort a multipart upload of {key}: {e}"),
    }
}

/// Aborts the upload if the put's future is dropped halfway (the client went away): the
/// abort is spawned on the isolate's executor, best effort, since the request may end first;
/// the bucket's lifecycle rule for incomplete uploads is then the only cleanup, as natively
/// when the runtime is gone.
struct AbortOnDrop<'a> {
    requests: &'a S3Requests,
    key: &'a str,
    /// `None` once completed or aborted.
    upload_id: Option<String>,
}

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        // Signed now: the spawned task owns everything it needs.
        let Ok(request) = self
            .requests
            .abort_multipart_upload(self.key, &upload_id, now())
        else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(response) = send("AbortMultipartUpload", &request, None).await {
                let _ = ok("AbortMultipartUpload", response).await;
            }
        });
    }
}

/// The response body as the port's stream, chunk by chunk as it arrives.
fn body_stream(op: &'static str, mut response: Response) -> ByteStream {
    match response.stream() {
        Ok(stream) => Box::pin(stream.map(move |chunk| {
            chunk
                .map(Bytes::from)
                .map_err(|_| StorageError::Unavailable(format!("{op}: the body failed")))
        })),
        // fetch may hand over no body at all for an empty one (an empty object).
        Err(_) => Box::pin(futures_util::stream::empty()),
    }
}

maybe_async_trait! {
impl ObjectStore for S3FetchStore {
    async fn put(
        &self,
        key: &str,
        body: ByteStream,
        size: Option<u64>,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let key = self.key(key)?;
        let mut parts = Parts::new(body, size)?;
        let first = parts.next().await?;
        if parts.ended() {
            let written = first.len() as u64;
            let request = self.requests.put_object(&key, content_type, now())?;
            let response = send("PutObject", &request, Some(&first)).await?;
            ok("PutObject", response).await?;
            return Ok(written);
        }
        self.put_multipart(&key, content_type, first, &mut parts).await
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        let op = "GetObject";
        let key = self.key(key)?;
        let range_header = match range {
            Some(r) if r.end < r.start => return Err(StorageError::RangeNotSatisfiable),
            Some(r) => Some(format!("bytes={}-{}", r.start, r.end)),
            None => None,
        };
        let request = self.requests.get_object(&key, now())?;
        let response = send_with(op, &request, None, range_header.as_deref()).await?;
        let response = ok(op, response).await?;
        let (size, range) = match range {
            None => (length(op, &response)?, None),
            // The clamped range the server sends, and the whole object's size. A server that
            // ignored the Range header would send other bytes than asked: refuse them.
            Some(_) => {
                let (range, size) = header(&response, "content-range")
                    .as_deref()
                    .and_then(content_range)
                    .ok_or_else(|| {
                        StorageError::Unavailable(format!("{op}: the server ignored the range"))
                    })?;
                (size, Some(range))
            }
        };
        Ok(GetObject { size, range, body: body_stream(op, response) })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        let op = "HeadObject";
        let key = self.key(key)?;
        let request = self.requests.head_object(&key, now())?;
        match ok(op, send(op, &request, None).await?).await {
            Ok(response) => Ok(Some(ObjectInfo { size: length(op, &response)? })),
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list(&self, prefix: &str, after: Option<String>) -> Result<ObjectPage, StorageError> {
        let op = "ListObjectsV2";
        let store_prefix = &self.requests.config().prefix;
        let request =
            self.requests
                .list_objects(&format!("{store_prefix}{prefix}"), after.as_deref(), now())?;
        let mut response = send(op, &request, None).await?;
        let xml = ok_text(op, &mut response).await?;
        let (listed, next) = list_page(&xml);
        let objects = listed
            .into_iter()
            .filter_map(|(key, size, modified)| {
                // Keys are the store's own: its prefix comes off.
                Some(ListedObject {
                    key: key.strip_prefix(store_prefix.as_str())?.to_string(),
                    size,
                    last_modified: DateTime::parse_from_rfc3339(&modified)
                        .ok()?
                        .with_timezone(&Utc),
                })
            })
            .collect();
        Ok(ObjectPage { objects, next })
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let op = "DeleteObject";
        let key = self.key(key)?;
        let request = self.requests.delete_object(&key, now())?;
        match ok(op, send(op, &request, None).await?).await {
            // S3 answers 204 for an absent key; some compatible servers say 404.
            Ok(_) | Err(StorageError::NotFound) => Ok(()),
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
        let key = self.key(key)?;
        // One clock reading for the signature and for `expires_at`, so they agree.
        let now = JsClock.now();
        let upload = purpose == PresignFor::Upload;
        let signed = self
            .requests
            .presign(upload, &key, content_type, expires_in, now.timestamp())?;
        let expires_at = chrono::Duration::from_std(expires_in)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Ok(Presigned {
            url: signed.url,
            method: signed.method,
            headers: signed.headers,
            expires_at,
        })
    }
}
}
