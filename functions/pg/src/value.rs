//! Sending neutral values as Postgres parameters.

use std::error::Error;

use bytes::BytesMut;
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};
use powernode_api::db::SqlValue;

/// A neutral value borrowed as a parameter. The statement's inferred parameter type decides
/// the encoding (an `Int` goes as int2, int4 or int8 as the column needs).
#[derive(Debug)]
pub struct Param<'a>(pub &'a SqlValue);

type BoxError = Box<dyn Error + Sync + Send>;

/// Encodes `value` as `ty` if `T` can, else reports the mismatch (a bug in a query, surfaced
/// as a query error rather than as corrupt bytes on the wire).
fn encode<T: ToSql>(value: &T, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if !T::accepts(ty) {
        return Err(format!("cannot send {} as {ty}", std::any::type_name::<T>()).into());
    }
    value.to_sql(ty, out)
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self.0 {
            SqlValue::Null => Ok(IsNull::Yes),
            SqlValue::Bool(v) => encode(v, ty, out),
            SqlValue::Int(v) => match *ty {
                Type::INT2 => encode(&i16::try_from(*v)?, ty, out),
                Type::INT4 => encode(&i32::try_from(*v)?, ty, out),
                _ => encode(v, ty, out),
            },
            // Narrowing to float4 is what the column asked for.
            #[allow(clippy::cast_possible_truncation)]
            SqlValue::Float(v) => match *ty {
                Type::FLOAT4 => encode(&(*v as f32), ty, out),
                _ => encode(v, ty, out),
            },
            SqlValue::Text(v) => encode(v, ty, out),
            SqlValue::Bytes(v) => encode(v, ty, out),
            SqlValue::Uuid(v) => encode(v, ty, out),
            SqlValue::Timestamp(v) => encode(v, ty, out),
            SqlValue::Json(v) => encode(v, ty, out),
            SqlValue::TextArray(v) => encode(v, ty, out),
            SqlValue::UuidArray(v) => encode(v, ty, out),
            SqlValue::Vector(v) => encode(&pgvector::Vector::from(v.clone()), ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        // The real check happens per value in `to_sql`, where the variant is known.
        true
    }

    to_sql_checked!();
}
