//! The `s3` and `gcs` providers against a real S3-compatible server (SeaweedFS, started by
//! `./scripts/test`, or by hand with `scripts/lib/seaweedfs.sh`'s `pn_start_seaweedfs`).
//!
//! Needs `POWERNODE_TEST_S3_ENDPOINT`, `POWERNODE_TEST_S3_ACCESS_KEY` and
//! `POWERNODE_TEST_S3_SECRET_KEY`. The tests share one bucket, which the first one makes with
//! the SDK (SeaweedFS gives every bucket volumes of its own and has a fixed number, so a bucket
//! per test would run out); each test works under a prefix of its own, so tests run in
//! parallel and see only their own objects and uploads.

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use bytes::Bytes;
use futures_util::{StreamExt as _, stream};
use powernode_api::ports::storage::{
    ByteRange, ByteStream, ObjectInfo, ObjectStore, PresignFor, StorageError, StorageProviders,
};
use powernode_storage::NativeProviders;
use powernode_storage::gcs;
use powernode_storage::s3::{S3Store, S3Transport};
use serde_json::json;
use sha2::{Digest as _, Sha256};

const MIB: usize = 1024 * 1024;

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run these tests through ./scripts/test, which starts SeaweedFS, \
             or start it with scripts/lib/seaweedfs.sh (pn_start_seaweedfs DIR) and export \
             POWERNODE_TEST_S3_ENDPOINT, POWERNODE_TEST_S3_ACCESS_KEY, POWERNODE_TEST_S3_SECRET_KEY"
        )
    })
}

/// The shared test bucket.
const BUCKET: &str = "powernode-storage-tests";

/// A prefix of this test's own in the test bucket, the configuration that reaches it, and a
/// plain SDK client to look behind the store's back (multipart uploads in progress, content
/// types).
struct Env {
    endpoint: String,
    access_key: String,
    secret_key: String,
    bucket: String,
    /// This test's part of the bucket, `t-<uuid>/`.
    root: String,
    admin: Client,
    transport: S3Transport,
}

impl Env {
    async fn new() -> Self {
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
        let admin = Client::from_conf(config);
        // Tests race to make it: "already yours" is success.
        if let Err(e) = admin.create_bucket().bucket(BUCKET).send().await {
            let code = e.as_service_error().and_then(ProvideErrorMetadata::code);
            assert!(
                matches!(
                    code,
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ),
                "create the test bucket: {e:?}"
            );
        }
        Self {
            endpoint,
            access_key,
            secret_key,
            bucket: BUCKET.to_string(),
            root: format!("t-{}/", uuid::Uuid::now_v7().simple()),
            admin,
            transport: S3Transport::new(),
        }
    }

    fn config(&self) -> serde_json::Value {
        json!({
            "bucket": self.bucket,
            "endpoint": self.endpoint,
            "force_path_style": true,
            "access_key_id": self.access_key,
            "secret_access_key": self.secret_key,
            "prefix": format!("{}pn", self.root),
        })
    }

    /// The bucket key of `key` under this test's root.
    fn object(&self, key: &str) -> String {
        format!("{}{key}", self.root)
    }

    fn store(&self) -> S3Store {
        S3Store::from_json(&self.config(), &self.transport).expect("valid s3 configuration")
    }

    /// Multipart uploads in progress under this test's root.
    async fn uploads_in_progress(&self) -> usize {
        self.admin
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .prefix(&self.root)
            .send()
            .await
            .expect("ListMultipartUploads")
            .uploads()
            .len()
    }

    /// Every key under this test's root, without the root.
    async fn keys(&self) -> Vec<String> {
        self.admin
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&self.root)
            .send()
            .await
            .expect("ListObjectsV2")
            .contents()
            .iter()
            .filter_map(|o| o.key()?.strip_prefix(&self.root).map(str::to_string))
            .collect()
    }
}

/// `len` bytes that do not repeat in any short period (so a misplaced part shows).
fn data(len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `bytes` as a stream of chunks of the given sizes, cycled.
fn chunked(bytes: &[u8], sizes: &[usize]) -> ByteStream {
    let all = Bytes::copy_from_slice(bytes);
    let mut chunks = Vec::new();
    let (mut at, mut i) = (0, 0);
    while at < all.len() {
        let end = (at + sizes[i % sizes.len()]).min(all.len());
        chunks.push(Ok(all.slice(at..end)));
        at = end;
        i += 1;
    }
    Box::pin(stream::iter(chunks))
}

fn one_chunk(bytes: &'static [u8]) -> ByteStream {
    Box::pin(stream::iter([Ok(Bytes::from_static(bytes))]))
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a whole (ranged) object, returning its size, range and bytes.
async fn read(
    store: &dyn ObjectStore,
    key: &str,
    range: Option<ByteRange>,
) -> Result<(u64, Option<ByteRange>, Vec<u8>), StorageError> {
    let mut got = store.get(key, range).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = got.body.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    Ok((got.size, got.range, bytes))
}

fn mb_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / MIB as f64 / took.as_secs_f64()
}

#[tokio::test]
async fn a_20_mib_upload_goes_multipart_and_round_trips_by_sha256() {
    let env = Env::new().await;
    let store = env.store();
    let source = data(20 * MIB);
    // Odd sizes, so parts never align with chunks.
    let started = Instant::now();
    let written = store
        .put(
            "acct/file/v1",
            chunked(&source, &[65_537, 1_000_003, 7, 333_333]),
            None,
            "application/octet-stream",
        )
        .await
        .expect("put");
    let put_took = started.elapsed();
    assert_eq!(written, source.len() as u64);

    // 20 MiB in 8 MiB parts: an S3 multipart ETag ends in the part count.
    let head = env
        .admin
        .head_object()
        .bucket(&env.bucket)
        .key(env.object("pn/acct/file/v1"))
        .send()
        .await
        .expect("the object is under the prefix");
    let etag = head
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    assert!(etag.ends_with("-3"), "not a 3-part upload: ETag {etag}");
    assert_eq!(env.uploads_in_progress().await, 0);

    let started = Instant::now();
    let (size, range, bytes) = read(&store, "acct/file/v1", None).await.expect("get");
    let get_took = started.elapsed();
    assert_eq!((size, range), (source.len() as u64, None));
    assert_eq!(sha256(&bytes), sha256(&source));
    assert_eq!(
        store.head("acct/file/v1").await.expect("head"),
        Some(ObjectInfo {
            size: source.len() as u64
        })
    );
    println!(
        "20 MiB against SeaweedFS on loopback: put {:.0} MB/s ({put_took:?}), get {:.0} MB/s ({get_took:?})",
        mb_per_s(source.len(), put_took),
        mb_per_s(source.len(), get_took)
    );

    // A declared size is checked too, and an exact multiple of the part size ends cleanly.
    let exact = data(16 * MIB);
    let written = store
        .put(
            "acct/file/v2",
            chunked(&exact, &[MIB]),
            Some(exact.len() as u64),
            "application/octet-stream",
        )
        .await
        .expect("put");
    assert_eq!(written, exact.len() as u64);
    let (_, _, bytes) = read(&store, "acct/file/v2", None).await.expect("get");
    assert_eq!(sha256(&bytes), sha256(&exact));
}

#[tokio::test]
async fn a_small_object_is_one_put_and_ranges_resolve_like_http() {
    let env = Env::new().await;
    let store = env.store();
    let source = data(1000);
    let written = store
        .put(
            "acct/small",
            chunked(&source, &[300]),
            Some(1000),
            "text/plain",
        )
        .await
        .expect("put");
    assert_eq!(written, 1000);
    let head = env
        .admin
        .head_object()
        .bucket(&env.bucket)
        .key(env.object("pn/acct/small"))
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("text/plain"));
    assert!(
        !head.e_tag().unwrap_or_default().contains('-'),
        "a single PutObject"
    );

    let cases = [
        // (asked, served)
        ((0, 99), (0, 99)),
        ((400, 599), (400, 599)),
        ((990, 5000), (990, 999)),
        ((999, 999), (999, 999)),
    ];
    for ((start, end), (from, to)) in cases {
        let (size, range, bytes) = read(&store, "acct/small", Some(ByteRange { start, end }))
            .await
            .expect("ranged get");
        assert_eq!(size, 1000, "the whole object's size");
        assert_eq!(
            range,
            Some(ByteRange {
                start: from,
                end: to
            })
        );
        assert_eq!(bytes, source[from as usize..=to as usize]);
    }
    for start in [1000, 5000] {
        assert_eq!(
            read(
                &store,
                "acct/small",
                Some(ByteRange {
                    start,
                    end: start + 10
                })
            )
            .await
            .err(),
            Some(StorageError::RangeNotSatisfiable),
            "a range from {start}"
        );
    }

    // An empty body is a valid, empty object.
    store
        .put(
            "acct/empty",
            Box::pin(stream::empty()),
            Some(0),
            "text/plain",
        )
        .await
        .expect("empty put");
    assert_eq!(
        store.head("acct/empty").await.expect("head"),
        Some(ObjectInfo { size: 0 })
    );
    let (size, _, bytes) = read(&store, "acct/empty", None).await.expect("get");
    assert_eq!((size, bytes.len()), (0, 0));
}

#[tokio::test]
async fn head_delete_and_absent_objects() {
    let env = Env::new().await;
    let store = env.store();
    assert_eq!(store.head("acct/nothing").await.expect("head"), None);
    assert_eq!(
        read(&store, "acct/nothing", None).await.err(),
        Some(StorageError::NotFound)
    );
    store
        .delete("acct/nothing")
        .await
        .expect("deleting nothing is fine");

    store
        .put("acct/doomed", one_chunk(b"bye"), Some(3), "text/plain")
        .await
        .expect("put");
    assert_eq!(
        store.head("acct/doomed").await.expect("head"),
        Some(ObjectInfo { size: 3 })
    );
    store.delete("acct/doomed").await.expect("delete");
    store.delete("acct/doomed").await.expect("again");
    assert_eq!(store.head("acct/doomed").await.expect("head"), None);
    assert!(matches!(
        store
            .put("../escape", one_chunk(b"x"), None, "text/plain")
            .await,
        Err(StorageError::InvalidKey(_))
    ));
}

#[tokio::test]
async fn a_wrong_secret_is_denied_and_never_shown() {
    let env = Env::new().await;
    let mut config = env.config();
    config["secret_access_key"] = json!("not-the-secret-WRONGKEY");
    let store = S3Store::from_json(&config, &env.transport).expect("valid configuration");
    let errors = [
        store
            .put("acct/x", one_chunk(b"x"), Some(1), "text/plain")
            .await
            .expect_err("put"),
        read(&store, "acct/x", None).await.expect_err("get"),
        store.head("acct/x").await.expect_err("head"),
        store.delete("acct/x").await.expect_err("delete"),
    ];
    for err in errors {
        assert!(matches!(err, StorageError::Denied(_)), "{err:?}");
        let shown = err.to_string();
        assert!(
            !shown.contains("WRONGKEY") && !shown.contains(&env.secret_key),
            "{shown}"
        );
    }

    let mut config = env.config();
    config["access_key_id"] = json!("NOSUCHKEY0000000");
    let store = S3Store::from_json(&config, &env.transport).expect("valid configuration");
    assert!(matches!(
        store
            .put("acct/x", one_chunk(b"x"), Some(1), "text/plain")
            .await,
        Err(StorageError::Denied(_))
    ));
}

#[tokio::test]
async fn a_failed_upload_leaves_nothing_behind() {
    let env = Env::new().await;
    let store = env.store();
    store
        .put("acct/kept", one_chunk(b"old"), Some(3), "text/plain")
        .await
        .expect("put");

    // The body fails after a whole part went up: the multipart upload is aborted.
    let good = Bytes::from(data(9 * MIB));
    let broken: ByteStream = Box::pin(stream::iter([
        Ok(good.clone()),
        Err(StorageError::Body("the client went away".into())),
    ]));
    assert_eq!(
        store.put("acct/broken", broken, None, "text/plain").await,
        Err(StorageError::Body("the client went away".into()))
    );
    // Over an existing object: it stays as it was.
    let broken: ByteStream = Box::pin(stream::iter([
        Ok(good.clone()),
        Err(StorageError::Body("the client went away".into())),
    ]));
    assert!(
        store
            .put("acct/kept", broken, None, "text/plain")
            .await
            .is_err()
    );
    // A body longer, then shorter, than declared.
    let long: ByteStream = Box::pin(stream::iter([Ok(good.clone())]));
    assert!(matches!(
        store
            .put("acct/long", long, Some(MIB as u64), "text/plain")
            .await,
        Err(StorageError::Body(_))
    ));
    let short: ByteStream = Box::pin(stream::iter([Ok(good.clone())]));
    assert!(matches!(
        store
            .put("acct/short", short, Some(20 * MIB as u64), "text/plain")
            .await,
        Err(StorageError::Body(_))
    ));

    assert_eq!(env.keys().await, ["pn/acct/kept"]);
    assert_eq!(
        env.uploads_in_progress().await,
        0,
        "no orphan multipart upload"
    );
    let (_, _, bytes) = read(&store, "acct/kept", None).await.expect("get");
    assert_eq!(bytes, b"old");
}

#[tokio::test]
async fn an_upload_dropped_halfway_is_aborted() {
    let env = Env::new().await;
    let store = env.store();
    // A part, then a body that never ends: the upload is in progress until it is dropped.
    let first = Bytes::from(data(9 * MIB));
    let stalled: ByteStream = Box::pin(stream::iter([Ok(first)]).chain(stream::pending()));
    let upload = tokio::spawn(async move {
        let _ = store.put("acct/dropped", stalled, None, "text/plain").await;
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.uploads_in_progress().await == 0 {
        assert!(
            Instant::now() < deadline,
            "the multipart upload never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    upload.abort();
    let _ = upload.await;
    while env.uploads_in_progress().await != 0 {
        assert!(
            Instant::now() < deadline,
            "the dropped upload was not aborted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(env.keys().await.is_empty());
}

#[tokio::test]
async fn presigned_urls_work_with_a_plain_client_and_refuse_tampering() {
    let env = Env::new().await;
    let store = env.store();
    let http = reqwest::Client::new();

    let put = store
        .presign(
            PresignFor::Upload,
            "acct/direct",
            Duration::from_secs(300),
            Some("text/plain"),
        )
        .await
        .expect("presign put");
    assert_eq!(put.method, "PUT");
    assert!(
        put.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "text/plain"),
        "{:?}",
        put.headers
    );
    assert!(!put.url.contains(&env.secret_key));
    let send_put = |url: &str, content_type: &str| {
        let mut request = http.put(url).body("direct bytes");
        for (name, value) in &put.headers {
            if !name.eq_ignore_ascii_case("content-type") {
                request = request.header(name, value);
            }
        }
        request.header("content-type", content_type).send()
    };
    // Another content type than the signed one is refused.
    let refused = send_put(&put.url, "text/html").await.expect("reachable");
    assert_eq!(refused.status(), 403);
    let response = send_put(&put.url, "text/plain").await.expect("reachable");
    assert!(response.status().is_success(), "{}", response.status());
    let (_, _, bytes) = read(&store, "acct/direct", None).await.expect("get");
    assert_eq!(bytes, b"direct bytes");

    let get = store
        .presign(
            PresignFor::Download,
            "acct/direct",
            Duration::from_secs(300),
            None,
        )
        .await
        .expect("presign get");
    assert_eq!(get.method, "GET");
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    assert!(get.expires_at > now + chrono::Duration::seconds(290));
    let response = http.get(&get.url).send().await.expect("reachable");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.bytes().await.expect("body").as_ref(),
        b"direct bytes"
    );

    // Another key, another signature, a longer life: all refused.
    let tampered = [
        get.url.replace("acct/direct", "acct/secret"),
        tamper_signature(&get.url),
        get.url.replace("X-Amz-Expires=300", "X-Amz-Expires=600"),
    ];
    for url in tampered {
        assert_ne!(url, get.url);
        let response = http.get(&url).send().await.expect("reachable");
        assert_eq!(response.status(), 403, "{url}");
    }

    // An expired URL is refused.
    let short = store
        .presign(
            PresignFor::Download,
            "acct/direct",
            Duration::from_secs(1),
            None,
        )
        .await
        .expect("presign get");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = http.get(&short.url).send().await.expect("reachable");
    assert_eq!(response.status(), 403);

    assert!(matches!(
        store
            .presign(
                PresignFor::Download,
                "acct/direct",
                Duration::from_secs(8 * 86_400),
                None
            )
            .await,
        Err(StorageError::Unsupported(_))
    ));
}

/// Flips the last hex digit of `X-Amz-Signature`.
fn tamper_signature(url: &str) -> String {
    let at = url.find("X-Amz-Signature=").expect("a SigV4 URL") + "X-Amz-Signature=".len();
    let end = url[at..].find('&').map_or(url.len(), |i| at + i);
    let mut url = url.to_string();
    let last = if url[..end].ends_with('0') { "1" } else { "0" };
    url.replace_range(end - 1..end, last);
    url
}

#[tokio::test]
async fn server_side_encryption_aes256_round_trips() {
    let env = Env::new().await;
    let mut config = env.config();
    config["server_side_encryption"] = json!("AES256");
    let store = S3Store::from_json(&config, &env.transport).expect("valid configuration");
    let source = data(9 * MIB);
    for (key, body) in [
        ("acct/sse-small", &source[..1000]),
        ("acct/sse-multipart", &source[..]),
    ] {
        store
            .put(
                key,
                chunked(body, &[MIB - 1]),
                None,
                "application/octet-stream",
            )
            .await
            .expect("put with SSE");
        let (_, _, bytes) = read(&store, key, None).await.expect("get");
        assert_eq!(sha256(&bytes), sha256(body));
        let head = env
            .admin
            .head_object()
            .bucket(&env.bucket)
            .key(env.object(&format!("pn/{key}")))
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.server_side_encryption().map(|s| s.as_str()),
            Some("AES256"),
            "{key}"
        );
    }

    // A presigned upload carries the encryption as a signed header the uploader must send.
    let put = store
        .presign(
            PresignFor::Upload,
            "acct/sse-direct",
            Duration::from_secs(300),
            None,
        )
        .await
        .expect("presign");
    println!("presigned PUT headers with SSE: {:?}", put.headers);
    assert!(
        put.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-amz-server-side-encryption") && v == "AES256"),
        "{:?}",
        put.headers
    );
    let http = reqwest::Client::new();
    let without = http
        .put(&put.url)
        .body("direct")
        .send()
        .await
        .expect("reachable");
    assert_eq!(without.status(), 403, "the signed header is required");
    let mut request = http.put(&put.url).body("direct");
    for (name, value) in &put.headers {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("reachable");
    assert!(response.status().is_success(), "{}", response.status());
    let head = env
        .admin
        .head_object()
        .bucket(&env.bucket)
        .key(env.object("pn/acct/sse-direct"))
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption().map(|s| s.as_str()),
        Some("AES256")
    );
}

#[tokio::test]
async fn the_gcs_configuration_speaks_the_same_protocol() {
    let env = Env::new().await;
    // GCS's XML API as this provider uses it: region `auto`, path style, the given endpoint.
    let config = json!({
        "bucket": env.bucket,
        "endpoint": env.endpoint,
        "access_key_id": env.access_key,
        "secret_access_key": env.secret_key,
        "prefix": format!("{}gcs", env.root),
    });
    let store = gcs::store_from_json(&config, &env.transport).expect("valid gcs configuration");
    let source = data(9 * MIB);
    for (key, body) in [("acct/small", &source[..5000]), ("acct/large", &source[..])] {
        store
            .put(
                key,
                chunked(body, &[123_457]),
                None,
                "application/octet-stream",
            )
            .await
            .expect("put");
        let (size, _, bytes) = read(&store, key, None).await.expect("get");
        assert_eq!(size, body.len() as u64);
        assert_eq!(sha256(&bytes), sha256(body));
    }
    let (_, range, bytes) = read(&store, "acct/large", Some(ByteRange { start: 10, end: 19 }))
        .await
        .expect("range");
    assert_eq!(range, Some(ByteRange { start: 10, end: 19 }));
    assert_eq!(bytes, source[10..20]);
    let url = store
        .presign(
            PresignFor::Download,
            "acct/small",
            Duration::from_secs(60),
            None,
        )
        .await
        .expect("presign");
    let response = reqwest::get(&url.url).await.expect("reachable");
    assert_eq!(response.status(), 200);
    assert_eq!(
        sha256(&response.bytes().await.expect("body")),
        sha256(&source[..5000])
    );
    store.delete("acct/large").await.expect("delete");
    assert_eq!(env.keys().await, ["gcs/acct/small"]);
}

#[tokio::test]
async fn the_factory_builds_s3_and_gcs_stores() {
    let env = Env::new().await;
    let providers = NativeProviders::new(std::env::temp_dir());
    assert_eq!(providers.provider_types(), ["local", "s3", "gcs", "azure"]);
    let id = uuid::Uuid::now_v7();
    let store = providers.build(id, "s3", &env.config()).await.expect("s3");
    store
        .put("acct/f", one_chunk(b"via the factory"), None, "text/plain")
        .await
        .expect("put");
    let (_, _, bytes) = read(store.as_ref(), "acct/f", None).await.expect("get");
    assert_eq!(bytes, b"via the factory");
    let mut config = env.config();
    config["server_side_encryption"] = json!("rot13");
    assert!(matches!(
        providers.build(id, "s3", &config).await.err(),
        Some(StorageError::InvalidConfig(msg)) if msg.contains("server_side_encryption")
    ));
    assert!(matches!(
        providers.build(id, "gcs", &json!({"bucket": "b-1"})).await.err(),
        Some(StorageError::InvalidConfig(msg)) if msg.contains("access_key_id")
    ));
    assert!(matches!(
        providers.build(id, "ftp", &json!({})).await.err(),
        Some(StorageError::Unsupported(_))
    ));
}
