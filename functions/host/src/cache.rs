//! The native `Cache`: Redis through a reconnecting connection manager.

use std::time::Duration;

use powernode_api::maybe_async_trait;
use powernode_api::ports::{Cache, CacheError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Redis with every key under a prefix.
#[derive(Clone)]
pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisCache {
    /// Connects (the manager reconnects by itself after an outage).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)
            .map_err(|e| CacheError::Protocol(format!("invalid REDIS_URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(classify)?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn classify(e: redis::RedisError) -> CacheError {
    if e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped() {
        CacheError::Unavailable(e.to_string())
    } else {
        CacheError::Protocol(e.to_string())
    }
}

maybe_async_trait! {
impl Cache for RedisCache {
    async fn incr_with_ttl(&self, key: &str, ttl_seconds: u64) -> Result<i64, CacheError> {
        let key = self.key(key);
        // SET NX EX then INCR in one MULTI: the counter never exists without its expiry, even if
        // this process dies between the two.
        let (_, value): (Option<String>, i64) = redis::pipe()
            .atomic()
            .cmd("SET").arg(&key).arg(0).arg("EX").arg(ttl_seconds).arg("NX")
            .cmd("INCR").arg(&key)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(classify)?;
        Ok(value)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        redis::cmd("GET").arg(self.key(key)).query_async(&mut self.conn.clone()).await.map_err(classify)
    }

    async fn ttl(&self, key: &str) -> Result<Option<u64>, CacheError> {
        let ttl: i64 = redis::cmd("TTL").arg(self.key(key)).query_async(&mut self.conn.clone()).await.map_err(classify)?;
        Ok(u64::try_from(ttl).ok())
    }

    async fn del(&self, key: &str) -> Result<(), CacheError> {
        redis::cmd("DEL").arg(self.key(key)).query_async::<i64>(&mut self.conn.clone()).await.map_err(classify).map(drop)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        redis::cmd("PING").query_async::<String>(&mut self.conn.clone()).await.map_err(classify).map(drop)
    }
}
}
