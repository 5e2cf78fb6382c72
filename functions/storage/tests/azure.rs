//! The `azure` provider against a real Azure Blob service: Azurite, which `scripts/test`
//! starts (scripts/lib/azurite.sh) and describes in `POWERNODE_TEST_AZURE_ENDPOINT`,
//! `POWERNODE_TEST_AZURE_ACCOUNT` and `POWERNODE_TEST_AZURE_KEY`. To run these alone:
//!
//! ```sh
//! for f in common services azurite; do source scripts/lib/$f.sh; done
//! export POWERNODE_TEST_AZURE_ENDPOINT=$(pn_start_azurite /tmp/azurite) \
//!   POWERNODE_TEST_AZURE_ACCOUNT=$PN_AZURITE_ACCOUNT POWERNODE_TEST_AZURE_KEY=$PN_AZURITE_KEY
//! cargo test -p powernode-storage --test azure
//! ```
//!
//! Each test works in a container of its own, so they run in parallel.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt as _, stream};
use powernode_api::ports::storage::{
    ByteRange, ByteStream, ObjectInfo, ObjectStore, PresignFor, StorageError,
};
use powernode_storage::azure::{AzureStore, BLOCK_SIZE};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests need Azurite. Run ./scripts/test, or start it with \
             scripts/lib/azurite.sh (see this file's header)"
        )
    })
}

fn config(container: &str) -> Value {
    json!({
        "account_name": env("POWERNODE_TEST_AZURE_ACCOUNT"),
        "account_key": env("POWERNODE_TEST_AZURE_KEY"),
        "endpoint": env("POWERNODE_TEST_AZURE_ENDPOINT"),
        "container": container,
        "prefix": "tests",
    })
}

fn fresh_container() -> String {
    format!("pn-{}", uuid::Uuid::now_v7().simple())
}

/// A store on a new, empty container.
async fn store() -> AzureStore {
    let store = AzureStore::from_config(&config(&fresh_container())).expect("config");
    store.create_container().await.expect("create container");
    store
        .create_container()
        .await
        .expect("creating it again is fine");
    store
}

/// Deterministic bytes that are not periodic on any block-ish boundary (xorshift).
fn data(len: usize) -> Bytes {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect::<Vec<u8>>()
        .into()
}

/// `data` in chunks of odd, changing sizes (none divides the block size).
fn chunked(data: &Bytes) -> ByteStream {
    let sizes = [7_919, 1_000_003, 65_537, 3, 2_500_001];
    let mut chunks = Vec::new();
    let (mut at, mut i) = (0, 0);
    while at < data.len() {
        let end = (at + sizes[i % sizes.len()]).min(data.len());
        chunks.push(Ok(data.slice(at..end)));
        at = end;
        i += 1;
    }
    Box::pin(stream::iter(chunks))
}

fn one(data: &'static [u8]) -> ByteStream {
    Box::pin(stream::iter([Ok(Bytes::from_static(data))]))
}

async fn read_all(mut body: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

#[tokio::test]
async fn a_multi_block_object_and_small_ones_round_trip() {
    let store = store().await;
    // Two full blocks and an odd tail: Put Block x3 + Put Block List.
    let big = data(20 * 1024 * 1024 + 12_345);
    let written = store
        .put(
            "acct/big/v1",
            chunked(&big),
            None,
            "application/octet-stream",
        )
        .await
        .expect("put big");
    assert_eq!(written, big.len() as u64);
    assert_eq!(
        store.head("acct/big/v1").await.expect("head"),
        Some(ObjectInfo {
            size: big.len() as u64
        })
    );
    let got = store.get("acct/big/v1", None).await.expect("get");
    assert_eq!((got.size, got.range), (big.len() as u64, None));
    assert_eq!(sha256(&read_all(got.body).await), sha256(&big));

    // Exactly one block with its size known: a single Put Blob.
    let block = data(BLOCK_SIZE);
    store
        .put(
            "acct/block/v1",
            chunked(&block),
            Some(block.len() as u64),
            "application/octet-stream",
        )
        .await
        .expect("put one block");
    let got = store.get("acct/block/v1", None).await.expect("get");
    assert_eq!(sha256(&read_all(got.body).await), sha256(&block));

    store
        .put("acct/small/v1", one(b"hello azure"), Some(11), "text/plain")
        .await
        .expect("put small");
    let got = store.get("acct/small/v1", None).await.expect("get");
    assert_eq!(got.size, 11);
    assert_eq!(read_all(got.body).await, b"hello azure");

    store
        .put("acct/empty/v1", Box::pin(stream::empty()), Some(0), "")
        .await
        .expect("put empty");
    let got = store.get("acct/empty/v1", None).await.expect("get");
    assert_eq!(got.size, 0);
    assert!(read_all(got.body).await.is_empty());
}

#[tokio::test]
async fn ranges_resolve_like_http() {
    let store = store().await;
    let bytes = data(1000);
    store
        .put("r", chunked(&bytes), Some(1000), "application/octet-stream")
        .await
        .expect("put");
    for (asked, resolved) in [
        ((0, 9), (0, 9)),
        ((100, 199), (100, 199)),
        ((990, 5000), (990, 999)),
    ] {
        let got = store
            .get(
                "r",
                Some(ByteRange {
                    start: asked.0,
                    end: asked.1,
                }),
            )
            .await
            .expect("ranged get");
        let want = ByteRange {
            start: resolved.0,
            end: resolved.1,
        };
        assert_eq!((got.size, got.range), (1000, Some(want)), "{asked:?}");
        assert_eq!(
            read_all(got.body).await,
            bytes[resolved.0 as usize..=resolved.1 as usize],
            "{asked:?}"
        );
    }
    for start in [1000, 5000] {
        assert_eq!(
            store
                .get(
                    "r",
                    Some(ByteRange {
                        start,
                        end: start + 1
                    })
                )
                .await
                .err(),
            Some(StorageError::RangeNotSatisfiable)
        );
    }
}

#[tokio::test]
async fn head_delete_and_missing_objects() {
    let store = store().await;
    assert_eq!(store.head("nothing/here").await.expect("head"), None);
    assert_eq!(
        store.get("nothing/here", None).await.err(),
        Some(StorageError::NotFound)
    );
    store
        .delete("nothing/here")
        .await
        .expect("deleting an absent object succeeds");
    store
        .put("d", one(b"bye"), Some(3), "text/plain")
        .await
        .expect("put");
    store.delete("d").await.expect("delete");
    assert_eq!(store.head("d").await.expect("head"), None);
    store.delete("d").await.expect("delete again");
}

#[tokio::test]
async fn a_wrong_key_is_denied_and_a_missing_container_is_a_config_error() {
    let store = store().await;
    store
        .put("k", one(b"x"), Some(1), "text/plain")
        .await
        .expect("put");
    let mut wrong = config("unused");
    wrong["container"] = json!("pn-any-container");
    wrong["account_key"] = json!("d3Jvbmcta2V5LXdyb25nLWtleQ==");
    let wrong = AzureStore::from_config(&wrong).expect("config");
    for result in [
        wrong.head("k").await.map(|_| ()),
        wrong.get("k", None).await.map(|_| ()),
        wrong
            .put("k", one(b"y"), Some(1), "text/plain")
            .await
            .map(|_| ()),
    ] {
        match result {
            Err(StorageError::Denied(why)) => {
                assert!(!why.contains("signature"), "{why}");
            }
            other => panic!("expected Denied, got {other:?}"),
        }
    }
    let missing = AzureStore::from_config(&config(&fresh_container())).expect("config");
    assert!(matches!(
        missing.head("k").await,
        Err(StorageError::InvalidConfig(why)) if why.contains("`container`")
    ));
}

#[tokio::test]
async fn a_failed_upload_commits_nothing() {
    let store = store().await;
    store
        .put("kept", one(b"old"), Some(3), "text/plain")
        .await
        .expect("put");
    // More than one block goes out before the body fails: staged, never committed.
    let staged = data(BLOCK_SIZE + 1_000_000);
    let failing = |bytes: &Bytes| -> ByteStream {
        Box::pin(chunked(bytes).chain(stream::iter([Err(StorageError::Body(
            "client went away".into(),
        ))])))
    };
    for key in ["kept", "fresh"] {
        assert_eq!(
            store
                .put(key, failing(&staged), None, "text/plain")
                .await
                .err(),
            Some(StorageError::Body("client went away".into())),
            "{key}"
        );
    }
    let got = store.get("kept", None).await.expect("the old object");
    assert_eq!(read_all(got.body).await, b"old");
    assert_eq!(store.head("fresh").await.expect("head"), None);

    // A body that disagrees with its declared size is refused before anything is committed.
    assert!(matches!(
        store.put("short", one(b"abc"), Some(4), "text/plain").await,
        Err(StorageError::Body(_))
    ));
    assert!(matches!(
        store
            .put(
                "long",
                chunked(&staged),
                Some(BLOCK_SIZE as u64),
                "text/plain"
            )
            .await,
        Err(StorageError::Body(_))
    ));
    assert_eq!(store.head("short").await.expect("head"), None);
    assert_eq!(store.head("long").await.expect("head"), None);
}

#[tokio::test]
async fn sas_urls_work_with_a_plain_client_and_refuse_tampering() {
    let store = store().await;
    let http = reqwest::Client::new();
    let bytes = data(300_000);
    store
        .put("s/down", chunked(&bytes), None, "application/octet-stream")
        .await
        .expect("put");

    let down = store
        .presign(
            PresignFor::Download,
            "s/down",
            Duration::from_secs(300),
            Some("image/png"),
        )
        .await
        .expect("presign download");
    let response = http.get(&down.url).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(
        sha256(&response.bytes().await.expect("body")),
        sha256(&bytes)
    );

    // Uploading through a download URL, widening its permissions, or changing its signature.
    let status = |r: reqwest::Response| r.status().as_u16();
    let put_with_read_sas = http
        .put(&down.url)
        .header("x-ms-blob-type", "BlockBlob")
        .body("x")
        .send()
        .await
        .expect("PUT");
    assert_eq!(status(put_with_read_sas), 403);
    let widened = down.url.replace("sp=r&", "sp=rw&");
    assert_ne!(widened, down.url);
    assert_eq!(status(http.get(&widened).send().await.expect("GET")), 403);
    let (base, sig) = down.url.split_once("sig=").expect("a signature");
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let forged = format!("{base}sig={flipped}{}", &sig[1..]);
    assert_eq!(status(http.get(&forged).send().await.expect("GET")), 403);

    let up = store
        .presign(
            PresignFor::Upload,
            "s/up",
            Duration::from_secs(300),
            Some("text/csv"),
        )
        .await
        .expect("presign upload");
    assert_eq!(up.method, "PUT");
    let mut request = http.put(&up.url).body("a,b\n1,2\n");
    for (name, value) in &up.headers {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("PUT");
    assert_eq!(response.status(), 201);
    let got = store.get("s/up", None).await.expect("uploaded object");
    assert_eq!(read_all(got.body).await, b"a,b\n1,2\n");
    assert_eq!(
        status(http.get(&up.url).send().await.expect("GET")),
        403,
        "an upload URL cannot read"
    );

    // An expired URL is refused (whole seconds: wait past the second it names).
    let expired = store
        .presign(PresignFor::Download, "s/down", Duration::ZERO, None)
        .await
        .expect("presign");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        status(http.get(&expired.url).send().await.expect("GET")),
        403
    );
}
