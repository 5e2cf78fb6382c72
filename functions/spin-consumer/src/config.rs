//! The component's settings, from Spin variables (`[component.consumer.variables]` in
//! `spin.toml`).
//!
//! Parsing takes a lookup function so it is tested natively; on Spin the lookup is
//! `spin_sdk::variables::get`. Values never reach an error message or a log line, only names.

/// Queues served when `consumer_queues` is unset: the native consumer's default, but not
/// `file_processing` (the media runner polls it) nor `email` (the native consumer sends mail:
/// SMTP needs a TCP client this component lacks).
pub const DEFAULT_QUEUES: &str = "default,webhooks,maintenance,ai";

/// Lease per claim when `consumer_lease_seconds` is unset. `jobs::deliver` does not heartbeat,
/// so the lease must outlast the longest job; the API's own default for claims by id.
pub const DEFAULT_LEASE_SECONDS: i64 = 300;

/// The lease range the API accepts for a claim by id.
const LEASE_RANGE: std::ops::RangeInclusive<i64> = 5..=3600;

/// What is wrong with the variables. Names only: values may be secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is absent or empty.
    #[error("the Spin variable `{0}` is required")]
    Missing(&'static str),
    /// A variable is set to something it cannot be.
    #[error("the Spin variable `{0}` must be {1}")]
    Invalid(&'static str, &'static str),
}

/// Everything the component reads.
#[derive(Clone)]
pub struct ConsumerSettings {
    /// `backend_api_url`: where the API's worker routes are (no trailing slash needed).
    pub backend_api_url: String,
    /// `worker_service_token`: the secret the service JWTs are signed with.
    pub worker_service_token: String,
    /// `consumer_queues`, comma separated: announcements for other queues are left alone.
    pub queues: Vec<String>,
    /// `consumer_lease_seconds`.
    pub lease_seconds: i64,
}

impl ConsumerSettings {
    /// Reads the settings through `lookup` (absent and empty both mean unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let url = required("backend_api_url")?.trim().to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::Invalid(
                "backend_api_url",
                "an http:// or https:// URL",
            ));
        }
        let queues: Vec<String> = get("consumer_queues")
            .unwrap_or_else(|| DEFAULT_QUEUES.into())
            .split(',')
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty())
            .collect();
        if queues.is_empty() {
            return Err(ConfigError::Invalid(
                "consumer_queues",
                "a comma-separated list of queue names",
            ));
        }
        // This component would claim an email job and kill it (no SMTP here); refuse instead.
        if queues
            .iter()
            .any(|q| shared::job::NATIVE_QUEUES.contains(&q.as_str()))
        {
            return Err(ConfigError::Invalid(
                "consumer_queues",
                "queues this component can run (not email: the native consumer sends mail)",
            ));
        }
        let lease_seconds = match get("consumer_lease_seconds") {
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| LEASE_RANGE.contains(s))
                .ok_or(ConfigError::Invalid(
                    "consumer_lease_seconds",
                    "a whole number from 5 to 3600",
                ))?,
            None => DEFAULT_LEASE_SECONDS,
        };
        Ok(Self {
            backend_api_url: url,
            worker_service_token: required("worker_service_token")?,
            queues,
            lease_seconds,
        })
    }

    /// Whether this consumer runs jobs of `queue`.
    pub fn serves(&self, queue: &str) -> bool {
        self.queues.iter().any(|q| q == queue)
    }
}

// The token must never reach a log line.
impl std::fmt::Debug for ConsumerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerSettings")
            .field("backend_api_url", &self.backend_api_url)
            .field("worker_service_token", &"<set>")
            .field("queues", &self.queues)
            .field("lease_seconds", &self.lease_seconds)
            .finish()
    }
}
