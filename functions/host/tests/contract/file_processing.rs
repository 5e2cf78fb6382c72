//! The media runner's side of a file, through `/api/v1/worker/files/...` with the service
//! token: reading the file and its bytes, storing thumbnails and posters (then served to users
//! at `/api/v1/files/:id/thumbnails/:size` and `/poster`), merging metadata, and reporting on
//! processing jobs, from which the file's `processing_status` follows.

use crate::common;

use crate::common::files::{png, processing_jobs, send_bytes, upload_ok};
use crate::common::{Platform, Session};
use reqwest::Method;
use serde_json::{Value, json};

/// Bytes the tests store as derivatives (the API stores what the runner made, as it is).
fn image(tag: u8, len: usize) -> Vec<u8> {
    let mut b = b"\xff\xd8\xff\xe0".to_vec();
    b.extend((0..len).map(|i| (i as u8).wrapping_mul(31) ^ tag));
    b
}

/// A user's GET of `path`: status, headers and the raw bytes.
async fn fetch(
    p: &Platform,
    who: &Session,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = p
        .http
        .get(format!("{}{path}", p.base))
        .bearer_auth(&who.access);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("the API answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("body").to_vec())
}

async fn put_thumbnail(
    p: &Platform,
    id: &str,
    version: i64,
    size: &str,
    bytes: Vec<u8>,
) -> common::Resp {
    send_bytes(
        p,
        Method::PUT,
        &format!("/api/v1/worker/files/{id}/versions/{version}/thumbnails/{size}"),
        Some(&p.service_token()),
        &[("content-type", "image/jpeg")],
        bytes,
    )
    .await
}

async fn report(p: &Platform, file: &str, job: &str, body: Value) -> common::Resp {
    p.send(
        Method::PATCH,
        &format!("/api/v1/worker/files/{file}/processing_jobs/{job}"),
        Some(&p.service_token()),
        Some(body),
    )
    .await
}

async fn status_of(p: &Platform, who: &Session, file: &str) -> String {
    let r = p
        .get(&format!("/api/v1/files/{file}"), Some(&who.access))
        .await;
    r.assert_ok(200)["processing_status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn worker_file_routes_take_only_the_service_token() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let file = upload_ok(&p, &owner, "a.png", &png(100), &[]).await;
    let id = file["id"].as_str().expect("id");
    for path in [
        format!("/api/v1/worker/files/{id}"),
        format!("/api/v1/worker/files/{id}/content"),
    ] {
        p.get(&path, Some(&owner.access))
            .await
            .assert_error(401, "unauthorized");
        p.get(&path, None).await.assert_error(401, "unauthorized");
    }
    let r = send_bytes(
        &p,
        Method::PUT,
        &format!("/api/v1/worker/files/{id}/versions/1/thumbnails/150"),
        Some(&owner.access),
        &[("content-type", "image/jpeg")],
        image(1, 10),
    )
    .await;
    r.assert_error(401, "unauthorized");
    // Nothing was stored by the refused call.
    let r = p
        .get(&format!("/api/v1/files/{id}"), Some(&owner.access))
        .await;
    assert_eq!(r.assert_ok(200)["thumbnails"]["150"], Value::Null);
    p.stop().await;
}

#[tokio::test]
async fn the_runner_reads_any_accounts_file_and_its_bytes() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(5000);
    let file = upload_ok(&p, &owner, "photo.png", &bytes, &[]).await;
    let id = file["id"].as_str().expect("id");
    let service = p.service_token();

    let r = p
        .get(&format!("/api/v1/worker/files/{id}"), Some(&service))
        .await;
    let seen = r.assert_ok(200);
    assert_eq!(seen["id"], id);
    assert_eq!(seen["content_type"], "image/png");
    assert_eq!(seen["version"], 1);

    let get = |path: String, range: Option<&'static str>| {
        let mut req = p
            .http
            .get(format!("{}{path}", p.base))
            .bearer_auth(&service);
        if let Some(r) = range {
            req = req.header("range", r);
        }
        req.send()
    };
    let r = get(format!("/api/v1/worker/files/{id}/content"), None)
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), bytes);
    let r = get(
        format!("/api/v1/worker/files/{id}/content?version=1"),
        Some("bytes=0-7"),
    )
    .await
    .expect("answers");
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(
        r.bytes().await.expect("bytes").to_vec(),
        bytes[..8].to_vec()
    );

    for path in [
        format!("/api/v1/worker/files/{id}/content?version=2"),
        format!("/api/v1/worker/files/{id}/content?version=zero"),
        "/api/v1/worker/files/00000000-0000-7000-8000-000000000000".to_string(),
        "/api/v1/worker/files/not-a-uuid/content".to_string(),
    ] {
        assert_eq!(p.get(&path, Some(&service)).await.status, 404, "{path}");
    }
    p.stop().await;
}

#[tokio::test]
async fn thumbnails_and_posters_are_served_once_the_runner_stored_them() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;
    let stranger = p.register("stranger@example.com").await;
    let file = upload_ok(&p, &owner, "photo.png", &png(100), &[]).await;
    let id = file["id"].as_str().expect("id");
    let thumb = format!("/api/v1/files/{id}/thumbnails/150");
    assert_eq!(
        file["thumbnails"],
        json!({ "150": null, "300": null, "600": null })
    );
    assert_eq!(fetch(&p, &owner, &thumb, &[]).await.0, 404, "not made yet");

    let first = image(1, 3000);
    let r = put_thumbnail(&p, id, 1, "150", first.clone()).await;
    let stored = r.assert_ok(200);
    assert_eq!(stored["thumbnails"]["150"], thumb.as_str());
    assert_eq!(stored["thumbnails"]["300"], Value::Null);

    let (status, headers, body) = fetch(&p, &owner, &thumb, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, first);
    assert_eq!(headers["content-type"], "image/jpeg");
    let etag = headers["etag"].to_str().expect("etag").to_string();
    let (status, _, body) = fetch(&p, &owner, &thumb, &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.len()), (304, 0));
    // A viewer reads them too; another account cannot tell the file exists.
    assert_eq!(fetch(&p, &viewer, &thumb, &[]).await.0, 200);
    assert_eq!(fetch(&p, &stranger, &thumb, &[]).await.0, 404);

    // A reprocess replaces it: new bytes, a new validator.
    let second = image(2, 2000);
    put_thumbnail(&p, id, 1, "150", second.clone())
        .await
        .assert_ok(200);
    let (status, headers, body) = fetch(&p, &owner, &thumb, &[("if-none-match", &etag)]).await;
    assert_eq!((status, body), (200, second));
    assert_ne!(headers["etag"].to_str().expect("etag"), etag);
    let derivatives = |p: &Platform| p.local_objects(&format!("{id}/derivatives/"));
    if let Some(objects) = derivatives(&p) {
        assert_eq!(
            objects.len(),
            1,
            "the replaced thumbnail's object is gone: {objects:?}"
        );
    }

    // What the runner may not send.
    put_thumbnail(&p, id, 1, "151", image(3, 10))
        .await
        .assert_error(404, "not_found");
    put_thumbnail(&p, id, 7, "300", image(3, 10))
        .await
        .assert_error(409, "conflict");
    let r = send_bytes(
        &p,
        Method::PUT,
        &format!("/api/v1/worker/files/{id}/versions/1/thumbnails/300"),
        Some(&p.service_token()),
        &[("content-type", "text/html")],
        b"<script>".to_vec(),
    )
    .await;
    r.assert_error(422, "validation_failed");
    assert_eq!(
        fetch(
            &p,
            &owner,
            &format!("/api/v1/files/{id}/thumbnails/300"),
            &[]
        )
        .await
        .0,
        404,
        "refused uploads store nothing"
    );
    assert_eq!(
        fetch(
            &p,
            &owner,
            &format!("/api/v1/files/{id}/thumbnails/big"),
            &[]
        )
        .await
        .0,
        404
    );

    // The poster.
    let poster = format!("/api/v1/files/{id}/poster");
    assert_eq!(fetch(&p, &owner, &poster, &[]).await.0, 404);
    let frame = image(9, 4000);
    let r = send_bytes(
        &p,
        Method::PUT,
        &format!("/api/v1/worker/files/{id}/versions/1/poster"),
        Some(&p.service_token()),
        &[("content-type", "image/jpeg")],
        frame.clone(),
    )
    .await;
    assert_eq!(r.assert_ok(200)["poster"], poster.as_str());
    let (status, _, body) = fetch(&p, &owner, &poster, &[]).await;
    assert_eq!((status, body), (200, frame));

    // A new version makes the old derivatives stale: they are gone from the file, and work
    // finished late for version 1 is refused.
    let (ct, body) = common::files::multipart(&[], Some(("photo.png", "image/png", &png(300))));
    let (status, _) = common::files::post_form(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/versions"),
        (ct, body),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(fetch(&p, &owner, &thumb, &[]).await.0, 404);
    assert_eq!(fetch(&p, &owner, &poster, &[]).await.0, 404);
    put_thumbnail(&p, id, 1, "150", image(4, 10))
        .await
        .assert_error(409, "conflict");
    put_thumbnail(&p, id, 2, "150", image(5, 10))
        .await
        .assert_ok(200);
    assert_eq!(fetch(&p, &owner, &thumb, &[]).await.2, image(5, 10));
    if let Some(objects) = derivatives(&p) {
        assert_eq!(
            objects.len(),
            1,
            "only version 2's thumbnail is kept: {objects:?}"
        );
    }

    // A soft-deleted file's derivatives are as hidden as its bytes.
    p.send(
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        Some(&owner.access),
        None,
    )
    .await
    .assert_ok(200);
    assert_eq!(fetch(&p, &owner, &thumb, &[]).await.0, 404);
    // Deleting it for good removes every object it had, derivatives included.
    p.send(
        Method::DELETE,
        &format!("/api/v1/files/{id}?permanent=true"),
        Some(&owner.access),
        None,
    )
    .await
    .assert_ok(200);
    if let Some(objects) = p.local_objects(id) {
        assert!(objects.is_empty(), "{objects:?}");
    }
    p.stop().await;
}

#[tokio::test]
async fn reports_on_processing_jobs_drive_the_files_status() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let file = upload_ok(&p, &owner, "photo.png", &png(100), &[]).await;
    let id = file["id"].as_str().expect("id");
    assert_eq!(file["processing_status"], "pending");
    let jobs = processing_jobs(&p, &owner, id).await;
    let job = |t: &str| {
        jobs.iter()
            .find(|(jt, _)| jt == t)
            .map(|(_, j)| j.clone())
            .unwrap_or_else(|| panic!("no {t} job in {jobs:?}"))
    };
    let (thumb, meta) = (job("media.thumbnail"), job("media.metadata"));

    // Work must start before it ends.
    report(&p, id, &thumb, json!({ "status": "completed" }))
        .await
        .assert_error(409, "conflict");
    report(&p, id, &thumb, json!({ "status": "processing" }))
        .await
        .assert_ok(200);
    assert_eq!(status_of(&p, &owner, id).await, "processing");
    let done = report(
        &p,
        id,
        &thumb,
        json!({ "status": "completed", "result_data": { "sizes": [150, 300, 600] } }),
    )
    .await;
    let done = done.assert_ok(200);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["result_data"], json!({ "sizes": [150, 300, 600] }));
    assert!(done["completed_at"].is_string());
    assert_eq!(
        status_of(&p, &owner, id).await,
        "processing",
        "the metadata job is still pending"
    );

    // A failure with its reason, then the retry that succeeds.
    report(&p, id, &meta, json!({ "status": "processing" }))
        .await
        .assert_ok(200);
    report(&p, id, &meta, json!({ "status": "failed" }))
        .await
        .assert_error(422, "validation_failed");
    let failed = report(
        &p,
        id,
        &meta,
        json!({ "status": "failed", "error": "ffprobe: invalid data found" }),
    )
    .await;
    assert_eq!(
        failed.assert_ok(200)["error"],
        "ffprobe: invalid data found"
    );
    assert_eq!(status_of(&p, &owner, id).await, "failed");
    report(&p, id, &meta, json!({ "status": "processing" }))
        .await
        .assert_ok(200);
    let retried = report(&p, id, &meta, json!({ "status": "completed" })).await;
    let retried = retried.assert_ok(200);
    assert_eq!(retried["attempts"], 2);
    assert_eq!(retried["error"], Value::Null);
    assert_eq!(status_of(&p, &owner, id).await, "completed");

    // Completed is final; bad reports change nothing.
    report(&p, id, &thumb, json!({ "status": "processing" }))
        .await
        .assert_error(409, "conflict");
    for bad in [
        json!({ "status": "done" }),
        json!({}),
        json!({ "status": "completed", "result_data": [1] }),
    ] {
        report(&p, id, &meta, bad.clone())
            .await
            .assert_error(422, "validation_failed");
    }
    let other = upload_ok(&p, &owner, "other.png", &png(10), &[]).await;
    let other_id = other["id"].as_str().expect("id");
    report(&p, other_id, &thumb, json!({ "status": "processing" }))
        .await
        .assert_error(404, "not_found");
    assert_eq!(status_of(&p, &owner, id).await, "completed");

    // The user sees the history.
    let r = p
        .get(
            &format!("/api/v1/files/{id}/processing_jobs"),
            Some(&owner.access),
        )
        .await;
    let listed = r.assert_ok(200).as_array().expect("list").clone();
    assert!(
        listed.iter().all(|j| j["status"] == "completed"),
        "{listed:?}"
    );

    // Reprocessing queues new jobs: the file is pending again until the runner reports.
    let r = p
        .post(
            &format!("/api/v1/files/{id}/reprocess"),
            Some(&owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(status_of(&p, &owner, id).await, "pending");
    p.stop().await;
}

#[tokio::test]
async fn processing_results_merge_into_the_files_metadata() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let file = upload_ok(
        &p,
        &owner,
        "photo.png",
        &png(100),
        &[("metadata", r#"{"album": "trip"}"#)],
    )
    .await;
    let id = file["id"].as_str().expect("id");
    let path = format!("/api/v1/worker/files/{id}/metadata");
    let service = p.service_token();
    let r = p
        .post(
            &path,
            Some(&service),
            json!({ "metadata": { "width": 4000, "height": 3000, "exif": { "make": "Canon" } } }),
        )
        .await;
    assert_eq!(
        r.assert_ok(200)["metadata"],
        json!({ "album": "trip", "width": 4000, "height": 3000, "exif": { "make": "Canon" } })
    );
    let r = p
        .post(
            &path,
            Some(&service),
            json!({ "metadata": { "height": null, "width": 10 } }),
        )
        .await;
    assert_eq!(
        r.assert_ok(200)["metadata"],
        json!({ "album": "trip", "width": 10, "exif": { "make": "Canon" } })
    );
    for bad in [json!({ "metadata": [1] }), json!({})] {
        p.post(&path, Some(&service), bad)
            .await
            .assert_error(422, "validation_failed");
    }
    p.post(
        &path,
        Some(&owner.access),
        json!({ "metadata": { "x": 1 } }),
    )
    .await
    .assert_error(401, "unauthorized");
    let r = p
        .get(&format!("/api/v1/files/{id}"), Some(&owner.access))
        .await;
    assert_eq!(r.assert_ok(200)["metadata"]["width"], 10);
    p.stop().await;
}
