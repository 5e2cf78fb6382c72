//! The AI section of the API: providers, the LLM proxy, API keys for the OpenAI-compatible
//! surface, the budget, usage and the ledger (API.md "AI", ARCHITECTURE.md "AI").
//!
//! Layout: `agents/` (agents, runs and their steps), `providers` (CRUD, test), `proxy/` (one call: candidates, attempts, the providers'
//! wire formats, streaming), `routing/` (strategies, and the breakers and windows kept in
//! Redis), `budget`, `keys`, `usage` (reports), `money` (integer prices and costs).

pub mod agents;
pub mod budget;
pub mod cache;
pub mod keys;
pub mod money;
pub mod providers;
pub mod proxy;
pub mod routing;
pub mod usage;

use uuid::Uuid;

/// Who a proxy call is made for: the ledger's row names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The account billed.
    pub account_id: Uuid,
    /// A signed-in user.
    pub user_id: Option<Uuid>,
    /// A consumer's job.
    pub job_id: Option<Uuid>,
    /// An API key of `/v1`.
    pub api_key_id: Option<Uuid>,
    /// The agent run's step a consumer makes the call for (`run_id`, `n`): the proxy answers a
    /// repeat from the recorded step, and books the call with the step in one transaction.
    pub run_step: Option<(Uuid, i32)>,
}
