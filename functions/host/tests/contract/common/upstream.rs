//! A scripted AI provider on loopback, speaking OpenAI's and Anthropic's real wire formats,
//! for what the tiny real model cannot do (tool calls) and for faults. The model name picks
//! the script:
//! - `tools`: a tool call (`get_weather` with `{"city":"Paris"}`), streamed or whole;
//! - `fail-500`: HTTP 500; `rate-429`: 429 with `Retry-After: 1`;
//! - `hang`: accepts and never answers; `cut`: streams two chunks and closes without finishing;
//! - `malformed`: 200 with a body that is not JSON; `echo-key`: a 401 quoting the key sent;
//! - `flaky`: fails while `fail` is set on the upstream, answers otherwise;
//! - `agent`: an agent's model (whole answers only). Asked with a user message
//!   `CALL <tool> <json arguments>`, it calls that tool; once the last message is the tool's
//!   result, it answers `tool said: <the result>`. `agent-slow` waits 3 s before that answer;
//!   `agent-loop` calls `list_files` every time, after 300 ms, and never answers;
//! - anything else: answers "scripted answer" with usage 11 in / 3 out.
//!
//! `POST /messages` answers the same scripts in Anthropic's format.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Script {
    pub calls: AtomicUsize,
    pub fail: AtomicBool,
    /// The last request's headers and body, to check what the proxy sent.
    pub last: std::sync::Mutex<Option<(HeaderMap, Value)>>,
}

pub struct Upstream {
    pub base: String,
    pub script: Arc<Script>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Script {
    /// The key the last request carried (either kind's header).
    fn last_key(&self) -> String {
        let last = self.last.lock().expect("lock");
        let Some((headers, _)) = last.as_ref() else {
            return String::new();
        };
        headers
            .get("x-api-key")
            .or_else(|| headers.get("authorization"))
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_start_matches("Bearer ").to_string())
            .unwrap_or_default()
    }
}

impl Upstream {
    pub async fn start() -> Self {
        let script = Arc::new(Script::default());
        let app = Router::new()
            .route("/chat/completions", post(openai))
            .route("/messages", post(anthropic))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the scripted upstream");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base: format!("http://{addr}"),
            script,
            task,
        }
    }

    pub fn calls(&self) -> usize {
        self.script.calls.load(Ordering::SeqCst)
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn sse(events: Vec<String>, finish: bool) -> Response {
    let stream = async_stream(events, finish);
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .expect("response")
}

fn async_stream(
    events: Vec<String>,
    finish: bool,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::unfold(
        (events.into_iter(), finish),
        |(mut it, finish)| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            match it.next() {
                Some(e) => Some((Ok(Bytes::from(e)), (it, finish))),
                None if finish => None,
                // A cut: the connection breaks instead of ending cleanly.
                None => Some((
                    Err(std::io::Error::other("cut")),
                    (Vec::new().into_iter(), true),
                )),
            }
        },
    )
}

/// What a fault script answers, if the model is one.
async fn fault(script: &Script, model: &str) -> Option<Response> {
    match model {
        "fail-500" => Some(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": {"message": "scripted failure", "type": "server_error"}}),
        )),
        "flaky" if script.fail.load(Ordering::SeqCst) => Some(json_response(
            StatusCode::BAD_GATEWAY,
            json!({"error": {"message": "flaky is down"}}),
        )),
        "rate-429" => Some(
            Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("retry-after", "1")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"error":{"message":"slow down"}}"#))
                .expect("response"),
        ),
        "hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            None
        }
        "malformed" => Some(
            Response::builder()
                .header("content-type", "application/json")
                .body(Body::from("{this is not json"))
                .expect("response"),
        ),
        // Some providers quote the key they were given in their refusal.
        "echo-key" => Some(json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": {"message": format!("Incorrect API key provided: {}", script.last_key()), "type": "invalid_request_error"}}),
        )),
        "bad-request" => Some(json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": {"message": "messages: too long for this model", "type": "invalid_request_error"}}),
        )),
        _ => None,
    }
}

async fn openai(
    State(script): State<Arc<Script>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Infallible> {
    script.calls.fetch_add(1, Ordering::SeqCst);
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    *script.last.lock().expect("lock") = Some((headers, req.clone()));
    let model = req["model"].as_str().unwrap_or_default().to_string();
    if let Some(r) = fault(&script, &model).await {
        return Ok(r);
    }
    let stream = req["stream"] == true;
    let chunk = |delta: Value, finish: Value| {
        format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    };
    let usage = json!({"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14});
    if let Some(turn) = agent_turn(&model, &req, Wire::OpenAi).await {
        let message = match turn {
            Turn::Call(id, name, args) => json!({"role": "assistant", "content": null,
                "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}}]}),
            Turn::Answer(text) => json!({"role": "assistant", "content": text}),
        };
        let finish = if message["tool_calls"].is_null() {
            "stop"
        } else {
            "tool_calls"
        };
        return Ok(json_response(
            StatusCode::OK,
            json!({"id": "chatcmpl-s", "object": "chat.completion", "model": model,
                   "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                   "usage": usage}),
        ));
    }
    if model == "tools" {
        if stream {
            return Ok(sse(
                vec![
                    chunk(
                        json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
                        Value::Null,
                    ),
                    chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
                        Value::Null,
                    ),
                    chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
                        Value::Null,
                    ),
                    chunk(json!({}), json!("tool_calls")),
                    format!("data: {}\n\n", json!({"choices": [], "usage": usage})),
                    "data: [DONE]\n\n".into(),
                ],
                true,
            ));
        }
        return Ok(json_response(
            StatusCode::OK,
            json!({"id": "chatcmpl-s", "object": "chat.completion", "model": model,
                   "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
                     "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
                   "usage": usage}),
        ));
    }
    if stream {
        let mut events = vec![
            chunk(
                json!({"role": "assistant", "content": "scripted "}),
                Value::Null,
            ),
            chunk(json!({"content": "answer"}), Value::Null),
        ];
        let finish = model != "cut";
        if finish {
            events.push(chunk(json!({}), json!("stop")));
            events.push(format!(
                "data: {}\n\n",
                json!({"choices": [], "usage": usage})
            ));
            events.push("data: [DONE]\n\n".into());
        }
        return Ok(sse(events, finish));
    }
    Ok(json_response(
        StatusCode::OK,
        json!({"id": "chatcmpl-s", "object": "chat.completion", "model": model,
               "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "scripted answer"}}],
               "usage": usage}),
    ))
}

async fn anthropic(
    State(script): State<Arc<Script>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Infallible> {
    script.calls.fetch_add(1, Ordering::SeqCst);
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    *script.last.lock().expect("lock") = Some((headers, req.clone()));
    let model = req["model"].as_str().unwrap_or_default().to_string();
    if let Some(r) = fault(&script, &model).await {
        return Ok(r);
    }
    if let Some(turn) = agent_turn(&model, &req, Wire::Anthropic).await {
        let (content, stop) = match turn {
            Turn::Call(id, name, args) => (
                json!([{"type": "tool_use", "id": id, "name": name, "input": args}]),
                "tool_use",
            ),
            Turn::Answer(text) => (json!([{"type": "text", "text": text}]), "end_turn"),
        };
        return Ok(json_response(
            StatusCode::OK,
            json!({"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": content,
                   "stop_reason": stop,
                   "usage": {"input_tokens": 9, "cache_read_input_tokens": 2, "output_tokens": 3}}),
        ));
    }
    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let tools = model == "tools";
    if req["stream"] == true {
        let mut events = vec![ev(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 9, "cache_read_input_tokens": 2, "output_tokens": 1}}}),
        )];
        if tools {
            events.push(ev("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}})));
            events.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"city\":"}})));
            events.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "\"Paris\"}"}})));
        } else {
            events.push(ev("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
            events.push(ev("ping", json!({"type": "ping"})));
            events.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "scripted "}})));
            events.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "answer"}})));
        }
        events.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ));
        events.push(ev("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": if tools {"tool_use"} else {"end_turn"}}, "usage": {"output_tokens": 3}})));
        events.push(ev("message_stop", json!({"type": "message_stop"})));
        return Ok(sse(events, true));
    }
    let content = if tools {
        json!([{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}])
    } else {
        json!([{"type": "text", "text": "scripted answer"}])
    };
    Ok(json_response(
        StatusCode::OK,
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": content,
               "stop_reason": if tools {"tool_use"} else {"end_turn"},
               "usage": {"input_tokens": 9, "cache_read_input_tokens": 2, "output_tokens": 3}}),
    ))
}

#[derive(Clone, Copy, PartialEq)]
enum Wire {
    OpenAi,
    Anthropic,
}

/// An agent model's turn: call a tool `(id, name, arguments)`, or answer.
enum Turn {
    Call(String, String, Value),
    Answer(String),
}

/// The text of a message's content in either format (a string, or text blocks).
fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// The last message's tool result, if it is one: OpenAI's `role: tool`, or Anthropic's user
/// message of `tool_result` blocks.
fn tool_result(req: &Value, wire: Wire) -> Option<String> {
    let last = req["messages"].as_array()?.last()?;
    match wire {
        Wire::OpenAi => (last["role"] == "tool").then(|| text_of(&last["content"])),
        Wire::Anthropic => last["content"]
            .as_array()?
            .iter()
            .find(|b| b["type"] == "tool_result")
            .map(|b| text_of(&b["content"])),
    }
}

/// What an `agent*` model says next, or `None` for other models.
async fn agent_turn(model: &str, req: &Value, wire: Wire) -> Option<Turn> {
    if !model.starts_with("agent") {
        return None;
    }
    let turns = req["messages"].as_array().map_or(0, Vec::len);
    if model == "agent-loop" {
        // Slow enough that a test can cancel it between steps.
        tokio::time::sleep(Duration::from_millis(300)).await;
        return Some(Turn::Call(
            format!("call_{turns}"),
            "list_files".into(),
            json!({}),
        ));
    }
    if let Some(result) = tool_result(req, wire) {
        if model == "agent-slow" {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        return Some(Turn::Answer(format!("tool said: {result}")));
    }
    let input = req["messages"]
        .as_array()?
        .iter()
        .find(|m| m["role"] == "user")
        .map(|m| text_of(&m["content"]))
        .unwrap_or_default();
    let Some(call) = input.strip_prefix("CALL ") else {
        return Some(Turn::Answer("no tool needed".into()));
    };
    let (name, args) = call.split_once(' ').unwrap_or((call, "{}"));
    let args: Value = serde_json::from_str(args).unwrap_or(json!({}));
    Some(Turn::Call("call_1".into(), name.to_string(), args))
}
