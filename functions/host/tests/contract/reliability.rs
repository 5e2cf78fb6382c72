//! The queue under failure, with real `powernode-jobs` consumer processes (built by
//! `./scripts/test`, which passes their path in `POWERNODE_JOBS_BIN`).

use crate::common;

use std::time::{Duration, Instant};

use crate::common::Platform;
use crate::common::consumer::Consumer;
use powernode_api::queue::enqueue::{self, NewJob};
use powernode_api::queue::rescuer;
use serde_json::json;

async fn enqueue_sleeps(p: &Platform, n: usize, ms: u64, queue: &str) {
    let api = p.api();
    let jobs: Vec<NewJob> = (0..n)
        .map(|i| NewJob {
            queue: queue.into(),
            ..NewJob::new("system.sleep", json!({ "ms": ms, "n": i }))
        })
        .collect();
    enqueue::enqueue_many(api, api.db(), &jobs)
        .await
        .expect("enqueue");
}

async fn completed(p: &Platform) -> i64 {
    p.count("SELECT count(*) FROM jobs WHERE state = 'completed'", &[])
        .await
}

/// `n` `system.spawn` jobs: each enqueues one child once per key (guarded by the idempotency
/// helpers), then sleeps `ms`.
async fn enqueue_spawns(p: &Platform, n: usize, ms: u64) {
    let api = p.api();
    let jobs: Vec<NewJob> = (0..n)
        .map(|i| NewJob::new("system.spawn", json!({ "key": format!("k{i}"), "ms": ms })))
        .collect();
    for chunk in jobs.chunks(1000) {
        enqueue::enqueue_many(api, api.db(), chunk)
            .await
            .expect("enqueue");
    }
}

async fn children(p: &Platform) -> i64 {
    p.count("SELECT count(*) FROM jobs WHERE args ? 'spawned_by'", &[])
        .await
}

/// Every parent has exactly one child: each guarded effect happened once.
async fn assert_one_effect_per_key(p: &Platform, n: i64) {
    assert_eq!(children(p).await, n, "one child per parent");
    assert_eq!(
        p.count(
            "SELECT count(DISTINCT args->>'spawned_by') FROM jobs WHERE args ? 'spawned_by'",
            &[]
        )
        .await,
        n,
        "no key spawned twice"
    );
}

#[tokio::test]
async fn a_consumer_killed_mid_batch_loses_nothing_and_repeats_no_effect() {
    let p = Platform::start().await;
    let n = 60;
    enqueue_spawns(&p, n, 600).await;
    let mut first = Consumer::start(&p, "default", 10, 5);
    // Wait until it has done some effects and is sleeping on them, then kill it without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    while children(&p).await < 5 {
        assert!(Instant::now() < deadline, "the consumer never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_9();
    let held = p
        .count("SELECT count(*) FROM jobs WHERE state = 'running'", &[])
        .await;
    assert!(held > 0, "the killed consumer held jobs");

    let _second = Consumer::start(&p, "default", 10, 5);
    let deadline = Instant::now() + Duration::from_secs(60);
    let all = 2 * n as i64; // parents and their children
    while completed(&p).await < all {
        // The scheduler's every-minute rescue, run more often here.
        rescuer::run_once(p.api()).await.expect("rescue");
        assert!(
            Instant::now() < deadline,
            "{} of {all} completed after 60 s",
            completed(&p).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let redelivered = p
        .count(
            "SELECT count(*) FROM jobs WHERE attempts = 2 AND errors::text LIKE '%lease expired%'",
            &[],
        )
        .await;
    assert_eq!(
        redelivered, held,
        "exactly the jobs the dead consumer held were re-delivered"
    );
    assert_eq!(
        p.count("SELECT count(*) FROM jobs WHERE state <> 'completed'", &[])
            .await,
        0,
        "none lost"
    );
    // Some re-delivered runs found their effect done and skipped it.
    assert!(
        p.count(
            "SELECT count(*) FROM jobs WHERE attempts = 2 AND result->>'spawned' = 'false'",
            &[]
        )
        .await
            > 0
    );
    assert_one_effect_per_key(&p, n as i64).await;
}

#[tokio::test]
async fn twenty_thousand_jobs_over_four_consumer_processes_run_exactly_once() {
    let p = Platform::start().await;
    // The 20,000 natively. Against workerd, where every request opens its own Postgres
    // connection (Hyperdrive pools them in production, not locally), a tenth: the same exactly-once
    // check at a size that fits the CI budget.
    let n: i64 = if common::runtime() == common::Runtime::Native {
        20_000
    } else {
        2_000
    };
    enqueue_spawns(&p, n as usize, 0).await;
    let started = Instant::now();
    let consumers: Vec<Consumer> = (0..4)
        .map(|_| Consumer::start(&p, "default", 10, 60))
        .collect();
    let all = 2 * n; // parents and their children
    let deadline = Instant::now() + Duration::from_secs(600);
    while completed(&p).await < all {
        assert!(
            Instant::now() < deadline,
            "{} of {all} completed after 600 s",
            completed(&p).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("{all} jobs completed in {:?}", started.elapsed());
    // Each job was claimed once (attempts = 1) and completed once, and each effect happened once.
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE state = 'completed' AND attempts = 1",
            &[]
        )
        .await,
        all
    );
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE result->>'spawned' = 'true'",
            &[]
        )
        .await,
        n,
        "every parent did its effect itself"
    );
    assert_one_effect_per_key(&p, n).await;
    drop(consumers);
}

#[tokio::test]
async fn consumers_ride_out_30_seconds_without_the_api_and_resume_by_themselves() {
    if common::native_only("stops and restarts the API process") {
        return;
    }
    let mut p = Platform::start().await;
    enqueue_sleeps(&p, 300, 50, "default").await;
    let _consumer = Consumer::start(&p, "default", 10, 5);
    let deadline = Instant::now() + Duration::from_secs(20);
    while completed(&p).await < 20 {
        assert!(Instant::now() < deadline, "the consumer never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The API goes away mid-run; jobs stay safe in Postgres.
    p.restart_after(Duration::from_secs(30)).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    while completed(&p).await < 300 {
        rescuer::run_once(p.api()).await.expect("rescue");
        assert!(
            Instant::now() < deadline,
            "{} of 300 completed 90 s after the API came back",
            completed(&p).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        p.count("SELECT count(*) FROM jobs WHERE state = 'dead'", &[])
            .await,
        0,
        "nothing died of the outage"
    );
}
#[tokio::test]
async fn sigterm_finishes_what_fits_in_the_deadline_and_gives_the_rest_back() {
    let p = Platform::start().await;
    let api = p.api();
    // A system.spawn child shows that its parent has started: claimed is not started, since a
    // consumer may hold claimed jobs it has not begun (those it gives back at once).
    let short = NewJob::new("system.spawn", json!({ "key": "short", "ms": 500 }));
    let long = NewJob::new("system.spawn", json!({ "key": "long", "ms": 60_000 }));
    enqueue::enqueue_many(api, api.db(), &[short, long])
        .await
        .expect("enqueue");
    let mut consumer = Consumer::start_with(&p, "default", 2, 30, &["--shutdown-deadline", "2"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while children(&p).await < 2 {
        assert!(Instant::now() < deadline, "the consumer never started both");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = consumer.terminate(Duration::from_secs(15)).await;
    assert!(status.success(), "{status}");
    // The short job finished within the deadline; the long one was given back unspent.
    let rows = p
        .db
        .query(
            "SELECT args->>'key', state::text, attempts, lease_owner FROM jobs WHERE job_type = 'system.spawn' ORDER BY args->>'key' DESC",
            &[],
        )
        .await
        .expect("jobs");
    let got: Vec<(String, String, i32, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("short".into(), "completed".into(), 1, None),
            ("long".into(), "scheduled".into(), 0, None),
        ]
    );
}
