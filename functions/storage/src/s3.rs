//! The `s3` provider: any S3-compatible server (AWS, R2, MinIO-class servers, SeaweedFS, and
//! Google Cloud Storage's XML API through `gcs`) over `aws-sdk-s3`.
//!
//! Its configuration, keys, error mapping and part cutting are shared with the Workers' `s3`
//! provider and live beside the port ([`powernode_api::ports::storage::s3`]); this file is
//! what is native: the SDK client and its calls.
//!
//! Uploads stream (see `upload`); downloads hand the SDK's body over as it arrives. Errors
//! carry the operation, the S3 error code and the HTTP status, never a message body or a
//! credential.

mod upload;

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    SharedHttpClient,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_smithy_http_client::tls;
use chrono::{DateTime, Utc};
use powernode_api::maybe_async_trait;
pub use powernode_api::ports::storage::s3::S3Config;
use powernode_api::ports::storage::s3::{self as shared, classify, content_range};
use powernode_api::ports::storage::{
    ByteRange, ByteStream, GetObject, ListedObject, ObjectInfo, ObjectPage, ObjectStore,
    PresignFor, Presigned, StorageError,
};

/// How long a connection attempt may take before the call counts as `Unavailable` (the SDK
/// retries it first). No overall deadline: a large part or a slow download may take long, and
/// the SDK's stalled-stream protection already fails a transfer that stops moving.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP connection pool that S3 stores share. Pooled connections belong to the tokio
/// runtime that opened them, so each runtime (a host process, a test) makes its own, once, and
/// every store it builds reuses it: building a store is then cheap and makes no connection.
#[derive(Debug, Clone)]
pub struct S3Transport(SharedHttpClient);

impl S3Transport {
    /// A pool speaking HTTP and HTTPS (rustls on ring, the platform's root certificates).
    pub fn new() -> Self {
        Self(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
    }
}

impl Default for S3Transport {
    fn default() -> Self {
        Self::new()
    }
}

/// One bucket (or a prefix of it) as an [`ObjectStore`].
#[derive(Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    sse: Option<ServerSideEncryption>,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// The store for `config`, over `transport`'s connections. Makes no call.
    pub fn new(config: S3Config, transport: &S3Transport) -> Self {
        let credentials = Credentials::new(
            config.access_key_id,
            config.secret_access_key,
            None,
            None,
            "powernode-storage",
        );
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region))
            .credentials_provider(credentials)
            .force_path_style(config.force_path_style)
            .http_client(transport.0.clone())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            )
            // The SDK's default adds CRC trailers (aws-chunked bodies) to every upload, which
            // GCS's XML API and older S3-compatible servers refuse; checksums are then sent
            // only where S3 requires them. Integrity is the core's sha256 over the bytes.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket,
            prefix: config.prefix,
            sse: config.server_side_encryption.map(|sse| match sse {
                shared::ServerSideEncryption::Aes256 => ServerSideEncryption::Aes256,
                shared::ServerSideEncryption::AwsKms => ServerSideEncryption::AwsKms,
            }),
        }
    }

    /// Reads an `s3` configuration and builds its store.
    pub fn from_json(
        configuration: &serde_json::Value,
        transport: &S3Transport,
    ) -> Result<Self, StorageError> {
        Ok(Self::new(S3Config::from_json(configuration)?, transport))
    }

    /// The object's key in the bucket.
    fn object_key(&self, key: &str) -> Result<String, StorageError> {
        shared::object_key(&self.prefix, key)
    }
}

/// Maps an SDK failure of operation `op` to the port's errors. Only the S3 error code and
/// the HTTP status are kept: response bodies and SDK messages may echo request details.
pub(crate) fn sdk_error<E>(op: &str, err: SdkError<E>) -> StorageError
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            classify(op, status, ctx.err().code())
        }
        SdkError::TimeoutError(_) => StorageError::Unavailable(format!("{op}: timed out")),
        SdkError::DispatchFailure(failure) => {
            let why = if failure.is_timeout() {
                "timed out"
            } else if failure.is_io() {
                "could not reach the endpoint"
            } else {
                "the request failed"
            };
            StorageError::Unavailable(format!("{op}: {why}"))
        }
        SdkError::ResponseError(ctx) => StorageError::Unavailable(format!(
            "{op}: an unreadable response (HTTP {})",
            ctx.raw().status().as_u16()
        )),
        // Building the request failed: the configuration cannot make a valid URL.
        SdkError::ConstructionFailure(_) => {
            StorageError::InvalidConfig(format!("{op}: the request could not be built"))
        }
        _ => StorageError::Unavailable(format!("{op}: failed")),
    }
}

/// The SDK's body as the port's stream, chunk by chunk as it arrives; it ends after an error.
fn body_stream(body: SdkByteStream) -> ByteStream {
    Box::pin(futures_util::stream::unfold(
        Some(body),
        |state| async move {
            let mut body = state?;
            match body.next().await? {
                Ok(chunk) => Some((Ok(chunk), Some(body))),
                Err(e) => Some((
                    Err(StorageError::Unavailable(format!(
                        "GetObject: the body failed: {e}"
                    ))),
                    None,
                )),
            }
        },
    ))
}

fn size_of(op: &str, length: Option<i64>) -> Result<u64, StorageError> {
    length
        .and_then(|l| u64::try_from(l).ok())
        .ok_or_else(|| StorageError::Unavailable(format!("{op}: no Content-Length")))
}

maybe_async_trait! {
impl ObjectStore for S3Store {
    async fn put(
        &self,
        key: &str,
        body: ByteStream,
        size: Option<u64>,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let key = self.object_key(key)?;
        upload::put(self, &key, body, size, content_type).await
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        let object_key = self.object_key(key)?;
        let mut request = self.client.get_object().bucket(&self.bucket).key(&object_key);
        if let Some(r) = range {
            if r.end < r.start {
                return Err(StorageError::RangeNotSatisfiable);
            }
            request = request.range(format!("bytes={}-{}", r.start, r.end));
        }
        let out = request.send().await.map_err(|e| sdk_error("GetObject", e))?;
        let (size, range) = match range {
            None => (size_of("GetObject", out.content_length())?, None),
            // The clamped range the server sends, and the whole object's size. A server that
            // ignored the Range header would send other bytes than asked: refuse them.
            Some(_) => {
                let (range, size) = out.content_range().and_then(content_range).ok_or_else(|| {
                    StorageError::Unavailable("GetObject: the server ignored the range".into())
                })?;
                (size, Some(range))
            }
        };
        Ok(GetObject { size, range, body: body_stream(out.body) })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        let object_key = self.object_key(key)?;
        match self.client.head_object().bucket(&self.bucket).key(&object_key).send().await {
            Ok(out) => Ok(Some(ObjectInfo { size: size_of("HeadObject", out.content_length())? })),
            Err(e) => match sdk_error("HeadObject", e) {
                StorageError::NotFound => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let object_key = self.object_key(key)?;
        match self.client.delete_object().bucket(&self.bucket).key(&object_key).send().await {
            Ok(_) => Ok(()),
            Err(e) => match sdk_error("DeleteObject", e) {
                // S3 answers 204 for an absent key; some compatible servers say 404.
                StorageError::NotFound => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn list(&self, prefix: &str, after: Option<String>) -> Result<ObjectPage, StorageError> {
        // The store's own key prefix is added here and taken off the keys listed, so callers
        // see the keys they stored.
        let full = format!("{}{prefix}", self.prefix);
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full)
            .set_continuation_token(after)
            .send()
            .await
            .map_err(|e| sdk_error("ListObjectsV2", e))?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                let key = o.key()?.strip_prefix(&self.prefix)?.to_string();
                let last_modified = o
                    .last_modified()
                    .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))?;
                Some(ListedObject {
                    key,
                    size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                    last_modified,
                })
            })
            .collect();
        let next = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok(ObjectPage { objects, next })
    }

    async fn presign(
        &self,
        purpose: PresignFor,
        key: &str,
        expires_in: Duration,
        content_type: Option<&str>,
    ) -> Result<Presigned, StorageError> {
        let object_key = self.object_key(key)?;
        // One clock reading for the signature and for `expires_at`, so they agree.
        let now = SystemTime::now();
        let presigning = PresigningConfig::builder()
            .start_time(now)
            .expires_in(expires_in)
            .build()
            .map_err(|_| {
                StorageError::Unsupported("presigned URLs last from 1 second to 7 days".into())
            })?;
        let (method, request) = match purpose {
            PresignFor::Download => (
                "GET",
                self.client
                    .get_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .presigned(presigning)
                    .await
                    .map_err(|e| sdk_error("presign GetObject", e))?,
            ),
            // The content type and the encryption become signed headers: the uploader must
            // send exactly them (they come back in `headers`).
            PresignFor::Upload => (
                "PUT",
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&object_key)
                    .set_content_type(content_type.map(str::to_string))
                    .set_server_side_encryption(self.sse.clone())
                    .presigned(presigning)
                    .await
                    .map_err(|e| sdk_error("presign PutObject", e))?,
            ),
        };
        Ok(Presigned {
            url: request.uri().to_string(),
            method,
            headers: request
                .headers()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            expires_at: DateTime::<Utc>::from(now + expires_in),
        })
    }
}
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // The configuration's reading, keys, error codes and ranges are tested where they live
    // (powernode_api::ports::storage::s3); these check what the SDK store makes of them.

    #[test]
    fn the_store_takes_the_shared_configuration_and_never_prints_the_secret() {
        let config = S3Config::from_json(&json!({
            "bucket": "media",
            "access_key_id": "AKIDEXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "prefix": "p/q",
            "server_side_encryption": "aws:kms",
        }))
        .expect("valid");
        let store = S3Store::new(config, &S3Transport::new());
        assert_eq!(store.sse, Some(ServerSideEncryption::AwsKms));
        assert!(!format!("{store:?}").contains("EXAMPLEKEY"));
        assert_eq!(store.object_key("acct/f/v1").expect("ok"), "p/q/acct/f/v1");
        assert!(matches!(
            store.object_key("../x"),
            Err(StorageError::InvalidKey(_))
        ));
    }
}
