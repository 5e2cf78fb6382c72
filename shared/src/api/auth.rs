//! Bodies of `/api/v1/auth/...`.
//!
//! Required request fields are `Option`s so that a missing field is a 422 with a field error
//! rather than a deserialization failure (400 is kept for malformed JSON and wrong types).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Permission, Role};

/// `POST /api/v1/auth/register`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    /// Login email (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, format = Email, max_length = 254, pattern = "^[^@\\s\\x00-\\x1f\\x7f]{1,64}@[^@\\s\\x00-\\x1f\\x7f.-](?:[^@\\s\\x00-\\x1f\\x7f.]*[^@\\s\\x00-\\x1f\\x7f.-])?(?:\\.[^@\\s\\x00-\\x1f\\x7f.-](?:[^@\\s\\x00-\\x1f\\x7f.]*[^@\\s\\x00-\\x1f\\x7f.-])?)+$"))]
    pub email: Option<String>,
    /// At least 8 characters (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 8, max_length = 256))]
    pub password: Option<String>,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200))]
    pub name: Option<String>,
    /// Name of the account created with the user.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 200))]
    pub account_name: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// Login email (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String))]
    pub email: Option<String>,
    /// Password (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String))]
    pub password: Option<String>,
}

/// `POST /api/v1/auth/refresh`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    /// The opaque refresh token (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1))]
    pub refresh_token: Option<String>,
}

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// UUIDv7.
    pub id: Uuid,
    /// Login email, lower-cased.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// The account the user belongs to.
    pub account_id: Uuid,
    /// Role names.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub roles: Vec<Role>,
    /// Permission names the roles grant.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub permissions: Vec<Permission>,
    /// False once deactivated.
    pub active: bool,
    /// RFC 3339 UTC.
    pub created_at: DateTime<Utc>,
}

/// An account as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    /// UUIDv7.
    pub id: Uuid,
    /// Account name.
    pub name: String,
    /// RFC 3339 UTC.
    pub created_at: DateTime<Utc>,
}

/// Answer of register and login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    /// The signed-in user.
    pub user: User,
    /// The user's account.
    pub account: Account,
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Answer of refresh.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// The next refresh token; the one sent is now spent.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Answer of `GET /api/v1/auth/me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// UUIDv7.
    pub id: Uuid,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// The account the user belongs to.
    pub account_id: Uuid,
    /// Role names.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub roles: Vec<Role>,
    /// Permission names.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub permissions: Vec<Permission>,
}
