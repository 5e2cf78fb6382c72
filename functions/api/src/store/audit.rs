//! `audit_logs`: who did what, append-only.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::sql;
use crate::db::DbError;
use crate::ports::Conn;

/// One audit entry.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// The entry's id.
    pub id: Uuid,
    /// The account affected, if any.
    pub account_id: Option<Uuid>,
    /// Who acted, if known.
    pub actor_user_id: Option<Uuid>,
    /// Dotted verb, e.g. `user.deactivated`.
    pub action: &'a str,
    /// What kind of thing was acted on.
    pub target_type: Option<&'a str>,
    /// Which one.
    pub target_id: Option<Uuid>,
    /// The client's address.
    pub ip: Option<String>,
    /// Extra facts (never secrets).
    pub details: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// Appends an entry.
pub async fn insert(c: &dyn Conn, e: AuditEntry<'_>) -> Result<(), DbError> {
    c.execute(
        sql::AUDIT_LOG_INSERT,
        &[
            e.id.into(),
            e.account_id.into(),
            e.actor_user_id.into(),
            e.action.into(),
            e.target_type.into(),
            e.target_id.into(),
            e.ip.into(),
            e.details.into(),
            e.at.into(),
        ],
    )
    .await
    .map(drop)
}
