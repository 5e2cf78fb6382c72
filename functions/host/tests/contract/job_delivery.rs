//! The runtime's own consumers, end to end: a job enqueued through the API runs, fails, waits
//! out its backoff and dies exactly as the queue's rules say, and the cron table's ticks are
//! enqueued once and run. Natively the host's polling consumers and scheduler do the work; in
//! workerd the consumer Worker does, woken by the Cloudflare Queue the API Worker announces to
//! and by its cron trigger. A user cannot tell which from these tests.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::{Options, Platform, Session};
use serde_json::{Value, json};

const ADMIN: (&str, &str) = ("root@example.com", "admin password 1");

async fn platform() -> Option<(Platform, Session)> {
    if !common::runtime_runs_consumers() {
        return None;
    }
    let p = Platform::start_with(Options {
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        // Natively: the host's consumers and scheduler. An external runtime brings its own.
        consumers: common::runtime() == common::Runtime::Native,
        ..Options::default()
    })
    .await;
    let admin = Session::from_auth(p.login(ADMIN.0, ADMIN.1).await.assert_ok(200));
    Some((p, admin))
}

async fn enqueue(p: &Platform, token: &str, body: Value) -> String {
    let r = p.post("/api/v1/admin/jobs", Some(token), body).await;
    r.assert_ok(201)["id"].as_str().expect("id").to_string()
}

async fn job(p: &Platform, token: &str, id: &str) -> Value {
    p.get(&format!("/api/v1/admin/jobs/{id}"), Some(token))
        .await
        .assert_ok(200)
        .clone()
}

/// Polls the job until `done` holds, for at most `limit`; returns it then.
async fn wait_for(
    p: &Platform,
    token: &str,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let j = job(p, token, id).await;
        if done(&j) {
            return j;
        }
        assert!(
            started.elapsed() < limit,
            "job {id} not there after {limit:?}: {j}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn in_state(state: &'static str) -> impl Fn(&Value) -> bool {
    move |j: &Value| j["state"] == state
}

#[tokio::test]
async fn enqueued_jobs_run_and_failures_end_dead_while_polled_queues_are_left_alone() {
    let Some((p, admin)) = platform().await else {
        return;
    };
    let token = admin.access.as_str();
    let ok = enqueue(
        &p,
        token,
        json!({ "job_type": "system.noop", "args": { "n": 1 } }),
    )
    .await;
    let doomed = enqueue(
        &p,
        token,
        json!({ "job_type": "system.fail", "args": { "message": "boom" }, "max_attempts": 1 }),
    )
    .await;
    // The media runner's queue: never announced to the edge consumer, never polled by the
    // host's general consumers.
    let media = enqueue(
        &p,
        token,
        json!({ "job_type": "system.noop", "args": { "n": 2 }, "queue": "file_processing" }),
    )
    .await;

    let done = wait_for(
        &p,
        token,
        &ok,
        Duration::from_secs(30),
        in_state("completed"),
    )
    .await;
    assert_eq!(done["attempts"], 1);
    assert!(done["completed_at"].is_string(), "{done}");
    let dead = wait_for(
        &p,
        token,
        &doomed,
        Duration::from_secs(30),
        in_state("dead"),
    )
    .await;
    assert_eq!(dead["attempts"], 1, "{dead}");
    let errors = dead["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{dead}");
    assert!(
        errors[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("boom")),
        "{dead}"
    );

    let untouched = job(&p, token, &media).await;
    assert_eq!(untouched["state"], "available", "{untouched}");
    assert_eq!(untouched["attempts"], 0, "{untouched}");
    p.stop().await;
}

#[tokio::test]
async fn a_failed_job_runs_again_only_after_its_backoff() {
    let Some((p, admin)) = platform().await else {
        return;
    };
    let token = admin.access.as_str();
    let id = enqueue(
        &p,
        token,
        json!({ "job_type": "system.fail", "args": { "message": "again" }, "max_attempts": 2 }),
    )
    .await;
    let first = wait_for(&p, token, &id, Duration::from_secs(30), |j| {
        j["attempts"] == 1 && j["state"] == "retryable"
    })
    .await;
    assert_eq!(first["errors"].as_array().map(Vec::len), Some(1), "{first}");
    // attempts^4 + 15 + jitter (0..30) seconds: 16 to 45 after the first failure.
    let dead = wait_for(&p, token, &id, Duration::from_secs(90), in_state("dead")).await;
    assert_eq!(dead["attempts"], 2, "{dead}");
    let at: Vec<chrono::DateTime<chrono::Utc>> = dead["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| serde_json::from_value(e["at"].clone()).expect("errors carry their time"))
        .collect();
    assert_eq!(at.len(), 2, "{dead}");
    let waited = (at[1] - at[0]).num_seconds();
    assert!(
        (15..=60).contains(&waited),
        "the second run came {waited} s after the first failure: {dead}"
    );
    p.stop().await;
}

#[tokio::test]
async fn cron_ticks_are_enqueued_once_each_and_run() {
    let Some((p, admin)) = platform().await else {
        return;
    };
    let token = admin.access.as_str();
    // Twice in the same minute, as overlapping schedulers would: one job per tick.
    p.fire_cron().await;
    p.fire_cron().await;
    let started = Instant::now();
    let rescues = loop {
        let listed = p
            .get("/api/v1/admin/jobs?queue=maintenance", Some(token))
            .await
            .assert_ok(200)
            .clone();
        let rescues: Vec<Value> = listed
            .as_array()
            .expect("a list")
            .iter()
            .filter(|j| j["job_type"] == "maintenance.rescue")
            .cloned()
            .collect();
        if rescues.iter().any(|j| j["state"] == "completed") {
            break rescues;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no maintenance.rescue ran: {listed}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut per_tick: HashMap<String, usize> = HashMap::new();
    for j in &rescues {
        *per_tick.entry(j["args"]["tick"].to_string()).or_default() += 1;
    }
    assert!(
        per_tick.values().all(|n| *n == 1),
        "a tick was enqueued twice: {rescues:?}"
    );
    p.stop().await;
}

#[tokio::test]
async fn jobs_that_waited_in_a_paused_queue_run_as_soon_as_it_resumes() {
    let Some((p, admin)) = platform().await else {
        return;
    };
    let token = admin.access.as_str();
    p.post("/api/v1/admin/queues/default/pause", Some(token), json!({}))
        .await
        .assert_ok(200);
    let id = enqueue(
        &p,
        token,
        json!({ "job_type": "system.noop", "args": { "n": 3 }, "queue": "default" }),
    )
    .await;
    // Its announcement (on the edge) or the pollers (natively) find a paused queue.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(job(&p, token, &id).await["state"], "available");

    p.post(
        "/api/v1/admin/queues/default/resume",
        Some(token),
        json!({}),
    )
    .await
    .assert_ok(200);
    // Well inside the relay's minute: the resume itself delivers it.
    wait_for(
        &p,
        token,
        &id,
        Duration::from_secs(20),
        in_state("completed"),
    )
    .await;
}
