//! Ports for the `no-spin-imports` build: Postgres and Redis answer "unavailable" (503), so the
//! routes that need neither run for real under a plain WASI HTTP runtime.

use powernode_api::db::{DbError, Row, SqlValue};
use powernode_api::maybe_async_trait;
use powernode_api::ports::{Cache, CacheError, Conn, Db, Tx};

const WHY: &str = "this build has no Spin host interfaces (feature no-spin-imports)";

/// A database that is never there.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDb;

/// A cache that is never there.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

fn db() -> DbError {
    DbError::Unavailable(WHY.into())
}

fn cache() -> CacheError {
    CacheError::Unavailable(WHY.into())
}

maybe_async_trait! {
impl Conn for NoDb {
    async fn query(&self, _: &str, _: &[SqlValue]) -> Result<Vec<Row>, DbError> { Err(db()) }
    async fn execute(&self, _: &str, _: &[SqlValue]) -> Result<u64, DbError> { Err(db()) }
    async fn batch_execute(&self, _: &str) -> Result<(), DbError> { Err(db()) }
}
}

maybe_async_trait! {
impl Db for NoDb {
    async fn begin(&self) -> Result<Box<dyn Tx>, DbError> { Err(db()) }
}
}

maybe_async_trait! {
impl Cache for NoCache {
    async fn incr_with_ttl(&self, _: &str, _: u64) -> Result<i64, CacheError> { Err(cache()) }
    async fn set_nx_ex(&self, _: &str, _: &str, _: u64) -> Result<bool, CacheError> { Err(cache()) }
    async fn get(&self, _: &str) -> Result<Option<String>, CacheError> { Err(cache()) }
    async fn ttl(&self, _: &str) -> Result<Option<u64>, CacheError> { Err(cache()) }
    async fn del(&self, _: &str) -> Result<(), CacheError> { Err(cache()) }
    async fn ping(&self) -> Result<(), CacheError> { Err(cache()) }
    async fn incr_many_with_ttl(&self, _: &[(String, i64)], _: u64) -> Result<Vec<i64>, CacheError> {
        Err(cache())
    }
    async fn get_many(&self, _: &[String]) -> Result<Vec<Option<String>>, CacheError> { Err(cache()) }
    async fn set_ex(&self, _: &str, _: &str, _: u64) -> Result<(), CacheError> { Err(cache()) }
    async fn push_capped(&self, _: &[(String, Vec<String>)], _: usize) -> Result<(), CacheError> {
        Err(cache())
    }
    async fn list(&self, _: &str, _: usize) -> Result<Vec<String>, CacheError> { Err(cache()) }
    async fn eval_ints(&self, _: &str, _: &[String], _: &[String]) -> Result<Vec<i64>, CacheError> {
        Err(cache())
    }
}
}
