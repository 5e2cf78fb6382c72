//! `users`, and the `user_profiles` view (a user with roles and permissions).

use chrono::{DateTime, Utc};
use shared::api::auth::User;
use shared::{Permission, Role};
use uuid::Uuid;

use super::{query_one, query_opt, sql};
use crate::db::{DbError, Row};
use crate::ports::Conn;

/// The unique constraint that makes emails unique.
pub const EMAIL_UNIQUE: &str = "users_email_key";

/// A new user's columns.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Id.
    pub id: Uuid,
    /// Account.
    pub account_id: Uuid,
    /// Lower-cased email.
    pub email: &'a str,
    /// Display name.
    pub name: Option<&'a str>,
    /// PHC string.
    pub password_hash: &'a str,
}

/// Inserts a user; a taken email is `DbError::UniqueViolation(Some(EMAIL_UNIQUE))`.
pub async fn insert(c: &dyn Conn, u: NewUser<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(
        sql::USER_INSERT,
        &[
            u.id.into(),
            u.account_id.into(),
            u.email.into(),
            u.name.into(),
            u.password_hash.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// What login needs to know about an email.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    /// User id.
    pub id: Uuid,
    /// Account id.
    pub account_id: Uuid,
    /// PHC string.
    pub password_hash: String,
    /// Whether the user may sign in.
    pub active: bool,
}

/// The login record for an email.
pub async fn for_login(c: &dyn Conn, email: &str) -> Result<Option<LoginRecord>, DbError> {
    let Some(row) = query_opt(c, sql::USER_GET_FOR_LOGIN, &[email.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(LoginRecord {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        password_hash: row.get("password_hash")?,
        active: row
            .get::<Option<DateTime<Utc>>>("deactivated_at")?
            .is_none(),
    }))
}

/// `(user id, account id)` for an email.
pub async fn id_by_email(c: &dyn Conn, email: &str) -> Result<Option<(Uuid, Uuid)>, DbError> {
    let Some(row) = query_opt(c, sql::USER_ID_BY_EMAIL, &[email.into()]).await? else {
        return Ok(None);
    };
    Ok(Some((row.get("id")?, row.get("account_id")?)))
}

/// A user of `account`, as the API shows it; `None` for another account's user.
pub async fn profile(c: &dyn Conn, id: Uuid, account: Uuid) -> Result<Option<User>, DbError> {
    query_opt(c, sql::USER_PROFILE_GET, &[id.into(), account.into()])
        .await?
        .map(|r| user_from_row(&r))
        .transpose()
}

/// A page of an account's users, oldest first.
pub async fn profiles(
    c: &dyn Conn,
    account: Uuid,
    limit: i64,
    offset: i64,
) -> Result<Vec<User>, DbError> {
    c.query(
        sql::USER_PROFILE_LIST,
        &[account.into(), limit.into(), offset.into()],
    )
    .await?
    .iter()
    .map(user_from_row)
    .collect()
}

/// How many users an account has.
pub async fn count(c: &dyn Conn, account: Uuid) -> Result<i64, DbError> {
    query_one(c, sql::USER_COUNT_BY_ACCOUNT, &[account.into()])
        .await?
        .get("total")
}

/// The caller behind a user token, if the user is active and the session live.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPrincipal {
    /// User id.
    pub id: Uuid,
    /// Account id.
    pub account_id: Uuid,
    /// The session the token came from.
    pub session_id: Uuid,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Permissions the roles grant.
    pub permissions: Vec<Permission>,
}

impl UserPrincipal {
    /// Whether the caller holds a permission. `admin.*` covers every `admin.` permission and,
    /// platform-wide, every account permission's `admin.` twin (so a platform admin passes a
    /// `jobs.read` route and then sees every account's jobs).
    pub fn can(&self, required: &str) -> bool {
        let platform = format!("admin.{required}");
        self.permissions
            .iter()
            .any(|p| p.grants(required) || p.grants(&platform))
    }

    /// Whether the caller acts platform-wide for `permission` rather than for their account.
    pub fn is_platform(&self, permission: &str) -> bool {
        let platform = format!("admin.{permission}");
        self.permissions.iter().any(|p| p.grants(&platform))
    }
}

/// Loads the principal for a verified token's user and session.
pub async fn principal(
    c: &dyn Conn,
    user: Uuid,
    session: Uuid,
) -> Result<Option<UserPrincipal>, DbError> {
    let Some(row) = query_opt(c, sql::USER_PRINCIPAL_GET, &[user.into(), session.into()]).await?
    else {
        return Ok(None);
    };
    Ok(Some(UserPrincipal {
        id: row.get("id")?,
        account_id: row.get("account_id")?,
        session_id: session,
        email: row.get("email")?,
        name: row.get("name")?,
        roles: parse_roles(row.get("roles")?),
        permissions: parse_permissions(row.get("permissions")?),
    }))
}

/// Marks a user deactivated; false if already.
pub async fn deactivate(c: &dyn Conn, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbError> {
    Ok(c.execute(sql::USER_DEACTIVATE, &[id.into(), now.into()])
        .await?
        > 0)
}

/// Records a successful sign-in.
pub async fn record_login(c: &dyn Conn, id: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(sql::USER_RECORD_LOGIN, &[id.into(), now.into()])
        .await
        .map(drop)
}

/// Renames a user.
pub async fn update_name(
    c: &dyn Conn,
    id: Uuid,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(sql::USER_UPDATE_NAME, &[id.into(), name.into(), now.into()])
        .await
        .map(drop)
}

fn user_from_row(row: &Row) -> Result<User, DbError> {
    Ok(User {
        id: row.get("id")?,
        email: row.get("email")?,
        name: row.get("name")?,
        account_id: row.get("account_id")?,
        roles: parse_roles(row.get("roles")?),
        permissions: parse_permissions(row.get("permissions")?),
        active: row
            .get::<Option<DateTime<Utc>>>("deactivated_at")?
            .is_none(),
        created_at: row.get("created_at")?,
    })
}

// Names the code does not know (a newer deployment's roles during a rollout) are skipped
// rather than failing the request.
fn parse_roles(names: Vec<String>) -> Vec<Role> {
    names.iter().filter_map(|n| Role::parse(n)).collect()
}

fn parse_permissions(names: Vec<String>) -> Vec<Permission> {
    names.iter().filter_map(|n| Permission::parse(n)).collect()
}
