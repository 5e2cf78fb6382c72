//! Files through every storage provider the native host has, against real servers: `s3` and
//! `gcs` (its S3-interoperable XML API) on SeaweedFS, `azure` on Azurite. The same steps a user
//! takes with the default local disk: a multipart upload and its download (checksum, range),
//! a direct upload through the provider's own presigned URL, a thumbnail from the runner, a new
//! version, the quota, and a permanent delete. The API Worker has `s3` too (SigV4-signed
//! fetch), so `s3` runs against workerd as well, on the same SeaweedFS; `gcs` and `azure` are
//! native providers only (the Worker's others are `r2`, which the other files tests cover).

use crate::common;

use crate::common::files::{multipart, png, post_form, send_bytes, send_to_upload_url, upload_ok};
use crate::common::providers::{azure_configuration, s3_configuration};
use crate::common::{Platform, Session};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn download(p: &Platform, who: &Session, path: &str, range: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = p
        .http
        .get(format!("{}{path}", p.base))
        .bearer_auth(&who.access);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let r = req.send().await.expect("the API answers");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

async fn used_bytes(p: &Platform, who: &Session, storage: &str) -> i64 {
    let r = p.get("/api/v1/storages", Some(&who.access)).await;
    r.assert_ok(200)
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["id"] == storage)
        .and_then(|s| s["used_bytes"].as_i64())
        .expect("the storage's used_bytes")
}

/// Makes the storage `name` of `provider_type` for `owner`, its default, with `quota` bytes or
/// none; returns its id.
async fn default_storage(
    p: &Platform,
    owner: &Session,
    name: &str,
    provider_type: &str,
    configuration: Value,
    quota: Option<i64>,
) -> String {
    let r = p
        .post(
            "/api/v1/storages",
            Some(&owner.access),
            json!({
                "name": name,
                "provider_type": provider_type,
                "configuration": configuration,
                "is_default": true,
                "quota_bytes": quota,
            }),
        )
        .await;
    r.assert_ok(201)["id"].as_str().expect("id").to_string()
}

/// Everything a user does with files, on a default storage of `provider_type`.
async fn files_work_on(provider_type: &str, configuration: Value) {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let quota = 3 * 1024 * 1024;
    let storage = default_storage(
        &p,
        &owner,
        &format!("{provider_type} store"),
        provider_type,
        configuration,
        Some(quota),
    )
    .await;
    let r = p
        .post(
            &format!("/api/v1/storages/{storage}/test"),
            Some(&owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.assert_ok(200)["ok"], true, "{}", r.text);

    // A multipart upload, bigger than one part of any provider's multipart upload.
    let big = png(1_200_000);
    let file = upload_ok(&p, &owner, "big.png", &big, &[]).await;
    assert_eq!(file["storage_id"], storage.as_str());
    assert_eq!(file["checksum_sha256"], hex::encode(Sha256::digest(&big)));
    let id = file["id"].as_str().expect("id").to_string();
    let (status, bytes) = download(&p, &owner, &format!("/api/v1/files/{id}/download"), None).await;
    assert_eq!(
        (status, Sha256::digest(&bytes)),
        (200, Sha256::digest(&big))
    );
    let (status, bytes) = download(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/download"),
        Some("bytes=1000000-1000009"),
    )
    .await;
    assert_eq!((status, bytes), (206, big[1_000_000..1_000_010].to_vec()));

    // The scheduled sweeps see the provider too: its health check passes, and the orphan
    // sweep lists the file's object and keeps it (the row refers to it).
    let health = p.maintenance("check_storages").await.assert_ok(200).clone();
    assert_eq!(health["problems"], json!([]), "{health}");
    let sweep = p.maintenance("sweep_orphans").await.assert_ok(200).clone();
    assert_eq!(sweep["problems"], json!([]), "{sweep}");
    assert!(
        sweep["counts"]["objects_seen"].as_u64() >= Some(1),
        "{sweep}"
    );
    assert_eq!(sweep["counts"]["orphans_removed"].as_u64().unwrap_or(0), 0);
    let (status, _) = download(&p, &owner, &format!("/api/v1/files/{id}/download"), None).await;
    assert_eq!(status, 200);

    // A direct upload through the provider's own URL.
    let small = png(40_000);
    let r = p
        .post(
            "/api/v1/files/uploads",
            Some(&owner.access),
            json!({ "filename": "direct.png", "content_type": "image/png", "file_size": small.len() }),
        )
        .await;
    let upload = r.assert_ok(201).clone();
    let url = upload["upload_url"].as_str().expect("url");
    assert!(
        url.starts_with("http"),
        "a provider URL, not the API's: {url}"
    );
    let sent = send_to_upload_url(&p, &upload, small.clone()).await;
    assert!(
        sent.status < 300,
        "the provider takes the bytes: {} {}",
        sent.status,
        sent.text
    );
    let direct_id = upload["file_id"].as_str().expect("id");
    let r = p
        .post(
            &format!("/api/v1/files/uploads/{direct_id}/complete"),
            Some(&owner.access),
            json!({}),
        )
        .await;
    assert_eq!(
        r.assert_ok(201)["checksum_sha256"],
        hex::encode(Sha256::digest(&small))
    );
    let (_, bytes) = download(
        &p,
        &owner,
        &format!("/api/v1/files/{direct_id}/download"),
        None,
    )
    .await;
    assert_eq!(bytes, small);

    // The runner's thumbnail lands beside it.
    let thumb = b"\xff\xd8\xff\xe0 a thumbnail".to_vec();
    send_bytes(
        &p,
        Method::PUT,
        &format!("/api/v1/worker/files/{id}/versions/1/thumbnails/300"),
        Some(&p.service_token()),
        &[("content-type", "image/jpeg")],
        thumb.clone(),
    )
    .await
    .assert_ok(200);
    let (status, bytes) = download(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/thumbnails/300"),
        None,
    )
    .await;
    assert_eq!((status, bytes), (200, thumb));

    // A second version; both stay readable.
    let v2 = png(1000);
    let (status, _) = post_form(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/versions"),
        multipart(&[], Some(("big.png", "image/png", &v2))),
    )
    .await;
    assert_eq!(status, 201);
    let (_, bytes) = download(&p, &owner, &format!("/api/v1/files/{id}/download"), None).await;
    assert_eq!(bytes, v2);
    let (_, bytes) = download(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/versions/1/download"),
        None,
    )
    .await;
    assert_eq!(Sha256::digest(&bytes), Sha256::digest(&big));

    // The quota: what would pass it is refused, and nothing of it is charged.
    let used = used_bytes(&p, &owner, &storage).await;
    assert_eq!(used, (big.len() + small.len() + v2.len()) as i64);
    let (status, body) = post_form(
        &p,
        &owner,
        "/api/v1/files/upload",
        multipart(&[], Some(("over.png", "image/png", &png(quota as usize)))),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("quota_exceeded"))
    );
    assert_eq!(used_bytes(&p, &owner, &storage).await, used);

    // Gone for good: the bytes and the quota they used.
    p.send(
        Method::DELETE,
        &format!("/api/v1/files/{id}?permanent=true"),
        Some(&owner.access),
        None,
    )
    .await
    .assert_ok(200);
    assert_eq!(used_bytes(&p, &owner, &storage).await, small.len() as i64);
    let (status, _) = download(&p, &owner, &format!("/api/v1/files/{id}/download"), None).await;
    assert_eq!(status, 404);
    p.stop().await;
}

#[tokio::test]
async fn files_work_on_s3() {
    files_work_on("s3", s3_configuration().await).await;
}

/// A body past one part (8 MiB) goes up as an S3 multipart upload: natively through the SDK,
/// on workerd through the Worker's signed fetch. Three parts, the last a short one; read back
/// whole and across a part boundary.
#[tokio::test]
async fn large_files_go_up_in_parts_on_s3() {
    const PART: usize = 8 * 1024 * 1024;
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    default_storage(&p, &owner, "large", "s3", s3_configuration().await, None).await;
    let big = png(2 * PART + 100_000);
    let file = upload_ok(&p, &owner, "large.png", &big, &[]).await;
    assert_eq!(file["checksum_sha256"], hex::encode(Sha256::digest(&big)));
    let id = file["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/files/{id}/download");
    let (status, bytes) = download(&p, &owner, &path, None).await;
    assert_eq!(
        (status, Sha256::digest(&bytes)),
        (200, Sha256::digest(&big))
    );
    let range = format!("bytes={}-{}", PART - 5, PART + 4);
    let (status, bytes) = download(&p, &owner, &path, Some(&range)).await;
    assert_eq!((status, bytes), (206, big[PART - 5..PART + 5].to_vec()));
    p.send(
        Method::DELETE,
        &format!("/api/v1/files/{id}?permanent=true"),
        Some(&owner.access),
        None,
    )
    .await
    .assert_ok(200);
    let (status, _) = download(&p, &owner, &path, None).await;
    assert_eq!(status, 404);
    p.stop().await;
}

/// Credentials S3 refuses are reported as such (the port's `Denied`), never with the secret,
/// on every runtime. (A missing bucket cannot be tried here: SeaweedFS makes it on the first
/// write, and each bucket takes volumes the shared test server has few of.)
#[tokio::test]
async fn a_wrong_s3_secret_is_reported_as_refused_and_never_echoed() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let mut configuration = s3_configuration().await;
    configuration["secret_access_key"] = json!("not-the-secret-EXAMPLEKEY");
    let storage = default_storage(&p, &owner, "wrong secret", "s3", configuration, None).await;
    let r = p
        .post(
            &format!("/api/v1/storages/{storage}/test"),
            Some(&owner.access),
            json!({}),
        )
        .await;
    let report = r.assert_ok(200);
    assert_eq!(report["ok"], false, "{}", r.text);
    let error = report["error"].as_str().expect("an error");
    assert!(error.contains("refused access"), "{error}");
    assert!(!r.text.contains("EXAMPLEKEY"), "{}", r.text);
    p.stop().await;
}

#[tokio::test]
async fn files_work_on_gcs_through_its_s3_interoperable_api() {
    if common::native_only("the Worker has no gcs provider (only r2 and s3)") {
        return;
    }
    let mut configuration = s3_configuration().await;
    // The gcs provider always signs path-style for region `auto`.
    if let Some(c) = configuration.as_object_mut() {
        c.remove("force_path_style");
    }
    files_work_on("gcs", configuration).await;
}

#[tokio::test]
async fn files_work_on_azure() {
    if common::native_only("the Worker has no azure provider (only r2 and s3)") {
        return;
    }
    files_work_on("azure", azure_configuration().await).await;
}
