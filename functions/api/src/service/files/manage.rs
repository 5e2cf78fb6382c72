//! Editing a file's record: rename, recategorize, change visibility, merge metadata; soft
//! delete, restore and permanent delete; queue processing again; its processing jobs.

use serde_json::Value;
use shared::api::files::{File, ProcessingJob, UpdateFileRequest};
use uuid::Uuid;

use super::{names, upload, view};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::storage::ObjectStore;
use crate::queue;
use crate::service::storages;
use crate::service::validate::Checks;
use crate::store::{self, files::FileRow};

async fn load(ctx: &Ctx<'_>, c: &dyn crate::ports::Conn, id: Uuid) -> ApiResult<FileRow> {
    let account = ctx.user()?.account_id;
    store::files::get(c, account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))
}

/// Checks a category as uploads do: 1 to 50 of `a-z 0-9 _ -`.
pub fn valid_category(c: &str) -> bool {
    (1..=50).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Edits a file's record; `metadata` is merged (a `null` value removes the key).
pub async fn update(ctx: &Ctx<'_>, id: Uuid, req: UpdateFileRequest) -> ApiResult<File> {
    let mut checks = Checks::new();
    if req.filename.as_deref().is_some_and(|f| f.trim().is_empty()) {
        checks.fail("filename", "must not be empty");
    }
    if req.category.as_deref().is_some_and(|c| !valid_category(c)) {
        checks.fail("category", "must be 1 to 50 of a-z, 0-9, _ and -");
    }
    if req
        .visibility
        .as_deref()
        .is_some_and(|v| !matches!(v, "private" | "account" | "public"))
    {
        checks.fail("visibility", "must be private, account or public");
    }
    let patch = match req.metadata {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => {
            checks.fail("metadata", "must be a JSON object");
            None
        }
    };
    checks.finish()?;

    let api = ctx.api;
    let tx = api.db().begin().await?;
    let mut file = load(ctx, &*tx, id).await?;
    if file.deleted_at.is_some() {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("file"));
    }
    if let Some(name) = req.filename.as_deref() {
        file.filename = names::sanitize(name);
    }
    if let Some(category) = req.category {
        file.category = category;
    }
    if let Some(visibility) = req.visibility {
        file.visibility = visibility;
    }
    if let (Some(patch), Some(current)) = (patch, file.metadata.as_object_mut()) {
        for (k, v) in patch {
            if v.is_null() {
                current.remove(&k);
            } else {
                current.insert(k, v);
            }
        }
    }
    store::files::update(&*tx, &file, api.now()).await?;
    let file = load(ctx, &*tx, id).await?;
    tx.commit().await?;
    Ok(view(&file))
}

/// Soft-deletes a file, or with `permanent` removes it and its stored bytes for good.
pub async fn delete(ctx: &Ctx<'_>, id: Uuid, permanent: bool) -> ApiResult<File> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    if !permanent {
        let tx = api.db().begin().await?;
        if !store::files::soft_delete(&*tx, account, id, api.now()).await? {
            let _ = tx.rollback().await;
            return Err(ApiError::not_found("file"));
        }
        let file = load(ctx, &*tx, id).await?;
        tx.commit().await?;
        return Ok(view(&file));
    }
    let tx = api.db().begin().await?;
    let file = load(ctx, &*tx, id).await?;
    let keys = store::files::object_keys(&*tx, id).await?;
    let storage = store::storages::get(&*tx, account, file.storage_id, false)
        .await?
        .ok_or_else(|| ApiError::internal("a file's storage is missing"))?;
    store::files::delete_permanently(&*tx, &file).await?;
    tx.commit().await?;
    // The rows are gone first, so nothing can point at a removed object.
    let store = storages::open(api, &storage).await?;
    remove_objects(&*store, id, &keys).await;
    Ok(view(&file))
}

/// Removes a deleted file's objects; returns how many could not be removed. Those are logged
/// and left to the orphan sweep, which finds bytes no row refers to.
pub(crate) async fn remove_objects(store: &dyn ObjectStore, file: Uuid, keys: &[String]) -> usize {
    let mut failed = 0;
    for key in keys {
        if let Err(e) = store.delete(key).await {
            tracing::warn!(file = %file, key = %key, error = %e, "could not remove a deleted file's object");
            failed += 1;
        }
    }
    failed
}

/// Undoes a soft delete.
pub async fn restore(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<File> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let tx = api.db().begin().await?;
    if !store::files::restore(&*tx, account, id, api.now()).await? {
        let exists = store::files::get(&*tx, account, id).await?.is_some();
        let _ = tx.rollback().await;
        return Err(if exists {
            ApiError::conflict("the file is not deleted")
        } else {
            ApiError::not_found("file")
        });
    }
    let file = load(ctx, &*tx, id).await?;
    tx.commit().await?;
    Ok(view(&file))
}

/// Queues the newest version's processing again.
pub async fn reprocess(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Vec<ProcessingJob>> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let tx = api.db().begin().await?;
    let file = load(ctx, &*tx, id).await?;
    if file.deleted_at.is_some() {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("file"));
    }
    let announced =
        upload::queue_processing(api, &*tx, account, id, file.version, &file.content_type).await?;
    store::file_processing::refresh_status(&*tx, id, api.now()).await?;
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    processing_jobs(ctx, id).await
}

/// The file's processing jobs, oldest first.
pub async fn processing_jobs(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Vec<ProcessingJob>> {
    let db = ctx.api.db();
    load(ctx, db, id).await?;
    store::files::processing_jobs(db, id)
        .await?
        .iter()
        .map(super::processing::job_view)
        .collect::<Result<_, crate::db::DbError>>()
        .map_err(Into::into)
}
