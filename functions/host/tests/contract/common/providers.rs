//! Storage configurations for the provider tests: the S3-compatible server (SeaweedFS) and
//! Azurite that `./scripts/test` starts, with a bucket and a container made for them.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use serde_json::{Value, json};

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the provider tests need SeaweedFS and Azurite, which \
             ./scripts/test starts (scripts/lib/seaweedfs.sh, scripts/lib/azurite.sh)"
        )
    })
}

/// The bucket the storage crate's tests use too: SeaweedFS has a fixed number of volumes, so every
/// test shares one bucket (a second one may find no volume left) under a prefix of its own.
const BUCKET: &str = "powernode-storage-tests";

/// An `s3` (or, with the same keys, `gcs`) configuration under a fresh prefix.
pub async fn s3_configuration() -> Value {
    let endpoint = required("POWERNODE_TEST_S3_ENDPOINT");
    let access_key = required("POWERNODE_TEST_S3_ACCESS_KEY");
    let secret_key = required("POWERNODE_TEST_S3_SECRET_KEY");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            &access_key,
            &secret_key,
            None,
            None,
            "test",
        ))
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .build();
    // Tests race to make it: "already yours" is success.
    if let Err(e) = aws_sdk_s3::Client::from_conf(config)
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
    {
        let code = e.as_service_error().and_then(ProvideErrorMetadata::code);
        assert!(
            matches!(
                code,
                Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
            ),
            "create the test bucket: {e:?}"
        );
    }
    json!({
        "bucket": BUCKET,
        "endpoint": endpoint,
        "force_path_style": true,
        "access_key_id": access_key,
        "secret_access_key": secret_key,
        "prefix": format!("t-{}", uuid::Uuid::new_v4().simple()),
    })
}

/// An `azure` configuration on a new container.
pub async fn azure_configuration() -> Value {
    let configuration = json!({
        "account_name": required("POWERNODE_TEST_AZURE_ACCOUNT"),
        "account_key": required("POWERNODE_TEST_AZURE_KEY"),
        "endpoint": required("POWERNODE_TEST_AZURE_ENDPOINT"),
        "container": format!("pn-{}", uuid::Uuid::new_v4().simple()),
        "prefix": "api",
    });
    powernode_storage::azure::AzureStore::from_config(&configuration)
        .expect("a valid azure configuration")
        .create_container()
        .await
        .expect("create the test container");
    configuration
}
