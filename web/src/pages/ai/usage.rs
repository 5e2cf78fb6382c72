//! This month's usage: cost and calls per day as charts, and each model's share as bars.

use chrono::{Datelike as _, NaiveDate};
use shared::api::ai::UsageRow;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::components::chart::{LineChart, Series};
use crate::format::usd;
use crate::notify::use_notices;

/// Every day of `today`'s month up to `today`, with that day's row (zeros for a day without
/// calls), oldest first: a chart needs a point per day, not per day that had calls.
pub fn month_days(rows: &[UsageRow], today: NaiveDate) -> Vec<(f64, f64, f64)> {
    let first = today.with_day(1).unwrap_or(today);
    first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| {
            let key = d.format("%Y-%m-%d").to_string();
            rows.iter()
                .find(|r| r.key == key)
                .map_or((0.0, 0.0, 0.0), |r| {
                    (r.cost_usd, r.requests as f64, r.errors as f64)
                })
        })
        .collect()
}

/// The per-day series: cost (USD) and calls, oldest first, for every day of the month so far.
pub fn day_series(rows: &[UsageRow], today: NaiveDate) -> (Vec<Series>, Vec<Series>) {
    let days = month_days(rows, today);
    let cost: Vec<Option<f64>> = days.iter().map(|d| Some(d.0)).collect();
    let calls: Vec<Option<f64>> = days.iter().map(|d| Some(d.1)).collect();
    let errors: Vec<Option<f64>> = days.iter().map(|d| Some(d.2)).collect();
    let peak = |v: &[Option<f64>]| crate::components::chart::peak(v);
    (
        vec![Series {
            name: "cost",
            class: "line-run",
            peak_label: usd(peak(&cost)),
            values: cost,
        }],
        vec![
            Series {
                name: "calls",
                class: "line-ok",
                peak_label: format!("{:.0}/day", peak(&calls)),
                values: calls,
            },
            Series {
                name: "errors",
                class: "line-bad",
                peak_label: format!("{:.0}/day", peak(&errors)),
                values: errors,
            },
        ],
    )
}

#[component(inline_props)]
pub fn Usage(spent: Signal<u32>) -> View {
    let notices = use_notices();
    let by_day = create_signal(Vec::<UsageRow>::new());
    let by_model = create_signal(Vec::<UsageRow>::new());
    create_effect(move || {
        spent.track();
        spawn_local_scoped(async move {
            match (api::ai::usage("day").await, api::ai::usage("model").await) {
                (Ok(d), Ok(m)) => {
                    by_day.set(d);
                    by_model.set(m);
                }
                (Err(e), _) | (_, Err(e)) => notices.error("Loading AI usage", &e),
            }
        });
    });
    let both =
        create_selector(move || by_day.with(|d| day_series(d, chrono::Utc::now().date_naive())));
    let cost = create_selector(move || both.with(|b| b.0.clone()));
    let calls = create_selector(move || both.with(|b| b.1.clone()));
    let max_cost = create_selector(move || {
        by_model.with(|m| m.iter().map(|r| r.cost_usd).fold(0.0_f64, f64::max))
    });
    view! {
        section(class="card", aria-labelledby="usage-title") {
            h2(id="usage-title") { "Usage this month" }
            div(class="charts", id="usage-charts") {
                div(class="chart-card") {
                    h3 { "Cost per day" }
                    LineChart(title="AI cost per day".to_string(), period="this month", series=cost)
                }
                div(class="chart-card") {
                    h3 { "Calls per day" }
                    LineChart(title="AI calls per day".to_string(), period="this month", series=calls)
                }
            }
            h3 { "By model" }
            table(id="usage-by-model") {
                thead { tr { th { "Model" } th { "Calls" } th { "Errors" } th { "Tokens in / out" } th { "Cost" } } }
                tbody {
                    Keyed(
                        list=by_model,
                        key=|r| (r.key.clone(), r.requests),
                        view=move |r| {
                            let width = if max_cost.get() > 0.0 { r.cost_usd / max_cost.get() * 100.0 } else { 0.0 };
                            let bar = format!("width: {width:.0}%");
                            let tokens = format!("{} / {}", r.input_tokens, r.output_tokens);
                            let cost = usd(r.cost_usd);
                            view! {
                                tr {
                                    td { (r.key) }
                                    td { (r.requests) }
                                    td { (r.errors) }
                                    td { (tokens) }
                                    td { span(class="bar", style=bar) {} " " (cost) }
                                }
                            }
                        },
                    )
                }
            }
            (if by_model.with(Vec::is_empty) { view! { p(class="empty") { "No calls this month yet." } } } else { view! {} })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, cost: f64, requests: i64) -> UsageRow {
        UsageRow {
            key: key.into(),
            requests,
            errors: 0,
            input_tokens: 0,
            output_tokens: 0,
            cached_input_tokens: 0,
            cost_usd: cost,
        }
    }

    #[test]
    fn every_day_of_the_month_so_far_is_a_point() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).expect("a date");
        let days = month_days(&[row("2026-12-02", 0.5, 3)], today);
        assert_eq!(days.len(), 4);
        assert_eq!(days[1], (0.5, 3.0, 0.0));
        assert_eq!(days[0], (0.0, 0.0, 0.0));
        let (cost, calls) = day_series(&[row("2026-12-02", 0.5, 3)], today);
        assert_eq!(cost[0].values.len(), 4);
        assert_eq!(calls[0].peak_label, "3/day");
    }
}
