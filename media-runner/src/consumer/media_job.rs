//! The four `file_processing` job types as `jobs::Job`s. Each run: report the processing job
//! as started, download the file's version into a private work dir, do this type's step,
//! upload what it made, and report the outcome. Args: `{file_id, version, processing_job_id}`.
//!
//! | job type | step | result |
//! |---|---|---|
//! | `media.thumbnail` | 150/300/600 px thumbnails of an image | thumbnails uploaded |
//! | `media.metadata` | MIME type and what the kind of file tells (EXIF, PDF info, probe) | merged into `metadata` |
//! | `media.video` | ffprobe facts and a poster frame | merged, poster uploaded |
//! | `media.audio` | ffprobe facts | merged |
//!
//! Bad input (corrupt, unsupported, over a limit) fails for good at once: the file will not
//! change between attempts. A fault of the machine or the API is retried by the queue's
//! backoff; the processing job says `failed` with the reason meanwhile and `processing` again
//! when the retry starts. Work for a version that a newer one replaced is skipped.

use std::sync::Arc;

use jobs::job::{Job, JobError};
use serde::Serialize;
use serde_json::{Value, json};
use shared::api::jobs::ClaimedJob;
use uuid::Uuid;

use super::api::{ApiCallError, FileApi};
use super::workdir::WorkRoot;
use crate::error::MediaError;
use crate::limits::Limits;
use crate::probe::{self, MediaInfo};
use crate::{metadata, poster, thumbnail};

/// Which step a job type runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `media.thumbnail`.
    Thumbnails,
    /// `media.metadata`.
    Metadata,
    /// `media.video`.
    Video,
    /// `media.audio`.
    Audio,
}

impl Step {
    /// Every step, for the registry.
    pub const ALL: [Step; 4] = [Step::Thumbnails, Step::Metadata, Step::Video, Step::Audio];

    /// The job type it serves.
    pub fn job_type(self) -> &'static str {
        match self {
            Step::Thumbnails => "media.thumbnail",
            Step::Metadata => "media.metadata",
            Step::Video => "media.video",
            Step::Audio => "media.audio",
        }
    }
}

/// A job type of the runner.
pub struct MediaJob {
    step: Step,
    api: FileApi,
    work: Arc<WorkRoot>,
    limits: Limits,
}

impl MediaJob {
    /// The job for `step`.
    pub fn new(step: Step, api: FileApi, work: Arc<WorkRoot>, limits: Limits) -> Self {
        Self {
            step,
            api,
            work,
            limits,
        }
    }
}

/// A job's arguments.
struct Args {
    file: Uuid,
    version: i64,
    processing_job: Uuid,
}

fn args(job: &ClaimedJob) -> Result<Args, JobError> {
    let id = |name: &str| {
        job.args[name]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| JobError::Abort(format!("`{name}` must be a UUID")))
    };
    Ok(Args {
        file: id("file_id")?,
        version: job.args["version"]
            .as_i64()
            .filter(|v| *v >= 1)
            .ok_or_else(|| JobError::Abort("`version` must be a positive number".into()))?,
        processing_job: id("processing_job_id")?,
    })
}

/// How one step ended before it is reported.
enum StepError {
    /// The file's content is the problem: final.
    Input(String),
    /// The machine or the API: worth another attempt.
    Transient(String),
    /// The version was replaced (409) or the file removed (404): nothing to do any more.
    Obsolete(String),
}

impl From<MediaError> for StepError {
    fn from(e: MediaError) -> Self {
        if e.is_retryable() {
            StepError::Transient(e.message())
        } else {
            StepError::Input(e.message())
        }
    }
}

impl From<ApiCallError> for StepError {
    fn from(e: ApiCallError) -> Self {
        match e.status() {
            Some(404 | 409) => StepError::Obsolete(e.to_string()),
            _ => match e {
                ApiCallError::TooLarge(_) => StepError::Input(e.to_string()),
                other => StepError::Transient(other.to_string()),
            },
        }
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, StepError> {
    serde_json::to_value(v).map_err(|e| StepError::Transient(format!("encoding a result: {e}")))
}

impl MediaJob {
    async fn run_step(&self, a: &Args, run: &ClaimedJob) -> Result<Value, StepError> {
        let dir = self
            .work
            .job_dir(&format!("job-{}-{}", run.id.simple(), run.attempt))
            .map_err(|e| StepError::Transient(format!("the work dir: {e}")))?;
        let input = dir.path().join("input");
        let got = self
            .api
            .download(a.file, a.version, &input, self.limits.max_file_bytes)
            .await?;
        tracing::info!(file = %a.file, version = a.version, bytes = got.size, step = ?self.step, "processing");
        let limits = self.limits;
        // An outer deadline over the whole step: ffmpeg runs have their own, but decoding
        // and encoding in-process do not, and a hostile image must not hold a slot forever.
        // The same input would run as long again, so running out is final.
        let deadline = limits.tool_timeout.saturating_mul(3);
        let step = async {
            match self.step {
                Step::Thumbnails => {
                    let path = input.clone();
                    let thumbs = tokio::task::spawn_blocking(move || {
                        thumbnail::thumbnails_from_path(&path, &limits)
                    })
                    .await
                    .map_err(|e| StepError::Transient(format!("the thumbnail task: {e}")))?
                    .map_err(MediaError::from)?;
                    let mut made = Vec::new();
                    for t in thumbs {
                        made.push(json!({ "box": t.box_size, "width": t.width, "height": t.height, "content_type": t.content_type, "bytes": t.bytes.len() }));
                        self.api
                            .put_derivative(
                                a.file,
                                a.version,
                                Some(t.box_size),
                                t.content_type,
                                t.bytes,
                            )
                            .await?;
                    }
                    Ok(json!({ "thumbnails": made }))
                }
                Step::Metadata => {
                    let found = metadata::extract(&input, &limits).await?;
                    let value = to_value(&found)?;
                    self.api.merge_metadata(a.file, value.clone()).await?;
                    Ok(value)
                }
                Step::Video => {
                    let video = match probe::probe(&input, &limits)
                        .await
                        .map_err(MediaError::from)?
                    {
                        MediaInfo::Video(v) => v,
                        MediaInfo::Audio(_) => {
                            return Err(StepError::Input("the file has no video stream".into()));
                        }
                    };
                    let frame = poster::poster_frame(&input, video.duration_seconds, &limits)
                        .await
                        .map_err(MediaError::from)?;
                    let facts = to_value(&video)?;
                    self.api.merge_metadata(a.file, facts.clone()).await?;
                    let at = frame.at_seconds;
                    let (w, h) = (frame.width, frame.height);
                    self.api
                        .put_derivative(a.file, a.version, None, frame.content_type, frame.bytes)
                        .await?;
                    Ok(
                        json!({ "video": facts, "poster": { "at_seconds": at, "width": w, "height": h } }),
                    )
                }
                Step::Audio => {
                    let info = probe::probe(&input, &limits)
                        .await
                        .map_err(MediaError::from)?;
                    let facts = match info {
                        MediaInfo::Audio(a) => to_value(&a)?,
                        // An audio type that probes as a video (a cover picture in the
                        // container, say): its facts are stored as they are.
                        MediaInfo::Video(v) => to_value(&v)?,
                    };
                    self.api.merge_metadata(a.file, facts.clone()).await?;
                    Ok(facts)
                }
            }
        };
        match tokio::time::timeout(deadline, step).await {
            Ok(outcome) => outcome,
            Err(_) => Err(StepError::Input(format!(
                "processing took longer than {} s and was stopped",
                deadline.as_secs()
            ))),
        }
    }
}

shared::maybe_async_trait! {
impl Job for MediaJob {
    fn job_type(&self) -> &'static str {
        self.step.job_type()
    }

    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let a = args(job)?;
        match self
            .api
            .report(a.file, a.processing_job, "processing", None, None)
            .await
        {
            Ok(()) => {}
            // Already completed (a re-delivery after the report), or the file is gone.
            Err(e) if matches!(e.status(), Some(404 | 409)) => {
                tracing::info!(file = %a.file, job = %job.id, reason = %e, "nothing to do");
                return Ok(json!({ "skipped": e.to_string() }));
            }
            Err(e) => return Err(JobError::Retry(e.to_string())),
        }
        match self.run_step(&a, job).await {
            Ok(result) => {
                self.api
                    .report(a.file, a.processing_job, "completed", Some(result.clone()), None)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                Ok(result)
            }
            Err(StepError::Obsolete(why)) => {
                // A newer version's own jobs do its work; this one ends without effect.
                let result = json!({ "skipped": why });
                let _ = self
                    .api
                    .report(a.file, a.processing_job, "completed", Some(result.clone()), None)
                    .await;
                Ok(result)
            }
            Err(StepError::Input(why)) => {
                tracing::warn!(file = %a.file, job = %job.id, error = %why, "the file cannot be processed");
                self.report_failure(&a, &why).await;
                Err(JobError::Abort(why))
            }
            Err(StepError::Transient(why)) => {
                tracing::warn!(file = %a.file, job = %job.id, error = %why, "processing failed; it will be retried");
                self.report_failure(&a, &why).await;
                Err(JobError::Retry(why))
            }
        }
    }
}
}

impl MediaJob {
    async fn report_failure(&self, a: &Args, why: &str) {
        if let Err(e) = self
            .api
            .report(a.file, a.processing_job, "failed", None, Some(why))
            .await
        {
            tracing::warn!(file = %a.file, error = %e, "could not report a failure");
        }
    }
}
