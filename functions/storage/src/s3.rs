//! The `s3` provider: any S3-compatible server (AWS, R2, MinIO-class servers, SeaweedFS, and
//! Google Cloud Storage's XML API through `gcs`) over `aws-sdk-s3`.
//!
//! Configuration (JSON): `bucket`, `access_key_id`, `secret_access_key` (required), `region`
//! (default `us-east-1`), `endpoint` (a custom server), `force_path_style` (`bucket` in the
//! path rather than the host name, which most non-AWS servers need), `prefix` (prepended to
//! every key), `server_side_encryption` (`AES256` or `aws:kms`, applied to every upload).
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
use powernode_api::ports::storage::{
    ByteRange, ByteStream, GetObject, ObjectInfo, ObjectStore, PresignFor, Presigned, StorageError,
    check_key,
};

use crate::config::{self, Fields};

/// How long a connection attempt may take before the call counts as `Unavailable` (the SDK
/// retries it first). No overall deadline: a large part or a slow download may take long, and
/// the SDK's stalled-stream protection already fails a transfer that stops moving.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest key S3 accepts, prefix included.
const MAX_KEY_BYTES: usize = 1024;

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

/// Where and how to reach one bucket. Built from JSON by [`S3Config::from_json`], or by
/// another provider that speaks S3 (`gcs`).
#[derive(Clone)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The signing region (`auto` for R2 and GCS).
    pub region: String,
    /// A custom server, e.g. `http://127.0.0.1:9000`; AWS when `None`.
    pub endpoint: Option<String>,
    /// Address the bucket in the path (`host/bucket/key`) rather than the host name.
    pub force_path_style: bool,
    /// The access key id.
    pub access_key_id: String,
    /// The secret key: never printed (see the `Debug` impl).
    pub secret_access_key: String,
    /// Prepended to every key: empty, or `/`-separated segments ending in `/`.
    pub prefix: String,
    /// Server-side encryption asked for on every upload.
    pub server_side_encryption: Option<ServerSideEncryption>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("force_path_style", &self.force_path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("server_side_encryption", &self.server_side_encryption)
            .finish()
    }
}

impl S3Config {
    /// Reads and checks an `s3` configuration.
    pub fn from_json(configuration: &serde_json::Value) -> Result<Self, StorageError> {
        let mut f = Fields::new("s3", configuration)?;
        let bucket = f.required_str("bucket")?;
        let region = f.optional_str("region")?;
        let endpoint = f.optional_str("endpoint")?;
        let force_path_style = f.optional_bool("force_path_style")?.unwrap_or(false);
        let access_key_id = f.required_str("access_key_id")?;
        let secret_access_key = f.required_str("secret_access_key")?;
        let prefix = f.optional_str("prefix")?;
        let sse = match f.optional_str("server_side_encryption")?.as_deref() {
            None => None,
            Some("AES256") => Some(ServerSideEncryption::Aes256),
            Some("aws:kms") => Some(ServerSideEncryption::AwsKms),
            Some(_) => {
                return Err(f.invalid(
                    "server_side_encryption",
                    "must be \"AES256\" or \"aws:kms\"",
                ));
            }
        };
        let region = match region {
            None => "us-east-1".to_string(),
            Some(r) if is_region(&r) => r,
            Some(_) => return Err(f.invalid("region", "must be letters, digits and dashes")),
        };
        let config = Self {
            bucket: bucket_name(&f, bucket)?,
            region,
            endpoint: endpoint
                .map(|e| config::endpoint(&f, "endpoint", &e))
                .transpose()?,
            force_path_style,
            access_key_id,
            secret_access_key,
            prefix: key_prefix(&f, prefix)?,
            server_side_encryption: sse,
        };
        f.finish()?;
        Ok(config)
    }
}

fn is_region(r: &str) -> bool {
    r.len() <= 64 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Bucket names go into the URL's host or path: only the characters S3 and GCS allow
/// (GCS's longest names, with dots, reach 222).
pub(crate) fn bucket_name(f: &Fields<'_>, bucket: String) -> Result<String, StorageError> {
    let ok = (3..=222).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(bucket)
    } else {
        Err(f.invalid(
            "bucket",
            "must be 3 to 222 letters, digits, dots, dashes or underscores",
        ))
    }
}

/// `a/b` or `a/b/` becomes `a/b/`; each segment follows the key rules.
pub(crate) fn key_prefix(f: &Fields<'_>, prefix: Option<String>) -> Result<String, StorageError> {
    let Some(prefix) = prefix else {
        return Ok(String::new());
    };
    let trimmed = prefix.strip_suffix('/').unwrap_or(&prefix);
    check_key(trimmed).map_err(|_| {
        f.invalid(
            "prefix",
            "must be `/`-separated segments of letters, digits, `.`, `_` and `-`",
        )
    })?;
    Ok(format!("{trimmed}/"))
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
            sse: config.server_side_encryption,
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
        check_key(key)?;
        let full = format!("{}{key}", self.prefix);
        if full.len() > MAX_KEY_BYTES {
            return Err(StorageError::InvalidKey(format!(
                "longer than {MAX_KEY_BYTES} bytes with the prefix: {key:?}"
            )));
        }
        Ok(full)
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

/// The S3 error code decides where it says enough; the status otherwise.
fn classify(op: &str, status: u16, code: Option<&str>) -> StorageError {
    let detail = match code {
        Some(code) => format!("{op}: {code} (HTTP {status})"),
        None => format!("{op}: HTTP {status}"),
    };
    match (code, status) {
        (Some("NoSuchBucket"), _) => {
            StorageError::InvalidConfig(format!("the bucket does not exist ({detail})"))
        }
        (Some("NoSuchKey" | "NotFound" | "NoSuchUpload"), _) | (None, 404) => {
            StorageError::NotFound
        }
        (
            Some(
                "AccessDenied"
                | "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "InvalidToken"
                | "ExpiredToken"
                | "AllAccessDisabled"
                | "AccountProblem",
            ),
            _,
        )
        | (_, 401 | 403) => StorageError::Denied(detail),
        (Some("InvalidRange"), _) | (_, 416) => StorageError::RangeNotSatisfiable,
        _ => StorageError::Unavailable(detail),
    }
}

/// Parses `bytes START-END/TOTAL`.
fn content_range(value: &str) -> Option<(ByteRange, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let range = ByteRange {
        start: start.trim().parse().ok()?,
        end: end.trim().parse().ok()?,
    };
    let total: u64 = total.trim().parse().ok()?;
    (range.start <= range.end && range.end < total).then_some((range, total))
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

    fn base() -> serde_json::Value {
        json!({
            "bucket": "media",
            "access_key_id": "AKIDEXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        })
    }

    fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
        let mut config = base();
        config[field] = value;
        config
    }

    #[test]
    fn a_full_configuration_reads_and_never_prints_the_secret() {
        let config = S3Config::from_json(&json!({
            "bucket": "media",
            "region": "eu-west-3",
            "endpoint": "http://127.0.0.1:9000/",
            "force_path_style": true,
            "access_key_id": "AKIDEXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "prefix": "tenant-1/files",
            "server_side_encryption": "aws:kms",
        }))
        .expect("valid");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(config.prefix, "tenant-1/files/");
        assert_eq!(config.region, "eu-west-3");
        assert_eq!(
            config.server_side_encryption,
            Some(ServerSideEncryption::AwsKms)
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("EXAMPLEKEY"), "{printed}");
        let store = S3Store::new(config, &S3Transport::new());
        assert!(!format!("{store:?}").contains("EXAMPLEKEY"));

        let defaults = S3Config::from_json(&base()).expect("valid");
        assert_eq!(defaults.region, "us-east-1");
        assert_eq!(defaults.prefix, "");
        assert!(!defaults.force_path_style);
        assert_eq!(defaults.server_side_encryption, None);
    }

    #[test]
    fn bad_configurations_name_the_field() {
        let cases = [
            (
                json!({"access_key_id": "a", "secret_access_key": "s"}),
                "bucket",
            ),
            (with("secret_access_key", json!(null)), "secret_access_key"),
            (with("access_key_id", json!("")), "access_key_id"),
            (
                with("server_side_encryption", json!("aws:kms:dsse")),
                "server_side_encryption",
            ),
            (
                with("server_side_encryption", json!("SSE-C")),
                "server_side_encryption",
            ),
            (with("force_path_style", json!("yes")), "force_path_style"),
            (with("endpoint", json!("localhost:9000")), "endpoint"),
            (with("prefix", json!("../up")), "prefix"),
            (with("prefix", json!("/abs")), "prefix"),
            (with("bucket", json!("a/b")), "bucket"),
            (with("region", json!("us east")), "region"),
            (with("forcePathStyle", json!(true)), "forcePathStyle"),
        ];
        for (config, field) in cases {
            match S3Config::from_json(&config) {
                Err(StorageError::InvalidConfig(msg)) => {
                    assert!(msg.contains(field), "{field}: {msg}");
                    assert!(!msg.contains("EXAMPLEKEY"), "{msg}");
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn keys_are_checked_and_prefixed() {
        let store =
            S3Store::from_json(&with("prefix", json!("p/q/")), &S3Transport::new()).expect("valid");
        assert_eq!(store.object_key("acct/f/v1").expect("ok"), "p/q/acct/f/v1");
        for bad in ["", "../x", "/abs", "a//b"] {
            assert!(matches!(
                store.object_key(bad),
                Err(StorageError::InvalidKey(_))
            ));
        }
        // Within the port's 1,024 bytes, past S3's once the prefix is added.
        assert!(matches!(
            store.object_key(&"k".repeat(1023)),
            Err(StorageError::InvalidKey(_))
        ));
    }

    #[test]
    fn error_codes_map_to_the_port() {
        assert_eq!(
            classify("GetObject", 404, Some("NoSuchKey")),
            StorageError::NotFound
        );
        assert_eq!(classify("HeadObject", 404, None), StorageError::NotFound);
        assert!(matches!(
            classify("GetObject", 404, Some("NoSuchBucket")),
            StorageError::InvalidConfig(_)
        ));
        for code in [
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
            "AccessDenied",
        ] {
            assert!(matches!(
                classify("PutObject", 403, Some(code)),
                StorageError::Denied(_)
            ));
        }
        assert!(matches!(
            classify("HeadObject", 403, None),
            StorageError::Denied(_)
        ));
        assert_eq!(
            classify("GetObject", 416, Some("InvalidRange")),
            StorageError::RangeNotSatisfiable
        );
        for (status, code) in [
            (500, Some("InternalError")),
            (503, Some("SlowDown")),
            (502, None),
        ] {
            assert!(matches!(
                classify("PutObject", status, code),
                StorageError::Unavailable(_)
            ));
        }
    }

    #[test]
    fn content_ranges_parse_and_are_checked() {
        assert_eq!(
            content_range("bytes 10-19/100"),
            Some((ByteRange { start: 10, end: 19 }, 100))
        );
        for bad in [
            "bytes 10-19/*",
            "bytes 19-10/100",
            "bytes 0-100/100",
            "items 0-1/2",
            "",
        ] {
            assert_eq!(content_range(bad), None, "{bad}");
        }
    }
}
