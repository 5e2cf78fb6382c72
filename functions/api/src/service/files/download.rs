//! Bytes out: a file's newest (or a given) version, streamed from its storage, with `ETag`,
//! `If-None-Match` (304) and a single `Range` (206).

use http::{HeaderMap, HeaderValue, StatusCode, header};
use shared::ErrorCode;
use uuid::Uuid;

use super::names;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, ResponseBody};
use crate::ports::storage::{ByteRange, StorageError};
use crate::service::storages;
use crate::store;
use crate::store::files::FileRow;

/// A `Range` header as asked, before the file's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    /// `bytes=a-b` or `bytes=a-` (`end` is `None`).
    From {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: Option<u64>,
    },
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

/// Reads one byte range; anything else (several ranges, other units, bad syntax) is `None`,
/// and the whole file is sent, as RFC 9110 allows.
pub fn parse_range(value: &str) -> Option<RangeAsk> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        return b.parse().ok().filter(|n| *n > 0).map(RangeAsk::Suffix);
    }
    let start = a.parse().ok()?;
    let end = if b.is_empty() {
        None
    } else {
        Some(b.parse().ok().filter(|e| *e >= start)?)
    };
    Some(RangeAsk::From { start, end })
}

/// A range that starts past the end of the file (416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The range against a file of `size` bytes.
pub fn resolve(ask: RangeAsk, size: u64) -> Result<ByteRange, Unsatisfiable> {
    match ask {
        RangeAsk::From { start, end } if start < size => Ok(ByteRange {
            start,
            end: end.unwrap_or(u64::MAX).min(size - 1),
        }),
        RangeAsk::Suffix(n) if size > 0 => Ok(ByteRange {
            start: size.saturating_sub(n),
            end: size - 1,
        }),
        _ => Err(Unsatisfiable),
    }
}

/// Streams version `version` (the newest when `None`) of the caller's file.
pub async fn download(ctx: &Ctx<'_>, id: Uuid, version: Option<i32>) -> ApiResult<Outcome> {
    let account = ctx.user()?.account_id;
    let file = store::files::get(ctx.api.db(), account, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    serve(ctx, &file, version).await
}

/// Streams version `version` (the newest when `None`) of `file`, which the caller was allowed
/// to see (a user of its account, a valid signed URL, a share link).
pub async fn serve(ctx: &Ctx<'_>, file: &FileRow, version: Option<i32>) -> ApiResult<Outcome> {
    let api = ctx.api;
    let account = file.account_id;
    let id = file.id;
    let version = version.unwrap_or(file.version);
    let object = store::files::version(api.db(), id, version)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?;
    let size = u64::try_from(object.file_size).unwrap_or(0);
    let etag = format!("\"{}\"", object.checksum_sha256);

    let mut headers = HeaderMap::new();
    let mut put = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put(header::ETAG, &etag);
    put(header::ACCEPT_RANGES, "bytes");
    put(header::CACHE_CONTROL, "private, no-cache");
    // The bytes are the user's: never let a browser guess them into something executable.
    put(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    put(
        header::CONTENT_DISPOSITION,
        &names::content_disposition(&file.filename),
    );
    let not_modified = ctx
        .req
        .header("if-none-match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if not_modified {
        return Ok(Outcome::Stream {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: ResponseBody::Full(bytes::Bytes::new()),
        });
    }
    let range = match ctx.req.header("range").and_then(parse_range) {
        Some(ask) => Some(resolve(ask, size).map_err(|Unsatisfiable| {
            ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("the range starts past the end of the {size}-byte file"),
            )
        })?),
        None => None,
    };

    let storage = store::storages::get(api.db(), account, file.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("a file's storage is missing"))?;
    let store = storages::open(api, &storage).await?;
    let got = store
        .get(&object.object_key, range)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => {
                ApiError::unavailable("the file's bytes", "the object is missing from storage")
            }
            StorageError::RangeNotSatisfiable => ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                "the range starts past the end of the file",
            ),
            other => ApiError::unavailable("the storage provider", other.to_string()),
        })?;
    put(header::CONTENT_TYPE, &object.content_type);
    let status = match got.range {
        Some(r) => {
            put(
                header::CONTENT_RANGE,
                &format!("bytes {}-{}/{}", r.start, r.end, got.size),
            );
            put(header::CONTENT_LENGTH, &r.len().to_string());
            StatusCode::PARTIAL_CONTENT
        }
        None => {
            put(header::CONTENT_LENGTH, &got.size.to_string());
            StatusCode::OK
        }
    };
    Ok(Outcome::Stream {
        status,
        headers,
        body: ResponseBody::Stream(got.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_resolve_like_http() {
        let r = |v: &str, size: u64| parse_range(v).map(|a| resolve(a, size));
        assert_eq!(
            r("bytes=0-9", 100),
            Some(Ok(ByteRange { start: 0, end: 9 }))
        );
        assert_eq!(
            r("bytes=90-", 100),
            Some(Ok(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            r("bytes=90-500", 100),
            Some(Ok(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            r("bytes=-10", 100),
            Some(Ok(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            r("bytes=-500", 100),
            Some(Ok(ByteRange { start: 0, end: 99 }))
        );
        assert_eq!(r("bytes=100-", 100), Some(Err(Unsatisfiable)));
        assert_eq!(r("bytes=5-1", 100), None, "an inverted range is ignored");
        assert_eq!(
            r("bytes=0-1,5-6", 100),
            None,
            "several ranges: the whole file"
        );
        assert_eq!(r("items=0-1", 100), None);
        assert_eq!(r("bytes=x-1", 100), None);
        assert_eq!(r("bytes=-0", 100), None);
    }
}
