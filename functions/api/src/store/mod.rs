//! Data access: one module per table family, each function a named query from `src/sql/`
//! plus the mapping of its rows. Functions take `&dyn Conn`, so callers choose whether they run
//! inside a transaction.

pub mod accounts;
pub mod audit;
pub mod backups;
pub mod direct_uploads;
pub mod file_processing;
pub mod files;
pub mod maintenance;
pub mod roles;
pub mod sessions;
pub mod shares;
pub mod storages;
pub mod users;
pub mod webhooks;

use crate::db::{DbError, Row, SqlValue};
use crate::ports::Conn;

/// The generated named-query constants (see `build.rs`).
pub mod sql {
    include!(concat!(env!("OUT_DIR"), "/queries.rs"));
}

/// At most one row.
pub(crate) async fn query_opt(
    c: &dyn Conn,
    sql: &str,
    params: &[SqlValue],
) -> Result<Option<Row>, DbError> {
    Ok(c.query(sql, params).await?.into_iter().next())
}

/// Exactly one row (a missing row is a bug in the query, not a client error).
pub(crate) async fn query_one(
    c: &dyn Conn,
    sql: &str,
    params: &[SqlValue],
) -> Result<Row, DbError> {
    query_opt(c, sql, params)
        .await?
        .ok_or_else(|| DbError::Query("expected one row, got none".into()))
}
