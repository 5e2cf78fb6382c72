//! The integration-test harness: each test gets its own database (in the Postgres that
//! `scripts/test` starts), its own Redis key prefix, and a real `powernode` host serving on a
//! free port. Tests speak HTTP to it and look at the database directly to check state.
//!
//! With `POWERNODE_TEST_RUNTIME=cloudflare` (or `spin`) the same tests speak HTTP to an API
//! already running elsewhere (`POWERNODE_TEST_BASE_URL`: the Workers build in local workerd, or
//! the Spin components under `spin up`, started by `scripts/test`). That runtime has one database (its Hyperdrive binding) and one Redis
//! prefix (`POWERNODE_TEST_REDIS_PREFIX`), so the tests share them: run with
//! `--test-threads=1`; each `Platform::start` empties the data tables (keeping migrations and
//! the seeded roles, permissions and queues) and the prefix's keys. A native `Api` over the
//! same database and Redis stays available through `Platform::api` for the steps tests drive
//! directly (maintenance `run_once`, enqueue inside a transaction, seeding an admin).
#![allow(dead_code)]

pub mod consumer;
pub mod files;
pub mod mail;
pub mod media;
pub mod providers;
pub mod upstream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use powernode_host::secrets::Secrets;
use powernode_host::{HostConfig, Running};
use serde_json::{Value, json};
use tokio_postgres::NoTls;
use uuid::Uuid;

pub const JWT_SECRET: &str = "integration-test-jwt-secret-0123456789";
pub const WORKER_SECRET: &str = "integration-test-worker-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the integration tests through ./scripts/test, which starts Postgres and Redis")
    })
}

/// The AI breaker's first cool-down under test (`scripts/test` gives workerd the same), so a
/// test sees it half-open without waiting the production 30 s.
pub const AI_BREAKER_COOLDOWN_MS: i64 = 1500;

/// The native hosts' `POWERNODE_PUBLIC_URL`: the base of links in the emails they queue.
pub const PUBLIC_URL: &str = "http://powernode.test";

/// The built-in consumers' settings: the defaults, sending mail to the test SMTP server when
/// `scripts/test` started one (`POWERNODE_TEST_SMTP_URL`).
fn consumer_settings() -> powernode_host::config::ConsumerSettings {
    powernode_host::config::ConsumerSettings {
        mail: jobs::jobs::email::MailSettings {
            url: std::env::var("POWERNODE_TEST_SMTP_URL").ok(),
            from: None,
        },
        ..powernode_host::config::ConsumerSettings::default()
    }
}

/// The hosts' default upload limit (5 GiB), as `HostConfig` reads it without the variable.
const DEFAULT_MAX_UPLOAD: u64 = 5 * 1024 * 1024 * 1024;

/// Where the API under test runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// An in-process `powernode` host per test.
    Native,
    /// An API already serving at this base URL (the Workers build in workerd, or Spin).
    External { base: String },
}

/// The runtime chosen by the environment.
pub fn runtime() -> Runtime {
    match std::env::var("POWERNODE_TEST_RUNTIME").as_deref() {
        Ok("cloudflare" | "spin") => Runtime::External {
            base: required("POWERNODE_TEST_BASE_URL")
                .trim_end_matches('/')
                .to_string(),
        },
        Ok("native") | Err(_) => Runtime::Native,
        Ok(other) => panic!("POWERNODE_TEST_RUNTIME={other}: expected native, cloudflare or spin"),
    }
}

/// Skips a test that needs the API to be a native process of this test (restarting it, its
/// own Redis, its in-process consumers, LISTEN/NOTIFY). Prints why, so the skip is visible.
/// Usage: `if common::native_only("why") { return; }`.
pub fn native_only(why: &str) -> bool {
    if runtime() == Runtime::Native {
        return false;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string();
    eprintln!("SKIPPED {test}: {why}");
    // libtest hides a passing test's output, so the skip is also appended to the file the
    // test script prints at the end.
    if let Ok(path) = std::env::var("POWERNODE_TEST_SKIP_LOG") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{test}: {why}");
        }
    }
    true
}

/// Whether the runtime's own consumers run here: natively the harness starts the host's
/// (`Options::consumers`); an external runtime says so in `POWERNODE_TEST_CONSUMER_WORKER=1`
/// (scripts/test runs the consumer Worker beside the API Worker for the tests that need it).
/// Otherwise the test is skipped, visibly.
pub fn runtime_runs_consumers() -> bool {
    runtime() == Runtime::Native
        || std::env::var("POWERNODE_TEST_CONSUMER_WORKER").as_deref() == Ok("1")
        || !native_only("this workerd run has no consumer Worker")
}

/// The runaway policy the external runtime was started with (`scripts/test` gives the test
/// Worker a 2 s pause and says so in `POWERNODE_TEST_RUNAWAY_DISABLE_SECONDS`).
fn external_runaway_policy() -> powernode_api::RunawayPolicy {
    let defaults = powernode_api::RunawayPolicy::default();
    powernode_api::RunawayPolicy {
        disable_seconds: std::env::var("POWERNODE_TEST_RUNAWAY_DISABLE_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(defaults.disable_seconds),
        ..defaults
    }
}

/// Whether the runtime under test applies `policy`: always natively (each test configures its
/// host), on an external runtime only if it was started with it. Otherwise the test is skipped,
/// visibly.
pub fn runaway_policy_applies(policy: &powernode_api::RunawayPolicy) -> bool {
    runtime() == Runtime::Native
        || *policy == external_runaway_policy()
        || !native_only("the external runtime's runaway policy is its configuration, fixed per run")
}

pub struct Platform {
    pub base: String,
    pub http: reqwest::Client,
    pub db: tokio_postgres::Client,
    pub database_url: String,
    pub database_name: String,
    running: Option<Running>,
    /// The native `Api` over the external runtime's database and Redis.
    side_api: Option<Arc<powernode_api::Api>>,
    /// Consumers run by the harness for an external runtime (natively the host runs them).
    consumers: Option<(
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    )>,
    config: HostConfig,
    _data_dir: TempDir,
}

#[derive(Default)]
pub struct Options {
    pub redis_url: Option<String>,
    /// Runaway detection; the default policy unless given.
    pub runaway: Option<powernode_api::RunawayPolicy>,
    /// The upload limit (natively only: an external runtime has its own configuration).
    pub max_upload_bytes: Option<u64>,
    pub admin: Option<(String, String)>,
    pub consumers: bool,
    /// A built web UI to serve at `/` (natively only: the Worker serves its assets itself).
    pub web_dir: Option<std::path::PathBuf>,
    /// Refuse loopback and private AI upstreams (natively only: the test model servers and the
    /// scripted upstream live on loopback, so every runtime under test allows them otherwise).
    pub refuse_private_upstreams: bool,
}

impl Platform {
    pub async fn start() -> Self {
        Self::start_with(Options {
            redis_url: None,
            admin: None,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(options: Options) -> Self {
        if let Runtime::External { base } = runtime() {
            return Self::attach(base, options).await;
        }
        let admin_url = required("POWERNODE_TEST_DATABASE_URL");
        let redis_url = options
            .redis_url
            .unwrap_or_else(|| required("POWERNODE_TEST_REDIS_URL"));
        let database_name = format!("pn_t_{}", Uuid::new_v4().simple());
        let (admin, conn) = tokio_postgres::connect(&admin_url, NoTls)
            .await
            .expect("test Postgres reachable");
        tokio::spawn(conn);
        admin
            .batch_execute(&format!("CREATE DATABASE {database_name}"))
            .await
            .expect("create test database");
        let database_url = replace_database(&admin_url, &database_name);
        let data_dir = TempDir::new();
        let config = HostConfig {
            http_addr: "127.0.0.1:0".parse().expect("addr"),
            data_dir: data_dir.0.clone(),
            database_url: database_url.clone(),
            redis_url,
            redis_prefix: format!("{database_name}:"),
            db_pool_size: 8,
            trust_proxy: false,
            secrets: Secrets {
                jwt_secret: JWT_SECRET.into(),
                worker_service_token: WORKER_SECRET.into(),
                encryption_key: "unused".into(),
            },
            admin: options.admin,
            consumers: options.consumers.then(consumer_settings),
            runaway: options.runaway.unwrap_or_default(),
            max_upload_bytes: options.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD),
            web_dir: options.web_dir,
            public_url: Some(PUBLIC_URL.into()),
            allow_private_upstreams: !options.refuse_private_upstreams,
            ai_breaker_cooldown_ms: AI_BREAKER_COOLDOWN_MS,
        };
        let running = powernode_host::start(config.clone())
            .await
            .expect("host starts");
        let (db, conn) = tokio_postgres::connect(&database_url, NoTls)
            .await
            .expect("test database reachable");
        tokio::spawn(conn);
        Self {
            base: format!("http://{}", running.addr),
            http: reqwest::Client::new(),
            db,
            database_url,
            database_name,
            running: Some(running),
            side_api: None,
            consumers: None,
            config,
            _data_dir: data_dir,
        }
    }

    /// Attaches to the external runtime after emptying its data.
    async fn attach(base: String, options: Options) -> Self {
        assert!(
            options.redis_url.is_none(),
            "tests that need their own Redis must call native_only"
        );
        let database_url = required("POWERNODE_TEST_DATABASE_URL");
        let redis_url = required("POWERNODE_TEST_REDIS_URL");
        let redis_prefix = required("POWERNODE_TEST_REDIS_PREFIX");
        let (db, conn) = tokio_postgres::connect(&database_url, NoTls)
            .await
            .expect("the external runtime's database is reachable");
        tokio::spawn(conn);
        reset_data(&db).await;
        clear_redis_prefix(&redis_url, &redis_prefix).await;
        let data_dir = TempDir::new();
        let config = HostConfig {
            http_addr: "127.0.0.1:0".parse().expect("addr"),
            data_dir: data_dir.0.clone(),
            database_url: database_url.clone(),
            redis_url,
            redis_prefix,
            db_pool_size: 4,
            trust_proxy: false,
            secrets: Secrets {
                jwt_secret: JWT_SECRET.into(),
                worker_service_token: WORKER_SECRET.into(),
                encryption_key: "unused".into(),
            },
            admin: options.admin.clone(),
            consumers: None,
            runaway: external_runaway_policy(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD,
            web_dir: None,
            public_url: Some(PUBLIC_URL.into()),
            allow_private_upstreams: true,
            ai_breaker_cooldown_ms: AI_BREAKER_COOLDOWN_MS,
        };
        let api = powernode_host::build_api(&config)
            .await
            .expect("a native API over the external runtime's database and Redis");
        // The admin is seeded as `powernode serve` seeds it (migrations ran before workerd
        // started, so `prepare` only finds them current).
        powernode_host::server::prepare(&api, &config)
            .await
            .expect("seed the platform admin");
        // The built-in consumers and scheduler, run here against the external API exactly as
        // `serve` runs them against its own address: HTTP clients with the service token.
        let consumers = options.consumers.then(|| {
            powernode_host::server::start_consumers(&base, WORKER_SECRET, &consumer_settings())
                .expect("consumers start")
        });
        let database_name = database_url
            .rsplit_once('/')
            .map(|(_, name)| name.to_string())
            .unwrap_or_default();
        Self {
            base,
            http: reqwest::Client::new(),
            db,
            database_url,
            database_name,
            running: None,
            side_api: Some(api),
            consumers,
            config,
            _data_dir: data_dir,
        }
    }

    /// The API inside the running host, for driving maintenance steps (`run_once`) directly.
    pub fn api(&self) -> &powernode_api::Api {
        match &self.side_api {
            Some(api) => api,
            None => &self.running.as_ref().expect("running").api,
        }
    }

    /// Natively, the names of every object the local storage holds whose key contains
    /// `needle` (what a user could otherwise only learn from the disk); `None` elsewhere.
    pub fn local_objects(&self, needle: &str) -> Option<Vec<String>> {
        if runtime() != Runtime::Native {
            return None;
        }
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path.to_string_lossy().into_owned());
                }
            }
        }
        let mut all = Vec::new();
        walk(&self._data_dir.0, &mut all);
        Some(all.into_iter().filter(|p| p.contains(needle)).collect())
    }

    /// The native host's configuration (its database, Redis prefix and secrets), to start
    /// another `powernode` process beside it.
    pub fn host_config(&self) -> &HostConfig {
        &self.config
    }

    /// The host's data dir (natively, where its local storage keeps objects).
    pub fn data_dir(&self) -> &std::path::Path {
        &self._data_dir.0
    }

    /// A service token as a consumer would mint it.
    pub fn service_token(&self) -> String {
        let now = chrono::Utc::now().timestamp();
        shared::tokens::sign_service(
            &shared::tokens::ServiceClaims::new("tests", now, 600),
            WORKER_SECRET.as_bytes(),
        )
        .expect("sign service token")
    }

    /// Runs the scheduled maintenance task `task` as its job's consumer does: the worker
    /// route, with the service token.
    pub async fn maintenance(&self, task: &str) -> Resp {
        self.post(
            &format!("/api/v1/worker/maintenance/{task}"),
            Some(&self.service_token()),
            json!({}),
        )
        .await
    }

    /// Fires the runtime's cron once. Natively the host's scheduler checks every second by
    /// itself; local workerd runs the consumer Worker's `scheduled` handler only on request
    /// (`POWERNODE_TEST_CRON_URL`); on Spin `scripts/test` gives a command that runs the
    /// consumer's cron export once (`POWERNODE_TEST_CRON_CMD`).
    pub async fn fire_cron(&self) {
        if let Ok(cmd) = std::env::var("POWERNODE_TEST_CRON_CMD") {
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new("bash")
                    .args(["-c", &cmd])
                    .output()
            })
            .await
            .expect("the cron command's thread")
            .expect("the cron command runs");
            assert!(
                out.status.success(),
                "cron command: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if let Ok(url) = std::env::var("POWERNODE_TEST_CRON_URL") {
            let r = self
                .http
                .get(format!(
                    "{}/__scheduled?cron=*+*+*+*+*",
                    url.trim_end_matches('/')
                ))
                .send()
                .await
                .expect("the cron endpoint answers");
            assert!(r.status().is_success(), "cron trigger: {}", r.status());
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.as_ref().expect("running").addr
    }

    /// Stops the API for `down_for`, then serves again on the same address and database.
    pub async fn restart_after(&mut self, down_for: std::time::Duration) {
        let addr = self.addr();
        if let Some(r) = self.running.take() {
            r.stop().await.expect("graceful stop");
        }
        tokio::time::sleep(down_for).await;
        let mut config = self.config.clone();
        config.http_addr = addr;
        self.running = Some(
            powernode_host::start(config)
                .await
                .expect("host starts again"),
        );
    }

    pub async fn stop(mut self) {
        if let Some((stop, task)) = self.consumers.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
        if let Some(r) = self.running.take() {
            r.stop().await.expect("graceful stop");
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn raw_post(&self, path: &str, content_type: &str, body: &'static str) -> Resp {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        Resp::from(req.send().await.expect("request sent")).await
    }

    /// Registers a user with a fresh account.
    pub async fn register(&self, email: &str) -> Session {
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": email, "password": PASSWORD, "name": "Test" }),
            )
            .await;
        assert_eq!(r.status, 201, "register {email}: {}", r.body);
        Session::from_auth(&r.body["data"])
    }

    /// Signs in.
    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Adds a user with `role` to `owner`'s account and signs them in.
    pub async fn add_user(&self, owner: &Session, email: &str, role: &str) -> Session {
        let r = self
            .post(
                "/api/v1/users",
                Some(&owner.access),
                json!({ "email": email, "password": PASSWORD, "role": role }),
            )
            .await;
        assert_eq!(r.status, 201, "create {email}: {}", r.body);
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.body);
        Session::from_auth(&login.body["data"])
    }

    pub async fn count(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> i64 {
        self.db
            .query_one(sql, params)
            .await
            .expect("count query")
            .get(0)
    }
}

pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: Uuid,
    pub account_id: Uuid,
}

impl Session {
    pub fn from_auth(data: &Value) -> Self {
        Self {
            access: data["access_token"].as_str().expect("access_token").into(),
            refresh: data["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .into(),
            user_id: data["user"]["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("user.id"),
            account_id: data["user"]["account_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("user.account_id"),
        }
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    async fn from(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts a failure envelope with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["success"], false, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert!(
            self.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{}",
            self.text
        );
        assert!(self.body["details"].is_array(), "{}", self.text);
    }

    /// Asserts a success envelope with this status and returns `data`.
    pub fn assert_ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["success"], true, "{}", self.text);
        &self.body["data"]
    }

    pub fn detail_fields(&self) -> Vec<String> {
        self.body["details"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Empties every table a test writes to, keeping what migrations seeded: `schema_migrations`,
/// `permissions`, `roles`, `role_permissions` and the seeded `queues` (un-paused again).
async fn reset_data(db: &tokio_postgres::Client) {
    db.batch_execute(
        "TRUNCATE jobs, audit_logs, refresh_tokens, sessions, user_roles, file_processing_jobs,
                  file_tags, tags, file_shares, file_versions, files, storages, webhook_events,
                  webhook_endpoints, ai_requests, ai_budgets, ai_api_keys, ai_model_prices,
                  ai_providers, ai_run_steps, ai_runs, ai_agents, knowledge_chunks,
                  knowledge_documents, knowledge_bases, users,
                  accounts;
         DELETE FROM queues
          WHERE name NOT IN ('default', 'file_processing', 'webhooks', 'maintenance', 'email', 'ai');
         UPDATE queues SET paused_at = NULL WHERE paused_at IS NOT NULL;",
    )
    .await
    .expect("reset the shared test database");
}

/// Deletes the keys under the runtime's prefix (rate-limit counters, idempotency marks ...).
async fn clear_redis_prefix(url: &str, prefix: &str) {
    let client = redis::Client::open(url).expect("redis URL");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("test Redis reachable");
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .expect("SCAN");
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<i64>(&mut conn)
                .await
                .expect("DEL");
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("database URL has a path");
    format!("{base}/{name}")
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("powernode-test-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
