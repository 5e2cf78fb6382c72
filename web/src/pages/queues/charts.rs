//! One chart per queue: throughput (completed and dead per minute) and latency (how long jobs
//! waited to be picked up) over the last hour, from the API's per-minute history.

use std::collections::BTreeMap;

use shared::api::jobs::{QueueHistoryPoint, QueueSummary};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::components::chart::{LineChart, Series, peak};
use crate::format;

/// The history is per minute: reloading it every fourth refresh (12 s) is plenty.
const EVERY_NTH_TICK: u32 = 4;

/// Throughput and latency series of one queue's history.
pub fn series(points: &[QueueHistoryPoint]) -> (Vec<Series>, Vec<Series>) {
    let completed: Vec<Option<f64>> = points.iter().map(|p| Some(p.completed as f64)).collect();
    let dead: Vec<Option<f64>> = points.iter().map(|p| Some(p.dead as f64)).collect();
    let wait: Vec<Option<f64>> = points.iter().map(|p| p.wait_ms_avg).collect();
    let run: Vec<Option<f64>> = points.iter().map(|p| p.run_ms_avg).collect();
    let per_min = |v: &[Option<f64>]| format!("{:.0}/min", peak(v));
    let ms = |v: &[Option<f64>]| format::millis(peak(v));
    (
        vec![
            Series {
                name: "completed",
                class: "line-ok",
                peak_label: per_min(&completed),
                values: completed,
            },
            Series {
                name: "dead",
                class: "line-bad",
                peak_label: per_min(&dead),
                values: dead,
            },
        ],
        vec![
            Series {
                name: "wait",
                class: "line-wait",
                peak_label: ms(&wait),
                values: wait,
            },
            Series {
                name: "run",
                class: "line-run",
                peak_label: ms(&run),
                values: run,
            },
        ],
    )
}

/// The charts of every queue.
#[component(inline_props)]
pub fn Charts(queues: Signal<Vec<QueueSummary>>, tick: Signal<u32>) -> View {
    let names = create_selector(move || {
        queues.with(|q| q.iter().map(|q| q.name.clone()).collect::<Vec<_>>())
    });
    let history = create_signal(BTreeMap::<String, Vec<QueueHistoryPoint>>::new());
    create_effect(move || {
        let t = tick.get();
        let list = names.get_clone();
        if t % EVERY_NTH_TICK != 0
            && history.with_untracked(|h| list.iter().all(|n| h.contains_key(n)))
        {
            return;
        }
        spawn_local_scoped(async move {
            for name in list {
                if let Ok(points) = api::queues::history(&name).await {
                    history.update(|h| {
                        h.insert(name, points);
                    });
                }
            }
        });
    });
    view! {
        section(aria-labelledby="charts-title") {
            h2(id="charts-title") { "Last hour" }
            div(class="charts") {
                Keyed(
                    list=names,
                    key=|n| n.clone(),
                    view=move |name| {
                        let n = name.clone();
                        let both = create_selector(move || history.with(|h| series(h.get(&n).map(Vec::as_slice).unwrap_or(&[]))));
                        let throughput = create_selector(move || both.with(|b| b.0.clone()));
                        let latency = create_selector(move || both.with(|b| b.1.clone()));
                        let (t1, t2) = (format!("{name} throughput"), format!("{name} latency"));
                        view! {
                            div(class="card chart-card") {
                                h3 { (name) }
                                LineChart(title=t1, period="last hour", series=throughput)
                                LineChart(title=t2, period="last hour", series=latency)
                            }
                        }
                    },
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(completed: i64, dead: i64, wait: Option<f64>) -> QueueHistoryPoint {
        QueueHistoryPoint {
            minute: chrono::Utc::now(),
            completed,
            dead,
            wait_ms_avg: wait,
            run_ms_avg: None,
        }
    }

    #[test]
    fn series_carry_each_measure_and_its_peak() {
        let (throughput, latency) = series(&[point(3, 0, None), point(12, 1, Some(2400.0))]);
        assert_eq!(throughput[0].values, vec![Some(3.0), Some(12.0)]);
        assert_eq!(throughput[0].peak_label, "12/min");
        assert_eq!(throughput[1].peak_label, "1/min");
        assert_eq!(latency[0].values, vec![None, Some(2400.0)]);
        assert_eq!(latency[0].peak_label, "2.4 s");
        assert_eq!(latency[1].peak_label, "0 ms");
    }
}
