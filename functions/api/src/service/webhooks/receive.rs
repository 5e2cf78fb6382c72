//! `POST /webhooks/:endpoint_id`: the public receiver. In order: the endpoint (unknown 404),
//! the body size (413), the provider's signature (401, whatever failed), the delivery id (400
//! without one); then the event and its `webhooks.process` job in one transaction, and 202.
//!
//! The receiver never waits for processing, so a processing failure cannot become a 5xx (which
//! would set off the provider's retries). The only 5xx it gives is 503 with `Retry-After` when
//! the database (or the platform key) is unavailable: the provider retries later, and the
//! delivery id makes that retry count once.

use serde_json::Value;
use shared::ErrorCode;
use shared::api::webhooks::WebhookReceipt;
use uuid::Uuid;

use super::signature;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::queue;
use crate::store;
use crate::store::webhooks::NewEvent;

/// Largest body a receiver takes. Adapters already refuse bodies past `max_body_bytes` (1 MiB
/// by default) while reading; this holds the receiver to 1 MiB whatever that is configured to.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest delivery id and event type kept.
const MAX_ID_CHARS: usize = 255;

/// Verifies, stores and queues one delivery.
pub async fn receive(ctx: &Ctx<'_>, endpoint_id: Uuid) -> ApiResult<WebhookReceipt> {
    let api = ctx.api;
    let req = ctx.req;
    let endpoint = store::webhooks::get_endpoint_any_account(api.db(), endpoint_id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    if req.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("a webhook body may be at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    let secret = super::open_secret(api, &endpoint)?;
    let now = api.now().timestamp();
    if let Err(why) = signature::verify(
        &endpoint.provider,
        secret.as_bytes(),
        &req.headers,
        &req.body,
        now,
    ) {
        let mut e = ApiError::unauthorized_because("invalid webhook signature");
        // For the operator's log; the sender learns nothing about which part failed.
        e.internal = Some(format!("endpoint {endpoint_id}: {}", why.as_str()));
        return Err(e);
    }
    let (delivery_id, event_type) = identify(ctx, &endpoint.provider)?;

    let tx = api.db().begin().await?;
    let new = NewEvent {
        id: api.new_id(),
        endpoint: &endpoint,
        delivery_id: &delivery_id,
        event_type: event_type.as_deref(),
        payload: &req.body,
        received_at: api.now(),
    };
    let Some(event_id) = store::webhooks::insert_event(&*tx, &new).await? else {
        // A redelivery: acknowledged with the first event's id, nothing stored or queued.
        let first = store::webhooks::find_by_delivery(&*tx, endpoint.id, &delivery_id).await?;
        let _ = tx.rollback().await;
        let event_id = first.ok_or_else(|| {
            // Deleted between the insert and the read (the endpoint went away meanwhile).
            ApiError::not_found("webhook endpoint")
        })?;
        return Ok(WebhookReceipt {
            event_id,
            duplicate: true,
        });
    };
    let announced = super::enqueue_processing(api, &*tx, endpoint.account_id, event_id).await?;
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    Ok(WebhookReceipt {
        event_id,
        duplicate: false,
    })
}

/// The delivery id and event type, by provider.
fn identify(ctx: &Ctx<'_>, provider: &str) -> ApiResult<(String, Option<String>)> {
    let req = ctx.req;
    let body = || serde_json::from_slice::<Value>(&req.body).ok();
    let header = |name: &str| {
        req.header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (delivery, event_type) = match provider {
        "github" => (header("x-github-delivery"), header("x-github-event")),
        "stripe" => {
            let body = body();
            (
                body.as_ref().and_then(|b| json_id(&b["id"])),
                body.as_ref().and_then(|b| json_id(&b["type"])),
            )
        }
        _ => {
            let body = body();
            (
                header("x-delivery-id").or_else(|| body.as_ref().and_then(|b| json_id(&b["id"]))),
                header("x-event-type").or_else(|| body.as_ref().and_then(|b| json_id(&b["type"]))),
            )
        }
    };
    let delivery = delivery.ok_or_else(|| {
        ApiError::bad_request(match provider {
            "github" => "the delivery has no X-GitHub-Delivery header",
            "stripe" => "the event has no `id`",
            _ => "the delivery has no X-Delivery-Id header and its body no `id`",
        })
    })?;
    if !acceptable(&delivery) {
        return Err(ApiError::bad_request(format!(
            "the delivery id must be 1 to {MAX_ID_CHARS} characters without control characters"
        )));
    }
    // An unusable event type is dropped rather than refused: it only labels the event.
    Ok((delivery, event_type.filter(|t| acceptable(t))))
}

/// A JSON string or integer as text.
fn json_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// Fits the column (and Postgres text, which refuses NUL).
fn acceptable(s: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&s.chars().count()) && !s.chars().any(char::is_control)
}
