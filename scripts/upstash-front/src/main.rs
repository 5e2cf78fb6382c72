//! `upstash-front`: Upstash's Redis REST protocol in front of a real Redis, for tests and
//! local dev of the Workers build.
//!
//! The protocol, as Upstash documents it: `POST /` with a JSON array of command words answers
//! `{"result": ...}`; `POST /pipeline` with an array of commands answers an array of
//! `{"result"}`/`{"error"}` (not atomic); `POST /multi-exec` runs them in one MULTI/EXEC.
//! Every request needs `Authorization: Bearer <token>`; errors are `{"error": "..."}` with a
//! 4xx status (5xx when Redis is unreachable). `Upstash-Encoding: base64` base64-encodes
//! string results.
//!
//! Configuration (environment): `UPSTASH_FRONT_ADDR` (host:port to listen on),
//! `UPSTASH_FRONT_REDIS_URL`, `UPSTASH_FRONT_TOKEN`. Loopback use only: no TLS.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use redis::aio::{ConnectionLike as _, MultiplexedConnection};
use redis::{Pipeline, Value as RedisValue};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

struct Front {
    redis: MultiplexedConnection,
    token: String,
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name} is required"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = env("UPSTASH_FRONT_ADDR")?.parse()?;
    let client = redis::Client::open(env("UPSTASH_FRONT_REDIS_URL")?)?;
    let redis = client.get_multiplexed_async_connection().await?;
    let front = Arc::new(Front {
        redis,
        token: env("UPSTASH_FRONT_TOKEN")?,
    });
    let app = Router::new()
        .route("/", post(single))
        .route("/pipeline", post(pipeline))
        .route("/multi-exec", post(multi_exec))
        .fallback(not_found)
        .with_state(front);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("upstash-front listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// A failed request: the status and the `error` message.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        reply(self.0, &json!({ "error": self.1 }))
    }
}

fn reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found(uri: Uri) -> Failure {
    Failure(
        StatusCode::NOT_FOUND,
        format!(
            "{} is not served here: POST /, /pipeline or /multi-exec",
            uri.path()
        ),
    )
}

/// How string results are written.
#[derive(Clone, Copy)]
enum Encoding {
    Utf8,
    Base64,
}

/// Checks the token and reads the encoding.
fn admit(front: &Front, headers: &HeaderMap) -> Result<Encoding, Failure> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(front.token.as_bytes())) {
        return Err(Failure(StatusCode::UNAUTHORIZED, "Unauthorized".into()));
    }
    let base64 = headers
        .get("upstash-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("base64"));
    Ok(if base64 {
        Encoding::Base64
    } else {
        Encoding::Utf8
    })
}

fn bad(message: impl Into<String>) -> Failure {
    Failure(StatusCode::BAD_REQUEST, message.into())
}

/// One command: a non-empty array of strings, numbers or booleans.
fn command_of(value: &Value) -> Result<redis::Cmd, Failure> {
    let words = value
        .as_array()
        .filter(|w| !w.is_empty())
        .ok_or_else(|| bad("a command is a non-empty JSON array"))?;
    let mut cmd = redis::Cmd::new();
    for word in words {
        match word {
            Value::String(s) => cmd.arg(s.as_bytes()),
            Value::Number(n) => cmd.arg(n.to_string()),
            Value::Bool(b) => cmd.arg(if *b { "true" } else { "false" }),
            other => {
                return Err(bad(format!(
                    "a command word must be a string or number, got {other}"
                )));
            }
        };
    }
    Ok(cmd)
}

fn commands_of(body: &Bytes) -> Result<Vec<redis::Cmd>, Failure> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("malformed JSON: {e}")))?;
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| bad("a batch is a non-empty JSON array of commands"))?;
    list.iter().map(command_of).collect()
}

/// Sends `pipe` and returns the replies selected by `offset`/`count`, server errors kept as
/// values (`req_packed_commands` does not turn them into `Err` as `query_async` would).
async fn send(
    front: &Front,
    pipe: &Pipeline,
    offset: usize,
    count: usize,
) -> Result<Vec<RedisValue>, Failure> {
    let mut conn = front.redis.clone();
    conn.req_packed_commands(pipe, offset, count)
        .await
        .map_err(|e| {
            let status = if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::BAD_REQUEST
            };
            Failure(status, e.to_string())
        })
}

async fn single(
    State(front): State<Arc<Front>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let encoding = admit(&front, &headers)?;
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("malformed JSON: {e}")))?;
    let mut pipe = redis::pipe();
    pipe.add_command(command_of(&value)?);
    let mut replies = send(&front, &pipe, 0, 1).await?;
    let reply = replies.pop().unwrap_or(RedisValue::Nil);
    Ok(match outcome(reply, encoding) {
        Ok(result) => self::reply(StatusCode::OK, &json!({ "result": result })),
        Err(error) => self::reply(StatusCode::BAD_REQUEST, &json!({ "error": error })),
    })
}

async fn pipeline(
    State(front): State<Arc<Front>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let encoding = admit(&front, &headers)?;
    let commands = commands_of(&body)?;
    let n = commands.len();
    let mut pipe = redis::pipe();
    for c in commands {
        pipe.add_command(c);
    }
    let replies = send(&front, &pipe, 0, n).await?;
    Ok(reply(
        StatusCode::OK,
        &Value::Array(replies.into_iter().map(|r| item(r, encoding)).collect()),
    ))
}

async fn multi_exec(
    State(front): State<Arc<Front>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let encoding = admit(&front, &headers)?;
    let commands = commands_of(&body)?;
    let n = commands.len();
    let mut pipe = redis::pipe();
    pipe.atomic();
    for c in commands {
        pipe.add_command(c);
    }
    // MULTI, n QUEUED, EXEC: only EXEC's reply matters (an array, or an error when a command
    // was refused while queueing).
    let mut replies = send(&front, &pipe, n + 1, 1).await?;
    match replies.pop() {
        Some(RedisValue::Array(items)) => Ok(reply(
            StatusCode::OK,
            &Value::Array(items.into_iter().map(|r| item(r, encoding)).collect()),
        )),
        Some(RedisValue::ServerError(e)) => Err(bad(message(e.code(), e.details()))),
        other => Err(bad(format!("the transaction was aborted: {other:?}"))),
    }
}

fn item(reply: RedisValue, encoding: Encoding) -> Value {
    match outcome(reply, encoding) {
        Ok(result) => json!({ "result": result }),
        Err(error) => json!({ "error": error }),
    }
}

/// A reply as JSON, or the server's error message.
fn outcome(reply: RedisValue, encoding: Encoding) -> Result<Value, String> {
    match reply {
        RedisValue::ServerError(e) => Err(message(e.code(), e.details())),
        other => Ok(to_json(other, encoding)),
    }
}

/// Redis' own error line, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`.
fn message(code: &str, details: Option<&str>) -> String {
    match details {
        Some(details) => format!("{code} {details}"),
        None => code.to_string(),
    }
}

fn string(bytes: &[u8], encoding: Encoding) -> Value {
    Value::String(match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Base64 => STANDARD.encode(bytes),
    })
}

/// RESP to JSON as Upstash writes it: integers as numbers, strings as strings, nil as null,
/// maps flattened to `[k, v, ...]` (RESP2's shape).
fn to_json(reply: RedisValue, encoding: Encoding) -> Value {
    let all = |items: Vec<RedisValue>| {
        Value::Array(items.into_iter().map(|v| to_json(v, encoding)).collect())
    };
    match reply {
        RedisValue::Nil => Value::Null,
        RedisValue::Int(i) => json!(i),
        RedisValue::BulkString(b) => string(&b, encoding),
        RedisValue::SimpleString(s) => string(s.as_bytes(), encoding),
        RedisValue::Okay => string(b"OK", encoding),
        RedisValue::Array(items) | RedisValue::Set(items) => all(items),
        RedisValue::Map(pairs) => all(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        RedisValue::Attribute { data, .. } => to_json(*data, encoding),
        RedisValue::Double(d) => json!(d),
        RedisValue::Boolean(b) => json!(i64::from(b)),
        RedisValue::VerbatimString { text, .. } => string(text.as_bytes(), encoding),
        RedisValue::BigNumber(n) => Value::String(n.to_string()),
        RedisValue::Push { data, .. } => all(data),
        RedisValue::ServerError(e) => Value::String(message(e.code(), e.details())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_map_to_upstash_json() {
        let utf8 = Encoding::Utf8;
        assert_eq!(to_json(RedisValue::Nil, utf8), Value::Null);
        assert_eq!(to_json(RedisValue::Int(-2), utf8), json!(-2));
        assert_eq!(to_json(RedisValue::Okay, utf8), json!("OK"));
        assert_eq!(
            to_json(RedisValue::BulkString(b"v".to_vec()), utf8),
            json!("v")
        );
        assert_eq!(
            to_json(
                RedisValue::Array(vec![RedisValue::BulkString(b"a".to_vec()), RedisValue::Nil]),
                utf8
            ),
            json!(["a", null])
        );
        assert_eq!(
            to_json(
                RedisValue::Map(vec![(RedisValue::Int(1), RedisValue::Int(2))]),
                utf8
            ),
            json!([1, 2])
        );
        assert_eq!(
            to_json(RedisValue::BulkString(b"hi".to_vec()), Encoding::Base64),
            json!("aGk=")
        );
    }

    #[test]
    fn commands_must_be_non_empty_arrays_of_scalars() {
        assert!(command_of(&json!(["SET", "k", 1, true])).is_ok());
        for bad in [
            json!([]),
            json!("GET"),
            json!(["GET", {"k": 1}]),
            json!(["GET", null]),
        ] {
            assert!(command_of(&bad).is_err(), "{bad}");
        }
        assert!(commands_of(&Bytes::from_static(b"[]")).is_err());
        assert!(commands_of(&Bytes::from_static(b"not json")).is_err());
        assert!(commands_of(&Bytes::from_static(br#"[["PING"]]"#)).is_ok());
    }
}
