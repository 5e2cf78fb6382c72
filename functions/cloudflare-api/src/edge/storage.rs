//! The Worker's `StorageProviders`: `r2`, through the bucket bindings of the Worker, and
//! `s3`, any S3-compatible server over SigV4-signed fetch (the native provider's
//! configuration, read by the same code).

use std::sync::Arc;

use powernode_api::maybe_async_trait;
use powernode_api::ports::storage::{ObjectStore, StorageError, StorageProviders};
use uuid::Uuid;
use worker::Env;

use powernode_api::ports::storage::s3::S3Config;

use super::r2::R2Store;
use super::s3::S3FetchStore;

/// The binding an `r2` storage uses unless its configuration names another.
const DEFAULT_BINDING: &str = "FILES";

/// Builds stores from the Worker's bindings.
pub struct EdgeProviders {
    env: Env,
}

impl EdgeProviders {
    /// Providers over `env`'s bindings.
    pub fn new(env: Env) -> Self {
        Self { env }
    }
}

/// `{"binding": "FILES"}` (optional): the name of an R2 binding of the Worker.
fn binding(configuration: &serde_json::Value) -> Result<String, StorageError> {
    let invalid = |m: &str| StorageError::InvalidConfig(format!("binding: {m}"));
    let Some(map) = configuration.as_object() else {
        return Err(StorageError::InvalidConfig("must be an object".into()));
    };
    if let Some(other) = map.keys().find(|k| k.as_str() != "binding") {
        return Err(StorageError::InvalidConfig(format!(
            "{other}: not a setting of r2 (only `binding`)"
        )));
    }
    match map.get("binding") {
        None => Ok(DEFAULT_BINDING.to_string()),
        Some(serde_json::Value::String(b))
            if !b.is_empty()
                && b.len() <= 64
                && b.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_') =>
        {
            Ok(b.clone())
        }
        Some(_) => Err(invalid("must be a binding name like FILES")),
    }
}

maybe_async_trait! {
impl StorageProviders for EdgeProviders {
    fn provider_types(&self) -> Vec<&'static str> {
        vec!["r2", "s3"]
    }

    async fn build(
        &self,
        storage_id: Uuid,
        provider_type: &str,
        configuration: &serde_json::Value,
    ) -> Result<Arc<dyn ObjectStore>, StorageError> {
        match provider_type {
            "r2" => {
                let name = binding(configuration)?;
                let bucket = self.env.bucket(&name).map_err(|_| {
                    StorageError::InvalidConfig(format!(
                        "binding: the Worker has no R2 binding named {name}"
                    ))
                })?;
                // Workers are single-threaded: Arc is only the type the port asks for.
                #[allow(clippy::arc_with_non_send_sync)]
                let store = Arc::new(R2Store::new(bucket, format!("{storage_id}/")));
                Ok(store)
            }
            "s3" => {
                // Workers are single-threaded: Arc is only the type the port asks for.
                #[allow(clippy::arc_with_non_send_sync)]
                let store = Arc::new(S3FetchStore::new(S3Config::from_json(configuration)?)?);
                Ok(store)
            }
            other => Err(StorageError::Unsupported(format!(
                "the Workers runtime has no `{other}` provider"
            ))),
        }
    }
}
}
