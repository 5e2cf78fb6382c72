//! Direct-to-storage uploads: `POST /api/v1/files/uploads` hands out an upload URL, the client
//! sends the bytes there, and `POST /api/v1/files/uploads/:id/complete` verifies the object and
//! makes it a file, as a multipart upload would.

use crate::common::files::{png, processing_jobs, send_bytes, send_to_upload_url};
use crate::common::{Platform, Resp, Session};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn start(p: &Platform, who: &Session, body: Value) -> Resp {
    p.post("/api/v1/files/uploads", Some(&who.access), body)
        .await
}

async fn send(p: &Platform, upload: &Value, bytes: Vec<u8>) -> Resp {
    send_to_upload_url(p, upload, bytes).await
}

async fn complete(p: &Platform, who: &Session, id: &str) -> Resp {
    p.post(
        &format!("/api/v1/files/uploads/{id}/complete"),
        Some(&who.access),
        json!({}),
    )
    .await
}

async fn file_count(p: &Platform, who: &Session) -> u64 {
    let r = p.get("/api/v1/files", Some(&who.access)).await;
    r.body["meta"]["pagination"]["total"]
        .as_u64()
        .expect("total")
}

#[tokio::test]
async fn a_direct_upload_becomes_a_file_once_completed() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(70_000);
    let r = start(
        &p,
        &owner,
        json!({
            "filename": "../holiday/beach.png",
            "content_type": "image/png",
            "file_size": bytes.len(),
            "tags": ["Summer ", "beach"],
            "metadata": { "album": "2026" },
        }),
    )
    .await;
    let upload = r.assert_ok(201).clone();
    let id = upload["file_id"].as_str().expect("file_id").to_string();
    assert_eq!(upload["upload_method"], "PUT");
    assert!(upload["expires_at"].is_string());

    // Nothing shows before the bytes are verified.
    assert_eq!(file_count(&p, &owner).await, 0);
    p.get(&format!("/api/v1/files/{id}"), Some(&owner.access))
        .await
        .assert_error(404, "not_found");
    complete(&p, &owner, &id)
        .await
        .assert_error(409, "conflict");
    assert_eq!(
        p.get("/api/v1/tags", Some(&owner.access)).await.body["data"],
        json!([])
    );

    let r = send(&p, &upload, bytes.clone()).await;
    assert!(
        r.status < 300,
        "the upload URL takes the bytes: {} {}",
        r.status,
        r.text
    );
    let r = complete(&p, &owner, &id).await;
    let file = r.assert_ok(201).clone();
    assert_eq!(file["id"], id.as_str());
    assert_eq!(file["filename"], "beach.png");
    assert_eq!(
        file["content_type"], "image/png",
        "sniffed from the stored bytes"
    );
    assert_eq!(file["category"], "image");
    assert_eq!(file["file_size"], bytes.len());
    assert_eq!(file["checksum_sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(file["tags"], json!(["beach", "summer"]));
    assert_eq!(file["metadata"], json!({ "album": "2026" }));
    assert_eq!(file["version"], 1);
    let mut jobs: Vec<String> = processing_jobs(&p, &owner, &id)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    jobs.sort();
    assert_eq!(jobs, ["media.metadata", "media.thumbnail"]);

    let got = p
        .http
        .get(format!("{}/api/v1/files/{id}/download", p.base))
        .bearer_auth(&owner.access)
        .send()
        .await
        .expect("download");
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), bytes);
    assert_eq!(file_count(&p, &owner).await, 1);

    // Done is done.
    complete(&p, &owner, &id)
        .await
        .assert_error(409, "conflict");
    let again = send(&p, &upload, png(10)).await;
    assert!(
        again.status >= 400,
        "a completed upload's URL takes nothing more"
    );
    p.stop().await;
}

#[tokio::test]
async fn the_object_must_be_what_was_announced() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(1000);
    let upload = start(
        &p,
        &owner,
        json!({ "filename": "a.png", "content_type": "image/png", "file_size": bytes.len() }),
    )
    .await
    .assert_ok(201)
    .clone();
    // Too few bytes: refused (by the API's URL at once, by a provider's at `complete`).
    let short = send(&p, &upload, bytes[..500].to_vec()).await;
    if short.status < 300 {
        let id = upload["file_id"].as_str().expect("id");
        complete(&p, &owner, id)
            .await
            .assert_error(422, "validation_failed");
    }
    // The right bytes, then, complete.
    let r = send(&p, &upload, bytes.clone()).await;
    assert!(r.status < 300, "{}", r.text);
    let id = upload["file_id"].as_str().expect("id");
    complete(&p, &owner, id).await.assert_ok(201);
    p.stop().await;
}

#[tokio::test]
async fn this_apis_upload_urls_cannot_be_altered_or_overfilled() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let upload = start(
        &p,
        &owner,
        json!({ "filename": "a.png", "content_type": "image/png", "file_size": 100 }),
    )
    .await
    .assert_ok(201)
    .clone();
    let url = upload["upload_url"].as_str().expect("url").to_string();
    if url.starts_with("http") {
        // The provider signs this one; its own rules apply (tested per provider).
        p.stop().await;
        return;
    }
    assert!(url.starts_with("/api/v1/files/uploads/"), "{url}");
    let put = |path: String, bytes: Vec<u8>| {
        let p = &p;
        async move { send_bytes(p, Method::PUT, &path, None, &[], bytes).await }
    };
    // A changed signature, expiry or id.
    let flipped = {
        let mut u = url.clone();
        let last = u.pop().expect("non-empty");
        u.push(if last == '0' { '1' } else { '0' });
        u
    };
    put(flipped, png(92)).await.assert_error(403, "forbidden");
    let later = url.replace("expires=", "expires=9");
    put(later, png(92)).await.assert_error(403, "forbidden");
    put(url.replace("/uploads/", "/uploads/x"), png(92))
        .await
        .assert_error(403, "forbidden");
    // More than announced.
    put(url.clone(), png(500))
        .await
        .assert_error(413, "payload_too_large");
    let id = upload["file_id"].as_str().expect("id");
    complete(&p, &owner, id).await.assert_error(409, "conflict");
    // Exactly what was announced (16 signature bytes + 84).
    put(url.clone(), png(84)).await.assert_ok(200);
    complete(&p, &owner, id).await.assert_ok(201);
    p.stop().await;
}

#[tokio::test]
async fn announcements_are_checked_against_limits_quota_and_permissions() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;
    let stranger = p.register("stranger@example.com").await;
    let ok = json!({ "filename": "a.png", "content_type": "image/png", "file_size": 100 });

    for (bad, field) in [
        (
            json!({ "content_type": "image/png", "file_size": 1 }),
            "filename",
        ),
        (json!({ "filename": "a", "file_size": 1 }), "content_type"),
        (
            json!({ "filename": "a", "content_type": "image/png\r\nX: y", "file_size": 1 }),
            "content_type",
        ),
        (
            json!({ "filename": "a", "content_type": "image/png" }),
            "file_size",
        ),
        (
            json!({ "filename": "a", "content_type": "image/png", "file_size": -1 }),
            "file_size",
        ),
        (
            json!({ "filename": "a", "content_type": "image/png", "file_size": 1, "visibility": "all" }),
            "visibility",
        ),
        (
            json!({ "filename": "a", "content_type": "image/png", "file_size": 1, "metadata": [] }),
            "metadata",
        ),
        (
            json!({ "filename": "a", "content_type": "image/png", "file_size": 1, "tags": [""] }),
            "tags",
        ),
    ] {
        let r = start(&p, &owner, bad.clone()).await;
        r.assert_error(422, "validation_failed");
        assert!(
            r.detail_fields().contains(&field.to_string()),
            "{bad}: {}",
            r.text
        );
    }
    start(
        &p,
        &owner,
        json!({ "filename": "a", "content_type": "image/png", "file_size": 1_u64 << 50 }),
    )
    .await
    .assert_error(413, "payload_too_large");
    start(&p, &viewer, ok.clone())
        .await
        .assert_error(403, "forbidden");

    // Another account's upload is not found, and completing it does nothing.
    let upload = start(&p, &owner, ok.clone()).await.assert_ok(201).clone();
    let id = upload["file_id"].as_str().expect("id").to_string();
    complete(&p, &stranger, &id)
        .await
        .assert_error(404, "not_found");
    complete(&p, &viewer, &id)
        .await
        .assert_error(403, "forbidden");
    complete(&p, &owner, "not-a-uuid")
        .await
        .assert_error(404, "not_found");

    // The quota: an announcement past it is refused at once; one that fit when announced
    // but no longer does is refused at `complete`, and nothing of it stays.
    let storages = p.get("/api/v1/storages", Some(&owner.access)).await;
    let storage = storages.assert_ok(200)[0]["id"]
        .as_str()
        .expect("storage")
        .to_string();
    p.send(
        Method::PATCH,
        &format!("/api/v1/storages/{storage}"),
        Some(&owner.access),
        Some(json!({ "quota_bytes": 1000 })),
    )
    .await
    .assert_ok(200);
    start(
        &p,
        &owner,
        json!({ "filename": "big.png", "content_type": "image/png", "file_size": 1001 }),
    )
    .await
    .assert_error(422, "quota_exceeded");
    let late = start(
        &p,
        &owner,
        json!({ "filename": "late.png", "content_type": "image/png", "file_size": 600 }),
    )
    .await
    .assert_ok(201)
    .clone();
    let first = start(
        &p,
        &owner,
        json!({ "filename": "first.png", "content_type": "image/png", "file_size": 600 }),
    )
    .await
    .assert_ok(201)
    .clone();
    assert!(send(&p, &first, png(584)).await.status < 300);
    complete(&p, &owner, first["file_id"].as_str().expect("id"))
        .await
        .assert_ok(201);
    let sent = send(&p, &late, png(584)).await;
    if sent.status < 300 {
        let late_id = late["file_id"].as_str().expect("id");
        complete(&p, &owner, late_id)
            .await
            .assert_error(422, "quota_exceeded");
        complete(&p, &owner, late_id)
            .await
            .assert_error(404, "not_found");
    } else {
        // This API's own URL already enforces the quota while receiving.
        sent.assert_error(422, "quota_exceeded");
    }
    let r = p.get("/api/v1/storages", Some(&owner.access)).await;
    assert_eq!(r.assert_ok(200)[0]["used_bytes"], 600);
    assert_eq!(file_count(&p, &owner).await, 1);
    p.stop().await;
}
