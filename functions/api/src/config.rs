//! What the API core is configured with. Runtime adapters fill it from their environment
//! (process variables natively, Worker secrets and vars at the edge).

/// The API's settings.
#[derive(Clone)]
pub struct ApiConfig {
    /// Signs and verifies user access tokens (`JWT_SECRET`).
    pub jwt_secret: Vec<u8>,
    /// Verifies service tokens on `/api/v1/worker/...` (`WORKER_SERVICE_TOKEN`).
    pub worker_service_token: Vec<u8>,
    /// Access token lifetime, seconds.
    pub access_token_ttl: i64,
    /// Refresh token lifetime, seconds.
    pub refresh_token_ttl: i64,
    /// Failed logins for one email before 429.
    pub login_max_failures_per_email: i64,
    /// Failed logins from one IP before 429.
    pub login_max_failures_per_ip: i64,
    /// How long failed logins are remembered, seconds.
    pub login_failure_window: u64,
    /// Largest request body, bytes (adapters enforce it while reading).
    pub max_body_bytes: usize,
    /// Largest uploaded file, bytes (the upload routes stream their body and enforce it).
    pub max_upload_bytes: u64,
    /// When a job type running in a loop is stopped.
    pub runaway: RunawayPolicy,
    /// Seals storage credentials (`POWERNODE_ENCRYPTION_KEY`); without it, storages that
    /// need a secret cannot be created or used.
    pub encryption_key: Option<crate::service::credentials::CredentialKey>,
    /// Where users reach the platform (`POWERNODE_PUBLIC_URL`, no trailing slash): the base of
    /// links in emails. Configured rather than taken from a request's `Host`, which a client
    /// chooses (a forged one would put the attacker's link in a genuine email).
    pub public_url: String,
    /// Whether AI providers (and storage endpoints) may live on loopback, private, link-local
    /// or metadata addresses (`POWERNODE_ALLOW_PRIVATE_UPSTREAMS`). Off by default: a user who
    /// saves such a URL would otherwise make the platform call into its own network.
    pub allow_private_upstreams: bool,
    /// The AI circuit breaker's first cool-down (`POWERNODE_AI_BREAKER_COOLDOWN_MS`, default
    /// 30 000), doubling while probes fail.
    pub ai_breaker_cooldown_ms: i64,
}

/// `public_url` when an adapter has nothing better: the address `./scripts/dev` serves on.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Runaway loop detection: a job type that runs more than `max_runs` times within
/// `window_seconds` for the same arguments (and account) is disabled for `disable_seconds`;
/// its jobs claimed meanwhile wait that long without spending an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunawayPolicy {
    /// Runs allowed per window; 0 turns detection off.
    pub max_runs: u32,
    /// The counting window, seconds (it starts at the first run counted).
    pub window_seconds: u64,
    /// How long a tripped job type and arguments stay disabled, seconds.
    pub disable_seconds: u64,
}

impl Default for RunawayPolicy {
    /// ARCHITECTURE.md's values: more than 5 runs a minute disables for 5 minutes.
    fn default() -> Self {
        Self {
            max_runs: 5,
            window_seconds: 60,
            disable_seconds: 300,
        }
    }
}

impl ApiConfig {
    /// Defaults for everything but the two secrets.
    pub fn new(jwt_secret: Vec<u8>, worker_service_token: Vec<u8>) -> Self {
        Self {
            jwt_secret,
            worker_service_token,
            access_token_ttl: 15 * 60,
            refresh_token_ttl: 30 * 24 * 3600,
            login_max_failures_per_email: 5,
            login_max_failures_per_ip: 50,
            login_failure_window: 15 * 60,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 5 * 1024 * 1024 * 1024,
            runaway: RunawayPolicy::default(),
            encryption_key: None,
            public_url: DEFAULT_PUBLIC_URL.into(),
            allow_private_upstreams: false,
            ai_breaker_cooldown_ms: 30_000,
        }
    }
}

// Secrets must never reach a log line, so Debug shows their length only.
impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field(
                "jwt_secret",
                &format_args!("<{} bytes>", self.jwt_secret.len()),
            )
            .field(
                "worker_service_token",
                &format_args!("<{} bytes>", self.worker_service_token.len()),
            )
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field(
                "login_max_failures_per_email",
                &self.login_max_failures_per_email,
            )
            .field("login_max_failures_per_ip", &self.login_max_failures_per_ip)
            .field("login_failure_window", &self.login_failure_window)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("runaway", &self.runaway)
            .field("public_url", &self.public_url)
            .field("allow_private_upstreams", &self.allow_private_upstreams)
            .field("ai_breaker_cooldown_ms", &self.ai_breaker_cooldown_ms)
            .finish()
    }
}
