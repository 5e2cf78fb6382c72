//! Runs of every agent, newest first, filtered by agent and status (`?agent_id=` picks the
//! agent, as the fleet's "Runs" links do), each linking to its page; kept live while any run
//! shown is queued or running.

use std::collections::HashMap;

use shared::api::agents::{Agent, RUN_STATUSES, Run};
use shared::pagination::Pagination;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use super::{badge, duration, excerpt};

use crate::api;
use crate::api::agents::RunQuery;
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::components::pager::Pager;
use crate::format::{self, usd};
use crate::notify::use_notices;

/// How often the list is looked at again while a run shown is queued or running.
const POLL_MS: i32 = 3_000;

/// The value of `key` in a location's query string (`?a=1&b=2`), undecoded: the page only
/// reads ids and statuses from it, which need no decoding.
pub fn query_param(search: &str, key: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The page's query string.
fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The runs page.
#[component]
pub fn RunsPage() -> View {
    let notices = use_notices();
    let search = location_search();
    let agent_filter = create_signal(
        query_param(&search, "agent_id")
            .and_then(|a| Uuid::parse_str(&a).ok())
            .map(|a| a.to_string())
            .unwrap_or_default(),
    );
    let status_filter = create_signal(
        query_param(&search, "status")
            .filter(|s| RUN_STATUSES.contains(&s.as_str()))
            .unwrap_or_default(),
    );
    let page = create_signal(1u32);
    let runs = create_signal(Vec::<Run>::new());
    let pagination = create_signal(None::<Pagination>);
    let agents = create_signal(Vec::<Agent>::new());
    let loaded = create_signal(false);
    let reload = create_signal(0u32);
    spawn_local_scoped(async move {
        match api::agents::agents().await {
            Ok(a) => agents.set(a),
            Err(e) => notices.error("Loading agents", &e),
        }
    });
    // A poll and a filter change can cross: only the latest answer counts.
    let latest = create_signal(0u64);
    create_effect(move || {
        reload.track();
        let query = RunQuery {
            agent_id: Uuid::parse_str(&agent_filter.get_clone()).ok(),
            status: status_filter.get_clone(),
            page: page.get(),
        };
        let ticket = latest.get_untracked() + 1;
        latest.set_silent(ticket);
        spawn_local_scoped(async move {
            let found = api::agents::runs(&query).await;
            if latest.get_untracked() != ticket {
                return;
            }
            match found {
                Ok(p) => {
                    pagination.set(Some(p.pagination));
                    runs.set(p.items);
                }
                Err(e) => notices.error("Loading runs", &e),
            }
            loaded.set(true);
        });
    });
    let working = create_selector(move || runs.with(|r| r.iter().any(|r| !r.is_finished())));
    crate::components::poll::poll_while(working, POLL_MS, move || reload.update(|n| *n += 1));
    let names = create_memo(move || {
        agents.with(|a| {
            a.iter()
                .map(|a| (a.id, a.name.clone()))
                .collect::<HashMap<_, _>>()
        })
    });
    let total_pages =
        create_selector(move || pagination.with(|p| p.map_or(1, |p| p.total_pages as u32)));
    let summary = move || match pagination.with(|p| p.map(|p| p.total)) {
        None => String::new(),
        Some(1) => "1 run".to_string(),
        Some(n) => format!("{n} runs"),
    };
    view! {
        Shell(section=Section::Agents) {
            p(class="breadcrumb") { a(href="/agents") { "Agents" } " / Runs" }
            PageHeader(title="Runs".to_string()) {}
            section(class="card", aria-label="Runs and their filters") {
                div(class="filters") {
                    div(class="field") {
                        label(r#for="runs-agent") { "Agent" }
                        select(id="runs-agent", on:change=move |e: web_sys::Event| {
                            page.set(1);
                            agent_filter.set(browser::event_value(&e));
                        }) {
                            option(value="", selected=agent_filter.with_untracked(String::is_empty)) { "Any agent" }
                            ({
                                let chosen = agent_filter.get_clone_untracked();
                                agents
                                    .get_clone()
                                    .into_iter()
                                    .map(|a| {
                                        let value = a.id.to_string();
                                        let selected = value == chosen;
                                        view! { option(value=value, selected=selected) { (a.name) } }
                                    })
                                    .collect::<Vec<_>>()
                            })
                        }
                    }
                    div(class="field") {
                        label(r#for="runs-status") { "Status" }
                        select(id="runs-status", on:change=move |e: web_sys::Event| {
                            page.set(1);
                            status_filter.set(browser::event_value(&e));
                        }) {
                            option(value="", selected=status_filter.with_untracked(String::is_empty)) { "Any status" }
                            (RUN_STATUSES.iter().map(|s| {
                                let selected = status_filter.with_untracked(|f| f == s);
                                view! { option(value=*s, selected=selected) { (*s) } }
                            }).collect::<Vec<_>>())
                        }
                    }
                }
                p(id="runs-summary", class="list-summary", role="status") { (summary()) }
                div(class="table-scroll") {
                    table(id="agent-runs") {
                        thead { tr {
                            th { "Created" } th { "Agent" } th { "Status" } th { "Input" } th { "Output or error" }
                            th { "Tokens" } th { "Cost" } th { "Duration" }
                        } }
                        tbody {
                            Indexed(
                                list=runs,
                                view=move |r| view! { RunRow(run=r, names=names) },
                            )
                        }
                    }
                }
                (if loaded.get() && runs.with(Vec::is_empty) {
                    view! { p(class="empty") { "No runs match." } }
                } else {
                    view! {}
                })
                Pager(page=page, total_pages=total_pages, label="Run pages")
            }
        }
    }
}

/// A run's row. Its agent's name comes from `names` as it loads (the runs may arrive first); until
/// then, or for an agent deleted since, the id's start stands in.
#[component(inline_props)]
fn RunRow(run: Run, names: ReadSignal<HashMap<Uuid, String>>) -> View {
    let agent_id = run.agent_id;
    let agent = move || {
        names
            .with(|n| n.get(&agent_id).cloned())
            .unwrap_or_else(|| agent_id.to_string().chars().take(8).collect())
    };
    let href = format!("/agents/runs/{}", run.id);
    let when = format::datetime(&run.created_at);
    let link_label = format!("Run of {when}");
    let class = badge(&run.status);
    let input = excerpt(&run.input, 60);
    let answer = match (&run.output, &run.error) {
        (_, Some(e)) => excerpt(e, 80),
        (Some(o), None) => excerpt(o, 80),
        (None, None) => String::new(),
    };
    let tokens = format!("{} / {}", run.usage.input_tokens, run.usage.output_tokens);
    let cost = usd(run.cost_usd);
    let took = duration(&run);
    let (id, status, row_status) = (run.id.to_string(), run.status.clone(), run.status.clone());
    view! {
        tr(data-run=id, data-status=row_status) {
            td { a(href=href, aria-label=link_label) { (when) } }
            td { (agent()) }
            td { span(class=class) { (status) } }
            td { (input) }
            td(class="share-url") { (answer) }
            td(class="num") { (tokens) }
            td(class="num") { (cost) }
            td(class="num") { (took) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_found_by_name() {
        assert_eq!(
            query_param("?agent_id=abc&status=failed", "status").as_deref(),
            Some("failed")
        );
        assert_eq!(
            query_param("?agent_id=abc", "agent_id").as_deref(),
            Some("abc")
        );
        assert_eq!(query_param("?agent_id=", "agent_id"), None);
        assert_eq!(query_param("", "status"), None);
    }
}
