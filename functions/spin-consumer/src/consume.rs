//! One announcement, from the Redis message to the job's fate: read it, leave the queues of
//! other processes alone, and hand the job to `jobs::deliver`, which claims it by id, runs it
//! and settles it through the API.

use std::sync::Arc;

use jobs::client::{BackendApiClient, ClientError};
use jobs::deliver::deliver;
use jobs::job::Registry;
use jobs::transport::Transport;
use shared::api::announcement::{AnnouncementError, JobAnnouncement};
use uuid::Uuid;

use crate::config::ConsumerSettings;
use crate::outcome::{Fate, fate};

/// What handling one message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The job's queue is served by another process (`file_processing`: the media runner);
    /// it was not claimed, so that process still finds it.
    NotServed {
        /// The job.
        id: Uuid,
        /// Its queue.
        queue: String,
    },
    /// Claimed (or found nothing to claim), run and settled.
    Delivered {
        /// The job.
        id: Uuid,
        /// What happens to it next.
        fate: Fate,
    },
}

/// Why a message could not be handled. Either way the job, if any, is safe in Postgres.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// Not an announcement; nothing to claim.
    #[error(transparent)]
    Announcement(#[from] AnnouncementError),
    /// The API could not be reached or refused, even after retries. An unclaimed job is
    /// re-announced by the relay; a claimed one returns when its lease runs out.
    #[error("job {id}: {source}")]
    Api {
        /// The job.
        id: Uuid,
        /// The failed call.
        source: ClientError,
    },
}

/// The job runtime, wired to one transport, as one instance of the component uses it.
pub struct Consumer {
    client: Arc<BackendApiClient>,
    registry: Arc<Registry>,
    settings: ConsumerSettings,
    worker: String,
}

impl Consumer {
    /// A consumer reaching the API through `transport`, claiming as `worker` (the lease owner:
    /// unique per instance, so a stale instance cannot settle a job another one holds now).
    pub fn new(settings: ConsumerSettings, transport: Arc<dyn Transport>, worker: String) -> Self {
        let client = Arc::new(BackendApiClient::with_transport(
            &settings.backend_api_url,
            settings.worker_service_token.as_bytes(),
            jobs::SERVICE_NAME,
            transport,
        ));
        Self {
            registry: Arc::new(Registry::with_platform(client.clone())),
            client,
            settings,
            worker,
        }
    }

    /// The API client (the cron sweep uses it too).
    pub fn client(&self) -> Arc<BackendApiClient> {
        self.client.clone()
    }

    /// Handles one message of the jobs channel.
    pub async fn handle(&self, payload: &[u8]) -> Result<Handled, ConsumeError> {
        let JobAnnouncement { id, queue } = JobAnnouncement::from_bytes(payload)?;
        if !self.settings.serves(&queue) {
            return Ok(Handled::NotServed { id, queue });
        }
        let delivery = deliver(
            &self.client,
            self.registry.clone(),
            &self.worker,
            id,
            self.settings.lease_seconds,
        )
        .await
        .map_err(|source| ConsumeError::Api { id, source })?;
        Ok(Handled::Delivered {
            id,
            fate: fate(delivery),
        })
    }
}
