//! Webhook receivers through HTTP: endpoints and their secrets, each provider's signature
//! scheme (valid, forged, stale, redelivered), the size limit, the event log across accounts,
//! replay, the `webhooks.process` job over the worker routes, and a database outage that
//! answers 503 and loses nothing.

use crate::common;

use std::sync::Arc;

use crate::common::{Platform, Resp, Session, WORKER_SECRET};
use powernode_api::service::webhooks::signature::sign_hex;
use serde_json::{Value, json};
use uuid::Uuid;

async fn create_endpoint(p: &Platform, s: &Session, provider: &str) -> (String, String) {
    let r = p
        .post(
            "/api/v1/webhooks/endpoints",
            Some(&s.access),
            json!({ "name": format!("{provider} hook"), "provider": provider }),
        )
        .await;
    let data = r.assert_ok(201);
    let id = data["id"].as_str().expect("id").to_string();
    assert_eq!(data["provider"], provider);
    assert_eq!(data["url"], format!("/webhooks/{id}"));
    let secret = data["secret"].as_str().expect("secret").to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    (id, secret)
}

async fn deliver(p: &Platform, endpoint: &str, headers: &[(&str, String)], body: &str) -> Resp {
    let mut req = p
        .http
        .post(format!("{}/webhooks/{endpoint}", p.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    common_resp(req.send().await.expect("request sent")).await
}

async fn common_resp(r: reqwest::Response) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
        text,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The headers a sender signs `body` with, at time `ts`, with `secret`.
fn signed(
    provider: &str,
    secret: &str,
    ts: i64,
    delivery: &str,
    body: &str,
) -> Vec<(&'static str, String)> {
    let t = ts.to_string();
    let bound = sign_hex(secret.as_bytes(), &[t.as_bytes(), b".", body.as_bytes()]);
    match provider {
        "generic" => vec![
            ("x-timestamp", t),
            ("x-signature", format!("sha256={bound}")),
            ("x-delivery-id", delivery.to_string()),
        ],
        "github" => vec![
            (
                "x-hub-signature-256",
                format!("sha256={}", sign_hex(secret.as_bytes(), &[body.as_bytes()])),
            ),
            ("x-github-delivery", delivery.to_string()),
            ("x-github-event", "push".to_string()),
        ],
        // Stripe's delivery id is the body's `id`.
        _ => vec![("stripe-signature", format!("t={t},v1={bound}"))],
    }
}

async fn events_of(p: &Platform, endpoint: &str) -> i64 {
    let id: Uuid = endpoint.parse().expect("uuid");
    p.count(
        "SELECT count(*) FROM webhook_events WHERE endpoint_id = $1",
        &[&id],
    )
    .await
}

async fn jobs_for(p: &Platform, event: &str) -> i64 {
    p.count(
        "SELECT count(*) FROM jobs WHERE queue = 'webhooks' AND job_type = 'webhooks.process'
            AND args->>'event_id' = $1",
        &[&event.to_string()],
    )
    .await
}

async fn provider_scheme(provider: &str) {
    let p = Platform::start().await;
    let s = p.register(&format!("{provider}@example.com")).await;
    let (endpoint, secret) = create_endpoint(&p, &s, provider).await;
    let body = json!({ "id": "evt_1", "type": "thing.happened", "n": 1 }).to_string();

    // Forged: signed with another secret. Nothing stored.
    let forged = deliver(
        &p,
        &endpoint,
        &signed(provider, "whsec_wrong", now(), "evt_1", &body),
        &body,
    )
    .await;
    forged.assert_error(401, "unauthorized");
    assert!(
        forged.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("signature")),
        "{}",
        forged.text
    );
    // Unsigned.
    deliver(&p, &endpoint, &[], &body)
        .await
        .assert_error(401, "unauthorized");
    // The body changed after signing.
    let tampered = body.replace("\"n\":1", "\"n\":2");
    deliver(
        &p,
        &endpoint,
        &signed(provider, &secret, now(), "evt_1", &body),
        &tampered,
    )
    .await
    .assert_error(401, "unauthorized");
    if provider != "github" {
        // Signed ten minutes ago (GitHub signs no timestamp).
        let stale = deliver(
            &p,
            &endpoint,
            &signed(provider, &secret, now() - 600, "evt_1", &body),
            &body,
        )
        .await;
        stale.assert_error(401, "unauthorized");
        assert_eq!(
            stale.body["error"], forged.body["error"],
            "the same answer, whatever failed"
        );
    }
    assert_eq!(events_of(&p, &endpoint).await, 0);

    // Valid: 202, stored, and its job queued on `webhooks`.
    let ok = deliver(
        &p,
        &endpoint,
        &signed(provider, &secret, now(), "evt_1", &body),
        &body,
    )
    .await;
    let receipt = ok.assert_ok(202).clone();
    assert_eq!(receipt["duplicate"], false);
    let event_id = receipt["event_id"].as_str().expect("event_id").to_string();
    assert_eq!(events_of(&p, &endpoint).await, 1);
    assert_eq!(jobs_for(&p, &event_id).await, 1);
    let listed = p
        .get(
            &format!("/api/v1/webhooks/events?endpoint_id={endpoint}"),
            Some(&s.access),
        )
        .await;
    let listed = listed.assert_ok(200).as_array().expect("list").clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["delivery_id"], "evt_1");
    assert_eq!(listed[0]["state"], "pending");
    let expected_type = if provider == "github" {
        "push"
    } else {
        "thing.happened"
    };
    assert_eq!(listed[0]["event_type"], expected_type);
    let detail = p
        .get(
            &format!("/api/v1/webhooks/events/{event_id}"),
            Some(&s.access),
        )
        .await;
    assert_eq!(detail.assert_ok(200)["payload"], body.as_str());

    // Redelivered (signed again, as providers do): acknowledged, nothing stored or queued.
    let again = deliver(
        &p,
        &endpoint,
        &signed(provider, &secret, now(), "evt_1", &body),
        &body,
    )
    .await;
    let again = again.assert_ok(202);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["event_id"], event_id.as_str());
    assert_eq!(events_of(&p, &endpoint).await, 1);
    assert_eq!(jobs_for(&p, &event_id).await, 1);
    p.stop().await;
}

#[tokio::test]
async fn generic_signatures_valid_forged_stale_and_redelivered() {
    provider_scheme("generic").await;
}

#[tokio::test]
async fn github_signatures_valid_forged_and_redelivered() {
    provider_scheme("github").await;
}

#[tokio::test]
async fn stripe_signatures_valid_forged_stale_and_redelivered() {
    provider_scheme("stripe").await;
}

#[tokio::test]
async fn the_receiver_refuses_big_bodies_unknown_endpoints_and_missing_delivery_ids() {
    let p = Platform::start().await;
    let s = p.register("limits@example.com").await;
    let (endpoint, secret) = create_endpoint(&p, &s, "generic").await;
    let big = format!("{{\"id\":\"big\",\"pad\":\"{}\"}}", "x".repeat(1024 * 1024));
    let r = deliver(
        &p,
        &endpoint,
        &signed("generic", &secret, now(), "big", &big),
        &big,
    )
    .await;
    r.assert_error(413, "payload_too_large");
    deliver(&p, &Uuid::new_v4().to_string(), &[], "{}")
        .await
        .assert_error(404, "not_found");
    deliver(&p, "not-a-uuid", &[], "{}")
        .await
        .assert_error(404, "not_found");
    // Signed, but neither X-Delivery-Id nor a body `id`.
    let body = json!({ "type": "x" }).to_string();
    let mut headers = signed("generic", &secret, now(), "", &body);
    headers.retain(|(k, _)| *k != "x-delivery-id");
    deliver(&p, &endpoint, &headers, &body)
        .await
        .assert_error(400, "bad_request");
    // The body's `id` stands in for the header.
    let body = json!({ "id": 42 }).to_string();
    let mut headers = signed("generic", &secret, now(), "", &body);
    headers.retain(|(k, _)| *k != "x-delivery-id");
    assert_eq!(
        deliver(&p, &endpoint, &headers, &body).await.assert_ok(202)["duplicate"],
        false
    );
    assert_eq!(events_of(&p, &endpoint).await, 1);
    p.stop().await;
}

#[tokio::test]
async fn secrets_are_shown_once_and_other_accounts_see_nothing() {
    let p = Platform::start().await;
    let s = p.register("owner@example.com").await;
    let other = p.register("other@example.com").await;
    let (endpoint, secret) = create_endpoint(&p, &s, "github").await;
    p.post(
        "/api/v1/webhooks/endpoints",
        Some(&s.access),
        json!({ "name": "", "provider": "gitlab" }),
    )
    .await
    .assert_error(422, "validation_failed");

    let list = p.get("/api/v1/webhooks/endpoints", Some(&s.access)).await;
    assert_eq!(list.body["meta"]["pagination"]["total"], 1, "{}", list.text);
    let listed = list.assert_ok(200).as_array().expect("list").clone();
    assert_eq!(listed[0]["id"], endpoint.as_str());
    assert!(listed[0].get("secret").is_none() && !list.text.contains(&secret));
    // At rest it is sealed, not the secret.
    let id: Uuid = endpoint.parse().expect("uuid");
    let stored: String =
        p.db.query_one(
            "SELECT secret_sealed FROM webhook_endpoints WHERE id = $1",
            &[&id],
        )
        .await
        .expect("row")
        .get(0);
    assert!(stored.starts_with("encrypted:") && !stored.contains(&secret));

    let body = json!({ "zen": "hi" }).to_string();
    let event = deliver(
        &p,
        &endpoint,
        &signed("github", &secret, now(), "d-1", &body),
        &body,
    )
    .await;
    let event = event.assert_ok(202)["event_id"]
        .as_str()
        .expect("id")
        .to_string();

    // Another account: nothing listed, everything else 404.
    let theirs = p
        .get("/api/v1/webhooks/endpoints", Some(&other.access))
        .await;
    assert_eq!(theirs.assert_ok(200).as_array().map(Vec::len), Some(0));
    let theirs = p.get("/api/v1/webhooks/events", Some(&other.access)).await;
    assert_eq!(theirs.assert_ok(200).as_array().map(Vec::len), Some(0));
    p.get(
        &format!("/api/v1/webhooks/events/{event}"),
        Some(&other.access),
    )
    .await
    .assert_error(404, "not_found");
    p.post(
        &format!("/api/v1/webhooks/events/{event}/replay"),
        Some(&other.access),
        json!({}),
    )
    .await
    .assert_error(404, "not_found");
    p.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/endpoints/{endpoint}"),
        Some(&other.access),
        None,
    )
    .await
    .assert_error(404, "not_found");
    // A viewer may not manage endpoints.
    let viewer = p.add_user(&s, "viewer@example.com", "viewer").await;
    p.post(
        "/api/v1/webhooks/endpoints",
        Some(&viewer.access),
        json!({ "name": "x", "provider": "generic" }),
    )
    .await
    .assert_error(403, "forbidden");

    // The owner deletes it: its URL is gone, and so are its events.
    p.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/endpoints/{endpoint}"),
        Some(&s.access),
        None,
    )
    .await
    .assert_ok(200);
    deliver(
        &p,
        &endpoint,
        &signed("github", &secret, now(), "d-2", &body),
        &body,
    )
    .await
    .assert_error(404, "not_found");
    assert_eq!(events_of(&p, &endpoint).await, 0);
    p.stop().await;
}

/// Claims the `webhooks` queue's due jobs with the service token and runs each with the
/// platform's registry over HTTP (as a consumer would), completing it.
async fn run_webhook_jobs(p: &Platform) -> usize {
    let token = p.service_token();
    let claimed = p
        .post(
            "/api/v1/worker/queue/claim",
            Some(&token),
            json!({ "queues": ["webhooks"], "limit": 10, "worker_id": "webhook-tests" }),
        )
        .await;
    let claimed = claimed.assert_ok(200).as_array().expect("claimed").clone();
    let client = jobs::client::BackendApiClient::new(&p.base, WORKER_SECRET.as_bytes(), "tests")
        .expect("client");
    let registry = jobs::job::Registry::with_platform(Arc::new(client));
    for raw in &claimed {
        let job: shared::api::jobs::ClaimedJob =
            serde_json::from_value(raw.clone()).expect("a claimed job");
        let run = registry
            .get(&job.job_type)
            .expect("registered")
            .execute(&job)
            .await;
        let result = run.expect("the job succeeds");
        p.post(
            "/api/v1/worker/queue/complete",
            Some(&token),
            json!({ "worker_id": "webhook-tests", "jobs": [{ "id": job.id, "result": result }] }),
        )
        .await
        .assert_ok(200);
    }
    claimed.len()
}

async fn event_state(p: &Platform, s: &Session, event: &str) -> Value {
    p.get(&format!("/api/v1/webhooks/events/{event}"), Some(&s.access))
        .await
        .assert_ok(200)
        .clone()
}

#[tokio::test]
async fn the_process_job_records_the_outcome_and_replay_runs_it_again() {
    let p = Platform::start().await;
    let s = p.register("process@example.com").await;
    let (endpoint, secret) = create_endpoint(&p, &s, "github").await;
    let good = json!({ "zen": "hi" }).to_string();
    let good = deliver(
        &p,
        &endpoint,
        &signed("github", &secret, now(), "g-1", &good),
        &good,
    )
    .await;
    let good = good.assert_ok(202)["event_id"]
        .as_str()
        .expect("id")
        .to_string();
    // GitHub only sends JSON: a signed body that is not JSON is stored, then fails processing.
    let bad = "not json";
    let bad = deliver(
        &p,
        &endpoint,
        &signed("github", &secret, now(), "g-2", bad),
        bad,
    )
    .await;
    let bad = bad.assert_ok(202)["event_id"]
        .as_str()
        .expect("id")
        .to_string();

    assert_eq!(run_webhook_jobs(&p).await, 2);
    let done = event_state(&p, &s, &good).await;
    assert_eq!(done["state"], "processed");
    assert!(
        done["processed_at"].is_string() && done["error"].is_null(),
        "{done}"
    );
    let failed = event_state(&p, &s, &bad).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("not JSON")),
        "{failed}"
    );
    let failed_list = p
        .get("/api/v1/webhooks/events?state=failed", Some(&s.access))
        .await;
    assert_eq!(failed_list.assert_ok(200).as_array().map(Vec::len), Some(1));

    // Replay: pending again, a second job queued, and processing runs again.
    let replayed = p
        .post(
            &format!("/api/v1/webhooks/events/{good}/replay"),
            Some(&s.access),
            json!({}),
        )
        .await;
    let replayed = replayed.assert_ok(200);
    assert_eq!(replayed["state"], "pending");
    assert!(replayed["processed_at"].is_null());
    assert_eq!(jobs_for(&p, &good).await, 2);
    assert_eq!(run_webhook_jobs(&p).await, 1);
    assert_eq!(event_state(&p, &s, &good).await["state"], "processed");

    // Only a pending event takes an outcome; the worker routes need the service token.
    let report = p
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/worker/webhooks/events/{good}"),
            Some(&p.service_token()),
            Some(json!({ "state": "failed", "error": "late" })),
        )
        .await;
    report.assert_error(409, "conflict");
    p.get(
        &format!("/api/v1/worker/webhooks/events/{good}"),
        Some(&s.access),
    )
    .await
    .assert_error(401, "unauthorized");
    p.stop().await;
}

/// Makes the platform's database unreachable: every session is ended and the database renamed,
/// so the pool's reconnects fail (as when Postgres is down) while the data stays. Returns the
/// name to rename it back from.
async fn take_database_away(p: &Platform, admin: &tokio_postgres::Client) -> String {
    let away = format!("{}_away", p.database_name);
    for _ in 0..50 {
        admin
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&p.database_name],
            )
            .await
            .expect("terminate sessions");
        // Fails while a pool connection slipped back in between; then try again.
        if admin
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {away}",
                p.database_name
            ))
            .await
            .is_ok()
        {
            return away;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("could not take the database away");
}

#[tokio::test]
async fn a_database_outage_answers_503_and_the_retry_is_stored_once() {
    if common::native_only(
        "takes the database away; the Worker's Hyperdrive database is shared by the run",
    ) {
        return;
    }
    let p = Platform::start().await;
    let s = p.register("outage@example.com").await;
    let (endpoint, secret) = create_endpoint(&p, &s, "stripe").await;
    let body = json!({ "id": "evt_outage", "type": "invoice.paid" }).to_string();
    let (admin, conn) = tokio_postgres::connect(
        &std::env::var("POWERNODE_TEST_DATABASE_URL").expect("set"),
        tokio_postgres::NoTls,
    )
    .await
    .expect("admin connection");
    tokio::spawn(conn);

    let away = take_database_away(&p, &admin).await;
    let down = deliver(
        &p,
        &endpoint,
        &signed("stripe", &secret, now(), "", &body),
        &body,
    )
    .await;
    down.assert_error(503, "unavailable");
    assert!(
        down.headers.contains_key("retry-after"),
        "{:?}",
        down.headers
    );
    assert!(
        !down.text.contains("postgres"),
        "no internals: {}",
        down.text
    );

    admin
        .batch_execute(&format!(
            "ALTER DATABASE {away} RENAME TO {}",
            p.database_name
        ))
        .await
        .expect("rename back");
    // The provider retries (as it does after a 503) until the platform is back; the test's
    // own connection was ended with the others, so it counts through a new one.
    let mut stored = None;
    for _ in 0..40 {
        let r = deliver(
            &p,
            &endpoint,
            &signed("stripe", &secret, now(), "", &body),
            &body,
        )
        .await;
        if r.status == 202 {
            stored = Some(r.body["data"].clone());
            break;
        }
        assert_eq!(r.status, 503, "only 503 while recovering: {}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let stored = stored.expect("stored within 10 s of the database returning");
    assert_eq!(stored["duplicate"], false);
    let again = deliver(
        &p,
        &endpoint,
        &signed("stripe", &secret, now(), "", &body),
        &body,
    )
    .await;
    assert_eq!(again.assert_ok(202)["duplicate"], true);
    let (db, conn) = tokio_postgres::connect(&p.database_url, tokio_postgres::NoTls)
        .await
        .expect("database back");
    tokio::spawn(conn);
    let id: Uuid = endpoint.parse().expect("uuid");
    let n: i64 = db
        .query_one(
            "SELECT count(*) FROM webhook_events WHERE endpoint_id = $1",
            &[&id],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 1, "stored once");
    p.stop().await;
}
