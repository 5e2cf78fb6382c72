//! Getting a file to someone without an account: signed URLs (any change or expiry gives 403)
//! and share links (password, expiry, a download budget that holds under concurrency,
//! revocation).

use std::time::Duration;

use crate::common::files::{png, upload_ok};
use crate::common::{Platform, Session};

async fn upload(p: &Platform, who: &Session, bytes: &[u8]) -> String {
    let file = upload_ok(p, who, "shared.png", bytes, &[]).await;
    file["id"].as_str().expect("id").to_string()
}
use serde_json::json;

/// GETs `path` on the API with no token, optionally a share password.
async fn anonymous(p: &Platform, path: &str, password: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = p.http.get(format!("{}{path}", p.base));
    if let Some(pw) = password {
        req = req.header("x-share-password", pw);
    }
    let r = req.send().await.expect("the API answers");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn signed_urls_download_until_they_expire_and_refuse_any_change() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let stranger = p.register("stranger@example.com").await;
    let bytes = png(4000);
    let id = upload(&p, &owner, &bytes).await;
    let issued = p
        .get(
            &format!("/api/v1/files/{id}/url?expires_in=120"),
            Some(&owner.access),
        )
        .await;
    let url = issued.assert_ok(200)["url"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(issued.body["data"]["expires_at"].is_string());
    assert_eq!(anonymous(&p, &url, None).await, (200, bytes.clone()));

    let tamper = |from: &str, to: &str| url.replacen(from, to, 1);
    let signature = url.rsplit('=').next().expect("signature").to_string();
    let mut flipped = signature.clone().into_bytes();
    flipped[5] = if flipped[5] == b'a' { b'b' } else { b'a' };
    let altered = [
        tamper(&signature, &String::from_utf8(flipped).expect("hex")),
        tamper("version=1", "version=2"),
        tamper("expires=", "expires=9"),
        tamper(&id, &uuid::Uuid::now_v7().to_string()),
        url.split("&signature").next().expect("prefix").to_string(),
    ];
    for bad in altered {
        assert_eq!(anonymous(&p, &bad, None).await.0, 403, "{bad}");
    }

    let short = p
        .get(
            &format!("/api/v1/files/{id}/url?expires_in=1"),
            Some(&owner.access),
        )
        .await;
    let short = short.assert_ok(200)["url"]
        .as_str()
        .expect("url")
        .to_string();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(anonymous(&p, &short, None).await.0, 403, "expired");

    for bad in ["0", "604801", "soon"] {
        let r = p
            .get(
                &format!("/api/v1/files/{id}/url?expires_in={bad}"),
                Some(&owner.access),
            )
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let theirs = p
        .get(&format!("/api/v1/files/{id}/url"), Some(&stranger.access))
        .await;
    assert_eq!(theirs.status, 404);
    p.stop().await;
}

#[tokio::test]
async fn share_links_ask_for_their_password_and_can_be_revoked() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(3000);
    let id = upload(&p, &owner, &bytes).await;
    let created = p
        .post(
            &format!("/api/v1/files/{id}/shares"),
            Some(&owner.access),
            json!({ "password": "open sesame", "max_downloads": 5 }),
        )
        .await;
    let share = created.assert_ok(201).clone();
    assert_eq!(share["password_protected"], true);
    assert_eq!(share["download_count"], 0);
    assert!(share.get("password").is_none() && !created.text.contains("open sesame"));
    let url = share["url"].as_str().expect("url").to_string();

    assert_eq!(anonymous(&p, &url, None).await.0, 401);
    assert_eq!(anonymous(&p, &url, Some("wrong password")).await.0, 401);
    assert_eq!(anonymous(&p, &url, Some("open sesame")).await, (200, bytes));
    let listed = p
        .get(&format!("/api/v1/files/{id}/shares"), Some(&owner.access))
        .await;
    let listed = listed.assert_ok(200).as_array().expect("list").clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["download_count"], 1,
        "refused attempts count nothing"
    );
    assert!(!listed[0].to_string().contains("sesame"));

    for bad in [
        json!({ "max_downloads": 0 }),
        json!({ "password": "short" }),
        json!({ "expires_at": "2001-01-01T00:00:00Z" }),
    ] {
        let r = p
            .post(
                &format!("/api/v1/files/{id}/shares"),
                Some(&owner.access),
                bad.clone(),
            )
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }

    let share_id = share["id"].as_str().expect("id");
    let revoked = p
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/shares/{share_id}"),
            Some(&owner.access),
            None,
        )
        .await;
    revoked.assert_ok(200);
    assert_eq!(anonymous(&p, &url, Some("open sesame")).await.0, 404);
    assert_eq!(anonymous(&p, "/s/not-a-token", None).await.0, 404);

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let brief = p
        .post(
            &format!("/api/v1/files/{id}/shares"),
            Some(&owner.access),
            json!({ "expires_at": soon }),
        )
        .await;
    let brief = brief.assert_ok(201)["url"]
        .as_str()
        .expect("url")
        .to_string();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(anonymous(&p, &brief, None).await.0, 410);
    p.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_downloads_of_a_ten_download_link_give_exactly_ten() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let id = upload(&p, &owner, &png(500)).await;
    let created = p
        .post(
            &format!("/api/v1/files/{id}/shares"),
            Some(&owner.access),
            json!({ "max_downloads": 10 }),
        )
        .await;
    let url = created.assert_ok(201)["url"]
        .as_str()
        .expect("url")
        .to_string();
    let attempts = (0..50).map(|_| anonymous(&p, &url, None));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        40,
        "{statuses:?}"
    );
    let listed = p
        .get(&format!("/api/v1/files/{id}/shares"), Some(&owner.access))
        .await;
    assert_eq!(listed.assert_ok(200)[0]["download_count"], 10);
    p.stop().await;
}

#[tokio::test]
async fn guessing_a_share_password_is_throttled() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(100);
    let id = upload(&p, &owner, &bytes).await;
    let share = |password: &'static str| {
        let p = &p;
        let owner = &owner;
        let id = id.clone();
        async move {
            let r = p
                .post(
                    &format!("/api/v1/files/{id}/shares"),
                    Some(&owner.access),
                    json!({ "password": password }),
                )
                .await;
            r.assert_ok(201)["url"].as_str().expect("url").to_string()
        }
    };
    let url = share("correct horse").await;
    let other = share("battery staple").await;
    // Visits without a password are not guesses.
    for _ in 0..12 {
        assert_eq!(anonymous(&p, &url, None).await.0, 401);
    }
    for n in 0..10 {
        let guess = format!("guess number {n}");
        let r = p
            .http
            .get(format!("{}{url}", p.base))
            .header("x-share-password", guess)
            .send()
            .await
            .expect("answers");
        assert_eq!(r.status().as_u16(), 401);
    }
    // Past ten wrong guesses, even the right password waits.
    let r = p
        .http
        .get(format!("{}{url}", p.base))
        .header("x-share-password", "correct horse")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // Another link is not held back by this one's guesses.
    assert_eq!(
        anonymous(&p, &other, Some("battery staple")).await,
        (200, bytes)
    );
    p.stop().await;
}
