//! The account's users: list, invite, change role, deactivate.

use shared::api::auth::User;
use shared::api::users::{CreateUserRequest, UpdateUserRequest};
use uuid::Uuid;

use super::http::{self, ApiError, Page};

/// A page of users.
pub async fn list(page: u32) -> Result<Page<User>, ApiError> {
    http::get_page(&format!("/api/v1/users?page={}&per_page=50", page.max(1))).await
}

/// Adds a user with a role and a first password.
pub async fn invite(request: &CreateUserRequest) -> Result<User, ApiError> {
    http::send("POST", "/api/v1/users", request).await
}

/// Changes a user's role.
pub async fn set_role(id: Uuid, role: &str) -> Result<User, ApiError> {
    let body = UpdateUserRequest {
        name: None,
        role: Some(role.to_string()),
    };
    http::send("PATCH", &format!("/api/v1/users/{id}"), &body).await
}

/// Deactivates a user (their sessions end).
pub async fn deactivate(id: Uuid) -> Result<User, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/users/{id}")).await
}
