//! Real `powernode-jobs` consumer processes (built by `./scripts/test`, which passes their path
//! in `POWERNODE_JOBS_BIN`), for the tests that kill one.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Platform, WORKER_SECRET};

/// Runs `until` while the scheduler's lease rescue runs every 250 ms (more often than the
/// host's own), so a job a killed consumer held is redelivered soon after its lease expires.
pub async fn while_rescuing<T>(p: &Platform, until: impl std::future::Future<Output = T>) -> T {
    let rescue = async {
        loop {
            powernode_api::queue::rescuer::run_once(p.api())
                .await
                .expect("rescue");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::select! {
        done = until => done,
        () = rescue => unreachable!("the rescue loop never ends"),
    }
}

/// A `powernode-jobs` process polling the API under test.
pub struct Consumer(Child);

impl Consumer {
    pub fn start(p: &Platform, queue: &str, concurrency: usize, lease_seconds: u32) -> Self {
        Self::start_with(p, queue, concurrency, lease_seconds, &[])
    }

    pub fn start_with(
        p: &Platform,
        queue: &str,
        concurrency: usize,
        lease_seconds: u32,
        extra: &[&str],
    ) -> Self {
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
            .args(extra)
            .env("BACKEND_API_URL", &p.base)
            .env("WORKER_SERVICE_TOKEN", WORKER_SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("powernode-jobs starts");
        Self(child)
    }

    /// SIGTERM, then waits (at most `within`) for the process to exit; its exit status. Async:
    /// the API it talks to while draining runs on this test's runtime.
    pub async fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running {within:?} after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn kill_9(&mut self) {
        let _ = self.0.kill(); // SIGKILL: no drain, no release, leases left behind.
        let _ = self.0.wait();
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.kill_9();
    }
}
