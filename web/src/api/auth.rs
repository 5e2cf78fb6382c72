//! Sign in, register, sign out, and who am I.

use shared::api::auth::{AuthResponse, LoginRequest, Me, RegisterRequest};

use super::http::{self, ApiError};
use crate::session;

/// Signs in and keeps the tokens.
pub async fn login(email: &str, password: &str) -> Result<AuthResponse, ApiError> {
    let body = LoginRequest {
        email: Some(email.to_string()),
        password: Some(password.to_string()),
    };
    let auth: AuthResponse = http::send("POST", "/api/v1/auth/login", &body).await?;
    session::store_tokens(&auth.access_token, &auth.refresh_token);
    Ok(auth)
}

/// Creates an account with its first user (the owner) and keeps the tokens.
pub async fn register(
    email: &str,
    password: &str,
    name: &str,
    account_name: &str,
) -> Result<AuthResponse, ApiError> {
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let body = RegisterRequest {
        email: Some(email.to_string()),
        password: Some(password.to_string()),
        name: non_empty(name),
        account_name: non_empty(account_name),
    };
    let auth: AuthResponse = http::send("POST", "/api/v1/auth/register", &body).await?;
    session::store_tokens(&auth.access_token, &auth.refresh_token);
    Ok(auth)
}

/// The signed-in user.
pub async fn me() -> Result<Me, ApiError> {
    http::get("/api/v1/auth/me").await
}

/// Ends the session on the server too, then forgets the tokens.
pub async fn logout() {
    // The tokens are forgotten either way: a failed logout must not keep the user in.
    let _: Result<serde_json::Value, _> = http::send_empty("POST", "/api/v1/auth/logout").await;
    session::clear_tokens();
}
