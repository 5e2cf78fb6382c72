//! `/api/v1/ai/...` and the consumers' `/api/v1/worker/ai/...` twins.

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;
use shared::api::ai::{ChatRequest, EmbeddingsRequest};
use shared::pagination::PageRequest;
use uuid::Uuid;

use crate::context::{Ctx, Principal};
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply, ResponseBody};
use crate::service::ai::proxy::relay::EventStream;
use crate::service::ai::proxy::{self, ChatOutcome, ProxyEvent};
use crate::service::ai::{Caller, budget, keys, providers, usage};

pub async fn list_providers(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&providers::list(ctx).await?)?.into())
}

pub async fn create_provider(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::created(&providers::create(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn update_provider(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "AI provider")?;
    Ok(Reply::ok(&providers::update(ctx, id, ctx.req.json()?).await?)?.into())
}

pub async fn delete_provider(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "AI provider")?;
    Ok(Reply::ok(&providers::delete(ctx, id).await?)?.into())
}

pub async fn test_provider(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "AI provider")?;
    Ok(Reply::ok(&providers::test(ctx, id).await?)?.into())
}

/// Who is calling: a user, or a consumer naming the account (and its job in `metadata`).
fn caller(
    ctx: &Ctx<'_>,
    account_id: Option<Uuid>,
    metadata: Option<&serde_json::Value>,
) -> ApiResult<Caller> {
    match &ctx.principal {
        Principal::User(u) => Ok(Caller {
            account_id: u.account_id,
            user_id: Some(u.id),
            job_id: None,
            api_key_id: None,
            run_step: None,
        }),
        Principal::Service(_) => Ok(Caller {
            account_id: account_id.ok_or_else(|| {
                ApiError::invalid_field("account_id", "is required on worker routes")
            })?,
            user_id: None,
            job_id: metadata
                .and_then(|m| m.get("job_id"))
                .and_then(|j| j.as_str())
                .and_then(|j| Uuid::parse_str(j).ok()),
            api_key_id: None,
            run_step: run_step_of(metadata)?,
        }),
        Principal::ApiKey { key_id, account_id } => Ok(Caller {
            account_id: *account_id,
            user_id: None,
            job_id: None,
            api_key_id: Some(*key_id),
            run_step: None,
        }),
        Principal::Anonymous => Err(ApiError::unauthorized()),
    }
}

/// The agent run's step a consumer's call is for: `metadata.run_id` with `metadata.run_step`,
/// both or neither.
fn run_step_of(metadata: Option<&serde_json::Value>) -> ApiResult<Option<(Uuid, i32)>> {
    use shared::api::agents::{RUN_ID_KEY, RUN_STEP_KEY};
    let run = metadata.and_then(|m| m.get(RUN_ID_KEY));
    let step = metadata.and_then(|m| m.get(RUN_STEP_KEY));
    match (run, step) {
        (None, None) => Ok(None),
        (Some(run), Some(step)) => {
            let run = run
                .as_str()
                .and_then(|r| Uuid::parse_str(r).ok())
                .ok_or_else(|| ApiError::invalid_field("metadata.run_id", "must be a run's id"))?;
            let step = step
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_field("metadata.run_step", "must be from 1 to 1000")
                })?;
            Ok(Some((run, step)))
        }
        _ => Err(ApiError::invalid_field(
            "metadata",
            "run_id and run_step go together",
        )),
    }
}

pub use crate::http::Chunks;

/// A stream of server-sent events.
pub fn sse(body: Chunks) -> Outcome {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies in front (nginx) must not hold chunks back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Outcome::Stream {
        status: StatusCode::OK,
        headers,
        body: ResponseBody::Stream(Box::pin(body.map(Ok))),
    }
}

/// The proxy's events as API.md's stream: `data: {delta, tool_call_delta?}` per chunk, then
/// `event: done` with the answer, or `event: error`.
fn powernode_events(events: EventStream) -> Chunks {
    Box::pin(events.map(|event| {
        let text = match event {
            ProxyEvent::Delta {
                content,
                tool_call_delta,
            } => {
                let mut chunk = json!({ "delta": content });
                if let Some(t) = tool_call_delta {
                    chunk["tool_call_delta"] = t;
                }
                format!("data: {chunk}\n\n")
            }
            ProxyEvent::Done(answer) => {
                format!("event: done\ndata: {}\n\n", json!(answer))
            }
            ProxyEvent::Error { code, message } => {
                format!(
                    "event: error\ndata: {}\n\n",
                    json!({"code": code, "error": message})
                )
            }
        };
        Bytes::from(text)
    }))
}

pub async fn chat(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let req: ChatRequest = ctx.req.json()?;
    let who = caller(ctx, req.account_id, req.metadata.as_ref())?;
    match proxy::chat(ctx.api, who, req).await? {
        ChatOutcome::Answer(answer) => Ok(Reply::ok(&answer)?.into()),
        ChatOutcome::Stream(events) => Ok(sse(powernode_events(events))),
    }
}

pub async fn embeddings(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let req: EmbeddingsRequest = ctx.req.json()?;
    let who = caller(ctx, req.account_id, None)?;
    Ok(Reply::ok(&proxy::embeddings(ctx.api, who, req).await?)?.into())
}

pub async fn create_key(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::created(&keys::create(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn list_keys(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&keys::list(ctx).await?)?.into())
}

pub async fn delete_key(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "API key")?;
    Ok(Reply::ok(&keys::delete(ctx, id).await?)?.into())
}

pub async fn usage(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let q = |n: &str| ctx.req.query_param(n);
    let (rows, total) = usage::usage(
        ctx,
        q("from").as_deref(),
        q("to").as_deref(),
        q("group_by").as_deref(),
    )
    .await?;
    Ok(Reply::ok(&rows)?.meta(json!({ "totals": total })).into())
}

pub async fn requests(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let q = |n: &str| ctx.req.query_param(n);
    let page =
        PageRequest::parse(q("page").as_deref(), q("per_page").as_deref()).map_err(|field| {
            ApiError::bad_request(format!("`{field}` must be a whole number in range"))
        })?;
    let (rows, pagination) =
        usage::requests(ctx, q("status").as_deref(), q("model").as_deref(), page).await?;
    Ok(Reply::ok(&rows)?
        .meta(json!({ "pagination": pagination }))
        .into())
}

pub async fn budget(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&budget::get(ctx).await?)?.into())
}

pub async fn set_budget(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&budget::put(ctx, ctx.req.json()?).await?)?.into())
}
