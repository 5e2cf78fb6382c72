//! The queue under failure, with real `powernode-jobs` consumer processes (built by
//! `./scripts/test`, which passes their path in `POWERNODE_JOBS_BIN`).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Platform, WORKER_SECRET};
use powernode_api::queue::enqueue::{self, NewJob};
use powernode_api::queue::rescuer;
use serde_json::json;

struct Consumer(Child);

impl Consumer {
    fn start(p: &Platform, queue: &str, concurrency: usize, lease_seconds: u32) -> Self {
        let bin = std::env::var("POWERNODE_JOBS_BIN")
            .expect("POWERNODE_JOBS_BIN is not set: run the tests through ./scripts/test, which builds powernode-jobs");
        let child = Command::new(bin)
            .args([
                "--queues",
                queue,
                "--concurrency",
                &concurrency.to_string(),
                "--lease-seconds",
                &lease_seconds.to_string(),
            ])
            .env("BACKEND_API_URL", &p.base)
            .env("WORKER_SERVICE_TOKEN", WORKER_SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("powernode-jobs starts");
        Self(child)
    }

    fn kill_9(&mut self) {
        let _ = self.0.kill(); // SIGKILL: no drain, no release, leases left behind.
        let _ = self.0.wait();
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.kill_9();
    }
}

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

#[tokio::test]
async fn a_consumer_killed_mid_batch_loses_nothing() {
    let p = Platform::start().await;
    enqueue_sleeps(&p, 60, 400, "default").await;
    let mut first = Consumer::start(&p, "default", 10, 5);
    // Wait until it holds jobs, then kill it without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    while p
        .count("SELECT count(*) FROM jobs WHERE state = 'running'", &[])
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "the consumer never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_9();
    let held = p
        .count("SELECT count(*) FROM jobs WHERE state = 'running'", &[])
        .await;
    assert!(held > 0, "the killed consumer held jobs");

    let _second = Consumer::start(&p, "default", 10, 5);
    let deadline = Instant::now() + Duration::from_secs(60);
    while completed(&p).await < 60 {
        // The scheduler's every-minute rescue, run more often here.
        rescuer::run_once(p.api()).await.expect("rescue");
        assert!(
            Instant::now() < deadline,
            "{} of 60 completed after 60 s",
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
}

#[tokio::test]
async fn four_consumer_processes_complete_every_job_exactly_once() {
    let p = Platform::start().await;
    let n = 2000;
    let api = p.api();
    let jobs: Vec<NewJob> = (0..n)
        .map(|i| NewJob::new("system.noop", json!({ "n": i })))
        .collect();
    for chunk in jobs.chunks(1000) {
        enqueue::enqueue_many(api, api.db(), chunk)
            .await
            .expect("enqueue");
    }
    let consumers: Vec<Consumer> = (0..4)
        .map(|_| Consumer::start(&p, "default", 10, 60))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while completed(&p).await < n {
        assert!(
            Instant::now() < deadline,
            "{} of {n} completed after 120 s",
            completed(&p).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each job was claimed once (attempts = 1) and completed once, by one of several workers.
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE state = 'completed' AND attempts = 1",
            &[]
        )
        .await,
        n
    );
    let workers: i64 = p
        .count("SELECT count(DISTINCT lease_owner) FROM jobs", &[])
        .await;
    assert_eq!(workers, 0, "completed jobs hold no lease");
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
