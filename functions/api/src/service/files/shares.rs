//! Share links: `/s/{token}` downloads a file without an account, optionally behind a password
//! and within an expiry and a download budget. Tokens are 256 random bits, looked up by their
//! SHA-256; passwords are argon2id hashes. A wrong or missing password answers 401 and counts
//! nothing; an expired or used-up link answers 410; a revoked one, 404. The budget is counted
//! by one conditional UPDATE, so 50 concurrent downloads of a 10-download link give exactly 10.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use shared::ErrorCode;
use shared::api::files::{CreateShareRequest, Share};
use uuid::Uuid;

use super::download;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::Outcome;
use crate::service::validate::Checks;
use crate::service::{notify, throttle};
use crate::store::{self, shares::NewShare};

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn view(
    id: Uuid,
    token: String,
    expires_at: Option<DateTime<Utc>>,
    max: Option<i64>,
    count: i64,
    protected: bool,
) -> Share {
    Share {
        id,
        url: format!("/s/{token}"),
        token,
        expires_at,
        max_downloads: max,
        download_count: count,
        password_protected: protected,
    }
}

/// Creates a share link for the caller's file.
pub async fn create(ctx: &Ctx<'_>, file_id: Uuid, req: CreateShareRequest) -> ApiResult<Share> {
    let user = ctx.user()?;
    let api = ctx.api;
    let now = api.now();
    let mut checks = Checks::new();
    if req.expires_at.is_some_and(|at| at <= now) {
        checks.fail("expires_at", "must be in the future");
    }
    if req
        .max_downloads
        .is_some_and(|m| !(1..=i64::from(i32::MAX)).contains(&m))
    {
        checks.fail("max_downloads", "must be at least 1");
    }
    if req
        .password
        .as_deref()
        .is_some_and(|p| !(8..=128).contains(&p.chars().count()))
    {
        checks.fail("password", "must be 8 to 128 characters");
    }
    // Optional, but when given it must be an address (422 otherwise, and nothing is created).
    let notify_email = if req.notify_email.is_some() {
        checks.email("notify_email", &req.notify_email)
    } else {
        None
    };
    checks.finish()?;
    let file = store::files::get(api.db(), user.account_id, file_id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    let password_hash = match req.password {
        Some(p) => Some(api.ports().passwords.hash(p, api.random()).await?),
        None => None,
    };
    let token = URL_SAFE_NO_PAD.encode(api.random::<32>());
    let id = api.new_id();
    // The share and its email commit together: a failed insert sends nothing.
    let tx = api.db().begin().await?;
    store::shares::insert(
        &*tx,
        &NewShare {
            id,
            file_id,
            account_id: user.account_id,
            token_sha256: token_hash(&token),
            token: &token,
            password_hash: password_hash.as_deref(),
            expires_at: req.expires_at,
            max_downloads: req.max_downloads,
            created_by: user.id,
        },
        now,
    )
    .await?;
    let announce = match &notify_email {
        Some(to) => {
            let creator = user.name.as_deref().unwrap_or(&user.email);
            let email = notify::share_email(
                &api.config().public_url,
                to,
                &notify::ShareNotice {
                    token: &token,
                    file_name: &file.filename,
                    creator,
                    expires_at: req.expires_at,
                    password_protected: password_hash.is_some(),
                },
            );
            notify::share_created(api, &*tx, user.account_id, id, &email).await?
        }
        None => Vec::new(),
    };
    tx.commit().await?;
    crate::queue::push::announce(api, announce).await;
    Ok(view(
        id,
        token,
        req.expires_at,
        req.max_downloads,
        0,
        password_hash.is_some(),
    ))
}

/// The file's live share links.
pub async fn list(ctx: &Ctx<'_>, file_id: Uuid) -> ApiResult<Vec<Share>> {
    let account = ctx.user()?.account_id;
    let db = ctx.api.db();
    store::files::get(db, account, file_id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    store::shares::list(db, account, file_id)
        .await?
        .iter()
        .map(|r| {
            Ok(view(
                r.get("id")?,
                r.get("token")?,
                r.get("expires_at")?,
                r.get("max_downloads")?,
                r.get("download_count")?,
                r.get("password_protected")?,
            ))
        })
        .collect::<Result<_, crate::db::DbError>>()
        .map_err(Into::into)
}

/// Revokes a share link; its URL answers 404 from then on.
pub async fn revoke(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<()> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    if store::shares::revoke(api.db(), account, id, api.now()).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("share"))
    }
}

/// Serves `/s/{token}`.
pub async fn download(ctx: &Ctx<'_>, token: &str) -> ApiResult<Outcome> {
    let api = ctx.api;
    let share = store::shares::by_token(api.db(), token_hash(token))
        .await?
        .ok_or_else(|| ApiError::not_found("share"))?;
    let id: Uuid = share.get("id")?;
    let file_id: Uuid = share.get("file_id")?;
    let expires_at: Option<DateTime<Utc>> = share.get("expires_at")?;
    let gone = || {
        ApiError::new(
            ErrorCode::Gone,
            "the link has expired or has no downloads left",
        )
    };
    if expires_at.is_some_and(|at| at <= api.now()) {
        return Err(gone());
    }
    if let Some(hash) = share.get::<Option<String>>("password_hash")? {
        let ip = ctx.client_ip();
        throttle::check_share(api, id, ip.as_deref()).await?;
        let given = ctx
            .req
            .header("x-share-password")
            .unwrap_or_default()
            .to_string();
        let guessed = !given.is_empty();
        let ok = guessed && api.ports().passwords.verify(given, hash).await?;
        if !ok {
            // A missing password is a first visit, not a guess.
            if guessed {
                throttle::record_share_failure(api, id, ip.as_deref()).await?;
            }
            return Err(ApiError::unauthorized_because(
                "this link needs its password in X-Share-Password",
            ));
        }
    }
    let file = store::files::get_any(api.db(), file_id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("share"))?;
    // Counted last, after every refusal, so a refused request spends nothing.
    if !store::shares::count_download(api.db(), id).await? {
        return Err(gone());
    }
    download::serve(ctx, &file, None).await
}
