//! `sessions` and `refresh_tokens`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::DbError;
use crate::ports::Conn;

/// Why a session ended; stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// The user signed out.
    Logout,
    /// A rotated refresh token was presented again.
    RefreshTokenReuse,
    /// The user was deactivated.
    UserDeactivated,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::RefreshTokenReuse => "refresh_token_reuse",
            RevokeReason::UserDeactivated => "user_deactivated",
        }
    }
}

/// Starts a session.
pub async fn insert(
    c: &dyn Conn,
    id: Uuid,
    user: Uuid,
    ip: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::SESSION_INSERT,
        &[
            id.into(),
            user.into(),
            ip.into(),
            user_agent.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// Ends a session; false if it had already ended.
pub async fn revoke(
    c: &dyn Conn,
    id: Uuid,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::SESSION_REVOKE,
        &[id.into(), now.into(), reason.as_str().into()],
    )
    .await?
        > 0)
}

/// Ends every session of a user.
pub async fn revoke_all_for_user(
    c: &dyn Conn,
    user: Uuid,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<u64, DbError> {
    c.execute(
        sql::SESSION_REVOKE_ALL_FOR_USER,
        &[user.into(), now.into(), reason.as_str().into()],
    )
    .await
}

/// Stores a refresh token's hash.
pub async fn insert_refresh_token(
    c: &dyn Conn,
    id: Uuid,
    session: Uuid,
    token_hash: Vec<u8>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::REFRESH_TOKEN_INSERT,
        &[
            id.into(),
            session.into(),
            token_hash.into(),
            now.into(),
            expires_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// A refresh token with the state of its session and user.
#[derive(Debug, Clone)]
pub struct RefreshTokenState {
    /// Token id.
    pub id: Uuid,
    /// Its session (family).
    pub session_id: Uuid,
    /// When it stops being usable.
    pub expires_at: DateTime<Utc>,
    /// Set once rotated.
    pub used_at: Option<DateTime<Utc>>,
    /// Set once the session ended.
    pub session_revoked_at: Option<DateTime<Utc>>,
    /// The session's user.
    pub user_id: Uuid,
    /// The user's account.
    pub account_id: Uuid,
    /// Set once the user was deactivated.
    pub user_deactivated_at: Option<DateTime<Utc>>,
}

/// Looks a refresh token up by its hash.
pub async fn refresh_token_by_hash(
    c: &dyn Conn,
    token_hash: Vec<u8>,
) -> Result<Option<RefreshTokenState>, DbError> {
    let Some(row) = query_opt(c, sql::REFRESH_TOKEN_GET_BY_HASH, &[token_hash.into()]).await?
    else {
        return Ok(None);
    };
    Ok(Some(RefreshTokenState {
        id: row.get("id")?,
        session_id: row.get("session_id")?,
        expires_at: row.get("expires_at")?,
        used_at: row.get("used_at")?,
        session_revoked_at: row.get("revoked_at")?,
        user_id: row.get("user_id")?,
        account_id: row.get("account_id")?,
        user_deactivated_at: row.get("deactivated_at")?,
    }))
}

/// Marks a token used and replaced; false if another request rotated it first.
pub async fn rotate_refresh_token(
    c: &dyn Conn,
    id: Uuid,
    replaced_by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::REFRESH_TOKEN_ROTATE,
        &[id.into(), now.into(), replaced_by.into()],
    )
    .await?
        == 1)
}
