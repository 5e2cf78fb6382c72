//! The native `Cache`: Redis over one multiplexed connection.
//!
//! Reconnection is explicit: an outage error drops the connection, and the next call opens a
//! new one. Every call, connecting included, has a deadline, so a Redis outage costs a request
//! at most `CALL_DEADLINE` and a 503, and the platform is back as soon as Redis is. (redis'
//! `ConnectionManager` was tried first: after a restart of Redis its reconnect stalled for minutes.)

use std::future::Future;
use std::time::Duration;

use powernode_api::maybe_async_trait;
use powernode_api::ports::{Cache, CacheError};
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

/// The longest any cache call may take, connecting included.
const CALL_DEADLINE: Duration = Duration::from_secs(2);

/// Redis with every key under a prefix.
pub struct RedisCache {
    client: redis::Client,
    /// `None` until connected, and again after an outage error.
    conn: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
}

impl RedisCache {
    /// Connects once to check the address; later outages are recovered from by `call`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)
            .map_err(|e| CacheError::Protocol(format!("invalid REDIS_URL: {e}")))?;
        let cache = Self {
            client,
            conn: Mutex::new(None),
            prefix: prefix.to_string(),
        };
        cache.connection().await?;
        Ok(cache)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn connection(&self) -> Result<MultiplexedConnection, CacheError> {
        // Held while connecting, so an outage's burst of requests makes one attempt, not one each.
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(CALL_DEADLINE)
            .set_response_timeout(CALL_DEADLINE);
        let conn = bounded(
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    async fn call<T, F>(&self, f: impl FnOnce(MultiplexedConnection) -> F) -> Result<T, CacheError>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        let result = bounded(f(self.connection().await?)).await;
        if matches!(result, Err(CacheError::Unavailable(_))) {
            *self.conn.lock().await = None;
        }
        result
    }
}

async fn bounded<T>(call: impl Future<Output = redis::RedisResult<T>>) -> Result<T, CacheError> {
    match tokio::time::timeout(CALL_DEADLINE, call).await {
        Ok(result) => result.map_err(classify),
        Err(_) => Err(CacheError::Unavailable(format!(
            "no answer within {CALL_DEADLINE:?}"
        ))),
    }
}

fn classify(e: redis::RedisError) -> CacheError {
    if e.is_io_error()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_unrecoverable_error()
    {
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
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET").arg(&key).arg(0).arg("EX").arg(ttl_seconds).arg("NX")
            .cmd("INCR").arg(&key);
        let (_, value): (Option<String>, i64) = self.call(|mut c| async move { pipe.query_async(&mut c).await }).await?;
        Ok(value)
    }

    async fn set_nx_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<bool, CacheError> {
        let cmd = redis::cmd("SET").arg(self.key(key)).arg(value).arg("EX").arg(ttl_seconds).arg("NX").to_owned();
        let set: Option<String> = self.call(|mut c| async move { cmd.query_async(&mut c).await }).await?;
        Ok(set.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let cmd = redis::cmd("GET").arg(self.key(key)).to_owned();
        self.call(|mut c| async move { cmd.query_async(&mut c).await }).await
    }

    async fn ttl(&self, key: &str) -> Result<Option<u64>, CacheError> {
        let cmd = redis::cmd("TTL").arg(self.key(key)).to_owned();
        let ttl: i64 = self.call(|mut c| async move { cmd.query_async(&mut c).await }).await?;
        Ok(u64::try_from(ttl).ok())
    }

    async fn del(&self, key: &str) -> Result<(), CacheError> {
        let cmd = redis::cmd("DEL").arg(self.key(key)).to_owned();
        self.call(|mut c| async move { cmd.query_async::<i64>(&mut c).await }).await.map(drop)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.map(drop)
    }

    async fn incr_many_with_ttl(&self, counters: &[(String, i64)], ttl_seconds: u64) -> Result<Vec<i64>, CacheError> {
        if counters.is_empty() {
            return Ok(Vec::new());
        }
        // As in `incr_with_ttl`: each counter is created with its expiry inside one MULTI.
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (key, by) in counters {
            let key = self.key(key);
            pipe.cmd("SET").arg(&key).arg(0).arg("EX").arg(ttl_seconds).arg("NX").ignore()
                .cmd("INCRBY").arg(&key).arg(*by);
        }
        self.call(|mut c| async move { pipe.query_async(&mut c).await }).await
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        for key in keys {
            cmd.arg(self.key(key));
        }
        self.call(|mut c| async move { cmd.query_async(&mut c).await }).await
    }

    async fn set_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), CacheError> {
        let cmd = redis::cmd("SET").arg(self.key(key)).arg(value).arg("EX").arg(ttl_seconds).to_owned();
        self.call(|mut c| async move { cmd.query_async::<String>(&mut c).await }).await.map(drop)
    }

    async fn push_capped(&self, lists: &[(String, Vec<String>)], keep: usize) -> Result<(), CacheError> {
        if lists.iter().all(|(_, v)| v.is_empty()) {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (key, values) in lists.iter().filter(|(_, v)| !v.is_empty()) {
            let key = self.key(key);
            pipe.cmd("LPUSH").arg(&key).arg(values).ignore()
                .cmd("LTRIM").arg(&key).arg(0).arg(keep.saturating_sub(1)).ignore();
        }
        self.call(|mut c| async move { pipe.query_async::<()>(&mut c).await }).await
    }

    async fn list(&self, key: &str, limit: usize) -> Result<Vec<String>, CacheError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let cmd = redis::cmd("LRANGE").arg(self.key(key)).arg(0).arg(limit - 1).to_owned();
        self.call(|mut c| async move { cmd.query_async(&mut c).await }).await
    }

    async fn eval_ints(&self, script: &str, keys: &[String], args: &[String]) -> Result<Vec<i64>, CacheError> {
        // EVALSHA first, EVAL on NOSCRIPT: the script's text crosses the wire once per server.
        let script = redis::Script::new(script);
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(self.key(key));
        }
        for arg in args {
            invocation.arg(arg);
        }
        let reply: redis::Value = self
            .call(|mut c| async move { invocation.invoke_async(&mut c).await })
            .await?;
        script_ints(reply)
    }
}
}

/// A script's integer or array of integers (nil elements read as 0).
fn script_ints(reply: redis::Value) -> Result<Vec<i64>, CacheError> {
    let one = |v: &redis::Value| match v {
        redis::Value::Int(i) => Ok(*i),
        redis::Value::Nil => Ok(0),
        other => Err(CacheError::Protocol(format!("script answered {other:?}"))),
    };
    match &reply {
        redis::Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|i| vec![i]),
    }
}
