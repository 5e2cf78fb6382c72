//! Guessing throttles: failed sign-ins are counted per email and per client IP, wrong share
//! passwords per share and per client IP, in the cache; past the limit, the route answers 429
//! with `Retry-After` until the window ends.

use sha2::{Digest, Sha256};

use crate::Api;
use crate::error::{ApiError, ApiResult};

fn email_key(email: &str) -> String {
    // Hashed so that the cache never holds addresses.
    let digest = Sha256::digest(email.as_bytes());
    format!("login:fail:email:{}", hex_prefix(&digest))
}

fn ip_key(ip: &str) -> String {
    format!("login:fail:ip:{ip}")
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn keys(api: &Api, email: &str, ip: Option<&str>) -> Vec<(String, i64)> {
    let cfg = api.config();
    let mut keys = vec![(email_key(email), cfg.login_max_failures_per_email)];
    if let Some(ip) = ip {
        keys.push((ip_key(ip), cfg.login_max_failures_per_ip));
    }
    keys
}

/// Wrong passwords one share link may take per window (a share password is at least 8
/// characters; 10 guesses per 15 minutes makes guessing it hopeless).
pub const SHARE_MAX_FAILURES: i64 = 10;

fn share_keys(api: &Api, share: uuid::Uuid, ip: Option<&str>) -> Vec<(String, i64)> {
    let mut keys = vec![(format!("share:fail:{}", share.simple()), SHARE_MAX_FAILURES)];
    if let Some(ip) = ip {
        keys.push((
            format!("share:fail:ip:{ip}"),
            api.config().login_max_failures_per_ip,
        ));
    }
    keys
}

/// `Err(429)` when the email or the IP is over its limit.
pub async fn check(api: &Api, email: &str, ip: Option<&str>) -> ApiResult<()> {
    check_keys(api, keys(api, email, ip)).await
}

/// `Err(429)` when the share link or the IP has had too many wrong passwords.
pub async fn check_share(api: &Api, share: uuid::Uuid, ip: Option<&str>) -> ApiResult<()> {
    check_keys(api, share_keys(api, share, ip)).await
}

/// Counts a wrong share password against the link and the IP.
pub async fn record_share_failure(api: &Api, share: uuid::Uuid, ip: Option<&str>) -> ApiResult<()> {
    record_keys(api, share_keys(api, share, ip)).await
}

async fn check_keys(api: &Api, keys: Vec<(String, i64)>) -> ApiResult<()> {
    let cache = &api.ports().cache;
    for (key, limit) in keys {
        let failures = cache
            .get(&key)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if failures >= limit {
            let wait = cache
                .ttl(&key)
                .await?
                .unwrap_or(api.config().login_failure_window);
            return Err(ApiError::rate_limited(wait));
        }
    }
    Ok(())
}

/// Counts a failed sign-in against the email and the IP.
pub async fn record_failure(api: &Api, email: &str, ip: Option<&str>) -> ApiResult<()> {
    record_keys(api, keys(api, email, ip)).await
}

async fn record_keys(api: &Api, keys: Vec<(String, i64)>) -> ApiResult<()> {
    let window = api.config().login_failure_window;
    for (key, _) in keys {
        api.ports().cache.incr_with_ttl(&key, window).await?;
    }
    Ok(())
}

/// Forgets an email's failures after a successful sign-in (the IP's count stays: a success on
/// one account says nothing about the others tried from that address).
pub async fn clear(api: &Api, email: &str) -> ApiResult<()> {
    api.ports().cache.del(&email_key(email)).await?;
    Ok(())
}
