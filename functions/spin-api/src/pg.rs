//! The `Db` port over Spin's outbound Postgres (`spin:postgres/postgres@4.0.0`).
//!
//! Spin's host binds each parameter with the Rust type its WIT variant names (an `int64` is an
//! `i64`, a `datetime` a `NaiveDateTime`), and tokio-postgres on the host refuses a Rust type that
//! does not match the type Postgres inferred for the placeholder. Natively `functions/pg` picks
//! the encoding from the inferred type instead, so the core's SQL (`$6::int`, `$2::timestamptz`,
//! `$1::uuid[]`) relies on that. To keep the same SQL working, [`bind`] sends every value as a
//! variant the host accepts and rewrites its placeholders with a cast that makes Postgres infer
//! exactly that type (`$6` becomes `($6::int8)`, so `$6::int` still narrows on the server).
//!
//! Each request opens one connection lazily; each transaction opens its own, so statements run
//! on the `Db` while a transaction is open never join it (as with the native pool).

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use powernode_api::db::{DbError, Row, SqlValue};
use powernode_api::maybe_async_trait;
use powernode_api::ports::{Conn, Db, MaybeSend, MaybeSync, Tx};
use spin_sdk::pg4::{DbDataType, DbValue, ParameterValue, PgError, QueryError, RowSet};
use uuid::Uuid;

/// One open Postgres connection: Spin's `Connection`, or a fake in tests.
// The error is Spin's own type, returned as Spin's calls return it; boxing it here would only
// move the allocation into every call.
#[allow(clippy::result_large_err)]
pub trait PgConn: MaybeSend + MaybeSync {
    /// Runs a statement and returns its rows.
    fn query(&self, sql: &str, params: &[ParameterValue]) -> Result<RowSet, PgError>;
    /// Runs a statement and returns the rows it changed.
    fn execute(&self, sql: &str, params: &[ParameterValue]) -> Result<u64, PgError>;
}

/// Opens connections to the configured database.
#[allow(clippy::result_large_err)]
pub trait PgConnector: MaybeSend + MaybeSync {
    /// The connection type.
    type Conn: PgConn + 'static;
    /// Opens one.
    fn open(&self) -> Result<Self::Conn, PgError>;
}

/// The cast a placeholder gets so Postgres infers the type the host binds.
fn cast_for(value: &SqlValue) -> Option<&'static str> {
    match value {
        SqlValue::Int(_) => Some("int8"),
        SqlValue::Float(_) => Some("float8"),
        // The host binds `datetime` as a zoneless NaiveDateTime, which timestamptz refuses, and
        // `timestamp` only in whole seconds; text keeps microseconds and the offset.
        SqlValue::Timestamp(_) => Some("text::timestamptz"),
        // WIT has no uuid array; a text array cast on the server is exact.
        SqlValue::UuidArray(_) => Some("text[]::uuid[]"),
        // Nor a vector: pgvector reads its text form (`[1,2.5]`) exactly.
        SqlValue::Vector(_) => Some("text::vector"),
        _ => None,
    }
}

/// A neutral value as the parameter Spin's host can bind.
pub fn to_parameter(value: &SqlValue) -> Result<ParameterValue, DbError> {
    Ok(match value {
        SqlValue::Null => ParameterValue::DbNull,
        SqlValue::Bool(b) => ParameterValue::Boolean(*b),
        SqlValue::Int(i) => ParameterValue::Int64(*i),
        SqlValue::Float(f) => ParameterValue::Floating64(*f),
        SqlValue::Text(s) => ParameterValue::Str(s.clone()),
        SqlValue::Bytes(b) => ParameterValue::Binary(b.clone()),
        SqlValue::Uuid(u) => ParameterValue::Uuid(u.to_string()),
        SqlValue::Timestamp(t) => {
            ParameterValue::Str(t.to_rfc3339_opts(SecondsFormat::Micros, true))
        }
        SqlValue::Json(j) => ParameterValue::Jsonb(
            serde_json::to_vec(j).map_err(|e| DbError::Query(format!("encode jsonb: {e}")))?,
        ),
        SqlValue::TextArray(a) => ParameterValue::ArrayStr(a.iter().cloned().map(Some).collect()),
        SqlValue::UuidArray(a) => {
            ParameterValue::ArrayStr(a.iter().map(|u| Some(u.to_string())).collect())
        }
        SqlValue::Vector(v) => ParameterValue::Str(vector_text(v)),
    })
}

/// pgvector's text form of `v`: `[1,2.5]`. Rust prints the shortest text that reads back as
/// the same `f32`, so nothing is lost.
fn vector_text(v: &[f32]) -> String {
    let mut out = String::with_capacity(2 + v.len() * 10);
    out.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&x.to_string());
    }
    out.push(']');
    out
}

/// The statement and parameters to send for `sql` with `params`.
pub fn bind(sql: &str, params: &[SqlValue]) -> Result<(String, Vec<ParameterValue>), DbError> {
    let casts: Vec<Option<&str>> = params.iter().map(cast_for).collect();
    let values = params.iter().map(to_parameter).collect::<Result<_, _>>()?;
    Ok((rewrite_placeholders(sql, &casts), values))
}

/// Replaces `$n` with `($n::cast)` where `casts[n - 1]` names one, leaving string literals,
/// quoted identifiers, comments and dollar-quoted bodies alone.
pub fn rewrite_placeholders(sql: &str, casts: &[Option<&str>]) -> String {
    if casts.iter().all(Option::is_none) {
        return sql.to_string();
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16 * casts.len());
    let mut i = 0;
    // Copies sql[from..to] verbatim; the indexes always sit on ASCII bytes, so on char bounds.
    let copy = |out: &mut String, from: usize, to: usize| out.push_str(&sql[from..to]);
    while i < bytes.len() {
        let start = i;
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        // A doubled quote is an escaped quote, not the end.
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                copy(&mut out, start, i);
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                copy(&mut out, start, i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                copy(&mut out, start, i);
            }
            b'$' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                // `a$1` is an identifier (Postgres allows `$` inside names), not a placeholder.
                let in_identifier = start > 0
                    && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
                if digits > 0 && !in_identifier {
                    i += 1 + digits;
                    let placeholder = &sql[start..i];
                    let cast = sql[start + 1..i]
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| n.checked_sub(1))
                        .and_then(|n| casts.get(n).copied().flatten());
                    match cast {
                        Some(cast) => {
                            out.push('(');
                            out.push_str(placeholder);
                            out.push_str("::");
                            out.push_str(cast);
                            out.push(')');
                        }
                        None => out.push_str(placeholder),
                    }
                } else if let Some(tag_len) = dollar_tag_len(&bytes[i..]) {
                    // `$tag$ ... $tag$`: skip to the closing tag.
                    let tag = &sql[i..i + tag_len];
                    let body = i + tag_len;
                    i = sql[body..]
                        .find(tag)
                        .map_or(bytes.len(), |n| body + n + tag_len);
                    copy(&mut out, start, i);
                } else {
                    i += 1;
                    copy(&mut out, start, i);
                }
            }
            _ => {
                // Copy a run of ordinary bytes at once (multi-byte UTF-8 stays whole).
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'\'' | b'"' | b'-' | b'/' | b'$') {
                    i += 1;
                }
                copy(&mut out, start, i);
            }
        }
    }
    out
}

/// The length of a dollar-quote opening tag (`$$` or `$name$`) at the start of `b`, if any.
fn dollar_tag_len(b: &[u8]) -> Option<usize> {
    let name = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    let starts_ok = name == 0 || !b[1].is_ascii_digit();
    (starts_ok && b.get(1 + name) == Some(&b'$')).then_some(name + 2)
}

/// Converts a result set into neutral rows, sharing one column list.
pub fn from_row_set(set: RowSet) -> Result<Vec<Row>, DbError> {
    let columns: Arc<[String]> = set.columns.iter().map(|c| c.name.clone()).collect();
    set.rows
        .into_iter()
        .map(|row| {
            let values = row
                .into_iter()
                .enumerate()
                .map(|(idx, value)| {
                    let column = set.columns.get(idx);
                    let name = column.map_or("?", |c| c.name.as_str());
                    decode(value, column.map(|c| &c.data_type))
                        .map_err(|why| DbError::Decode(format!("column `{name}`: {why}")))
                })
                .collect::<Result<_, _>>()?;
            Ok(Row::new(columns.clone(), values))
        })
        .collect()
}

/// One column value, as `functions/pg` decodes the same Postgres type.
pub fn decode(value: DbValue, ty: Option<&DbDataType>) -> Result<SqlValue, String> {
    Ok(match value {
        DbValue::DbNull => SqlValue::Null,
        DbValue::Boolean(b) => SqlValue::Bool(b),
        DbValue::Int8(i) => SqlValue::Int(i.into()),
        DbValue::Int16(i) => SqlValue::Int(i.into()),
        DbValue::Int32(i) => SqlValue::Int(i.into()),
        DbValue::Int64(i) => SqlValue::Int(i),
        DbValue::Floating32(f) => SqlValue::Float(f.into()),
        DbValue::Floating64(f) => SqlValue::Float(f),
        DbValue::Str(s) => SqlValue::Text(s),
        DbValue::Binary(b) => SqlValue::Bytes(b),
        DbValue::Uuid(s) => {
            SqlValue::Uuid(Uuid::parse_str(&s).map_err(|e| format!("uuid {s:?}: {e}"))?)
        }
        DbValue::Jsonb(b) => SqlValue::Json(json(&b)?),
        DbValue::Datetime((y, mo, d, h, mi, s, ns)) => SqlValue::Timestamp(
            NaiveDate::from_ymd_opt(y, mo.into(), d.into())
                .and_then(|date| date.and_hms_nano_opt(h.into(), mi.into(), s.into(), ns))
                .ok_or_else(|| format!("invalid datetime {y}-{mo}-{d} {h}:{mi}:{s}.{ns}"))?
                .and_utc(),
        ),
        DbValue::Timestamp(secs) => SqlValue::Timestamp(
            DateTime::<Utc>::from_timestamp(secs, 0)
                .ok_or_else(|| format!("timestamp {secs} is out of range"))?,
        ),
        DbValue::ArrayStr(items) => SqlValue::TextArray(
            items
                .into_iter()
                .map(|s| s.ok_or_else(|| "NULL inside a text array".to_string()))
                .collect::<Result<_, _>>()?,
        ),
        // Types Spin does not decode arrive raw in Postgres' binary format; these two are text.
        DbValue::Unsupported(raw) => match ty {
            Some(DbDataType::Other(name)) if name == "json" => SqlValue::Json(json(&raw)?),
            Some(DbDataType::Other(name)) if name == "name" => SqlValue::Text(
                String::from_utf8(raw).map_err(|e| format!("name is not UTF-8: {e}"))?,
            ),
            Some(DbDataType::Other(name)) => {
                return Err(format!(
                    "unsupported type {name} (cast it to text in the query)"
                ));
            }
            _ => return Err("unsupported type".into()),
        },
        other => return Err(format!("unsupported value {other:?}")),
    })
}

/// Whether a result column of the Postgres type named `type_name` (`pg_type.typname`: `int8`,
/// `_text` for `text[]`) reaches the core on Spin. Two things must hold: Spin's host decodes it
/// (`convert_entry` in Spin's `factor-outbound-pg`, or passes it raw as `Other`), and [`decode`]
/// maps what arrives to a [`SqlValue`]. Change both together. The error says what to do instead.
///
/// `tests/queries_on_spin.rs` describes every named query against a real Postgres and fails on
/// any column this refuses.
pub fn column_type_on_spin(type_name: &str) -> Result<(), &'static str> {
    match type_name {
        "bool" | "bytea" | "float4" | "float8" | "int2" | "int4" | "int8" | "text" | "varchar"
        | "bpchar" | "timestamp" | "uuid" | "jsonb" | "_text" | "_varchar" | "_bpchar" => Ok(()),
        // Not decoded by the host: these arrive as raw bytes, whose binary format is their text.
        "json" | "name" => Ok(()),
        "timestamptz" => Err(
            "Spin's host reads timestamptz as a zoneless NaiveDateTime, which tokio-postgres \
             refuses, and fails the whole query: return `column AT TIME ZONE 'UTC'` (a UTC \
             timestamp) instead",
        ),
        "date" | "time" | "numeric" | "int4range" | "int8range" | "numrange" | "_int4"
        | "_int8" | "_numeric" | "interval" => Err(
            "Spin's host decodes it, but the core has no value for it: cast it in the query \
             (numeric to int8 or float8, an interval to seconds)",
        ),
        "vector" | "halfvec" | "sparsevec" => Err(
            "vectors go into Postgres as text (`$n::vector`) and never come back out: return \
             the distance or the score, not the vector",
        ),
        _ => Err(
            "Spin's host passes this type as raw bytes the core does not read: cast it to \
                  text or a type listed in `column_type_on_spin`",
        ),
    }
}

fn json(raw: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(raw).map_err(|e| format!("invalid json: {e}"))
}

/// Classifies a Spin Postgres error like `functions/pg/src/error.rs` classifies a driver error.
/// A failure to convert a value (a column type the host does not decode, or a parameter) is a
/// decode error whatever variant carries it, and is looked for first: it never succeeds on a
/// retry, so it must never read as "unavailable".
pub fn classify(e: PgError) -> DbError {
    if let Some(why) = conversion_failure(&e) {
        return DbError::Decode(why);
    }
    match e {
        PgError::ConnectionFailed(why) => DbError::Unavailable(why),
        PgError::BadParameter(why) => DbError::Query(format!("bad parameter: {why}")),
        PgError::ValueConversionFailed(why) => DbError::Decode(why),
        PgError::QueryFailed(QueryError::DbError(db)) => {
            let constraint = || {
                db.extras
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("constraint"))
                    .map(|(_, v)| v.clone())
                    .or_else(|| quoted_constraint(&db.message))
            };
            match db.code.as_str() {
                "23505" => DbError::UniqueViolation(constraint()),
                "23503" => DbError::ForeignKeyViolation(constraint()),
                code if is_outage(code) => DbError::Unavailable(db.message),
                code => DbError::Query(format!("{code}: {}", db.message)),
            }
        }
        PgError::QueryFailed(QueryError::Text(why)) | PgError::Other(why) => {
            if looks_like_outage(&why) {
                DbError::Unavailable(why)
            } else {
                DbError::Query(why)
            }
        }
    }
}

/// The host's words for a value it could not convert (tokio-postgres' `FromSql` failure, seen
/// as "error deserializing column 3: cannot convert between the Rust type
/// Option<NaiveDateTime> and the Postgres type timestamptz"), in any variant.
fn conversion_failure(e: &PgError) -> Option<String> {
    let text = match e {
        PgError::ValueConversionFailed(why) => return Some(why.clone()),
        PgError::ConnectionFailed(why)
        | PgError::BadParameter(why)
        | PgError::Other(why)
        | PgError::QueryFailed(QueryError::Text(why)) => why,
        PgError::QueryFailed(QueryError::DbError(_)) => return None,
    };
    let lower = text.to_ascii_lowercase();
    [
        "error deserializing",
        "cannot convert between",
        "wrongtype",
        "fromsql",
    ]
    .iter()
    .any(|w| lower.contains(w))
    .then(|| text.clone())
}

/// Class 08 is connection exceptions; 57P0x are shutdowns; 53300 is too many connections.
fn is_outage(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// Without a SQLSTATE only the text tells an outage from a bug; these are tokio-postgres' and
/// the host pool's words for a lost or refused connection.
fn looks_like_outage(why: &str) -> bool {
    let why = why.to_ascii_lowercase();
    [
        "connection closed",
        "connection refused",
        "connection reset",
        "broken pipe",
        "timed out",
        "timeout",
        "error connecting",
        "pool",
    ]
    .iter()
    .any(|w| why.contains(w))
}

/// `... violates unique constraint "users_email_key"` gives `users_email_key`.
fn quoted_constraint(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("constraint \"")?;
    let (name, _) = rest.split_once('"')?;
    Some(name.to_string())
}

fn run_query(conn: &dyn PgConn, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
    let (bound, values) = bind(sql, params)?;
    let rows = conn
        .query(&bound, &values)
        .map_err(classify)
        .and_then(from_row_set);
    rows.inspect_err(|e| log_decode_failure(sql, e))
}

fn run_execute(conn: &dyn PgConn, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
    let (bound, values) = bind(sql, params)?;
    conn.execute(&bound, &values)
        .map_err(classify)
        .inspect_err(|e| log_decode_failure(sql, e))
}

/// A row Spin's host could not decode (a column type outside what it converts) is a bug in the
/// query, not an outage: it is logged with the named query it came from.
fn log_decode_failure(sql: &str, e: &DbError) {
    if let DbError::Decode(why) = e {
        let query = powernode_api::store::sql::name_of(sql).unwrap_or("inline SQL");
        tracing::error!(query, error = %why, "Spin's Postgres host could not decode the result");
    }
}

/// Spin's host runs one statement per call (simple statements with several commands are not
/// supported through `execute`), so a batch is split on top-level semicolons.
fn run_batch(conn: &dyn PgConn, sql: &str) -> Result<(), DbError> {
    for statement in split_statements(sql) {
        conn.execute(statement, &[]).map_err(classify)?;
    }
    Ok(())
}

/// The statements of a script, split on semicolons outside quotes, comments and dollar quotes.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'$' => match dollar_tag_len(&bytes[i..]) {
                Some(tag_len) if i + 1 < bytes.len() && !bytes[i + 1].is_ascii_digit() => {
                    let tag = &sql[i..i + tag_len];
                    let body = i + tag_len;
                    i = sql[body..]
                        .find(tag)
                        .map_or(bytes.len(), |n| body + n + tag_len);
                }
                _ => i += 1,
            },
            b';' => {
                out.push(&sql[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(&sql[start.min(sql.len())..]);
    out.into_iter()
        .map(str::trim)
        .filter(|s| !is_blank_sql(s))
        .collect()
}

/// Whether a fragment holds nothing but whitespace and comments.
fn is_blank_sql(s: &str) -> bool {
    s.lines()
        .map(|l| l.split("--").next().unwrap_or_default().trim())
        .all(str::is_empty)
}

/// The database: one connection per request, opened on first use.
pub struct SpinDb<C: PgConnector> {
    connector: C,
    conn: OnceLock<C::Conn>,
}

impl<C: PgConnector> SpinDb<C> {
    /// A database reached through `connector`; nothing is opened yet.
    pub fn new(connector: C) -> Self {
        Self {
            connector,
            conn: OnceLock::new(),
        }
    }

    fn conn(&self) -> Result<&C::Conn, DbError> {
        if let Some(conn) = self.conn.get() {
            return Ok(conn);
        }
        let opened = self.connector.open().map_err(classify)?;
        Ok(self.conn.get_or_init(|| opened))
    }
}

maybe_async_trait! {
impl<C: PgConnector> Conn for SpinDb<C> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        run_query(self.conn()?, sql, params)
    }
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        run_execute(self.conn()?, sql, params)
    }
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        run_batch(self.conn()?, sql)
    }
}
}

maybe_async_trait! {
impl<C: PgConnector> Db for SpinDb<C> {
    async fn begin(&self) -> Result<Box<dyn Tx>, DbError> {
        let conn = self.connector.open().map_err(classify)?;
        conn.execute("BEGIN", &[]).map_err(classify)?;
        Ok(Box::new(SpinTx { conn, finished: AtomicBool::new(false) }))
    }
}
}

/// A transaction on its own connection.
pub struct SpinTx<P: PgConn> {
    conn: P,
    finished: AtomicBool,
}

impl<P: PgConn> SpinTx<P> {
    fn finish(&self, statement: &str) -> Result<(), DbError> {
        self.finished.store(true, Ordering::SeqCst);
        self.conn
            .execute(statement, &[])
            .map(drop)
            .map_err(classify)
    }
}

maybe_async_trait! {
impl<P: PgConn + 'static> Conn for SpinTx<P> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        run_query(&self.conn, sql, params)
    }
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        run_execute(&self.conn, sql, params)
    }
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        run_batch(&self.conn, sql)
    }
}
}

maybe_async_trait! {
impl<P: PgConn + 'static> Tx for SpinTx<P> {
    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.finish("COMMIT")
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.finish("ROLLBACK")
    }
}
}

impl<P: PgConn> Drop for SpinTx<P> {
    /// Spin's host may pool connections: one must never go back inside a transaction. Calls
    /// are synchronous in this SDK, so the rollback can run right here.
    fn drop(&mut self) {
        if !self.finished.load(Ordering::SeqCst)
            && let Err(e) = self.conn.execute("ROLLBACK", &[])
        {
            tracing::warn!(error = %classify(e), "rolling back a dropped transaction");
        }
    }
}

/// Spin's own connection, opened from the `database_url` variable.
#[cfg(target_arch = "wasm32")]
pub mod spin {
    use spin_sdk::pg4::{Connection, ParameterValue, PgError, RowSet};

    /// Opens `spin_sdk::pg4` connections to one address.
    pub struct SpinConnector {
        /// `database_url`.
        pub address: String,
    }

    impl super::PgConn for Connection {
        fn query(&self, sql: &str, params: &[ParameterValue]) -> Result<RowSet, PgError> {
            Connection::query(self, sql, params)
        }
        fn execute(&self, sql: &str, params: &[ParameterValue]) -> Result<u64, PgError> {
            Connection::execute(self, sql, params)
        }
    }

    impl super::PgConnector for SpinConnector {
        type Conn = Connection;
        fn open(&self) -> Result<Connection, PgError> {
            Connection::open(&self.address)
        }
    }
}
