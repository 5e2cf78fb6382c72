//! Reading Postgres rows into neutral rows.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use postgres_types::{FromSql, Type};
use powernode_api::db::{DbError, Row, SqlValue};
use tokio_postgres::Row as PgRow;
use uuid::Uuid;

/// Converts a result set, sharing one column-name list across its rows.
pub fn from_pg_rows(rows: &[PgRow]) -> Result<Vec<Row>, DbError> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    rows.iter()
        .map(|row| {
            let values = (0..row.len())
                .map(|i| decode(row, i))
                .collect::<Result<_, _>>()?;
            Ok(Row::new(columns.clone(), values))
        })
        .collect()
}

fn get<'a, T: FromSql<'a>>(
    row: &'a PgRow,
    idx: usize,
    wrap: impl FnOnce(T) -> SqlValue,
) -> Result<SqlValue, DbError> {
    row.try_get::<_, Option<T>>(idx)
        .map(|v| v.map_or(SqlValue::Null, wrap))
        .map_err(|e| DbError::Decode(format!("column {idx}: {e}")))
}

fn decode(row: &PgRow, idx: usize) -> Result<SqlValue, DbError> {
    let ty = row.columns()[idx].type_();
    match *ty {
        Type::BOOL => get(row, idx, SqlValue::Bool),
        Type::INT2 => get(row, idx, |v: i16| SqlValue::Int(v.into())),
        Type::INT4 => get(row, idx, |v: i32| SqlValue::Int(v.into())),
        Type::INT8 => get(row, idx, SqlValue::Int),
        Type::FLOAT4 => get(row, idx, |v: f32| SqlValue::Float(v.into())),
        Type::FLOAT8 => get(row, idx, SqlValue::Float),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => get(row, idx, SqlValue::Text),
        Type::BYTEA => get(row, idx, SqlValue::Bytes),
        Type::UUID => get(row, idx, SqlValue::Uuid),
        Type::TIMESTAMPTZ => get(row, idx, |v: DateTime<Utc>| SqlValue::Timestamp(v)),
        Type::TIMESTAMP => get(row, idx, |v: NaiveDateTime| {
            SqlValue::Timestamp(v.and_utc())
        }),
        Type::JSON | Type::JSONB => get(row, idx, SqlValue::Json),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::NAME_ARRAY => {
            get(row, idx, SqlValue::TextArray)
        }
        Type::UUID_ARRAY => get(row, idx, |v: Vec<Uuid>| SqlValue::UuidArray(v)),
        _ => Err(DbError::Decode(format!(
            "column {idx}: unsupported type {ty}"
        ))),
    }
}
