//! Agents: create and change them (the model must be one the account's enabled providers
//! offer; the tools must be built-in ones), list them with their last 24 hours of runs (the
//! fleet view), delete them with their runs.

use chrono::Duration;
use serde_json::json;
use shared::api::agents::{Agent, AgentRequest, DEFAULT_MAX_STEPS, MAX_MAX_STEPS, TOOLS};
use shared::api::ai::Routing;
use uuid::Uuid;

use crate::Api;
use crate::context::Ctx;
use crate::db::DbError;
use crate::error::{ApiError, ApiResult};
use crate::service::ai::providers;
use crate::service::ai::routing::strategy::Strategy;
use crate::service::audit;
use crate::service::validate::Checks;
use crate::store::{self, agents::AgentFields};

/// The constraint that keeps agent names unique in an account.
const NAME_UNIQUE: &str = "ai_agents_account_name_key";
const MAX_SYSTEM_PROMPT_CHARS: usize = 20_000;
const MAX_TOKENS: i32 = 100_000;

/// One of the account's agents, or 404.
pub async fn find(api: &Api, account: Uuid, id: Uuid) -> ApiResult<Agent> {
    store::agents::get_agent(api.db(), account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent"))
}

/// An agent's fields once checked.
struct Checked {
    name: String,
    model: String,
    system_prompt: String,
    routing: Option<Routing>,
    knowledge_base_id: Option<Uuid>,
    tools: Vec<String>,
    max_steps: i32,
    max_tokens: Option<i32>,
}

/// `req` laid over `base` (an agent being changed) and checked as a whole.
async fn check(
    api: &Api,
    account: Uuid,
    base: Option<&Agent>,
    req: AgentRequest,
) -> ApiResult<Checked> {
    let mut checks = Checks::new();
    let name = match req.name.as_deref().map(str::trim) {
        Some(n) if (1..=100).contains(&n.chars().count()) && !n.chars().any(char::is_control) => {
            n.to_string()
        }
        None if base.is_some() => base.map(|a| a.name.clone()).unwrap_or_default(),
        _ => {
            checks.fail(
                "name",
                "must be 1 to 100 characters, without control characters",
            );
            String::new()
        }
    };
    let model_given = req.model.is_some();
    let model = match req.model.as_deref().map(str::trim) {
        Some(m) if (1..=200).contains(&m.len()) && !m.chars().any(char::is_control) => {
            m.to_string()
        }
        None if base.is_some() => base.map(|a| a.model.clone()).unwrap_or_default(),
        _ => {
            checks.fail("model", "must name a chat model (1 to 200 characters)");
            String::new()
        }
    };
    let system_prompt = match req.system_prompt {
        Some(p) if p.chars().count() > MAX_SYSTEM_PROMPT_CHARS => {
            checks.fail("system_prompt", "must be at most 20,000 characters");
            String::new()
        }
        Some(p) if p.contains('\0') => {
            checks.fail("system_prompt", "must not contain NUL characters");
            String::new()
        }
        Some(p) => p,
        None => base.map(|a| a.system_prompt.clone()).unwrap_or_default(),
    };
    let routing = match req.routing {
        Some(r) => r,
        None => base.and_then(|a| a.routing.clone()),
    };
    if let Some(s) = routing.as_ref().and_then(|r| r.strategy.as_deref())
        && Strategy::parse(s).is_none()
    {
        checks.fail(
            "routing.strategy",
            format!("must be one of {}", Strategy::NAMES.join(", ")),
        );
    }
    let knowledge_base_id = match req.knowledge_base_id {
        Some(k) => k,
        None => base.and_then(|a| a.knowledge_base_id),
    };
    let tools = match req.tools {
        Some(t) => t,
        None => base.map(|a| a.tools.clone()).unwrap_or_default(),
    };
    for (i, t) in tools.iter().enumerate() {
        if !TOOLS.contains(&t.as_str()) {
            checks.fail(
                &format!("tools[{i}]"),
                format!("unknown tool; the built-in tools are {}", TOOLS.join(", ")),
            );
        } else if tools[..i].contains(t) {
            checks.fail(&format!("tools[{i}]"), "is listed twice");
        }
    }
    if tools.iter().any(|t| t == "search_knowledge") && knowledge_base_id.is_none() {
        checks.fail(
            "knowledge_base_id",
            "is required with the search_knowledge tool",
        );
    }
    let max_steps = req
        .max_steps
        .or(base.map(|a| a.max_steps))
        .unwrap_or(DEFAULT_MAX_STEPS);
    if !(1..=MAX_MAX_STEPS).contains(&max_steps) {
        checks.fail("max_steps", "must be from 1 to 20");
    }
    let max_tokens = match req.max_tokens {
        Some(m) => m,
        None => base.and_then(|a| a.max_tokens),
    };
    if max_tokens.is_some_and(|m| !(1..=MAX_TOKENS).contains(&m)) {
        checks.fail("max_tokens", "must be from 1 to 100000");
    }
    if let Some(kb) = knowledge_base_id
        && store::knowledge::get_base(api.db(), account, kb)
            .await?
            .is_none()
    {
        checks.fail(
            "knowledge_base_id",
            "no knowledge base of this account has this id",
        );
    }
    // A model is checked when it is set: an agent whose provider went away since still reads.
    if model_given && !model.is_empty() {
        let offered = providers::load_upstreams(api, account)
            .await?
            .iter()
            .any(|u| u.enabled && u.model(&model, "chat").is_some());
        if !offered {
            checks.fail(
                "model",
                format!("no enabled provider of this account offers the chat model `{model}`"),
            );
        }
    }
    checks.finish()?;
    Ok(Checked {
        name,
        model,
        system_prompt,
        routing,
        knowledge_base_id,
        tools,
        max_steps,
        max_tokens,
    })
}

impl Checked {
    fn fields(&self) -> AgentFields<'_> {
        AgentFields {
            name: &self.name,
            model: &self.model,
            system_prompt: &self.system_prompt,
            routing: self.routing.as_ref(),
            knowledge_base_id: self.knowledge_base_id,
            tools: &self.tools,
            max_steps: self.max_steps,
            max_tokens: self.max_tokens,
        }
    }
}

fn name_taken(e: DbError) -> ApiError {
    if e.is_unique_violation(NAME_UNIQUE) {
        ApiError::conflict("an agent of this account already has that name")
    } else {
        e.into()
    }
}

/// `POST /api/v1/ai/agents`.
pub async fn create(ctx: &Ctx<'_>, req: AgentRequest) -> ApiResult<Agent> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let checked = check(api, account, None, req).await?;
    let id = api.new_id();
    let tx = api.db().begin().await?;
    store::agents::insert_agent(&*tx, id, account, &checked.fields(), api.now())
        .await
        .map_err(name_taken)?;
    audit::by_user(
        ctx,
        &*tx,
        "agent.created",
        "agent",
        id,
        json!({"name": checked.name, "model": checked.model, "tools": checked.tools}),
    )
    .await?;
    tx.commit().await?;
    find(api, account, id).await
}

/// `PATCH /api/v1/ai/agents/:id`.
pub async fn update(ctx: &Ctx<'_>, id: Uuid, req: AgentRequest) -> ApiResult<Agent> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let current = find(api, account, id).await?;
    let checked = check(api, account, Some(&current), req).await?;
    let tx = api.db().begin().await?;
    if !store::agents::update_agent(&*tx, id, account, &checked.fields(), api.now())
        .await
        .map_err(name_taken)?
    {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("agent"));
    }
    audit::by_user(
        ctx,
        &*tx,
        "agent.updated",
        "agent",
        id,
        json!({"name": checked.name, "model": checked.model, "tools": checked.tools}),
    )
    .await?;
    tx.commit().await?;
    find(api, account, id).await
}

/// `GET /api/v1/ai/agents`: the fleet view, each agent with its runs of the last 24 hours.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Vec<Agent>> {
    let account = ctx.user()?.account_id;
    let since = ctx.api.now() - Duration::hours(24);
    Ok(store::agents::list_agents_with_stats(ctx.api.db(), account, since).await?)
}

/// `GET /api/v1/ai/agents/:id`.
pub async fn get(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Agent> {
    find(ctx.api, ctx.user()?.account_id, id).await
}

/// `DELETE /api/v1/ai/agents/:id`: the agent as it was; its runs go with it.
pub async fn delete(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Agent> {
    let account = ctx.user()?.account_id;
    let agent = find(ctx.api, account, id).await?;
    let tx = ctx.api.db().begin().await?;
    if !store::agents::delete_agent(&*tx, account, id).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("agent"));
    }
    audit::by_user(
        ctx,
        &*tx,
        "agent.deleted",
        "agent",
        id,
        json!({"name": agent.name}),
    )
    .await?;
    tx.commit().await?;
    Ok(agent)
}
