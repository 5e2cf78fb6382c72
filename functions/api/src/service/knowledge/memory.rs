//! Memory for a chat call (`memory: {knowledge_base_id, top_k?, max_tokens?}`): the base's
//! hybrid results for the last user message, added to the system message within the token
//! budget. The answer and its ledger rows name the chunks used.

use serde_json::{Value, json};
use shared::api::ai::MemoryRequest;
use shared::api::knowledge::MemoryChunk;
use shared::token_estimate::estimate_tokens;

use super::search::{self, Mode, Query};
use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::service::ai::Caller;
use crate::service::validate::Checks;

const DEFAULT_TOP_K: u32 = 5;
const DEFAULT_MAX_TOKENS: u32 = 1000;
const MAX_MAX_TOKENS: u32 = 32_000;
/// The longest search query taken from a message, in bytes.
const MAX_QUERY_BYTES: usize = 4000;
const PREAMBLE: &str = "Use the following excerpts from the knowledge base when they help to \
                        answer. Each is numbered and names its document.";

/// The text of a message's content: a string, or the text parts of a list of parts.
fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Searches the base for the last user message and adds what fits to the system message of
/// `messages` (a new one first if there is none). Returns the chunks added, best first.
pub async fn recall(
    api: &Api,
    caller: Caller,
    req: &MemoryRequest,
    messages: &mut Vec<Value>,
) -> ApiResult<Vec<MemoryChunk>> {
    let mut checks = Checks::new();
    if req.knowledge_base_id.is_none() {
        checks.fail("memory.knowledge_base_id", "is required");
    }
    let top_k = req.top_k.unwrap_or(DEFAULT_TOP_K);
    if !(1..=50).contains(&top_k) {
        checks.fail("memory.top_k", "must be from 1 to 50");
    }
    let budget = req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    if !(1..=MAX_MAX_TOKENS).contains(&budget) {
        checks.fail("memory.max_tokens", "must be from 1 to 32000");
    }
    let question = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|m| m.get("content"))
        .and_then(text_of)
        .filter(|t| !t.trim().is_empty());
    if question.is_none() {
        checks.fail(
            "messages",
            "memory needs a user message with text to search with",
        );
    }
    checks.finish()?;
    let (Some(base), Some(question)) = (req.knowledge_base_id, question) else {
        return Err(ApiError::internal("checked memory vanished"));
    };
    let base = super::bases::find(api, caller.account_id, base).await?;
    let query = Query {
        text: truncated(question.trim(), MAX_QUERY_BYTES).to_string(),
        top_k: i64::from(top_k),
        mode: Mode::Hybrid,
    };
    let hits = search::run(api, caller, &base, &query).await?;
    let mut used = Vec::new();
    let mut context = String::from(PREAMBLE);
    let mut left = usize::try_from(budget).unwrap_or(usize::MAX);
    for hit in hits {
        let excerpt = format!("\n\n[{}] {}\n{}", used.len() + 1, hit.title, hit.text);
        let cost = estimate_tokens(&excerpt);
        // A long excerpt that does not fit leaves room for a shorter one after it.
        if cost > left {
            continue;
        }
        left -= cost;
        context.push_str(&excerpt);
        used.push(MemoryChunk {
            chunk_id: hit.chunk_id,
            document_id: hit.document_id,
            score: hit.score,
        });
    }
    if used.is_empty() {
        return Ok(used);
    }
    match messages.first_mut() {
        Some(first)
            if first.get("role").and_then(Value::as_str) == Some("system")
                && first.get("content").is_some_and(Value::is_string) =>
        {
            let own = first["content"].as_str().unwrap_or_default();
            first["content"] = Value::String(format!("{own}\n\n{context}"));
        }
        _ => messages.insert(0, json!({"role": "system", "content": context})),
    }
    Ok(used)
}
