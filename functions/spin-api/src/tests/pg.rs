use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use powernode_api::db::{DbError, SqlValue};
use powernode_api::ports::{Conn, Db};
use spin_sdk::pg4::{Column, DbDataType, DbValue, ParameterValue, PgError, QueryError, RowSet};
use uuid::Uuid;

use super::ready;
use crate::pg::{
    PgConn, PgConnector, SpinDb, bind, classify, decode, from_row_set, rewrite_placeholders,
    split_statements, to_parameter,
};

#[test]
fn placeholders_get_casts_only_where_asked() {
    let casts = [Some("int8"), None, Some("text::timestamptz")];
    assert_eq!(
        rewrite_placeholders("SELECT $1, $2, $3::timestamptz", &casts),
        "SELECT ($1::int8), $2, ($3::text::timestamptz)::timestamptz"
    );
    assert_eq!(rewrite_placeholders("SELECT $1", &[None]), "SELECT $1");
}

#[test]
fn rewriting_skips_literals_comments_identifiers_and_dollar_quotes() {
    let casts = [Some("int8")];
    let sql = "SELECT '$1', \"$1\", 'it''s $1', a$1 -- $1\n, /* $1 */ $$ $1 $$, $tag$ $1 $tag$, $1";
    assert_eq!(
        rewrite_placeholders(sql, &casts),
        "SELECT '$1', \"$1\", 'it''s $1', a$1 -- $1\n, /* $1 */ $$ $1 $$, $tag$ $1 $tag$, ($1::int8)"
    );
}

#[test]
fn rewriting_tells_multi_digit_placeholders_apart_and_keeps_unicode() {
    let mut casts = vec![None; 12];
    casts[0] = Some("int8");
    casts[11] = Some("float8");
    assert_eq!(
        rewrite_placeholders("é $1 ü $12 $10 $99 $0", &casts),
        "é ($1::int8) ü ($12::float8) $10 $99 $0"
    );
}

#[test]
fn every_value_becomes_a_parameter_the_host_binds() {
    let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 17, 5, 9).unwrap()
        + chrono::Duration::microseconds(123_456);
    let cases = [
        (SqlValue::Null, ParameterValue::DbNull),
        (SqlValue::Bool(true), ParameterValue::Boolean(true)),
        (SqlValue::Int(-7), ParameterValue::Int64(-7)),
        (SqlValue::Float(1.5), ParameterValue::Floating64(1.5)),
        (
            SqlValue::Text("hé".into()),
            ParameterValue::Str("hé".into()),
        ),
        (
            SqlValue::Bytes(vec![0, 255]),
            ParameterValue::Binary(vec![0, 255]),
        ),
        (SqlValue::Uuid(id), ParameterValue::Uuid(id.to_string())),
        (
            SqlValue::Timestamp(at),
            ParameterValue::Str("2026-11-27T17:05:09.123456Z".into()),
        ),
        (
            SqlValue::Json(serde_json::json!({"a": [1]})),
            ParameterValue::Jsonb(br#"{"a":[1]}"#.to_vec()),
        ),
        (
            SqlValue::TextArray(vec!["a".into()]),
            ParameterValue::ArrayStr(vec![Some("a".into())]),
        ),
        (
            SqlValue::UuidArray(vec![id]),
            ParameterValue::ArrayStr(vec![Some(id.to_string())]),
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(
            format!("{:?}", to_parameter(&value).unwrap()),
            format!("{expected:?}"),
            "{value:?}"
        );
    }
}

#[test]
fn bind_handles_the_cores_casts() {
    let (sql, params) = bind(
        "INSERT INTO j VALUES ($1::uuid, $2::int, $3::timestamptz) WHERE id = ANY($4::uuid[])",
        &[
            SqlValue::Uuid(Uuid::nil()),
            SqlValue::Int(3),
            SqlValue::Timestamp(Utc.timestamp_opt(0, 0).unwrap()),
            SqlValue::UuidArray(vec![]),
        ],
    )
    .unwrap();
    assert_eq!(
        sql,
        "INSERT INTO j VALUES ($1::uuid, ($2::int8)::int, ($3::text::timestamptz)::timestamptz) \
         WHERE id = ANY(($4::text[]::uuid[])::uuid[])"
    );
    assert_eq!(params.len(), 4);
}

#[test]
fn column_values_decode_like_the_native_adapter() {
    let id = Uuid::from_u128(42);
    let cases = [
        (DbValue::DbNull, SqlValue::Null),
        (DbValue::Boolean(false), SqlValue::Bool(false)),
        (DbValue::Int8(-1), SqlValue::Int(-1)),
        (DbValue::Int16(2), SqlValue::Int(2)),
        (DbValue::Int32(3), SqlValue::Int(3)),
        (DbValue::Int64(i64::MAX), SqlValue::Int(i64::MAX)),
        (DbValue::Floating32(0.5), SqlValue::Float(0.5)),
        (DbValue::Floating64(2.25), SqlValue::Float(2.25)),
        (DbValue::Str("x".into()), SqlValue::Text("x".into())),
        (DbValue::Binary(vec![1]), SqlValue::Bytes(vec![1])),
        (DbValue::Uuid(id.to_string()), SqlValue::Uuid(id)),
        (
            DbValue::Jsonb(b"[1,2]".to_vec()),
            SqlValue::Json(serde_json::json!([1, 2])),
        ),
        (
            DbValue::Datetime((2026, 11, 27, 17, 5, 9, 123_456_000)),
            SqlValue::Timestamp(
                Utc.with_ymd_and_hms(2026, 11, 27, 17, 5, 9).unwrap()
                    + chrono::Duration::microseconds(123_456),
            ),
        ),
        (
            DbValue::Timestamp(60),
            SqlValue::Timestamp(Utc.timestamp_opt(60, 0).unwrap()),
        ),
        (
            DbValue::ArrayStr(vec![Some("a".into()), Some("b".into())]),
            SqlValue::TextArray(vec!["a".into(), "b".into()]),
        ),
    ];
    for (value, expected) in cases {
        let shown = format!("{value:?}");
        assert_eq!(decode(value, None).unwrap(), expected, "{shown}");
    }
}

#[test]
fn raw_json_and_name_columns_decode_and_other_raw_types_say_so() {
    let json = DbDataType::Other("json".into());
    assert_eq!(
        decode(DbValue::Unsupported(b"{\"a\":1}".to_vec()), Some(&json)).unwrap(),
        SqlValue::Json(serde_json::json!({"a": 1}))
    );
    let name = DbDataType::Other("name".into());
    assert_eq!(
        decode(DbValue::Unsupported(b"pg_class".to_vec()), Some(&name)).unwrap(),
        SqlValue::Text("pg_class".into())
    );
    let inet = DbDataType::Other("inet".into());
    assert!(
        decode(DbValue::Unsupported(vec![1]), Some(&inet))
            .unwrap_err()
            .contains("inet")
    );
    assert!(decode(DbValue::Decimal("1.5".into()), None).is_err());
    assert!(decode(DbValue::ArrayStr(vec![None]), None).is_err());
    assert!(decode(DbValue::Uuid("not-a-uuid".into()), None).is_err());
    assert!(decode(DbValue::Datetime((2026, 2, 30, 0, 0, 0, 0)), None).is_err());
    assert!(decode(DbValue::Jsonb(b"{".to_vec()), None).is_err());
}

fn column(name: &str, data_type: DbDataType) -> Column {
    Column {
        name: name.into(),
        data_type,
    }
}

#[test]
fn row_sets_become_rows_and_name_the_bad_column() {
    let set = RowSet {
        columns: vec![
            column("id", DbDataType::Int64),
            column("email", DbDataType::Str),
        ],
        rows: vec![
            vec![DbValue::Int64(1), DbValue::Str("a@x".into())],
            vec![DbValue::Int64(2), DbValue::DbNull],
        ],
    };
    let rows = from_row_set(set).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<i64>("id").unwrap(), 1);
    assert_eq!(rows[1].get::<Option<String>>("email").unwrap(), None);
    let bad = RowSet {
        columns: vec![column("id", DbDataType::Uuid)],
        rows: vec![vec![DbValue::Uuid("zz".into())]],
    };
    assert!(matches!(from_row_set(bad), Err(DbError::Decode(why)) if why.contains("`id`")));
}

fn db_error(code: &str, message: &str, extras: Vec<(String, String)>) -> PgError {
    PgError::QueryFailed(QueryError::DbError(spin_sdk::pg4::DbError {
        as_text: message.into(),
        severity: "ERROR".into(),
        code: code.into(),
        message: message.into(),
        detail: None,
        extras,
    }))
}

#[test]
fn errors_are_classified_like_the_native_adapter() {
    assert_eq!(
        classify(db_error(
            "23505",
            "duplicate key value violates unique constraint \"users_email_key\"",
            vec![]
        )),
        DbError::UniqueViolation(Some("users_email_key".into()))
    );
    assert_eq!(
        classify(db_error(
            "23505",
            "dup",
            vec![("constraint".into(), "c1".into())]
        )),
        DbError::UniqueViolation(Some("c1".into()))
    );
    assert_eq!(
        classify(db_error("23505", "dup", vec![])),
        DbError::UniqueViolation(None)
    );
    assert_eq!(
        classify(db_error(
            "23503",
            "insert violates foreign key constraint \"fk_a\"",
            vec![]
        )),
        DbError::ForeignKeyViolation(Some("fk_a".into()))
    );
    for code in ["08006", "57P01", "53300"] {
        assert!(
            matches!(
                classify(db_error(code, "down", vec![])),
                DbError::Unavailable(_)
            ),
            "{code}"
        );
    }
    assert!(
        matches!(classify(db_error("42P01", "no table", vec![])), DbError::Query(w) if w.starts_with("42P01"))
    );
    assert!(matches!(
        classify(PgError::ConnectionFailed("refused".into())),
        DbError::Unavailable(_)
    ));
    assert!(matches!(
        classify(PgError::QueryFailed(QueryError::Text(
            "connection closed".into()
        ))),
        DbError::Unavailable(_)
    ));
    assert!(matches!(
        classify(PgError::Other("syntax".into())),
        DbError::Query(_)
    ));
    assert!(matches!(
        classify(PgError::BadParameter("x".into())),
        DbError::Query(_)
    ));
    assert!(matches!(
        classify(PgError::ValueConversionFailed("x".into())),
        DbError::Decode(_)
    ));
}

#[test]
fn a_value_the_host_cannot_convert_is_a_decode_error_never_unavailable() {
    // What a stock Spin's host said for a `timestamptz` column (issue 17), in every variant it
    // could arrive in; and with outage-like words beside it.
    let observed = "error deserializing column 3: cannot convert between the Rust type \
                    Option<NaiveDateTime> and the Postgres type timestamptz";
    for e in [
        PgError::QueryFailed(QueryError::Text(observed.into())),
        PgError::Other(observed.into()),
        PgError::ConnectionFailed(format!("pool: {observed}")),
        PgError::ValueConversionFailed(observed.into()),
        PgError::Other(
            "Error { kind: FromSql(3), cause: Some(WrongType { postgres: Timestamptz }) }".into(),
        ),
    ] {
        let classified = classify(e);
        assert!(
            matches!(&classified, DbError::Decode(why) if why.contains("Timestamptz") || why.contains("timestamptz")),
            "{classified:?}"
        );
        let api: powernode_api::error::ApiError = classified.into();
        assert_eq!(
            api.code,
            shared::ErrorCode::Internal,
            "an internal error, not 503"
        );
    }
}

#[test]
fn scripts_split_on_top_level_semicolons_only() {
    let sql = "CREATE TABLE a (x text DEFAULT ';');\n-- a comment; with a semicolon\n\
               DO $$ BEGIN PERFORM 1; END $$;\n/* ; */ SELECT 1;\n  \n-- trailing comment\n";
    assert_eq!(
        split_statements(sql),
        vec![
            "CREATE TABLE a (x text DEFAULT ';')",
            "-- a comment; with a semicolon\nDO $$ BEGIN PERFORM 1; END $$",
            "/* ; */ SELECT 1",
        ]
    );
}

/// Records every statement sent, per connection.
#[derive(Clone, Default)]
struct FakePg {
    log: Arc<Mutex<Vec<String>>>,
    opened: Arc<Mutex<usize>>,
    refuse: bool,
}

struct FakeConn {
    id: usize,
    log: Arc<Mutex<Vec<String>>>,
}

impl PgConn for FakeConn {
    fn query(&self, sql: &str, params: &[ParameterValue]) -> Result<RowSet, PgError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}: {sql} {}", self.id, params.len()));
        Ok(RowSet {
            columns: vec![column("n", DbDataType::Int32)],
            rows: vec![vec![DbValue::Int32(1)]],
        })
    }
    fn execute(&self, sql: &str, _: &[ParameterValue]) -> Result<u64, PgError> {
        self.log.lock().unwrap().push(format!("{}: {sql}", self.id));
        if sql.contains("boom") {
            return Err(db_error("23505", "dup", vec![]));
        }
        Ok(1)
    }
}

impl PgConnector for FakePg {
    type Conn = FakeConn;
    fn open(&self) -> Result<FakeConn, PgError> {
        if self.refuse {
            return Err(PgError::ConnectionFailed("refused".into()));
        }
        let mut opened = self.opened.lock().unwrap();
        *opened += 1;
        Ok(FakeConn {
            id: *opened,
            log: self.log.clone(),
        })
    }
}

#[test]
fn the_db_opens_one_connection_lazily_and_transactions_their_own() {
    let fake = FakePg::default();
    let db = SpinDb::new(fake.clone());
    assert_eq!(*fake.opened.lock().unwrap(), 0);
    let rows = ready(db.query("SELECT $1", &[SqlValue::Int(1)])).unwrap();
    assert_eq!(rows[0].get::<i64>("n").unwrap(), 1);
    ready(db.execute("UPDATE t SET a = 1", &[])).unwrap();
    let tx = ready(db.begin()).unwrap();
    ready(tx.execute("UPDATE t SET a = 2", &[])).unwrap();
    ready(db.query("SELECT 2", &[])).unwrap();
    ready(tx.commit()).unwrap();
    let tx = ready(db.begin()).unwrap();
    ready(tx.rollback()).unwrap();
    let tx = ready(db.begin()).unwrap();
    assert!(matches!(
        ready(tx.execute("boom", &[])),
        Err(DbError::UniqueViolation(None))
    ));
    drop(tx);
    ready(db.batch_execute("SELECT 1; SELECT 2;")).unwrap();
    assert_eq!(
        *fake.log.lock().unwrap(),
        vec![
            "1: SELECT ($1::int8) 1",
            "1: UPDATE t SET a = 1",
            "2: BEGIN",
            "2: UPDATE t SET a = 2",
            "1: SELECT 2 0",
            "2: COMMIT",
            "3: BEGIN",
            "3: ROLLBACK",
            "4: BEGIN",
            "4: boom",
            "4: ROLLBACK",
            "1: SELECT 1",
            "1: SELECT 2",
        ]
    );
}

#[test]
fn an_unreachable_database_is_unavailable() {
    let db = SpinDb::new(FakePg {
        refuse: true,
        ..FakePg::default()
    });
    assert!(matches!(
        ready(db.query("SELECT 1", &[])),
        Err(DbError::Unavailable(_))
    ));
    assert!(matches!(
        ready(db.begin()).err(),
        Some(DbError::Unavailable(_))
    ));
}
