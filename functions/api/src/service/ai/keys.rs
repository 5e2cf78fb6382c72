//! API keys for the OpenAI-compatible surface (`/v1/*`): `pn_` and 43 random base64url
//! characters, shown once at creation and stored as their SHA-256 (a key has 256 bits of
//! entropy, so a fast hash is enough: there is nothing to guess).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use shared::api::ai::{ApiKey, CreateApiKeyRequest, CreatedApiKey};
use uuid::Uuid;

use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::service::audit;
use crate::store::{self, ai::KeyRow, ai::NewKey};

/// Every key starts so.
pub const PREFIX: &str = "pn_";

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn view(row: KeyRow) -> ApiKey {
    ApiKey {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

/// `POST /api/v1/ai/keys`.
pub async fn create(ctx: &Ctx<'_>, req: CreateApiKeyRequest) -> ApiResult<CreatedApiKey> {
    let user = ctx.user()?;
    let api = ctx.api;
    let name = match req.name.as_deref().map(str::trim) {
        Some(n) if (1..=100).contains(&n.chars().count()) && !n.chars().any(char::is_control) => n,
        _ => {
            return Err(ApiError::invalid_field(
                "name",
                "must be 1 to 100 characters, without control characters",
            ));
        }
    };
    let secret: [u8; 32] = api.random();
    let key = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let id = api.new_id();
    let prefix: String = key.chars().take(10).collect();
    let tx = api.db().begin().await?;
    store::ai::insert_key(
        &*tx,
        &NewKey {
            id,
            account_id: user.account_id,
            name,
            prefix: &prefix,
            key_hash: &hash(&key),
            created_by: Some(user.id),
            created_at: api.now(),
        },
    )
    .await?;
    audit::by_user(
        ctx,
        &*tx,
        "ai_key.created",
        "ai_key",
        id,
        json!({"prefix": prefix}),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        id,
        name: name.to_string(),
        key,
    })
}

/// `GET /api/v1/ai/keys`.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Vec<ApiKey>> {
    let account = ctx.user()?.account_id;
    Ok(store::ai::list_keys(ctx.api.db(), account)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// `DELETE /api/v1/ai/keys/:id`: the deleted key.
pub async fn delete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<ApiKey> {
    let account = ctx.user()?.account_id;
    let tx = ctx.api.db().begin().await?;
    let row = store::ai::delete_key(&*tx, account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("API key"))?;
    audit::by_user(ctx, &*tx, "ai_key.deleted", "ai_key", id, json!({})).await?;
    tx.commit().await?;
    ctx.api
        .ai_cache()
        .keys
        .remove_where(|_, (key, _)| *key == id);
    Ok(view(row))
}

/// The `(key id, account id)` a bearer key belongs to, if any.
pub async fn authenticate(api: &Api, bearer: &str) -> ApiResult<Option<(Uuid, Uuid)>> {
    if !bearer.starts_with(PREFIX) || bearer.len() > 200 {
        return Ok(None);
    }
    let cache = api.ai_cache();
    let now_ms = api.now().timestamp_millis();
    let hashed = hash(bearer);
    let found = match cache.keys.get(&hashed, now_ms) {
        Some(known) => Some(known),
        None => {
            let found = store::ai::key_by_hash(api.db(), &hashed).await?;
            if let Some(known) = found {
                cache.keys.put(hashed, known, now_ms);
            }
            found
        }
    };
    // `last_used_at` is to the minute; this process writes it at most that often per key.
    if let Some((id, _)) = found
        && cache.touched.get(&id, now_ms).is_none()
    {
        store::ai::touch_key(api.db(), id, api.now()).await?;
        cache.touched.put(id, (), now_ms);
    }
    Ok(found)
}
