//! Every named query of the core, described by a real Postgres as Spin's host would send it.
//!
//! Spin's Postgres host is tokio-postgres with one Rust type per WIT variant: it binds an
//! `int64` as `i64`, a `str` as `String`, and decodes each result column by its type (Spin's
//! `crates/factor-outbound-pg/src/types.rs`). A query whose statement asks for another type
//! fails on Spin only, at run time. So for each query in `store::sql::ALL` this check:
//! 1. prepares it as written, which gives the parameter types Postgres infers natively, and so
//!    the `SqlValue` the core must send for each (the native driver refuses any other);
//! 2. rewrites it as `pg::bind` does for those values and prepares it again;
//! 3. fails if the host's Rust type for a parameter does not accept the type now inferred, or
//!    if a result column's type is one `pg::column_type_on_spin` refuses, naming the query and
//!    the column.
//!
//! It needs `POWERNODE_TEST_DATABASE_URL` (set by `scripts/test`); each test migrates a
//! database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDateTime, Utc};
use postgres_types::{ToSql, Type};
use powernode_api::db::SqlValue;
use powernode_api::migrate::MIGRATIONS;
use powernode_api::store::sql;
use powernode_spin_api::pg::{bind, column_type_on_spin};
use spin_sdk::pg4::ParameterValue;
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

/// A fresh, migrated database, dropped when the test ends.
struct TestDb {
    client: Client,
    admin: Client,
    name: String,
}

impl TestDb {
    async fn new() -> Option<Self> {
        let Ok(url) = std::env::var("POWERNODE_TEST_DATABASE_URL") else {
            // `scripts/test` always sets it; a bare `cargo test` has no Postgres.
            assert!(
                std::env::var_os("CI").is_none(),
                "POWERNODE_TEST_DATABASE_URL must be set in CI"
            );
            eprintln!("skipped: POWERNODE_TEST_DATABASE_URL is not set");
            return None;
        };
        let admin_config: Config = url.parse().expect("a Postgres URL");
        let admin = connect(&admin_config).await;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("pn_spin_q_{}_{nanos}", std::process::id());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        let mut config = admin_config.clone();
        config.dbname(&name);
        let client = connect(&config).await;
        client
            .batch_execute(sql::SCHEMA_MIGRATIONS_CREATE)
            .await
            .expect("schema_migrations");
        for m in MIGRATIONS {
            client
                .batch_execute(m.sql)
                .await
                .unwrap_or_else(|e| panic!("migration {}_{}: {e}", m.version, m.name));
        }
        Some(Self {
            client,
            admin,
            name,
        })
    }

    async fn drop_database(self) {
        drop(self.client);
        let _ = self
            .admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

async fn connect(config: &Config) -> Client {
    let (client, conn) = config.connect(NoTls).await.expect("Postgres reachable");
    tokio::spawn(conn);
    client
}

/// The value the core sends for a parameter Postgres infers as `ty`: the one variant
/// `functions/pg` can encode as that type (see its `value.rs`).
fn core_value_for(ty: &Type) -> Result<SqlValue, String> {
    Ok(match *ty {
        Type::BOOL => SqlValue::Bool(true),
        Type::INT2 | Type::INT4 | Type::INT8 => SqlValue::Int(1),
        Type::FLOAT4 | Type::FLOAT8 => SqlValue::Float(1.0),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => SqlValue::Text("x".into()),
        Type::BYTEA => SqlValue::Bytes(vec![1]),
        Type::UUID => SqlValue::Uuid(Uuid::nil()),
        Type::TIMESTAMPTZ => SqlValue::Timestamp(DateTime::<Utc>::UNIX_EPOCH),
        Type::JSON | Type::JSONB => SqlValue::Json(serde_json::json!({})),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => SqlValue::TextArray(vec![]),
        Type::UUID_ARRAY => SqlValue::UuidArray(vec![]),
        _ if ty.name() == "vector" => SqlValue::Vector(vec![1.0]),
        _ => {
            return Err(format!(
                "the core sends no value as {ty}: cast the placeholder"
            ));
        }
    })
}

/// Whether Spin's host, binding `value` with its Rust type (`to_sql_parameter` in Spin's
/// `types.rs`), accepts a placeholder Postgres inferred as `ty`.
fn host_accepts(value: &ParameterValue, ty: &Type) -> bool {
    match value {
        ParameterValue::DbNull => true,
        ParameterValue::Boolean(_) => <bool as ToSql>::accepts(ty),
        ParameterValue::Int64(_) => <i64 as ToSql>::accepts(ty),
        ParameterValue::Floating64(_) => <f64 as ToSql>::accepts(ty),
        ParameterValue::Str(_) => <String as ToSql>::accepts(ty),
        ParameterValue::Binary(_) => <Vec<u8> as ToSql>::accepts(ty),
        ParameterValue::Uuid(_) => <Uuid as ToSql>::accepts(ty),
        ParameterValue::Jsonb(_) => <serde_json::Value as ToSql>::accepts(ty),
        ParameterValue::ArrayStr(_) => <Vec<Option<String>> as ToSql>::accepts(ty),
        // `pg::to_parameter` sends no other variant.
        _ => false,
    }
}

/// Postgres' own message (tokio-postgres' Display says only "db error").
fn db_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_string())
}

/// What keeps `sql` (named `name`) from running on Spin, one line a problem.
async fn problems_on_spin(db: &Client, name: &str, sql: &str) -> Vec<String> {
    let native = match db.prepare(sql).await {
        Ok(s) => s,
        Err(e) => return vec![format!("{name}: does not prepare: {}", db_message(&e))],
    };
    let mut problems = Vec::new();
    let mut values = Vec::new();
    for (i, ty) in native.params().iter().enumerate() {
        match core_value_for(ty) {
            Ok(v) => values.push(v),
            Err(why) => {
                problems.push(format!("{name}: parameter ${}: {why}", i + 1));
                values.push(SqlValue::Null);
            }
        }
    }
    let (spin_sql, spin_params) = match bind(sql, &values) {
        Ok(bound) => bound,
        Err(e) => return vec![format!("{name}: pg::bind: {e}")],
    };
    let spin = match db.prepare(&spin_sql).await {
        Ok(s) => s,
        Err(e) => {
            return vec![format!(
                "{name}: does not prepare as Spin sends it: {}",
                db_message(&e)
            )];
        }
    };
    for (i, (ty, value)) in spin.params().iter().zip(&spin_params).enumerate() {
        if !host_accepts(value, ty) {
            problems.push(format!(
                "{name}: parameter ${}: Spin's host binds {value:?} but Postgres infers {ty}",
                i + 1
            ));
        }
    }
    for column in spin.columns() {
        if let Err(why) = column_type_on_spin(column.type_().name()) {
            problems.push(format!(
                "{name}: column `{}` ({}): {why}",
                column.name(),
                column.type_()
            ));
        }
    }
    problems
}

#[tokio::test]
async fn every_named_query_runs_on_spins_postgres_host() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let mut problems = Vec::new();
    for (name, sql) in sql::ALL {
        // A knowledge query names its base's dimension, written in at run time (any will do).
        let sql = powernode_api::store::knowledge::with_dims(sql, 3);
        problems.extend(problems_on_spin(&db.client, name, &sql).await);
    }
    db.drop_database().await;
    assert!(
        problems.is_empty(),
        "{} problem(s) with the named queries on Spin:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(sql::ALL.len() > 100, "the check saw every named query");
}

/// The check must be able to fail: each of these is what a later change could bring in.
#[tokio::test]
async fn the_check_names_the_query_and_column_spin_cannot_decode() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let c = &db.client;
    let cases = [
        (
            "Timestamptz",
            "SELECT id, created_at FROM users",
            "column `created_at` (timestamptz)",
        ),
        ("Now", "SELECT now() AS at", "column `at` (timestamptz)"),
        (
            "Numeric",
            "SELECT sum(file_size) AS total FROM files",
            "column `total` (numeric)",
        ),
        (
            "UuidArray",
            "SELECT array_agg(id) AS ids FROM users",
            "column `ids` (_uuid)",
        ),
        (
            "Vector",
            "SELECT '[1,2]'::vector AS v",
            "column `v` (vector)",
        ),
        (
            "Void",
            "SELECT pg_advisory_xact_lock(1)",
            "column `pg_advisory_xact_lock` (void)",
        ),
        (
            "DateParam",
            "SELECT 1 AS one WHERE $1::date IS NULL",
            "parameter $1: the core sends no value as date",
        ),
    ];
    for (name, sql, needle) in cases {
        let problems = problems_on_spin(c, name, sql).await;
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(name) && p.contains(needle)),
            "{name}: want a problem with {needle:?}, got {problems:?}"
        );
    }
    // And what the fix looks like passes.
    for (name, sql) in [
        (
            "Utc",
            "SELECT created_at AT TIME ZONE 'UTC' AS created_at FROM users WHERE id = $1",
        ),
        (
            "Window",
            "SELECT 1 AS one FROM users WHERE created_at > $1::timestamptz",
        ),
        (
            "Ints",
            "SELECT count(*) AS n, sum(file_size)::int8 AS total FROM files WHERE $1::int > 0",
        ),
        ("Ids", "SELECT id FROM users WHERE id = ANY($1::uuid[])"),
        (
            "Distance",
            "SELECT ('[1,0]'::vector <=> $1::vector)::float8 AS distance",
        ),
    ] {
        let problems = problems_on_spin(c, name, sql).await;
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
    db.drop_database().await;
}

/// The values Spin's host sends through `pg::bind`'s casts reach Postgres exactly: bound here
/// with the host's own Rust types, as `to_sql_parameter` binds them.
#[tokio::test]
async fn values_bound_as_spin_binds_them_round_trip() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let c = &db.client;
    let at = DateTime::parse_from_rfc3339("2026-11-27T17:05:09.123456Z")
        .unwrap()
        .with_timezone(&Utc);
    let id = Uuid::parse_str("0190b3c1-0000-7000-8000-000000000001").unwrap();

    let (q, p) = bind("SELECT $1::int AS v", &[SqlValue::Int(7)]).unwrap();
    assert!(matches!(p[0], ParameterValue::Int64(7)));
    let v: i32 = c.query_one(&q, &[&7_i64]).await.unwrap().get("v");
    assert_eq!(v, 7);

    let (q, p) = bind(
        "SELECT ($1::timestamptz AT TIME ZONE 'UTC') AS v",
        &[SqlValue::Timestamp(at)],
    )
    .unwrap();
    let ParameterValue::Str(text) = &p[0] else {
        panic!("{p:?}")
    };
    let v: NaiveDateTime = c.query_one(&q, &[text]).await.unwrap().get("v");
    assert_eq!(v.and_utc(), at, "microseconds and the offset survive");

    let (q, p) = bind("SELECT $1::uuid[] AS v", &[SqlValue::UuidArray(vec![id])]).unwrap();
    let ParameterValue::ArrayStr(ids) = &p[0] else {
        panic!("{p:?}")
    };
    let v: Vec<Uuid> = c.query_one(&q, &[ids]).await.unwrap().get("v");
    assert_eq!(v, vec![id]);

    let (q, _) = bind("SELECT $1::real AS v", &[SqlValue::Float(1.5)]).unwrap();
    let v: f32 = c.query_one(&q, &[&1.5_f64]).await.unwrap().get("v");
    assert!((v - 1.5).abs() < f32::EPSILON);

    // A vector goes as pgvector's text form and is compared in Postgres; only the distance
    // comes back.
    let (q, p) = bind(
        "SELECT ('[1,0]'::vector <=> $1::vector)::float8 AS distance",
        &[SqlValue::Vector(vec![0.0, 2.0])],
    )
    .unwrap();
    let ParameterValue::Str(text) = &p[0] else {
        panic!("{p:?}")
    };
    assert_eq!(text, "[0,2]");
    let distance: f64 = c.query_one(&q, &[text]).await.unwrap().get("distance");
    assert!(
        (distance - 1.0).abs() < 1e-9,
        "orthogonal: cosine distance 1, got {distance}"
    );
    db.drop_database().await;
}
