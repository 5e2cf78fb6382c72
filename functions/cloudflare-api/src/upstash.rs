//! The `Cache` port over Upstash's Redis REST protocol.
//!
//! The protocol: POST a JSON array of command words to `/` (one command), `/pipeline` (an array
//! of commands, answered one by one, not atomically) or `/multi-exec` (an array of commands run
//! in one MULTI/EXEC), with `Authorization: Bearer <token>`. A command answers
//! `{"result": <value>}` or `{"error": "<message>"}`; integers come as JSON numbers, bulk
//! strings as JSON strings, nil as `null`.
//!
//! Everything here but the HTTP call itself is platform-neutral, so the command encoding and
//! reply decoding are unit-tested natively; the Worker plugs in a `worker::Fetch` transport.
//! Each method sends what the native `RedisCache` sends, so both runtimes share one key layout.

use powernode_api::maybe_async_trait;
use powernode_api::ports::{Cache, CacheError, MaybeSend, MaybeSync};
use serde_json::Value;

/// What the transport got back: the HTTP status and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

maybe_async_trait! {
/// One HTTP POST to the Upstash endpoint. Implementations add the base URL and the token and
/// map a failure to reach the server (or a timeout) to `CacheError::Unavailable`.
pub trait Transport: MaybeSend + MaybeSync {
    /// POSTs `body` (JSON) to `path` (`/`, `/pipeline` or `/multi-exec`).
    async fn post(&self, path: &str, body: String) -> Result<HttpReply, CacheError>;
}
}

/// A Redis command as words.
pub type Command = Vec<String>;

/// Builds a command from anything displayable (keys, values, numbers).
macro_rules! cmd {
    ($($word:expr),+ $(,)?) => { vec![$($word.to_string()),+] };
}

/// Redis behind Upstash's REST protocol, with every key under a prefix.
pub struct UpstashCache<T> {
    transport: T,
    prefix: String,
}

impl<T: Transport> UpstashCache<T> {
    /// A cache whose keys all start with `prefix`.
    pub fn new(transport: T, prefix: &str) -> Self {
        Self {
            transport,
            prefix: prefix.to_string(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// One command on `/`.
    async fn command(&self, command: Command) -> Result<Value, CacheError> {
        let body = encode(&command)?;
        let reply = self.transport.post("/", body).await?;
        decode_result(&parse_body(&reply)?)
    }

    /// Several commands on `/pipeline` (one round trip, not atomic).
    async fn pipeline(&self, commands: Vec<Command>) -> Result<Vec<Value>, CacheError> {
        self.batch("/pipeline", commands).await
    }

    /// Several commands on `/multi-exec` (one round trip, atomic).
    async fn multi_exec(&self, commands: Vec<Command>) -> Result<Vec<Value>, CacheError> {
        self.batch("/multi-exec", commands).await
    }

    async fn batch(&self, path: &str, commands: Vec<Command>) -> Result<Vec<Value>, CacheError> {
        let expected = commands.len();
        let body = encode(&commands)?;
        let reply = self.transport.post(path, body).await?;
        let results = decode_batch(&parse_body(&reply)?)?;
        if results.len() != expected {
            return Err(CacheError::Protocol(format!(
                "{path} answered {} results for {expected} commands",
                results.len()
            )));
        }
        Ok(results)
    }
}

fn encode<V: serde::Serialize + ?Sized>(value: &V) -> Result<String, CacheError> {
    serde_json::to_string(value).map_err(|e| CacheError::Protocol(format!("encode: {e}")))
}

/// Checks the HTTP status and parses the JSON body. An error body (`{"error": ...}`) is
/// returned as-is for the callers to report; only transport-level failures are decided here.
pub fn parse_body(reply: &HttpReply) -> Result<Value, CacheError> {
    // 5xx: the REST front or Redis behind it is down or overloaded, as an outage natively is.
    if reply.status >= 500 {
        return Err(CacheError::Unavailable(format!(
            "Upstash answered HTTP {}",
            reply.status
        )));
    }
    let value: Value = serde_json::from_slice(&reply.body).map_err(|e| {
        CacheError::Protocol(format!("HTTP {}: body is not JSON: {e}", reply.status))
    })?;
    if reply.status >= 400 && error_of(&value).is_none() {
        return Err(CacheError::Protocol(format!(
            "Upstash answered HTTP {}",
            reply.status
        )));
    }
    Ok(value)
}

fn error_of(value: &Value) -> Option<&str> {
    value.get("error").and_then(Value::as_str)
}

/// `{"result": v}` gives `v`; `{"error": e}` gives a protocol error.
pub fn decode_result(value: &Value) -> Result<Value, CacheError> {
    if let Some(e) = error_of(value) {
        return Err(CacheError::Protocol(e.to_string()));
    }
    value
        .get("result")
        .cloned()
        .ok_or_else(|| CacheError::Protocol(format!("reply without result: {value}")))
}

/// A batch answer: an array of `{"result"}`/`{"error"}`, or one `{"error"}` for the whole
/// batch (a MULTI that was aborted). Any failed command fails the call, as a failed command in
/// a native pipeline does.
pub fn decode_batch(value: &Value) -> Result<Vec<Value>, CacheError> {
    match value {
        Value::Array(items) => items.iter().map(decode_result).collect(),
        other => match error_of(other) {
            Some(e) => Err(CacheError::Protocol(e.to_string())),
            None => Err(CacheError::Protocol(format!(
                "batch reply is not an array: {other}"
            ))),
        },
    }
}

fn as_i64(value: &Value) -> Result<i64, CacheError> {
    match value {
        Value::Number(n) => n.as_i64(),
        // Some Upstash deployments send every value as a string; accept a numeric one.
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| CacheError::Protocol(format!("expected an integer, got {value}")))
}

fn as_opt_string(value: &Value) -> Result<Option<String>, CacheError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(CacheError::Protocol(format!(
            "expected a string, got {other}"
        ))),
    }
}

fn as_array(value: &Value) -> Result<&Vec<Value>, CacheError> {
    value
        .as_array()
        .ok_or_else(|| CacheError::Protocol(format!("expected an array, got {value}")))
}

maybe_async_trait! {
impl<T: Transport> Cache for UpstashCache<T> {
    async fn incr_with_ttl(&self, key: &str, ttl_seconds: u64) -> Result<i64, CacheError> {
        let key = self.key(key);
        // SET NX EX then INCR in one MULTI, as natively: the counter never lacks its expiry.
        let results = self
            .multi_exec(vec![cmd!("SET", key, 0, "EX", ttl_seconds, "NX"), cmd!("INCR", key)])
            .await?;
        as_i64(&results[1])
    }

    async fn set_nx_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<bool, CacheError> {
        let result = self
            .command(cmd!("SET", self.key(key), value, "EX", ttl_seconds, "NX"))
            .await?;
        Ok(!result.is_null())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        as_opt_string(&self.command(cmd!("GET", self.key(key))).await?)
    }

    async fn ttl(&self, key: &str) -> Result<Option<u64>, CacheError> {
        // -2 (absent) and -1 (no expiry) become None.
        let ttl = as_i64(&self.command(cmd!("TTL", self.key(key))).await?)?;
        Ok(u64::try_from(ttl).ok())
    }

    async fn del(&self, key: &str) -> Result<(), CacheError> {
        as_i64(&self.command(cmd!("DEL", self.key(key))).await?).map(drop)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.command(cmd!("PING")).await.map(drop)
    }

    async fn incr_many_with_ttl(&self, counters: &[(String, i64)], ttl_seconds: u64) -> Result<Vec<i64>, CacheError> {
        if counters.is_empty() {
            return Ok(Vec::new());
        }
        let mut commands = Vec::with_capacity(counters.len() * 2);
        for (key, by) in counters {
            let key = self.key(key);
            commands.push(cmd!("SET", key, 0, "EX", ttl_seconds, "NX"));
            commands.push(cmd!("INCRBY", key, by));
        }
        let results = self.multi_exec(commands).await?;
        // Every second answer is an INCRBY; the SETs' answers are ignored as natively.
        results.iter().skip(1).step_by(2).map(as_i64).collect()
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut command = cmd!("MGET");
        command.extend(keys.iter().map(|k| self.key(k)));
        let result = self.command(command).await?;
        let values = as_array(&result)?;
        if values.len() != keys.len() {
            return Err(CacheError::Protocol(format!(
                "MGET answered {} values for {} keys",
                values.len(),
                keys.len()
            )));
        }
        values.iter().map(as_opt_string).collect()
    }

    async fn set_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), CacheError> {
        self.command(cmd!("SET", self.key(key), value, "EX", ttl_seconds)).await.map(drop)
    }

    async fn push_capped(&self, lists: &[(String, Vec<String>)], keep: usize) -> Result<(), CacheError> {
        let mut commands = Vec::new();
        for (key, values) in lists.iter().filter(|(_, v)| !v.is_empty()) {
            let key = self.key(key);
            let mut push = cmd!("LPUSH", key);
            push.extend(values.iter().cloned());
            commands.push(push);
            commands.push(cmd!("LTRIM", key, 0, keep.saturating_sub(1)));
        }
        if commands.is_empty() {
            return Ok(());
        }
        self.pipeline(commands).await.map(drop)
    }

    async fn list(&self, key: &str, limit: usize) -> Result<Vec<String>, CacheError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let result = self.command(cmd!("LRANGE", self.key(key), 0, limit - 1)).await?;
        as_array(&result)?
            .iter()
            .map(|v| as_opt_string(v).map(Option::unwrap_or_default))
            .collect()
    }

    async fn eval_ints(&self, script: &str, keys: &[String], args: &[String]) -> Result<Vec<i64>, CacheError> {
        let mut command = cmd!("EVAL", script, keys.len());
        command.extend(keys.iter().map(|k| self.key(k)));
        command.extend(args.iter().cloned());
        let result = self.command(command).await?;
        match &result {
            Value::Array(items) => items
                .iter()
                .map(|v| if v.is_null() { Ok(0) } else { as_i64(v) })
                .collect(),
            other => as_i64(other).map(|i| vec![i]),
        }
    }
}
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;

    /// Records each POST and answers from a queue of canned replies.
    #[derive(Default)]
    struct Canned {
        sent: Mutex<Vec<(String, Value)>>,
        replies: Mutex<Vec<HttpReply>>,
    }

    impl Canned {
        fn answering(replies: Vec<(u16, Value)>) -> Self {
            Self {
                sent: Mutex::default(),
                replies: Mutex::new(
                    replies
                        .into_iter()
                        .rev()
                        .map(|(status, body)| HttpReply {
                            status,
                            body: body.to_string().into_bytes(),
                        })
                        .collect(),
                ),
            }
        }
    }

    maybe_async_trait! {
    impl Transport for &Canned {
        async fn post(&self, path: &str, body: String) -> Result<HttpReply, CacheError> {
            let parsed: Value = serde_json::from_str(&body).expect("the client sends JSON");
            self.sent.lock().expect("lock").push((path.to_string(), parsed));
            self.replies
                .lock()
                .expect("lock")
                .pop()
                .ok_or_else(|| CacheError::Unavailable("no canned reply".into()))
        }
    }
    }

    fn sent(canned: &Canned) -> Vec<(String, Value)> {
        canned.sent.lock().expect("lock").clone()
    }

    #[tokio::test]
    async fn incr_with_ttl_sets_the_expiry_and_increments_in_one_multi() {
        let canned = Canned::answering(vec![(200, json!([{"result": "OK"}, {"result": 1}]))]);
        let cache = UpstashCache::new(&canned, "pn:");
        assert_eq!(cache.incr_with_ttl("login:a", 900).await, Ok(1));
        assert_eq!(
            sent(&canned),
            vec![(
                "/multi-exec".to_string(),
                json!([
                    ["SET", "pn:login:a", "0", "EX", "900", "NX"],
                    ["INCR", "pn:login:a"]
                ])
            )]
        );
    }

    #[tokio::test]
    async fn single_commands_decode_their_results() {
        let canned = Canned::answering(vec![
            (200, json!({"result": null})),
            (200, json!({"result": "OK"})),
            (200, json!({"result": "v"})),
            (200, json!({"result": null})),
            (200, json!({"result": -2})),
            (200, json!({"result": 42})),
            (200, json!({"result": 1})),
            (200, json!({"result": "PONG"})),
            (200, json!({"result": "OK"})),
            (200, json!({"result": ["b", "a"]})),
        ]);
        let cache = UpstashCache::new(&canned, "p:");
        assert_eq!(cache.set_nx_ex("k", "v", 5).await, Ok(false));
        assert_eq!(cache.set_nx_ex("k", "v", 5).await, Ok(true));
        assert_eq!(cache.get("k").await, Ok(Some("v".into())));
        assert_eq!(cache.get("k").await, Ok(None));
        assert_eq!(cache.ttl("k").await, Ok(None));
        assert_eq!(cache.ttl("k").await, Ok(Some(42)));
        assert_eq!(cache.del("k").await, Ok(()));
        assert_eq!(cache.ping().await, Ok(()));
        assert_eq!(cache.set_ex("k", "v", 7).await, Ok(()));
        assert_eq!(cache.list("l", 2).await, Ok(vec!["b".into(), "a".into()]));
        let words: Vec<Value> = sent(&canned).into_iter().map(|(_, v)| v).collect();
        assert_eq!(words[0], json!(["SET", "p:k", "v", "EX", "5", "NX"]));
        assert_eq!(words[4], json!(["TTL", "p:k"]));
        assert_eq!(words[8], json!(["SET", "p:k", "v", "EX", "7"]));
        assert_eq!(words[9], json!(["LRANGE", "p:l", "0", "1"]));
    }

    #[tokio::test]
    async fn batched_calls_send_one_request_each() {
        let canned = Canned::answering(vec![
            (
                200,
                json!([{"result": "OK"}, {"result": 3}, {"result": null}, {"result": 5}]),
            ),
            (200, json!({"result": ["1", null]})),
            (200, json!([{"result": 2}, {"result": "OK"}])),
        ]);
        let cache = UpstashCache::new(&canned, "p:");
        let counters = vec![("a".to_string(), 3), ("b".to_string(), 5)];
        assert_eq!(
            cache.incr_many_with_ttl(&counters, 60).await,
            Ok(vec![3, 5])
        );
        assert_eq!(
            cache.get_many(&["a".into(), "b".into()]).await,
            Ok(vec![Some("1".into()), None])
        );
        let lists = vec![
            ("l".to_string(), vec!["x".to_string(), "y".to_string()]),
            ("empty".to_string(), vec![]),
        ];
        assert_eq!(cache.push_capped(&lists, 20).await, Ok(()));
        let sent = sent(&canned);
        assert_eq!(sent[0].0, "/multi-exec");
        assert_eq!(sent[0].1[3], json!(["INCRBY", "p:b", "5"]));
        assert_eq!(sent[1], ("/".into(), json!(["MGET", "p:a", "p:b"])));
        assert_eq!(
            sent[2],
            (
                "/pipeline".into(),
                json!([["LPUSH", "p:l", "x", "y"], ["LTRIM", "p:l", "0", "19"]])
            )
        );
    }

    #[tokio::test]
    async fn empty_batches_make_no_request() {
        let canned = Canned::answering(vec![]);
        let cache = UpstashCache::new(&canned, "p:");
        assert_eq!(cache.incr_many_with_ttl(&[], 60).await, Ok(vec![]));
        assert_eq!(cache.get_many(&[]).await, Ok(vec![]));
        assert_eq!(cache.push_capped(&[("l".into(), vec![])], 5).await, Ok(()));
        assert_eq!(cache.list("l", 0).await, Ok(vec![]));
        assert!(sent(&canned).is_empty());
    }

    #[tokio::test]
    async fn errors_are_classified() {
        let canned = Canned::answering(vec![
            (400, json!({"error": "ERR wrong number of arguments"})),
            (401, json!({"error": "Unauthorized"})),
            (503, json!({"error": "down"})),
            (200, json!([{"result": "OK"}, {"error": "WRONGTYPE"}])),
            (200, json!({"error": "EXECABORT"})),
            (200, json!({"result": "not a number"})),
        ]);
        let cache = UpstashCache::new(&canned, "p:");
        assert!(
            matches!(cache.get("k").await, Err(CacheError::Protocol(e)) if e.contains("wrong number"))
        );
        assert!(
            matches!(cache.get("k").await, Err(CacheError::Protocol(e)) if e == "Unauthorized")
        );
        assert!(matches!(
            cache.get("k").await,
            Err(CacheError::Unavailable(_))
        ));
        assert!(
            matches!(cache.incr_with_ttl("k", 1).await, Err(CacheError::Protocol(e)) if e == "WRONGTYPE")
        );
        assert!(
            matches!(cache.incr_with_ttl("k", 1).await, Err(CacheError::Protocol(e)) if e == "EXECABORT")
        );
        assert!(matches!(cache.ttl("k").await, Err(CacheError::Protocol(_))));
        // The transport's own failure passes through unchanged.
        assert!(matches!(
            cache.ping().await,
            Err(CacheError::Unavailable(_))
        ));
    }

    #[test]
    fn a_body_that_is_not_json_is_a_protocol_error() {
        let reply = HttpReply {
            status: 200,
            body: b"not json".to_vec(),
        };
        assert!(matches!(parse_body(&reply), Err(CacheError::Protocol(_))));
    }
}
