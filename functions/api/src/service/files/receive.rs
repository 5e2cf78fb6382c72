//! Receiving a multipart upload: the `file` part streamed to storage (content type sniffed
//! from its first bytes, hashed and counted by the meter), the named text parts read into
//! memory (64 KiB each at most), anything else read and ignored.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use shared::ErrorCode;

use super::meter::{Cutoff, Meter};
use super::{names, sniff};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::storage::{ByteStream, ObjectStore};
use crate::store::storages::StorageRow;

/// Largest text part.
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The file part, once stored.
pub struct Stored {
    /// Sanitized filename.
    pub filename: String,
    /// Sniffed type.
    pub content_type: String,
    /// Bytes stored.
    pub size: u64,
    /// Hex SHA-256.
    pub sha256: String,
}

/// What a multipart body held.
pub struct Received {
    /// The file part, stored under the key given (`None`: the body had none).
    pub stored: Option<Stored>,
    /// The text parts asked for.
    pub fields: HashMap<String, String>,
}

/// Bytes the storage may still take (`None`: no quota); a full storage is refused at once.
pub fn remaining_quota(storage: &StorageRow) -> ApiResult<Option<u64>> {
    match storage.quota_bytes {
        Some(q) => {
            let left = q.saturating_sub(storage.used_bytes).max(0);
            if left == 0 {
                return Err(quota_exceeded());
            }
            Ok(Some(u64::try_from(left).unwrap_or(0)))
        }
        None => Ok(None),
    }
}

/// Reads the request's multipart body, storing its `file` part under `key` in `store`. On
/// error the caller removes `key` (the part may have been stored before a later part failed).
pub async fn receive(
    ctx: &Ctx<'_>,
    store: &dyn ObjectStore,
    key: &str,
    meter: &Meter,
    text_fields: &[&str],
) -> ApiResult<Received> {
    let boundary = ctx
        .req
        .header("content-type")
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            ApiError::bad_request("the body must be multipart/form-data with a boundary")
        })?;
    let mut multipart = multer::Multipart::new(sendable(ctx.req.take_body_stream()), boundary);
    let mut received = Received {
        stored: None,
        fields: HashMap::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") if received.stored.is_none() => {
                let filename = names::sanitize(field.file_name().unwrap_or_default());
                received.stored = Some(store_part(store, key, field, meter, filename).await?);
            }
            Some("file") => return Err(ApiError::bad_request("only one `file` part")),
            Some(name) => {
                let name = name.to_string();
                let text = read_text(field, &name).await?;
                // Parts nobody asked for are read and ignored, as forms do.
                if text_fields.contains(&name.as_str()) {
                    received.fields.insert(name, text);
                }
            }
            None => {}
        }
    }
    Ok(received)
}

/// Streams the file part to storage: the first bytes are held back until the content type is
/// sniffed from them, then everything goes out through the meter.
async fn store_part(
    store: &dyn ObjectStore,
    key: &str,
    mut field: multer::Field<'static>,
    meter: &Meter,
    filename: String,
) -> ApiResult<Stored> {
    let mut head = BytesMut::new();
    let mut ended = false;
    while head.len() < sniff::SNIFF_BYTES {
        match field.chunk().await.map_err(malformed)? {
            Some(chunk) => head.extend_from_slice(&chunk),
            None => {
                ended = true;
                break;
            }
        }
    }
    let content_type = sniff::content_type(&head);
    let head = head.freeze();
    let first = futures_util::stream::once(async move { Ok::<Bytes, multer::Error>(head) });
    let body: ByteStream = if ended {
        meter.wrap(first)
    } else {
        meter.wrap(first.chain(field))
    };
    let put = store.put(key, body, None, &content_type).await;
    match (put, meter.cutoff()) {
        (_, Some(Cutoff::TooLarge)) => Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the file is over the {}-byte upload limit",
                meter.max_bytes()
            ),
        )),
        (_, Some(Cutoff::OverQuota)) => Err(quota_exceeded()),
        (Err(e), None) => Err(match e {
            crate::ports::storage::StorageError::Body(m) => {
                ApiError::bad_request(format!("the upload was cut short: {m}"))
            }
            other => ApiError::unavailable("the storage provider", other.to_string()),
        }),
        (Ok(_), None) => {
            let (size, sha256) = meter.finish();
            Ok(Stored {
                filename,
                content_type,
                size,
                sha256,
            })
        }
    }
}

async fn read_text(mut field: multer::Field<'static>, name: &str) -> ApiResult<String> {
    let mut text = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        text.extend_from_slice(&chunk);
        if text.len() > MAX_FIELD_BYTES {
            return Err(ApiError::invalid_field(
                name,
                format!("must be at most {MAX_FIELD_BYTES} bytes"),
            ));
        }
    }
    let text =
        String::from_utf8(text).map_err(|_| ApiError::invalid_field(name, "must be UTF-8 text"))?;
    // Postgres stores no U+0000 in text or jsonb (ApiRequest::refuse_nul_text does the same
    // for paths, queries and JSON bodies).
    if text.contains('\0') {
        return Err(ApiError::invalid_field(
            name,
            "must not contain a NUL character (U+0000)",
        ));
    }
    Ok(text)
}

fn malformed(e: multer::Error) -> ApiError {
    ApiError::bad_request(format!("malformed multipart body: {e}"))
}

/// 422 `quota_exceeded`: the storage cannot take the bytes.
pub fn quota_exceeded() -> ApiError {
    ApiError::new(
        ErrorCode::QuotaExceeded,
        "the upload would pass the storage's quota; nothing was stored",
    )
}

/// multer wants a `Send` stream. Natively ours is; on wasm32 nothing is (and there is one
/// thread), so it is wrapped in `SendWrapper`, which checks that claim at run time.
#[cfg(not(target_arch = "wasm32"))]
fn sendable(stream: ByteStream) -> ByteStream {
    stream
}

#[cfg(target_arch = "wasm32")]
fn sendable(stream: ByteStream) -> send_wrapper::SendWrapper<ByteStream> {
    send_wrapper::SendWrapper::new(stream)
}
