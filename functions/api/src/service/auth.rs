//! Registration, sign-in, refresh-token rotation with reuse detection, sign-out.

use shared::Role;
use shared::api::auth::{
    AuthResponse, LoginRequest, Me, RefreshRequest, RegisterRequest, TokenResponse,
};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::service::validate::Checks;
use crate::service::{passwords, sessions, throttle, users};
use crate::store::audit::AuditEntry;
use crate::store::sessions::RevokeReason;
use crate::store::{self, users::NewUser};

/// The one message for every failed sign-in, so an attacker cannot tell which part was wrong.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// Creates an account, its owner and a first session.
pub async fn register(ctx: &Ctx<'_>, req: RegisterRequest) -> ApiResult<AuthResponse> {
    let api = ctx.api;
    let mut checks = Checks::new();
    let email = checks.email("email", &req.email);
    let password = checks.password("password", &req.password);
    let name = checks.name("name", &req.name);
    let account_name = checks.name("account_name", &req.account_name);
    checks.finish()?;
    let (Some(email), Some(password), Some(name), Some(account_name)) =
        (email, password, name, account_name)
    else {
        return Err(ApiError::internal("validation passed without values"));
    };
    let account_name =
        account_name.unwrap_or_else(|| default_account_name(name.as_deref().unwrap_or(&email)));

    let hash = api.ports().passwords.hash(password, api.random()).await?;
    let (account_id, user_id) = (api.new_id(), api.new_id());
    let now = api.now();

    let tx = api.db().begin().await?;
    store::accounts::insert(&*tx, account_id, &account_name, now).await?;
    users::insert_user(
        &*tx,
        NewUser {
            id: user_id,
            account_id,
            email: &email,
            name: name.as_deref(),
            password_hash: &hash,
        },
        now,
        "an account with this email already exists",
    )
    .await?;
    store::roles::grant(&*tx, user_id, Role::Owner, now).await?;
    let issued = sessions::start(
        api,
        &*tx,
        user_id,
        account_id,
        ctx.client_ip(),
        user_agent(ctx),
    )
    .await?;
    audit(ctx, &*tx, "user.registered", account_id, user_id).await?;
    let response = auth_response(&*tx, user_id, account_id, issued).await?;
    tx.commit().await?;
    Ok(response)
}

/// Signs in with email and password.
pub async fn login(ctx: &Ctx<'_>, req: LoginRequest) -> ApiResult<AuthResponse> {
    let api = ctx.api;
    let mut checks = Checks::new();
    let email = checks.required("email", &req.email).map(str::to_string);
    let password = checks
        .required("password", &req.password)
        .map(str::to_string);
    checks.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::internal("validation passed without values"));
    };
    // A malformed email cannot belong to anyone; it is checked like any unknown one, so the
    // answer is the same 401.
    let email =
        super::validate::normalize_email(&email).unwrap_or_else(|| email.trim().to_lowercase());
    let ip = ctx.client_ip();
    throttle::check(api, &email, ip.as_deref()).await?;

    let record = store::users::for_login(api.db(), &email).await?;
    let stored_hash = record.as_ref().map_or_else(
        || passwords::decoy_hash().to_string(),
        |r| r.password_hash.clone(),
    );
    let matches = api.ports().passwords.verify(password, stored_hash).await?;
    let user = match record {
        Some(user) if matches && user.active => user,
        _ => {
            throttle::record_failure(api, &email, ip.as_deref()).await?;
            tracing::info!(ip = ip.as_deref().unwrap_or("-"), "failed sign-in");
            return Err(ApiError::unauthorized_because(BAD_CREDENTIALS));
        }
    };
    throttle::clear(api, &email).await?;

    let tx = api.db().begin().await?;
    store::users::record_login(&*tx, user.id, api.now()).await?;
    let issued = sessions::start(api, &*tx, user.id, user.account_id, ip, user_agent(ctx)).await?;
    audit(ctx, &*tx, "user.signed_in", user.account_id, user.id).await?;
    let response = auth_response(&*tx, user.id, user.account_id, issued).await?;
    tx.commit().await?;
    Ok(response)
}

/// Rotates a refresh token. Presenting an already-rotated token revokes its whole session.
pub async fn refresh(ctx: &Ctx<'_>, req: RefreshRequest) -> ApiResult<TokenResponse> {
    let api = ctx.api;
    let mut checks = Checks::new();
    let token = checks
        .required("refresh_token", &req.refresh_token)
        .map(str::to_string);
    checks.finish()?;
    let token = token.unwrap_or_default();
    let refused =
        || ApiError::unauthorized_because("the refresh token is invalid, expired or revoked");

    let state =
        store::sessions::refresh_token_by_hash(api.db(), sessions::refresh_token_hash(&token))
            .await?
            .ok_or_else(refused)?;
    if state.used_at.is_some() {
        revoke_for_reuse(ctx, state.session_id, state.account_id, state.user_id).await?;
        return Err(refused());
    }
    let now = api.now();
    if state.session_revoked_at.is_some()
        || state.user_deactivated_at.is_some()
        || state.expires_at <= now
    {
        return Err(refused());
    }

    let tx = api.db().begin().await?;
    let next_id = api.new_id();
    let refresh_token = sessions::issue_refresh_token(api, &*tx, next_id, state.session_id).await?;
    if !store::sessions::rotate_refresh_token(&*tx, state.id, next_id, now).await? {
        // Another request rotated this token between our read and our update: that is reuse.
        let _ = tx.rollback().await;
        revoke_for_reuse(ctx, state.session_id, state.account_id, state.user_id).await?;
        return Err(refused());
    }
    tx.commit().await?;
    let access_token =
        sessions::access_token(api, state.user_id, state.account_id, state.session_id)?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        expires_in: api.config().access_token_ttl,
    })
}

/// Ends the caller's session: its refresh tokens and access tokens stop working.
pub async fn logout(ctx: &Ctx<'_>) -> ApiResult<()> {
    let user = ctx.user()?;
    let tx = ctx.api.db().begin().await?;
    store::sessions::revoke(&*tx, user.session_id, RevokeReason::Logout, ctx.api.now()).await?;
    audit(ctx, &*tx, "user.signed_out", user.account_id, user.id).await?;
    tx.commit().await?;
    Ok(())
}

/// The caller.
pub fn me(ctx: &Ctx<'_>) -> ApiResult<Me> {
    let u = ctx.user()?;
    Ok(Me {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        account_id: u.account_id,
        roles: u.roles.clone(),
        permissions: u.permissions.clone(),
    })
}

async fn revoke_for_reuse(
    ctx: &Ctx<'_>,
    session: Uuid,
    account: Uuid,
    user: Uuid,
) -> ApiResult<()> {
    let tx = ctx.api.db().begin().await?;
    if store::sessions::revoke(
        &*tx,
        session,
        RevokeReason::RefreshTokenReuse,
        ctx.api.now(),
    )
    .await?
    {
        tracing::warn!(%session, "refresh token reuse: session revoked");
        audit(ctx, &*tx, "session.revoked_for_token_reuse", account, user).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn auth_response(
    c: &dyn Conn,
    user: Uuid,
    account: Uuid,
    issued: sessions::Issued,
) -> ApiResult<AuthResponse> {
    let user = store::users::profile(c, user, account)
        .await?
        .ok_or_else(|| ApiError::internal("user vanished within its own transaction"))?;
    let account = store::accounts::get(c, account)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished within its own transaction"))?;
    Ok(AuthResponse {
        user,
        account,
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        expires_in: issued.expires_in,
    })
}

fn user_agent(ctx: &Ctx<'_>) -> Option<String> {
    ctx.req
        .header("user-agent")
        .map(|ua| ua.chars().take(512).collect())
}

/// Appends an audit entry about a user acting on themself.
async fn audit(
    ctx: &Ctx<'_>,
    c: &dyn Conn,
    action: &str,
    account: Uuid,
    user: Uuid,
) -> ApiResult<()> {
    store::audit::insert(
        c,
        AuditEntry {
            id: ctx.api.new_id(),
            account_id: Some(account),
            actor_user_id: Some(user),
            action,
            target_type: Some("user"),
            target_id: Some(user),
            ip: ctx.client_ip(),
            details: serde_json::json!({}),
            at: ctx.api.now(),
        },
    )
    .await?;
    Ok(())
}

/// "{owner}'s account", with the owner's part shortened so the whole fits an account name (a
/// 200-character name or a long email would otherwise break the accounts table's check).
fn default_account_name(owner: &str) -> String {
    const SUFFIX: &str = "'s account";
    let room = crate::service::validate::NAME_MAX_CHARS - SUFFIX.chars().count();
    let owner: String = owner.chars().take(room).collect();
    format!("{owner}{SUFFIX}")
}
