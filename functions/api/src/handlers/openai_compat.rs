//! The OpenAI-compatible surface: `/v1/chat/completions`, `/v1/embeddings`, `/v1/models`,
//! authenticated by an account API key. Bodies, streams and errors are OpenAI's wire format
//! (no envelope), so an OpenAI SDK works by changing its base URL; behind them is the same
//! proxy (routing, breakers, ledger, budget) as `/api/v1/ai/*`.

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use shared::ErrorCode;
use shared::api::ai::{ChatAnswer, ChatRequest, EmbeddingsRequest};

use super::ai::{Chunks, sse};
use crate::context::{Ctx, Principal};
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, Outcome, ResponseBody};
use crate::service::ai::proxy::relay::EventStream;
use crate::service::ai::proxy::{self, ChatOutcome, ProxyEvent};
use crate::service::ai::{Caller, providers};

/// An error in OpenAI's shape: `{"error": {"message", "type", "code", "param"}}`.
pub fn render_error(e: &ApiError) -> ApiResponse {
    let kind = match e.code {
        ErrorCode::Unauthorized => "authentication_error",
        ErrorCode::Forbidden => "permission_error",
        ErrorCode::NotFound => "not_found_error",
        ErrorCode::RateLimited => "rate_limit_error",
        ErrorCode::BudgetExceeded => "insufficient_quota",
        ErrorCode::Internal | ErrorCode::Unavailable | ErrorCode::UpstreamError => "api_error",
        _ => "invalid_request_error",
    };
    let mut message = e.message.clone();
    if let Some(first) = e.details.first() {
        message = format!("{message}: {}: {}", first.field, first.message);
    }
    let body = json!({"error": {
        "message": message,
        "type": kind,
        "code": e.code.as_str(),
        "param": e.details.first().map(|d| d.field.clone()),
    }});
    let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = http::Response::new(ResponseBody::Full(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = e.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn caller(ctx: &Ctx<'_>) -> ApiResult<Caller> {
    match &ctx.principal {
        Principal::ApiKey { key_id, account_id } => Ok(Caller {
            account_id: *account_id,
            user_id: None,
            job_id: None,
            api_key_id: Some(*key_id),
            run_step: None,
        }),
        _ => Err(ApiError::unauthorized()),
    }
}

fn json_body(status: StatusCode, value: &Value) -> Outcome {
    Outcome::Raw {
        status,
        content_type: "application/json",
        body: Bytes::from(value.to_string()),
    }
}

fn usage_json(a: &ChatAnswer) -> Value {
    json!({
        "prompt_tokens": a.usage.input_tokens,
        "completion_tokens": a.usage.output_tokens,
        "total_tokens": a.usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": a.usage.cached_input_tokens},
    })
}

/// `POST /v1/chat/completions`.
pub async fn chat_completions(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let who = caller(ctx)?;
    let body: Value = ctx.req.json()?;
    let include_usage = body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // OpenAI's newer name for the output limit.
    let mut body = body;
    if body.get("max_tokens").is_none()
        && let Some(m) = body.get("max_completion_tokens").cloned()
    {
        body["max_tokens"] = m;
    }
    let req =
        ChatRequest {
            model: body
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_string),
            messages: body.get("messages").and_then(Value::as_array).cloned(),
            tools: body.get("tools").and_then(Value::as_array).cloned(),
            tool_choice: body.get("tool_choice").cloned(),
            response_format: body.get("response_format").cloned(),
            max_tokens: match body.get("max_tokens") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().and_then(|m| u32::try_from(m).ok()).ok_or_else(
                    || ApiError::invalid_field("max_tokens", "must be a whole number"),
                )?),
            },
            temperature: match body.get("temperature") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    Some(v.as_f64().ok_or_else(|| {
                        ApiError::invalid_field("temperature", "must be a number")
                    })?)
                }
            },
            stream: body.get("stream").and_then(Value::as_bool),
            routing: None,
            memory: None,
            metadata: None,
            account_id: None,
        };
    let created = ctx.api.now().timestamp();
    match proxy::chat(ctx.api, who, req).await? {
        ChatOutcome::Answer(a) => {
            let mut message = json!({"role": "assistant", "content": a.content});
            if let Some(calls) = &a.tool_calls {
                message["tool_calls"] = json!(calls);
            }
            Ok(json_body(
                StatusCode::OK,
                &json!({
                    "id": format!("chatcmpl-{}", a.id.simple()),
                    "object": "chat.completion",
                    "created": created,
                    "model": a.model,
                    "choices": [{"index": 0, "message": message, "finish_reason": a.finish_reason}],
                    "usage": usage_json(&a),
                }),
            ))
        }
        ChatOutcome::Stream(events) => Ok(sse(openai_chunks(events, created, include_usage))),
    }
}

/// The proxy's events as OpenAI's `chat.completion.chunk`s, ending `data: [DONE]`; a failure
/// after the start is a chunk with `error` (the SDKs raise it) and no `[DONE]`.
fn openai_chunks(events: EventStream, created: i64, include_usage: bool) -> Chunks {
    let id = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    Box::pin(events.map(move |event| {
        let chunk = |id: &str, model: &str, delta: Value, finish: Value| {
            json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })
        };
        let mut out = String::new();
        let id_text = id
            .lock()
            .map(|g| g.clone().unwrap_or_else(|| "chatcmpl-stream".into()))
            .unwrap_or_default();
        match event {
            ProxyEvent::Delta {
                content,
                tool_call_delta,
            } => {
                let delta = match tool_call_delta {
                    Some(t) => {
                        let mut call =
                            json!({"index": t["index"], "function": {"arguments": t["arguments"]}});
                        if !t["id"].is_null() {
                            call["id"] = t["id"].clone();
                            call["type"] = json!("function");
                        }
                        if !t["name"].is_null() {
                            call["function"]["name"] = t["name"].clone();
                        }
                        json!({"role": "assistant", "tool_calls": [call]})
                    }
                    None => json!({"role": "assistant", "content": content}),
                };
                out.push_str(&format!(
                    "data: {}\n\n",
                    chunk(&id_text, "", delta, Value::Null)
                ));
            }
            ProxyEvent::Done(a) => {
                let answer_id = format!("chatcmpl-{}", a.id.simple());
                out.push_str(&format!(
                    "data: {}\n\n",
                    chunk(&answer_id, &a.model, json!({}), json!(a.finish_reason))
                ));
                if include_usage {
                    let mut last = chunk(&answer_id, &a.model, json!({}), Value::Null);
                    last["choices"] = json!([]);
                    last["usage"] = usage_json(&a);
                    out.push_str(&format!("data: {last}\n\n"));
                }
                out.push_str("data: [DONE]\n\n");
            }
            ProxyEvent::Error { code, message } => {
                out.push_str(&format!(
                    "data: {}\n\n",
                    json!({"error": {"message": message, "type": "api_error", "code": code}})
                ));
            }
        }
        Bytes::from(out)
    }))
}

/// `POST /v1/embeddings`: `input` is a string or an array of strings.
pub async fn embeddings(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let who = caller(ctx)?;
    let body: Value = ctx.req.json()?;
    let input = match body.get("input") {
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    ApiError::invalid_field("input", "must be text or an array of texts")
                })?,
        ),
        _ => None,
    };
    let req = EmbeddingsRequest {
        model: body
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string),
        input,
        routing: None,
        account_id: None,
    };
    let a = proxy::embeddings(ctx.api, who, req).await?;
    let data: Vec<Value> = a
        .embeddings
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
        .collect();
    Ok(json_body(
        StatusCode::OK,
        &json!({
            "object": "list",
            "data": data,
            "model": a.model,
            "usage": {"prompt_tokens": a.usage.input_tokens, "total_tokens": a.usage.total_tokens},
        }),
    ))
}

/// `GET /v1/models`: every model an enabled provider of the account offers, once.
pub async fn models(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let who = caller(ctx)?;
    let ups = providers::load_upstreams(ctx.api, who.account_id).await?;
    let mut seen = std::collections::BTreeSet::new();
    for u in ups.iter().filter(|u| u.enabled) {
        for m in &u.models {
            seen.insert(m.name.clone());
        }
    }
    let created = ctx.api.now().timestamp();
    let data: Vec<Value> = seen
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "powernode"}))
        .collect();
    Ok(json_body(
        StatusCode::OK,
        &json!({"object": "list", "data": data}),
    ))
}
