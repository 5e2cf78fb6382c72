//! Webhook receivers: an account's endpoints (each with a signing secret shown once and stored
//! sealed like storage credentials), the event log with replay, the public receiver
//! ([`receive`]) and the outcome the `webhooks.process` job reports through the worker routes.

pub mod receive;
pub mod signature;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use shared::api::webhooks::{
    CreateWebhookEndpointRequest, CreatedWebhookEndpoint, EVENT_STATES, PROVIDERS,
    ReportWebhookEventRequest, WebhookEndpoint, WebhookEvent, WebhookEventDetail,
};
use shared::pagination::{PageRequest, Pagination};
use uuid::Uuid;

use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::queue;
use crate::service::credentials::{self, CredentialKey};
use crate::service::validate::Checks;
use crate::store::webhooks::{EndpointRow, EventFilter, EventRow};
use crate::store::{self};

/// The queue events are processed on.
pub const QUEUE: &str = "webhooks";
/// The job type that processes an event (`{"event_id"}`).
pub const JOB_TYPE: &str = "webhooks.process";
/// The associated-data field name secrets are sealed under (with the endpoint's id), so a
/// sealed secret moved to another endpoint or a storage's field does not open.
const SECRET_FIELD: &str = "webhook_secret";

/// The receiver's path for an endpoint, on this API's origin (as share links are).
pub fn url(id: Uuid) -> String {
    format!("/webhooks/{id}")
}

fn endpoint_view(row: &EndpointRow) -> WebhookEndpoint {
    WebhookEndpoint {
        id: row.id,
        name: row.name.clone(),
        provider: row.provider.clone(),
        url: url(row.id),
        created_at: row.created_at,
    }
}

fn event_view(row: &EventRow) -> WebhookEvent {
    WebhookEvent {
        id: row.id,
        endpoint_id: row.endpoint_id,
        delivery_id: row.delivery_id.clone(),
        event_type: row.event_type.clone(),
        state: row.state.clone(),
        received_at: row.received_at,
        processed_at: row.processed_at,
        error: row.error.clone(),
    }
}

fn detail_view(row: &EventRow, provider: String, payload: &[u8]) -> WebhookEventDetail {
    WebhookEventDetail {
        event: event_view(row),
        provider,
        payload: String::from_utf8_lossy(payload).into_owned(),
    }
}

fn key(api: &Api) -> ApiResult<CredentialKey> {
    api.config().encryption_key.clone().ok_or_else(|| {
        ApiError::unavailable(
            "webhook secrets",
            "POWERNODE_ENCRYPTION_KEY is not configured",
        )
    })
}

/// The endpoint's signing secret in plain text (for verifying a delivery only).
pub(crate) fn open_secret(api: &Api, row: &EndpointRow) -> ApiResult<String> {
    credentials::open(&key(api)?, row.id, SECRET_FIELD, &row.secret_sealed)
        // A secret that no longer opens (the platform key changed) is an outage of this
        // endpoint, not the sender's fault: 503 keeps the provider retrying until it is fixed.
        .map_err(|e| ApiError::unavailable("the endpoint's secret", e.to_string()))
}

/// Creates an endpoint; the only answer that ever holds its secret.
pub async fn create(
    ctx: &Ctx<'_>,
    req: CreateWebhookEndpointRequest,
) -> ApiResult<CreatedWebhookEndpoint> {
    let user = ctx.user()?;
    let api = ctx.api;
    let mut checks = Checks::new();
    let name = match req.name.as_deref().map(str::trim) {
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
    };
    let provider = match req.provider.as_deref().map(str::trim) {
        Some(p) if PROVIDERS.contains(&p) => Some(p.to_string()),
        _ => {
            checks.fail("provider", "must be one of generic, github, stripe");
            None
        }
    };
    checks.finish()?;
    let (Some(name), Some(provider)) = (name, provider) else {
        return Err(ApiError::internal("validation passed without values"));
    };
    let key = key(api)?;
    let id = api.new_id();
    let secret = format!("whsec_{}", URL_SAFE_NO_PAD.encode(api.random::<32>()));
    let row = EndpointRow {
        id,
        account_id: user.account_id,
        name,
        provider,
        secret_sealed: credentials::seal(&key, id, SECRET_FIELD, &secret, api.random()),
        created_at: api.now(),
    };
    let tx = api.db().begin().await?;
    store::webhooks::insert_endpoint(&*tx, &row).await?;
    audit(ctx, &*tx, "webhook_endpoint.created", id, &row.provider).await?;
    tx.commit().await?;
    Ok(CreatedWebhookEndpoint {
        id,
        name: row.name,
        provider: row.provider,
        url: url(id),
        secret,
        created_at: row.created_at,
    })
}

/// A page of the account's endpoints, newest first (never their secrets).
pub async fn list(
    ctx: &Ctx<'_>,
    page: PageRequest,
) -> ApiResult<(Vec<WebhookEndpoint>, Pagination)> {
    let account = ctx.user()?.account_id;
    let (rows, total) = store::webhooks::list_endpoints(
        ctx.api.db(),
        account,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    Ok((
        rows.iter().map(endpoint_view).collect(),
        page.meta(u64::try_from(total).unwrap_or(0)),
    ))
}

/// Deletes one of the account's endpoints and its events; its URL answers 404 from then on.
pub async fn delete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<WebhookEndpoint> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let tx = api.db().begin().await?;
    let row = store::webhooks::get_endpoint(&*tx, account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    store::webhooks::delete_endpoint(&*tx, account, id).await?;
    audit(ctx, &*tx, "webhook_endpoint.deleted", id, &row.provider).await?;
    tx.commit().await?;
    Ok(endpoint_view(&row))
}

/// A page of the account's events, newest first, filtered by endpoint and state.
pub async fn events(
    ctx: &Ctx<'_>,
    endpoint_id: Option<&str>,
    state: Option<&str>,
    page: PageRequest,
) -> ApiResult<(Vec<WebhookEvent>, Pagination)> {
    let account = ctx.user()?.account_id;
    let endpoint_id = match endpoint_id.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            Uuid::parse_str(s)
                .map_err(|_| ApiError::bad_request("`endpoint_id` must be a UUID"))?,
        ),
    };
    let state = match state.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if EVENT_STATES.contains(&s) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "`state` must be one of pending, processed, failed",
            ));
        }
    };
    let filter = EventFilter { endpoint_id, state };
    let (rows, total) = store::webhooks::list_events(
        ctx.api.db(),
        account,
        &filter,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    Ok((
        rows.iter().map(event_view).collect(),
        page.meta(u64::try_from(total).unwrap_or(0)),
    ))
}

/// One of the account's events with its payload.
pub async fn event(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<WebhookEventDetail> {
    let account = ctx.user()?.account_id;
    let (row, provider, payload) = store::webhooks::get_event(ctx.api.db(), Some(account), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook event"))?;
    Ok(detail_view(&row, provider, &payload))
}

/// Sets one of the account's events back to pending and queues its processing again, in one
/// transaction.
pub async fn replay(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<WebhookEventDetail> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let tx = api.db().begin().await?;
    if !store::webhooks::reset_pending(&*tx, account, id).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("webhook event"));
    }
    let announced = enqueue_processing(api, &*tx, account, id).await?;
    let (row, provider, payload) = store::webhooks::get_event(&*tx, Some(account), id)
        .await?
        .ok_or_else(|| ApiError::internal("the replayed event vanished"))?;
    audit(ctx, &*tx, "webhook_event.replayed", id, &provider).await?;
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    Ok(detail_view(&row, provider, &payload))
}

/// Queues `webhooks.process` for an event in the caller's transaction; returns what to
/// announce after commit.
pub(crate) async fn enqueue_processing(
    api: &Api,
    c: &dyn Conn,
    account: Uuid,
    event: Uuid,
) -> ApiResult<crate::service::jobs::Announce> {
    crate::service::jobs::enqueue_platform_job(
        api,
        c,
        account,
        QUEUE,
        JOB_TYPE,
        serde_json::json!({ "event_id": event }),
    )
    .await
}

/// Any account's event with its payload (the worker route).
pub async fn worker_event(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<WebhookEventDetail> {
    let (row, provider, payload) = store::webhooks::get_event(ctx.api.db(), None, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook event"))?;
    Ok(detail_view(&row, provider, &payload))
}

/// Records the outcome of processing a pending event (409 when it is not pending).
pub async fn report(
    ctx: &Ctx<'_>,
    id: Uuid,
    req: ReportWebhookEventRequest,
) -> ApiResult<WebhookEventDetail> {
    let mut checks = Checks::new();
    let state = match req.state.as_deref() {
        Some(s @ ("processed" | "failed")) => Some(s),
        _ => {
            checks.fail("state", "must be processed or failed");
            None
        }
    };
    let error = match (state, req.error.as_deref().map(str::trim)) {
        (Some("failed"), Some(e)) if !e.is_empty() => {
            // Bounded, and without NUL (which Postgres text refuses).
            Some(
                e.chars()
                    .filter(|c| *c != '\0')
                    .take(2000)
                    .collect::<String>(),
            )
        }
        (Some("failed"), _) => Some("processing failed".to_string()),
        (_, Some(e)) if !e.is_empty() => {
            checks.fail("error", "only a failed event has an error");
            None
        }
        _ => None,
    };
    checks.finish()?;
    let Some(state) = state else {
        return Err(ApiError::internal("validation passed without a state"));
    };
    let api = ctx.api;
    let tx = api.db().begin().await?;
    if !store::webhooks::report(&*tx, id, state, error.as_deref(), api.now()).await? {
        let exists = store::webhooks::get_event(&*tx, None, id).await?.is_some();
        let _ = tx.rollback().await;
        return Err(if exists {
            ApiError::conflict("the event is not pending")
        } else {
            ApiError::not_found("webhook event")
        });
    }
    let (row, provider, payload) = store::webhooks::get_event(&*tx, None, id)
        .await?
        .ok_or_else(|| ApiError::internal("the reported event vanished"))?;
    tx.commit().await?;
    Ok(detail_view(&row, provider, &payload))
}

async fn audit(
    ctx: &Ctx<'_>,
    c: &dyn Conn,
    action: &str,
    target: Uuid,
    provider: &str,
) -> ApiResult<()> {
    // Never the secret.
    let details = serde_json::json!({ "provider": provider });
    crate::service::audit::by_user(ctx, c, action, "webhook", target, details).await
}
