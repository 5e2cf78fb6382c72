//! The one JSON envelope every response uses (API.md).

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// `{"success": true, "data": ..., "meta": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Success<T> {
    /// Always `true`.
    pub success: bool,
    /// The payload.
    pub data: T,
    /// Optional extras such as pagination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

impl<T> Success<T> {
    /// Wraps `data` without meta.
    pub fn new(data: T) -> Self {
        Self {
            success: true,
            data,
            meta: None,
        }
    }
}

/// `{"success": false, "error": ..., "code": ..., "details": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// A message for humans; never internals.
    pub error: String,
    /// The stable machine-readable code.
    pub code: ErrorCode,
    /// Field errors for `validation_failed`; empty otherwise.
    #[serde(default)]
    pub details: Vec<FieldError>,
}

/// One field's validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The request field, e.g. `email`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
