//! Bodies of `/api/v1/ai/agents`, `/api/v1/ai/runs` and the agent runs' worker routes (API.md,
//! "Agents and runs").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ai::{Routing, TokenUsage};

/// The built-in tools an agent may be given, each run by the API with the run's account.
pub const TOOLS: [&str; 3] = ["search_knowledge", "list_files", "read_file_text"];

/// Steps a run may take when the agent does not say (API.md: 1 to 20, default 5).
pub const DEFAULT_MAX_STEPS: i32 = 5;
/// The most steps an agent may allow.
pub const MAX_MAX_STEPS: i32 = 20;

/// A run's states. `queued` → `running` → `completed`, `failed` or `cancelled`; a queued run
/// may be cancelled before it starts.
pub const RUN_STATUSES: [&str; 5] = ["queued", "running", "completed", "failed", "cancelled"];

/// An agent: a model with a system prompt and tools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique in the account.
    pub name: String,
    /// The chat model, called through the proxy.
    pub model: String,
    /// The system message every run starts with.
    pub system_prompt: String,
    /// Provider selection for its calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// The base `search_knowledge` searches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge_base_id: Option<Uuid>,
    /// Names of built-in tools.
    pub tools: Vec<String>,
    /// Steps (model calls and tool calls) a run may take.
    pub max_steps: i32,
    /// Most output tokens of each model call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i32>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its runs of the last 24 hours (the fleet view: `GET /api/v1/ai/agents` fills it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<AgentStats>,
}

/// An agent's runs created in the last 24 hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStats {
    /// Runs by status.
    pub runs: RunCounts,
    /// Completed over finished (completed and failed); `null` before any run finished.
    pub success_rate: Option<f64>,
    /// Median duration, start to finish, of finished runs.
    pub p50_duration_ms: Option<i64>,
    /// Their steps' cost.
    pub cost_usd: f64,
}

/// Runs by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunCounts {
    /// Waiting for a consumer.
    pub queued: i64,
    /// Taking steps.
    pub running: i64,
    /// Answered.
    pub completed: i64,
    /// Stopped by an error or at `max_steps`.
    pub failed: i64,
    /// Stopped by a user.
    pub cancelled: i64,
}

/// `POST /api/v1/ai/agents` and `PATCH /api/v1/ai/agents/:id` (a patch changes the fields it
/// names; `knowledge_base_id: null` and `max_tokens: null` clear them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRequest {
    /// 1 to 100 characters, unique in the account (required to create).
    pub name: Option<String>,
    /// A chat model an enabled provider of the account offers (required to create).
    pub model: Option<String>,
    /// Up to 20,000 characters.
    pub system_prompt: Option<String>,
    /// Provider selection.
    #[serde(default, deserialize_with = "present")]
    pub routing: Option<Option<Routing>>,
    /// The base `search_knowledge` searches (required with that tool).
    #[serde(default, deserialize_with = "present")]
    pub knowledge_base_id: Option<Option<Uuid>>,
    /// Built-in tool names.
    pub tools: Option<Vec<String>>,
    /// 1 to 20 (default 5).
    pub max_steps: Option<i32>,
    /// 1 to 100,000: most output tokens of each model call.
    #[serde(default, deserialize_with = "present")]
    pub max_tokens: Option<Option<i32>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /api/v1/ai/agents/:id/runs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartRunRequest {
    /// The user message (1 to 100,000 characters).
    pub input: Option<String>,
}

/// One step of a run: a model call or a tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunStep {
    /// 1, 2, ... in the order taken.
    pub n: i32,
    /// `llm` or `tool`.
    pub kind: String,
    /// The tool's name (tool steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The model's id for the call, which the tool's answer quotes back (tool steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// The tool's arguments as the model wrote them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub arguments: Option<serde_json::Value>,
    /// A tool's answer; a model's `{content, tool_calls?, finish_reason}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<serde_json::Value>,
    /// Tokens of a model call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    /// Cost of a model call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// How long it took.
    pub latency_ms: i32,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A run of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Run {
    /// Its id.
    pub id: Uuid,
    /// The agent.
    pub agent_id: Uuid,
    /// `queued`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// The user message.
    pub input: String,
    /// The final answer.
    pub output: Option<String>,
    /// Steps taken, in order (empty in lists).
    pub steps: Vec<RunStep>,
    /// The sum of its model steps' tokens.
    pub usage: TokenUsage,
    /// The sum of its model steps' cost.
    pub cost_usd: f64,
    /// Why it failed or who cancelled it.
    pub error: Option<String>,
    /// The queue job executing it.
    pub job_id: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When a consumer first took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

impl Run {
    /// Whether it can change no more.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed" | "cancelled")
    }
}

/// What a consumer needs to execute a run: the run with its steps so far, and its agent.
/// `POST /api/v1/worker/ai/runs/:id/start` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunWork {
    /// The account the run works for: every call names it.
    pub account_id: Uuid,
    /// The run (`running` unless it ended before it started).
    pub run: Run,
    /// The agent as it is now.
    pub agent: Agent,
    /// The tools as OpenAI function definitions, ready for the chat request.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub tool_definitions: Vec<serde_json::Value>,
}

/// `POST /api/v1/worker/ai/runs/:id/tools`: run one tool call and record it as step `n`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallRequest {
    /// The step's number.
    pub n: Option<i32>,
    /// The tool.
    pub tool: Option<String>,
    /// The model's id for the call.
    pub tool_call_id: Option<String>,
    /// The model's arguments: a JSON object, or the text of one as models write it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub arguments: Option<serde_json::Value>,
}

/// `POST /api/v1/worker/ai/runs/:id/finish`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinishRunRequest {
    /// `completed` or `failed`.
    pub status: Option<String>,
    /// The final answer (completed).
    pub output: Option<String>,
    /// Why (failed).
    pub error: Option<String>,
}

/// The chat request's `metadata` names a run's model step with these keys, so the proxy
/// records the step with its ledger row in one statement and answers a repeat from it.
pub const RUN_ID_KEY: &str = "run_id";
/// See [`RUN_ID_KEY`].
pub const RUN_STEP_KEY: &str = "run_step";
