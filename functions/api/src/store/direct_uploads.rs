//! Direct-to-storage uploads awaiting their bytes (see `sql/direct_uploads.sql`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::DbError;
use crate::ports::Conn;

/// A file row waiting for its bytes.
#[derive(Debug, Clone)]
pub struct Awaiting {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Where the bytes go.
    pub storage_id: Uuid,
    /// Who asked for the upload.
    pub created_by: Option<Uuid>,
    /// Sanitized name.
    pub filename: String,
    /// The announced type.
    pub content_type: String,
    /// The announced size.
    pub file_size: i64,
}

/// A new awaiting upload.
#[derive(Debug, Clone)]
pub struct NewAwaiting<'a> {
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
    /// Announced type.
    pub content_type: &'a str,
    /// Announced size.
    pub file_size: i64,
    /// Category, or empty for "from the sniffed type".
    pub category: &'a str,
    /// Visibility.
    pub visibility: &'a str,
    /// Uploader's metadata.
    pub metadata: Value,
}

/// Inserts the awaiting row.
pub async fn insert(c: &dyn Conn, f: &NewAwaiting<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(
        sql::FILE_INSERT_AWAITING,
        &[
            f.id.into(),
            f.account_id.into(),
            f.storage_id.into(),
            f.created_by.into(),
            f.filename.into(),
            f.content_type.into(),
            f.file_size.into(),
            f.category.into(),
            f.visibility.into(),
            f.metadata.clone().into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// An awaiting upload: any account's when `account` is `None`.
pub async fn get(
    c: &dyn Conn,
    id: Uuid,
    account: Option<Uuid>,
) -> Result<Option<Awaiting>, DbError> {
    let Some(r) = query_opt(c, sql::FILE_GET_AWAITING, &[id.into(), account.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(Awaiting {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        storage_id: r.get("storage_id")?,
        created_by: r.get("created_by")?,
        filename: r.get("filename")?,
        content_type: r.get("content_type")?,
        file_size: r.get("file_size")?,
    }))
}

/// What `complete` verified.
#[derive(Debug, Clone)]
pub struct Verified<'a> {
    /// Object key of version 1.
    pub object_key: &'a str,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256.
    pub sha256: &'a str,
    /// Sniffed type.
    pub content_type: &'a str,
    /// Category of the sniffed type (used when the uploader named none).
    pub category: &'a str,
}

/// Makes the upload a stored file with its version 1; false when it was no longer awaiting.
pub async fn mark_stored(
    c: &dyn Conn,
    upload: &Awaiting,
    v: &Verified<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let Some(row) = query_opt(
        c,
        sql::FILE_MARK_STORED,
        &[
            upload.id.into(),
            upload.account_id.into(),
            v.size.into(),
            v.sha256.into(),
            v.content_type.into(),
            v.category.into(),
            now.into(),
        ],
    )
    .await?
    else {
        return Ok(false);
    };
    let created_by: Option<Uuid> = row.get("created_by")?;
    c.execute(
        sql::FILE_VERSION_INSERT,
        &[
            upload.id.into(),
            1i64.into(),
            v.object_key.into(),
            v.size.into(),
            v.sha256.into(),
            v.content_type.into(),
            Option::<String>::None.into(),
            created_by.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(true)
}

/// Removes an awaiting upload's row.
pub async fn delete(c: &dyn Conn, id: Uuid) -> Result<(), DbError> {
    c.execute(sql::FILE_DELETE_AWAITING, &[id.into()])
        .await
        .map(drop)
}
