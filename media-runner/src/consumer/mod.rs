//! The runner as a queue consumer: the `file_processing` job types on the `jobs` crate's
//! polling consumer (leases, heartbeats, retries), reaching files only through the API.
//!
//! - `api`: the worker routes (download, derivatives, metadata, reports, documents' text).
//! - `media_job`: the four media job types and how their failures are classified.
//! - `knowledge_job`: `knowledge.extract`, a knowledge document's text from its file.
//! - `workdir`: private per-run scratch dirs, removed on every path.

pub mod api;
pub mod knowledge_job;
pub mod media_job;
pub mod workdir;

use std::sync::Arc;

use jobs::client::BackendApiClient;
use jobs::job::Registry;

use crate::limits::Limits;
use crate::text::TextLimits;
use api::{ApiCallError, FileApi};
use knowledge_job::KnowledgeExtractJob;
use media_job::{MediaJob, Step};
use workdir::WorkRoot;

/// The queue the runner consumes.
pub const QUEUE: &str = "file_processing";

/// The service name in the runner's tokens.
pub const SERVICE_NAME: &str = "media-runner";

/// The registry of the runner's job types.
pub fn registry(
    client: Arc<BackendApiClient>,
    work: Arc<WorkRoot>,
    limits: Limits,
    text_limits: TextLimits,
) -> Result<Registry, ApiCallError> {
    let api = FileApi::new(client)?;
    let mut registry = Registry::new();
    for step in Step::ALL {
        registry.register(Arc::new(MediaJob::new(
            step,
            api.clone(),
            work.clone(),
            limits,
        )));
    }
    registry.register(Arc::new(KnowledgeExtractJob::new(
        api,
        work,
        limits,
        text_limits,
    )));
    Ok(registry)
}
