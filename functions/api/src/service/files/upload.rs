//! `POST /api/v1/files/upload`: a multipart body streamed to the account's default storage
//! while it is hashed, counted and sniffed; then, in one transaction, the file row, its first
//! version, its tags, the storage's use (checked against its quota) and its processing jobs.
//! Any failure after the bytes were stored removes them again: no orphan objects.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use serde_json::{Map, Value, json};
use shared::ErrorCode;
use shared::api::files::File;
use uuid::Uuid;

use super::meter::{Cutoff, Meter};
use super::{manage, names, sniff, tags, view};
use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::storage::{ByteStream, ObjectStore};
use crate::queue;
use crate::queue::enqueue::{Enqueued, NewJob};
use crate::service::storages;
use crate::service::validate::Checks;
use crate::store::files::NewFile;
use crate::store::{self, storages::StorageRow};

/// Largest text part (`category`, `visibility`, `tags`, `metadata`).
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The form's text parts.
#[derive(Debug, Default)]
struct Form {
    category: Option<String>,
    visibility: Option<String>,
    tags: Option<String>,
    metadata: Option<String>,
}

/// The file part, once stored.
struct Stored {
    filename: String,
    content_type: String,
    size: u64,
    sha256: String,
}

/// Uploads one file.
pub async fn upload(ctx: &Ctx<'_>) -> ApiResult<File> {
    let user = ctx.user()?;
    let api = ctx.api;
    let boundary = ctx
        .req
        .header("content-type")
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            ApiError::bad_request("the body must be multipart/form-data with a boundary")
        })?;
    let storage = default_storage(ctx).await?;
    let remaining = match storage.quota_bytes {
        Some(q) => {
            let left = q.saturating_sub(storage.used_bytes).max(0);
            if left == 0 {
                return Err(quota_exceeded());
            }
            Some(u64::try_from(left).unwrap_or(0))
        }
        None => None,
    };
    let store = storages::open(api, &storage).await?;
    let file_id = api.new_id();
    let object_key = format!("{}/{}/v1", user.account_id, file_id);
    let meter = Meter::new(api.config().max_upload_bytes, remaining);

    let mut multipart = multer::Multipart::new(sendable(ctx.req.take_body_stream()), boundary);
    let mut form = Form::default();
    let mut stored: Option<Stored> = None;
    let read = async {
        while let Some(field) = multipart.next_field().await.map_err(malformed)? {
            match field.name() {
                Some("file") if stored.is_none() => {
                    let filename = names::sanitize(field.file_name().unwrap_or_default());
                    stored = Some(store_part(&*store, &object_key, field, &meter, filename).await?);
                }
                Some("file") => return Err(ApiError::bad_request("only one `file` part")),
                Some(name) => {
                    let name = name.to_string();
                    let text = read_text(field, &name).await?;
                    match name.as_str() {
                        "category" => form.category = Some(text),
                        "visibility" => form.visibility = Some(text),
                        "tags" => form.tags = Some(text),
                        "metadata" => form.metadata = Some(text),
                        // Parts nobody asked for are read and ignored, as forms do.
                        _ => {}
                    }
                }
                None => {}
            }
        }
        Ok(())
    }
    .await;
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
    let visibility = form.visibility.as_deref().map_or("private", str::trim);
    if !matches!(visibility, "private" | "account" | "public") {
        checks.fail("visibility", "must be private, account or public");
    }
    let category = match form.category.as_deref().map(str::trim) {
        None | Some("") => sniff::category(&stored.content_type).to_string(),
        Some(c) if manage::valid_category(c) => c.to_string(),
        Some(_) => {
            checks.fail("category", "must be 1 to 50 of a-z, 0-9, _ and -");
            String::new()
        }
    };
    let tags = parse_tags(&mut checks, form.tags.as_deref());
    let metadata = match form.metadata.as_deref().map(str::trim) {
        None | Some("") => Value::Object(Map::new()),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                checks.fail("metadata", "must be a JSON object");
                Value::Null
            }
        },
    };
    checks.finish()?;

    let size = i64::try_from(stored.size).unwrap_or(i64::MAX);
    let now = api.now();
    let tx = api.db().begin().await?;
    if !store::files::add_used(&*tx, storage.id, size).await? {
        let _ = tx.rollback().await;
        return Err(quota_exceeded());
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
async fn default_storage(ctx: &Ctx<'_>) -> ApiResult<StorageRow> {
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

fn parse_tags(checks: &mut Checks, raw: Option<&str>) -> Vec<String> {
    let names: Vec<String> = raw
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
        .collect();
    tags::normalize(checks, "tags", &names).unwrap_or_default()
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
    String::from_utf8(text).map_err(|_| ApiError::invalid_field(name, "must be UTF-8 text"))
}

fn malformed(e: multer::Error) -> ApiError {
    ApiError::bad_request(format!("malformed multipart body: {e}"))
}

fn quota_exceeded() -> ApiError {
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
