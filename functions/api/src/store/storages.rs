//! `storages`: where an account's files are stored. Every query is scoped to the account.

use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::api::storages::StorageHealth;
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::{DbError, Row};
use crate::ports::Conn;

/// The constraint that keeps names unique per account.
pub const NAME_UNIQUE: &str = "storages_account_name_key";

/// A storage row. `configuration` is as stored: secret fields encrypted.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageRow {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Name.
    pub name: String,
    /// Provider type.
    pub provider_type: String,
    /// Settings, secrets sealed.
    pub configuration: Value,
    /// The account's default.
    pub is_default: bool,
    /// Limit.
    pub quota_bytes: Option<i64>,
    /// Stored bytes.
    pub used_bytes: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
    /// The last scheduled health check, if any.
    pub health: Option<StorageHealth>,
}

pub(crate) fn from_row(r: &Row) -> Result<StorageRow, DbError> {
    Ok(StorageRow {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        name: r.get("name")?,
        provider_type: r.get("provider_type")?,
        configuration: r.get("configuration")?,
        is_default: r.get("is_default")?,
        quota_bytes: r.get("quota_bytes")?,
        used_bytes: r.get("used_bytes")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        health: match (
            r.get::<Option<bool>>("health_ok")?,
            r.get("health_checked_at")?,
        ) {
            (Some(ok), Some(checked_at)) => Some(StorageHealth {
                ok,
                checked_at,
                error: r.get("health_error")?,
            }),
            _ => None,
        },
    })
}

/// The account's storages, oldest first.
pub async fn list(c: &dyn Conn, account: Uuid) -> Result<Vec<StorageRow>, DbError> {
    c.query(sql::STORAGE_LIST, &[account.into()])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// One of the account's storages; `lock` holds the row until the transaction ends.
pub async fn get(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
    lock: bool,
) -> Result<Option<StorageRow>, DbError> {
    let sql = if lock {
        sql::STORAGE_GET_FOR_UPDATE
    } else {
        sql::STORAGE_GET
    };
    query_opt(c, sql, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Inserts a storage (a taken name is `UniqueViolation(Some(NAME_UNIQUE))`).
pub async fn insert(c: &dyn Conn, s: &StorageRow) -> Result<(), DbError> {
    c.execute(
        sql::STORAGE_INSERT,
        &[
            s.id.into(),
            s.account_id.into(),
            s.name.as_str().into(),
            s.provider_type.as_str().into(),
            s.configuration.clone().into(),
            s.is_default.into(),
            s.quota_bytes.into(),
            s.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// Writes the editable columns of `s`.
pub async fn update(c: &dyn Conn, s: &StorageRow) -> Result<(), DbError> {
    c.execute(
        sql::STORAGE_UPDATE,
        &[
            s.id.into(),
            s.account_id.into(),
            s.name.as_str().into(),
            s.configuration.clone().into(),
            s.is_default.into(),
            s.quota_bytes.into(),
            s.updated_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// Makes no storage of the account the default (before another becomes it).
pub async fn clear_default(c: &dyn Conn, account: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(sql::STORAGE_CLEAR_DEFAULT, &[account.into(), now.into()])
        .await
        .map(drop)
}

/// Whether any file (deleted or not) still lives in the storage.
pub async fn has_files(c: &dyn Conn, id: Uuid) -> Result<bool, DbError> {
    let row = query_opt(c, sql::STORAGE_HAS_FILES, &[id.into()]).await?;
    row.map_or(Ok(false), |r| r.get("has_files"))
}

/// Deletes the storage; false when it was not the account's.
pub async fn delete(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(c.execute(sql::STORAGE_DELETE, &[id.into(), account.into()])
        .await?
        == 1)
}

/// Every account's storages (the scheduled health checks and sweeps), oldest first.
pub async fn all(c: &dyn Conn) -> Result<Vec<StorageRow>, DbError> {
    c.query(sql::STORAGE_LIST_ALL, &[])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Records a health check's outcome.
pub async fn set_health(c: &dyn Conn, id: Uuid, health: &StorageHealth) -> Result<(), DbError> {
    c.execute(
        sql::STORAGE_SET_HEALTH,
        &[
            id.into(),
            health.ok.into(),
            health.checked_at.into(),
            health.error.clone().into(),
        ],
    )
    .await
    .map(drop)
}
