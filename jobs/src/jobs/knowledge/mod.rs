//! `knowledge.ingest` (`{"document_id"}`): a knowledge document's chunking and embedding,
//! through the API's worker routes only:
//!
//! 1. read the document's text, its hash and its base's settings;
//! 2. chunk it (`chunking`) and hand the chunks over: the API keeps every unchanged chunk
//!    with its vector and answers the ones to embed;
//! 3. embed those in batches through the LLM proxy (its ledger books the tokens) and store
//!    each batch's vectors as it comes;
//! 4. mark the document ready.
//!
//! Every step is idempotent, so a consumer killed anywhere leaves a job that, redelivered,
//! embeds only what is still missing. A document deleted meanwhile (404) or changed meanwhile
//! (409: a newer job owns it) ends the job quietly. A refusal that will not change (402, 422)
//! marks the document failed at once; other failures retry with the queue's backoff, and the
//! last attempt marks it failed, so it never stays half-indexed and looking ready.

pub mod chunking;

use std::sync::Arc;

use serde_json::{Value, json};
use shared::api::ai::EmbeddingsRequest;
use shared::api::jobs::ClaimedJob;
use shared::api::knowledge::{
    ChunkEmbedding, ChunkPlan, DocumentFailedRequest, DocumentReadyRequest, IngestionSource,
    KnowledgeDocument, PutChunksRequest, PutEmbeddingsRequest,
};
use shared::maybe_async_trait;
use uuid::Uuid;

use crate::client::{BackendApiClient, CALL_TIMEOUT, ClientError};
use crate::job::{Job, JobError, Registry};

/// Texts per embeddings call.
pub const EMBED_BATCH: usize = 32;

/// Registers `knowledge.ingest`.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>) {
    r.register(Arc::new(Ingest(client)));
}

struct Ingest(Arc<BackendApiClient>);

/// How a call's failure ends the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing left to do: the document is gone or a newer job owns it.
    Done(&'static str),
    /// It will not succeed later: mark the document failed and stop.
    GiveUp(String),
    /// Try again with the backoff (the last attempt marks the document failed first).
    Retry,
}

/// What a failed call means for the job.
pub fn verdict(e: &ClientError) -> Verdict {
    match e {
        ClientError::Api { status: 404, .. } => Verdict::Done("the document was deleted"),
        ClientError::Api { status: 409, .. } => {
            Verdict::Done("the document changed; a newer job ingests it")
        }
        ClientError::Api {
            status: status @ (400 | 402 | 422),
            message,
            ..
        } => Verdict::GiveUp(format!("the API refused ({status}): {message}")),
        _ => Verdict::Retry,
    }
}

fn path(doc: Uuid, rest: &str) -> String {
    format!("/api/v1/worker/knowledge/documents/{doc}{rest}")
}

impl Ingest {
    async fn call<B: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, ClientError> {
        self.0.request(method, path, body, CALL_TIMEOUT).await
    }

    /// Marks the document failed; a failure to say so is only logged (the job's own error
    /// is what the queue records).
    async fn mark_failed(&self, doc: Uuid, error: &str) {
        let body = DocumentFailedRequest {
            error: Some(error.to_string()),
        };
        if let Err(e) = self
            .call::<_, KnowledgeDocument>("POST", &path(doc, "/failed"), Some(&body))
            .await
        {
            tracing::warn!(document = %doc, error = %e, "could not mark the document failed");
        }
    }

    /// The job's end after a failed call.
    async fn after(&self, job: &ClaimedJob, doc: Uuid, e: ClientError) -> Result<Value, JobError> {
        match verdict(&e) {
            Verdict::Done(why) => Ok(json!({ "skipped": why })),
            Verdict::GiveUp(why) => {
                self.mark_failed(doc, &why).await;
                Err(JobError::Abort(why))
            }
            Verdict::Retry => {
                if job.attempt >= job.max_attempts {
                    self.mark_failed(doc, &format!("gave up after {} attempts: {e}", job.attempt))
                        .await;
                }
                Err(JobError::Api(e))
            }
        }
    }

    async fn ingest(&self, job: &ClaimedJob, doc: Uuid) -> Result<Value, JobError> {
        let src: IngestionSource = match self.call::<(), _>("GET", &path(doc, ""), None).await {
            Ok(s) => s,
            Err(e) => return self.after(job, doc, e).await,
        };
        let (Some(text), Some(sha)) = (src.text, src.content_sha256) else {
            // A file document whose text the media runner has not handed over yet: the text's
            // arrival queues another ingestion.
            return Ok(json!({ "skipped": "the document has no text yet" }));
        };
        let tokens = usize::try_from(src.chunk_tokens).unwrap_or(0);
        let overlap = usize::try_from(src.chunk_overlap).unwrap_or(0);
        let chunks = match chunking::chunk(&text, tokens, overlap) {
            Ok(c) => c,
            Err(e) => {
                self.mark_failed(doc, &e.to_string()).await;
                return Err(JobError::Abort(e.to_string()));
            }
        };
        let body = PutChunksRequest {
            content_sha256: Some(sha.clone()),
            chunks: Some(chunks),
        };
        let plan: ChunkPlan = match self.call("PUT", &path(doc, "/chunks"), Some(&body)).await {
            Ok(p) => p,
            Err(e) => return self.after(job, doc, e).await,
        };
        let mut embedded = 0;
        for batch in plan.pending.chunks(EMBED_BATCH) {
            let req = EmbeddingsRequest {
                model: Some(src.embedding_model.clone()),
                input: Some(batch.iter().map(|c| c.text.clone()).collect()),
                ..EmbeddingsRequest::default()
            };
            let answer = match self.0.ai_embeddings(req, src.account_id).await {
                Ok(a) => a,
                Err(e) => return self.after(job, doc, e).await,
            };
            if answer.embeddings.len() != batch.len() {
                let why = format!(
                    "the model `{}` answered {} vectors for {} texts",
                    src.embedding_model,
                    answer.embeddings.len(),
                    batch.len()
                );
                self.mark_failed(doc, &why).await;
                return Err(JobError::Abort(why));
            }
            let body = PutEmbeddingsRequest {
                embeddings: Some(
                    batch
                        .iter()
                        .zip(answer.embeddings)
                        .map(|(c, embedding)| ChunkEmbedding {
                            chunk_id: c.id,
                            embedding,
                        })
                        .collect(),
                ),
            };
            if let Err(e) = self
                .call::<_, KnowledgeDocument>("PUT", &path(doc, "/embeddings"), Some(&body))
                .await
            {
                return self.after(job, doc, e).await;
            }
            embedded += batch.len();
        }
        let body = DocumentReadyRequest {
            content_sha256: Some(sha),
        };
        if let Err(e) = self
            .call::<_, KnowledgeDocument>("POST", &path(doc, "/ready"), Some(&body))
            .await
        {
            return self.after(job, doc, e).await;
        }
        Ok(json!({
            "chunks": plan.chunk_count,
            "kept": plan.kept,
            "embedded": embedded,
        }))
    }
}

maybe_async_trait! {
impl Job for Ingest {
    fn job_type(&self) -> &'static str {
        "knowledge.ingest"
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let doc = job.args["document_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| JobError::Abort("args.document_id must be a UUID".into()))?;
        self.ingest(job, doc).await
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ClientError {
        ClientError::Api {
            status,
            code: "x".into(),
            message: "why".into(),
        }
    }

    #[test]
    fn failures_are_sorted_into_done_give_up_and_retry() {
        assert!(matches!(verdict(&api(404)), Verdict::Done(_)));
        assert!(matches!(verdict(&api(409)), Verdict::Done(_)));
        assert_eq!(
            verdict(&api(422)),
            Verdict::GiveUp("the API refused (422): why".into())
        );
        assert!(matches!(verdict(&api(402)), Verdict::GiveUp(_)));
        assert_eq!(verdict(&api(502)), Verdict::Retry);
        assert_eq!(verdict(&api(503)), Verdict::Retry);
        assert_eq!(
            verdict(&ClientError::Transport("reset".into())),
            Verdict::Retry
        );
    }
}
