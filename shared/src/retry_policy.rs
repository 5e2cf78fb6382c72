//! When a failed job runs again (ARCHITECTURE.md, "backoff"). The API computes the next run
//! with this when a consumer reports a failure; consumers read it to explain their waits.

/// HTTP statuses from the API that count as "API errors": transient trouble on the platform's
/// side, retried on a short fixed schedule.
pub const API_ERROR_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

/// The fixed waits after an API error, by attempt (the last repeats).
pub const API_ERROR_BACKOFF_SECONDS: &[u64] = &[30, 60, 180];

/// Whether a status from the API is retried as an API error.
pub fn is_api_error_status(status: u16) -> bool {
    API_ERROR_STATUSES.contains(&status)
}

/// Seconds to wait before the next attempt.
///
/// `attempts` is the number of attempts made so far (1 after the first failure). API errors
/// wait 30, 60, then 180 s; any other error waits `attempts^4 + 15 + jitter`, where `jitter`
/// (0..30) comes from the caller so that this stays deterministic and free of I/O.
pub fn backoff_seconds(attempts: u32, api_error: bool, jitter: u8) -> u64 {
    let attempts = attempts.max(1);
    if api_error {
        let idx = usize::try_from(attempts - 1)
            .unwrap_or(usize::MAX)
            .min(API_ERROR_BACKOFF_SECONDS.len() - 1);
        return API_ERROR_BACKOFF_SECONDS[idx];
    }
    // Capped so that a job with a huge max_attempts cannot overflow or wait for years.
    let attempts = u64::from(attempts.min(50));
    attempts.pow(4) + 15 + u64::from(jitter % 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_wait_30_60_180_then_stay_at_180() {
        let waits: Vec<u64> = (1..=5).map(|a| backoff_seconds(a, true, 29)).collect();
        assert_eq!(waits, [30, 60, 180, 180, 180]);
    }

    #[test]
    fn other_errors_wait_attempts_to_the_fourth_plus_15_plus_jitter() {
        assert_eq!(backoff_seconds(1, false, 0), 16);
        assert_eq!(backoff_seconds(2, false, 0), 31);
        assert_eq!(backoff_seconds(3, false, 29), 81 + 15 + 29);
        assert_eq!(
            backoff_seconds(3, false, 30),
            81 + 15,
            "jitter stays below 30"
        );
        assert!(backoff_seconds(u32::MAX, false, 0) < 7_000_000);
    }

    #[test]
    fn api_error_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_api_error_status(s));
        }
        for s in [400, 401, 404, 409, 422, 501] {
            assert!(!is_api_error_status(s));
        }
    }
}
