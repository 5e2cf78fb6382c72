//! Request metrics, rendered as Prometheus text on `/metrics`.
//!
//! Kept in process memory: natively that is the whole platform's view; at the edge it is one
//! isolate's, which is what a scrape of that isolate can honestly report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

#[derive(Default)]
struct Series {
    count: u64,
    seconds: f64,
}

/// Counters and timings by route, method and status, and job outcomes by queue and type.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, String, u16), Series>>,
    jobs: Mutex<BTreeMap<(String, String, &'static str), Series>>,
}

impl Metrics {
    /// Records one request. `route` is the template, never the raw path, so label
    /// cardinality stays bounded whatever clients send.
    pub fn record(&self, route: &'static str, method: &str, status: u16, seconds: f64) {
        let mut map = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let series = map.entry((route, method.to_string(), status)).or_default();
        series.count += 1;
        series.seconds += seconds;
    }

    /// Records a job's run ending in `outcome` (`completed`, `retryable` or `dead`). Job types
    /// are the registered ones and queues exist in the table, so labels stay bounded.
    pub fn record_job(&self, queue: &str, job_type: &str, outcome: &'static str, seconds: f64) {
        let mut map = self
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let series = map
            .entry((queue.to_string(), job_type.to_string(), outcome))
            .or_default();
        series.count += 1;
        series.seconds += seconds;
    }

    /// The Prometheus text exposition; `queue_depth` is `(queue, state, jobs)` read at scrape time.
    pub fn render_with(&self, queue_depth: &[(String, String, i64)]) -> String {
        let mut out = self.render();
        let jobs = self
            .jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = writeln!(
            out,
            "# HELP powernode_jobs_total Job runs by queue, job type and outcome."
        );
        let _ = writeln!(out, "# TYPE powernode_jobs_total counter");
        for ((queue, job_type, outcome), s) in jobs.iter() {
            let _ = writeln!(
                out,
                "powernode_jobs_total{{queue=\"{queue}\",job_type=\"{job_type}\",outcome=\"{outcome}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP powernode_job_run_seconds Time from claim to outcome, by queue, job type and outcome."
        );
        let _ = writeln!(out, "# TYPE powernode_job_run_seconds summary");
        for ((queue, job_type, outcome), s) in jobs.iter() {
            let labels = format!("queue=\"{queue}\",job_type=\"{job_type}\",outcome=\"{outcome}\"");
            let _ = writeln!(
                out,
                "powernode_job_run_seconds_sum{{{labels}}} {}",
                s.seconds
            );
            let _ = writeln!(
                out,
                "powernode_job_run_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP powernode_queue_jobs Jobs by queue and state (due scheduled and retryable count as available)."
        );
        let _ = writeln!(out, "# TYPE powernode_queue_jobs gauge");
        for (queue, state, n) in queue_depth {
            let _ = writeln!(
                out,
                "powernode_queue_jobs{{queue=\"{queue}\",state=\"{state}\"}} {n}"
            );
        }
        out
    }

    /// The Prometheus text exposition of the request metrics.
    pub fn render(&self) -> String {
        let map = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        let _ = writeln!(out, "# HELP powernode_build_info Build of the running API.");
        let _ = writeln!(out, "# TYPE powernode_build_info gauge");
        let _ = writeln!(
            out,
            "powernode_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            out,
            "# HELP powernode_http_requests_total HTTP requests by route, method and status."
        );
        let _ = writeln!(out, "# TYPE powernode_http_requests_total counter");
        for ((route, method, status), s) in map.iter() {
            let _ = writeln!(
                out,
                "powernode_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP powernode_http_request_duration_seconds Time to answer, by route, method and status."
        );
        let _ = writeln!(
            out,
            "# TYPE powernode_http_request_duration_seconds summary"
        );
        for ((route, method, status), s) in map.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
            let _ = writeln!(
                out,
                "powernode_http_request_duration_seconds_sum{{{labels}}} {}",
                s.seconds
            );
            let _ = writeln!(
                out,
                "powernode_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}
