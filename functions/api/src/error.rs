//! `ApiError`: every failure a handler can return, mapped to a status, a code and a message
//! that is safe to show. Internals go to the log through `internal`, never to the client.

use shared::{ErrorCode, FieldError};

use crate::db::DbError;
use crate::ports::{CacheError, PasswordError};

/// Seconds a client is told to wait when a dependency is down.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// A failed request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The stable code (and so the status).
    pub code: ErrorCode,
    /// For humans; safe to show.
    pub message: String,
    /// Field errors for `validation_failed`.
    pub details: Vec<FieldError>,
    /// `Retry-After` seconds for 429 and 503.
    pub retry_after: Option<u64>,
    /// What really happened, for the log only.
    pub internal: Option<String>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            internal: None,
        }
    }

    /// 400: the request could not be read.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// 401 with the one message every authentication failure shares.
    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "authentication required: the token is missing, invalid, expired or revoked",
        )
    }

    /// 401 with a specific, non-revealing message.
    pub fn unauthorized_because(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// 403.
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            ErrorCode::Forbidden,
            format!("this requires the `{permission}` permission"),
        )
    }

    /// 404 for a resource kind.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// 422 with field errors.
    pub fn validation(details: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            ErrorCode::ValidationFailed,
            "the request has invalid fields",
        );
        e.details = details;
        e
    }

    /// 422 for one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, "too many attempts; try again later");
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// 503 with `Retry-After`; `internal` is logged.
    pub fn unavailable(dependency: &str, internal: impl Into<String>) -> Self {
        let mut e = Self::new(
            ErrorCode::Unavailable,
            format!("{dependency} is unavailable; try again shortly"),
        );
        e.retry_after = Some(UNAVAILABLE_RETRY_AFTER);
        e.internal = Some(internal.into());
        e
    }

    /// 500: a bug. The client sees a generic message; `internal` is logged.
    pub fn internal(internal: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::Internal, "internal error");
        e.internal = Some(internal.into());
        e
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(why) => ApiError::unavailable("the database", why),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<CacheError> for ApiError {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::Unavailable(why) => ApiError::unavailable("the cache", why),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        ApiError::internal(e.to_string())
    }
}

/// The handlers' result type.
pub type ApiResult<T> = Result<T, ApiError>;
