//! Direct-to-storage uploads: the bytes go straight to the storage provider, not through the
//! API.
//!
//! 1. `POST /api/v1/files/uploads` checks the announced size against the upload limit and the
//!    quota, writes an invisible file row (`awaiting_upload`) and hands out an upload URL: the
//!    provider's presigned `PUT`, or, for providers without one (the local disk, R2 through its
//!    binding), this API's own signed `PUT /api/v1/files/uploads/:id/content`.
//! 2. The client `PUT`s the bytes there.
//! 3. `POST /api/v1/files/uploads/:id/complete` reads the object back, hashing and sniffing it
//!    and checking its size against the announcement, then does what a multipart upload does:
//!    the quota charge, version 1 and the processing jobs, in one transaction.
//!
//! An upload never completed leaves a row no read shows; the object (if any) goes with it when
//! `complete` refuses it.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::StreamExt as _;
use sha2::{Digest, Sha256};
use shared::ErrorCode;
use shared::api::files::{CreateUploadRequest, DirectUpload, File};
use uuid::Uuid;

use super::meter::{Cutoff, Meter};
use super::receive::{quota_exceeded, remaining_quota};
use super::signed::{self, Purpose};
use super::upload::{Details, default_storage, queue_processing};
use super::{names, sniff, view};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::storage::{ObjectStore, PresignFor, StorageError};
use crate::queue;
use crate::service::storages;
use crate::service::validate::Checks;
use crate::store;
use crate::store::direct_uploads::{self as uploads, Awaiting, NewAwaiting, Verified};

/// How long an upload URL works.
pub const UPLOAD_URL_LIFETIME: Duration = Duration::from_secs(3600);

/// Where a direct upload's bytes go (the orphan sweep's SQL knows it too).
pub(crate) fn object_key(account: Uuid, file: Uuid) -> String {
    format!("{account}/{file}/v1")
}

/// Starts a direct upload.
pub async fn create(ctx: &Ctx<'_>, req: CreateUploadRequest) -> ApiResult<DirectUpload> {
    let user = ctx.user()?;
    let api = ctx.api;
    let mut checks = Checks::new();
    let filename = match req.filename.as_deref().map(str::trim) {
        None | Some("") => {
            checks.fail("filename", "is required");
            String::new()
        }
        Some(name) => names::sanitize(name),
    };
    let content_type = req.content_type.as_deref().map(str::trim).unwrap_or("");
    let content_type_ok = !content_type.is_empty()
        && content_type.len() <= 255
        && content_type.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !content_type_ok {
        checks.fail("content_type", "must be a media type like image/jpeg");
    }
    let size = req.file_size.unwrap_or(-1);
    if size < 0 {
        checks.fail("file_size", "must be the exact size in bytes (0 or more)");
    }
    let details = Details::check(
        &mut checks,
        req.category.as_deref(),
        req.visibility.as_deref(),
        req.tags.as_deref().unwrap_or_default(),
        req.metadata,
    );
    checks.finish()?;
    let size_u = u64::try_from(size).unwrap_or(0);
    let max = api.config().max_upload_bytes;
    if size_u > max {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the file is over the {max}-byte upload limit"),
        ));
    }
    let storage = default_storage(ctx).await?;
    if remaining_quota(&storage)?.is_some_and(|left| size_u > left) {
        return Err(quota_exceeded());
    }

    let file_id = api.new_id();
    let key = object_key(user.account_id, file_id);
    let store = storages::open(api, &storage).await?;
    // Signed before the row is written: a provider that cannot sign leaves nothing behind.
    let (upload_url, method, headers, expires_at) = match store
        .presign(
            PresignFor::Upload,
            &key,
            UPLOAD_URL_LIFETIME,
            Some(content_type),
        )
        .await
    {
        Ok(p) => (p.url, p.method.to_string(), p.headers, p.expires_at),
        Err(StorageError::Unsupported(_)) => {
            let expires_at =
                api.now() + chrono::Duration::from_std(UPLOAD_URL_LIFETIME).unwrap_or_default();
            let expires = expires_at.timestamp();
            let signature = signed::sign(
                &api.config().jwt_secret,
                Purpose::Upload,
                file_id,
                1,
                expires,
            );
            let url = format!(
                "/api/v1/files/uploads/{file_id}/content?expires={expires}&signature={signature}"
            );
            (url, "PUT".to_string(), Vec::new(), expires_at)
        }
        Err(e) => return Err(ApiError::unavailable("the storage provider", e.to_string())),
    };

    let now = api.now();
    let tx = api.db().begin().await?;
    uploads::insert(
        &*tx,
        &NewAwaiting {
            id: file_id,
            account_id: user.account_id,
            storage_id: storage.id,
            created_by: user.id,
            filename: &filename,
            content_type,
            file_size: size,
            category: details.category.as_deref().unwrap_or(""),
            visibility: &details.visibility,
            metadata: details.metadata,
        },
        now,
    )
    .await?;
    store::files::add_tags(
        &*tx,
        user.account_id,
        file_id,
        &details.tags,
        || api.new_id(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(DirectUpload {
        file_id,
        upload_url,
        upload_method: method,
        upload_headers: headers.into_iter().collect::<BTreeMap<_, _>>(),
        expires_at,
    })
}

/// Receives the bytes at this API's own upload URL (`PUT`, the signature is the authority):
/// at most the announced size, within the storage's quota.
pub async fn receive(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<serde_json::Value> {
    let api = ctx.api;
    let forbidden = || {
        ApiError::new(
            ErrorCode::Forbidden,
            "the upload link is invalid or has expired",
        )
    };
    let expires: i64 = ctx
        .req
        .query_param("expires")
        .and_then(|v| v.parse().ok())
        .ok_or_else(forbidden)?;
    let signature = ctx.req.query_param("signature").ok_or_else(forbidden)?;
    if !signed::verify(
        &api.config().jwt_secret,
        Purpose::Upload,
        id,
        1,
        expires,
        &signature,
    ) || expires < api.now().timestamp()
    {
        return Err(forbidden());
    }
    let upload = uploads::get(api.db(), id, None)
        .await?
        .ok_or_else(|| ApiError::conflict("this upload is already complete or was abandoned"))?;
    let storage = store::storages::get(api.db(), upload.account_id, upload.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("an upload's storage is missing"))?;
    let announced = u64::try_from(upload.file_size).unwrap_or(0);
    let meter = Meter::new(announced, remaining_quota(&storage)?);
    let key = object_key(upload.account_id, upload.id);
    let store = storages::open(api, &storage).await?;
    let put = store
        .put(
            &key,
            meter.wrap(ctx.req.take_body_stream()),
            Some(announced),
            &upload.content_type,
        )
        .await;
    let outcome = match (put, meter.cutoff()) {
        (Ok(_), None) => {
            let (size, _) = meter.finish();
            if size == announced {
                Ok(serde_json::json!({ "file_id": id, "received_bytes": size }))
            } else {
                Err(size_mismatch(size, announced))
            }
        }
        (_, Some(Cutoff::TooLarge)) => Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is longer than the {announced} bytes announced"),
        )),
        (_, Some(Cutoff::OverQuota)) => Err(quota_exceeded()),
        (Err(StorageError::Body(m)), None) => Err(ApiError::bad_request(format!(
            "the upload was cut short: {m}"
        ))),
        (Err(e), None) => Err(ApiError::unavailable("the storage provider", e.to_string())),
    };
    if outcome.is_err() {
        discard(&*store, &key).await;
    }
    outcome
}

fn size_mismatch(got: u64, announced: u64) -> ApiError {
    ApiError::invalid_field(
        "file_size",
        format!("{got} bytes were uploaded, not the {announced} announced"),
    )
}

async fn discard(store: &dyn ObjectStore, key: &str) {
    if let Err(e) = store.delete(key).await {
        tracing::warn!(key = %key, error = %e, "could not remove a refused upload's object");
    }
}

/// Verifies the uploaded object and makes it the caller's file.
pub async fn complete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<File> {
    let user = ctx.user()?;
    let api = ctx.api;
    let Some(upload) = uploads::get(api.db(), id, Some(user.account_id)).await? else {
        return Err(
            if store::files::get(api.db(), user.account_id, id)
                .await?
                .is_some()
            {
                ApiError::conflict("this upload is already complete")
            } else {
                ApiError::not_found("upload")
            },
        );
    };
    let storage = store::storages::get(api.db(), upload.account_id, upload.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("an upload's storage is missing"))?;
    let store = storages::open(api, &storage).await?;
    let key = object_key(upload.account_id, upload.id);
    let verified = match read_back(&*store, &key, &upload).await {
        Ok(v) => v,
        Err(Refusal::Missing) => {
            return Err(ApiError::conflict(
                "nothing has been uploaded yet: PUT the bytes to the upload URL first",
            ));
        }
        Err(Refusal::Wrong(e)) => {
            // The object is not what was announced: it goes, and the upload URL may be
            // used again while it lasts.
            discard(&*store, &key).await;
            return Err(e);
        }
    };
    let category = sniff::category(&verified.content_type);
    let size = i64::try_from(verified.size).unwrap_or(i64::MAX);
    let now = api.now();
    let tx = api.db().begin().await?;
    if !store::files::add_used(&*tx, storage.id, size).await? {
        let _ = tx.rollback().await;
        // Over quota: nothing of this upload may stay, neither the bytes nor the row.
        discard(&*store, &key).await;
        uploads::delete(api.db(), id).await?;
        return Err(quota_exceeded());
    }
    let stored = uploads::mark_stored(
        &*tx,
        &upload,
        &Verified {
            object_key: &key,
            size,
            sha256: &verified.sha256,
            content_type: &verified.content_type,
            category,
        },
        now,
    )
    .await?;
    if !stored {
        let _ = tx.rollback().await;
        return Err(ApiError::conflict("this upload is already complete"));
    }
    let announced =
        queue_processing(api, &*tx, upload.account_id, id, 1, &verified.content_type).await?;
    let row = store::files::get(&*tx, upload.account_id, id)
        .await?
        .ok_or_else(|| ApiError::internal("the completed file vanished"))?;
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    Ok(view(&row))
}

/// What reading the object back found.
struct ReadBack {
    size: u64,
    sha256: String,
    content_type: String,
}

enum Refusal {
    /// No object under the key.
    Missing,
    /// An object that is not what was announced, or could not be read.
    Wrong(ApiError),
}

/// Streams the object once: its size, SHA-256 and the type sniffed from its first bytes.
async fn read_back(
    store: &dyn ObjectStore,
    key: &str,
    upload: &Awaiting,
) -> Result<ReadBack, Refusal> {
    let announced = u64::try_from(upload.file_size).unwrap_or(0);
    let unavailable = |e: StorageError| {
        Refusal::Wrong(ApiError::unavailable("the storage provider", e.to_string()))
    };
    let mut object = match store.get(key, None).await {
        Ok(o) => o,
        Err(StorageError::NotFound) => return Err(Refusal::Missing),
        Err(e) => return Err(unavailable(e)),
    };
    if object.size != announced {
        return Err(Refusal::Wrong(size_mismatch(object.size, announced)));
    }
    let mut hasher = Sha256::new();
    let mut head = BytesMut::new();
    let mut size = 0u64;
    while let Some(chunk) = object.body.next().await {
        let chunk = chunk.map_err(unavailable)?;
        size += chunk.len() as u64;
        if size > announced {
            return Err(Refusal::Wrong(size_mismatch(size, announced)));
        }
        if head.len() < sniff::SNIFF_BYTES {
            let take = chunk.len().min(sniff::SNIFF_BYTES - head.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
    }
    if size != announced {
        return Err(Refusal::Wrong(size_mismatch(size, announced)));
    }
    Ok(ReadBack {
        size,
        sha256: hex::encode(hasher.finalize()),
        content_type: sniff::content_type(&head),
    })
}
