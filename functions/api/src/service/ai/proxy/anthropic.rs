//! The `anthropic` kind: the Messages API. The caller speaks OpenAI's shapes, so requests are
//! translated here (system messages to `system`, tool calls and results to `tool_use` and
//! `tool_result` blocks, tools to `input_schema`, `tool_choice` to its equivalent) and answers
//! back. JSON-schema output, which the Messages API has no field for, is asked for as a forced
//! call of one tool whose input schema is the caller's, and its input becomes the content.

use serde_json::{Map, Value, json};

use super::wire::{Answer, ChatCall, Piece, ToolCall, UsagePart, int};

/// The tool that carries JSON-schema output.
const JSON_TOOL: &str = "json_output";
/// `max_tokens` is required by the Messages API; this is sent when the caller gave none.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;
/// The API version header value.
pub const VERSION: &str = "2023-06-01";

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Whether the caller asked for JSON-schema output; its schema.
fn json_schema(call: &ChatCall) -> Option<Value> {
    let format = call.response_format.as_ref()?;
    match format.get("type").and_then(Value::as_str)? {
        "json_schema" => Some(
            format
                .get("json_schema")
                .and_then(|s| s.get("schema"))
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"})),
        ),
        "json_object" => Some(json!({"type": "object"})),
        _ => None,
    }
}

/// The Messages API body.
pub fn chat_body(model: &str, call: &ChatCall, stream: bool) -> Value {
    let mut system = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    for m in &call.messages {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
        let content = m.get("content").cloned().unwrap_or(Value::Null);
        match role {
            "system" | "developer" => system.push(text_of(&content)),
            "tool" => {
                let block = json!({
                    "type": "tool_result",
                    "tool_use_id": m.get("tool_call_id").cloned().unwrap_or(Value::Null),
                    "content": text_of(&content),
                });
                push_block(&mut messages, "user", block);
            }
            "assistant" => {
                let text = text_of(&content);
                if !text.is_empty() {
                    push_block(
                        &mut messages,
                        "assistant",
                        json!({"type": "text", "text": text}),
                    );
                }
                for c in m
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let input: Value = c["function"]["arguments"]
                        .as_str()
                        .and_then(|a| serde_json::from_str(a).ok())
                        .unwrap_or_else(|| json!({}));
                    push_block(
                        &mut messages,
                        "assistant",
                        json!({"type": "tool_use", "id": c["id"], "name": c["function"]["name"], "input": input}),
                    );
                }
            }
            _ => push_block(
                &mut messages,
                "user",
                json!({"type": "text", "text": text_of(&content)}),
            ),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert(
        "max_tokens".into(),
        json!(call.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    body.insert("messages".into(), Value::Array(messages));
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    if let Some(t) = call.temperature {
        // Anthropic's range is 0-1; OpenAI's 0-2.
        body.insert("temperature".into(), json!((t / 2.0).clamp(0.0, 1.0)));
    }
    let mut tools: Vec<Value> = call
        .tools
        .iter()
        .flatten()
        .filter_map(|t| {
            let f = t.get("function")?;
            Some(json!({
                "name": f.get("name")?,
                "description": f.get("description").cloned().unwrap_or(json!("")),
                "input_schema": f.get("parameters").cloned().unwrap_or_else(|| json!({"type": "object"})),
            }))
        })
        .collect();
    if let Some(schema) = json_schema(call) {
        tools.push(json!({"name": JSON_TOOL, "description": "Answer with JSON matching the schema.", "input_schema": schema}));
        body.insert(
            "tool_choice".into(),
            json!({"type": "tool", "name": JSON_TOOL}),
        );
    } else if let Some(choice) = &call.tool_choice {
        let mapped = match choice {
            Value::String(s) if s == "required" => Some(json!({"type": "any"})),
            Value::String(s) if s == "none" => Some(json!({"type": "none"})),
            Value::String(_) => Some(json!({"type": "auto"})),
            Value::Object(o) => o
                .get("function")
                .and_then(|f| f.get("name"))
                .map(|name| json!({"type": "tool", "name": name})),
            _ => None,
        };
        if let Some(mapped) = mapped {
            body.insert("tool_choice".into(), mapped);
        }
    }
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
    }
    if stream {
        body.insert("stream".into(), json!(true));
    }
    Value::Object(body)
}

/// Appends a block to the last message if it has the same role (the API wants roles to
/// alternate), else starts a message.
fn push_block(messages: &mut Vec<Value>, role: &str, block: Value) {
    if let Some(last) = messages.last_mut()
        && last["role"] == role
        && let Some(blocks) = last["content"].as_array_mut()
    {
        blocks.push(block);
        return;
    }
    messages.push(json!({"role": role, "content": [block]}));
}

/// Anthropic's stop reason in OpenAI's words.
fn finish_reason(stop: &str) -> String {
    match stop {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
    .to_string()
}

fn usage_part(u: &Value) -> UsagePart {
    let cached = int(u, &["cache_read_input_tokens"]);
    // `input_tokens` excludes cache reads and writes; the proxy's input counts every prompt
    // token, cached ones included.
    let input = int(u, &["input_tokens"])
        .map(|i| i + cached.unwrap_or(0) + int(u, &["cache_creation_input_tokens"]).unwrap_or(0));
    UsagePart {
        input,
        output: int(u, &["output_tokens"]),
        cached,
    }
}

/// A whole answer; `Err` says what is malformed.
pub fn parse_answer(body: &[u8], json_output: bool) -> Result<Answer, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let blocks = v["content"].as_array().ok_or("the answer has no content")?;
    let mut answer = Answer::default();
    for b in blocks {
        match b["type"].as_str() {
            Some("text") => answer
                .content
                .push_str(b["text"].as_str().unwrap_or_default()),
            Some("tool_use") if json_output && b["name"] == JSON_TOOL => {
                answer.content = b["input"].to_string();
            }
            Some("tool_use") => answer.tool_calls.push(ToolCall {
                id: b["id"].as_str().unwrap_or_default().to_string(),
                name: b["name"].as_str().unwrap_or_default().to_string(),
                arguments: b["input"].to_string(),
            }),
            _ => {}
        }
    }
    let stop = v["stop_reason"].as_str().unwrap_or("end_turn");
    answer.finish_reason = Some(if json_output && stop == "tool_use" {
        "stop".to_string()
    } else {
        finish_reason(stop)
    });
    answer.usage = usage_part(&v["usage"]).total();
    Ok(answer)
}

/// Tracks which content block is which while a stream is read.
#[derive(Debug, Default)]
pub struct StreamState {
    /// Per content block index: the tool call index it became, or `None` for text (or the
    /// JSON-output tool, whose input is content).
    blocks: Vec<Option<usize>>,
    json_blocks: Vec<bool>,
    tools: usize,
    /// Whether JSON output was asked for.
    json_output: bool,
}

impl StreamState {
    /// The state of a new stream.
    pub fn new(json_output: bool) -> Self {
        Self {
            json_output,
            ..Self::default()
        }
    }
}

/// The pieces in one event of a stream (`event` is its name, `data` its payload).
pub fn parse_event(state: &mut StreamState, event: &str, data: &str) -> Result<Vec<Piece>, String> {
    if event == "ping" {
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_str(data).map_err(|e| format!("malformed event: {e}"))?;
    let index = v["index"].as_u64().and_then(|i| usize::try_from(i).ok());
    Ok(match event {
        "message_start" => vec![Piece::Usage(usage_part(&v["message"]["usage"]))],
        "content_block_start" => {
            let i = index.ok_or("a block without an index")?;
            while state.blocks.len() <= i {
                state.blocks.push(None);
                state.json_blocks.push(false);
            }
            let block = &v["content_block"];
            if block["type"] == "tool_use" {
                if state.json_output && block["name"] == JSON_TOOL {
                    state.json_blocks[i] = true;
                    Vec::new()
                } else {
                    let tool = state.tools;
                    state.tools += 1;
                    state.blocks[i] = Some(tool);
                    vec![Piece::Tool {
                        index: tool,
                        id: block["id"].as_str().map(str::to_string),
                        name: block["name"].as_str().map(str::to_string),
                        arguments: String::new(),
                    }]
                }
            } else {
                Vec::new()
            }
        }
        "content_block_delta" => {
            let i = index.ok_or("a delta without an index")?;
            let delta = &v["delta"];
            match delta["type"].as_str() {
                Some("text_delta") => {
                    vec![Piece::Text(
                        delta["text"].as_str().unwrap_or_default().to_string(),
                    )]
                }
                Some("input_json_delta") => {
                    let part = delta["partial_json"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    if state.json_blocks.get(i).copied().unwrap_or(false) {
                        vec![Piece::Text(part)]
                    } else {
                        match state.blocks.get(i).copied().flatten() {
                            Some(tool) => vec![Piece::Tool {
                                index: tool,
                                id: None,
                                name: None,
                                arguments: part,
                            }],
                            None => Vec::new(),
                        }
                    }
                }
                _ => Vec::new(),
            }
        }
        "message_delta" => {
            let mut pieces = vec![Piece::Usage(UsagePart {
                input: None,
                output: int(&v, &["usage", "output_tokens"]),
                cached: None,
            })];
            if let Some(stop) = v["delta"]["stop_reason"].as_str() {
                pieces.push(Piece::Finish(if state.json_output && stop == "tool_use" {
                    "stop".to_string()
                } else {
                    finish_reason(stop)
                }));
            }
            pieces
        }
        "message_stop" => vec![Piece::End],
        "error" => vec![Piece::Error(
            v["error"]["message"]
                .as_str()
                .unwrap_or("the provider reported an error")
                .to_string(),
        )],
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_requests_become_messages() {
        let call = ChatCall {
            messages: vec![
                json!({"role": "system", "content": "Be brief."}),
                json!({"role": "user", "content": "Weather in Paris?"}),
                json!({"role": "assistant", "content": null, "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]}),
                json!({"role": "tool", "tool_call_id": "t1", "content": "18C"}),
            ],
            tools: Some(vec![
                json!({"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}),
            ]),
            tool_choice: Some(json!("required")),
            ..ChatCall::default()
        };
        let body = chat_body("claude", &call, false);
        assert_eq!(body["system"], "Be brief.");
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(body["messages"][1]["content"][0]["type"], "tool_use");
        assert_eq!(body["messages"][1]["content"][0]["input"]["city"], "Paris");
        assert_eq!(body["messages"][2]["content"][0]["type"], "tool_result");
        assert_eq!(body["tool_choice"]["type"], "any");
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    }

    #[test]
    fn answers_and_streams_come_back_as_openai() {
        let body = br#"{"content":[{"type":"text","text":"Hi"},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":4,"cache_read_input_tokens":6}}"#;
        let a = parse_answer(body, false).expect("parses");
        assert_eq!(a.content, "Hi");
        assert_eq!(a.tool_calls[0].arguments, r#"{"a":1}"#);
        assert_eq!(a.finish_reason.as_deref(), Some("tool_calls"));
        let usage = a.usage.expect("usage");
        assert_eq!(
            (
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens
            ),
            (16, 6, 4)
        );

        let mut state = StreamState::default();
        let start = parse_event(
            &mut state,
            "content_block_start",
            r#"{"index":1,"content_block":{"type":"tool_use","id":"t9","name":"g","input":{}}}"#,
        )
        .expect("ok");
        assert_eq!(
            start,
            vec![Piece::Tool {
                index: 0,
                id: Some("t9".into()),
                name: Some("g".into()),
                arguments: String::new()
            }]
        );
        let delta = parse_event(
            &mut state,
            "content_block_delta",
            r#"{"index":1,"delta":{"type":"input_json_delta","partial_json":"{\"x\""}}"#,
        )
        .expect("ok");
        assert_eq!(
            delta,
            vec![Piece::Tool {
                index: 0,
                id: None,
                name: None,
                arguments: "{\"x\"".into()
            }]
        );
        assert_eq!(
            parse_event(&mut state, "message_stop", "{}"),
            Ok(vec![Piece::End])
        );
    }
}
