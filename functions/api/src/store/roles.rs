//! `permissions`, `roles`, `role_permissions`, `user_roles`.

use chrono::{DateTime, Utc};
use shared::Role;
use uuid::Uuid;

use super::sql;
use crate::db::DbError;
use crate::ports::Conn;

/// Inserts or refreshes a permission by name.
pub async fn upsert_permission(
    c: &dyn Conn,
    id: Uuid,
    name: &str,
    description: &str,
) -> Result<(), DbError> {
    c.execute(
        sql::PERMISSION_UPSERT,
        &[id.into(), name.into(), description.into()],
    )
    .await
    .map(drop)
}

/// Inserts or refreshes a built-in role and makes its grants exactly `permissions`.
pub async fn upsert_role(
    c: &dyn Conn,
    id: Uuid,
    role: Role,
    permissions: Vec<String>,
) -> Result<(), DbError> {
    c.execute(
        sql::ROLE_UPSERT,
        &[id.into(), role.as_str().into(), role.description().into()],
    )
    .await?;
    c.execute(
        sql::ROLE_PERMISSIONS_PRUNE,
        &[role.as_str().into(), permissions.clone().into()],
    )
    .await?;
    c.execute(
        sql::ROLE_PERMISSIONS_GRANT,
        &[role.as_str().into(), permissions.into()],
    )
    .await?;
    Ok(())
}

/// Gives a user a role (no-op if held).
pub async fn grant(
    c: &dyn Conn,
    user: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::USER_ROLE_GRANT,
        &[user.into(), role.as_str().into(), now.into()],
    )
    .await
    .map(drop)
}

/// Takes roles from a user.
pub async fn revoke(c: &dyn Conn, user: Uuid, roles: &[Role]) -> Result<(), DbError> {
    let names: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
    c.execute(sql::USER_ROLES_REVOKE, &[user.into(), names.into()])
        .await
        .map(drop)
}
