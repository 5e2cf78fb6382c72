//! `NativeProviders`: the native host's `StorageProviders`.

use std::path::PathBuf;
use std::sync::Arc;

use powernode_api::maybe_async_trait;
use powernode_api::ports::storage::{ObjectStore, StorageError, StorageProviders};
use uuid::Uuid;

use crate::azure::AzureStore;
use crate::local::LocalStore;

/// Builds the native providers; `local` stores live under `files_dir/{storage id}`.
#[derive(Debug, Clone)]
pub struct NativeProviders {
    files_dir: PathBuf,
}

impl NativeProviders {
    /// `files_dir` is where local storages keep their objects (under the data dir).
    pub fn new(files_dir: PathBuf) -> Self {
        Self { files_dir }
    }
}

maybe_async_trait! {
impl StorageProviders for NativeProviders {
    fn provider_types(&self) -> Vec<&'static str> {
        vec!["local", "azure"]
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
            "azure" => Ok(Arc::new(AzureStore::from_config(configuration)?)),
            other => Err(StorageError::Unsupported(format!(
                "the native host has no `{other}` provider"
            ))),
        }
    }
}
}
