//! Runaway loop detection and execution tracking, through the worker and admin routes, against
//! real Postgres and Redis.

use crate::common;

use std::time::Duration;

use crate::common::{Options, Platform, Session};
use powernode_api::RunawayPolicy;
use serde_json::{Value, json};

const ADMIN: (&str, &str) = ("root@example.com", "admin password 1");

/// A platform with an admin; `runaway`: the policy the test needs (`None`: any will do).
async fn platform(runaway: Option<RunawayPolicy>) -> Option<(Platform, Session)> {
    if runaway
        .as_ref()
        .is_some_and(|r| !common::runaway_policy_applies(r))
    {
        return None;
    }
    let p = Platform::start_with(Options {
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        runaway,
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

async fn claim(p: &Platform, limit: i64) -> Vec<Value> {
    let r = p
        .post(
            "/api/v1/worker/queue/claim",
            Some(&p.service_token()),
            json!({ "queues": ["default"], "limit": limit, "worker_id": "w1" }),
        )
        .await;
    r.assert_ok(200).as_array().expect("claimed").clone()
}

async fn settle(p: &Platform, route: &str, jobs: Value) {
    let r = p
        .post(
            &format!("/api/v1/worker/queue/{route}"),
            Some(&p.service_token()),
            json!({ "worker_id": "w1", "jobs": jobs }),
        )
        .await;
    r.assert_ok(200);
}

fn ids(jobs: &[Value]) -> Vec<String> {
    jobs.iter()
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect()
}

async fn complete_all(p: &Platform, jobs: &[Value]) {
    let items: Vec<Value> = ids(jobs).iter().map(|id| json!({ "id": id })).collect();
    settle(p, "complete", Value::Array(items)).await;
}

async fn job(p: &Platform, token: &str, id: &str) -> Value {
    p.get(&format!("/api/v1/admin/jobs/{id}"), Some(token))
        .await
        .assert_ok(200)
        .clone()
}

async fn runs(p: &Platform, token: &str, job_type: &str) -> Vec<Value> {
    p.get(
        &format!("/api/v1/admin/job_types/{job_type}/runs"),
        Some(token),
    )
    .await
    .assert_ok(200)
    .as_array()
    .expect("runs")
    .clone()
}

#[tokio::test]
async fn runaway_detection_defers_the_sixth_run_in_a_minute_and_clears_after_the_pause() {
    let Some((p, admin)) = platform(Some(RunawayPolicy {
        max_runs: 5,
        window_seconds: 60,
        disable_seconds: 2,
    }))
    .await
    else {
        return;
    };
    let same = json!({ "job_type": "system.noop", "args": { "report": 7 } });
    let mut looped = Vec::new();
    for _ in 0..7 {
        looped.push(enqueue(&p, &admin.access, same.clone()).await);
    }

    // Five runs of the same type and arguments are allowed; the sixth and seventh wait.
    let first = claim(&p, 10).await;
    assert_eq!(first.len(), 5, "{first:?}");
    complete_all(&p, &first).await;
    let ran = ids(&first);
    let held: Vec<&String> = looped.iter().filter(|id| !ran.contains(id)).collect();
    assert_eq!(held.len(), 2);
    for id in &held {
        let j = job(&p, &admin.access, id).await;
        assert_eq!(j["state"], "scheduled", "{j}");
        assert_eq!(j["attempts"], 0, "deferral spends no attempt: {j}");
        let why = j["errors"][0]["error"].as_str().unwrap_or_default();
        assert!(why.contains("runaway loop"), "{j}");
    }

    // Other arguments of the same type are not affected.
    let other = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.noop", "args": { "report": 8 } }),
    )
    .await;
    let claimed = claim(&p, 10).await;
    assert_eq!(ids(&claimed), vec![other]);
    complete_all(&p, &claimed).await;

    // After the pause the held jobs run, and counting starts afresh.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let later = claim(&p, 10).await;
    let mut later_ids = ids(&later);
    later_ids.sort();
    let mut want: Vec<String> = held.into_iter().cloned().collect();
    want.sort();
    assert_eq!(later_ids, want);
    for j in &later {
        assert_eq!(j["attempt"], 1, "{j}");
    }
    complete_all(&p, &later).await;
}

#[tokio::test]
async fn runaway_detection_can_be_turned_off() {
    let Some((p, admin)) = platform(Some(RunawayPolicy {
        max_runs: 0,
        ..RunawayPolicy::default()
    }))
    .await
    else {
        return;
    };
    for _ in 0..8 {
        enqueue(
            &p,
            &admin.access,
            json!({ "job_type": "system.noop", "args": {} }),
        )
        .await;
    }
    assert_eq!(claim(&p, 10).await.len(), 8);
}

#[tokio::test]
async fn the_newest_twenty_runs_of_a_job_type_are_kept_with_outcomes() {
    let Some((p, admin)) = platform(None).await else {
        return;
    };
    for n in 0..22 {
        enqueue(
            &p,
            &admin.access,
            json!({ "job_type": "system.noop", "args": { "n": n } }),
        )
        .await;
    }
    let fail_id = enqueue(
        &p,
        &admin.access,
        json!({ "job_type": "system.fail", "args": { "message": "boom" }, "max_attempts": 1 }),
    )
    .await;
    let claimed = claim(&p, 30).await;
    assert_eq!(claimed.len(), 23);
    let (fails, noops): (Vec<Value>, Vec<Value>) = claimed
        .into_iter()
        .partition(|j| j["job_type"] == "system.fail");
    // Two batches, so "newest" has a meaning.
    complete_all(&p, &noops[..2]).await;
    complete_all(&p, &noops[2..]).await;
    settle(
        &p,
        "fail",
        json!([{ "id": fails[0]["id"], "error": "boom", "api_error": false }]),
    )
    .await;

    let noop_runs = runs(&p, &admin.access, "system.noop").await;
    assert_eq!(noop_runs.len(), 20, "only the newest 20 are kept");
    let first_batch = ids(&noops[..2]);
    assert!(
        noop_runs
            .iter()
            .all(|r| !first_batch.contains(&r["job_id"].as_str().unwrap_or_default().to_string())),
        "the oldest runs were dropped"
    );
    for r in &noop_runs {
        assert_eq!(r["outcome"], "completed", "{r}");
        assert_eq!(r["attempt"], 1, "{r}");
        assert_eq!(r["queue"], "default", "{r}");
        assert!(r["duration_ms"].as_i64().is_some_and(|d| d >= 0), "{r}");
        assert!(r["started_at"].is_string(), "{r}");
    }

    let fail_runs = runs(&p, &admin.access, "system.fail").await;
    assert_eq!(fail_runs.len(), 1);
    assert_eq!(fail_runs[0]["job_id"], fail_id.as_str());
    assert_eq!(fail_runs[0]["outcome"], "dead");
    assert_eq!(fail_runs[0]["error"], "boom");

    assert!(runs(&p, &admin.access, "system.sleep").await.is_empty());
    p.get(
        "/api/v1/admin/job_types/system.nope/runs",
        Some(&admin.access),
    )
    .await
    .assert_error(404, "not_found");
}

#[tokio::test]
async fn an_accounts_users_see_only_their_accounts_runs() {
    let Some((p, admin)) = platform(None).await else {
        return;
    };
    let alice = p.register("alice@example.com").await;
    let bob = p.register("bob@example.com").await;
    let a_job = enqueue(
        &p,
        &alice.access,
        json!({ "job_type": "system.noop", "args": { "who": "alice" } }),
    )
    .await;
    enqueue(
        &p,
        &bob.access,
        json!({ "job_type": "system.noop", "args": { "who": "bob" } }),
    )
    .await;
    let claimed = claim(&p, 10).await;
    assert_eq!(claimed.len(), 2);
    complete_all(&p, &claimed).await;

    let alices = runs(&p, &alice.access, "system.noop").await;
    assert_eq!(alices.len(), 1);
    assert_eq!(alices[0]["job_id"], a_job.as_str());
    assert_eq!(runs(&p, &admin.access, "system.noop").await.len(), 2);
    p.get("/api/v1/admin/job_types/system.noop/runs", None)
        .await
        .assert_error(401, "unauthorized");
}
