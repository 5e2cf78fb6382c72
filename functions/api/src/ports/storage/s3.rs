//! What every runtime's `s3` provider shares, written once: its configuration, the object keys
//! it makes, how S3's answers map to [`StorageError`], and how a body is cut into multipart
//! parts. The native host speaks S3 through `aws-sdk-s3` (`powernode-storage`), the Workers
//! through SigV4-signed fetch (`powernode-cloudflare-api`); both build on this, so a storage
//! row that one runtime accepts the other reads the same way, and both fail the same way.
//!
//! Configuration (JSON): `bucket`, `access_key_id`, `secret_access_key` (required), `region`
//! (default `us-east-1`), `endpoint` (a custom server), `force_path_style` (`bucket` in the
//! path rather than the host name, which most non-AWS servers need), `prefix` (prepended to
//! every key), `server_side_encryption` (`AES256` or `aws:kms`, applied to every upload).

use std::fmt;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;

use super::config::{self, Fields};
use super::{ByteRange, ByteStream, StorageError, check_key};

/// The signing region when the configuration names none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The longest key S3 accepts, prefix included.
pub const MAX_KEY_BYTES: usize = 1024;

/// Server-side encryption asked for on every upload (`x-amz-server-side-encryption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSideEncryption {
    /// `AES256`: keys managed by S3.
    Aes256,
    /// `aws:kms`: keys in KMS.
    AwsKms,
}

impl ServerSideEncryption {
    /// The header's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aes256 => "AES256",
            Self::AwsKms => "aws:kms",
        }
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
    /// A custom server, e.g. `http://127.0.0.1:9000` (checked, no trailing slash); AWS when
    /// `None`.
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
            None => DEFAULT_REGION.to_string(),
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
pub fn bucket_name(f: &Fields<'_>, bucket: String) -> Result<String, StorageError> {
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
pub fn key_prefix(f: &Fields<'_>, prefix: Option<String>) -> Result<String, StorageError> {
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

/// The bucket key of the port's `key` under `prefix`: checked, and within S3's length once
/// prefixed.
pub fn object_key(prefix: &str, key: &str) -> Result<String, StorageError> {
    check_key(key)?;
    let full = format!("{prefix}{key}");
    if full.len() > MAX_KEY_BYTES {
        return Err(StorageError::InvalidKey(format!(
            "longer than {MAX_KEY_BYTES} bytes with the prefix: {key:?}"
        )));
    }
    Ok(full)
}

/// Maps a refusal of operation `op` (the HTTP status and S3's error code, when the answer had
/// one) to the port's errors. Only the code and the status are kept: response bodies may echo
/// request details.
pub fn classify(op: &str, status: u16, code: Option<&str>) -> StorageError {
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

/// Parses a `Content-Range` of `bytes START-END/TOTAL`: the range sent and the object's size.
pub fn content_range(value: &str) -> Option<(ByteRange, u64)> {
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

/// Part size, and the largest body sent as a single `PutObject`. S3's minimum part is 5 MiB;
/// 8 MiB keeps memory per upload small while a 1 GiB upload is 128 requests.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// S3's limit on parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3's largest part.
const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The part size for a body of `size` bytes: 8 MiB, or larger when 10,000 parts of 8 MiB
/// would not hold it (rounded up to whole MiB). Unknown sizes get 8 MiB, so they are limited
/// to 10,000 × 8 MiB (78 GiB).
fn part_size_for(size: Option<u64>) -> Result<usize, StorageError> {
    const MIB: u64 = 1024 * 1024;
    let Some(size) = size else {
        return Ok(PART_SIZE);
    };
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    let part = needed.max(PART_SIZE as u64);
    if part > MAX_PART_SIZE {
        return Err(StorageError::Body(format!(
            "{size} bytes is more than an S3 object can hold"
        )));
    }
    usize::try_from(part)
        .map_err(|_| StorageError::Body("the part size does not fit in memory".into()))
}

/// A body being cut into multipart parts, one part in memory at a time.
///
/// Uploads read the first part; if the body ended within it, it goes up as one `PutObject`
/// (whatever the size hint said, so small bodies of unknown size cost one request), otherwise
/// as a multipart upload of these parts. A body that disagrees with its declared size fails
/// with `Body`.
pub struct Parts {
    body: ByteStream,
    part_size: usize,
    /// What the last chunk had beyond the previous part.
    carry: Bytes,
    ended: bool,
    read: u64,
    declared: Option<u64>,
}

impl Parts {
    /// Parts of `body`, whose exact length is `declared` when known.
    pub fn new(body: ByteStream, declared: Option<u64>) -> Result<Self, StorageError> {
        Ok(Self {
            body,
            part_size: part_size_for(declared)?,
            carry: Bytes::new(),
            ended: false,
            read: 0,
            declared,
        })
    }

    /// Whether the body has ended (the last part was handed out).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The bytes read from the body so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// The next part: the part size, or fewer once the body ended (then `ended` is set).
    /// After a full part it looks one chunk ahead, so a body that ends exactly on a part
    /// boundary is known to have ended (and a body of exactly one part is a single put).
    pub async fn next(&mut self) -> Result<Bytes, StorageError> {
        let mut part = BytesMut::with_capacity(self.part_size);
        loop {
            if !self.carry.is_empty() {
                let take = self.carry.len().min(self.part_size - part.len());
                part.extend_from_slice(&self.carry.split_to(take));
            }
            if part.len() == self.part_size && !self.carry.is_empty() {
                break;
            }
            match self.body.next().await {
                None => {
                    self.ended = true;
                    break;
                }
                Some(chunk) => {
                    let chunk = chunk?;
                    self.read += chunk.len() as u64;
                    if self.declared.is_some_and(|d| self.read > d) {
                        return Err(self.size_mismatch());
                    }
                    self.carry = chunk;
                }
            }
        }
        if self.ended && self.declared.is_some_and(|d| self.read != d) {
            return Err(self.size_mismatch());
        }
        Ok(part.freeze())
    }

    fn size_mismatch(&self) -> StorageError {
        StorageError::Body(format!(
            "the body is not the {} bytes declared",
            self.declared.unwrap_or_default()
        ))
    }

    /// The error for a body of unknown size that needs more than [`MAX_PARTS`] parts.
    pub fn too_many_parts() -> StorageError {
        StorageError::Body(format!(
            "a body of unknown size is limited to {MAX_PARTS} parts of {} MiB",
            PART_SIZE / (1024 * 1024)
        ))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream;
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
        assert!(config.force_path_style);
        assert_eq!(
            config.server_side_encryption,
            Some(ServerSideEncryption::AwsKms)
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("EXAMPLEKEY"), "{printed}");

        let defaults = S3Config::from_json(&base()).expect("valid");
        assert_eq!(defaults.region, "us-east-1");
        assert_eq!(defaults.prefix, "");
        assert_eq!(defaults.endpoint, None);
        assert!(!defaults.force_path_style);
        assert_eq!(defaults.server_side_encryption, None);
    }

    #[test]
    fn bad_configurations_name_the_field_and_never_echo_the_secret() {
        let cases = [
            (
                json!({"access_key_id": "a", "secret_access_key": "s"}),
                "bucket",
            ),
            (with("secret_access_key", json!(null)), "secret_access_key"),
            (with("secret_access_key", json!(12345)), "secret_access_key"),
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
            (
                with("endpoint", json!("https://AKID:EXAMPLEKEY@host")),
                "endpoint",
            ),
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
                    assert!(
                        !msg.contains("EXAMPLEKEY") && !msg.contains("12345"),
                        "{msg}"
                    );
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn keys_are_checked_and_prefixed() {
        assert_eq!(
            object_key("p/q/", "acct/f/v1").expect("ok"),
            "p/q/acct/f/v1"
        );
        assert_eq!(object_key("", "acct/f/v1").expect("ok"), "acct/f/v1");
        for bad in ["", "../x", "/abs", "a//b"] {
            assert!(matches!(
                object_key("p/", bad),
                Err(StorageError::InvalidKey(_))
            ));
        }
        // Within the port's 1,024 bytes, past S3's once the prefix is added.
        assert!(matches!(
            object_key("p/q/", &"k".repeat(1023)),
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

    fn parts(chunks: Vec<usize>, part_size: usize, declared: Option<u64>) -> Parts {
        let body: ByteStream = Box::pin(stream::iter(
            chunks.into_iter().map(|n| Ok(Bytes::from(vec![7u8; n]))),
        ));
        Parts {
            body,
            part_size,
            carry: Bytes::new(),
            ended: false,
            read: 0,
            declared,
        }
    }

    async fn lengths(mut p: Parts) -> Result<Vec<usize>, StorageError> {
        let mut out = Vec::new();
        loop {
            let part = p.next().await?;
            out.push(part.len());
            if p.ended() {
                return Ok(out);
            }
        }
    }

    #[tokio::test]
    async fn bodies_are_cut_into_full_parts_whatever_the_chunks() {
        assert_eq!(
            lengths(parts(vec![3, 4, 5], 5, None)).await,
            Ok(vec![5, 5, 2])
        );
        assert_eq!(lengths(parts(vec![12], 5, None)).await, Ok(vec![5, 5, 2]));
        // Ends on a boundary: known at once thanks to the look-ahead.
        assert_eq!(lengths(parts(vec![2, 3], 5, None)).await, Ok(vec![5]));
        assert_eq!(lengths(parts(vec![5, 5], 5, None)).await, Ok(vec![5, 5]));
        assert_eq!(lengths(parts(vec![], 5, None)).await, Ok(vec![0]));
        assert_eq!(lengths(parts(vec![0, 1, 0], 5, None)).await, Ok(vec![1]));
    }

    #[tokio::test]
    async fn a_body_that_disagrees_with_its_declared_size_fails() {
        assert!(matches!(
            lengths(parts(vec![3, 4], 5, Some(6))).await,
            Err(StorageError::Body(_))
        ));
        assert!(matches!(
            lengths(parts(vec![3], 5, Some(6))).await,
            Err(StorageError::Body(_))
        ));
        assert_eq!(lengths(parts(vec![3, 3], 5, Some(6))).await, Ok(vec![5, 1]));
    }

    #[test]
    fn part_sizes_grow_only_for_huge_known_sizes() {
        assert_eq!(part_size_for(None), Ok(PART_SIZE));
        assert_eq!(part_size_for(Some(1)), Ok(PART_SIZE));
        assert_eq!(
            part_size_for(Some(80 * 1024 * 1024 * 1024)),
            Ok(9 * 1024 * 1024)
        );
        assert!(part_size_for(Some(u64::MAX)).is_err());
    }
}
