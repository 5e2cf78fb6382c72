//! A file's versions: upload a new one (streamed like an upload, into the file's storage),
//! list them, and restore an old one (its bytes copied into a new newest version). Versions
//! are numbered under the file's row lock, so concurrent uploads get distinct numbers.

use shared::api::files::FileVersion;
use uuid::Uuid;

use super::meter::Meter;
use super::receive::{self, Stored};
use super::upload::queue_processing;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::storage::ObjectStore;
use crate::queue;
use crate::service::storages;
use crate::store::{self, files::NewVersion, storages::StorageRow};

/// Longest change description.
const MAX_DESCRIPTION: usize = 1000;

async fn file_storage(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<StorageRow> {
    let account = ctx.user()?.account_id;
    let db = ctx.api.db();
    let file = store::files::get(db, account, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    store::storages::get(db, account, file.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("a file's storage is missing"))
}

/// Uploads a new version (multipart `file`, optional `change_description`).
pub async fn create(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<FileVersion> {
    let user = ctx.user()?;
    let api = ctx.api;
    let storage = file_storage(ctx, id).await?;
    let remaining = receive::remaining_quota(&storage)?;
    let store = storages::open(api, &storage).await?;
    let key = format!("{}/{}/{}", user.account_id, id, api.new_id());
    let meter = Meter::new(api.config().max_upload_bytes, remaining);
    let outcome = async {
        let mut received =
            receive::receive(ctx, &*store, &key, &meter, &["change_description"]).await?;
        let stored = received
            .stored
            .ok_or_else(|| ApiError::invalid_field("file", "a `file` part is required"))?;
        let description = received
            .fields
            .remove("change_description")
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        if description
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        {
            return Err(ApiError::invalid_field(
                "change_description",
                format!("must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        commit(ctx, &storage, id, &key, &stored, description.as_deref()).await
    }
    .await;
    if outcome.is_err() {
        remove(&*store, &key).await;
    }
    outcome
}

/// Copies version `n`'s bytes into a new newest version.
pub async fn restore(ctx: &Ctx<'_>, id: Uuid, n: i32) -> ApiResult<FileVersion> {
    let user = ctx.user()?;
    let api = ctx.api;
    let storage = file_storage(ctx, id).await?;
    let old = store::files::version(api.db(), id, n)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?;
    let remaining = receive::remaining_quota(&storage)?;
    if remaining.is_some_and(|left| left < u64::try_from(old.file_size).unwrap_or(u64::MAX)) {
        return Err(receive::quota_exceeded());
    }
    let store = storages::open(api, &storage).await?;
    let key = format!("{}/{}/{}", user.account_id, id, api.new_id());
    let outcome = async {
        let source = store
            .get(&old.object_key, None)
            .await
            .map_err(|e| ApiError::unavailable("the storage provider", e.to_string()))?;
        let size = u64::try_from(old.file_size).ok();
        store
            .put(&key, source.body, size, &old.content_type)
            .await
            .map_err(|e| ApiError::unavailable("the storage provider", e.to_string()))?;
        let stored = Stored {
            filename: String::new(),
            content_type: old.content_type.clone(),
            size: size.unwrap_or(0),
            sha256: old.checksum_sha256.clone(),
        };
        let description = format!("restored from version {n}");
        commit(ctx, &storage, id, &key, &stored, Some(&description)).await
    }
    .await;
    if outcome.is_err() {
        remove(&*store, &key).await;
    }
    outcome
}

/// The file's versions, newest first.
pub async fn list(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Vec<FileVersion>> {
    let account = ctx.user()?.account_id;
    let db = ctx.api.db();
    store::files::get(db, account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    store::files::versions(db, id)
        .await?
        .iter()
        .map(|r| {
            Ok(FileVersion {
                version: i32::try_from(r.get::<i64>("version")?).unwrap_or(i32::MAX),
                file_size: r.get("file_size")?,
                checksum_sha256: r.get("checksum_sha256")?,
                change_description: r.get("change_description")?,
                created_by: r.get("created_by")?,
                created_at: r.get("created_at")?,
            })
        })
        .collect::<Result<_, crate::db::DbError>>()
        .map_err(Into::into)
}

/// Numbers and records the stored version, charges the storage, queues its processing.
async fn commit(
    ctx: &Ctx<'_>,
    storage: &StorageRow,
    id: Uuid,
    key: &str,
    stored: &Stored,
    description: Option<&str>,
) -> ApiResult<FileVersion> {
    let user = ctx.user()?;
    let api = ctx.api;
    let size = i64::try_from(stored.size).unwrap_or(i64::MAX);
    let now = api.now();
    let tx = api.db().begin().await?;
    let Some(current) = store::files::lock_version(&*tx, user.account_id, id).await? else {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("file"));
    };
    if !store::files::add_used(&*tx, storage.id, size).await? {
        let _ = tx.rollback().await;
        return Err(receive::quota_exceeded());
    }
    // The new version's derivatives are made afresh; the old ones' objects go after commit.
    let stale_derivatives: Vec<String> =
        match store::file_processing::lock_stored_file(&*tx, id).await? {
            Some(t) => t
                .thumbnails
                .as_object()
                .into_iter()
                .flat_map(|m| m.values().filter_map(|k| k.as_str().map(str::to_string)))
                .chain(t.poster_key)
                .collect(),
            None => Vec::new(),
        };
    let version = current + 1;
    store::files::add_version(
        &*tx,
        &NewVersion {
            file_id: id,
            account_id: user.account_id,
            version,
            object_key: key,
            file_size: size,
            checksum_sha256: &stored.sha256,
            content_type: &stored.content_type,
            change_description: description,
            created_by: user.id,
        },
        now,
    )
    .await?;
    let announced = queue_processing(
        api,
        &*tx,
        user.account_id,
        id,
        version,
        &stored.content_type,
    )
    .await?;
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    if !stale_derivatives.is_empty() {
        let object_store = storages::open(api, storage).await?;
        for key in &stale_derivatives {
            remove(&*object_store, key).await;
        }
    }
    Ok(FileVersion {
        version,
        file_size: size,
        checksum_sha256: stored.sha256.clone(),
        change_description: description.map(str::to_string),
        created_by: Some(user.id),
        created_at: now,
    })
}

async fn remove(store: &dyn ObjectStore, key: &str) {
    if let Err(e) = store.delete(key).await {
        tracing::warn!(key = %key, error = %e, "could not remove an object no version needs");
    }
}
