//! The native `Db`: a deadpool of `tokio-postgres` connections with per-connection statement
//! caches.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use powernode_api::db::{DbError, Row, SqlValue};
use powernode_api::maybe_async_trait;
use powernode_api::ports::{Conn, Db, Tx};
use tokio_postgres::NoTls;

use crate::{as_to_sql, classify, from_pg_rows, params};

/// How long a request waits for a free connection before the API answers 503.
const WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pool of connections to one database.
#[derive(Clone)]
pub struct PgPool {
    pool: Pool,
}

impl PgPool {
    /// A pool for `url` (`postgres://...`). Connections open lazily, so this succeeds while the
    /// database is down; requests then get 503 until it is back.
    pub fn new(url: &str, max_size: usize) -> Result<Self, DbError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| {
                DbError::Query(format!("invalid database URL: {e}"))
            })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("powernode");
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::Query(format!("pool: {e}")))?;
        Ok(Self { pool })
    }

    async fn client(&self) -> Result<Object, DbError> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))
    }
}

async fn query_on(client: &Object, sql: &str, values: &[SqlValue]) -> Result<Vec<Row>, DbError> {
    let statement = client.prepare_cached(sql).await.map_err(classify)?;
    let params = params(values);
    let rows = client
        .query(&statement, &as_to_sql(&params))
        .await
        .map_err(classify)?;
    from_pg_rows(&rows)
}

async fn execute_on(client: &Object, sql: &str, values: &[SqlValue]) -> Result<u64, DbError> {
    let statement = client.prepare_cached(sql).await.map_err(classify)?;
    let params = params(values);
    client
        .execute(&statement, &as_to_sql(&params))
        .await
        .map_err(classify)
}

maybe_async_trait! {
impl Conn for PgPool {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        query_on(&self.client().await?, sql, params).await
    }
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        execute_on(&self.client().await?, sql, params).await
    }
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        self.client().await?.batch_execute(sql).await.map_err(classify)
    }
}
}

maybe_async_trait! {
impl Db for PgPool {
    async fn begin(&self) -> Result<Box<dyn Tx>, DbError> {
        let client = self.client().await?;
        client.batch_execute("BEGIN").await.map_err(classify)?;
        Ok(Box::new(PgTx { client: Some(client) }))
    }
}
}

/// A transaction on one pooled connection.
struct PgTx {
    /// `None` once committed or rolled back.
    client: Option<Object>,
}

impl PgTx {
    fn client(&self) -> Result<&Object, DbError> {
        self.client
            .as_ref()
            .ok_or_else(|| DbError::Query("transaction already finished".into()))
    }

    async fn finish(mut self: Box<Self>, statement: &str) -> Result<(), DbError> {
        let client = self
            .client
            .take()
            .ok_or_else(|| DbError::Query("transaction already finished".into()))?;
        let result = client.batch_execute(statement).await.map_err(classify);
        if result.is_err() {
            // The connection's state is unknown; do not hand it to the next request.
            drop(Object::take(client));
        }
        result
    }
}

maybe_async_trait! {
impl Conn for PgTx {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        query_on(self.client()?, sql, params).await
    }
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        execute_on(self.client()?, sql, params).await
    }
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        self.client()?.batch_execute(sql).await.map_err(classify)
    }
}
}

maybe_async_trait! {
impl Tx for PgTx {
    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.finish("COMMIT").await
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.finish("ROLLBACK").await
    }
}
}

impl Drop for PgTx {
    fn drop(&mut self) {
        // Dropped mid-transaction (an early `?` return): there is no async drop to send ROLLBACK,
        // so the connection leaves the pool and closes; the server rolls the transaction back.
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}
