//! Bodies of `/api/v1/users/...`.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserRequest {
    /// Login email (required).
    pub email: Option<String>,
    /// At least 8 characters (required).
    pub password: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// `owner`, `member` or `viewer` (required).
    pub role: Option<String>,
}

/// `PATCH /api/v1/users/:id`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserRequest {
    /// New display name.
    pub name: Option<String>,
    /// New role: `owner`, `member` or `viewer`.
    pub role: Option<String>,
}
