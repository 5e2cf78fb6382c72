//! Bodies of `/api/v1/users/...`.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserRequest {
    /// Login email (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, format = Email, max_length = 254, pattern = "^[^@\\s\\x00-\\x1f\\x7f]{1,64}@[^@\\s\\x00-\\x1f\\x7f.-](?:[^@\\s\\x00-\\x1f\\x7f.]*[^@\\s\\x00-\\x1f\\x7f.-])?(?:\\.[^@\\s\\x00-\\x1f\\x7f.-](?:[^@\\s\\x00-\\x1f\\x7f.]*[^@\\s\\x00-\\x1f\\x7f.-])?)+$"))]
    pub email: Option<String>,
    /// At least 8 characters (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 8, max_length = 256))]
    pub password: Option<String>,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200))]
    pub name: Option<String>,
    /// `owner`, `member` or `viewer` (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, pattern = "^(owner|member|viewer)$"))]
    pub role: Option<String>,
}

/// `PATCH /api/v1/users/:id`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserRequest {
    /// New display name.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200))]
    pub name: Option<String>,
    /// New role: `owner`, `member` or `viewer`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^(owner|member|viewer)$"))]
    pub role: Option<String>,
}
