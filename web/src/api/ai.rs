//! `/api/v1/ai/...`: providers, API keys, budget, usage, the ledger and the proxy itself.

use shared::api::ai::{
    ApiKey, Budget, BudgetRequest, ChatAnswer, ChatRequest, CreateApiKeyRequest, CreatedApiKey,
    LedgerRow, Provider, ProviderModel, ProviderRequest, ProviderTestResult, UsageRow,
};
use uuid::Uuid;

use super::http::{self, ApiError, Page};
use crate::format::with_query;

/// The account's providers with their health.
pub async fn providers() -> Result<Vec<Provider>, ApiError> {
    http::get("/api/v1/ai/providers").await
}

/// What the add-provider form sends.
pub struct NewProvider {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub api_key: String,
    pub model: ProviderModel,
}

/// Adds a provider with one model.
pub async fn create_provider(p: NewProvider) -> Result<Provider, ApiError> {
    let body = ProviderRequest {
        name: Some(p.name),
        kind: Some(p.kind),
        base_url: Some(p.base_url),
        api_key: (!p.api_key.is_empty()).then_some(Some(p.api_key)),
        models: Some(vec![p.model]),
        ..ProviderRequest::default()
    };
    http::send("POST", "/api/v1/ai/providers", &body).await
}

/// Removes a provider.
pub async fn delete_provider(id: Uuid) -> Result<Provider, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/ai/providers/{id}")).await
}

/// One real minimal call per model.
pub async fn test_provider(id: Uuid) -> Result<Vec<ProviderTestResult>, ApiError> {
    http::send_empty("POST", &format!("/api/v1/ai/providers/{id}/test")).await
}

/// The account's API keys.
pub async fn keys() -> Result<Vec<ApiKey>, ApiError> {
    http::get("/api/v1/ai/keys").await
}

/// A new key, shown once.
pub async fn create_key(name: &str) -> Result<CreatedApiKey, ApiError> {
    let body = CreateApiKeyRequest {
        name: Some(name.to_string()),
    };
    http::send("POST", "/api/v1/ai/keys", &body).await
}

/// Revokes a key.
pub async fn delete_key(id: Uuid) -> Result<ApiKey, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/ai/keys/{id}")).await
}

/// The budget and this month's spend.
pub async fn budget() -> Result<Budget, ApiError> {
    http::get("/api/v1/ai/budget").await
}

/// Sets (or with `None` removes) the monthly budget.
pub async fn set_budget(monthly_usd: Option<f64>) -> Result<Budget, ApiError> {
    http::send("PUT", "/api/v1/ai/budget", &BudgetRequest { monthly_usd }).await
}

/// This month's usage grouped by `day`, `provider` or `model`.
pub async fn usage(group_by: &str) -> Result<Vec<UsageRow>, ApiError> {
    http::get(&with_query(
        "/api/v1/ai/usage",
        &[("group_by", group_by.to_string())],
    ))
    .await
}

/// A page of the ledger, newest first.
pub async fn requests(status: &str, model: &str, page: u32) -> Result<Page<LedgerRow>, ApiError> {
    let path = with_query(
        "/api/v1/ai/requests",
        &[
            ("status", status.to_string()),
            ("model", model.to_string()),
            ("page", page.max(1).to_string()),
            ("per_page", "20".to_string()),
        ],
    );
    http::get_page(&path).await
}

/// A streamed chat call: `on_delta` gets each piece of text as it arrives; the answer (usage,
/// cost, attempts) comes back when the stream is done.
pub async fn stream_chat(
    model: &str,
    prompt: &str,
    mut on_delta: impl FnMut(&str),
) -> Result<ChatAnswer, ApiError> {
    let body = ChatRequest {
        model: Some(model.to_string()),
        messages: Some(vec![serde_json::json!({"role": "user", "content": prompt})]),
        max_tokens: Some(256),
        stream: Some(true),
        ..ChatRequest::default()
    };
    let mut answer = None;
    let mut failure = None;
    http::post_events("/api/v1/ai/chat", &body, |name, data| match name {
        "done" => answer = serde_json::from_str::<ChatAnswer>(data).ok(),
        "error" => {
            let message = serde_json::from_str::<serde_json::Value>(data)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| "the answer broke off".into());
            failure = Some(message);
        }
        _ => {
            if let Some(text) = serde_json::from_str::<serde_json::Value>(data)
                .ok()
                .and_then(|v| v["delta"].as_str().map(str::to_string))
            {
                on_delta(&text);
            }
        }
    })
    .await?;
    if let Some(message) = failure {
        return Err(ApiError::Decode(message));
    }
    answer.ok_or_else(|| ApiError::Decode("the stream ended without its answer".into()))
}

/// The models of `kind` (`chat`, `embedding`) the enabled providers offer, each once, in the
/// providers' order: what a form may offer.
pub fn models_of_kind(providers: &[Provider], kind: &str) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for m in providers
        .iter()
        .filter(|p| p.enabled)
        .flat_map(|p| p.models.iter())
        .filter(|m| m.kind == kind)
    {
        if !models.contains(&m.name) {
            models.push(m.name.clone());
        }
    }
    models
}
