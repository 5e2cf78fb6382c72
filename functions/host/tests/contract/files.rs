//! Files through `/api/v1/files`, against real Postgres, Redis and the runtime's storage (the
//! local disk natively, the Worker's R2 binding in workerd): multipart upload with sniffing,
//! hashing, tags and queued processing; get, list and filters; downloads with ETag and Range;
//! quotas; hostile filenames; permissions and isolation.

use crate::common;

use crate::common::files::{multipart, png, post_form};
use crate::common::{Platform, Session};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn upload_raw(
    p: &Platform,
    who: &Session,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    p.http
        .post(format!("{}/api/v1/files/upload", p.base))
        .bearer_auth(&who.access)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the API answers")
}

async fn upload(
    p: &Platform,
    who: &Session,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> (u16, Value) {
    post_form(
        p,
        who,
        "/api/v1/files/upload",
        multipart(fields, Some(file)),
    )
    .await
}

async fn download(
    p: &Platform,
    who: &Session,
    id: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = p
        .http
        .get(format!("{}/api/v1/files/{id}/download", p.base))
        .bearer_auth(&who.access);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("the API answers")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn an_upload_is_sniffed_hashed_tagged_queued_and_downloads_back() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(300_000);
    // The client claims text: the bytes say PNG.
    let (status, body) = upload(
        &p,
        &owner,
        &[
            ("tags", "Holiday, beach ,holiday"),
            ("metadata", r#"{"camera": "test"}"#),
            ("visibility", "account"),
        ],
        ("holiday photo.txt", "text/plain", &bytes),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let file = &body["data"];
    assert_eq!(file["filename"], "holiday photo.txt");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["category"], "image");
    assert_eq!(file["file_size"], bytes.len());
    assert_eq!(file["checksum_sha256"], sha256_hex(&bytes));
    assert_eq!(file["visibility"], "account");
    assert_eq!(file["version"], 1);
    assert_eq!(file["processing_status"], "pending");
    assert_eq!(file["metadata"], json!({ "camera": "test" }));
    assert_eq!(file["tags"], json!(["beach", "holiday"]));
    assert_eq!(
        file["thumbnails"],
        json!({ "150": null, "300": null, "600": null })
    );
    let id = file["id"].as_str().expect("id").to_string();

    // Its processing was queued in the same transaction: a thumbnail and a metadata job.
    let rows = p
        .db
        .query(
            "SELECT job_type, queue, priority FROM jobs WHERE args->>'file_id' = $1 ORDER BY job_type",
            &[&id],
        )
        .await
        .expect("jobs");
    let jobs: Vec<(String, String, i16)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        jobs,
        [
            ("media.metadata".into(), "file_processing".into(), 2),
            ("media.thumbnail".into(), "file_processing".into(), 2)
        ]
    );

    let whole = download(&p, &owner, &id, &[]).await;
    assert_eq!(whole.status(), 200);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"holiday photo.txt\"; filename*=UTF-8''holiday%20photo.txt"
    );
    let etag = headers["etag"].to_str().expect("etag").to_string();
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&bytes)));
    assert_eq!(
        whole.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );

    let cached = download(&p, &owner, &id, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status(), 304);
    let part = download(&p, &owner, &id, &[("range", "bytes=100-199")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.expect("body").as_ref(), &bytes[100..200]);
    let tail = download(&p, &owner, &id, &[("range", "bytes=-10")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.expect("body").as_ref(),
        &bytes[bytes.len() - 10..]
    );
    let past = download(&p, &owner, &id, &[("range", "bytes=999999999-")]).await;
    assert_eq!(past.status(), 416);

    let got = p
        .get(&format!("/api/v1/files/{id}"), Some(&owner.access))
        .await;
    assert_eq!(got.assert_ok(200)["checksum_sha256"], sha256_hex(&bytes));
    p.stop().await;
}

#[tokio::test]
async fn the_list_pages_and_filters() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    upload(
        &p,
        &owner,
        &[("tags", "red")],
        ("a.png", "image/png", &png(10)),
    )
    .await;
    upload(
        &p,
        &owner,
        &[("tags", "blue")],
        ("notes.txt", "text/plain", b"plain words\n"),
    )
    .await;
    upload(
        &p,
        &owner,
        &[],
        ("Report.TXT", "application/pdf", b"more words\n"),
    )
    .await;
    let list = |query: &'static str| {
        let p = &p;
        let owner = &owner;
        async move {
            let r = p
                .get(&format!("/api/v1/files{query}"), Some(&owner.access))
                .await;
            let names: Vec<String> = r
                .assert_ok(200)
                .as_array()
                .expect("list")
                .iter()
                .map(|f| f["filename"].as_str().expect("name").to_string())
                .collect();
            (names, r.body["meta"]["pagination"].clone())
        }
    };
    let (all, meta) = list("").await;
    assert_eq!(all, ["Report.TXT", "notes.txt", "a.png"], "newest first");
    assert_eq!(meta["total"], 3);
    assert_eq!(list("?tag=RED").await.0, ["a.png"]);
    assert_eq!(
        list("?category=document").await.0,
        ["Report.TXT", "notes.txt"]
    );
    assert_eq!(list("?q=report").await.0, ["Report.TXT"]);
    assert_eq!(list("?content_type=image/").await.0, ["a.png"]);
    let (page2, meta) = list("?per_page=2&page=2").await;
    assert_eq!(page2, ["a.png"]);
    assert_eq!(meta["total_pages"], 2);
    let bad = p
        .get("/api/v1/files?per_page=500", Some(&owner.access))
        .await;
    assert_eq!(bad.status, 400);
    p.stop().await;
}

#[tokio::test]
async fn hostile_names_are_defused_and_bad_bodies_store_nothing() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let (status, body) = upload(
        &p,
        &owner,
        &[],
        ("../../etc/pass\u{202E}wd.png", "image/png", &png(5)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["filename"], "passwd.png");
    let id = body["data"]["id"].as_str().expect("id").to_string();
    let r = download(&p, &owner, &id, &[]).await;
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"passwd.png\"; filename*=UTF-8''passwd.png"
    );

    // Not multipart, no file part, bad fields: refused, and nothing is stored.
    let r = upload_raw(&p, &owner, "application/json", b"{}".to_vec()).await;
    assert_eq!(r.status(), 400);
    let (ct, body) = multipart(&[("tags", "x")], None);
    assert_eq!(upload_raw(&p, &owner, &ct, body).await.status(), 422);
    for field in [
        ("visibility", "everyone"),
        ("metadata", "[1]"),
        ("category", "Not OK"),
    ] {
        let (status, body) = upload(&p, &owner, &[field], ("x.png", "image/png", &png(5))).await;
        assert_eq!(status, 422, "{field:?}: {body}");
    }
    let (ct, mut body) = multipart(&[], Some(("cut.png", "image/png", &png(1000))));
    body.truncate(body.len() - 40);
    assert_eq!(upload_raw(&p, &owner, &ct, body).await.status(), 400);
    let files: i64 =
        p.db.query_one("SELECT count(*) FROM files", &[])
            .await
            .expect("count")
            .get(0);
    assert_eq!(files, 1, "only the first upload was stored");
    let used: i64 =
        p.db.query_one("SELECT used_bytes FROM storages", &[])
            .await
            .expect("storage")
            .get(0);
    assert_eq!(used, png(5).len() as i64);
    p.stop().await;
}

#[tokio::test]
async fn an_upload_past_the_size_limit_is_413_and_stores_nothing() {
    if common::native_only("the external runtime's upload limit is its configuration") {
        return;
    }
    let p = Platform::start_with(common::Options {
        max_upload_bytes: Some(10_000),
        ..common::Options::default()
    })
    .await;
    let owner = p.register("owner@example.com").await;
    let (status, body) = upload(&p, &owner, &[], ("big.png", "image/png", &png(20_000))).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    let (status, _) = upload(&p, &owner, &[], ("fits.png", "image/png", &png(9_000))).await;
    assert_eq!(status, 201);
    let used: i64 =
        p.db.query_one("SELECT used_bytes FROM storages", &[])
            .await
            .expect("storage")
            .get(0);
    assert_eq!(
        used,
        png(9_000).len() as i64,
        "the refused upload left nothing"
    );
    p.stop().await;
}

#[tokio::test]
async fn quotas_refuse_uploads_that_would_pass_them() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let provider = match common::runtime() {
        common::Runtime::Native => "local",
        common::Runtime::External { .. } => "r2",
    };
    let created = p
        .post(
            "/api/v1/storages",
            Some(&owner.access),
            json!({ "name": "Small", "provider_type": provider, "quota_bytes": 1000 }),
        )
        .await;
    created.assert_ok(201);
    let (status, body) = upload(&p, &owner, &[], ("big.png", "image/png", &png(2000))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "quota_exceeded");
    let (status, _) = upload(&p, &owner, &[], ("ok.png", "image/png", &png(600))).await;
    assert_eq!(status, 201);
    let (status, body) = upload(&p, &owner, &[], ("again.png", "image/png", &png(600))).await;
    assert_eq!(status, 422, "{body}");
    let storages = p.get("/api/v1/storages", Some(&owner.access)).await;
    let storage = storages.assert_ok(200)[0].clone();
    assert_eq!(storage["used_bytes"], png(600).len());
    let listed = p.get("/api/v1/files", Some(&owner.access)).await;
    assert_eq!(listed.assert_ok(200).as_array().map(Vec::len), Some(1));
    p.stop().await;
}

#[tokio::test]
async fn other_accounts_get_404_and_viewers_read_but_cannot_upload() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let stranger = p.register("stranger@example.com").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;
    let (status, body) = upload(&p, &owner, &[], ("a.png", "image/png", &png(50))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().expect("id").to_string();
    assert_eq!(
        p.get(&format!("/api/v1/files/{id}"), Some(&stranger.access))
            .await
            .status,
        404
    );
    assert_eq!(download(&p, &stranger, &id, &[]).await.status(), 404);
    assert_eq!(
        p.get("/api/v1/files", Some(&stranger.access))
            .await
            .assert_ok(200)
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(download(&p, &viewer, &id, &[]).await.status(), 200);
    let (status, _) = upload(&p, &viewer, &[], ("b.png", "image/png", &png(5))).await;
    assert_eq!(status, 403);
    p.stop().await;
}
