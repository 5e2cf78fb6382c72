//! Storage backends through `/api/v1/storages`, against real Postgres and Redis: create, list,
//! edit, test and delete, the one-default rule, validation, permissions and isolation.

use crate::common;

use crate::common::{Platform, Session};
use reqwest::Method;
use serde_json::{Value, json};

/// The provider every runtime has: the local disk natively, the Worker's R2 binding in workerd.
fn provider() -> &'static str {
    match common::runtime() {
        common::Runtime::Native => "local",
        common::Runtime::External { .. } => "r2",
    }
}

async fn send(
    p: &Platform,
    method: Method,
    path: &str,
    who: &Session,
    body: Value,
) -> common::Resp {
    p.send(method, path, Some(&who.access), Some(body)).await
}

#[tokio::test]
async fn storages_are_created_listed_tested_edited_and_deleted() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let first = send(
        &p,
        Method::POST,
        "/api/v1/storages",
        &owner,
        json!({ "name": "Disk", "provider_type": provider() }),
    )
    .await;
    let first = first.assert_ok(201).clone();
    assert_eq!(first["provider_type"], provider());
    assert_eq!(
        first["is_default"], true,
        "an account's first storage is its default"
    );
    assert_eq!(first["used_bytes"], 0);
    let first_id = first["id"].as_str().expect("id").to_string();

    let second = send(
        &p,
        Method::POST,
        "/api/v1/storages",
        &owner,
        json!({ "name": "Archive", "provider_type": provider(), "quota_bytes": 1000 }),
    )
    .await;
    let second = second.assert_ok(201).clone();
    assert_eq!(second["is_default"], false);
    assert_eq!(second["quota_bytes"], 1000);
    let second_id = second["id"].as_str().expect("id").to_string();

    // Making the second the default takes it from the first.
    let moved = send(
        &p,
        Method::PATCH,
        &format!("/api/v1/storages/{second_id}"),
        &owner,
        json!({ "is_default": true, "name": "Archive 2", "quota_bytes": null }),
    )
    .await;
    let moved = moved.assert_ok(200).clone();
    assert_eq!(moved["is_default"], true);
    assert_eq!(moved["name"], "Archive 2");
    assert!(moved["quota_bytes"].is_null());
    let listed = p.get("/api/v1/storages", Some(&owner.access)).await;
    let listed = listed.assert_ok(200).as_array().expect("list").clone();
    let defaults: Vec<&Value> = listed.iter().filter(|s| s["is_default"] == true).collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["id"], second_id.as_str());

    let tested = send(
        &p,
        Method::POST,
        &format!("/api/v1/storages/{first_id}/test"),
        &owner,
        json!({}),
    )
    .await;
    let tested = tested.assert_ok(200).clone();
    assert_eq!(tested["ok"], true, "{tested}");
    assert!(tested["error"].is_null());

    let deleted = send(
        &p,
        Method::DELETE,
        &format!("/api/v1/storages/{first_id}"),
        &owner,
        json!({}),
    )
    .await;
    deleted.assert_ok(200);
    let again = send(
        &p,
        Method::DELETE,
        &format!("/api/v1/storages/{first_id}"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(again.status, 404);
    p.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    for (body, field) in [
        (json!({ "provider_type": provider() }), "name"),
        (
            json!({ "name": "x", "provider_type": "ftp" }),
            "provider_type",
        ),
        (json!({ "name": "x" }), "provider_type"),
        (
            json!({ "name": "x", "provider_type": provider(), "configuration": [1] }),
            "configuration",
        ),
        (
            json!({ "name": "x", "provider_type": provider(), "quota_bytes": -1 }),
            "quota_bytes",
        ),
        (
            json!({ "name": "\u{7}bell", "provider_type": provider() }),
            "name",
        ),
    ] {
        let r = send(&p, Method::POST, "/api/v1/storages", &owner, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["code"], "validation_failed");
        assert!(
            r.body["details"]
                .as_array()
                .is_some_and(|d| d.iter().any(|e| e["field"] == field)),
            "{body}: {}",
            r.text
        );
    }
    let ok = send(
        &p,
        Method::POST,
        "/api/v1/storages",
        &owner,
        json!({ "name": "Disk", "provider_type": provider() }),
    )
    .await;
    let id = ok.assert_ok(201)["id"].as_str().expect("id").to_string();
    let taken = send(
        &p,
        Method::POST,
        "/api/v1/storages",
        &owner,
        json!({ "name": "Disk", "provider_type": provider() }),
    )
    .await;
    assert_eq!(taken.status, 422, "{}", taken.text);
    let undefault = send(
        &p,
        Method::PATCH,
        &format!("/api/v1/storages/{id}"),
        &owner,
        json!({ "is_default": false }),
    )
    .await;
    assert_eq!(undefault.status, 422, "{}", undefault.text);
    let listed = p.get("/api/v1/storages", Some(&owner.access)).await;
    let listed = listed.assert_ok(200).as_array().expect("list").clone();
    assert_eq!(listed.len(), 1, "nothing else was stored");
    assert_eq!(listed[0]["is_default"], true);
    p.stop().await;
}

#[tokio::test]
async fn other_accounts_see_404_and_viewers_cannot_change_storages() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let stranger = p.register("stranger@example.com").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;
    let created = send(
        &p,
        Method::POST,
        "/api/v1/storages",
        &owner,
        json!({ "name": "Disk", "provider_type": provider() }),
    )
    .await;
    let id = created.assert_ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    for (method, path) in [
        (Method::PATCH, format!("/api/v1/storages/{id}")),
        (Method::DELETE, format!("/api/v1/storages/{id}")),
        (Method::POST, format!("/api/v1/storages/{id}/test")),
    ] {
        let r = send(
            &p,
            method.clone(),
            &path,
            &stranger,
            json!({ "name": "mine" }),
        )
        .await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
    }
    let theirs = p.get("/api/v1/storages", Some(&stranger.access)).await;
    assert_eq!(theirs.assert_ok(200).as_array().map(Vec::len), Some(0));
    let refused = send(
        &p,
        Method::POST,
        "/api/v1/storages",
        &viewer,
        json!({ "name": "V", "provider_type": provider() }),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    p.stop().await;
}
