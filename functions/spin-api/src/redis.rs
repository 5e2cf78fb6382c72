//! The `Cache` port over Spin's outbound Redis (`fermyon:spin/redis@2.0.0`).
//!
//! Every method goes through the one raw `execute` call, so replies decode in one place
//! ([`Reply`] helpers below) and tests can script a fake connection. Keys carry the same prefix
//! as the native `RedisCache`.
//!
//! Atomicity: where the native adapter wraps `SET NX EX` + `INCR` in MULTI/EXEC, this one runs a
//! Lua script (`EVAL`): one command, atomic on the server, one host call, and a flat list of
//! integers back (Spin's host flattens nested replies, so an EXEC reply would lose its shape).
//! `push_capped` is a script too, so it is atomic here where the native pipeline is not (a
//! stronger guarantee, same result). Reply shapes follow Spin's host (`factor-outbound-redis`,
//! `RedisResults`): nil kept as nil, `OK` as a status, bulk strings as binary.

use std::sync::OnceLock;

use powernode_api::maybe_async_trait;
use powernode_api::ports::{Cache, CacheError, MaybeSend, MaybeSync};
use spin_sdk::redis::{Error as RedisError, RedisParameter, RedisResult};

/// One open Redis connection: Spin's `Connection`, or a fake in tests.
pub trait RedisConn: MaybeSend + MaybeSync {
    /// Runs one command.
    fn execute(
        &self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, RedisError>;
}

/// Opens connections to the configured Redis.
pub trait RedisConnector: MaybeSend + MaybeSync {
    /// The connection type.
    type Conn: RedisConn;
    /// Opens one.
    fn open(&self) -> Result<Self::Conn, RedisError>;
}

/// `SET key 0 EX ttl NX` then `INCRBY key by` for every key, in one atomic step. ARGV[1] is the
/// TTL, ARGV[i + 1] the increment of KEYS[i].
pub const INCR_MANY_SCRIPT: &str = "local out = {}\n\
for i, key in ipairs(KEYS) do\n\
  redis.call('SET', key, 0, 'EX', ARGV[1], 'NX')\n\
  out[i] = redis.call('INCRBY', key, ARGV[i + 1])\n\
end\n\
return out";

/// `SET key value EX ttl NX` answering 1 if set and 0 if not. As a plain command the answer is
/// `OK` or nil, and Spin hosts have not always kept either in `execute`'s flattened reply (the
/// current one does); an integer survives every version.
pub const SET_NX_SCRIPT: &str = "if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then\n\
  return 1\n\
end\n\
return 0";

/// `LPUSH` each list's values one by one (so the last given ends up first, as one multi-value
/// LPUSH does) then `LTRIM key 0 stop`. ARGV[1] is `stop`; then per key: a count and the values.
pub const PUSH_CAPPED_SCRIPT: &str = "local at = 2\n\
for _, key in ipairs(KEYS) do\n\
  local n = tonumber(ARGV[at])\n\
  at = at + 1\n\
  for _ = 1, n do\n\
    redis.call('LPUSH', key, ARGV[at])\n\
    at = at + 1\n\
  end\n\
  redis.call('LTRIM', key, 0, ARGV[1])\n\
end\n\
return 0";

fn text(s: &str) -> RedisParameter {
    RedisParameter::Binary(s.as_bytes().to_vec())
}

fn int(i: i64) -> RedisParameter {
    RedisParameter::Int64(i)
}

fn uint(u: u64) -> RedisParameter {
    RedisParameter::Int64(i64::try_from(u).unwrap_or(i64::MAX))
}

fn usize_arg(u: usize) -> RedisParameter {
    RedisParameter::Int64(i64::try_from(u).unwrap_or(i64::MAX))
}

/// Classifies a Spin Redis error. Spin reports refused connections and server errors alike as
/// `other`; Redis' own errors start with an upper-case code (`ERR`, `WRONGTYPE`).
pub fn classify(e: RedisError) -> CacheError {
    match e {
        RedisError::InvalidAddress => CacheError::Protocol("invalid redis_url".into()),
        RedisError::TooManyConnections => CacheError::Unavailable("too many connections".into()),
        RedisError::TypeError => CacheError::Protocol("unexpected reply type".into()),
        RedisError::Other(why) => {
            let code = why.split_whitespace().next().unwrap_or_default();
            let server_error = code.len() > 1 && code.chars().all(|c| c.is_ascii_uppercase());
            if server_error || why.contains("WRONGTYPE") || why.contains("NOSCRIPT") {
                CacheError::Protocol(why)
            } else {
                CacheError::Unavailable(why)
            }
        }
    }
}

fn unexpected(what: &str, reply: &[RedisResult]) -> CacheError {
    CacheError::Protocol(format!("{what}: unexpected reply {reply:?}"))
}

fn utf8(bytes: Vec<u8>) -> Result<String, CacheError> {
    String::from_utf8(bytes).map_err(|e| CacheError::Protocol(format!("not UTF-8: {e}")))
}

/// A single optional string (`GET`): nil, or an empty list, is absent.
pub fn decode_optional_string(reply: Vec<RedisResult>) -> Result<Option<String>, CacheError> {
    match <[RedisResult; 1]>::try_from(reply) {
        Ok([RedisResult::Nil]) => Ok(None),
        Ok([RedisResult::Binary(b)]) => utf8(b).map(Some),
        Ok([RedisResult::Status(s)]) => Ok(Some(s)),
        Ok([RedisResult::Int64(i)]) => Ok(Some(i.to_string())),
        Err(reply) if reply.is_empty() => Ok(None),
        Err(reply) => Err(unexpected("a value", &reply)),
    }
}

/// A single integer (`TTL`, `DEL`).
pub fn decode_int(reply: Vec<RedisResult>) -> Result<i64, CacheError> {
    match reply.as_slice() {
        [RedisResult::Int64(i)] => Ok(*i),
        _ => Err(unexpected("an integer", &reply)),
    }
}

/// A plain `OK` (`SET`). An empty reply is accepted too: older Spin hosts dropped `OK` from
/// `execute`'s reply, and a failed SET is an error, never an empty answer.
pub fn decode_ok(reply: Vec<RedisResult>) -> Result<(), CacheError> {
    match reply.as_slice() {
        [] => Ok(()),
        [RedisResult::Status(s)] if s.eq_ignore_ascii_case("ok") => Ok(()),
        [RedisResult::Binary(b)] if b.eq_ignore_ascii_case(b"ok") => Ok(()),
        _ => Err(unexpected("SET", &reply)),
    }
}

/// `PING`: `PONG`.
pub fn decode_pong(reply: Vec<RedisResult>) -> Result<(), CacheError> {
    match reply.as_slice() {
        [RedisResult::Status(s)] if s.eq_ignore_ascii_case("pong") => Ok(()),
        [RedisResult::Binary(b)] if b.eq_ignore_ascii_case(b"pong") => Ok(()),
        _ => Err(unexpected("PING", &reply)),
    }
}

/// Exactly `n` integers (the counter script).
pub fn decode_ints(reply: Vec<RedisResult>, n: usize) -> Result<Vec<i64>, CacheError> {
    if reply.len() != n {
        return Err(unexpected(&format!("{n} integers"), &reply));
    }
    reply
        .iter()
        .map(|r| match r {
            RedisResult::Int64(i) => Ok(*i),
            _ => Err(unexpected("an integer", &reply)),
        })
        .collect()
}

/// Exactly `n` optional strings (`MGET`).
pub fn decode_optional_strings(
    reply: Vec<RedisResult>,
    n: usize,
) -> Result<Vec<Option<String>>, CacheError> {
    if reply.len() != n {
        return Err(unexpected(&format!("{n} values"), &reply));
    }
    reply
        .into_iter()
        .map(|r| match r {
            RedisResult::Nil => Ok(None),
            RedisResult::Binary(b) => utf8(b).map(Some),
            RedisResult::Status(s) => Ok(Some(s)),
            RedisResult::Int64(i) => Ok(Some(i.to_string())),
        })
        .collect()
}

/// A list of strings (`LRANGE`); nil elements cannot occur in a list.
pub fn decode_strings(reply: Vec<RedisResult>) -> Result<Vec<String>, CacheError> {
    reply
        .into_iter()
        .map(|r| match r {
            RedisResult::Binary(b) => utf8(b),
            RedisResult::Status(s) => Ok(s),
            other => Err(unexpected("a list element", &[other])),
        })
        .collect()
}

/// Redis with every key under a prefix; the connection opens on first use.
pub struct SpinCache<C: RedisConnector> {
    connector: C,
    conn: OnceLock<C::Conn>,
    prefix: String,
}

impl<C: RedisConnector> SpinCache<C> {
    /// A cache reached through `connector`; nothing is opened yet.
    pub fn new(connector: C, prefix: &str) -> Self {
        Self {
            connector,
            conn: OnceLock::new(),
            prefix: prefix.to_string(),
        }
    }

    fn key(&self, key: &str) -> RedisParameter {
        text(&format!("{}{key}", self.prefix))
    }

    fn run(&self, command: &str, args: &[RedisParameter]) -> Result<Vec<RedisResult>, CacheError> {
        let conn = match self.conn.get() {
            Some(conn) => conn,
            None => {
                let opened = self.connector.open().map_err(classify)?;
                self.conn.get_or_init(|| opened)
            }
        };
        conn.execute(command, args).map_err(classify)
    }

    /// `EVAL script numkeys keys... args...`.
    fn eval(
        &self,
        script: &str,
        keys: Vec<RedisParameter>,
        args: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, CacheError> {
        let mut all = Vec::with_capacity(2 + keys.len() + args.len());
        all.push(text(script));
        all.push(usize_arg(keys.len()));
        all.extend(keys);
        all.extend(args);
        self.run("EVAL", &all)
    }
}

maybe_async_trait! {
impl<C: RedisConnector> Cache for SpinCache<C> {
    async fn incr_with_ttl(&self, key: &str, ttl_seconds: u64) -> Result<i64, CacheError> {
        let values = self.incr_many_with_ttl(&[(key.to_string(), 1)], ttl_seconds).await?;
        values.first().copied().ok_or_else(|| CacheError::Protocol("no counter value".into()))
    }

    async fn set_nx_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<bool, CacheError> {
        let reply = self.eval(SET_NX_SCRIPT, vec![self.key(key)], vec![text(value), uint(ttl_seconds)])?;
        match decode_int(reply)? {
            1 => Ok(true),
            0 => Ok(false),
            other => Err(CacheError::Protocol(format!("SET NX script answered {other}"))),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        decode_optional_string(self.run("GET", &[self.key(key)])?)
    }

    async fn ttl(&self, key: &str) -> Result<Option<u64>, CacheError> {
        decode_int(self.run("TTL", &[self.key(key)])?).map(|t| u64::try_from(t).ok())
    }

    async fn del(&self, key: &str) -> Result<(), CacheError> {
        decode_int(self.run("DEL", &[self.key(key)])?).map(drop)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        decode_pong(self.run("PING", &[])?)
    }

    async fn incr_many_with_ttl(&self, counters: &[(String, i64)], ttl_seconds: u64) -> Result<Vec<i64>, CacheError> {
        if counters.is_empty() {
            return Ok(Vec::new());
        }
        let keys = counters.iter().map(|(k, _)| self.key(k)).collect();
        let args = std::iter::once(uint(ttl_seconds)).chain(counters.iter().map(|(_, by)| int(*by))).collect();
        decode_ints(self.eval(INCR_MANY_SCRIPT, keys, args)?, counters.len())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let args: Vec<_> = keys.iter().map(|k| self.key(k)).collect();
        decode_optional_strings(self.run("MGET", &args)?, keys.len())
    }

    async fn set_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), CacheError> {
        decode_ok(self.run("SET", &[self.key(key), text(value), text("EX"), uint(ttl_seconds)])?)
    }

    async fn push_capped(&self, lists: &[(String, Vec<String>)], keep: usize) -> Result<(), CacheError> {
        let lists: Vec<_> = lists.iter().filter(|(_, v)| !v.is_empty()).collect();
        if lists.is_empty() {
            return Ok(());
        }
        let keys = lists.iter().map(|(k, _)| self.key(k)).collect();
        // The same stop index as the native LTRIM, `keep - 1` saturating at 0.
        let mut args = vec![usize_arg(keep.saturating_sub(1))];
        for (_, values) in &lists {
            args.push(usize_arg(values.len()));
            args.extend(values.iter().map(|v| text(v)));
        }
        self.eval(PUSH_CAPPED_SCRIPT, keys, args).map(drop)
    }

    async fn list(&self, key: &str, limit: usize) -> Result<Vec<String>, CacheError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        decode_strings(self.run("LRANGE", &[self.key(key), int(0), usize_arg(limit - 1)])?)
    }

    async fn eval_ints(&self, script: &str, keys: &[String], args: &[String]) -> Result<Vec<i64>, CacheError> {
        let keys = keys.iter().map(|k| self.key(k)).collect();
        let args = args.iter().map(|a| text(a)).collect();
        decode_script_ints(self.eval(script, keys, args)?)
    }
}
}

/// A script's integers (Spin flattens an array reply; nil elements read as 0).
pub fn decode_script_ints(reply: Vec<RedisResult>) -> Result<Vec<i64>, CacheError> {
    reply
        .iter()
        .map(|r| match r {
            RedisResult::Int64(i) => Ok(*i),
            RedisResult::Nil => Ok(0),
            _ => Err(unexpected("integers", &reply)),
        })
        .collect()
}

/// Spin's own connection, opened from the `redis_url` variable.
#[cfg(target_arch = "wasm32")]
pub mod spin {
    use spin_sdk::redis::{Connection, Error, RedisParameter, RedisResult};

    /// Opens `spin_sdk::redis` connections to one address.
    pub struct SpinConnector {
        /// `redis_url`.
        pub address: String,
    }

    impl super::RedisConn for Connection {
        fn execute(
            &self,
            command: &str,
            args: &[RedisParameter],
        ) -> Result<Vec<RedisResult>, Error> {
            Connection::execute(self, command, args)
        }
    }

    impl super::RedisConnector for SpinConnector {
        type Conn = Connection;
        fn open(&self) -> Result<Connection, Error> {
            Connection::open(&self.address)
        }
    }
}
