//! Webhook endpoints and the events they received.

use shared::api::webhooks::{
    CreateWebhookEndpointRequest, CreatedWebhookEndpoint, WebhookEndpoint, WebhookEvent,
    WebhookEventDetail,
};
use uuid::Uuid;

use super::http::{self, ApiError, Page};
use crate::format::with_query;

/// The account's endpoints.
pub async fn endpoints() -> Result<Page<WebhookEndpoint>, ApiError> {
    http::get_page("/api/v1/webhooks/endpoints?per_page=100").await
}

/// Creates an endpoint; its secret is in this answer only.
pub async fn create(name: &str, provider: &str) -> Result<CreatedWebhookEndpoint, ApiError> {
    let body = CreateWebhookEndpointRequest {
        name: Some(name.to_string()),
        provider: Some(provider.to_string()),
    };
    http::send("POST", "/api/v1/webhooks/endpoints", &body).await
}

/// Deletes an endpoint.
pub async fn delete(id: Uuid) -> Result<serde_json::Value, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/webhooks/endpoints/{id}")).await
}

/// A page of received events, newest first, of one endpoint (or all) in one state (or all).
pub async fn events(
    endpoint: &str,
    state: &str,
    page: u32,
) -> Result<Page<WebhookEvent>, ApiError> {
    let path = with_query(
        "/api/v1/webhooks/events",
        &[
            ("endpoint_id", endpoint.to_string()),
            ("state", state.to_string()),
            ("page", page.max(1).to_string()),
            ("per_page", "25".to_string()),
        ],
    );
    http::get_page(&path).await
}

/// One event with its payload.
pub async fn event(id: Uuid) -> Result<WebhookEventDetail, ApiError> {
    http::get(&format!("/api/v1/webhooks/events/{id}")).await
}

/// Processes an event again.
pub async fn replay(id: Uuid) -> Result<WebhookEvent, ApiError> {
    http::send_empty("POST", &format!("/api/v1/webhooks/events/{id}/replay")).await
}
