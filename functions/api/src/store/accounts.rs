//! `accounts`.

use chrono::{DateTime, Utc};
use shared::api::auth::Account;
use uuid::Uuid;

use super::{query_one, query_opt, sql};
use crate::db::DbError;
use crate::ports::Conn;

/// Inserts an account.
pub async fn insert(c: &dyn Conn, id: Uuid, name: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(sql::ACCOUNT_INSERT, &[id.into(), name.into(), now.into()])
        .await
        .map(drop)
}

/// The account with `id`.
pub async fn get(c: &dyn Conn, id: Uuid) -> Result<Option<Account>, DbError> {
    let Some(row) = query_opt(c, sql::ACCOUNT_GET, &[id.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(Account {
        id: row.get("id")?,
        name: row.get("name")?,
        created_at: row.get("created_at")?,
    }))
}

/// Locks the account row for the rest of the transaction.
pub async fn lock(c: &dyn Conn, id: Uuid) -> Result<bool, DbError> {
    Ok(query_opt(c, sql::ACCOUNT_LOCK, &[id.into()])
        .await?
        .is_some())
}

/// Active owners of the account.
pub async fn owner_count(c: &dyn Conn, id: Uuid) -> Result<i64, DbError> {
    query_one(c, sql::ACCOUNT_OWNER_COUNT, &[id.into()])
        .await?
        .get("owners")
}
