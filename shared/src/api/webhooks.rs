//! Bodies of `/api/v1/webhooks/...` (endpoints and the event log), of the public receiver
//! `POST /webhooks/:endpoint_id`, and of the worker routes the `webhooks.process` job uses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signature schemes a receiver verifies.
pub const PROVIDERS: &[&str] = &["generic", "github", "stripe"];

/// Processing states of an event: `pending` (stored, its job queued; a replay comes back here),
/// then `processed` or `failed`.
pub const EVENT_STATES: &[&str] = &["pending", "processed", "failed"];

/// `POST /api/v1/webhooks/endpoints`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateWebhookEndpointRequest {
    /// 1 to 100 characters (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// `generic`, `github` or `stripe` (required): how deliveries are signed.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, pattern = "^(generic|github|stripe)$"))]
    pub provider: Option<String>,
}

/// An endpoint as lists show it: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    /// Id (part of the receiver's URL).
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `generic`, `github` or `stripe`.
    pub provider: String,
    /// The receiver's path on this API's origin: `/webhooks/{id}`.
    pub url: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The answer of `POST /api/v1/webhooks/endpoints`: the endpoint and its signing secret, which
/// is shown here only (it is stored encrypted and never answered again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhookEndpoint {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `generic`, `github` or `stripe`.
    pub provider: String,
    /// The receiver's path on this API's origin: `/webhooks/{id}`.
    pub url: String,
    /// `whsec_` + base64url of 32 random bytes; give it to the sender.
    pub secret: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A received event in the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEvent {
    /// Id.
    pub id: Uuid,
    /// The endpoint that received it.
    pub endpoint_id: Uuid,
    /// The sender's delivery id (unique per endpoint).
    pub delivery_id: String,
    /// The sender's event type, when it names one.
    pub event_type: Option<String>,
    /// `pending`, `processed` or `failed`.
    pub state: String,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// When processing ended (`null` while pending).
    pub processed_at: Option<DateTime<Utc>>,
    /// Why processing failed.
    pub error: Option<String>,
}

/// One event with what was received: `GET /api/v1/webhooks/events/:id` and the worker's view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEventDetail {
    /// The event.
    #[serde(flatten)]
    pub event: WebhookEvent,
    /// The endpoint's provider.
    pub provider: String,
    /// The body as received, as text (bytes that are not UTF-8 show as U+FFFD).
    pub payload: String,
}

/// `PATCH /api/v1/worker/webhooks/events/:id`: the outcome of processing a pending event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportWebhookEventRequest {
    /// `processed` or `failed` (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, pattern = "^(processed|failed)$"))]
    pub state: Option<String>,
    /// Why it failed (with `failed` only).
    pub error: Option<String>,
}

/// The receiver's answer (202): the stored event, or the one a redelivery repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookReceipt {
    /// The event.
    pub event_id: Uuid,
    /// The delivery id was seen before on this endpoint: nothing was stored or queued.
    pub duplicate: bool,
}
