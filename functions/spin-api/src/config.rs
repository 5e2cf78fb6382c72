//! The component's settings, from Spin variables (`[component.api.variables]` in `spin.toml`).
//!
//! Parsing takes a lookup function so it is tested natively; on Spin the lookup is
//! `spin_sdk::variables::get`. Values never reach an error message or a log line, only names.

use powernode_api::service::credentials::CredentialKey;
use powernode_api::{ApiConfig, RunawayPolicy};

/// The channel job announcements go to when `jobs_channel` is unset.
pub const DEFAULT_JOBS_CHANNEL: &str = "powernode:jobs";

/// What is wrong with the variables. Names only: values may be secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is absent or empty.
    #[error("the Spin variable `{0}` is required")]
    Missing(&'static str),
    /// A numeric variable does not parse.
    #[error("the Spin variable `{0}` must be a whole number")]
    NotANumber(&'static str),
}

/// Everything the component reads.
#[derive(Clone)]
pub struct SpinSettings {
    /// `jwt_secret`.
    pub jwt_secret: String,
    /// `worker_service_token`.
    pub worker_service_token: String,
    /// `encryption_key`: the at-rest key that seals webhook and storage secrets.
    pub encryption_key: String,
    /// `database_url`.
    pub database_url: String,
    /// `redis_url`.
    pub redis_url: String,
    /// `redis_prefix` (default `pn:`, as natively).
    pub redis_prefix: String,
    /// `jobs_channel` (default [`DEFAULT_JOBS_CHANNEL`]): where job announcements are published,
    /// the channel the consumer component's Redis trigger subscribes to.
    pub jobs_channel: String,
    /// `runaway_max_runs`, `runaway_window_seconds`, `runaway_disable_seconds`.
    pub runaway: RunawayPolicy,
    /// `public_url`: the base of links in emails (as `POWERNODE_PUBLIC_URL` natively).
    pub public_url: String,
}

impl SpinSettings {
    /// Reads the settings through `lookup` (absent and empty both mean unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let number = |name: &'static str, default: u64| match get(name) {
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map_err(|_| ConfigError::NotANumber(name)),
            None => Ok(default),
        };
        let defaults = RunawayPolicy::default();
        let max_runs = number("runaway_max_runs", defaults.max_runs.into())?;
        Ok(Self {
            jwt_secret: required("jwt_secret")?,
            worker_service_token: required("worker_service_token")?,
            encryption_key: required("encryption_key")?,
            database_url: required("database_url")?,
            redis_url: required("redis_url")?,
            redis_prefix: get("redis_prefix").unwrap_or_else(|| "pn:".into()),
            jobs_channel: get("jobs_channel").unwrap_or_else(|| DEFAULT_JOBS_CHANNEL.into()),
            public_url: get("public_url")
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .unwrap_or_else(|| powernode_api::config::DEFAULT_PUBLIC_URL.into()),
            runaway: RunawayPolicy {
                max_runs: u32::try_from(max_runs)
                    .map_err(|_| ConfigError::NotANumber("runaway_max_runs"))?,
                window_seconds: number("runaway_window_seconds", defaults.window_seconds)?,
                disable_seconds: number("runaway_disable_seconds", defaults.disable_seconds)?,
            },
        })
    }

    /// The core's configuration.
    pub fn api_config(&self) -> ApiConfig {
        let mut config = ApiConfig::new(
            self.jwt_secret.clone().into_bytes(),
            self.worker_service_token.clone().into_bytes(),
        );
        config.runaway = self.runaway;
        config.public_url = self.public_url.clone();
        // Seals webhook and storage secrets, as POWERNODE_ENCRYPTION_KEY does natively.
        config.encryption_key = Some(CredentialKey::from_secret(self.encryption_key.as_bytes()));
        config
    }
}

// Secrets must never reach a log line: Debug shows the addresses' presence, not their text
// (a database URL carries a password).
impl std::fmt::Debug for SpinSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpinSettings")
            .field("jwt_secret", &"<set>")
            .field("worker_service_token", &"<set>")
            .field("encryption_key", &"<set>")
            .field("database_url", &"<set>")
            .field("redis_url", &"<set>")
            .field("redis_prefix", &self.redis_prefix)
            .field("jobs_channel", &self.jobs_channel)
            .field("runaway", &self.runaway)
            .field("public_url", &self.public_url)
            .finish()
    }
}
