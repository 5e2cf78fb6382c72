//! API.md "Auth" against real Postgres and Redis: envelopes, statuses and database state.

use crate::common::{JWT_SECRET, PASSWORD, Platform, Session, WORKER_SECRET};
use serde_json::json;
use shared::tokens::{AccessClaims, ServiceClaims, sign_access, sign_service};

#[tokio::test]
async fn register_creates_an_account_whose_first_user_is_its_owner() {
    let p = Platform::start().await;
    let r = p
        .post("/api/v1/auth/register", None, json!({ "email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada", "account_name": "Engines" }))
        .await;
    let data = r.assert_ok(201);
    assert_eq!(data["user"]["email"], "ada@example.com");
    assert_eq!(data["user"]["roles"], json!(["owner"]));
    assert!(
        data["user"]["permissions"]
            .as_array()
            .expect("permissions")
            .contains(&json!("users.create"))
    );
    assert_eq!(data["account"]["name"], "Engines");
    assert_eq!(data["user"]["account_id"], data["account"]["id"]);
    assert_eq!(data["expires_in"], 900);
    let id = data["user"]["id"].as_str().expect("id");
    assert_eq!(id.chars().nth(14), Some('7'), "ids are UUIDv7: {id}");

    let row =
        p.db.query_one("SELECT email, password_hash FROM users", &[])
            .await
            .expect("one user");
    assert_eq!(row.get::<_, String>(0), "ada@example.com");
    let hash: String = row.get(1);
    assert!(
        hash.starts_with("$argon2id$") && !hash.contains(PASSWORD),
        "{hash}"
    );
    assert_eq!(
        p.count("SELECT count(*) FROM accounts WHERE name = 'Engines'", &[])
            .await,
        1
    );
    assert_eq!(
        p.count(
            "SELECT count(*) FROM audit_logs WHERE action = 'user.registered'",
            &[]
        )
        .await,
        1
    );
    let stored = p
        .count(
            "SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
            &[&data["refresh_token"].as_str().expect("rt")],
        )
        .await;
    assert_eq!(stored, 1, "only the SHA-256 of the refresh token is stored");
    assert_eq!(
        p.count(
            "SELECT count(*) FROM refresh_tokens WHERE encode(token_hash, 'escape') LIKE 'pnr_%'",
            &[]
        )
        .await,
        0
    );

    let me = p
        .get(
            "/api/v1/auth/me",
            Some(data["access_token"].as_str().expect("token")),
        )
        .await;
    let me = me.assert_ok(200);
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["roles"], json!(["owner"]));
    for key in ["id", "email", "name", "account_id", "roles", "permissions"] {
        assert!(me.get(key).is_some(), "me has {key}");
    }
}

#[tokio::test]
async fn duplicate_email_is_409_whatever_its_case_and_creates_nothing() {
    let p = Platform::start().await;
    p.register("dup@example.com").await;
    let r = p
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "DUP@example.com", "password": PASSWORD }),
        )
        .await;
    r.assert_error(409, "conflict");
    assert_eq!(p.count("SELECT count(*) FROM users", &[]).await, 1);
    assert_eq!(
        p.count("SELECT count(*) FROM accounts", &[]).await,
        1,
        "the second account was rolled back"
    );
}

#[tokio::test]
async fn bad_email_short_password_and_missing_fields_are_422_with_details() {
    let p = Platform::start().await;
    let r = p
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "not-an-email", "password": "short" }),
        )
        .await;
    r.assert_error(422, "validation_failed");
    let mut fields = r.detail_fields();
    fields.sort();
    assert_eq!(fields, ["email", "password"]);
    let r = p.post("/api/v1/auth/register", None, json!({})).await;
    r.assert_error(422, "validation_failed");
    assert_eq!(r.detail_fields().len(), 2);
    let r = p
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "a@example.com" }),
        )
        .await;
    r.assert_error(422, "validation_failed");
    assert_eq!(r.detail_fields(), ["password"]);
    assert_eq!(p.count("SELECT count(*) FROM users", &[]).await, 0);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_400_and_change_nothing() {
    let p = Platform::start().await;
    p.raw_post("/api/v1/auth/register", "application/json", "{\"email\": ")
        .await
        .assert_error(400, "bad_request");
    p.raw_post("/api/v1/auth/register", "application/json", "[1, 2]")
        .await
        .assert_error(400, "bad_request");
    p.raw_post("/api/v1/auth/register", "application/json", "")
        .await
        .assert_error(400, "bad_request");
    p.raw_post("/api/v1/auth/register", "text/plain", "{}")
        .await
        .assert_error(400, "bad_request");
    p.post(
        "/api/v1/auth/register",
        None,
        json!({ "email": 42, "password": PASSWORD }),
    )
    .await
    .assert_error(400, "bad_request");
    p.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": ["x"] }),
    )
    .await
    .assert_error(400, "bad_request");
    assert_eq!(p.count("SELECT count(*) FROM users", &[]).await, 0);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let p = Platform::start().await;
    p.register("known@example.com").await;
    let unknown = p.login("nobody@example.com", PASSWORD).await;
    let wrong = p.login("known@example.com", "wrong password").await;
    unknown.assert_error(401, "unauthorized");
    assert_eq!(
        unknown.text, wrong.text,
        "the two failures must be indistinguishable"
    );
    let ok = p.login("KNOWN@example.com", PASSWORD).await;
    ok.assert_ok(200);
    assert_eq!(
        p.count(
            "SELECT count(*) FROM users WHERE last_login_at IS NOT NULL",
            &[]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn repeated_failures_give_429_with_retry_after_even_for_the_right_password() {
    let p = Platform::start().await;
    p.register("victim@example.com").await;
    for _ in 0..5 {
        p.login("victim@example.com", "guess guess")
            .await
            .assert_error(401, "unauthorized");
    }
    let r = p.login("victim@example.com", PASSWORD).await;
    r.assert_error(429, "rate_limited");
    let retry: u64 = r.headers["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // Another email from the same address is not locked by this one's failures.
    p.register("other@example.com").await;
    p.login("other@example.com", PASSWORD).await.assert_ok(200);
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_whole_family() {
    let p = Platform::start().await;
    let s = p.register("rotate@example.com").await;
    let first = p
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": s.refresh }),
        )
        .await;
    let first = first.assert_ok(200).clone();
    let next_refresh = first["refresh_token"].as_str().expect("rt").to_string();
    let next_access = first["access_token"].as_str().expect("at").to_string();
    assert_ne!(next_refresh, s.refresh);
    p.get("/api/v1/auth/me", Some(&next_access))
        .await
        .assert_ok(200);

    // The rotated token comes back: reuse. It fails, and so does everything of its family.
    p.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": s.refresh }),
    )
    .await
    .assert_error(401, "unauthorized");
    p.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": next_refresh }),
    )
    .await
    .assert_error(401, "unauthorized");
    p.get("/api/v1/auth/me", Some(&next_access))
        .await
        .assert_error(401, "unauthorized");
    p.get("/api/v1/auth/me", Some(&s.access))
        .await
        .assert_error(401, "unauthorized");
    let reason: String =
        p.db.query_one("SELECT revoked_reason FROM sessions", &[])
            .await
            .expect("one session")
            .get(0);
    assert_eq!(reason, "refresh_token_reuse");

    // A new sign-in is a new family and works.
    p.login("rotate@example.com", PASSWORD).await.assert_ok(200);
    p.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": "pnr_not-a-real-token" }),
    )
    .await
    .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_succeed_at_most_once() {
    let p = Platform::start().await;
    let s = p.register("race@example.com").await;
    let attempts = (0..6).map(|_| {
        p.post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": s.refresh }),
        )
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert!(ok <= 1, "{ok} refreshes succeeded with one token");
    assert!(results.iter().all(|r| r.status == 200 || r.status == 401));
    assert_eq!(
        p.count(
            "SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL",
            &[]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn logout_revokes_the_session_at_once() {
    let p = Platform::start().await;
    let s = p.register("bye@example.com").await;
    let other = Session::from_auth(p.login("bye@example.com", PASSWORD).await.assert_ok(200));
    let r = p
        .post("/api/v1/auth/logout", Some(&s.access), json!({}))
        .await;
    assert_eq!(r.assert_ok(200), &json!(null));
    p.get("/api/v1/auth/me", Some(&s.access))
        .await
        .assert_error(401, "unauthorized");
    p.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": s.refresh }),
    )
    .await
    .assert_error(401, "unauthorized");
    // Only that session: the user's other sign-in still works.
    p.get("/api/v1/auth/me", Some(&other.access))
        .await
        .assert_ok(200);
    assert_eq!(
        p.count(
            "SELECT count(*) FROM sessions WHERE revoked_reason = 'logout'",
            &[]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn forged_expired_alg_none_and_foreign_tokens_are_401() {
    let p = Platform::start().await;
    let s = p.register("tokens@example.com").await;
    let sid =
        p.db.query_one("SELECT id FROM sessions", &[])
            .await
            .expect("session")
            .get::<_, uuid::Uuid>(0);
    let now = chrono::Utc::now().timestamp();
    let expired = sign_access(
        &AccessClaims::new(s.user_id, s.account_id, sid, now - 3600, 900),
        JWT_SECRET.as_bytes(),
    )
    .expect("sign");
    let wrong_key = sign_access(
        &AccessClaims::new(s.user_id, s.account_id, sid, now, 900),
        b"some other secret",
    )
    .expect("sign");
    let service = sign_service(
        &ServiceClaims::new("jobs", now, 60),
        WORKER_SECRET.as_bytes(),
    )
    .expect("sign");
    let service_with_user_key =
        sign_service(&ServiceClaims::new("jobs", now, 60), JWT_SECRET.as_bytes()).expect("sign");
    let b64 = |v: &serde_json::Value| base64_url(&serde_json::to_vec(v).expect("json"));
    let claims = serde_json::to_value(AccessClaims::new(s.user_id, s.account_id, sid, now, 900))
        .expect("json");
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims)
    );
    let mut parts: Vec<&str> = s.access.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::nil());
    let tampered_payload = b64(&tampered_claims);
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");

    for (name, token) in [
        ("expired", expired.as_str()),
        ("wrong key", &wrong_key),
        ("service token", &service),
        (
            "service-shaped token with the user key",
            &service_with_user_key,
        ),
        ("alg none", &alg_none),
        ("tampered", &tampered),
        ("garbage", "not.a.jwt"),
    ] {
        let r = p.get("/api/v1/auth/me", Some(token)).await;
        assert_eq!(r.status, 401, "{name}: {}", r.text);
        r.assert_error(401, "unauthorized");
    }
    p.get("/api/v1/auth/me", None)
        .await
        .assert_error(401, "unauthorized");
    p.get("/api/v1/auth/me", Some(&s.access))
        .await
        .assert_ok(200);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_long_name_or_email_still_makes_a_valid_account_name() {
    let p = Platform::start().await;
    let name = "n".repeat(200);
    let r = p
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "long@example.com", "password": PASSWORD, "name": name }),
        )
        .await;
    let data = r.assert_ok(201);
    let account = data["account"]["name"].as_str().expect("account name");
    assert!(account.ends_with("'s account"), "{account}");
    assert_eq!(account.chars().count(), 200, "{account}");

    let email = format!("{}@{}.example.com", "e".repeat(64), "d".repeat(150));
    let r = p
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    let data = r.assert_ok(201);
    let account = data["account"]["name"].as_str().expect("account name");
    assert!(account.chars().count() <= 200, "{account}");
}
