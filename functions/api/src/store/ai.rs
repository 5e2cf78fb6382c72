//! The LLM proxy's tables: `ai_providers`, `ai_model_prices`, `ai_api_keys`, `ai_budgets` and
//! the `ai_requests` ledger. Every query is scoped to the account.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{query_one, query_opt, sql};
use crate::db::{DbError, Row, SqlValue};
use crate::ports::Conn;

/// The constraint that keeps provider names unique per account.
pub const PROVIDER_NAME_UNIQUE: &str = "ai_providers_account_name_key";

/// A provider row as stored (its key sealed).
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub api_key_sealed: Option<String>,
    /// `[ProviderModel]` as JSON.
    pub models: Value,
    pub weight: i32,
    pub priority: i32,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
    /// `ProviderTimeouts` as JSON.
    pub timeouts: Value,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn provider_from(r: &Row) -> Result<ProviderRow, DbError> {
    Ok(ProviderRow {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        name: r.get("name")?,
        kind: r.get("kind")?,
        base_url: r.get("base_url")?,
        api_key_sealed: r.get("api_key_sealed")?,
        models: r.get("models")?,
        weight: r.get("weight")?,
        priority: r.get("priority")?,
        rpm_limit: r.get("rpm_limit")?,
        tpm_limit: r.get("tpm_limit")?,
        timeouts: r.get("timeouts")?,
        enabled: r.get("enabled")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

/// The account's providers, by priority.
pub async fn list_providers(c: &dyn Conn, account: Uuid) -> Result<Vec<ProviderRow>, DbError> {
    c.query(sql::AI_PROVIDER_LIST, &[account.into()])
        .await?
        .iter()
        .map(provider_from)
        .collect()
}

/// One of the account's providers.
pub async fn get_provider(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
) -> Result<Option<ProviderRow>, DbError> {
    query_opt(c, sql::AI_PROVIDER_GET, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(provider_from)
        .transpose()
}

/// Adds a provider.
pub async fn insert_provider(c: &dyn Conn, p: &ProviderRow) -> Result<(), DbError> {
    c.execute(
        sql::AI_PROVIDER_INSERT,
        &[
            p.id.into(),
            p.account_id.into(),
            p.name.clone().into(),
            p.kind.clone().into(),
            p.base_url.clone().into(),
            p.api_key_sealed.clone().into(),
            p.models.clone().into(),
            p.weight.into(),
            p.priority.into(),
            p.rpm_limit.into(),
            p.tpm_limit.into(),
            p.timeouts.clone().into(),
            p.enabled.into(),
            p.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// Saves every editable field of a provider.
pub async fn update_provider(c: &dyn Conn, p: &ProviderRow) -> Result<(), DbError> {
    c.execute(
        sql::AI_PROVIDER_UPDATE,
        &[
            p.id.into(),
            p.account_id.into(),
            p.name.clone().into(),
            p.base_url.clone().into(),
            p.api_key_sealed.clone().into(),
            p.models.clone().into(),
            p.weight.into(),
            p.priority.into(),
            p.rpm_limit.into(),
            p.tpm_limit.into(),
            p.timeouts.clone().into(),
            p.enabled.into(),
            p.updated_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// Removes a provider (its ledger rows stay).
pub async fn delete_provider(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(
        c.execute(sql::AI_PROVIDER_DELETE, &[id.into(), account.into()])
            .await?
            > 0,
    )
}

/// A model's prices in micro-USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceMicro {
    pub input: i64,
    pub output: i64,
    pub cached_input: Option<i64>,
}

/// Records a model's prices from `from` on, unless they are the ones in force.
pub async fn record_price(
    c: &dyn Conn,
    provider: Uuid,
    model: &str,
    price: PriceMicro,
    from: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::AI_MODEL_PRICE_INSERT,
        &[
            provider.into(),
            model.into(),
            price.input.into(),
            price.output.into(),
            price.cached_input.into(),
            from.into(),
        ],
    )
    .await
    .map(drop)
}

/// An API key without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn key_from(r: &Row) -> Result<KeyRow, DbError> {
    Ok(KeyRow {
        id: r.get("id")?,
        name: r.get("name")?,
        prefix: r.get("prefix")?,
        created_at: r.get("created_at")?,
        last_used_at: r.get("last_used_at")?,
    })
}

/// A new key.
pub struct NewKey<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Stores a key's hash.
pub async fn insert_key(c: &dyn Conn, k: &NewKey<'_>) -> Result<(), DbError> {
    c.execute(
        sql::AI_KEY_INSERT,
        &[
            k.id.into(),
            k.account_id.into(),
            k.name.into(),
            k.prefix.into(),
            k.key_hash.into(),
            k.created_by.into(),
            k.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// The account's keys.
pub async fn list_keys(c: &dyn Conn, account: Uuid) -> Result<Vec<KeyRow>, DbError> {
    c.query(sql::AI_KEY_LIST, &[account.into()])
        .await?
        .iter()
        .map(key_from)
        .collect()
}

/// Deletes a key; the deleted key, if it was the account's.
pub async fn delete_key(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<Option<KeyRow>, DbError> {
    query_opt(c, sql::AI_KEY_DELETE, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(key_from)
        .transpose()
}

/// The key with this hash: `(key id, account id)`.
pub async fn key_by_hash(c: &dyn Conn, hash: &str) -> Result<Option<(Uuid, Uuid)>, DbError> {
    match query_opt(c, sql::AI_KEY_BY_HASH, &[hash.into()]).await? {
        Some(r) => Ok(Some((r.get("id")?, r.get("account_id")?))),
        None => Ok(None),
    }
}

/// Marks a key used (at most once a minute).
pub async fn touch_key(c: &dyn Conn, id: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    c.execute(sql::AI_KEY_TOUCH, &[id.into(), now.into()])
        .await
        .map(drop)
}

/// The account's monthly budget in nano-USD.
pub async fn budget(c: &dyn Conn, account: Uuid) -> Result<Option<i64>, DbError> {
    match query_opt(c, sql::AI_BUDGET_GET, &[account.into()]).await? {
        Some(r) => Ok(Some(r.get("monthly_nusd")?)),
        None => Ok(None),
    }
}

/// Sets (`Some`) or removes (`None`) the budget.
pub async fn set_budget(
    c: &dyn Conn,
    account: Uuid,
    monthly_nusd: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    match monthly_nusd {
        Some(n) => c
            .execute(
                sql::AI_BUDGET_UPSERT,
                &[account.into(), n.into(), now.into()],
            )
            .await
            .map(drop),
        None => c
            .execute(sql::AI_BUDGET_DELETE, &[account.into()])
            .await
            .map(drop),
    }
}

/// Pico-USD spent since `since`.
pub async fn spent_since(
    c: &dyn Conn,
    account: Uuid,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    query_one(c, sql::AI_SPENT_SINCE, &[account.into(), since.into()])
        .await?
        .get("spent_pusd")
}

/// One attempt, as the ledger records it.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub call_id: Uuid,
    pub account_id: Uuid,
    pub user_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub endpoint: &'static str,
    pub requested_model: String,
    pub provider_id: Option<Uuid>,
    pub served_model: Option<String>,
    pub attempt: i32,
    pub status: &'static str,
    pub http_status: Option<i32>,
    pub error: Option<String>,
    pub stream: bool,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_input_tokens: i64,
    pub cost_pusd: i64,
    pub latency_ms: i32,
    pub ttft_ms: Option<i32>,
    pub memory_chunks: i32,
    /// The chunks' ids, a JSON array (Spin's host has no uuid[]).
    pub memory_chunk_ids: Option<serde_json::Value>,
    /// The agent run's step the call was made for (`run_id`, `n`).
    pub run_step: Option<(Uuid, i32)>,
    pub created_at: DateTime<Utc>,
}

/// A ledger row's values in `AiLedgerInsert`'s order, up to `memory_chunk_ids` (the run step
/// comes after; `RunStepBook` takes them from the step it writes).
pub fn ledger_values(e: &LedgerEntry) -> Vec<SqlValue> {
    vec![
        e.id.into(),
        e.call_id.into(),
        e.account_id.into(),
        e.user_id.into(),
        e.job_id.into(),
        e.api_key_id.into(),
        e.endpoint.into(),
        e.requested_model.clone().into(),
        e.provider_id.into(),
        e.served_model.clone().into(),
        e.attempt.into(),
        e.status.into(),
        e.http_status.into(),
        e.error.clone().into(),
        e.stream.into(),
        e.input_tokens.into(),
        e.output_tokens.into(),
        e.cached_input_tokens.into(),
        e.cost_pusd.into(),
        e.latency_ms.into(),
        e.ttft_ms.into(),
        e.memory_chunks.into(),
        e.created_at.into(),
        e.memory_chunk_ids.clone().into(),
    ]
}

/// Writes one attempt.
pub async fn insert_ledger(c: &dyn Conn, e: &LedgerEntry) -> Result<(), DbError> {
    let mut params = ledger_values(e);
    params.push(e.run_step.map(|(run, _)| run).into());
    params.push(e.run_step.map(|(_, n)| n).into());
    c.execute(sql::AI_LEDGER_INSERT, &params).await.map(drop)
}

/// One group of `GET /ai/usage`.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageGroup {
    pub key: String,
    pub requests: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_input_tokens: i64,
    pub cost_pusd: i64,
}

/// Usage between `from` (inclusive) and `to` (exclusive), grouped by `day`, `provider` or
/// `model`.
pub async fn usage(
    c: &dyn Conn,
    account: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group_by: &str,
) -> Result<Vec<UsageGroup>, DbError> {
    c.query(
        sql::AI_USAGE,
        &[account.into(), from.into(), to.into(), group_by.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(UsageGroup {
            key: r.get("key")?,
            requests: r.get("requests")?,
            errors: r.get("errors")?,
            input_tokens: r.get("input_tokens")?,
            output_tokens: r.get("output_tokens")?,
            cached_input_tokens: r.get("cached_input_tokens")?,
            cost_pusd: r.get("cost_pusd")?,
        })
    })
    .collect()
}

/// A page of the ledger, newest first, and the filtered total.
pub async fn list_requests(
    c: &dyn Conn,
    account: Uuid,
    status: Option<&str>,
    model: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<LedgerEntry>, i64), DbError> {
    let rows = c
        .query(
            sql::AI_REQUEST_LIST,
            &[
                account.into(),
                status.into(),
                model.into(),
                limit.into(),
                offset.into(),
            ],
        )
        .await?;
    let total: i64 = query_one(
        c,
        sql::AI_REQUEST_LIST_COUNT,
        &[account.into(), status.into(), model.into()],
    )
    .await?
    .get("total")?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(LedgerEntry {
                id: r.get("id")?,
                call_id: r.get("call_id")?,
                account_id: account,
                user_id: r.get("user_id")?,
                job_id: r.get("job_id")?,
                api_key_id: r.get("api_key_id")?,
                endpoint: if r.get::<String>("endpoint")? == "embeddings" {
                    "embeddings"
                } else {
                    "chat"
                },
                requested_model: r.get("requested_model")?,
                provider_id: r.get("provider_id")?,
                served_model: r.get("served_model")?,
                attempt: r.get("attempt")?,
                status: match r.get::<String>("status")?.as_str() {
                    "ok" => "ok",
                    "rejected" => "rejected",
                    "cut" => "cut",
                    _ => "failed",
                },
                http_status: r.get("http_status")?,
                error: r.get("error")?,
                stream: r.get("stream")?,
                input_tokens: r.get("input_tokens")?,
                output_tokens: r.get("output_tokens")?,
                cached_input_tokens: r.get("cached_input_tokens")?,
                cost_pusd: r.get("cost_pusd")?,
                latency_ms: r.get("latency_ms")?,
                ttft_ms: r.get("ttft_ms")?,
                memory_chunks: r.get("memory_chunks")?,
                memory_chunk_ids: r.get("memory_chunk_ids")?,
                run_step: match (r.get("run_id")?, r.get("run_step")?) {
                    (Some(run), Some(n)) => Some((run, n)),
                    _ => None,
                },
                created_at: r.get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok((entries, total))
}
