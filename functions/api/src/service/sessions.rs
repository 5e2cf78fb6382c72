//! Sessions and the tokens they issue: a signed access JWT plus an opaque refresh token of
//! which only the SHA-256 is stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sha2::{Digest, Sha256};
use shared::tokens::{self, AccessClaims};
use uuid::Uuid;

use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::store;

/// Refresh tokens start with this, so a leaked one is recognizable (secret scanners).
const REFRESH_PREFIX: &str = "pnr_";

/// A fresh token pair.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The session the tokens belong to.
    pub session_id: Uuid,
    /// Access JWT.
    pub access_token: String,
    /// Opaque refresh token.
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

/// Starts a session for a user and issues its first tokens, inside the caller's transaction.
pub async fn start(
    api: &Api,
    c: &dyn Conn,
    user: Uuid,
    account: Uuid,
    ip: Option<String>,
    user_agent: Option<String>,
) -> ApiResult<Issued> {
    let session_id = api.new_id();
    store::sessions::insert(c, session_id, user, ip, user_agent, api.now()).await?;
    let refresh_token = issue_refresh_token(api, c, api.new_id(), session_id).await?;
    let access_token = access_token(api, user, account, session_id)?;
    Ok(Issued {
        session_id,
        access_token,
        refresh_token,
        expires_in: api.config().access_token_ttl,
    })
}

/// Stores a new refresh token with id `id` for a session and returns it (the only time the
/// token itself is seen; rotation needs the id up front to link the old token to it).
pub async fn issue_refresh_token(
    api: &Api,
    c: &dyn Conn,
    id: Uuid,
    session: Uuid,
) -> ApiResult<String> {
    let (token, hash) = new_refresh_token(api);
    let now = api.now();
    let expires_at = now + Duration::seconds(api.config().refresh_token_ttl);
    store::sessions::insert_refresh_token(c, id, session, hash, now, expires_at).await?;
    Ok(token)
}

/// Signs an access token for a session.
pub fn access_token(api: &Api, user: Uuid, account: Uuid, session: Uuid) -> ApiResult<String> {
    let claims = AccessClaims::new(
        user,
        account,
        session,
        api.now().timestamp(),
        api.config().access_token_ttl,
    );
    tokens::sign_access(&claims, &api.config().jwt_secret)
        .map_err(|e| ApiError::internal(format!("sign access token: {e}")))
}

/// The stored form of a refresh token.
pub fn refresh_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_refresh_token(api: &Api) -> (String, Vec<u8>) {
    let token = format!(
        "{REFRESH_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(api.random::<32>())
    );
    let hash = refresh_token_hash(&token);
    (token, hash)
}
