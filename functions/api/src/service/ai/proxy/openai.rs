//! The `openai` kind: OpenAI's Chat Completions and Embeddings wire format, which every
//! OpenAI-compatible server (vLLM, llama.cpp, Ollama, OpenRouter) speaks. The caller's request
//! is already in this shape, so it passes through; streams are asked for their usage
//! (`stream_options.include_usage`), which OpenAI sends only when asked.

use serde_json::{Map, Value, json};

use super::wire::{Answer, ChatCall, Piece, ToolCall, UsagePart, int};

/// The chat request body.
pub fn chat_body(model: &str, call: &ChatCall, stream: bool) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(call.messages.clone()));
    if let Some(tools) = &call.tools {
        body.insert("tools".into(), Value::Array(tools.clone()));
    }
    if let Some(choice) = &call.tool_choice {
        body.insert("tool_choice".into(), choice.clone());
    }
    if let Some(format) = &call.response_format {
        body.insert("response_format".into(), format.clone());
    }
    if let Some(max) = call.max_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    if let Some(t) = call.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if stream {
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(body)
}

fn usage_of(v: &Value) -> Option<UsagePart> {
    let u = v.get("usage").filter(|u| u.is_object())?;
    Some(UsagePart {
        input: int(u, &["prompt_tokens"]),
        output: int(u, &["completion_tokens"]),
        cached: int(u, &["prompt_tokens_details", "cached_tokens"]),
    })
}

/// A whole answer; `Err` says what is malformed.
pub fn parse_answer(body: &[u8]) -> Result<Answer, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or("the answer has no choices")?;
    let message = choice.get("message").ok_or("the choice has no message")?;
    let content = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(_) => return Err("the message's content is not text".into()),
    };
    let tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .map(|c| ToolCall {
                    id: c["id"].as_str().unwrap_or_default().to_string(),
                    name: c["function"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    arguments: c["function"]["arguments"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Answer {
        content,
        tool_calls,
        finish_reason: choice["finish_reason"].as_str().map(str::to_string),
        usage: usage_of(&v).and_then(|u| u.total()),
    })
}

/// The pieces in one `data:` payload of a stream.
pub fn parse_event(data: &str) -> Result<Vec<Piece>, String> {
    if data.trim() == "[DONE]" {
        return Ok(vec![Piece::End]);
    }
    let v: Value = serde_json::from_str(data).map_err(|e| format!("malformed chunk: {e}"))?;
    if let Some(e) = v.get("error") {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string());
        return Ok(vec![Piece::Error(message)]);
    }
    let mut pieces = Vec::new();
    if let Some(choice) = v.get("choices").and_then(|c| c.get(0)) {
        let delta = &choice["delta"];
        if let Some(text) = delta.get("content").and_then(Value::as_str)
            && !text.is_empty()
        {
            pieces.push(Piece::Text(text.to_string()));
        }
        if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
            for (n, c) in calls.iter().enumerate() {
                pieces.push(Piece::Tool {
                    index: c["index"]
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .unwrap_or(n),
                    id: c["id"].as_str().map(str::to_string),
                    name: c["function"]["name"].as_str().map(str::to_string),
                    arguments: c["function"]["arguments"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                });
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            pieces.push(Piece::Finish(reason.to_string()));
        }
    }
    if let Some(usage) = usage_of(&v) {
        pieces.push(Piece::Usage(usage));
    }
    Ok(pieces)
}

/// The embeddings request body.
pub fn embeddings_body(model: &str, input: &[String]) -> Value {
    json!({"model": model, "input": input})
}

/// Vectors in input order, and the input tokens counted.
pub fn parse_embeddings(body: &[u8], expected: usize) -> Result<(Vec<Vec<f32>>, i64), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let data = v["data"].as_array().ok_or("the answer has no data")?;
    if data.len() != expected {
        return Err(format!("{} embeddings for {expected} inputs", data.len()));
    }
    let mut out: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (n, item) in data.iter().enumerate() {
        let index = item["index"]
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .unwrap_or(n);
        let vector: Vec<f32> = item["embedding"]
            .as_array()
            .ok_or("an embedding is not an array")?
            .iter()
            .map(|x| {
                x.as_f64()
                    .map(|f| f as f32)
                    .ok_or("an embedding holds a non-number")
            })
            .collect::<Result<_, _>>()?;
        let slot = out
            .get_mut(index)
            .ok_or("an embedding's index is out of range")?;
        *slot = Some(vector);
    }
    let vectors: Vec<Vec<f32>> = out
        .into_iter()
        .collect::<Option<_>>()
        .ok_or("an input has no embedding")?;
    let tokens = int(&v, &["usage", "prompt_tokens"])
        .or_else(|| int(&v, &["usage", "total_tokens"]))
        .unwrap_or(0);
    Ok((vectors, tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_chunks_become_pieces() {
        let text = r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#;
        assert_eq!(parse_event(text), Ok(vec![Piece::Text("Hi".into())]));
        let tool = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#;
        assert_eq!(
            parse_event(tool),
            Ok(vec![Piece::Tool {
                index: 0,
                id: Some("call_1".into()),
                name: Some("get_weather".into()),
                arguments: String::new()
            }])
        );
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":32,"completion_tokens":3,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":31}}}"#;
        assert_eq!(
            parse_event(usage),
            Ok(vec![Piece::Usage(UsagePart {
                input: Some(32),
                output: Some(3),
                cached: Some(31)
            })])
        );
        assert_eq!(parse_event("[DONE]"), Ok(vec![Piece::End]));
        assert!(parse_event("{not json").is_err());
    }

    #[test]
    fn answers_parse_with_tool_calls() {
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#;
        let a = parse_answer(body).expect("parses");
        assert_eq!(a.tool_calls[0].name, "f");
        assert_eq!(a.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(a.usage.map(|u| u.total_tokens), Some(15));
        assert!(parse_answer(b"{}").is_err());
    }
}
