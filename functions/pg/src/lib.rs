//! Postgres for the API's [`Db`](powernode_api::ports::Db) port, over `tokio-postgres`.
//!
//! `value` and `row` convert between the API's neutral values and Postgres' wire types, and
//! `error` classifies driver errors; they are shared by every runtime that speaks the Postgres
//! protocol itself (native, and Workers over its socket API). `pool` is the native `Db`.

pub mod error;
#[cfg(feature = "pool")]
pub mod listen;
#[cfg(feature = "pool")]
pub mod pool;
pub mod row;
pub mod value;

pub use error::classify;
pub use row::from_pg_rows;
pub use value::Param;

/// Borrows neutral values as `tokio-postgres` parameters.
pub fn params(values: &[powernode_api::db::SqlValue]) -> Vec<Param<'_>> {
    values.iter().map(Param).collect()
}

/// The parameter list in the form `tokio-postgres` takes.
pub fn as_to_sql<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn postgres_types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn postgres_types::ToSql + Sync))
        .collect()
}
