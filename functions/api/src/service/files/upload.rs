//! `POST /api/v1/files/upload`: a multipart body streamed to the account's default storage
//! while it is hashed, counted and sniffed; then, in one transaction, the file row, its first
//! version, its tags, the storage's use (checked against its quota) and its processing jobs.
//! Any failure after the bytes were stored removes them again: no orphan objects.

use serde_json::{Map, Value, json};
use shared::api::files::File;
use uuid::Uuid;

use super::meter::Meter;
use super::receive::{self, Stored};
use super::{manage, sniff, tags, view};
use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::queue;
use crate::queue::enqueue::{Enqueued, NewJob};
use crate::service::storages;
use crate::service::validate::Checks;
use crate::store::files::NewFile;
use crate::store::{self, storages::StorageRow};

/// The form's text parts.
#[derive(Debug, Default)]
struct Form {
    category: Option<String>,
    visibility: Option<String>,
    tags: Option<String>,
    metadata: Option<String>,
}

/// Uploads one file.
pub async fn upload(ctx: &Ctx<'_>) -> ApiResult<File> {
    let user = ctx.user()?;
    let api = ctx.api;
    let storage = default_storage(ctx).await?;
    let remaining = receive::remaining_quota(&storage)?;
    let store = storages::open(api, &storage).await?;
    let file_id = api.new_id();
    let object_key = format!("{}/{}/v1", user.account_id, file_id);
    let meter = Meter::new(api.config().max_upload_bytes, remaining);
    let read = receive::receive(
        ctx,
        &*store,
        &object_key,
        &meter,
        &["category", "visibility", "tags", "metadata"],
    )
    .await;
    let (read, stored, mut fields) = match read {
        Ok(r) => (Ok(()), r.stored, r.fields),
        Err(e) => (Err(e), None, Default::default()),
    };
    let form = Form {
        category: fields.remove("category"),
        visibility: fields.remove("visibility"),
        tags: fields.remove("tags"),
        metadata: fields.remove("metadata"),
    };
    let outcome = match (read, stored) {
        (Ok(()), Some(stored)) => commit(ctx, &storage, file_id, &object_key, stored, form).await,
        (Ok(()), None) => Err(ApiError::invalid_field("file", "a `file` part is required")),
        (Err(e), _) => Err(e),
    };
    if outcome.is_err() {
        // Whatever went wrong after (or while) the bytes went out, none may stay behind.
        if let Err(e) = store.delete(&object_key).await {
            tracing::warn!(key = %object_key, error = %e, "could not remove an upload that failed");
        }
    }
    outcome
}

/// Validates the form, then writes everything in one transaction.
async fn commit(
    ctx: &Ctx<'_>,
    storage: &StorageRow,
    file_id: Uuid,
    object_key: &str,
    stored: Stored,
    form: Form,
) -> ApiResult<File> {
    let user = ctx.user()?;
    let api = ctx.api;
    let mut checks = Checks::new();
    let metadata = match form.metadata.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(serde_json::from_str::<Value>(text).unwrap_or(Value::Null)),
    };
    let tag_names: Vec<String> = form
        .tags
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
        .collect();
    let details = Details::check(
        &mut checks,
        form.category.as_deref(),
        form.visibility.as_deref(),
        &tag_names,
        metadata,
    );
    checks.finish()?;
    let Details {
        category,
        visibility,
        tags,
        metadata,
    } = details;
    let category = category.unwrap_or_else(|| sniff::category(&stored.content_type).to_string());
    let visibility = visibility.as_str();

    let size = i64::try_from(stored.size).unwrap_or(i64::MAX);
    let now = api.now();
    let tx = api.db().begin().await?;
    if !store::files::add_used(&*tx, storage.id, size).await? {
        let _ = tx.rollback().await;
        return Err(receive::quota_exceeded());
    }
    store::files::insert(
        &*tx,
        &NewFile {
            id: file_id,
            account_id: user.account_id,
            storage_id: storage.id,
            created_by: user.id,
            filename: &stored.filename,
            content_type: &stored.content_type,
            file_size: size,
            checksum_sha256: &stored.sha256,
            category: &category,
            visibility,
            metadata,
            object_key,
        },
        now,
    )
    .await?;
    store::files::add_tags(&*tx, user.account_id, file_id, &tags, || api.new_id(), now).await?;
    let announced =
        queue_processing(api, &*tx, user.account_id, file_id, 1, &stored.content_type).await?;
    let row = store::files::get(&*tx, user.account_id, file_id)
        .await?
        .ok_or_else(|| ApiError::internal("the uploaded file vanished"))?;
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    Ok(view(&row))
}

/// Queues the processing jobs of version `version` on `file_processing`, in the caller's
/// transaction, and records each against the file. Returns what to announce after commit.
pub async fn queue_processing(
    api: &Api,
    c: &dyn crate::ports::Conn,
    account: Uuid,
    file: Uuid,
    version: i32,
    content_type: &str,
) -> ApiResult<Vec<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)>> {
    let now = api.now();
    let mut announced = Vec::new();
    for job_type in sniff::processing_jobs(content_type) {
        let processing_id = api.new_id();
        let mut job = NewJob::new(
            job_type,
            json!({ "file_id": file, "version": version, "processing_job_id": processing_id }),
        );
        job.account_id = Some(account);
        job.queue = "file_processing".into();
        let id = match queue::enqueue::enqueue(api, c, &job).await? {
            Enqueued::Created(id) | Enqueued::Existing(id) => id,
            Enqueued::KeyConflict | Enqueued::UnknownQueue => {
                return Err(ApiError::internal("the file_processing queue is missing"));
            }
        };
        store::files::add_processing_job(c, processing_id, file, id, job_type, now).await?;
        announced.push((id, job.queue.clone(), None));
    }
    Ok(announced)
}

/// The account's default storage; an account without one gets the runtime's first provider
/// (the local disk natively, R2 on Workers) as its default, named "Default".
pub(super) async fn default_storage(ctx: &Ctx<'_>) -> ApiResult<StorageRow> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    if let Some(s) = store::files::default_storage(api.db(), account).await? {
        return Ok(s);
    }
    let provider = api
        .ports()
        .storage
        .provider_types()
        .first()
        .copied()
        .ok_or_else(|| ApiError::unavailable("file storage", "this runtime has no provider"))?;
    let request = shared::api::storages::CreateStorageRequest {
        name: Some("Default".into()),
        provider_type: Some(provider.into()),
        configuration: None,
        is_default: Some(true),
        quota_bytes: None,
    };
    // Two first uploads at once: one creates it, the other's insert fails and it finds the
    // first's; any other failure shows in the read below.
    if let Err(e) = storages::create(ctx, request).await {
        tracing::debug!(error = %e.message, "creating the default storage");
    }
    store::files::default_storage(api.db(), account)
        .await?
        .ok_or_else(|| ApiError::unavailable("file storage", "no default storage"))
}

/// The uploader's description of a file, checked: shared by multipart and direct uploads.
pub(super) struct Details {
    /// The named category (`None`: from the sniffed type).
    pub category: Option<String>,
    /// `private`, `account` or `public`.
    pub visibility: String,
    /// Normalized tag names.
    pub tags: Vec<String>,
    /// A JSON object.
    pub metadata: Value,
}

impl Details {
    /// Checks each part, recording failures in `checks`.
    pub fn check(
        checks: &mut Checks,
        category: Option<&str>,
        visibility: Option<&str>,
        tags: &[String],
        metadata: Option<Value>,
    ) -> Self {
        let visibility = visibility.map_or("private", str::trim);
        if !matches!(visibility, "private" | "account" | "public") {
            checks.fail("visibility", "must be private, account or public");
        }
        let category = match category.map(str::trim) {
            None | Some("") => None,
            Some(c) if manage::valid_category(c) => Some(c.to_string()),
            Some(_) => {
                checks.fail("category", "must be 1 to 50 of a-z, 0-9, _ and -");
                None
            }
        };
        let metadata = match metadata {
            None => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v,
            Some(_) => {
                checks.fail("metadata", "must be a JSON object");
                Value::Null
            }
        };
        Self {
            category,
            visibility: visibility.to_string(),
            tags: tags::normalize(checks, "tags", tags).unwrap_or_default(),
            metadata,
        }
    }
}
