//! `knowledge.extract`: the text of a knowledge document's file, read by [`crate::text`] and
//! handed to the API, which chunks and embeds it (`knowledge.ingest`). Args:
//! `{document_id, file_id, version}`.
//!
//! | what happened | call to the API | the job |
//! |---|---|---|
//! | the text was read | `PUT .../documents/{id}/text` | completed |
//! | the file is the problem (its type, damage, no text, a limit) or the API refuses the text | `POST .../documents/{id}/failed` | completed: the file will not change |
//! | the document or the file is gone (404), or the document moved on (409) | none | completed |
//! | a fault of the machine or the API | none; `POST .../failed` on the last attempt | retried by the queue's backoff |
//!
//! On the last attempt a transient fault is reported too, so that no document waits for its
//! text forever.

use std::sync::Arc;

use jobs::job::{Job, JobError};
use serde_json::{Value, json};
use shared::api::jobs::ClaimedJob;
use uuid::Uuid;

use super::api::{ApiCallError, FileApi};
use super::workdir::WorkRoot;
use crate::limits::Limits;
use crate::text::{self, ExtractedText, TextError, TextLimits};

/// The job type.
pub const JOB_TYPE: &str = "knowledge.extract";

/// The `knowledge.extract` job type.
pub struct KnowledgeExtractJob {
    api: FileApi,
    work: Arc<WorkRoot>,
    limits: Limits,
    text_limits: TextLimits,
}

impl KnowledgeExtractJob {
    /// The job, within the runner's `limits` (the outer deadline) and `text_limits`.
    pub fn new(api: FileApi, work: Arc<WorkRoot>, limits: Limits, text_limits: TextLimits) -> Self {
        Self {
            api,
            work,
            limits,
            text_limits,
        }
    }
}

/// A job's arguments.
struct Args {
    document: Uuid,
    file: Uuid,
    version: i64,
}

fn args(job: &ClaimedJob) -> Result<Args, JobError> {
    let id = |name: &str| {
        job.args[name]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| JobError::Abort(format!("`{name}` must be a UUID")))
    };
    Ok(Args {
        document: id("document_id")?,
        file: id("file_id")?,
        version: job.args["version"]
            .as_i64()
            .filter(|v| *v >= 1)
            .ok_or_else(|| JobError::Abort("`version` must be a positive number".into()))?,
    })
}

/// Why a run did not hand over a text.
#[derive(Debug)]
enum Failure {
    /// The file (or the text it gave) is the problem: the document fails for good.
    Content(String),
    /// The document or the file is gone, or the document no longer waits for this text.
    Gone(String),
    /// The machine or the API: worth another attempt.
    Transient(String),
}

impl From<TextError> for Failure {
    fn from(e: TextError) -> Self {
        if e.is_retryable() {
            Failure::Transient(e.to_string())
        } else {
            Failure::Content(e.to_string())
        }
    }
}

impl From<ApiCallError> for Failure {
    fn from(e: ApiCallError) -> Self {
        match e.status() {
            Some(404 | 409 | 410) => Failure::Gone(e.to_string()),
            // The API refuses this text (too large for it, invalid): sending it again changes
            // nothing. 401, 403 and 429 are about the runner or the moment, not the text.
            Some(400 | 413 | 422) => Failure::Content(format!("the API refused the text: {e}")),
            _ => match e {
                ApiCallError::TooLarge(_) => Failure::Content(e.to_string()),
                other => Failure::Transient(other.to_string()),
            },
        }
    }
}

impl KnowledgeExtractJob {
    async fn extract(&self, a: &Args, run: &ClaimedJob) -> Result<ExtractedText, Failure> {
        let dir = self
            .work
            .job_dir(&format!("knowledge-{}-{}", run.id.simple(), run.attempt))
            .map_err(|e| Failure::Transient(format!("the work dir: {e}")))?;
        let input = dir.path().join("input");
        let max_bytes = self
            .text_limits
            .max_pdf_bytes
            .max(self.text_limits.max_markup_bytes);
        let got = self
            .api
            .download(a.file, a.version, &input, max_bytes)
            .await?;
        tracing::info!(
            document = %a.document, file = %a.file, version = a.version, bytes = got.size,
            content_type = %got.content_type, "reading a document's text"
        );
        // A backstop over the readers' own limits (a PDF's is checked between pages only).
        let deadline = self.limits.tool_timeout.saturating_mul(3);
        let read = text::extract_text_from_path(
            &input,
            &got.content_type,
            got.file_name.as_deref(),
            &self.text_limits,
        );
        match tokio::time::timeout(deadline, read).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(Failure::Content(TextError::TimedOut(deadline).to_string())),
        }
    }

    async fn fail(&self, a: &Args, why: String) -> Result<Value, JobError> {
        tracing::warn!(document = %a.document, file = %a.file, error = %why, "the document's text cannot be read");
        match self.api.fail_document(a.document, &why).await {
            Ok(()) => Ok(json!({ "failed": why })),
            Err(e) => match Failure::from(e) {
                Failure::Gone(gone) => Ok(json!({ "skipped": gone })),
                Failure::Content(e) | Failure::Transient(e) => Err(JobError::Retry(format!(
                    "{why}; reporting it to the API failed: {e}"
                ))),
            },
        }
    }

    async fn retry(&self, a: &Args, run: &ClaimedJob, why: String) -> Result<Value, JobError> {
        if run.attempt >= run.max_attempts {
            // The queue gives up after this attempt: say so, or the document stays pending.
            let reason = format!(
                "the text could not be read after {} attempts: {why}",
                run.attempt
            );
            if let Err(e) = self.api.fail_document(a.document, &reason).await {
                tracing::warn!(document = %a.document, error = %e, "could not report a failure");
            }
        }
        tracing::warn!(document = %a.document, file = %a.file, error = %why, attempt = run.attempt, "reading the text failed; it will be retried");
        Err(JobError::Retry(why))
    }
}

shared::maybe_async_trait! {
impl Job for KnowledgeExtractJob {
    fn job_type(&self) -> &'static str {
        JOB_TYPE
    }

    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let a = args(job)?;
        let failure = match self.extract(&a, job).await {
            Ok(extracted) => {
                let summary = json!({
                    "format": extracted.format,
                    "pages": extracted.pages,
                    "bytes": extracted.text.len(),
                });
                match self.api.put_document_text(a.document, extracted.text).await {
                    Ok(()) => return Ok(summary),
                    Err(e) => Failure::from(e),
                }
            }
            Err(failure) => failure,
        };
        match failure {
            Failure::Content(why) => self.fail(&a, why).await,
            Failure::Gone(why) => {
                tracing::info!(document = %a.document, file = %a.file, reason = %why, "nothing to do");
                Ok(json!({ "skipped": why }))
            }
            Failure::Transient(why) => self.retry(&a, job, why).await,
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> ApiCallError {
        ApiCallError::Refused {
            status,
            code: "x".into(),
            message: "y".into(),
        }
    }

    #[test]
    fn failures_are_sorted_by_what_another_attempt_could_change() {
        let kind = |f: Failure| match f {
            Failure::Content(_) => "content",
            Failure::Gone(_) => "gone",
            Failure::Transient(_) => "transient",
        };
        assert_eq!(kind(refused(404).into()), "gone");
        assert_eq!(kind(refused(409).into()), "gone");
        assert_eq!(kind(refused(413).into()), "content");
        assert_eq!(kind(refused(422).into()), "content");
        assert_eq!(kind(refused(401).into()), "transient");
        assert_eq!(kind(refused(429).into()), "transient");
        assert_eq!(kind(refused(503).into()), "transient");
        assert_eq!(kind(ApiCallError::TooLarge(10).into()), "content");
        assert_eq!(
            kind(ApiCallError::Transport("reset".into()).into()),
            "transient"
        );
        assert_eq!(kind(TextError::PdfNoTextLayer.into()), "content");
        assert_eq!(
            kind(TextError::Io(std::io::ErrorKind::Other.into()).into()),
            "transient"
        );
    }
}
