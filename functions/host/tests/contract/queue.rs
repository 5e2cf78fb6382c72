//! The durable queue through its admin and worker routes, against real Postgres.

use crate::common;

use std::collections::HashSet;

use crate::common::{Options, PASSWORD, Platform, Session};
use powernode_api::queue::enqueue::{self, Enqueued, NewJob};
use powernode_api::queue::rescuer;
use serde_json::{Value, json};
use uuid::Uuid;

const ADMIN: (&str, &str) = ("root@example.com", "admin password 1");

async fn platform_with_admin() -> (Platform, Session) {
    let p = Platform::start_with(Options {
        redis_url: None,
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        ..Options::default()
    })
    .await;
    let admin = Session::from_auth(p.login(ADMIN.0, ADMIN.1).await.assert_ok(200));
    (p, admin)
}

async fn enqueue(p: &Platform, token: &str, body: Value) -> Value {
    let r = p.post("/api/v1/admin/jobs", Some(token), body).await;
    r.assert_ok(201).clone()
}

async fn claim(p: &Platform, worker: &str, queues: &[&str], limit: i64) -> Vec<Value> {
    let r = p
        .post(
            "/api/v1/worker/queue/claim",
            Some(&p.service_token()),
            json!({ "queues": queues, "limit": limit, "worker_id": worker }),
        )
        .await;
    r.assert_ok(200).as_array().expect("claimed list").clone()
}

async fn worker_call(p: &Platform, route: &str, body: Value) -> Vec<Value> {
    let r = p
        .post(
            &format!("/api/v1/worker/queue/{route}"),
            Some(&p.service_token()),
            body,
        )
        .await;
    r.assert_ok(200).as_array().expect("outcomes").clone()
}

async fn state(p: &Platform, id: &str) -> String {
    let id: Uuid = id.parse().expect("uuid");
    p.db.query_one("SELECT state::text FROM jobs WHERE id = $1", &[&id])
        .await
        .expect("job")
        .get(0)
}

/// Makes a waiting job due now (instead of sleeping through its backoff).
async fn make_due(p: &Platform, id: &str) {
    let id: Uuid = id.parse().expect("uuid");
    p.db.execute(
        "UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = $1",
        &[&id],
    )
    .await
    .expect("update");
}

#[tokio::test]
async fn enqueue_commits_and_rolls_back_with_the_callers_transaction() {
    let p = Platform::start().await;
    let api = p.api();
    let tx = api.db().begin().await.expect("begin");
    let outcome = enqueue::enqueue(api, &*tx, &NewJob::new("system.noop", json!({ "n": 1 })))
        .await
        .expect("enqueue");
    assert!(matches!(outcome, Enqueued::Created(_)));
    tx.rollback().await.expect("rollback");
    assert_eq!(
        p.count("SELECT count(*) FROM jobs", &[]).await,
        0,
        "a rolled-back enqueue leaves no job"
    );

    let tx = api.db().begin().await.expect("begin");
    let jobs = vec![
        NewJob::new("system.noop", json!({ "n": 2 })),
        NewJob::new("system.noop", json!({ "n": 3 })),
    ];
    enqueue::enqueue_many(api, &*tx, &jobs)
        .await
        .expect("enqueue many");
    tx.commit().await.expect("commit");
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE queue = 'default' AND state = 'available'",
            &[]
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_job_goes_from_enqueue_through_claim_to_completed() {
    let (p, admin) = platform_with_admin().await;
    let job = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "args": { "x": 1 } }),
    )
    .await;
    assert_eq!(job["state"], "available");
    assert_eq!(job["queue"], "default");
    assert_eq!(job["max_attempts"], 4, "the first run and three retries");
    let id = job["id"].as_str().expect("id");

    let claimed = claim(&p, "w1", &["default"], 10).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0]["id"], id);
    assert_eq!(claimed[0]["attempt"], 1);
    assert_eq!(claimed[0]["args"], json!({ "x": 1 }));
    assert_eq!(state(&p, id).await, "running");
    assert!(
        claim(&p, "w2", &["default"], 10).await.is_empty(),
        "a running job is not claimed twice"
    );

    let done = worker_call(
        &p,
        "complete",
        json!({ "worker_id": "w1", "jobs": [{ "id": id, "result": { "ok": true } }] }),
    )
    .await;
    assert_eq!(done[0]["state"], "completed");
    let detail = p
        .get(&format!("/api/v1/admin/jobs/{id}"), Some(&admin.access))
        .await;
    let detail = detail.assert_ok(200);
    assert_eq!(detail["state"], "completed");
    assert_eq!(detail["result"], json!({ "ok": true }));
    assert!(detail["completed_at"].is_string());
}

#[tokio::test]
async fn worker_routes_take_only_the_service_token_and_admin_routes_only_users() {
    let (p, admin) = platform_with_admin().await;
    let body = json!({ "queues": ["default"], "worker_id": "w" });
    p.post(
        "/api/v1/worker/queue/claim",
        Some(&admin.access),
        body.clone(),
    )
    .await
    .assert_error(401, "unauthorized");
    p.post("/api/v1/worker/queue/claim", None, body)
        .await
        .assert_error(401, "unauthorized");
    p.get("/api/v1/admin/queues", Some(&p.service_token()))
        .await
        .assert_error(401, "unauthorized");
    let r = p
        .post(
            "/api/v1/worker/queue/claim",
            Some(&p.service_token()),
            json!({ "queues": [] }),
        )
        .await;
    r.assert_error(422, "validation_failed");
    let mut fields = r.detail_fields();
    fields.sort();
    assert_eq!(fields, ["queues", "worker_id"]);
}

#[tokio::test]
async fn enqueue_validates_and_dedupes_by_idempotency_key() {
    let (p, admin) = platform_with_admin().await;
    let r = p
        .post(
            "/api/v1/admin/jobs",
            Some(&admin.access),
            json!({ "job_type": "system.nope" }),
        )
        .await;
    r.assert_error(422, "validation_failed");
    assert_eq!(r.detail_fields(), ["job_type"]);
    let r = p
        .post(
            "/api/v1/admin/jobs",
            Some(&admin.access),
            json!({ "job_type": "system.noop", "queue": "nowhere" }),
        )
        .await;
    r.assert_error(422, "validation_failed");
    p.post(
        "/api/v1/admin/jobs",
        Some(&admin.access),
        json!({ "job_type": "system.noop", "max_attempts": 0 }),
    )
    .await
    .assert_error(422, "validation_failed");
    p.post(
        "/api/v1/admin/jobs",
        Some(&admin.access),
        json!({ "job_type": "system.noop", "args": [1] }),
    )
    .await
    .assert_error(422, "validation_failed");
    assert_eq!(p.count("SELECT count(*) FROM jobs", &[]).await, 0);

    let body =
        json!({ "job_type": "system.sleep", "args": { "ms": 5 }, "idempotency_key": "nightly-1" });
    let first = enqueue(&p, &admin.access, body.clone()).await;
    let again = p
        .post("/api/v1/admin/jobs", Some(&admin.access), body)
        .await;
    assert_eq!(
        again.assert_ok(200)["id"],
        first["id"],
        "same key and body: the same job, 200"
    );
    let other =
        json!({ "job_type": "system.sleep", "args": { "ms": 6 }, "idempotency_key": "nightly-1" });
    p.post("/api/v1/admin/jobs", Some(&admin.access), other)
        .await
        .assert_error(409, "conflict");
    assert_eq!(p.count("SELECT count(*) FROM jobs", &[]).await, 1);
}

#[tokio::test]
async fn claims_take_priority_then_age_skip_future_jobs_and_paused_queues() {
    let (p, admin) = platform_with_admin().await;
    let low = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "queue": "default" }),
    )
    .await;
    let file = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "queue": "file_processing" }),
    )
    .await;
    assert_eq!(file["priority"], 2, "file_processing has priority 2");
    let later = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "run_at": "2999-01-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(later["state"], "scheduled");

    let first = claim(&p, "w", &["default", "file_processing"], 1).await;
    assert_eq!(first[0]["id"], file["id"], "the higher priority first");
    let paused = p
        .post(
            "/api/v1/admin/queues/default/pause",
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(paused.assert_ok(200)["paused"], true);
    assert!(
        claim(&p, "w", &["default"], 10).await.is_empty(),
        "a paused queue gives nothing"
    );
    p.post(
        "/api/v1/admin/queues/default/resume",
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    let next = claim(&p, "w", &["default"], 10).await;
    assert_eq!(next.len(), 1, "the future job stays scheduled");
    assert_eq!(next[0]["id"], low["id"]);
    p.post(
        "/api/v1/admin/queues/nowhere/pause",
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_error(404, "not_found");
}

#[tokio::test]
async fn failures_back_off_by_kind_then_die_with_every_error_and_can_be_retried() {
    let (p, admin) = platform_with_admin().await;
    let job = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.fail", "args": { "message": "boom" } }),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_string();

    // API errors: 30, 60, 180 s.
    for (attempt, wait) in [(1, 30), (2, 60), (3, 180)] {
        let claimed = claim(&p, "w", &["default"], 1).await;
        assert_eq!(claimed[0]["attempt"], attempt);
        let out = worker_call(&p, "fail", json!({ "worker_id": "w", "jobs": [{ "id": id, "error": format!("API 503 on attempt {attempt}"), "api_error": true }] })).await;
        assert_eq!(out[0]["state"], "retryable");
        let run_at =
            chrono::DateTime::parse_from_rfc3339(out[0]["run_at"].as_str().expect("run_at"))
                .expect("time");
        let wait_now = (run_at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
        assert!(
            (wait - 2..=wait).contains(&wait_now),
            "attempt {attempt}: waits {wait_now}s, expected {wait}s"
        );
        assert!(
            claim(&p, "w", &["default"], 1).await.is_empty(),
            "not claimable before its backoff"
        );
        make_due(&p, &id).await;
    }
    // The fourth attempt is the last: dead, with all four errors kept.
    claim(&p, "w", &["default"], 1).await;
    let out = worker_call(
        &p,
        "fail",
        json!({ "worker_id": "w", "jobs": [{ "id": id, "error": "boom" }] }),
    )
    .await;
    assert_eq!(out[0]["state"], "dead");
    let detail = p
        .get(&format!("/api/v1/admin/jobs/{id}"), Some(&admin.access))
        .await;
    let detail = detail.assert_ok(200);
    let errors = detail["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 4);
    assert_eq!(errors[3]["error"], "boom");
    assert_eq!(errors[0]["attempt"], 1);

    let dead = p
        .get("/api/v1/admin/jobs?state=dead", Some(&admin.access))
        .await;
    assert_eq!(dead.assert_ok(200).as_array().map(Vec::len), Some(1));
    let retried = p
        .post(
            &format!("/api/v1/admin/jobs/{id}/retry"),
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(retried.assert_ok(200)["state"], "available");
    let again = claim(&p, "w", &["default"], 1).await;
    assert_eq!(
        again[0]["attempt"], 5,
        "a manual retry grants one more attempt"
    );
    p.post(
        &format!("/api/v1/admin/jobs/{id}/retry"),
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_error(409, "conflict");

    // Other errors: attempts^4 + 15 + jitter(0..30).
    let job = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.fail", "queue": "email" }),
    )
    .await;
    claim(&p, "w", &["email"], 1).await;
    let out = worker_call(
        &p,
        "fail",
        json!({ "worker_id": "w", "jobs": [{ "id": job["id"], "error": "smtp said no" }] }),
    )
    .await;
    let run_at = chrono::DateTime::parse_from_rfc3339(out[0]["run_at"].as_str().expect("run_at"))
        .expect("time");
    let wait = (run_at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((14..=45).contains(&wait), "1^4 + 15 + jitter, got {wait}");
    let discarded = p
        .post(
            &format!(
                "/api/v1/admin/jobs/{}/discard",
                job["id"].as_str().expect("id")
            ),
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(discarded.assert_ok(200)["state"], "dead");
}

#[tokio::test]
async fn an_expired_lease_is_rescued_and_the_old_holder_can_no_longer_settle() {
    let (p, admin) = platform_with_admin().await;
    let job = enqueue(&p, &admin.access, json!({ "job_type": "system.noop" })).await;
    let id = job["id"].as_str().expect("id").to_string();
    claim(&p, "crashed", &["default"], 1).await;
    // Heartbeats keep it; the lease then runs out (moved into the past instead of waiting).
    let hb = worker_call(
        &p,
        "heartbeat",
        json!({ "worker_id": "crashed", "ids": [id], "lease_seconds": 60 }),
    )
    .await;
    assert_eq!(hb[0]["state"], "running");
    let other = worker_call(
        &p,
        "heartbeat",
        json!({ "worker_id": "someone-else", "ids": [id] }),
    )
    .await;
    assert_eq!(
        other[0]["state"],
        Value::Null,
        "only the holder extends a lease"
    );
    assert_eq!(
        rescuer::run_once(p.api()).await.expect("rescue"),
        rescuer::Rescued::default(),
        "a live lease is left alone"
    );
    let uid: Uuid = id.parse().expect("uuid");
    p.db.execute(
        "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
        &[&uid],
    )
    .await
    .expect("expire");

    let rescued = rescuer::run_once(p.api()).await.expect("rescue");
    assert_eq!(
        rescued,
        rescuer::Rescued {
            retried: 1,
            dead: 0
        }
    );
    let again = claim(&p, "healthy", &["default"], 1).await;
    assert_eq!(again[0]["id"], id.as_str(), "re-delivered at once");
    assert_eq!(again[0]["attempt"], 2);
    let late = worker_call(
        &p,
        "complete",
        json!({ "worker_id": "crashed", "jobs": [{ "id": id }] }),
    )
    .await;
    assert_eq!(
        late[0]["state"],
        Value::Null,
        "the old holder's completion is refused"
    );
    assert_eq!(state(&p, &id).await, "running");
    let ok = worker_call(
        &p,
        "complete",
        json!({ "worker_id": "healthy", "jobs": [{ "id": id }] }),
    )
    .await;
    assert_eq!(ok[0]["state"], "completed");
}

#[tokio::test]
async fn snooze_puts_a_job_back_without_spending_the_attempt() {
    let (p, admin) = platform_with_admin().await;
    let job = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "max_attempts": 1 }),
    )
    .await;
    let id = job["id"].as_str().expect("id").to_string();
    claim(&p, "w", &["default"], 1).await;
    let out = worker_call(
        &p,
        "snooze",
        json!({ "worker_id": "w", "ids": [id], "seconds": 60 }),
    )
    .await;
    assert_eq!(out[0]["state"], "scheduled");
    assert!(claim(&p, "w", &["default"], 1).await.is_empty());
    make_due(&p, &id).await;
    let again = claim(&p, "w", &["default"], 1).await;
    assert_eq!(again[0]["attempt"], 1, "the snoozed attempt did not count");
}

#[tokio::test]
async fn concurrent_claimers_never_get_the_same_job() {
    let (p, admin) = platform_with_admin().await;
    let api = p.api();
    let jobs: Vec<NewJob> = (0..300)
        .map(|n| NewJob::new("system.noop", json!({ "n": n })))
        .collect();
    enqueue::enqueue_many(api, api.db(), &jobs)
        .await
        .expect("enqueue");
    let claimers = (0..6).map(|w| {
        let p = &p;
        async move {
            let mut mine = Vec::new();
            loop {
                let batch = claim(p, &format!("w{w}"), &["default"], 7).await;
                if batch.is_empty() {
                    break mine;
                }
                mine.extend(
                    batch
                        .iter()
                        .filter_map(|j| j["id"].as_str().map(String::from)),
                );
            }
        }
    });
    let all: Vec<String> = futures::future::join_all(claimers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 300, "every job claimed");
    assert_eq!(distinct.len(), 300, "no job claimed twice");
    let _ = admin;
}

#[tokio::test]
async fn account_users_see_only_their_accounts_jobs() {
    let (p, admin) = platform_with_admin().await;
    let a = p.register("a@example.com").await;
    let b = p.register("b@example.com").await;
    let a_job = enqueue(&p, &a.access, json!({ "job_type": "system.noop" })).await;
    enqueue(&p, &b.access, json!({ "job_type": "system.noop" })).await;
    enqueue(&p, &admin.access, json!({ "job_type": "system.noop" })).await;

    let mine = p.get("/api/v1/admin/jobs", Some(&a.access)).await;
    let mine = mine.assert_ok(200).as_array().expect("jobs").clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], a_job["id"]);
    let queues = p.get("/api/v1/admin/queues", Some(&a.access)).await;
    let default = queues
        .assert_ok(200)
        .as_array()
        .expect("queues")
        .iter()
        .find(|q| q["name"] == "default")
        .cloned()
        .expect("default");
    assert_eq!(
        default["counts"]["available"], 1,
        "counts are the account's own"
    );
    let all = p.get("/api/v1/admin/jobs", Some(&admin.access)).await;
    assert_eq!(
        all.assert_ok(200).as_array().map(Vec::len),
        Some(3),
        "the platform admin sees every account"
    );

    let path = format!("/api/v1/admin/jobs/{}", a_job["id"].as_str().expect("id"));
    p.get(&path, Some(&b.access))
        .await
        .assert_error(404, "not_found");
    p.post(&format!("{path}/discard"), Some(&b.access), json!({}))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        state(&p, a_job["id"].as_str().expect("id")).await,
        "available"
    );
    p.post(
        "/api/v1/admin/queues/default/pause",
        Some(&a.access),
        json!({}),
    )
    .await
    .assert_error(403, "forbidden");
    let viewer = p.add_user(&a, "viewer@example.com", "viewer").await;
    p.get("/api/v1/admin/jobs", Some(&viewer.access))
        .await
        .assert_error(403, "forbidden");
    let _ = PASSWORD;
}

#[tokio::test]
async fn a_long_poll_claim_is_woken_by_an_enqueue() {
    if common::native_only(
        "long-poll wake-up needs LISTEN/NOTIFY; at the edge a claim answers at once (NoJobSignal) and consumers are pushed to by Queues",
    ) {
        return;
    }
    let (p, admin) = platform_with_admin().await;
    let started = std::time::Instant::now();
    let token = p.service_token();
    let waiting = p.post(
        "/api/v1/worker/queue/claim",
        Some(&token),
        json!({ "queues": ["email"], "worker_id": "poller", "wait_seconds": 20 }),
    );
    let enqueue_later = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        enqueue(
            &p,
            &admin.access,
            json!({ "job_type": "system.noop", "queue": "email" }),
        )
        .await
    };
    let (claimed, job) = tokio::join!(waiting, enqueue_later);
    let claimed = claimed.assert_ok(200).as_array().expect("list").clone();
    assert_eq!(claimed.len(), 1, "the waiting claim got the job");
    assert_eq!(claimed[0]["id"], job["id"]);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(5),
        "woken by NOTIFY, not by the 20 s timeout: {waited:?}"
    );

    let empty_started = std::time::Instant::now();
    let r = p
        .post(
            "/api/v1/worker/queue/claim",
            Some(&token),
            json!({ "queues": ["email"], "worker_id": "poller", "wait_seconds": 1 }),
        )
        .await;
    assert_eq!(r.assert_ok(200).as_array().map(Vec::len), Some(0));
    assert!(
        empty_started.elapsed() >= std::time::Duration::from_millis(900),
        "an empty long-poll waits its time"
    );
    p.post(
        "/api/v1/worker/queue/claim",
        Some(&token),
        json!({ "queues": ["email"], "worker_id": "p", "wait_seconds": 31 }),
    )
    .await
    .assert_error(422, "validation_failed");
}

#[tokio::test]
async fn a_batch_enqueue_is_all_or_nothing() {
    let p = Platform::start().await;
    let token = p.service_token();
    let good = json!({ "jobs": [
        { "job_type": "system.noop" },
        { "job_type": "system.sleep", "args": { "ms": 1 }, "queue": "maintenance", "idempotency_key": "tick-1" },
        { "job_type": "system.noop", "run_at": "2999-01-01T00:00:00Z" }
    ] });
    let r = p
        .post("/api/v1/worker/queue/enqueue", Some(&token), good.clone())
        .await;
    let created = r.assert_ok(200).as_array().expect("list").clone();
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|j| j["created"] == true));
    assert_eq!(
        p.count("SELECT count(*) FROM jobs WHERE account_id IS NULL", &[])
            .await,
        3
    );

    let bad = json!({ "jobs": [ { "job_type": "system.noop" }, { "job_type": "system.nope" } ] });
    let r = p
        .post("/api/v1/worker/queue/enqueue", Some(&token), bad)
        .await;
    r.assert_error(422, "validation_failed");
    assert_eq!(r.detail_fields(), ["jobs[1].job_type"]);
    let unknown_queue = json!({ "jobs": [ { "job_type": "system.noop" }, { "job_type": "system.noop", "queue": "nowhere" } ] });
    p.post("/api/v1/worker/queue/enqueue", Some(&token), unknown_queue)
        .await
        .assert_error(422, "validation_failed");
    assert_eq!(
        p.count("SELECT count(*) FROM jobs", &[]).await,
        3,
        "a refused batch enqueues nothing"
    );

    // The same tick from a second scheduler: deduplicated by its key.
    let again = json!({ "jobs": [ { "job_type": "system.sleep", "args": { "ms": 1 }, "queue": "maintenance", "idempotency_key": "tick-1" } ] });
    let r = p
        .post("/api/v1/worker/queue/enqueue", Some(&token), again)
        .await;
    assert_eq!(r.assert_ok(200)[0]["created"], false);
    assert_eq!(r.body["data"][0]["id"], created[1]["id"]);
}

#[tokio::test]
async fn metrics_count_job_outcomes_and_queue_depth() {
    let (p, admin) = platform_with_admin().await;
    let ok = enqueue(&p, &admin.access, json!({ "job_type": "system.noop" })).await;
    let bad = enqueue(&p, &admin.access, json!({ "job_type": "system.fail" })).await;
    enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "queue": "email" }),
    )
    .await;
    claim(&p, "w", &["default"], 10).await;
    worker_call(
        &p,
        "complete",
        json!({ "worker_id": "w", "jobs": [{ "id": ok["id"] }] }),
    )
    .await;
    worker_call(
        &p,
        "fail",
        json!({ "worker_id": "w", "jobs": [{ "id": bad["id"], "error": "no" }] }),
    )
    .await;

    let text = p
        .http
        .get(format!("{}/metrics", p.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for line in [
        r#"powernode_jobs_total{queue="default",job_type="system.noop",outcome="completed"} 1"#,
        r#"powernode_jobs_total{queue="default",job_type="system.fail",outcome="retryable"} 1"#,
        r#"powernode_job_run_seconds_count{queue="default",job_type="system.noop",outcome="completed"} 1"#,
        r#"powernode_queue_jobs{queue="email",state="available"} 1"#,
        r#"powernode_queue_jobs{queue="default",state="completed"} 1"#,
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
}

#[tokio::test]
async fn racing_enqueues_of_one_idempotency_key_create_one_job_and_never_fail() {
    let p = Platform::start().await;
    let token = p.service_token();
    let body = json!({ "jobs": [{ "job_type": "system.noop", "idempotency_key": "tick-race" }] });
    let answers = futures::future::join_all(
        (0..12).map(|_| p.post("/api/v1/worker/queue/enqueue", Some(&token), body.clone())),
    )
    .await;
    for a in &answers {
        a.assert_ok(200);
    }
    let created = answers
        .iter()
        .filter(|a| a.body["data"][0]["created"] == true)
        .count();
    assert_eq!(created, 1, "exactly one request created the job");
    let ids: HashSet<&str> = answers
        .iter()
        .filter_map(|a| a.body["data"][0]["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 1, "every request answers the same job");
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE idempotency_key = 'tick-race'",
            &[]
        )
        .await,
        1
    );
}

/// Waits, when the current UTC minute has less than 15 s left, until the next one begins, so a
/// test's jobs all finish in the minute its history is read in.
async fn clear_of_a_minute_boundary() {
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let left_ms = 60_000 - i64::from(now.second()) * 1000 - i64::from(now.nanosecond() / 1_000_000);
    if left_ms < 15_000 {
        let wait = u64::try_from(left_ms + 100).unwrap_or(0);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
}

/// `GET /api/v1/admin/queues/{name}/history` as `token`, answering the points.
async fn history(p: &Platform, token: &str, query: &str) -> Vec<Value> {
    let r = p
        .get(
            &format!("/api/v1/admin/queues/default/history{query}"),
            Some(token),
        )
        .await;
    r.assert_ok(200).as_array().expect("points").clone()
}

fn minute_of(point: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(point["minute"].as_str().expect("minute"))
        .expect("RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// Asserts every point but the last is an empty minute.
fn earlier_minutes_are_empty(points: &[Value]) {
    for p in &points[..points.len() - 1] {
        assert_eq!(
            (
                &p["completed"],
                &p["dead"],
                &p["wait_ms_avg"],
                &p["run_ms_avg"]
            ),
            (&json!(0), &json!(0), &Value::Null, &Value::Null),
            "{p}"
        );
    }
}

#[tokio::test]
async fn a_queues_history_counts_each_minutes_finished_jobs_for_the_callers_account() {
    let (p, admin) = platform_with_admin().await;
    let a = p.register("a@example.com").await;
    let b = p.register("b@example.com").await;
    clear_of_a_minute_boundary().await;
    let mut a_ids = Vec::new();
    for n in 0..4 {
        let job = enqueue(
            &p,
            &a.access,
            json!({ "job_type": "system.noop", "args": { "n": n } }),
        )
        .await;
        a_ids.push(job["id"].as_str().expect("id").to_string());
    }
    let b_job = enqueue(&p, &b.access, json!({ "job_type": "system.noop" })).await;
    assert_eq!(claim(&p, "w", &["default"], 10).await.len(), 5);
    // Account a: two completed, one dead, one still running; account b: one completed.
    worker_call(
        &p,
        "complete",
        json!({ "worker_id": "w", "jobs": [{ "id": a_ids[0] }, { "id": a_ids[1] }, { "id": b_job["id"] }] }),
    )
    .await;
    let out = worker_call(
        &p,
        "fail",
        json!({ "worker_id": "w", "jobs": [{ "id": a_ids[2], "error": "no", "discard": true }] }),
    )
    .await;
    assert_eq!(out[0]["state"], "dead");
    let detail = p
        .get(&format!("/api/v1/admin/jobs/{}", a_ids[0]), Some(&a.access))
        .await;
    let completed_at = chrono::DateTime::parse_from_rfc3339(
        detail.assert_ok(200)["completed_at"]
            .as_str()
            .expect("completed_at"),
    )
    .expect("time");

    let points = history(&p, &a.access, "").await;
    assert_eq!(points.len(), 60, "an hour by default");
    for pair in points.windows(2) {
        assert_eq!(
            minute_of(&pair[1]) - minute_of(&pair[0]),
            chrono::TimeDelta::minutes(1),
            "one point a minute, oldest first"
        );
    }
    let last = &points[59];
    assert_eq!(
        minute_of(last).timestamp(),
        completed_at.timestamp() - completed_at.timestamp().rem_euclid(60),
        "the last point is the current minute, in which the jobs finished"
    );
    assert_eq!(
        (&last["completed"], &last["dead"]),
        (&json!(2), &json!(1)),
        "account a's own jobs only: {last}"
    );
    for avg in ["wait_ms_avg", "run_ms_avg"] {
        assert!(
            last[avg].as_f64().is_some_and(|ms| ms >= 0.0),
            "{avg}: {last}"
        );
    }
    earlier_minutes_are_empty(&points);

    let five = history(&p, &a.access, "?minutes=5").await;
    assert_eq!(five.len(), 5);
    assert_eq!(five[4], *last, "the same current minute");
    earlier_minutes_are_empty(&five);
    let other = history(&p, &b.access, "?minutes=5").await;
    assert_eq!(
        (&other[4]["completed"], &other[4]["dead"]),
        (&json!(1), &json!(0)),
        "account b sees only its own job: {}",
        other[4]
    );
    let all = history(&p, &admin.access, "?minutes=1").await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        (&all[0]["completed"], &all[0]["dead"]),
        (&json!(3), &json!(1)),
        "the platform admin sees every account's"
    );

    // A job finished two minutes ago counts two points back (moved there in the database:
    // the API's clock is real on every runtime).
    let id: Uuid = a_ids[0].parse().expect("uuid");
    p.db.execute(
        "UPDATE jobs SET run_at = run_at - interval '2 minutes',
                         attempted_at = attempted_at - interval '2 minutes',
                         finalized_at = finalized_at - interval '2 minutes'
          WHERE id = $1",
        &[&id],
    )
    .await
    .expect("update");
    let moved = history(&p, &a.access, "?minutes=5").await;
    assert_eq!(
        [&moved[2]["completed"], &moved[4]["completed"]],
        [&json!(1), &json!(1)],
        "{moved:?}"
    );
    assert!(
        moved[2]["run_ms_avg"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{}",
        moved[2]
    );

    for bad in ["0", "1441", "abc", "-5", "+5", ""] {
        p.get(
            &format!("/api/v1/admin/queues/default/history?minutes={bad}"),
            Some(&a.access),
        )
        .await
        .assert_error(400, "bad_request");
    }
    p.get("/api/v1/admin/queues/nope/history", Some(&a.access))
        .await
        .assert_error(404, "not_found");
    let viewer = p.add_user(&a, "viewer@example.com", "viewer").await;
    p.get("/api/v1/admin/queues/default/history", Some(&viewer.access))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn prune_jobs_refuses_a_retention_out_of_range_and_prunes_within_it() {
    let p = Platform::start().await;
    let service = p.service_token();
    for bad in [json!(59), json!(9_223_372_036_854_775_806_i64), json!(-1)] {
        let r = p
            .post(
                "/api/v1/worker/maintenance/prune_jobs",
                Some(&service),
                json!({ "older_than_seconds": bad }),
            )
            .await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.detail_fields(), ["older_than_seconds"], "{}", r.text);
    }
    let r = p
        .post(
            "/api/v1/worker/maintenance/prune_jobs",
            Some(&service),
            json!({ "older_than_seconds": 315_360_000 }),
        )
        .await;
    assert_eq!(r.assert_ok(200)["deleted"], 0);
}
