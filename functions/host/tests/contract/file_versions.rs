//! File versions through `/api/v1/files/:id/versions`: new versions streamed like uploads,
//! the newest served by download, old ones downloadable and restorable, numbering under
//! concurrency, quota accounting, permissions and isolation.

use crate::common::files::{multipart, png, post_form};
use crate::common::{Platform, Session};

/// A version's form: the file, and a change description when given.
fn form(name: &str, bytes: &[u8], description: Option<&str>) -> (String, Vec<u8>) {
    let fields: Vec<(&str, &str)> = description
        .map(|d| vec![("change_description", d)])
        .unwrap_or_default();
    multipart(&fields, Some((name, "application/octet-stream", bytes)))
}
use sha2::{Digest, Sha256};

async fn bytes_of(p: &Platform, who: &Session, path: &str) -> (u16, Vec<u8>) {
    let r = p
        .http
        .get(format!("{}{path}", p.base))
        .bearer_auth(&who.access)
        .send()
        .await
        .expect("the API answers");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn versions_are_added_listed_downloaded_and_restored() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let v1 = png(1000);
    let v2 = b"version two is plain text\n".to_vec();
    let (status, body) = post_form(
        &p,
        &owner,
        "/api/v1/files/upload",
        form("doc.png", &v1, None),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().expect("id").to_string();

    let (status, body) = post_form(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/versions"),
        form("ignored.txt", &v2, Some("second draft")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["version"], 2);
    assert_eq!(body["data"]["checksum_sha256"], sha(&v2));
    assert_eq!(body["data"]["change_description"], "second draft");

    let file = p
        .get(&format!("/api/v1/files/{id}"), Some(&owner.access))
        .await;
    let file = file.assert_ok(200).clone();
    assert_eq!(file["version"], 2);
    assert_eq!(file["content_type"], "text/plain");
    assert_eq!(file["file_size"], v2.len());
    assert_eq!(
        file["filename"], "doc.png",
        "a version keeps the file's name"
    );
    assert_eq!(
        bytes_of(&p, &owner, &format!("/api/v1/files/{id}/download"))
            .await
            .1,
        v2
    );
    assert_eq!(
        bytes_of(
            &p,
            &owner,
            &format!("/api/v1/files/{id}/versions/1/download")
        )
        .await
        .1,
        v1
    );

    let (status, body) = post_form(
        &p,
        &owner,
        &format!("/api/v1/files/{id}/versions/1/restore"),
        ("application/json".into(), b"{}".to_vec()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["version"], 3);
    assert_eq!(body["data"]["checksum_sha256"], sha(&v1));
    assert_eq!(
        bytes_of(&p, &owner, &format!("/api/v1/files/{id}/download"))
            .await
            .1,
        v1
    );

    let listed = p
        .get(&format!("/api/v1/files/{id}/versions"), Some(&owner.access))
        .await;
    let versions: Vec<i64> = listed
        .assert_ok(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["version"].as_i64().expect("n"))
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    let storages = p.get("/api/v1/storages", Some(&owner.access)).await;
    assert_eq!(
        storages.assert_ok(200)[0]["used_bytes"],
        2 * v1.len() + v2.len(),
        "every version counts against the storage"
    );
    for missing in ["9", "0", "abc"] {
        let (status, _) = bytes_of(
            &p,
            &owner,
            &format!("/api/v1/files/{id}/versions/{missing}/download"),
        )
        .await;
        assert_eq!(status, 404, "version {missing}");
    }
    p.stop().await;
}

#[tokio::test]
async fn concurrent_versions_get_distinct_numbers() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let (_, body) = post_form(
        &p,
        &owner,
        "/api/v1/files/upload",
        form("a.png", &png(10), None),
    )
    .await;
    let id = body["data"]["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/files/{id}/versions");
    let uploads = (0..5).map(|i| {
        let bytes = png(100 + i);
        post_form(&p, &owner, &path, form("v.png", &bytes, None))
    });
    let results = futures::future::join_all(uploads).await;
    let mut numbers: Vec<i64> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["data"]["version"].as_i64().expect("n")
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [2, 3, 4, 5, 6]);
    p.stop().await;
}

#[tokio::test]
async fn versions_keep_to_their_account_and_permission() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let stranger = p.register("stranger@example.com").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;
    let (_, body) = post_form(
        &p,
        &owner,
        "/api/v1/files/upload",
        form("a.png", &png(10), None),
    )
    .await;
    let id = body["data"]["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/files/{id}/versions");
    let (status, _) = post_form(&p, &stranger, &path, form("x.png", &png(5), None)).await;
    assert_eq!(status, 404);
    let (status, _) = post_form(&p, &viewer, &path, form("x.png", &png(5), None)).await;
    assert_eq!(status, 403);
    assert_eq!(p.get(&path, Some(&stranger.access)).await.status, 404);
    assert_eq!(
        bytes_of(
            &p,
            &stranger,
            &format!("/api/v1/files/{id}/versions/1/download")
        )
        .await
        .0,
        404
    );
    let listed = p.get(&path, Some(&viewer.access)).await;
    assert_eq!(listed.assert_ok(200).as_array().map(Vec::len), Some(1));
    p.stop().await;
}
