//! The account's AI providers: list (with live health), create, edit, delete, test. Keys are
//! sealed like storage credentials (bound to the provider's id) and never shown again; base
//! URLs must be public addresses unless private upstreams are allowed.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use shared::api::ai::{
    Provider, ProviderHealth, ProviderModel, ProviderRequest, ProviderTestResult, ProviderTimeouts,
};
use uuid::Uuid;

use super::Caller;
use super::proxy::upstream::{Upstream, models_of, timeouts_of};
use super::routing::state::{self, BreakerState, Target};
use crate::Api;
use crate::context::Ctx;
use crate::db::DbError;
use crate::error::{ApiError, ApiResult};
use crate::service::audit;
use crate::service::credentials::{self, CredentialKey};
use crate::service::upstream_address::check_base_url;
use crate::service::validate::Checks;
use crate::store::{self, ai::ProviderRow};

/// The field name keys are sealed under (with the provider's id).
const KEY_FIELD: &str = "ai_provider.api_key";
/// The largest timeout override: an hour.
const MAX_TIMEOUT_MS: u64 = 3_600_000;

fn key(api: &Api) -> ApiResult<CredentialKey> {
    api.config().encryption_key.clone().ok_or_else(|| {
        ApiError::unavailable(
            "AI provider keys",
            "POWERNODE_ENCRYPTION_KEY is not configured",
        )
    })
}

/// The account's providers, ready to call (keys opened), from the cache when fresh. A key that
/// no longer opens leaves its provider out, logged: the others still serve.
pub async fn load_upstreams(api: &Api, account: Uuid) -> ApiResult<Arc<Vec<Upstream>>> {
    let now_ms = api.now().timestamp_millis();
    if let Some(cached) = api.ai_cache().providers.get(&account, now_ms) {
        return Ok(cached);
    }
    let loaded = Arc::new(load_fresh(api, account).await?);
    api.ai_cache()
        .providers
        .put(account, loaded.clone(), now_ms);
    Ok(loaded)
}

/// Drops this process's cached providers of `account` after a change.
fn forget(api: &Api, account: Uuid) {
    api.ai_cache().providers.remove(&account);
}

async fn load_fresh(api: &Api, account: Uuid) -> ApiResult<Vec<Upstream>> {
    let rows = store::ai::list_providers(api.db(), account).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let api_key = match &row.api_key_sealed {
            None => None,
            Some(sealed) => match credentials::open(&key(api)?, row.id, KEY_FIELD, sealed) {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::error!(provider = %row.id, error = %e, "an AI provider's key does not open");
                    continue;
                }
            },
        };
        out.extend(Upstream::from_row(row, api_key));
    }
    Ok(out)
}

/// Every provider's health: the worst breaker of its models, its latency and last error.
async fn health_of(api: &Api, rows: &[ProviderRow]) -> ApiResult<Vec<ProviderHealth>> {
    let mut targets = Vec::new();
    let mut owner = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        for m in models_of(row) {
            targets.push(Target {
                provider: row.id,
                model: m.name,
            });
            owner.push(i);
        }
    }
    let cache = &*api.ports().cache;
    let now_ms = api.now().timestamp_millis();
    let unavailable =
        |e: crate::ports::CacheError| ApiError::unavailable("the AI routing state", e.to_string());
    let (lives, _) = state::read(cache, &targets, "ai:rr:health", now_ms)
        .await
        .map_err(unavailable)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let errors = state::last_errors(cache, &ids).await.map_err(unavailable)?;
    let mut out: Vec<ProviderHealth> = errors
        .into_iter()
        .map(|e| ProviderHealth {
            state: BreakerState::Closed.as_str().into(),
            consecutive_failures: 0,
            opened_at: None,
            last_error: e.map(|(_, text)| text),
            latency_ms_ewma: None,
        })
        .collect();
    let rank = |s: &str| match s {
        "open" => 2,
        "half_open" => 1,
        _ => 0,
    };
    for (live, i) in lives.iter().zip(owner) {
        let h = &mut out[i];
        if live.latency_us > 0 {
            h.latency_ms_ewma = Some(live.latency_us as f64 / 1000.0);
        }
        h.consecutive_failures = h.consecutive_failures.max(live.streak);
        let s = live.state.as_str();
        if rank(s) > rank(&h.state) {
            h.state = s.into();
        }
        if live.opened_at_ms > 0 && live.state != BreakerState::Closed {
            h.opened_at = chrono::DateTime::from_timestamp_millis(live.opened_at_ms);
        }
    }
    Ok(out)
}

fn view(row: &ProviderRow, health: ProviderHealth) -> Provider {
    Provider {
        id: row.id,
        name: row.name.clone(),
        kind: row.kind.clone(),
        base_url: row.base_url.clone(),
        has_api_key: row.api_key_sealed.is_some(),
        models: models_of(row),
        weight: row.weight,
        priority: row.priority,
        rpm_limit: row.rpm_limit,
        tpm_limit: row.tpm_limit,
        timeouts: timeouts_of(row),
        enabled: row.enabled,
        health,
        created_at: row.created_at,
    }
}

async fn view_one(api: &Api, row: &ProviderRow) -> ApiResult<Provider> {
    let health = health_of(api, std::slice::from_ref(row)).await?;
    Ok(view(
        row,
        health.into_iter().next().unwrap_or_else(|| ProviderHealth {
            state: "closed".into(),
            consecutive_failures: 0,
            opened_at: None,
            last_error: None,
            latency_ms_ewma: None,
        }),
    ))
}

/// `GET /api/v1/ai/providers`.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Vec<Provider>> {
    let account = ctx.user()?.account_id;
    let rows = store::ai::list_providers(ctx.api.db(), account).await?;
    let health = health_of(ctx.api, &rows).await?;
    Ok(rows.iter().zip(health).map(|(r, h)| view(r, h)).collect())
}

fn check_models(checks: &mut Checks, kind: Option<&str>, models: &[ProviderModel]) {
    if models.is_empty() || models.len() > 100 {
        checks.fail("models", "must list 1 to 100 models");
    }
    let mut seen = HashSet::new();
    for (i, m) in models.iter().enumerate() {
        let at = |f: &str| format!("models[{i}].{f}");
        let name = m.name.trim();
        if name.is_empty()
            || name.len() > 200
            || name.chars().any(char::is_control)
            || name != m.name
        {
            checks.fail(
                &at("name"),
                "must be 1 to 200 characters, without surrounding spaces",
            );
        } else if !seen.insert(name.to_string()) {
            checks.fail(&at("name"), format!("`{name}` is listed twice"));
        }
        match m.kind.as_str() {
            "chat" => {}
            "embedding" if kind == Some("anthropic") => {
                checks.fail(&at("kind"), "anthropic providers have no embedding models");
            }
            "embedding" => {}
            _ => checks.fail(&at("kind"), "must be chat or embedding"),
        }
        for (field, price) in [
            ("input_usd_per_mtok", Some(m.input_usd_per_mtok)),
            ("output_usd_per_mtok", Some(m.output_usd_per_mtok)),
            ("cached_input_usd_per_mtok", m.cached_input_usd_per_mtok),
        ] {
            if let Some(p) = price
                && super::money::price_to_micro(p).is_none()
            {
                checks.fail(
                    &at(field),
                    "must be a price from 0 to 1000000 USD per million tokens",
                );
            }
        }
        if m.context_window
            .is_some_and(|c| !(1..=100_000_000).contains(&c))
        {
            checks.fail(&at("context_window"), "must be from 1 to 100000000 tokens");
        }
    }
}

fn check_timeouts(checks: &mut Checks, t: &ProviderTimeouts) {
    for (field, v) in [
        ("connect_ms", t.connect_ms),
        ("first_token_ms", t.first_token_ms),
        ("idle_ms", t.idle_ms),
        ("total_ms", t.total_ms),
    ] {
        if v.is_some_and(|ms| !(1..=MAX_TIMEOUT_MS).contains(&ms)) {
            checks.fail(&format!("timeouts.{field}"), "must be from 1 to 3600000 ms");
        }
    }
}

fn check_name(checks: &mut Checks, name: Option<&str>) -> Option<String> {
    match name.map(str::trim) {
        Some(n) if (1..=100).contains(&n.chars().count()) && !n.chars().any(char::is_control) => {
            Some(n.to_string())
        }
        _ => {
            checks.fail(
                "name",
                "must be 1 to 100 characters, without control characters",
            );
            None
        }
    }
}

fn check_limit(checks: &mut Checks, field: &str, v: Option<i32>) {
    if v.is_some_and(|l| l < 1) {
        checks.fail(field, "must be at least 1, or null for no limit");
    }
}

fn check_key(checks: &mut Checks, key: Option<&str>) {
    if key.is_some_and(|k| k.is_empty() || k.len() > 4096 || k.chars().any(char::is_control)) {
        checks.fail(
            "api_key",
            "must be 1 to 4096 characters, without control characters",
        );
    }
}

fn name_taken(e: DbError) -> ApiError {
    match &e {
        DbError::UniqueViolation(Some(c)) if c == store::ai::PROVIDER_NAME_UNIQUE => {
            ApiError::conflict("a provider of this account already has that name")
        }
        _ => e.into(),
    }
}

async fn record_prices(api: &Api, c: &dyn crate::ports::Conn, row: &ProviderRow) -> ApiResult<()> {
    let now = api.now();
    for m in Upstream::from_row(row, None)
        .map(|u| u.models)
        .unwrap_or_default()
    {
        store::ai::record_price(c, row.id, &m.name, m.price, now).await?;
    }
    Ok(())
}

/// `POST /api/v1/ai/providers`.
pub async fn create(ctx: &Ctx<'_>, req: ProviderRequest) -> ApiResult<Provider> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut checks = Checks::new();
    let name = check_name(&mut checks, req.name.as_deref());
    let kind = match req.kind.as_deref() {
        Some(k @ ("openai" | "anthropic")) => Some(k.to_string()),
        _ => {
            checks.fail("kind", "must be openai or anthropic");
            None
        }
    };
    let base_url = match req.base_url.as_deref() {
        Some(u) => match check_base_url(u, api.config().allow_private_upstreams) {
            Ok(url) => Some(url.as_str().trim_end_matches('/').to_string()),
            Err(m) => {
                checks.fail("base_url", m);
                None
            }
        },
        None => {
            checks.fail("base_url", "is required");
            None
        }
    };
    let models = req.models.unwrap_or_default();
    check_models(&mut checks, kind.as_deref(), &models);
    let api_key = req.api_key.flatten();
    check_key(&mut checks, api_key.as_deref());
    if req.weight.is_some_and(|w| !(1..=100).contains(&w)) {
        checks.fail("weight", "must be from 1 to 100");
    }
    if req.priority.is_some_and(|p| !(-1000..=1000).contains(&p)) {
        checks.fail("priority", "must be from -1000 to 1000");
    }
    let rpm = req.rpm_limit.flatten();
    let tpm = req.tpm_limit.flatten();
    check_limit(&mut checks, "rpm_limit", rpm);
    check_limit(&mut checks, "tpm_limit", tpm);
    let timeouts = req.timeouts.unwrap_or_default();
    check_timeouts(&mut checks, &timeouts);
    checks.finish()?;
    let (Some(name), Some(kind), Some(base_url)) = (name, kind, base_url) else {
        return Err(ApiError::internal("validation passed without values"));
    };
    let id = api.new_id();
    let now = api.now();
    let sealed = match &api_key {
        Some(k) => Some(credentials::seal(
            &key(api)?,
            id,
            KEY_FIELD,
            k,
            api.random(),
        )),
        None => None,
    };
    let row = ProviderRow {
        id,
        account_id: account,
        name,
        kind,
        base_url,
        api_key_sealed: sealed,
        models: json!(models),
        weight: req.weight.unwrap_or(1),
        priority: req.priority.unwrap_or(0),
        rpm_limit: rpm,
        tpm_limit: tpm,
        timeouts: json!(timeouts),
        enabled: req.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let tx = api.db().begin().await?;
    store::ai::insert_provider(&*tx, &row)
        .await
        .map_err(name_taken)?;
    record_prices(api, &*tx, &row).await?;
    audit::by_user(
        ctx,
        &*tx,
        "ai_provider.created",
        "ai_provider",
        id,
        json!({"kind": row.kind}),
    )
    .await?;
    tx.commit().await?;
    forget(api, account);
    view_one(api, &row).await
}

/// `PATCH /api/v1/ai/providers/:id`.
pub async fn update(ctx: &Ctx<'_>, id: Uuid, req: ProviderRequest) -> ApiResult<Provider> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut row = store::ai::get_provider(api.db(), account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("AI provider"))?;
    let mut checks = Checks::new();
    if let Some(k) = req.kind.as_deref()
        && k != row.kind
    {
        checks.fail("kind", "cannot change; add a new provider instead");
    }
    if req.name.is_some()
        && let Some(n) = check_name(&mut checks, req.name.as_deref())
    {
        row.name = n;
    }
    if let Some(u) = req.base_url.as_deref() {
        match check_base_url(u, api.config().allow_private_upstreams) {
            Ok(url) => row.base_url = url.as_str().trim_end_matches('/').to_string(),
            Err(m) => checks.fail("base_url", m),
        }
    }
    if let Some(models) = &req.models {
        check_models(&mut checks, Some(&row.kind), models);
        row.models = json!(models);
    }
    if let Some(w) = req.weight {
        if !(1..=100).contains(&w) {
            checks.fail("weight", "must be from 1 to 100");
        }
        row.weight = w;
    }
    if let Some(p) = req.priority {
        if !(-1000..=1000).contains(&p) {
            checks.fail("priority", "must be from -1000 to 1000");
        }
        row.priority = p;
    }
    if let Some(rpm) = req.rpm_limit {
        check_limit(&mut checks, "rpm_limit", rpm);
        row.rpm_limit = rpm;
    }
    if let Some(tpm) = req.tpm_limit {
        check_limit(&mut checks, "tpm_limit", tpm);
        row.tpm_limit = tpm;
    }
    if let Some(t) = &req.timeouts {
        check_timeouts(&mut checks, t);
        row.timeouts = json!(t);
    }
    if let Some(e) = req.enabled {
        row.enabled = e;
    }
    if let Some(k) = &req.api_key {
        check_key(&mut checks, k.as_deref());
    }
    checks.finish()?;
    if let Some(k) = req.api_key {
        row.api_key_sealed = match k {
            Some(k) => Some(credentials::seal(
                &key(api)?,
                id,
                KEY_FIELD,
                &k,
                api.random(),
            )),
            None => None,
        };
    }
    row.updated_at = api.now();
    let tx = api.db().begin().await?;
    store::ai::update_provider(&*tx, &row)
        .await
        .map_err(name_taken)?;
    record_prices(api, &*tx, &row).await?;
    audit::by_user(
        ctx,
        &*tx,
        "ai_provider.updated",
        "ai_provider",
        id,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    forget(api, account);
    view_one(api, &row).await
}

/// `DELETE /api/v1/ai/providers/:id`: the deleted provider.
pub async fn delete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Provider> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let row = store::ai::get_provider(api.db(), account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("AI provider"))?;
    let tx = api.db().begin().await?;
    if !store::ai::delete_provider(&*tx, account, id).await? {
        return Err(ApiError::not_found("AI provider"));
    }
    audit::by_user(
        ctx,
        &*tx,
        "ai_provider.deleted",
        "ai_provider",
        id,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    forget(api, account);
    view_one(api, &row).await
}

/// `POST /api/v1/ai/providers/:id/test`: one real minimal call per model.
pub async fn test(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Vec<ProviderTestResult>> {
    let user = ctx.user()?;
    let api = ctx.api;
    let up = load_upstreams(api, user.account_id)
        .await?
        .iter()
        .find(|u| u.id == id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("AI provider"))?;
    let caller = Caller {
        account_id: user.account_id,
        user_id: Some(user.id),
        job_id: None,
        api_key_id: None,
        run_step: None,
    };
    Ok(super::proxy::probe_models(api, caller, &up).await)
}
