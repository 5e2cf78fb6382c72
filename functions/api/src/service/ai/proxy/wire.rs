//! What the proxy sends and gets, whatever the provider's kind: the request as the caller gave
//! it (OpenAI's shapes), and the answer and stream pieces each kind's module parses into.

use serde_json::Value;
use shared::api::ai::TokenUsage;

/// A chat request, checked, in OpenAI's shapes.
#[derive(Debug, Clone, Default)]
pub struct ChatCall {
    pub messages: Vec<Value>,
    pub tools: Option<Vec<Value>>,
    pub tool_choice: Option<Value>,
    pub response_format: Option<Value>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
}

/// One tool call being assembled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl ToolCall {
    /// OpenAI's shape.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        })
    }
}

/// A whole answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<String>,
    pub usage: Option<TokenUsage>,
}

/// A piece of a stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    /// A fragment of tool call `index`: its id and name when it starts, then arguments.
    Tool {
        index: usize,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    Finish(String),
    /// Usage so far; later pieces override the fields they carry.
    Usage(UsagePart),
    /// The provider says the stream is complete.
    End,
    /// The provider reported an error inside the stream.
    Error(String),
}

/// Usage fields as a stream reports them, some at the start and some at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsagePart {
    pub input: Option<i64>,
    pub output: Option<i64>,
    pub cached: Option<i64>,
}

impl Answer {
    /// Folds a stream piece in.
    pub fn apply(&mut self, piece: &Piece, usage: &mut UsagePart) {
        match piece {
            Piece::Text(t) => self.content.push_str(t),
            Piece::Tool {
                index,
                id,
                name,
                arguments,
            } => {
                while self.tool_calls.len() <= *index {
                    self.tool_calls.push(ToolCall::default());
                }
                let call = &mut self.tool_calls[*index];
                if let Some(id) = id {
                    call.id.clone_from(id);
                }
                if let Some(name) = name {
                    call.name.push_str(name);
                }
                call.arguments.push_str(arguments);
            }
            Piece::Finish(f) => self.finish_reason = Some(f.clone()),
            Piece::Usage(u) => {
                usage.input = u.input.or(usage.input);
                usage.output = u.output.or(usage.output);
                usage.cached = u.cached.or(usage.cached);
            }
            Piece::End | Piece::Error(_) => {}
        }
    }
}

impl UsagePart {
    /// The final count, if the provider gave one.
    pub fn total(&self) -> Option<TokenUsage> {
        let input = self.input?;
        let output = self.output.unwrap_or(0);
        Some(TokenUsage {
            input_tokens: input,
            output_tokens: output,
            cached_input_tokens: self.cached.unwrap_or(0),
            total_tokens: input + output,
        })
    }
}

/// Reads an integer field.
pub fn int(v: &Value, path: &[&str]) -> Option<i64> {
    let mut at = v;
    for p in path {
        at = at.get(p)?;
    }
    at.as_i64()
}

/// The message of a provider's error body (`{"error": {"message"}}`, `{"error": "..."}`,
/// `{"message"}`), cut to a readable length; the raw text when it is not JSON.
pub fn error_message(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v
            .get("error")
            .and_then(|e| e.get("message").or(Some(e)))
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str().map(str::to_string))
            .unwrap_or_else(|| v.to_string()),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let text = text.trim();
    match text.char_indices().nth(500) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}
