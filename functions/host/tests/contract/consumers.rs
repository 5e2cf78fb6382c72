//! The consumers `powernode serve` runs: real jobs through the real API, over HTTP.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{Options, Platform, Session};
use serde_json::json;

async fn wait_for_state(p: &Platform, token: &str, id: &str, want: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let job = p
            .get(&format!("/api/v1/admin/jobs/{id}"), Some(token))
            .await;
        let job = job.assert_ok(200).clone();
        if job["state"] == want {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} still {} after 20 s, wanted {want}",
            job["state"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn built_in_consumers_run_noop_sleep_and_fail_jobs() {
    let admin = (
        "root@example.com".to_string(),
        "admin password 1".to_string(),
    );
    let p = Platform::start_with(Options {
        admin: Some(admin.clone()),
        consumers: true,
        ..Options::default()
    })
    .await;
    let s = Session::from_auth(p.login(&admin.0, &admin.1).await.assert_ok(200));
    let enqueue = |body: serde_json::Value| {
        let p = &p;
        let token = s.access.clone();
        async move {
            p.post("/api/v1/admin/jobs", Some(&token), body)
                .await
                .assert_ok(201)["id"]
                .as_str()
                .expect("id")
                .to_string()
        }
    };
    let noop = enqueue(json!({ "job_type": "system.noop" })).await;
    let sleep = enqueue(
        json!({ "job_type": "system.sleep", "args": { "ms": 200 }, "queue": "maintenance" }),
    )
    .await;
    let fail = enqueue(json!({ "job_type": "system.fail", "args": { "message": "on purpose" }, "max_attempts": 1 })).await;
    let bad = enqueue(json!({ "job_type": "system.sleep", "args": { "ms": "soon" } })).await;

    wait_for_state(&p, &s.access, &noop, "completed").await;
    let slept = wait_for_state(&p, &s.access, &sleep, "completed").await;
    assert_eq!(slept["result"], json!({ "slept_ms": 200 }));
    let dead = wait_for_state(&p, &s.access, &fail, "dead").await;
    assert_eq!(dead["errors"][0]["error"], "on purpose");
    let aborted = wait_for_state(&p, &s.access, &bad, "dead").await;
    assert_eq!(
        aborted["attempts"], 1,
        "bad arguments abort without retries"
    );
    p.stop().await;
}

#[tokio::test]
async fn two_schedulers_enqueue_each_tick_once() {
    use chrono::DurationRound as _;
    use jobs::schedule::{Schedule, Scheduler};
    let p = Platform::start().await;
    let table = [Schedule {
        name: "every_minute",
        cron: "* * * * *",
        job_type: "system.noop",
        queue: "default",
    }];
    let client = || {
        std::sync::Arc::new(
            jobs::client::BackendApiClient::new(
                &p.base,
                common::WORKER_SECRET.as_bytes(),
                "scheduler",
            )
            .expect("client"),
        )
    };
    // Ten seconds into the current minute, not the wall clock: with `now` in a minute's last
    // five seconds, `now + 5 s` below would cross into the next tick and the test would flake.
    let now = chrono::Utc::now()
        .duration_trunc(chrono::TimeDelta::minutes(1))
        .expect("truncate to the minute")
        + chrono::TimeDelta::seconds(10);
    let mut a = Scheduler::new(client(), &table, now).expect("table");
    let mut b = Scheduler::new(client(), &table, now).expect("table");
    let (ra, rb) = tokio::join!(a.run_once(now), b.run_once(now));
    assert_eq!(
        (ra.expect("a"), rb.expect("b")),
        (1, 1),
        "both saw the tick"
    );
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE idempotency_key LIKE 'schedule:every_minute:%'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        a.run_once(now + chrono::Duration::seconds(5))
            .await
            .expect("again"),
        0,
        "a tick is sent once"
    );
}

#[tokio::test]
async fn the_scheduled_rescue_brings_back_a_crashed_consumers_job() {
    let p = Platform::start_with(Options {
        consumers: true,
        ..Options::default()
    })
    .await;
    let token = p.service_token();
    // file_processing is the media runner's queue, so the built-in consumers leave it alone.
    let r = p
        .post(
            "/api/v1/worker/queue/enqueue",
            Some(&token),
            json!({ "jobs": [{ "job_type": "system.noop", "queue": "file_processing" }] }),
        )
        .await;
    let id: uuid::Uuid = r.assert_ok(200)[0]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let claimed = p
        .post(
            "/api/v1/worker/queue/claim",
            Some(&token),
            json!({ "queues": ["file_processing"], "worker_id": "crashed" }),
        )
        .await;
    assert_eq!(claimed.assert_ok(200).as_array().map(Vec::len), Some(1));
    p.db.execute(
        "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
        &[&id],
    )
    .await
    .expect("expire");

    let r = p
        .post(
            "/api/v1/worker/queue/enqueue",
            Some(&token),
            json!({ "jobs": [{ "job_type": "maintenance.rescue", "queue": "maintenance" }] }),
        )
        .await;
    let rescue_id = r.assert_ok(200)[0]["id"].as_str().expect("id").to_string();
    let admin_view = |id: String| {
        let p = &p;
        async move {
            let row =
                p.db.query_one(
                    "SELECT state::text, result FROM jobs WHERE id = $1",
                    &[&id.parse::<uuid::Uuid>().expect("uuid")],
                )
                .await
                .expect("job");
            (
                row.get::<_, String>(0),
                row.get::<_, Option<serde_json::Value>>(1),
            )
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (state, result) = admin_view(rescue_id.clone()).await;
        if state == "completed" {
            // The host's own scheduler may have rescued it first (its catch-up tick at start),
            // so this run found one job or none; either way the job must be back.
            let retried = result.as_ref().and_then(|r| r["retried"].as_u64());
            assert!(matches!(retried, Some(0 | 1)), "{result:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "maintenance.rescue still {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (state, _) = admin_view(id.to_string()).await;
    assert_eq!(state, "retryable", "claimable again");
    let errors: serde_json::Value =
        p.db.query_one("SELECT errors FROM jobs WHERE id = $1", &[&id])
            .await
            .expect("job")
            .get(0);
    assert!(
        errors[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("lease expired")),
        "{errors}"
    );
    p.stop().await;
}

#[tokio::test]
async fn idempotency_helpers_let_an_effect_happen_once() {
    let p = Platform::start().await;
    let client =
        jobs::client::BackendApiClient::new(&p.base, common::WORKER_SECRET.as_bytes(), "t")
            .expect("client");
    assert_eq!(
        client.already_processed("email:welcome:42").await,
        Ok(false)
    );
    // Ten consumers racing to perform the same effect: exactly one may.
    let marks =
        futures::future::join_all((0..10).map(|_| client.mark_processed("email:welcome:42"))).await;
    assert_eq!(
        marks.iter().filter(|m| **m == Ok(true)).count(),
        1,
        "{marks:?}"
    );
    assert!(marks.iter().all(Result::is_ok));
    assert_eq!(client.already_processed("email:welcome:42").await, Ok(true));
    assert_eq!(
        client.already_processed("email:welcome:43").await,
        Ok(false),
        "keys are independent"
    );

    let token = p.service_token();
    p.post(
        "/api/v1/worker/idempotency/mark",
        Some(&token),
        json!({ "key": "" }),
    )
    .await
    .assert_error(422, "validation_failed");
    p.post(
        "/api/v1/worker/idempotency/mark",
        Some(&token),
        json!({ "key": "k", "ttl_seconds": 1 }),
    )
    .await
    .assert_error(422, "validation_failed");
    let owner = p.register("owner@example.com").await;
    p.post(
        "/api/v1/worker/idempotency/check",
        Some(&owner.access),
        json!({ "key": "k" }),
    )
    .await
    .assert_error(401, "unauthorized");
}
