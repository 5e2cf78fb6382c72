//! Agents, runs and run steps (`sql/agents.sql`).

use chrono::{DateTime, Utc};
use shared::api::agents::{Agent, AgentStats, Run, RunCounts, RunStep};
use shared::api::ai::{Routing, TokenUsage};
use uuid::Uuid;

use super::{query_opt, sql};
use crate::db::{DbError, Row, SqlValue};
use crate::ports::Conn;
use crate::service::ai::money::pusd_to_usd;

fn agent_from(r: &Row) -> Result<Agent, DbError> {
    let routing: Option<serde_json::Value> = r.get("routing")?;
    Ok(Agent {
        id: r.get("id")?,
        name: r.get("name")?,
        model: r.get("model")?,
        system_prompt: r.get("system_prompt")?,
        routing: routing.and_then(|v| serde_json::from_value::<Routing>(v).ok()),
        knowledge_base_id: r.get("knowledge_base_id")?,
        tools: r.get("tools")?,
        max_steps: r.get("max_steps")?,
        max_tokens: r.get("max_tokens")?,
        created_at: r.get("created_at")?,
        stats: None,
    })
}

/// An agent's fields as stored.
pub struct AgentFields<'a> {
    pub name: &'a str,
    pub model: &'a str,
    pub system_prompt: &'a str,
    pub routing: Option<&'a Routing>,
    pub knowledge_base_id: Option<Uuid>,
    pub tools: &'a [String],
    pub max_steps: i32,
    pub max_tokens: Option<i32>,
}

impl AgentFields<'_> {
    fn params(&self) -> [SqlValue; 8] {
        [
            self.name.into(),
            self.model.into(),
            self.system_prompt.into(),
            self.routing
                .and_then(|r| serde_json::to_value(r).ok())
                .into(),
            self.knowledge_base_id.into(),
            self.tools.to_vec().into(),
            self.max_steps.into(),
            self.max_tokens.into(),
        ]
    }
}

/// Stores a new agent.
pub async fn insert_agent(
    c: &dyn Conn,
    id: Uuid,
    account: Uuid,
    a: &AgentFields<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut params: Vec<SqlValue> = vec![id.into(), account.into()];
    params.extend(a.params());
    params.push(now.into());
    c.execute(sql::AGENT_INSERT, &params).await.map(drop)
}

/// Rewrites an agent; false if the account has none with that id.
pub async fn update_agent(
    c: &dyn Conn,
    id: Uuid,
    account: Uuid,
    a: &AgentFields<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut params: Vec<SqlValue> = vec![id.into(), account.into()];
    params.extend(a.params());
    params.push(now.into());
    Ok(c.execute(sql::AGENT_UPDATE, &params).await? > 0)
}

/// One of the account's agents.
pub async fn get_agent(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<Option<Agent>, DbError> {
    query_opt(c, sql::AGENT_GET, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(agent_from)
        .transpose()
}

/// The account's agents, oldest first, each with its runs created since `since`.
pub async fn list_agents_with_stats(
    c: &dyn Conn,
    account: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<Agent>, DbError> {
    c.query(sql::AGENT_LIST_WITH_STATS, &[account.into(), since.into()])
        .await?
        .iter()
        .map(|r| {
            let mut agent = agent_from(r)?;
            let runs = RunCounts {
                queued: r.get("queued")?,
                running: r.get("running")?,
                completed: r.get("completed")?,
                failed: r.get("failed")?,
                cancelled: r.get("cancelled")?,
            };
            let finished = runs.completed + runs.failed;
            agent.stats = Some(AgentStats {
                runs,
                success_rate: (finished > 0).then(|| runs.completed as f64 / finished as f64),
                p50_duration_ms: r.get("p50_ms")?,
                cost_usd: pusd_to_usd(r.get("cost_pusd")?),
            });
            Ok(agent)
        })
        .collect()
}

/// Deletes an agent with its runs; false if there was none.
pub async fn delete_agent(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(c.execute(sql::AGENT_DELETE, &[id.into(), account.into()])
        .await?
        > 0)
}

/// A new run.
pub struct NewRun<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub agent_id: Uuid,
    pub input: &'a str,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Stores a queued run.
pub async fn insert_run(c: &dyn Conn, r: &NewRun<'_>) -> Result<(), DbError> {
    c.execute(
        sql::RUN_INSERT,
        &[
            r.id.into(),
            r.account_id.into(),
            r.agent_id.into(),
            SqlValue::Null,
            r.input.into(),
            r.created_by.into(),
            r.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// Names the job that executes a run.
pub async fn set_run_job(c: &dyn Conn, run: Uuid, job: Uuid) -> Result<(), DbError> {
    c.execute(sql::RUN_SET_JOB, &[run.into(), job.into()])
        .await
        .map(drop)
}

/// A run and its account, without its steps.
fn run_from(r: &Row) -> Result<(Uuid, Run), DbError> {
    let usage = TokenUsage {
        input_tokens: r.get("input_tokens")?,
        output_tokens: r.get("output_tokens")?,
        cached_input_tokens: r.get("cached_input_tokens")?,
        total_tokens: r.get::<i64>("input_tokens")? + r.get::<i64>("output_tokens")?,
    };
    Ok((
        r.get("account_id")?,
        Run {
            id: r.get("id")?,
            agent_id: r.get("agent_id")?,
            status: r.get("status")?,
            input: r.get("input")?,
            output: r.get("output")?,
            steps: Vec::new(),
            usage,
            cost_usd: pusd_to_usd(r.get("cost_pusd")?),
            error: r.get("error")?,
            job_id: r.get("job_id")?,
            created_at: r.get("created_at")?,
            started_at: r.get("started_at")?,
            finished_at: r.get("finished_at")?,
        },
    ))
}

/// A run without its steps, with its account: the account's, or any when `account` is `None`.
pub async fn get_run(
    c: &dyn Conn,
    account: Option<Uuid>,
    id: Uuid,
) -> Result<Option<(Uuid, Run)>, DbError> {
    query_opt(c, sql::RUN_GET, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(run_from)
        .transpose()
}

/// A page of the account's runs, newest first, and how many match.
pub async fn list_runs(
    c: &dyn Conn,
    account: Uuid,
    agent: Option<Uuid>,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Run>, i64), DbError> {
    let rows = c
        .query(
            sql::RUN_LIST,
            &[
                account.into(),
                agent.into(),
                status.into(),
                limit.into(),
                offset.into(),
            ],
        )
        .await?;
    let total = match rows.first() {
        Some(r) => r.get("total")?,
        None => 0,
    };
    let runs = rows
        .iter()
        .map(|r| run_from(r).map(|(_, run)| run))
        .collect::<Result<_, _>>()?;
    Ok((runs, total))
}

/// A run's steps numbered above `after`, in order.
pub async fn steps(c: &dyn Conn, run: Uuid, after: i32) -> Result<Vec<RunStep>, DbError> {
    c.query(sql::RUN_STEP_LIST, &[run.into(), after.into()])
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.get("kind")?;
            let usage = TokenUsage {
                input_tokens: r.get("input_tokens")?,
                output_tokens: r.get("output_tokens")?,
                cached_input_tokens: r.get("cached_input_tokens")?,
                total_tokens: r.get::<i64>("input_tokens")? + r.get::<i64>("output_tokens")?,
            };
            let llm = kind == "llm";
            Ok(RunStep {
                n: r.get("n")?,
                tool: r.get("tool")?,
                tool_call_id: r.get("tool_call_id")?,
                arguments: r.get("arguments")?,
                result: r.get("result")?,
                usage: llm.then_some(usage),
                cost_usd: llm
                    .then(|| r.get("cost_pusd").map(pusd_to_usd))
                    .transpose()?,
                latency_ms: r.get("latency_ms")?,
                created_at: r.get("created_at")?,
                kind,
            })
        })
        .collect()
}

/// A run's status and account, locked for the transaction.
pub async fn lock_run(c: &dyn Conn, run: Uuid) -> Result<Option<(String, Uuid)>, DbError> {
    query_opt(c, sql::RUN_STATUS_LOCK, &[run.into()])
        .await?
        .map(|r| Ok((r.get("status")?, r.get("account_id")?)))
        .transpose()
}

/// queued → running (running stays running); false if the run has ended.
pub async fn start_run(c: &dyn Conn, run: Uuid, now: DateTime<Utc>) -> Result<bool, DbError> {
    Ok(c.execute(sql::RUN_START, &[run.into(), now.into()]).await? > 0)
}

/// How a run ends.
pub struct RunEnd<'a> {
    pub status: &'a str,
    pub output: Option<&'a str>,
    pub error: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// Ends a run that has not ended (the account's, or any when `account` is `None`); false if it
/// had.
pub async fn end_run(
    c: &dyn Conn,
    account: Option<Uuid>,
    run: Uuid,
    end: &RunEnd<'_>,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::RUN_END,
        &[
            run.into(),
            end.status.into(),
            end.output.into(),
            end.error.into(),
            end.at.into(),
            account.into(),
        ],
    )
    .await?
        > 0)
}

/// What a model step needs to know before its call: the run's status (`None`: the account
/// has no such run), and the step's kind and recorded answer if it was taken.
pub async fn open_step(
    c: &dyn Conn,
    account: Uuid,
    run: Uuid,
    n: i32,
) -> Result<Option<OpenStep>, DbError> {
    query_opt(
        c,
        sql::RUN_STEP_OPEN,
        &[run.into(), account.into(), n.into()],
    )
    .await?
    .map(|r| {
        Ok(OpenStep {
            status: r.get("status")?,
            kind: r.get("kind")?,
            answer: r.get("answer")?,
        })
    })
    .transpose()
}

/// See [`open_step`].
pub struct OpenStep {
    pub status: String,
    pub kind: Option<String>,
    pub answer: Option<serde_json::Value>,
}

/// Writes a model step and its call's ledger row in one statement; false (nothing written) if
/// the run already has step `s.n`.
pub async fn book_llm_step(
    c: &dyn Conn,
    s: &NewStep<'_>,
    ledger: &crate::store::ai::LedgerEntry,
) -> Result<bool, DbError> {
    let mut params: Vec<SqlValue> = vec![
        s.run_id.into(),
        s.n.into(),
        s.result.clone().into(),
        s.answer.clone().into(),
        s.usage.input_tokens.into(),
        s.usage.output_tokens.into(),
        s.usage.cached_input_tokens.into(),
        s.cost_pusd.into(),
        s.latency_ms.into(),
        s.created_at.into(),
    ];
    params.extend(crate::store::ai::ledger_values(ledger));
    Ok(c.execute(sql::RUN_STEP_BOOK, &params).await? > 0)
}

/// A recorded step's kind and, for a model step, the chat answer it returned.
pub async fn step_answer(
    c: &dyn Conn,
    run: Uuid,
    n: i32,
) -> Result<Option<(String, Option<serde_json::Value>)>, DbError> {
    query_opt(c, sql::RUN_STEP_ANSWER, &[run.into(), n.into()])
        .await?
        .map(|r| Ok((r.get("kind")?, r.get("answer")?)))
        .transpose()
}

/// A step to record.
pub struct NewStep<'a> {
    pub run_id: Uuid,
    pub n: i32,
    pub kind: &'a str,
    pub tool: Option<&'a str>,
    pub tool_call_id: Option<&'a str>,
    pub arguments: Option<serde_json::Value>,
    pub result: Option<serde_json::Value>,
    pub answer: Option<serde_json::Value>,
    pub usage: TokenUsage,
    pub cost_pusd: i64,
    pub latency_ms: i32,
    pub created_at: DateTime<Utc>,
}

/// Records a step; false if the run already has step `n`.
pub async fn insert_step(c: &dyn Conn, s: &NewStep<'_>) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::RUN_STEP_INSERT,
        &[
            s.run_id.into(),
            s.n.into(),
            s.kind.into(),
            s.tool.into(),
            s.tool_call_id.into(),
            s.arguments.clone().into(),
            s.result.clone().into(),
            s.answer.clone().into(),
            s.usage.input_tokens.into(),
            s.usage.output_tokens.into(),
            s.usage.cached_input_tokens.into(),
            s.cost_pusd.into(),
            s.latency_ms.into(),
            s.created_at.into(),
        ],
    )
    .await?
        > 0)
}

/// The text knowledge ingestion read from one of the account's files, if any did.
pub async fn file_knowledge_text(
    c: &dyn Conn,
    account: Uuid,
    file: Uuid,
) -> Result<Option<String>, DbError> {
    query_opt(c, sql::FILE_KNOWLEDGE_TEXT, &[account.into(), file.into()])
        .await?
        .map(|r| r.get("body"))
        .transpose()
}
