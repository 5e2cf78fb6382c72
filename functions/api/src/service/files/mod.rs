//! Files: upload, read, list and download. Every lookup is scoped to the caller's account, so
//! another account's file is simply not found (404).
//!
//! - `upload`: the multipart upload and the transaction behind it.
//! - `direct`: direct-to-storage uploads (upload URL, then `complete`).
//! - `download`: bytes out, with ranges and ETags.
//! - `derivatives`: thumbnails and posters, stored by the media runner and served to users.
//! - `processing`: the media runner's reads and reports (service token).
//! - `manage`: edit, delete, restore, reprocess, processing jobs.
//! - `tags`: tagging.
//! - `versions`: new versions, the list, restoring an old one.
//! - `receive`: reading a multipart upload into storage.
//! - `signed`: signed download URLs.
//! - `shares`: share links and their public download.
//! - `meter`: the hashing, counting, limit-enforcing upload stream.
//! - `names`: filename sanitizing and `Content-Disposition`.
//! - `sniff`: content type and category from the bytes.

pub mod derivatives;
pub mod direct;
pub mod download;
pub mod manage;
pub mod meter;
pub mod names;
pub mod processing;
pub mod receive;
pub mod shares;
pub mod signed;
pub mod sniff;
pub mod tags;
pub mod upload;
pub mod versions;

use std::collections::BTreeMap;

use shared::api::files::File;
use shared::pagination::{PageRequest, Pagination};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, files::FileRow, files::ListFilter};

/// Thumbnail box sizes.
pub const THUMBNAIL_SIZES: [&str; 3] = ["150", "300", "600"];

/// The answer's shape of a file row.
pub fn view(row: &FileRow) -> File {
    let thumbnails: BTreeMap<String, Option<String>> = THUMBNAIL_SIZES
        .iter()
        .map(|size| {
            let made = row.thumbnails.get(*size).is_some_and(|k| k.is_string());
            let url = made.then(|| format!("/api/v1/files/{}/thumbnails/{size}", row.id));
            ((*size).to_string(), url)
        })
        .collect();
    File {
        id: row.id,
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        file_size: row.file_size,
        checksum_sha256: row.checksum_sha256.clone(),
        category: row.category.clone(),
        visibility: row.visibility.clone(),
        storage_id: row.storage_id,
        version: row.version,
        processing_status: row.processing_status.clone(),
        metadata: row.metadata.clone(),
        thumbnails,
        poster: row
            .poster_key
            .as_ref()
            .map(|_| format!("/api/v1/files/{}/poster", row.id)),
        tags: row.tags.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        deleted_at: row.deleted_at,
    }
}

/// One of the caller's files (soft-deleted ones too: they can be restored).
pub async fn get(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<File> {
    let account = ctx.user()?.account_id;
    let row = store::files::get(ctx.api.db(), account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(view(&row))
}

/// A page of the caller's files.
pub async fn list(
    ctx: &Ctx<'_>,
    page: PageRequest,
    filter: ListFilter,
) -> ApiResult<(Vec<File>, Pagination)> {
    let account = ctx.user()?.account_id;
    let (rows, total) = store::files::list(
        ctx.api.db(),
        account,
        &filter,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    Ok((
        rows.iter().map(view).collect(),
        page.meta(u64::try_from(total).unwrap_or(0)),
    ))
}
