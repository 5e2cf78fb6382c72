//! A file's record after upload, through `/api/v1/files/:id/...` and `/api/v1/tags`: edits
//! with metadata merging, soft delete / restore / permanent delete (bytes and quota given
//! back), tags, processing jobs and reprocessing, with permissions and isolation.

use crate::common;

use crate::common::files::{png, upload_ok, used_bytes};
use crate::common::{Platform, Session};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(p: &Platform, m: Method, path: &str, who: &Session, body: Value) -> common::Resp {
    p.send(m, path, Some(&who.access), Some(body)).await
}

#[tokio::test]
async fn edits_merge_metadata_and_sanitize_names() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let stranger = p.register("stranger@example.com").await;
    let file = upload_ok(&p, &owner, "a.png", &png(10), &[]).await;
    let id = file["id"].as_str().expect("id");
    let path = format!("/api/v1/files/{id}");
    let first = call(
        &p,
        Method::PATCH,
        &path,
        &owner,
        json!({ "metadata": { "a": 1, "b": 2 } }),
    )
    .await;
    assert_eq!(first.assert_ok(200)["metadata"], json!({ "a": 1, "b": 2 }));
    let second = call(
        &p,
        Method::PATCH,
        &path,
        &owner,
        json!({ "filename": "../x/new name.png", "category": "photos", "visibility": "public", "metadata": { "a": null, "c": 3 } }),
    )
    .await;
    let second = second.assert_ok(200).clone();
    assert_eq!(second["filename"], "new name.png");
    assert_eq!(second["category"], "photos");
    assert_eq!(second["visibility"], "public");
    assert_eq!(second["metadata"], json!({ "b": 2, "c": 3 }));
    for bad in [
        json!({ "visibility": "world" }),
        json!({ "category": "Has Spaces" }),
        json!({ "metadata": [1] }),
        json!({ "filename": "  " }),
    ] {
        let r = call(&p, Method::PATCH, &path, &owner, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let unchanged = p.get(&path, Some(&owner.access)).await;
    assert_eq!(unchanged.assert_ok(200)["filename"], "new name.png");
    let theirs = call(
        &p,
        Method::PATCH,
        &path,
        &stranger,
        json!({ "category": "x" }),
    )
    .await;
    assert_eq!(theirs.status, 404);
    p.stop().await;
}

#[tokio::test]
async fn soft_delete_restore_and_permanent_delete() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(5000);
    let file = upload_ok(&p, &owner, "keep.png", &bytes, &[]).await;
    let id = file["id"].as_str().expect("id").to_string();
    assert_eq!(used_bytes(&p, &owner).await, bytes.len() as i64);

    let deleted = call(
        &p,
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        &owner,
        json!({}),
    )
    .await;
    assert!(deleted.assert_ok(200)["deleted_at"].is_string());
    let listed = p.get("/api/v1/files", Some(&owner.access)).await;
    assert_eq!(listed.assert_ok(200).as_array().map(Vec::len), Some(0));
    let with_deleted = p
        .get("/api/v1/files?include_deleted=true", Some(&owner.access))
        .await;
    assert_eq!(
        with_deleted.assert_ok(200).as_array().map(Vec::len),
        Some(1)
    );
    let gone = p
        .get(&format!("/api/v1/files/{id}/download"), Some(&owner.access))
        .await;
    assert_eq!(gone.status, 404);
    let again = call(
        &p,
        Method::DELETE,
        &format!("/api/v1/files/{id}"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(again.status, 404, "already deleted");

    let restored = call(
        &p,
        Method::POST,
        &format!("/api/v1/files/{id}/restore"),
        &owner,
        json!({}),
    )
    .await;
    assert!(restored.assert_ok(200)["deleted_at"].is_null());
    let back = p
        .http
        .get(format!("{}/api/v1/files/{id}/download", p.base))
        .bearer_auth(&owner.access)
        .send()
        .await
        .expect("download");
    assert_eq!(back.bytes().await.expect("body").as_ref(), bytes.as_slice());
    let twice = call(
        &p,
        Method::POST,
        &format!("/api/v1/files/{id}/restore"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(twice.status, 409);

    let purged = call(
        &p,
        Method::DELETE,
        &format!("/api/v1/files/{id}?permanent=true"),
        &owner,
        json!({}),
    )
    .await;
    purged.assert_ok(200);
    assert_eq!(
        p.get(&format!("/api/v1/files/{id}"), Some(&owner.access))
            .await
            .status,
        404
    );
    assert_eq!(used_bytes(&p, &owner).await, 0, "the quota is given back");
    let bad = call(
        &p,
        Method::DELETE,
        &format!("/api/v1/files/{id}?permanent=maybe"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(bad.status, 400);
    p.stop().await;
}

#[tokio::test]
async fn tags_are_normalized_counted_and_removed() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;
    let a = upload_ok(&p, &owner, "a.png", &png(5), &[("tags", "work")]).await;
    let b = upload_ok(&p, &owner, "b.png", &png(6), &[]).await;
    let (a, b) = (a["id"].as_str().expect("id"), b["id"].as_str().expect("id"));
    let tagged = call(
        &p,
        Method::POST,
        &format!("/api/v1/files/{b}/tags"),
        &owner,
        json!({ "tags": [" Work ", "URGENT", "two words"] }),
    )
    .await;
    assert_eq!(
        tagged.assert_ok(200)["tags"],
        json!(["two words", "urgent", "work"])
    );
    let counts = p.get("/api/v1/tags", Some(&owner.access)).await;
    assert_eq!(
        counts.assert_ok(200).clone(),
        json!([
            { "name": "two words", "file_count": 1 },
            { "name": "urgent", "file_count": 1 },
            { "name": "work", "file_count": 2 }
        ])
    );
    let untagged = call(
        &p,
        Method::DELETE,
        &format!("/api/v1/files/{b}/tags/two%20words"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(untagged.assert_ok(200)["tags"], json!(["urgent", "work"]));
    let missing = call(
        &p,
        Method::DELETE,
        &format!("/api/v1/files/{a}/tags/urgent"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(missing.status, 404);
    for bad in [
        json!({ "tags": ["x".repeat(65)] }),
        json!({ "tags": [] }),
        json!({ "tags": ["  "] }),
    ] {
        let r = call(
            &p,
            Method::POST,
            &format!("/api/v1/files/{a}/tags"),
            &owner,
            bad.clone(),
        )
        .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let refused = call(
        &p,
        Method::POST,
        &format!("/api/v1/files/{a}/tags"),
        &viewer,
        json!({ "tags": ["v"] }),
    )
    .await;
    assert_eq!(refused.status, 403);
    p.stop().await;
}

#[tokio::test]
async fn processing_jobs_are_listed_and_queued_again() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let stranger = p.register("stranger@example.com").await;
    let file = upload_ok(&p, &owner, "a.png", &png(5), &[]).await;
    let id = file["id"].as_str().expect("id");
    let jobs = p
        .get(
            &format!("/api/v1/files/{id}/processing_jobs"),
            Some(&owner.access),
        )
        .await;
    let jobs = jobs.assert_ok(200).as_array().expect("list").clone();
    let types: Vec<&str> = jobs
        .iter()
        .map(|j| j["job_type"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["media.thumbnail", "media.metadata"]);
    assert!(
        jobs.iter()
            .all(|j| j["status"] == "pending" && j["attempts"] == 0)
    );
    let again = call(
        &p,
        Method::POST,
        &format!("/api/v1/files/{id}/reprocess"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(again.status, 202, "{}", again.text);
    assert_eq!(again.body["data"].as_array().map(Vec::len), Some(4));
    let queued: i64 =
        p.db.query_one(
            "SELECT count(*) FROM jobs WHERE queue = 'file_processing' AND args->>'file_id' = $1",
            &[&id],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(queued, 4);
    let theirs = p
        .get(
            &format!("/api/v1/files/{id}/processing_jobs"),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(theirs.status, 404);
    p.stop().await;
}
