//! The consumers `powernode serve` runs: real jobs through the real API, over HTTP.

mod common;

use std::time::{Duration, Instant};

use common::{Options, Platform, Session};
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
