//! Runtime-neutral SQL values and rows.
//!
//! Each runtime's database adapter (tokio-postgres natively and in Workers, Spin's outbound pg)
//! converts to and from these, so the services and stores above never see a driver type.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// `boolean`.
    Bool(bool),
    /// `int2`/`int4`/`int8` (widened).
    Int(i64),
    /// `float4`/`float8`.
    Float(f64),
    /// `text`, `varchar`, `name`.
    Text(String),
    /// `bytea`.
    Bytes(Vec<u8>),
    /// `uuid`.
    Uuid(Uuid),
    /// `timestamptz`.
    Timestamp(DateTime<Utc>),
    /// `json`/`jsonb`.
    Json(serde_json::Value),
    /// `text[]`.
    TextArray(Vec<String>),
    /// `uuid[]`.
    UuidArray(Vec<Uuid>),
    /// pgvector's `vector`, as a parameter only: queries return distances, never vectors, so
    /// that they cross Spin's interface (which has no vector type) the same way everywhere.
    Vector(Vec<f32>),
}

macro_rules! into_sql_value {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(impl From<$t> for SqlValue {
            fn from(v: $t) -> Self { SqlValue::$variant(v.into()) }
        })*
    };
}
into_sql_value!(bool => Bool, i32 => Int, i64 => Int, f64 => Float, String => Text, &str => Text,
    Vec<u8> => Bytes, Uuid => Uuid, DateTime<Utc> => Timestamp, serde_json::Value => Json,
    Vec<String> => TextArray, Vec<Uuid> => UuidArray);

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// One result row: column names and values in select order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: std::sync::Arc<[String]>,
    values: Vec<SqlValue>,
}

impl Row {
    /// Builds a row; adapters share one `columns` list across a result set.
    pub fn new(columns: std::sync::Arc<[String]>, values: Vec<SqlValue>) -> Self {
        Self { columns, values }
    }

    /// The value of column `name`, converted.
    pub fn get<T: FromSqlValue>(&self, name: &str) -> Result<T, DbError> {
        let idx = self
            .columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| DbError::Decode(format!("no column `{name}`")))?;
        T::from_sql_value(&self.values[idx])
            .map_err(|why| DbError::Decode(format!("column `{name}`: {why}")))
    }
}

/// Conversion out of a [`SqlValue`].
pub trait FromSqlValue: Sized {
    /// Converts, or says what was found instead.
    fn from_sql_value(v: &SqlValue) -> Result<Self, String>;
}

macro_rules! from_sql_value {
    ($($t:ty => $pat:pat => $e:expr),* $(,)?) => {
        $(impl FromSqlValue for $t {
            fn from_sql_value(v: &SqlValue) -> Result<Self, String> {
                match v { $pat => Ok($e), other => Err(format!("expected {}, found {other:?}", stringify!($t))) }
            }
        })*
    };
}
from_sql_value!(
    bool => SqlValue::Bool(b) => *b,
    i64 => SqlValue::Int(i) => *i,
    f64 => SqlValue::Float(f) => *f,
    String => SqlValue::Text(s) => s.clone(),
    Vec<u8> => SqlValue::Bytes(b) => b.clone(),
    Uuid => SqlValue::Uuid(u) => *u,
    DateTime<Utc> => SqlValue::Timestamp(t) => *t,
    serde_json::Value => SqlValue::Json(j) => j.clone(),
    Vec<String> => SqlValue::TextArray(a) => a.clone(),
    Vec<Uuid> => SqlValue::UuidArray(a) => a.clone(),
);

/// `int4` columns (read widened, so narrowed back with a check).
impl FromSqlValue for i32 {
    fn from_sql_value(v: &SqlValue) -> Result<Self, String> {
        match v {
            SqlValue::Int(i) => i32::try_from(*i).map_err(|_| format!("{i} is out of i32 range")),
            other => Err(format!("expected i32, found {other:?}")),
        }
    }
}

impl<T: FromSqlValue> FromSqlValue for Option<T> {
    fn from_sql_value(v: &SqlValue) -> Result<Self, String> {
        match v {
            SqlValue::Null => Ok(None),
            other => T::from_sql_value(other).map(Some),
        }
    }
}

/// What a database call can fail with, classified for the API's error mapping.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached (connection refused, pool exhausted, connection lost).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint was violated; carries the constraint name when known.
    #[error("unique violation on {0:?}")]
    UniqueViolation(Option<String>),
    /// A foreign key was violated.
    #[error("foreign key violation on {0:?}")]
    ForeignKeyViolation(Option<String>),
    /// Any other failure of a statement (a bug in the SQL or schema drift).
    #[error("query failed: {0}")]
    Query(String),
    /// A column did not have the expected type.
    #[error("decode failed: {0}")]
    Decode(String),
}

impl DbError {
    /// Whether this is a unique violation of `constraint`.
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        matches!(self, DbError::UniqueViolation(Some(c)) if c == constraint)
    }
}
