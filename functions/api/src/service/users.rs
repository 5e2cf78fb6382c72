//! The account's users: list, add, rename or change role, deactivate. Every lookup is scoped to
//! the caller's account, so another account's user is simply not found (404).

use chrono::{DateTime, Utc};
use shared::Role;
use shared::api::auth::User;
use shared::api::users::{CreateUserRequest, UpdateUserRequest};
use shared::pagination::{PageRequest, Pagination};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::service::notify;
use crate::service::validate::Checks;
use crate::store::sessions::RevokeReason;
use crate::store::{self, users::NewUser};

const ROLE_CHOICES: &str = "must be one of owner, member, viewer";
const LAST_OWNER: &str = "the account's last owner cannot be demoted or deactivated";

/// A page of the caller's account's users.
pub async fn list(ctx: &Ctx<'_>, page: PageRequest) -> ApiResult<(Vec<User>, Pagination)> {
    let account = ctx.user()?.account_id;
    let db = ctx.api.db();
    let total = store::users::count(db, account).await?;
    let users =
        store::users::profiles(db, account, i64::from(page.per_page), page.offset()).await?;
    Ok((users, page.meta(u64::try_from(total).unwrap_or(0))))
}

/// Adds a user to the caller's account.
pub async fn create(ctx: &Ctx<'_>, req: CreateUserRequest) -> ApiResult<User> {
    let actor = ctx.user()?;
    let api = ctx.api;
    let mut checks = Checks::new();
    let email = checks.email("email", &req.email);
    let password = checks.password("password", &req.password);
    let name = checks.name("name", &req.name);
    let role = parse_role(&mut checks, &req.role, true);
    checks.finish()?;
    let (Some(email), Some(password), Some(name), Some(Some(role))) = (email, password, name, role)
    else {
        return Err(ApiError::internal("validation passed without values"));
    };

    let hash = api.ports().passwords.hash(password, api.random()).await?;
    let id = api.new_id();
    let now = api.now();
    let tx = api.db().begin().await?;
    insert_user(
        &*tx,
        NewUser {
            id,
            account_id: actor.account_id,
            email: &email,
            name: name.as_deref(),
            password_hash: &hash,
        },
        now,
        "a user with this email already exists",
    )
    .await?;
    store::roles::grant(&*tx, id, role, now).await?;
    audit(
        ctx,
        &*tx,
        "user.created",
        id,
        serde_json::json!({ "role": role.as_str() }),
    )
    .await?;
    let user = load(&*tx, id, actor.account_id).await?;
    // Their welcome email commits with them; it names the account and the inviter, never the
    // password.
    let account = store::accounts::get(&*tx, actor.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the caller's account vanished"))?;
    let inviter = actor.name.as_deref().unwrap_or(&actor.email);
    let welcome = notify::invite_email(&api.config().public_url, &email, &account.name, inviter);
    let announce = notify::user_invited(api, &*tx, actor.account_id, id, &welcome).await?;
    tx.commit().await?;
    crate::queue::push::announce(api, announce).await;
    Ok(user)
}

/// Renames a user or changes their role.
pub async fn update(ctx: &Ctx<'_>, id: Uuid, req: UpdateUserRequest) -> ApiResult<User> {
    let actor = ctx.user()?;
    let api = ctx.api;
    let mut checks = Checks::new();
    let name = checks.name("name", &req.name);
    let role = parse_role(&mut checks, &req.role, false);
    checks.finish()?;
    let (Some(name), Some(role)) = (name, role) else {
        return Err(ApiError::internal("validation passed without values"));
    };

    let now = api.now();
    let tx = api.db().begin().await?;
    let current = lock_and_load(&*tx, actor.account_id, id).await?;
    if req.name.is_some() {
        store::users::update_name(&*tx, id, name.as_deref(), now).await?;
    }
    if let Some(role) = role {
        let is_owner = current.roles.contains(&Role::Owner);
        if is_owner
            && role != Role::Owner
            && current.active
            && store::accounts::owner_count(&*tx, actor.account_id).await? <= 1
        {
            let _ = tx.rollback().await;
            return Err(ApiError::invalid_field("role", LAST_OWNER));
        }
        let assignable: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| r.assignable())
            .collect();
        store::roles::revoke(&*tx, id, &assignable).await?;
        store::roles::grant(&*tx, id, role, now).await?;
    }
    let details =
        serde_json::json!({ "name_changed": req.name.is_some(), "role": role.map(Role::as_str) });
    audit(ctx, &*tx, "user.updated", id, details).await?;
    let user = load(&*tx, id, actor.account_id).await?;
    tx.commit().await?;
    Ok(user)
}

/// Deactivates a user and ends all their sessions. Deactivating an inactive user changes
/// nothing and answers the user as it is.
pub async fn deactivate(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<User> {
    let actor = ctx.user()?;
    let api = ctx.api;
    let now = api.now();
    let tx = api.db().begin().await?;
    let current = lock_and_load(&*tx, actor.account_id, id).await?;
    if !current.active {
        let _ = tx.rollback().await;
        return Ok(current);
    }
    if current.roles.contains(&Role::Owner)
        && store::accounts::owner_count(&*tx, actor.account_id).await? <= 1
    {
        let _ = tx.rollback().await;
        return Err(ApiError::invalid_field("id", LAST_OWNER));
    }
    store::users::deactivate(&*tx, id, now).await?;
    let revoked =
        store::sessions::revoke_all_for_user(&*tx, id, RevokeReason::UserDeactivated, now).await?;
    audit(
        ctx,
        &*tx,
        "user.deactivated",
        id,
        serde_json::json!({ "sessions_revoked": revoked }),
    )
    .await?;
    let user = load(&*tx, id, actor.account_id).await?;
    tx.commit().await?;
    Ok(user)
}

/// `Some(None)`: absent and optional; `Some(Some(role))`: valid; `None`: invalid (recorded).
fn parse_role(checks: &mut Checks, value: &Option<String>, required: bool) -> Option<Option<Role>> {
    match value.as_deref() {
        None if required => {
            checks.fail("role", "is required");
            None
        }
        None => Some(None),
        Some(name) => match Role::parse(name.trim()).filter(|r| r.assignable()) {
            Some(role) => Some(Some(role)),
            None => {
                checks.fail("role", ROLE_CHOICES);
                None
            }
        },
    }
}

/// Inserts a user; a taken email is 409 with `conflict`. On error the caller abandons its
/// transaction (dropping it rolls back).
pub(crate) async fn insert_user(
    c: &dyn Conn,
    user: NewUser<'_>,
    now: DateTime<Utc>,
    conflict: &str,
) -> ApiResult<()> {
    store::users::insert(c, user, now).await.map_err(|e| {
        if e.is_unique_violation(store::users::EMAIL_UNIQUE) {
            ApiError::conflict(conflict)
        } else {
            e.into()
        }
    })
}

/// Locks the account (owner changes are serialized per account) and loads one of its users.
async fn lock_and_load(tx: &dyn Conn, account: Uuid, id: Uuid) -> ApiResult<User> {
    store::accounts::lock(tx, account).await?;
    store::users::profile(tx, id, account)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

async fn load(c: &dyn Conn, id: Uuid, account: Uuid) -> ApiResult<User> {
    store::users::profile(c, id, account)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished within its own transaction"))
}

async fn audit(
    ctx: &Ctx<'_>,
    c: &dyn Conn,
    action: &str,
    target: Uuid,
    details: serde_json::Value,
) -> ApiResult<()> {
    crate::service::audit::by_user(ctx, c, action, "user", target, details).await
}
