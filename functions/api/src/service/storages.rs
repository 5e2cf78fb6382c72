//! The account's storage backends: list, create, edit, delete, test. Provider settings are
//! validated by building the provider (no call is made); secret fields are sealed before they
//! are written and redacted in every answer.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt as _;
use serde_json::{Map, Value};
use shared::api::storages::{
    CreateStorageRequest, Storage, StorageTestReport, UpdateStorageRequest,
};
use uuid::Uuid;

use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::ports::storage::{ObjectStore, StorageError, secret_fields};
use crate::service::credentials::{self, CredentialKey, REDACTED};
use crate::service::validate::Checks;
use crate::store::{self, storages::StorageRow};

/// The answer's shape of a row: secrets redacted.
fn view(row: &StorageRow) -> Storage {
    Storage {
        id: row.id,
        name: row.name.clone(),
        provider_type: row.provider_type.clone(),
        configuration: credentials::redact(&row.provider_type, &row.configuration),
        is_default: row.is_default,
        quota_bytes: row.quota_bytes,
        used_bytes: row.used_bytes,
        created_at: row.created_at,
        updated_at: row.updated_at,
        health: row.health.clone(),
    }
}

/// The account's storages.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Vec<Storage>> {
    let account = ctx.user()?.account_id;
    let rows = store::storages::list(ctx.api.db(), account).await?;
    Ok(rows.iter().map(view).collect())
}

/// Adds a storage; the account's first becomes its default.
pub async fn create(ctx: &Ctx<'_>, req: CreateStorageRequest) -> ApiResult<Storage> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut checks = Checks::new();
    let name = check_name(&mut checks, req.name.as_deref(), true);
    let available = api.ports().storage.provider_types();
    let provider_type = match req.provider_type.as_deref().map(str::trim) {
        Some(p) if available.contains(&p) => Some(p.to_string()),
        _ if available.is_empty() => {
            checks.fail("provider_type", "this runtime has no storage providers yet");
            None
        }
        _ => {
            checks.fail(
                "provider_type",
                format!(
                    "must be one of the providers this platform has: {}",
                    available.join(", ")
                ),
            );
            None
        }
    };
    let configuration = check_configuration(
        &mut checks,
        req.configuration,
        api.config().allow_private_upstreams,
    );
    check_quota(&mut checks, req.quota_bytes);
    checks.finish()?;
    let (Some(name), Some(provider_type), Some(configuration)) =
        (name, provider_type, configuration)
    else {
        return Err(ApiError::internal("validation passed without values"));
    };

    let id = api.new_id();
    let now = api.now();
    build(
        api,
        id,
        &provider_type,
        &Value::Object(configuration.clone()),
    )
    .await?;
    let configuration = seal(api, id, &provider_type, configuration)?;
    let tx = api.db().begin().await?;
    let first = store::storages::list(&*tx, account).await?.is_empty();
    let is_default = first || req.is_default.unwrap_or(false);
    if is_default {
        store::storages::clear_default(&*tx, account, now).await?;
    }
    let row = StorageRow {
        id,
        account_id: account,
        name,
        provider_type,
        configuration,
        is_default,
        quota_bytes: req.quota_bytes,
        used_bytes: 0,
        created_at: now,
        updated_at: now,
        health: None,
    };
    store::storages::insert(&*tx, &row)
        .await
        .map_err(name_taken)?;
    audit(ctx, &*tx, "storage.created", id, &row.provider_type).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Edits a storage. A secret sent back as `[redacted]` keeps its stored value.
pub async fn update(ctx: &Ctx<'_>, id: Uuid, req: UpdateStorageRequest) -> ApiResult<Storage> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut checks = Checks::new();
    let name = check_name(&mut checks, req.name.as_deref(), false);
    let allow_private = api.config().allow_private_upstreams;
    let configuration = req
        .configuration
        .map(|c| check_configuration(&mut checks, Some(c), allow_private));
    if let Some(Some(q)) = req.quota_bytes {
        check_quota(&mut checks, Some(q));
    }
    if req.is_default == Some(false) {
        checks.fail(
            "is_default",
            "make another storage the default instead; an account always has one",
        );
    }
    checks.finish()?;

    let now = api.now();
    let tx = api.db().begin().await?;
    let mut row = store::storages::get(&*tx, account, id, true)
        .await?
        .ok_or_else(|| ApiError::not_found("storage"))?;
    if let Some(name) = name {
        row.name = name;
    }
    if let Some(Some(mut new)) = configuration {
        for field in secret_fields(&row.provider_type) {
            if new.get(*field).and_then(Value::as_str) == Some(REDACTED)
                && let Some(old) = row.configuration.get(*field)
            {
                new.insert((*field).to_string(), old.clone());
            }
        }
        let key = key(api)?;
        let plain = credentials::open_config(&key, id, &row.provider_type, &Value::Object(new))
            .map_err(|e| ApiError::invalid_field("configuration", e.to_string()))?;
        build(api, id, &row.provider_type, &plain).await?;
        let Value::Object(plain) = plain else {
            return Err(ApiError::internal("configuration stopped being an object"));
        };
        row.configuration = seal(api, id, &row.provider_type, plain)?;
    }
    if let Some(quota) = req.quota_bytes {
        row.quota_bytes = quota;
    }
    if req.is_default == Some(true) && !row.is_default {
        store::storages::clear_default(&*tx, account, now).await?;
        row.is_default = true;
    }
    row.updated_at = now;
    store::storages::update(&*tx, &row)
        .await
        .map_err(name_taken)?;
    audit(ctx, &*tx, "storage.updated", id, &row.provider_type).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Deletes a storage that holds no file (409 otherwise).
pub async fn delete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Storage> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let tx = api.db().begin().await?;
    let row = store::storages::get(&*tx, account, id, true)
        .await?
        .ok_or_else(|| ApiError::not_found("storage"))?;
    if store::storages::has_files(&*tx, id).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::conflict(
            "the storage still holds files; move or delete them first",
        ));
    }
    store::storages::delete(&*tx, account, id).await?;
    audit(ctx, &*tx, "storage.deleted", id, &row.provider_type).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Writes, reads back and deletes a probe object, timing the three.
pub async fn test(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<StorageTestReport> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let row = store::storages::get(api.db(), account, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("storage"))?;
    let store = open(api, &row).await?;
    Ok(probe(api, &*store).await)
}

/// Writes, reads back and deletes a probe object in `store` (the test route and the scheduled
/// health check).
pub async fn probe(api: &Api, store: &dyn ObjectStore) -> StorageTestReport {
    let probe = Bytes::from(api.random::<64>().to_vec());
    let key = format!("_powernode/probe-{}", api.new_id());
    let started = api.now();
    let outcome = probe_round_trip(store, &key, probe).await;
    let latency_ms = u64::try_from((api.now() - started).num_milliseconds()).unwrap_or(0);
    StorageTestReport {
        ok: outcome.is_ok(),
        latency_ms,
        error: outcome.err(),
    }
}

async fn probe_round_trip(store: &dyn ObjectStore, key: &str, probe: Bytes) -> Result<(), String> {
    let body = probe.clone();
    store
        .put(
            key,
            Box::pin(futures_util::stream::once(async move { Ok(body) })),
            Some(probe.len() as u64),
            "application/octet-stream",
        )
        .await
        .map_err(|e| format!("write: {e}"))?;
    let read = async {
        let mut got = store.get(key, None).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = got.body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok::<_, StorageError>(bytes)
    }
    .await;
    let deleted = store.delete(key).await;
    let read = read.map_err(|e| format!("read: {e}"))?;
    if read != probe {
        return Err("read: the bytes read back differ from those written".into());
    }
    deleted.map_err(|e| format!("delete: {e}"))
}

/// The provider of a stored row, its secrets opened.
pub async fn open(api: &Api, row: &StorageRow) -> ApiResult<Arc<dyn ObjectStore>> {
    let config = if secret_fields(&row.provider_type).is_empty() {
        row.configuration.clone()
    } else {
        credentials::open_config(&key(api)?, row.id, &row.provider_type, &row.configuration)
            .map_err(|e| ApiError::unavailable("the storage's credentials", e.to_string()))?
    };
    build(api, row.id, &row.provider_type, &config).await
}

async fn build(
    api: &Api,
    id: Uuid,
    provider_type: &str,
    config: &Value,
) -> ApiResult<Arc<dyn ObjectStore>> {
    api.ports()
        .storage
        .build(id, provider_type, config)
        .await
        .map_err(|e| match e {
            StorageError::InvalidConfig(m) => ApiError::invalid_field("configuration", m),
            StorageError::Unsupported(m) => ApiError::invalid_field("provider_type", m),
            other => ApiError::unavailable("the storage provider", other.to_string()),
        })
}

fn key(api: &Api) -> ApiResult<CredentialKey> {
    api.config().encryption_key.clone().ok_or_else(|| {
        ApiError::unavailable(
            "storage credentials",
            "POWERNODE_ENCRYPTION_KEY is not configured",
        )
    })
}

fn seal(
    api: &Api,
    id: Uuid,
    provider_type: &str,
    mut config: Map<String, Value>,
) -> ApiResult<Value> {
    let has_secret = secret_fields(provider_type)
        .iter()
        .any(|f| config.contains_key(*f));
    if has_secret {
        let key = key(api)?;
        credentials::seal_config(&key, id, provider_type, &mut config, || api.random());
    }
    Ok(Value::Object(config))
}

fn check_name(checks: &mut Checks, name: Option<&str>, required: bool) -> Option<String> {
    match name.map(str::trim) {
        Some(n) if (1..=100).contains(&n.chars().count()) && !n.chars().any(char::is_control) => {
            Some(n.to_string())
        }
        None if !required => None,
        _ => {
            checks.fail(
                "name",
                "must be 1 to 100 characters, without control characters",
            );
            None
        }
    }
}

/// An object; its `endpoint` (S3-compatible and Azure providers), when given, must be a
/// public address unless private upstreams are allowed, as AI providers' URLs must.
fn check_configuration(
    checks: &mut Checks,
    value: Option<Value>,
    allow_private: bool,
) -> Option<Map<String, Value>> {
    match value.unwrap_or_else(|| Value::Object(Map::new())) {
        Value::Object(map) => {
            if let Some(Value::String(endpoint)) = map.get("endpoint")
                && !endpoint.trim().is_empty()
                && let Err(why) =
                    crate::service::upstream_address::check_base_url(endpoint, allow_private)
            {
                checks.fail("configuration.endpoint", why);
            }
            Some(map)
        }
        _ => {
            checks.fail("configuration", "must be an object");
            None
        }
    }
}

fn check_quota(checks: &mut Checks, quota: Option<i64>) {
    if quota.is_some_and(|q| q < 0) {
        checks.fail("quota_bytes", "must be 0 or more");
    }
}

fn name_taken(e: crate::db::DbError) -> ApiError {
    if e.is_unique_violation(store::storages::NAME_UNIQUE) {
        ApiError::invalid_field("name", "a storage with this name already exists")
    } else {
        e.into()
    }
}

async fn audit(
    ctx: &Ctx<'_>,
    c: &dyn Conn,
    action: &str,
    target: Uuid,
    provider_type: &str,
) -> ApiResult<()> {
    // Never the configuration: it may hold secrets.
    let details = serde_json::json!({ "provider_type": provider_type });
    crate::service::audit::by_user(ctx, c, action, "storage", target, details).await
}
