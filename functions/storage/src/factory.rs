//! `NativeProviders`: the native host's `StorageProviders`.

use std::path::PathBuf;
use std::sync::Arc;

use powernode_api::maybe_async_trait;
use powernode_api::ports::storage::{ObjectStore, StorageError, StorageProviders};
use uuid::Uuid;

use crate::azure::AzureStore;
use crate::gcs;
use crate::local::LocalStore;
use crate::s3::{S3Store, S3Transport};

/// Builds the native providers; `local` stores live under `files_dir/{storage id}`, and the
/// S3-speaking stores (`s3`, `gcs`) share one connection pool.
#[derive(Debug, Clone)]
pub struct NativeProviders {
    files_dir: PathBuf,
    s3: S3Transport,
}

impl NativeProviders {
    /// `files_dir` is where local storages keep their objects (under the data dir). Use the
    /// stores it builds within one tokio runtime: pooled connections belong to the runtime
    /// that opened them.
    pub fn new(files_dir: PathBuf) -> Self {
        Self {
            files_dir,
            s3: S3Transport::new(),
        }
    }
}

maybe_async_trait! {
impl StorageProviders for NativeProviders {
    fn provider_types(&self) -> Vec<&'static str> {
        vec!["local", "s3", "gcs", "azure"]
    }

    async fn build(
        &self,
        storage_id: Uuid,
        provider_type: &str,
        configuration: &serde_json::Value,
    ) -> Result<Arc<dyn ObjectStore>, StorageError> {
        match provider_type {
            "local" => Ok(Arc::new(LocalStore::new(
                self.files_dir.join(storage_id.to_string()),
            ))),
            "s3" => Ok(Arc::new(S3Store::from_json(configuration, &self.s3)?)),
            "gcs" => Ok(Arc::new(gcs::store_from_json(configuration, &self.s3)?)),
            "azure" => Ok(Arc::new(AzureStore::from_config(configuration)?)),
            other => Err(StorageError::Unsupported(format!(
                "the native host has no `{other}` provider"
            ))),
        }
    }
}
}
