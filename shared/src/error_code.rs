//! The stable, snake_case error codes clients see, and the HTTP status each one maps to.

use serde::{Deserialize, Serialize};

/// Every error code the API can answer with (API.md, "Envelope and status codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed JSON or multipart, wrong types.
    BadRequest,
    /// No token, bad signature, expired, revoked, wrong password.
    Unauthorized,
    /// Authenticated, but without the permission.
    Forbidden,
    /// Does not exist, or belongs to another account.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// Duplicate, or idempotency-key reuse with another body.
    Conflict,
    /// Share expired or out of downloads.
    Gone,
    /// Body over the configured limit.
    PayloadTooLarge,
    /// A `Range` that starts past the end of the file.
    RangeNotSatisfiable,
    /// Semantic validation; `details` lists field errors.
    ValidationFailed,
    /// A storage quota would be exceeded.
    QuotaExceeded,
    /// Too many requests; the response carries `Retry-After`.
    RateLimited,
    /// A bug. Never carries internals.
    Internal,
    /// A dependency is down; the response carries `Retry-After`.
    Unavailable,
    /// An AI call would pass the account's monthly budget (no tokens were spent).
    BudgetExceeded,
    /// Every candidate AI provider failed; `details` lists each attempt.
    UpstreamError,
    /// The AI provider refused the request itself (with its message); not retried.
    UpstreamRejected,
}

impl ErrorCode {
    /// The HTTP status for this code.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::Gone => 410,
            Self::PayloadTooLarge => 413,
            Self::RangeNotSatisfiable => 416,
            Self::BudgetExceeded => 402,
            Self::ValidationFailed | Self::QuotaExceeded | Self::UpstreamRejected => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::UpstreamError => 502,
        }
    }

    /// The wire spelling (`"not_found"`), for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::Gone => "gone",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RangeNotSatisfiable => "range_not_satisfiable",
            Self::ValidationFailed => "validation_failed",
            Self::QuotaExceeded => "quota_exceeded",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::BudgetExceeded => "budget_exceeded",
            Self::UpstreamError => "upstream_error",
            Self::UpstreamRejected => "upstream_rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_matches_serde() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::NotFound,
            ErrorCode::ValidationFailed,
            ErrorCode::QuotaExceeded,
            ErrorCode::RateLimited,
            ErrorCode::MethodNotAllowed,
            ErrorCode::RangeNotSatisfiable,
            ErrorCode::BudgetExceeded,
            ErrorCode::UpstreamError,
            ErrorCode::UpstreamRejected,
        ] {
            let json = serde_json::to_value(code).expect("serializes");
            assert_eq!(json, serde_json::Value::String(code.as_str().into()));
        }
        assert_eq!(ErrorCode::QuotaExceeded.status(), 422);
        assert_eq!(ErrorCode::BudgetExceeded.status(), 402);
        assert_eq!(ErrorCode::UpstreamError.status(), 502);
    }
}
