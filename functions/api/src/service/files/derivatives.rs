//! Derivatives: the thumbnails (150, 300, 600) and video poster the media runner makes from a
//! file's newest version. The runner uploads them through the worker routes; users read them
//! through `GET /api/v1/files/:id/thumbnails/:size` and `/poster`.
//!
//! Each upload gets a fresh object key (`{account}/{file}/derivatives/v{n}-thumb-150-{id}.jpg`;
//! beside, not under, the version objects `{account}/{file}/v{n}`), so a
//! key names exactly one set of bytes: it doubles as the ETag, and the object it replaces is
//! removed once the row points at the new one.

use http::{HeaderMap, HeaderValue, StatusCode, header};
use uuid::Uuid;

use super::THUMBNAIL_SIZES;
use super::meter::{Cutoff, Meter};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, ResponseBody};
use crate::ports::storage::StorageError;
use crate::service::storages;
use crate::store;
use crate::store::file_processing as fp;

/// Largest derivative the runner may upload (a 600 px PNG is far below this).
pub const MAX_DERIVATIVE_BYTES: u64 = 16 * 1024 * 1024;

/// Which derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivative {
    /// A thumbnail for one of [`THUMBNAIL_SIZES`].
    Thumbnail(&'static str),
    /// The video poster frame.
    Poster,
}

impl Derivative {
    /// The thumbnail of box `size` (`None`: not a size we make).
    pub fn thumbnail(size: &str) -> Option<Self> {
        THUMBNAIL_SIZES
            .iter()
            .find(|s| **s == size)
            .map(|s| Self::Thumbnail(s))
    }

    fn stem(self) -> String {
        match self {
            Self::Thumbnail(size) => format!("thumb-{size}"),
            Self::Poster => "poster".into(),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Thumbnail(_) => "thumbnail",
            Self::Poster => "poster",
        }
    }
}

/// Image types a derivative may have, with the extension its key carries (the key is all that
/// is stored, so the extension is how the type is known when serving).
const TYPES: [(&str, &str); 3] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

fn extension_of(content_type: &str) -> Option<&'static str> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    TYPES
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(essence))
        .map(|(_, e)| *e)
}

fn content_type_of(key: &str) -> &'static str {
    let ext = key.rsplit('.').next().unwrap_or("");
    TYPES
        .iter()
        .find(|(_, e)| *e == ext)
        .map_or("application/octet-stream", |(t, _)| *t)
}

/// Stores a derivative of version `version` of `file` from the request body (service token).
/// 409 when the file has a newer version by now: the runner's work is for a replaced version.
pub async fn put(ctx: &Ctx<'_>, file: Uuid, version: i32, which: Derivative) -> ApiResult<()> {
    let api = ctx.api;
    let content_type = ctx.req.header("content-type").unwrap_or("");
    let ext = extension_of(content_type).ok_or_else(|| {
        ApiError::invalid_field(
            "content-type",
            "must be image/jpeg, image/png or image/webp",
        )
    })?;
    let target = fp::lock_stored_file(api.db(), file)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    if target.version != version {
        return Err(stale(version, target.version));
    }
    let storage = store::storages::get(api.db(), target.account_id, target.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("a file's storage is missing"))?;
    let object = storages::open(api, &storage).await?;
    let key = format!(
        "{}/{file}/derivatives/v{version}-{}-{}.{ext}",
        target.account_id,
        which.stem(),
        api.new_id().simple()
    );
    let meter = Meter::new(MAX_DERIVATIVE_BYTES, None);
    let put = object
        .put(
            &key,
            meter.wrap(ctx.req.take_body_stream()),
            None,
            content_type,
        )
        .await;
    match (put, meter.cutoff()) {
        (Ok(_), None) => {}
        (_, Some(Cutoff::TooLarge | Cutoff::OverQuota)) => {
            return Err(ApiError::new(
                shared::ErrorCode::PayloadTooLarge,
                format!("a derivative must be at most {MAX_DERIVATIVE_BYTES} bytes"),
            ));
        }
        (Err(StorageError::Body(m)), None) => {
            return Err(ApiError::bad_request(format!(
                "the upload was cut short: {m}"
            )));
        }
        (Err(e), None) => return Err(ApiError::unavailable("the storage provider", e.to_string())),
    }

    // The row is written under its lock, re-checking the version: a new version may have
    // landed while the bytes were going out.
    let written = async {
        let tx = api.db().begin().await?;
        let Some(now_target) = fp::lock_stored_file(&*tx, file).await? else {
            let _ = tx.rollback().await;
            return Err(ApiError::not_found("file"));
        };
        if now_target.version != version {
            let _ = tx.rollback().await;
            return Err(stale(version, now_target.version));
        }
        let replaced = match which {
            Derivative::Thumbnail(size) => {
                fp::set_thumbnail(&*tx, file, size, &key, api.now()).await?;
                now_target
                    .thumbnails
                    .get(size)
                    .and_then(|k| k.as_str())
                    .map(str::to_string)
            }
            Derivative::Poster => {
                fp::set_poster(&*tx, file, &key, api.now()).await?;
                now_target.poster_key
            }
        };
        tx.commit().await?;
        Ok(replaced)
    }
    .await;
    let doomed = match written {
        Ok(replaced) => replaced,
        // Nothing points at the new object: it goes, so no bytes are orphaned.
        Err(e) => {
            remove(&*object, &key).await;
            return Err(e);
        }
    };
    if let Some(old) = doomed.filter(|old| *old != key) {
        remove(&*object, &old).await;
    }
    Ok(())
}

async fn remove(object: &dyn crate::ports::storage::ObjectStore, key: &str) {
    if let Err(e) = object.delete(key).await {
        tracing::warn!(key = %key, error = %e, "could not remove a derivative object");
    }
}

fn stale(asked: i32, newest: i32) -> ApiError {
    ApiError::conflict(format!(
        "version {asked} is no longer the file's newest (it is {newest}); its derivatives are not kept"
    ))
}

/// Serves one of the caller's file's derivatives; 404 until the runner made it.
pub async fn serve(ctx: &Ctx<'_>, file: Uuid, which: Derivative) -> ApiResult<Outcome> {
    let api = ctx.api;
    let account = ctx.user()?.account_id;
    let row = store::files::get(api.db(), account, file)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    let key = match which {
        Derivative::Thumbnail(size) => row
            .thumbnails
            .get(size)
            .and_then(|k| k.as_str())
            .map(str::to_string),
        Derivative::Poster => row.poster_key.clone(),
    }
    .ok_or_else(|| ApiError::not_found(which.what()))?;

    // The key is unique to these bytes, so its last segment is a strong validator.
    let etag = format!("\"{}\"", key.rsplit('/').next().unwrap_or(&key));
    let mut headers = HeaderMap::new();
    let mut put = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put(header::ETAG, &etag);
    put(header::CACHE_CONTROL, "private, no-cache");
    put(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    put(header::CONTENT_TYPE, content_type_of(&key));
    if ctx
        .req
        .header("if-none-match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok(Outcome::Stream {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: ResponseBody::Full(bytes::Bytes::new()),
        });
    }
    let storage = store::storages::get(api.db(), account, row.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("a file's storage is missing"))?;
    let got = storages::open(api, &storage)
        .await?
        .get(&key, None)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => ApiError::not_found(which.what()),
            other => ApiError::unavailable("the storage provider", other.to_string()),
        })?;
    put(header::CONTENT_LENGTH, &got.size.to_string());
    Ok(Outcome::Stream {
        status: StatusCode::OK,
        headers,
        body: ResponseBody::Stream(got.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_image_types_are_derivatives_and_keys_tell_their_type() {
        assert_eq!(extension_of("image/jpeg"), Some("jpg"));
        assert_eq!(extension_of("IMAGE/PNG; charset=binary"), Some("png"));
        assert_eq!(extension_of("text/html"), None);
        assert_eq!(extension_of(""), None);
        assert_eq!(content_type_of("a/b/v1/thumb-150-x.jpg"), "image/jpeg");
        assert_eq!(content_type_of("a/b/v1/poster-x.webp"), "image/webp");
        assert_eq!(content_type_of("a/b/v1/odd"), "application/octet-stream");
        assert_eq!(
            Derivative::thumbnail("300"),
            Some(Derivative::Thumbnail("300"))
        );
        assert_eq!(Derivative::thumbnail("301"), None);
    }
}
