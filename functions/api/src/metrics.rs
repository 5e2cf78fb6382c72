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

/// Counters and timings by route, method and status.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, String, u16), Series>>,
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

    /// The Prometheus text exposition.
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
