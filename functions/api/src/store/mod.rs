//! Data access: one module per table family, each function a named query from `src/sql/`
//! plus the mapping of its rows. Functions take `&dyn Conn`, so callers choose whether they run
//! inside a transaction.

pub mod accounts;
pub mod agents;
pub mod ai;
pub mod audit;
pub mod backups;
pub mod direct_uploads;
pub mod file_processing;
pub mod files;
pub mod knowledge;
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

    /// The name of a named query, given its SQL (for logs); `None` for inline SQL.
    pub fn name_of(sql: &str) -> Option<&'static str> {
        ALL.iter().find(|(_, s)| *s == sql).map(|(name, _)| *name)
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn named_queries_are_found_by_their_sql() {
        assert_eq!(
            super::sql::name_of(super::sql::JOBS_OVERDUE),
            Some("JobsOverdue")
        );
        assert_eq!(super::sql::name_of("SELECT 1"), None);
        assert!(super::sql::ALL.len() > 50, "every named query is listed");
    }
}
