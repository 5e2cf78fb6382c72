//! The host's configuration, from the environment (ARCHITECTURE.md, "Configuration").

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};

use powernode_api::{ApiConfig, RunawayPolicy};

use crate::secrets::Secrets;

/// Everything `serve` needs.
#[derive(Clone)]
pub struct HostConfig {
    /// `POWERNODE_HTTP_ADDR`.
    pub http_addr: SocketAddr,
    /// `POWERNODE_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `REDIS_URL`.
    pub redis_url: String,
    /// `POWERNODE_REDIS_PREFIX`: keeps platforms sharing one Redis apart.
    pub redis_prefix: String,
    /// `POWERNODE_DB_POOL_SIZE`.
    pub db_pool_size: usize,
    /// `POWERNODE_TRUST_PROXY`: take the client IP from `X-Forwarded-For` (behind a proxy only).
    pub trust_proxy: bool,
    /// Signing keys.
    pub secrets: Secrets,
    /// `POWERNODE_ADMIN_EMAIL` and `POWERNODE_ADMIN_PASSWORD`, when both are set.
    pub admin: Option<(String, String)>,
    /// The queue consumers run beside the API; `None` with `POWERNODE_CONSUMERS=off`.
    pub consumers: Option<ConsumerSettings>,
    /// `POWERNODE_RUNAWAY_MAX_RUNS` (0: off), `POWERNODE_RUNAWAY_WINDOW_SECONDS`,
    /// `POWERNODE_RUNAWAY_DISABLE_SECONDS`; defaults 5 runs a minute, disabled 5 minutes.
    pub runaway: RunawayPolicy,
    /// `POWERNODE_MAX_UPLOAD_BYTES`: the largest uploaded file (default 5 GiB).
    pub max_upload_bytes: u64,
    /// `POWERNODE_WEB_DIR` (default `web/dist`): the built web UI, served at `/` for every
    /// `GET` that is not the API's. `None`, or a directory without `index.html`: API only.
    pub web_dir: Option<PathBuf>,
    /// `POWERNODE_PUBLIC_URL`: the base of links in emails; default `http://{http_addr}`.
    pub public_url: Option<String>,
    /// `POWERNODE_ALLOW_PRIVATE_UPSTREAMS` (default false; `./scripts/dev` sets true): AI
    /// providers and storage endpoints may be loopback or private addresses.
    pub allow_private_upstreams: bool,
    /// `POWERNODE_AI_BREAKER_COOLDOWN_MS` (default 30 000): the AI breaker's first cool-down.
    pub ai_breaker_cooldown_ms: i64,
}

/// The built-in consumers of `powernode serve`.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Queues consumed. `file_processing` is the media runner's.
    pub queues: Vec<String>,
    /// Jobs at once (`POWERNODE_CONSUMER_CONCURRENCY`).
    pub concurrency: usize,
    /// Where they reach the API (`BACKEND_API_URL`; default this host's address).
    pub backend_api_url: Option<String>,
    /// How `notifications.email` sends (`POWERNODE_SMTP_URL`, `POWERNODE_MAIL_FROM`); unset,
    /// email jobs are dead at once with a message naming the variable.
    pub mail: jobs::jobs::email::MailSettings,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            queues: ["default", "webhooks", "maintenance", "email", "ai"]
                .map(String::from)
                .to_vec(),
            concurrency: 10,
            backend_api_url: None,
            mail: jobs::jobs::email::MailSettings::default(),
        }
    }
}

impl HostConfig {
    /// Reads the environment; secrets not given there are generated once into the data dir.
    pub fn from_env() -> Result<Self> {
        let data_dir =
            PathBuf::from(var("POWERNODE_DATA_DIR").unwrap_or_else(|| "./.powernode".into()));
        let http_addr = var("POWERNODE_HTTP_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("POWERNODE_HTTP_ADDR must be host:port")?;
        let database_url =
            var("DATABASE_URL").context("DATABASE_URL is required (./scripts/dev sets it)")?;
        let redis_url =
            var("REDIS_URL").context("REDIS_URL is required (./scripts/dev sets it)")?;
        let db_pool_size = match var("POWERNODE_DB_POOL_SIZE") {
            Some(v) => v
                .parse()
                .context("POWERNODE_DB_POOL_SIZE must be a number")?,
            None => 16,
        };
        let secrets = Secrets::load(&data_dir)?;
        let admin = match (
            var("POWERNODE_ADMIN_EMAIL"),
            var("POWERNODE_ADMIN_PASSWORD"),
        ) {
            (Some(email), Some(password)) => Some((email, password)),
            _ => None,
        };
        let defaults = RunawayPolicy::default();
        let runaway = RunawayPolicy {
            max_runs: number("POWERNODE_RUNAWAY_MAX_RUNS", defaults.max_runs)?,
            window_seconds: number("POWERNODE_RUNAWAY_WINDOW_SECONDS", defaults.window_seconds)?,
            disable_seconds: number(
                "POWERNODE_RUNAWAY_DISABLE_SECONDS",
                defaults.disable_seconds,
            )?,
        };
        Ok(Self {
            runaway,
            max_upload_bytes: number(
                "POWERNODE_MAX_UPLOAD_BYTES",
                ApiConfig::new(Vec::new(), Vec::new()).max_upload_bytes,
            )?,
            web_dir: Some(PathBuf::from(
                var("POWERNODE_WEB_DIR").unwrap_or_else(|| "web/dist".into()),
            )),
            public_url: var("POWERNODE_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
            allow_private_upstreams: var("POWERNODE_ALLOW_PRIVATE_UPSTREAMS")
                .is_some_and(|v| v == "1" || v == "true"),
            ai_breaker_cooldown_ms: number("POWERNODE_AI_BREAKER_COOLDOWN_MS", 30_000)?,
            http_addr,
            data_dir,
            database_url,
            redis_url,
            redis_prefix: var("POWERNODE_REDIS_PREFIX").unwrap_or_else(|| "pn:".into()),
            db_pool_size,
            trust_proxy: var("POWERNODE_TRUST_PROXY").is_some_and(|v| v == "1" || v == "true"),
            secrets,
            admin,
            consumers: match var("POWERNODE_CONSUMERS").as_deref() {
                Some("off" | "0" | "false") => None,
                _ => Some(ConsumerSettings {
                    concurrency: match var("POWERNODE_CONSUMER_CONCURRENCY") {
                        Some(v) => v
                            .parse()
                            .context("POWERNODE_CONSUMER_CONCURRENCY must be a number")?,
                        None => 10,
                    },
                    backend_api_url: var("BACKEND_API_URL"),
                    mail: jobs::jobs::email::MailSettings::from_env(),
                    ..ConsumerSettings::default()
                }),
            },
        })
    }
}

/// A numeric environment variable, or `default` when unset.
fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match var(name) {
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number")),
        None => Ok(default),
    }
}

/// A non-empty environment variable.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
