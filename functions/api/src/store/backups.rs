//! Backups and restores (`sql/backups.sql`): the export of one account as a JSON document, and
//! the batch inserts a restore feeds it back through.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::DbError;
use crate::ports::Conn;

/// Up to `limit` account ids after `after`, in id order.
pub async fn accounts_page(c: &dyn Conn, after: Uuid, limit: i64) -> Result<Vec<Uuid>, DbError> {
    c.query(sql::BACKUP_ACCOUNTS_PAGE, &[after.into(), limit.into()])
        .await?
        .iter()
        .map(|r| r.get("id"))
        .collect()
}

/// One account's backup document, as text, and how many rows it holds; `None` when the
/// account is gone.
pub async fn document(
    c: &dyn Conn,
    account: Uuid,
    format: &str,
    version: i64,
    taken_at: DateTime<Utc>,
) -> Result<Option<(String, u64)>, DbError> {
    let Some(row) = query_opt(
        c,
        sql::BACKUP_DOCUMENT,
        &[
            account.into(),
            format.into(),
            version.into(),
            taken_at.into(),
        ],
    )
    .await?
    else {
        return Ok(None);
    };
    let rows: i64 = row.get("rows")?;
    Ok(Some((
        row.get("document")?,
        u64::try_from(rows).unwrap_or(0),
    )))
}

/// The newest migration applied to the database.
pub async fn schema_version(c: &dyn Conn) -> Result<Option<String>, DbError> {
    Ok(query_opt(c, sql::BACKUP_SCHEMA_VERSION, &[])
        .await?
        .map(|r| r.get("version"))
        .transpose()?
        .flatten())
}

/// Inserts the rows of `table` not present yet (`sql` is its `Restore*` query); returns how
/// many were inserted.
pub async fn restore_rows(c: &dyn Conn, sql: &str, rows: &[Value]) -> Result<u64, DbError> {
    c.execute(sql, &[Value::Array(rows.to_vec()).into()]).await
}

/// Counts the used bytes of `account`'s storages again from their versions.
pub async fn recount_used_bytes(c: &dyn Conn, account: Uuid) -> Result<u64, DbError> {
    c.execute(sql::RESTORE_RECOUNT_USED_BYTES, &[account.into()])
        .await
}
