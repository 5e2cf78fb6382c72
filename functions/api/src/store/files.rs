//! `files`, `file_versions`, tags and processing jobs. Every read is scoped to the account.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::storages::{StorageRow, from_row as storage_from_row};
use super::{query_one, query_opt, sql};
use crate::db::{DbError, Row};
use crate::ports::Conn;

/// A file row with its tag names.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Where the bytes are.
    pub storage_id: Uuid,
    /// Sanitized name.
    pub filename: String,
    /// Sniffed type.
    pub content_type: String,
    /// Newest version's size.
    pub file_size: i64,
    /// Newest version's hex SHA-256.
    pub checksum_sha256: String,
    /// Category.
    pub category: String,
    /// Visibility.
    pub visibility: String,
    /// Newest version.
    pub version: i32,
    /// Processing state.
    pub processing_status: String,
    /// Metadata.
    pub metadata: Value,
    /// Thumbnail keys by size.
    pub thumbnails: Value,
    /// Poster key.
    pub poster_key: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

fn file_from_row(r: &Row) -> Result<FileRow, DbError> {
    Ok(FileRow {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        storage_id: r.get("storage_id")?,
        filename: r.get("filename")?,
        content_type: r.get("content_type")?,
        file_size: r.get("file_size")?,
        checksum_sha256: r.get("checksum_sha256")?,
        category: r.get("category")?,
        visibility: r.get("visibility")?,
        version: i32::try_from(r.get::<i64>("version")?).unwrap_or(i32::MAX),
        processing_status: r.get("processing_status")?,
        metadata: r.get("metadata")?,
        thumbnails: r.get("thumbnails")?,
        poster_key: r.get("poster_key")?,
        tags: r.get("tags")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        deleted_at: r.get("deleted_at")?,
    })
}

/// A new file's first version, as uploaded.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Storage.
    pub storage_id: Uuid,
    /// Uploader.
    pub created_by: Uuid,
    /// Sanitized name.
    pub filename: &'a str,
    /// Sniffed type.
    pub content_type: &'a str,
    /// Size.
    pub file_size: i64,
    /// Hex SHA-256.
    pub checksum_sha256: &'a str,
    /// Category.
    pub category: &'a str,
    /// Visibility.
    pub visibility: &'a str,
    /// Uploader's metadata.
    pub metadata: Value,
    /// The object's key.
    pub object_key: &'a str,
}

/// Inserts the file and its version 1.
pub async fn insert(c: &dyn Conn, f: &NewFile<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(
        sql::FILE_INSERT,
        &[
            f.id.into(),
            f.account_id.into(),
            f.storage_id.into(),
            f.created_by.into(),
            f.filename.into(),
            f.content_type.into(),
            f.file_size.into(),
            f.checksum_sha256.into(),
            f.category.into(),
            f.visibility.into(),
            f.metadata.clone().into(),
            now.into(),
        ],
    )
    .await?;
    c.execute(
        sql::FILE_VERSION_INSERT,
        &[
            f.id.into(),
            1i64.into(),
            f.object_key.into(),
            f.file_size.into(),
            f.checksum_sha256.into(),
            f.content_type.into(),
            Option::<String>::None.into(),
            f.created_by.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// Adds `bytes` to the storage's use; false when that would pass its quota (nothing changed).
pub async fn add_used(c: &dyn Conn, storage: Uuid, bytes: i64) -> Result<bool, DbError> {
    Ok(
        query_opt(c, sql::STORAGE_ADD_USED, &[storage.into(), bytes.into()])
            .await?
            .is_some(),
    )
}

/// The account's default storage.
pub async fn default_storage(c: &dyn Conn, account: Uuid) -> Result<Option<StorageRow>, DbError> {
    query_opt(c, sql::STORAGE_DEFAULT, &[account.into()])
        .await?
        .as_ref()
        .map(storage_from_row)
        .transpose()
}

/// One of the account's stored files (soft-deleted ones too).
pub async fn get(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<Option<FileRow>, DbError> {
    query_opt(c, sql::FILE_GET, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(file_from_row)
        .transpose()
}

/// A stored file by id alone (signed URLs and shares: the caller proved access otherwise).
pub async fn get_any(c: &dyn Conn, id: Uuid) -> Result<Option<FileRow>, DbError> {
    query_opt(c, sql::FILE_GET_ANY, &[id.into()])
        .await?
        .as_ref()
        .map(file_from_row)
        .transpose()
}

/// What `list` filters on.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Exact category.
    pub category: Option<String>,
    /// Has this tag.
    pub tag: Option<String>,
    /// Filename contains (case-insensitive).
    pub q: Option<String>,
    /// Content type starts with.
    pub content_type: Option<String>,
    /// Soft-deleted files too.
    pub include_deleted: bool,
}

/// A page of the account's files and the total matching.
pub async fn list(
    c: &dyn Conn,
    account: Uuid,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<FileRow>, i64), DbError> {
    let rows = c
        .query(
            sql::FILE_LIST,
            &[
                account.into(),
                limit.into(),
                filter.category.clone().into(),
                filter.tag.clone().into(),
                filter.q.clone().into(),
                filter.content_type.clone().into(),
                filter.include_deleted.into(),
                offset.into(),
            ],
        )
        .await?;
    let total = match rows.first() {
        Some(r) => r.get("total")?,
        None => 0,
    };
    let files = rows.iter().map(file_from_row).collect::<Result<_, _>>()?;
    Ok((files, total))
}

/// A stored version: its object key and what was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionObject {
    /// Key in the storage.
    pub object_key: String,
    /// Size.
    pub file_size: i64,
    /// Hex SHA-256.
    pub checksum_sha256: String,
    /// Sniffed type.
    pub content_type: String,
}

/// Version `version` of file `file`.
pub async fn version(
    c: &dyn Conn,
    file: Uuid,
    version: i32,
) -> Result<Option<VersionObject>, DbError> {
    query_opt(
        c,
        sql::FILE_VERSION_GET,
        &[file.into(), i64::from(version).into()],
    )
    .await?
    .map(|r| {
        Ok(VersionObject {
            object_key: r.get("object_key")?,
            file_size: r.get("file_size")?,
            checksum_sha256: r.get("checksum_sha256")?,
            content_type: r.get("content_type")?,
        })
    })
    .transpose()
}

/// Tags `file` with `names` (created for the account as needed).
pub async fn add_tags(
    c: &dyn Conn,
    account: Uuid,
    file: Uuid,
    names: &[String],
    mut new_id: impl FnMut() -> Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for name in names {
        let row = query_one(
            c,
            sql::TAG_UPSERT,
            &[
                new_id().into(),
                account.into(),
                name.as_str().into(),
                now.into(),
            ],
        )
        .await?;
        let tag: Uuid = row.get("id")?;
        c.execute(sql::FILE_TAG_ADD, &[file.into(), tag.into()])
            .await?;
    }
    Ok(())
}

/// Records a processing job queued for `file`.
pub async fn add_processing_job(
    c: &dyn Conn,
    id: Uuid,
    file: Uuid,
    job: Uuid,
    job_type: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::FILE_PROCESSING_JOB_INSERT,
        &[
            id.into(),
            file.into(),
            job.into(),
            job_type.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// Writes the editable columns of `f`.
pub async fn update(c: &dyn Conn, f: &FileRow, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(
        sql::FILE_UPDATE,
        &[
            f.id.into(),
            f.account_id.into(),
            f.filename.as_str().into(),
            f.category.as_str().into(),
            f.visibility.as_str().into(),
            f.metadata.clone().into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// Marks the file deleted; false when it was not there or already deleted.
pub async fn soft_delete(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::FILE_SOFT_DELETE,
        &[id.into(), account.into(), now.into()],
    )
    .await?
        == 1)
}

/// Undoes a soft delete; false when the file was not deleted.
pub async fn restore(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(
        c.execute(sql::FILE_RESTORE, &[id.into(), account.into(), now.into()])
            .await?
            == 1,
    )
}

/// The keys of every object the file has (versions, thumbnails, poster).
pub async fn object_keys(c: &dyn Conn, id: Uuid) -> Result<Vec<String>, DbError> {
    c.query(sql::FILE_OBJECT_KEYS, &[id.into()])
        .await?
        .iter()
        .map(|r| r.get("object_key"))
        .collect()
}

/// Removes the file row (its versions, tags, shares and processing rows go with it) and gives
/// its versions' bytes back to the storage; returns those bytes.
pub async fn delete_permanently(c: &dyn Conn, f: &FileRow) -> Result<i64, DbError> {
    let bytes: i64 = query_one(c, sql::FILE_VERSIONS_BYTES, &[f.id.into()])
        .await?
        .get("bytes")?;
    c.execute(
        sql::STORAGE_SUBTRACT_USED,
        &[f.storage_id.into(), bytes.into()],
    )
    .await?;
    c.execute(sql::FILE_DELETE, &[f.id.into(), f.account_id.into()])
        .await?;
    Ok(bytes)
}

/// Untags; false when the file did not have the tag.
pub async fn remove_tag(
    c: &dyn Conn,
    account: Uuid,
    file: Uuid,
    name: &str,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::FILE_TAG_REMOVE,
        &[file.into(), account.into(), name.into()],
    )
    .await?
        == 1)
}

/// The account's tags in use, with how many live files carry each.
pub async fn tags(c: &dyn Conn, account: Uuid) -> Result<Vec<(String, i64)>, DbError> {
    c.query(sql::TAG_LIST, &[account.into()])
        .await?
        .iter()
        .map(|r| Ok((r.get("name")?, r.get("file_count")?)))
        .collect()
}

/// A file's processing jobs, as the media runner reported them.
pub async fn processing_jobs(c: &dyn Conn, file: Uuid) -> Result<Vec<Row>, DbError> {
    c.query(sql::FILE_PROCESSING_JOB_LIST, &[file.into()]).await
}

/// The newest version of a live file, its row locked; `None` when there is no such file.
pub async fn lock_version(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<Option<i32>, DbError> {
    query_opt(c, sql::FILE_LOCK_VERSION, &[id.into(), account.into()])
        .await?
        .map(|r| Ok(i32::try_from(r.get::<i64>("version")?).unwrap_or(i32::MAX)))
        .transpose()
}

/// A version to add.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// File.
    pub file_id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Its number.
    pub version: i32,
    /// The object.
    pub object_key: &'a str,
    /// Size.
    pub file_size: i64,
    /// Hex SHA-256.
    pub checksum_sha256: &'a str,
    /// Sniffed type.
    pub content_type: &'a str,
    /// What changed.
    pub change_description: Option<&'a str>,
    /// Uploader.
    pub created_by: Uuid,
}

/// Adds a version and makes it the file's newest.
pub async fn add_version(
    c: &dyn Conn,
    v: &NewVersion<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::FILE_VERSION_INSERT,
        &[
            v.file_id.into(),
            i64::from(v.version).into(),
            v.object_key.into(),
            v.file_size.into(),
            v.checksum_sha256.into(),
            v.content_type.into(),
            v.change_description.into(),
            v.created_by.into(),
            now.into(),
        ],
    )
    .await?;
    c.execute(
        sql::FILE_SET_VERSION,
        &[
            v.file_id.into(),
            v.account_id.into(),
            i64::from(v.version).into(),
            v.file_size.into(),
            v.checksum_sha256.into(),
            v.content_type.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// The file's versions, newest first.
pub async fn versions(c: &dyn Conn, file: Uuid) -> Result<Vec<Row>, DbError> {
    c.query(sql::FILE_VERSION_LIST, &[file.into()]).await
}
