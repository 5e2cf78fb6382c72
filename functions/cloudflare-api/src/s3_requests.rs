//! The S3 requests of the Workers' `s3` provider, made and signed without doing any I/O, so
//! they are unit-tested natively; `edge::s3` sends them with `worker::Fetch`.
//!
//! Signing is `aws-sigv4`'s (AWS's own signer; BENCHMARKS.md "Edge bundles" has why it and not
//! `rusty-s3`: the Worker's size). The API's own calls are signed in headers, as the SDK signs
//! them natively (the form S3-compatible servers support best, for every operation); the URLs
//! handed to clients for direct transfers are presigned in the query string. The payload is
//! `UNSIGNED-PAYLOAD` either way, so a part is never hashed in the Worker (the core computes
//! its own SHA-256 over the bytes). Headers that must reach S3 unchanged (`content-type`,
//! `x-amz-server-side-encryption`) are signed and returned with the request.
//!
//! The configuration is the native provider's, read by the same code
//! ([`powernode_api::ports::storage::s3::S3Config`]).

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use powernode_api::ports::storage::StorageError;
use powernode_api::ports::storage::s3::S3Config;
use url::Url;

/// The longest a presigned URL may last (S3's limit).
const MAX_PRESIGN_SECONDS: u64 = 7 * 24 * 60 * 60;

/// One request, signed: send it with exactly these headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The HTTP method.
    pub method: &'static str,
    /// The URL, signature included.
    pub url: String,
    /// Headers to send: for the API's own calls every header the signature covers besides
    /// `host` (`authorization` included); for a presigned URL, those its holder must send.
    pub headers: Vec<(String, String)>,
}

/// Makes the signed requests of one bucket (or a prefix of it).
pub struct S3Requests {
    config: S3Config,
    /// The bucket's URL with a trailing `/`: keys are appended to it.
    base: Url,
}

impl std::fmt::Debug for S3Requests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config's Debug redacts the secret.
        f.debug_struct("S3Requests")
            .field("config", &self.config)
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl S3Requests {
    /// The requests for `config`'s bucket: path-style (`endpoint/bucket/key`) or
    /// virtual-hosted (`bucket.endpoint/key`) as configured, on AWS's regional endpoint when
    /// none is given, as the SDK addresses it natively.
    pub fn new(config: S3Config) -> Result<Self, StorageError> {
        let endpoint = match &config.endpoint {
            Some(e) => e.clone(),
            None => format!("https://s3.{}.amazonaws.com", config.region),
        };
        let invalid = || StorageError::InvalidConfig("s3 `endpoint` is not a usable URL".into());
        let mut base = Url::parse(&endpoint).map_err(|_| invalid())?;
        let path = base.path().trim_end_matches('/').to_string();
        if config.force_path_style {
            base.set_path(&format!("{path}/{}/", config.bucket));
        } else {
            let host = base.host_str().ok_or_else(invalid)?.to_string();
            base.set_host(Some(&format!("{}.{host}", config.bucket)))
                .map_err(|_| {
                    StorageError::InvalidConfig(
                        "s3 `bucket` cannot be a host name: set `force_path_style`".into(),
                    )
                })?;
            base.set_path(&format!("{path}/"));
        }
        Ok(Self { config, base })
    }

    /// The bucket's configuration.
    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// The URL of the bucket key `key` (already checked: `[A-Za-z0-9._-/]` only, so it needs
    /// no escaping).
    fn url(&self, key: &str) -> Result<Url, StorageError> {
        self.base
            .join(key)
            .map_err(|_| StorageError::InvalidKey(format!("not a URL path: {key:?}")))
    }

    /// Signs `method` on `key` with `query` and `headers` at `now` (unix seconds): in headers
    /// for a call made now (`expires_seconds` `None`), or presigned for that long.
    fn sign(
        &self,
        method: &'static str,
        key: &str,
        query: &[(&str, &str)],
        headers: Vec<(&'static str, String)>,
        expires_seconds: Option<u64>,
        now: i64,
    ) -> Result<Signed, StorageError> {
        // The URL and header values come from the checked configuration and keys, so a
        // failure here is a bug or a clock out of range, never the user's input: the error
        // says which step, and no value.
        let failed = |step: &str| StorageError::Unavailable(format!("SigV4: {step} failed"));
        let mut url = self.url(key)?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        let time = u64::try_from(now)
            .ok()
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
            .ok_or_else(|| failed("reading the clock"))?;
        let identity = Credentials::new(
            &self.config.access_key_id,
            &self.config.secret_access_key,
            None,
            None,
            "powernode",
        )
        .into();
        // S3's rules, as the SDK sets them for S3: paths signed as sent, not normalised.
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        match expires_seconds {
            Some(seconds) => {
                settings.signature_location = SignatureLocation::QueryParams;
                settings.expires_in = Some(Duration::from_secs(seconds));
            }
            // S3 wants the payload's hash (here UNSIGNED-PAYLOAD) in a header of its own.
            None => settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256,
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.config.region)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .map_err(|_| failed("building the parameters"))?
            .into();
        let signable = SignableRequest::new(
            method,
            url.as_str(),
            headers.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::UnsignedPayload,
        )
        .map_err(|_| failed("reading the request"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|_| failed("signing"))?
            .into_parts();
        let (added_headers, added_params) = instructions.into_parts();
        if !added_params.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &added_params {
                pairs.append_pair(name, value);
            }
        }
        let mut headers: Vec<(String, String)> = headers
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for header in &added_headers {
            headers.push((header.name().to_string(), header.value().to_string()));
        }
        headers.sort_unstable();
        Ok(Signed {
            method,
            url: url.into(),
            headers,
        })
    }

    /// The headers every upload carries: its content type (none when empty) and the
    /// configured encryption.
    fn upload_headers(&self, content_type: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(ct) = content_type.filter(|ct| !ct.is_empty()) {
            headers.push(("content-type", ct.to_string()));
        }
        if let Some(sse) = self.config.server_side_encryption {
            headers.push(("x-amz-server-side-encryption", sse.as_str().to_string()));
        }
        headers
    }

    /// `PutObject` of `key`.
    pub fn put_object(
        &self,
        key: &str,
        content_type: &str,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let headers = self.upload_headers(Some(content_type));
        self.sign("PUT", key, &[], headers, None, now)
    }

    /// `GetObject` of `key` (a `Range` header may be added: it is not signed).
    pub fn get_object(&self, key: &str, now: i64) -> Result<Signed, StorageError> {
        self.sign("GET", key, &[], Vec::new(), None, now)
    }

    /// `HeadObject` of `key`.
    pub fn head_object(&self, key: &str, now: i64) -> Result<Signed, StorageError> {
        self.sign("HEAD", key, &[], Vec::new(), None, now)
    }

    /// `DeleteObject` of `key`.
    pub fn delete_object(&self, key: &str, now: i64) -> Result<Signed, StorageError> {
        self.sign("DELETE", key, &[], Vec::new(), None, now)
    }

    /// `CreateMultipartUpload` of `key`; the answer's `UploadId` names the upload.
    pub fn create_multipart_upload(
        &self,
        key: &str,
        content_type: &str,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let headers = self.upload_headers(Some(content_type));
        let query = [("uploads", "")];
        self.sign("POST", key, &query, headers, None, now)
    }

    /// `UploadPart` number `part` (1-based) of an upload; the answer's `ETag` names the part.
    pub fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part: u16,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let part = part.to_string();
        let query = [("partNumber", part.as_str()), ("uploadId", upload_id)];
        self.sign("PUT", key, &query, Vec::new(), None, now)
    }

    /// `CompleteMultipartUpload`; its body is [`complete_body`].
    pub fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let query = [("uploadId", upload_id)];
        self.sign("POST", key, &query, Vec::new(), None, now)
    }

    /// `AbortMultipartUpload`.
    pub fn abort_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let query = [("uploadId", upload_id)];
        self.sign("DELETE", key, &query, Vec::new(), None, now)
    }

    /// `ListObjectsV2` of the bucket keys starting with `prefix` (already the full bucket
    /// prefix), from `continuation` on.
    pub fn list_objects(
        &self,
        prefix: &str,
        continuation: Option<&str>,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let mut query = vec![("list-type", "2"), ("prefix", prefix)];
        if let Some(token) = continuation {
            query.push(("continuation-token", token));
        }
        self.sign("GET", "", &query, Vec::new(), None, now)
    }

    /// A URL for a client's direct `PUT` of `key` (with `content_type` and the configured
    /// encryption as signed headers the client must send) or `GET`, valid `expires_in` from
    /// `now`. As natively: from 1 second to 7 days, else `Unsupported`.
    pub fn presign(
        &self,
        upload: bool,
        key: &str,
        content_type: Option<&str>,
        expires_in: Duration,
        now: i64,
    ) -> Result<Signed, StorageError> {
        let seconds = expires_in.as_secs();
        if !(1..=MAX_PRESIGN_SECONDS).contains(&seconds) {
            return Err(StorageError::Unsupported(
                "presigned URLs last from 1 second to 7 days".into(),
            ));
        }
        if upload {
            let headers = self.upload_headers(content_type);
            self.sign("PUT", key, &[], headers, Some(seconds), now)
        } else {
            self.sign("GET", key, &[], Vec::new(), Some(seconds), now)
        }
    }
}

/// The body of `CompleteMultipartUpload` for parts 1..=n with these ETags.
pub fn complete_body(etags: &[String]) -> String {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        body.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            i + 1,
            xml_escape(etag)
        ));
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The text of the first `<name>` element of an S3 answer, unescaped. S3's answers that the
/// provider reads (`UploadId`, an error's `Code`) are flat, unprefixed elements, so a full XML
/// parser would only add size to the Worker.
pub fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    let text = &xml[start..start + len];
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// One `ListObjectsV2` answer: each object's bucket key, size and `LastModified` text, and the
/// continuation token when the listing goes on.
pub fn list_page(xml: &str) -> (Vec<(String, u64, String)>, Option<String>) {
    let objects = xml
        .split("<Contents>")
        .skip(1)
        .filter_map(|chunk| {
            let chunk = chunk.split("</Contents>").next()?;
            Some((
                xml_element(chunk, "Key")?,
                xml_element(chunk, "Size")?.trim().parse().ok()?,
                xml_element(chunk, "LastModified")?,
            ))
        })
        .collect();
    let next = (xml_element(xml, "IsTruncated").as_deref() == Some("true"))
        .then(|| xml_element(xml, "NextContinuationToken"))
        .flatten();
    (objects, next)
}

/// Whether an answer's body is an S3 error: `CompleteMultipartUpload` may say `200 OK` and
/// still have failed.
pub fn is_error_body(xml: &str) -> bool {
    xml.contains("<Error>")
}

#[cfg(test)]
mod list_tests {
    use super::*;

    #[test]
    fn a_listing_page_gives_keys_sizes_dates_and_the_next_token() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>p/a/v1</Key><LastModified>2026-11-25T10:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>14</Size></Contents><Contents><Key>p/b&amp;c</Key><LastModified>2026-11-26T10:00:00Z</LastModified><Size>0</Size></Contents><NextContinuationToken>tok/en==</NextContinuationToken></ListBucketResult>"#;
        let (objects, next) = list_page(xml);
        assert_eq!(
            objects,
            [
                (
                    "p/a/v1".to_string(),
                    14,
                    "2026-11-25T10:00:00.000Z".to_string()
                ),
                ("p/b&c".to_string(), 0, "2026-11-26T10:00:00Z".to_string())
            ]
        );
        assert_eq!(next.as_deref(), Some("tok/en=="));
        let last = xml.replace("<IsTruncated>true", "<IsTruncated>false");
        assert_eq!(list_page(&last).1, None);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// AWS's documented presigned-URL example ("Authenticating Requests: Using Query
    /// Parameters", Signature Version 4): GET `test.txt` of `examplebucket`, 2013-05-24,
    /// 86,400 s.
    const AWS_EXAMPLE_TIME: i64 = 1_369_353_600;

    fn aws_example(path_style: bool) -> S3Requests {
        let mut configuration = json!({
            "bucket": "examplebucket",
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "endpoint": "https://s3.amazonaws.com",
        });
        if path_style {
            configuration["force_path_style"] = json!(true);
        }
        S3Requests::new(S3Config::from_json(&configuration).expect("valid")).expect("requests")
    }

    #[test]
    fn presigning_matches_the_aws_test_vector() {
        let signed = aws_example(false)
            .presign(
                false,
                "test.txt",
                None,
                Duration::from_secs(86_400),
                AWS_EXAMPLE_TIME,
            )
            .expect("signed");
        assert_eq!(
            signed.url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        assert_eq!((signed.method, signed.headers.len()), ("GET", 0));
    }

    #[test]
    fn buckets_are_addressed_by_path_or_host_and_aws_by_region() {
        let path = aws_example(true)
            .get_object("a/b", AWS_EXAMPLE_TIME)
            .expect("signed");
        assert_eq!(path.url, "https://s3.amazonaws.com/examplebucket/a/b");
        let aws = S3Requests::new(
            S3Config::from_json(&json!({
                "bucket": "media",
                "region": "eu-west-3",
                "access_key_id": "AKID",
                "secret_access_key": "SECRET-EXAMPLEKEY",
                "prefix": "p",
            }))
            .expect("valid"),
        )
        .expect("requests");
        let head = aws.head_object("p/k", AWS_EXAMPLE_TIME).expect("signed");
        assert_eq!(head.url, "https://media.s3.eu-west-3.amazonaws.com/p/k");
        assert!(
            header(&head, "authorization").contains("/eu-west-3/s3/aws4_request"),
            "{head:?}"
        );
        assert!(!format!("{head:?}{aws:?}").contains("EXAMPLEKEY"));
        // A path on the endpoint is kept.
        let local = S3Requests::new(
            S3Config::from_json(&json!({
                "bucket": "media",
                "endpoint": "http://127.0.0.1:8333/s3/",
                "force_path_style": true,
                "access_key_id": "AKID",
                "secret_access_key": "SECRET",
            }))
            .expect("valid"),
        )
        .expect("requests");
        let get = local.get_object("k", AWS_EXAMPLE_TIME).expect("signed");
        assert_eq!(get.url, "http://127.0.0.1:8333/s3/media/k");
    }

    fn header<'a>(signed: &'a Signed, name: &str) -> &'a str {
        signed
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {signed:?}"))
    }

    #[test]
    fn calls_are_signed_in_headers_with_an_unsigned_payload() {
        let requests = S3Requests::new(
            S3Config::from_json(&json!({
                "bucket": "media",
                "endpoint": "http://127.0.0.1:8333",
                "force_path_style": true,
                "access_key_id": "AKID",
                "secret_access_key": "SECRET",
                "server_side_encryption": "AES256",
            }))
            .expect("valid"),
        )
        .expect("requests");
        let put = requests
            .put_object("k", "image/png", AWS_EXAMPLE_TIME)
            .expect("signed");
        assert_eq!(
            (put.method, put.url.as_str()),
            ("PUT", "http://127.0.0.1:8333/media/k")
        );
        assert_eq!(header(&put, "content-type"), "image/png");
        assert_eq!(header(&put, "x-amz-server-side-encryption"), "AES256");
        assert_eq!(header(&put, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
        assert_eq!(header(&put, "x-amz-date"), "20130524T000000Z");
        assert!(
            header(&put, "authorization").starts_with(
                "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;\
                 x-amz-server-side-encryption, Signature="
            ),
            "{put:?}"
        );
        // No content type, no header for it.
        let put = requests
            .put_object("k", "", AWS_EXAMPLE_TIME)
            .expect("signed");
        assert!(!put.headers.iter().any(|(n, _)| n == "content-type"));

        let create = requests
            .create_multipart_upload("k", "video/mp4", AWS_EXAMPLE_TIME)
            .expect("signed");
        assert_eq!(
            (create.method, create.url.as_str()),
            ("POST", "http://127.0.0.1:8333/media/k?uploads=")
        );
        let part = requests
            .upload_part("k", "2~abc+/=", 3, AWS_EXAMPLE_TIME)
            .expect("signed");
        assert_eq!(
            (part.method, part.url.as_str()),
            (
                "PUT",
                "http://127.0.0.1:8333/media/k?partNumber=3&uploadId=2%7Eabc%2B%2F%3D"
            )
        );
        let complete = requests
            .complete_multipart_upload("k", "u", AWS_EXAMPLE_TIME)
            .expect("signed");
        assert_eq!(complete.method, "POST");
        let abort = requests
            .abort_multipart_upload("k", "u", AWS_EXAMPLE_TIME)
            .expect("signed");
        assert_eq!(
            (abort.method, abort.url.as_str()),
            ("DELETE", "http://127.0.0.1:8333/media/k?uploadId=u")
        );
    }

    #[test]
    fn presigned_uploads_sign_their_content_type_and_encryption() {
        let requests = S3Requests::new(
            S3Config::from_json(&json!({
                "bucket": "media",
                "endpoint": "http://127.0.0.1:8333",
                "force_path_style": true,
                "access_key_id": "AKID",
                "secret_access_key": "SECRET",
                "server_side_encryption": "AES256",
            }))
            .expect("valid"),
        )
        .expect("requests");
        let put = requests
            .presign(
                true,
                "k",
                Some("image/png"),
                Duration::from_secs(900),
                AWS_EXAMPLE_TIME,
            )
            .expect("signed");
        assert_eq!(put.method, "PUT");
        // Exactly the headers its holder must send: no authorization, no date.
        assert_eq!(
            put.headers,
            vec![
                ("content-type".to_string(), "image/png".to_string()),
                (
                    "x-amz-server-side-encryption".to_string(),
                    "AES256".to_string()
                ),
            ]
        );
        assert!(
            put.url
                .contains("X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-server-side-encryption"),
            "{}",
            put.url
        );
        assert!(put.url.contains("X-Amz-Expires=900"), "{}", put.url);
    }

    #[test]
    fn presigned_urls_last_one_second_to_seven_days() {
        let requests = aws_example(true);
        for bad in [Duration::ZERO, Duration::from_secs(7 * 24 * 3600 + 1)] {
            assert!(matches!(
                requests.presign(false, "k", None, bad, AWS_EXAMPLE_TIME),
                Err(StorageError::Unsupported(_))
            ));
        }
        assert!(
            requests
                .presign(
                    false,
                    "k",
                    None,
                    Duration::from_secs(7 * 24 * 3600),
                    AWS_EXAMPLE_TIME
                )
                .is_ok()
        );
    }

    #[test]
    fn answers_are_read_and_completions_written() {
        let created = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE&amp;x</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(
            xml_element(created, "UploadId").as_deref(),
            Some("VXBsb2FkIElE&x")
        );
        assert_eq!(xml_element(created, "Code"), None);
        assert!(!is_error_body(created));
        let error = "<Error><Code>NoSuchUpload</Code><Message>m</Message></Error>";
        assert!(is_error_body(error));
        assert_eq!(xml_element(error, "Code").as_deref(), Some("NoSuchUpload"));
        assert_eq!(
            complete_body(&["\"e1\"".to_string(), "\"e2\"".to_string()]),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>"
        );
    }
}
