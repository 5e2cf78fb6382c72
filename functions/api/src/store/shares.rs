//! `file_shares`: share links, found by the SHA-256 of their token.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::{DbError, Row, SqlValue};
use crate::ports::Conn;

/// A new share link.
#[derive(Debug, Clone)]
pub struct NewShare<'a> {
    /// Id.
    pub id: Uuid,
    /// File.
    pub file_id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// SHA-256 of the token.
    pub token_sha256: Vec<u8>,
    /// The token.
    pub token: &'a str,
    /// Argon2id PHC string.
    pub password_hash: Option<&'a str>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Budget.
    pub max_downloads: Option<i64>,
    /// Creator.
    pub created_by: Uuid,
}

/// Inserts a share.
pub async fn insert(c: &dyn Conn, s: &NewShare<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(
        sql::SHARE_INSERT,
        &[
            s.id.into(),
            s.file_id.into(),
            s.account_id.into(),
            SqlValue::Bytes(s.token_sha256.clone()),
            s.token.into(),
            s.password_hash.into(),
            s.expires_at.into(),
            s.max_downloads.into(),
            s.created_by.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// The file's live shares (`id, token, expires_at, max_downloads, download_count,
/// password_protected`).
pub async fn list(c: &dyn Conn, account: Uuid, file: Uuid) -> Result<Vec<Row>, DbError> {
    c.query(sql::SHARE_LIST, &[file.into(), account.into()])
        .await
}

/// Revokes a share; false when it was not the account's or already revoked.
pub async fn revoke(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(
        c.execute(sql::SHARE_REVOKE, &[id.into(), account.into(), now.into()])
            .await?
            == 1,
    )
}

/// The live share with this token hash (`id, file_id, password_hash, expires_at, ...`).
pub async fn by_token(c: &dyn Conn, token_sha256: Vec<u8>) -> Result<Option<Row>, DbError> {
    query_opt(c, sql::SHARE_BY_TOKEN, &[SqlValue::Bytes(token_sha256)]).await
}

/// Counts one download unless the budget is spent; false when it is.
pub async fn count_download(c: &dyn Conn, id: Uuid) -> Result<bool, DbError> {
    Ok(query_opt(c, sql::SHARE_COUNT_DOWNLOAD, &[id.into()])
        .await?
        .is_some())
}
