//! The `gcs` provider: Google Cloud Storage through its **S3-interoperable XML API with HMAC
//! keys** (chosen over the JSON API with service-account OAuth: the same wire protocol as
//! `s3`, so the same code, signing, multipart uploads and presigned URLs serve both, and the
//! credentials are a key pair like every other provider's).
//!
//! Configuration (JSON): `bucket`, `access_key_id` and `secret_access_key` (an HMAC key of a
//! service account, created under Cloud Storage > Settings > Interoperability), `endpoint`
//! (default `https://storage.googleapis.com`), `prefix`. It builds an [`S3Store`] signing for
//! region `auto` with path-style addressing, which is what the XML API expects.

use powernode_api::ports::storage::StorageError;
use powernode_api::ports::storage::config::{self, Fields};
use powernode_api::ports::storage::s3::{bucket_name, key_prefix};

use crate::s3::{S3Config, S3Store, S3Transport};

/// Google's XML API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://storage.googleapis.com";

/// Reads and checks a `gcs` configuration as the [`S3Config`] that reaches it.
pub fn config_from_json(configuration: &serde_json::Value) -> Result<S3Config, StorageError> {
    let mut f = Fields::new("gcs", configuration)?;
    let bucket = f.required_str("bucket")?;
    let access_key_id = f.required_str("access_key_id")?;
    let secret_access_key = f.required_str("secret_access_key")?;
    let endpoint = f.optional_str("endpoint")?;
    let prefix = f.optional_str("prefix")?;
    let config = S3Config {
        bucket: bucket_name(&f, bucket)?,
        region: "auto".to_string(),
        endpoint: Some(config::endpoint(
            &f,
            "endpoint",
            endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT),
        )?),
        force_path_style: true,
        access_key_id,
        secret_access_key,
        prefix: key_prefix(&f, prefix)?,
        // GCS encrypts every object at rest; the S3 header for it is not part of the XML API.
        server_side_encryption: None,
    };
    f.finish()?;
    Ok(config)
}

/// Reads a `gcs` configuration and builds its store.
pub fn store_from_json(
    configuration: &serde_json::Value,
    transport: &S3Transport,
) -> Result<S3Store, StorageError> {
    Ok(S3Store::new(config_from_json(configuration)?, transport))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn gcs_is_s3_on_google_s_endpoint_path_style_region_auto() {
        let config = config_from_json(&json!({
            "bucket": "my-bucket",
            "access_key_id": "GOOG1EXAMPLE",
            "secret_access_key": "hmac-secret-EXAMPLEKEY",
            "prefix": "pn",
        }))
        .expect("valid");
        assert_eq!(config.endpoint.as_deref(), Some(DEFAULT_ENDPOINT));
        assert_eq!(config.region, "auto");
        assert!(config.force_path_style);
        assert_eq!(config.prefix, "pn/");
        assert!(!format!("{config:?}").contains("EXAMPLEKEY"));

        let custom = config_from_json(&json!({
            "bucket": "my-bucket",
            "access_key_id": "GOOG1EXAMPLE",
            "secret_access_key": "hmac-secret-EXAMPLEKEY",
            "endpoint": "http://127.0.0.1:9000",
        }))
        .expect("valid");
        assert_eq!(custom.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    }

    #[test]
    fn s3_only_fields_and_missing_keys_are_refused() {
        for (config, field) in [
            (
                json!({"access_key_id": "a", "secret_access_key": "s"}),
                "bucket",
            ),
            (
                json!({"bucket": "b-1", "access_key_id": "a"}),
                "secret_access_key",
            ),
            (
                json!({"bucket": "b-1", "access_key_id": "a", "secret_access_key": "s", "region": "us-east-1"}),
                "region",
            ),
            (
                json!({"bucket": "b-1", "access_key_id": "a", "secret_access_key": "s", "server_side_encryption": "AES256"}),
                "server_side_encryption",
            ),
        ] {
            match config_from_json(&config) {
                Err(StorageError::InvalidConfig(msg)) => assert!(msg.contains(field), "{msg}"),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
