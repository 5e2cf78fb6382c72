//! The built-in tools, run by the API for a consumer with the run's account and nothing
//! more: `search_knowledge` (the agent's knowledge base), `list_files`, `read_file_text`.
//!
//! A tool's answer is what the model reads next, so a mistake the model can mend (bad
//! arguments, a file that is not there) is an answer `{error, message}`, not a failed request;
//! only a failure of the platform itself (the database down) fails the call, and the consumer
//! retries.

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use shared::api::agents::Agent;
use shared::api::knowledge::SearchRequest;
use uuid::Uuid;

use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::ports::storage::ByteRange;
use crate::service::ai::Caller;
use crate::service::knowledge::search;
use crate::service::storages;
use crate::store::{self, files::ListFilter};

/// Characters `read_file_text` answers unless asked for fewer, and at most.
const DEFAULT_MAX_CHARS: usize = 8_000;
const MOST_CHARS: usize = 50_000;
/// Files `list_files` answers at most.
const LIST_LIMIT: i64 = 50;

/// The tools as OpenAI function definitions, in the agent's order.
pub fn definitions(tools: &[String]) -> Vec<Value> {
    tools
        .iter()
        .filter_map(|t| {
            let (description, parameters) = match t.as_str() {
                "search_knowledge" => (
                    "Search the agent's knowledge base for passages about a question. Answers \
                     the best matching passages with their titles.",
                    json!({
                        "type": "object",
                        "properties": {
                            "query": {"type": "string", "description": "What to look for"},
                            "top_k": {"type": "integer", "minimum": 1, "maximum": 20,
                                      "description": "How many passages (default 5)"}
                        },
                        "required": ["query"]
                    }),
                ),
                "list_files" => (
                    "List the account's stored files, newest first: id, name, type, size, tags.",
                    json!({
                        "type": "object",
                        "properties": {
                            "q": {"type": "string", "description": "Part of the file name"},
                            "tag": {"type": "string", "description": "Only files with this tag"}
                        }
                    }),
                ),
                "read_file_text" => (
                    "Read the text of one of the account's files by its id.",
                    json!({
                        "type": "object",
                        "properties": {
                            "file_id": {"type": "string", "description": "The file's id"},
                            "max_chars": {"type": "integer", "minimum": 1, "maximum": 50000,
                                          "description": "Most characters (default 8000)"}
                        },
                        "required": ["file_id"]
                    }),
                ),
                _ => return None,
            };
            Some(json!({
                "type": "function",
                "function": {"name": t, "description": description, "parameters": parameters}
            }))
        })
        .collect()
}

/// A tool's answer for a mistake the model can mend.
pub fn error(code: &str, message: impl Into<String>) -> Value {
    json!({"error": code, "message": message.into()})
}

/// A request's error as the tool's answer when the model caused it (4xx); the platform's own
/// failures (5xx) fail the call, so the consumer retries it.
fn answer_or_fail(e: ApiError) -> ApiResult<Value> {
    let status = e.code.status();
    if (400..500).contains(&status) {
        Ok(error(e.code.as_str(), e.message))
    } else {
        Err(e)
    }
}

/// Runs `tool` for `account`.
pub async fn run(
    api: &Api,
    account: Uuid,
    agent: &Agent,
    tool: &str,
    args: &Value,
) -> ApiResult<Value> {
    let Some(args) = args.as_object() else {
        return Ok(error(
            "invalid_arguments",
            "the arguments must be a JSON object",
        ));
    };
    let text = |name: &str| args.get(name).and_then(Value::as_str).map(str::trim);
    let number = |name: &str| args.get(name).and_then(Value::as_i64);
    match tool {
        "search_knowledge" => {
            let Some(base) = agent.knowledge_base_id else {
                return Ok(error(
                    "no_knowledge_base",
                    "this agent has no knowledge base to search",
                ));
            };
            let Some(query) = text("query").filter(|q| !q.is_empty()) else {
                return Ok(error("invalid_arguments", "`query` is required"));
            };
            let caller = Caller {
                account_id: account,
                user_id: None,
                job_id: None,
                api_key_id: None,
                run_step: None,
            };
            let req = SearchRequest {
                query: Some(query.to_string()),
                top_k: Some(number("top_k").unwrap_or(5).clamp(1, 20)),
                mode: Some("hybrid".into()),
                account_id: None,
            };
            match search::search(api, caller, base, &req).await {
                Ok(hits) => Ok(json!({
                    "passages": hits.iter().map(|h| json!({
                        "title": h.title, "text": h.text, "score": h.score,
                        "chunk_id": h.chunk_id, "document_id": h.document_id,
                    })).collect::<Vec<_>>()
                })),
                Err(e) => answer_or_fail(e),
            }
        }
        "list_files" => {
            let filter = ListFilter {
                category: None,
                tag: text("tag").filter(|t| !t.is_empty()).map(str::to_string),
                q: text("q").filter(|q| !q.is_empty()).map(str::to_string),
                content_type: None,
                include_deleted: false,
            };
            let (files, total) =
                store::files::list(api.db(), account, &filter, LIST_LIMIT, 0).await?;
            Ok(json!({
                "total": total,
                "files": files.iter().map(|f| json!({
                    "id": f.id, "filename": f.filename, "content_type": f.content_type,
                    "size": f.file_size, "tags": f.tags,
                })).collect::<Vec<_>>()
            }))
        }
        "read_file_text" => {
            let Some(id) = text("file_id").and_then(|f| Uuid::parse_str(f).ok()) else {
                return Ok(error("invalid_arguments", "`file_id` must be a file's id"));
            };
            let max_chars = number("max_chars")
                .and_then(|m| usize::try_from(m).ok())
                .unwrap_or(DEFAULT_MAX_CHARS)
                .clamp(1, MOST_CHARS);
            read_file_text(api, account, id, max_chars).await
        }
        other => Ok(error("unknown_tool", format!("there is no tool `{other}`"))),
    }
}

/// Whether a stored file's bytes are text as they are.
fn is_text(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/json" | "application/xml" | "application/x-yaml" | "application/yaml"
        )
}

/// The file's text: what knowledge ingestion read from it if any did (PDF, HTML), else its
/// bytes when they are text. Another account's file is not found, as a deleted one.
async fn read_file_text(api: &Api, account: Uuid, id: Uuid, max_chars: usize) -> ApiResult<Value> {
    let Some(file) = store::files::get(api.db(), account, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
    else {
        return Ok(error("not_found", format!("no file with id {id}")));
    };
    let text = match store::agents::file_knowledge_text(api.db(), account, id).await? {
        Some(body) => body,
        None if is_text(&file.content_type) && file.file_size == 0 => String::new(),
        None if is_text(&file.content_type) => {
            let storage = store::storages::get(api.db(), account, file.storage_id, false)
                .await?
                .ok_or_else(|| ApiError::internal("a file's storage is missing"))?;
            let object = store::files::version(api.db(), id, file.version)
                .await?
                .ok_or_else(|| ApiError::internal("a file's newest version is missing"))?;
            // Four bytes a character at most: enough bytes for `max_chars`, no more.
            let range = ByteRange {
                start: 0,
                end: u64::try_from(max_chars * 4).unwrap_or(u64::MAX) - 1,
            };
            let store = storages::open(api, &storage).await?;
            let got = store
                .get(&object.object_key, Some(range))
                .await
                .map_err(|e| ApiError::unavailable("the storage provider", e.to_string()))?;
            let mut bytes = Vec::new();
            let mut body = got.body;
            while let Some(chunk) = body.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::unavailable("the storage provider", e.to_string()))?;
                bytes.extend_from_slice(&chunk);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        None => {
            return Ok(error(
                "no_text",
                format!(
                    "`{}` is {}, which has no text to read until it is added to a knowledge base",
                    file.filename, file.content_type
                ),
            ));
        }
    };
    let total_chars = text.chars().count();
    let cut: String = text.chars().take(max_chars).collect();
    Ok(json!({
        "file_id": id,
        "filename": file.filename,
        "content_type": file.content_type,
        "text": cut,
        "truncated": total_chars > max_chars,
    }))
}
