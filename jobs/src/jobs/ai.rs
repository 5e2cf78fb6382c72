//! `ai.chat` (`{"model", "prompt", "max_tokens"?}`): a diagnostic that sends one prompt through
//! the API's LLM proxy for the job's account and records the answer as the job's result, so an
//! operator can try the whole path (queue, consumer, proxy, provider, ledger) from the queue
//! admin. The ledger row names the job.

use std::sync::Arc;

use serde_json::{Value, json};
use shared::api::ai::ChatRequest;
use shared::api::jobs::ClaimedJob;
use shared::maybe_async_trait;

use crate::client::{BackendApiClient, ClientError};
use crate::job::{Job, JobError, Registry};

/// The output limit when the job gives none.
const DEFAULT_MAX_TOKENS: u32 = 256;

/// Registers `ai.chat`.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>) {
    r.register(Arc::new(Chat(client)));
}

struct Chat(Arc<BackendApiClient>);

/// The checked arguments: `(model, prompt, max_tokens)`.
pub fn arguments(args: &Value) -> Result<(String, String, u32), String> {
    let model = args["model"]
        .as_str()
        .filter(|m| !m.trim().is_empty())
        .ok_or("args.model must name a chat model")?;
    let prompt = args["prompt"]
        .as_str()
        .filter(|p| !p.trim().is_empty())
        .ok_or("args.prompt must be text")?;
    let max_tokens = match &args["max_tokens"] {
        Value::Null => DEFAULT_MAX_TOKENS,
        v => v
            .as_u64()
            .and_then(|m| u32::try_from(m).ok())
            .filter(|m| *m >= 1)
            .ok_or("args.max_tokens must be a positive whole number")?,
    };
    Ok((model.to_string(), prompt.to_string(), max_tokens))
}

maybe_async_trait! {
impl Job for Chat {
    fn job_type(&self) -> &'static str {
        "ai.chat"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let (model, prompt, max_tokens) = arguments(&job.args).map_err(JobError::Abort)?;
        let account = job
            .account_id
            .ok_or_else(|| JobError::Abort("ai.chat needs an account's job: the proxy bills an account".into()))?;
        let req = ChatRequest {
            model: Some(model),
            messages: Some(vec![json!({"role": "user", "content": prompt})]),
            max_tokens: Some(max_tokens),
            ..ChatRequest::default()
        };
        match self.0.ai_chat(req, account, Some(job.id)).await {
            Ok(a) => Ok(json!({
                "call_id": a.id,
                "model": a.model,
                "provider_id": a.provider_id,
                "content": a.content,
                "finish_reason": a.finish_reason,
                "usage": a.usage,
                "cost_usd": a.cost_usd,
                "attempts": a.attempts.len(),
            })),
            // A request the proxy refuses (unknown model, over budget) will not succeed later.
            Err(ClientError::Api { status, message, .. }) if matches!(status, 402 | 422) => {
                Err(JobError::Abort(format!("the proxy refused the call ({status}): {message}")))
            }
            Err(e) => Err(e.into()),
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked() {
        assert_eq!(
            arguments(&json!({"model": "m", "prompt": "hi"})),
            Ok(("m".into(), "hi".into(), DEFAULT_MAX_TOKENS))
        );
        assert!(arguments(&json!({"model": "m"})).is_err());
        assert!(arguments(&json!({"prompt": "hi"})).is_err());
        assert!(arguments(&json!({"model": "m", "prompt": "hi", "max_tokens": 0})).is_err());
        assert_eq!(
            arguments(&json!({"model": "m", "prompt": "hi", "max_tokens": 9})).map(|a| a.2),
            Ok(9)
        );
    }
}
