//! Bodies of `/api/v1/ai/...` and the consumer twins: providers, the LLM proxy, API keys,
//! usage and budget (API.md, "AI").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A model a provider offers, with its prices in USD per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderModel {
    /// The name callers ask for, and the provider is sent.
    pub name: String,
    /// `chat` or `embedding`.
    pub kind: String,
    /// USD per million input tokens.
    pub input_usd_per_mtok: f64,
    /// USD per million output tokens.
    pub output_usd_per_mtok: f64,
    /// USD per million cached input tokens (`null`: the input price).
    #[serde(default)]
    pub cached_input_usd_per_mtok: Option<f64>,
    /// Context window in tokens, if known.
    #[serde(default)]
    pub context_window: Option<i64>,
}

/// The circuit breaker and latency of a provider, the worst of its models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderHealth {
    /// `closed`, `open` or `half_open`.
    pub state: String,
    /// Failures in a row.
    pub consecutive_failures: i64,
    /// When the breaker last opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// The last failure (never a key).
    pub last_error: Option<String>,
    /// Moving average of recent latency (time to first token for streams).
    pub latency_ms_ewma: Option<f64>,
}

/// Per-provider timeouts, in milliseconds; absent ones take the proxy's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderTimeouts {
    /// Connecting (default 10 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    /// From the request to the first byte of the answer (default 60 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// Between two chunks of a stream (default 30 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<u64>,
    /// The whole call (default 600 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u64>,
}

/// An AI provider. Its API key is write-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provider {
    /// Id.
    pub id: Uuid,
    /// Unique within the account.
    pub name: String,
    /// `openai` (any OpenAI-compatible server) or `anthropic` (the Messages API).
    pub kind: String,
    /// e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Whether a key is stored (the key itself is never shown).
    pub has_api_key: bool,
    /// Models and prices.
    pub models: Vec<ProviderModel>,
    /// 1-100, for `weighted`.
    pub weight: i32,
    /// Lower is tried first on fallback.
    pub priority: i32,
    /// Requests per minute it may take.
    pub rpm_limit: Option<i32>,
    /// Tokens per minute it may take.
    pub tpm_limit: Option<i32>,
    /// Timeout overrides.
    pub timeouts: ProviderTimeouts,
    /// Disabled providers are never picked.
    pub enabled: bool,
    /// Breaker and latency.
    pub health: ProviderHealth,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/ai/providers`; `PATCH` takes the same fields, all optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderRequest {
    /// 1 to 100 characters (required to create).
    pub name: Option<String>,
    /// `openai` or `anthropic` (required to create; fixed after).
    pub kind: Option<String>,
    /// http(s) URL of the API root (required to create).
    pub base_url: Option<String>,
    /// The provider's key; write-only. `null` on PATCH removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub api_key: Option<Option<String>>,
    /// At least one (required to create).
    pub models: Option<Vec<ProviderModel>>,
    /// 1-100 (default 1).
    pub weight: Option<i32>,
    /// Default 0.
    pub priority: Option<i32>,
    /// `null` on PATCH removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>))]
    pub rpm_limit: Option<Option<i32>>,
    /// `null` on PATCH removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i32>))]
    pub tpm_limit: Option<Option<i32>>,
    /// Timeout overrides.
    pub timeouts: Option<ProviderTimeouts>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from an absent one (`None`).
fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One model's result of `POST /api/v1/ai/providers/:id/test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderTestResult {
    /// The model tried.
    pub model: String,
    /// It answered.
    pub ok: bool,
    /// How long it took.
    pub latency_ms: u64,
    /// Why not (never a key).
    pub error: Option<String>,
}

/// Which providers a call may use, and how to pick.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Routing {
    /// `round_robin`, `weighted` (default), `least_latency`, `least_cost` or `least_busy`.
    pub strategy: Option<String>,
    /// Only these providers.
    pub providers: Option<Vec<Uuid>>,
    /// Try the next candidate when one fails before the first byte (default true).
    pub fallback: Option<bool>,
}

/// Knowledge to add to the prompt (the knowledge issue; refused until then).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemoryRequest {
    /// The base to search.
    pub knowledge_base_id: Option<Uuid>,
    /// Chunks to add.
    pub top_k: Option<u32>,
    /// Token budget of the added chunks.
    pub max_tokens: Option<u32>,
}

/// `POST /api/v1/ai/chat` (the worker twin adds `account_id`). `messages`, `tools`,
/// `tool_choice` and `response_format` are OpenAI's shapes, passed through and translated for
/// other kinds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatRequest {
    /// The model (required).
    pub model: Option<String>,
    /// OpenAI-style messages (required, at least one).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub messages: Option<Vec<serde_json::Value>>,
    /// OpenAI-style tools.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub tools: Option<Vec<serde_json::Value>>,
    /// `auto`, `none`, `required` or `{type: function, function: {name}}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub tool_choice: Option<serde_json::Value>,
    /// `{type: json_object}` or `{type: json_schema, json_schema: {name, schema}}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub response_format: Option<serde_json::Value>,
    /// Most output tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Stream the answer as server-sent events.
    pub stream: Option<bool>,
    /// Provider selection.
    pub routing: Option<Routing>,
    /// Knowledge to add.
    pub memory: Option<MemoryRequest>,
    /// Free-form tags kept with the call.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
    /// The account (worker routes only).
    pub account_id: Option<Uuid>,
}

/// Tokens by class, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenUsage {
    /// Prompt tokens, cached ones included.
    pub input_tokens: i64,
    /// Generated tokens.
    pub output_tokens: i64,
    /// Prompt tokens the provider served from its cache.
    pub cached_input_tokens: i64,
    /// Input plus output.
    pub total_tokens: i64,
}

/// One attempt of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    /// Which provider.
    pub provider_id: Uuid,
    /// `ok`, `failed`, `rejected` or `cut`.
    pub status: String,
    /// How long it took.
    pub latency_ms: u64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A chat answer (also the `done` event of a stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatAnswer {
    /// The call's id.
    pub id: Uuid,
    /// The model served.
    pub model: String,
    /// The provider that answered.
    pub provider_id: Uuid,
    /// The text.
    pub content: String,
    /// OpenAI-style tool calls `[{id, type: function, function: {name, arguments}}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub tool_calls: Option<Vec<serde_json::Value>>,
    /// `stop`, `length`, `tool_calls` or `content_filter`.
    pub finish_reason: String,
    /// Tokens.
    pub usage: TokenUsage,
    /// At the prices in force.
    pub cost_usd: f64,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// The knowledge chunks `memory` added to the system message, best first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Vec<crate::api::knowledge::MemoryChunk>>,
}

/// `POST /api/v1/ai/embeddings` (the worker twin adds `account_id`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsRequest {
    /// An embedding model (required).
    pub model: Option<String>,
    /// Texts (required, 1 to 256).
    pub input: Option<Vec<String>>,
    /// Provider selection.
    pub routing: Option<Routing>,
    /// The account (worker routes only).
    pub account_id: Option<Uuid>,
}

/// Embeddings, one per input, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsAnswer {
    /// The model served.
    pub model: String,
    /// The provider that answered.
    pub provider_id: Uuid,
    /// The vectors.
    pub embeddings: Vec<Vec<f32>>,
    /// Tokens.
    pub usage: TokenUsage,
    /// At the prices in force.
    pub cost_usd: f64,
}

/// `POST /api/v1/ai/keys`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateApiKeyRequest {
    /// 1 to 100 characters (required).
    pub name: Option<String>,
}

/// An API key for `/v1/*`, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Its first characters, to tell keys apart.
    pub prefix: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new API key: the only answer that holds `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `pn_...`: shown once.
    pub key: String,
}

/// `PUT /api/v1/ai/budget`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetRequest {
    /// USD per calendar month (UTC); `null` removes the budget.
    pub monthly_usd: Option<f64>,
}

/// The month's budget and spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Budget {
    /// `null`: no budget.
    pub monthly_usd: Option<f64>,
    /// Spent this month.
    pub spent_usd: f64,
    /// Held by calls in flight.
    pub reserved_usd: f64,
}

/// A row of `GET /api/v1/ai/usage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageRow {
    /// The day (`YYYY-MM-DD`), provider id or model.
    pub key: String,
    /// Attempts.
    pub requests: i64,
    /// Failed attempts.
    pub errors: i64,
    /// Input tokens.
    pub input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Cached input tokens.
    pub cached_input_tokens: i64,
    /// Cost.
    pub cost_usd: f64,
}

/// A ledger row of `GET /api/v1/ai/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerRow {
    /// Attempt id.
    pub id: Uuid,
    /// The call it belongs to.
    pub call_id: Uuid,
    /// The user who called, if a user did.
    pub user_id: Option<Uuid>,
    /// The job that called, if a consumer did.
    pub job_id: Option<Uuid>,
    /// The API key used on `/v1`, if one was.
    pub api_key_id: Option<Uuid>,
    /// `chat` or `embeddings`.
    pub endpoint: String,
    /// What the caller asked for.
    pub requested_model: String,
    /// Which provider was tried.
    pub provider_id: Option<Uuid>,
    /// What it served.
    pub served_model: Option<String>,
    /// 1, 2, 3.
    pub attempt: i32,
    /// `ok`, `failed`, `rejected` or `cut`.
    pub status: String,
    /// The provider's HTTP status.
    pub http_status: Option<i32>,
    /// Why it failed.
    pub error: Option<String>,
    /// Streamed.
    pub stream: bool,
    /// Tokens.
    pub usage: TokenUsage,
    /// Cost at the price in force.
    pub cost_usd: f64,
    /// Whole attempt.
    pub latency_ms: i32,
    /// Time to the first token.
    pub ttft_ms: Option<i32>,
    /// Knowledge chunks added to the prompt.
    pub memory_chunks: i32,
    /// Their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_chunk_ids: Option<Vec<Uuid>>,
    /// The agent run the call was a step of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<Uuid>,
    /// Which step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_step: Option<i32>,
    /// When.
    pub created_at: DateTime<Utc>,
}
