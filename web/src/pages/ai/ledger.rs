//! The request ledger: one row per attempt, newest first, filtered by status and model.

use shared::api::ai::LedgerRow;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::browser;
use crate::components::pager::Pager;
use crate::format;
use crate::format::usd;
use crate::notify::use_notices;

const STATUSES: &[&str] = &["ok", "failed", "rejected", "cut"];

#[component(inline_props)]
pub fn Ledger(spent: Signal<u32>) -> View {
    let notices = use_notices();
    let rows = create_signal(Vec::<LedgerRow>::new());
    let page = create_signal(1u32);
    let total_pages = create_signal(1u32);
    let status = create_signal(String::new());
    let model = create_signal(String::new());
    create_effect(move || {
        spent.track();
        let (p, s, m) = (page.get(), status.get_clone(), model.get_clone());
        spawn_local_scoped(async move {
            match api::ai::requests(&s, m.trim(), p).await {
                Ok(found) => {
                    total_pages.set(found.pagination.total_pages as u32);
                    rows.set(found.items);
                }
                Err(e) => notices.error("Loading the AI ledger", &e),
            }
        });
    });
    view! {
        section(class="card", aria-labelledby="ledger-title") {
            h2(id="ledger-title") { "Requests" }
            div(class="inline-form") {
                div(class="field") {
                    label(r#for="ledger-status") { "Status filter" }
                    select(id="ledger-status", on:change=move |e: web_sys::Event| {
                        page.set(1);
                        status.set(browser::event_value(&e));
                    }) {
                        option(value="") { "Any status" }
                        (STATUSES.iter().map(|s| view! { option(value=*s) { (*s) } }).collect::<Vec<_>>())
                    }
                }
                div(class="field") {
                    label(r#for="ledger-model") { "Model filter" }
                    input(id="ledger-model", r#type="text", on:change=move |e: web_sys::Event| {
                        page.set(1);
                        model.set(browser::event_value(&e));
                    })
                }
            }
            table(id="ai-ledger") {
                thead { tr {
                    th { "When" } th { "Model" } th { "Attempt" } th { "Status" } th { "Tokens in / out" }
                    th { "Cost" } th { "Latency" } th { "First token" } th { "Error" }
                } }
                tbody {
                    Keyed(
                        list=rows,
                        key=|r| r.id,
                        view=|r| {
                            let when = format::datetime(&r.created_at);
                            let badge = format!("badge badge-{}", if r.status == "ok" { "completed" } else { "dead" });
                            let tokens = format!("{} / {}", r.usage.input_tokens, r.usage.output_tokens);
                            let cost = usd(r.cost_usd);
                            let latency = format::millis(f64::from(r.latency_ms));
                            let ttft = r.ttft_ms.map(|t| format::millis(f64::from(t))).unwrap_or_else(|| "-".into());
                            let (model, status, error) = (r.requested_model, r.status, r.error.unwrap_or_default());
                            view! {
                                tr {
                                    td { (when) }
                                    td { (model) }
                                    td { (r.attempt) }
                                    td { span(class=badge) { (status) } }
                                    td { (tokens) }
                                    td { (cost) }
                                    td { (latency) }
                                    td { (ttft) }
                                    td(class="share-url") { (error) }
                                }
                            }
                        },
                    )
                }
            }
            (if rows.with(Vec::is_empty) { view! { p(class="empty") { "No calls yet." } } } else { view! {} })
            Pager(page=page, total_pages=*total_pages, label="Request pages")
        }
    }
}
