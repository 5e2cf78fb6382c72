//! The fleet: every agent with its runs of the last 24 hours by status, success rate, median
//! duration and cost (kept live while any of its runs is queued or running), its actions (run,
//! edit, delete), the form, and the box that starts a run.

use shared::Permission;
use shared::api::agents::{Agent, AgentStats, RUN_STATUSES, RunCounts};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use sycamore_router::navigate;

use super::excerpt;
use super::form::{AgentForm, Editing};
use crate::api;
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::format;
use crate::format::usd;
use crate::notify::use_notices;
use crate::session::use_session;

/// How often the fleet is looked at again while any agent has a run queued or running.
const POLL_MS: i32 = 3_000;

/// The count of `status` in `runs`.
fn count(runs: &RunCounts, status: &str) -> i64 {
    match status {
        "queued" => runs.queued,
        "running" => runs.running,
        "completed" => runs.completed,
        "failed" => runs.failed,
        "cancelled" => runs.cancelled,
        _ => 0,
    }
}

/// Whether an agent's runs may still change by themselves.
fn busy(agent: &Agent) -> bool {
    agent
        .stats
        .as_ref()
        .is_some_and(|s| s.runs.queued + s.runs.running > 0)
}

/// A rate of 0..1 as a percentage (`-` before any run finished).
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".into(), |r| format!("{:.0}%", r * 100.0))
}

/// The agents page.
#[component]
pub fn AgentsPage() -> View {
    let session = use_session();
    let notices = use_notices();
    let can_manage = session.can(Permission::AiManage);
    let can_use = session.can(Permission::AiUse);
    let agents = create_signal(Vec::<Agent>::new());
    let loaded = create_signal(false);
    let reload = create_signal(0u32);
    let editing = create_signal(Editing::Nothing);
    let starting = create_signal(None::<Agent>);
    // A poll and a reload after a change can cross: only the latest answer counts.
    let latest = create_signal(0u64);
    create_effect(move || {
        reload.track();
        let ticket = latest.get_untracked() + 1;
        latest.set_silent(ticket);
        spawn_local_scoped(async move {
            let found = api::agents::agents().await;
            if latest.get_untracked() != ticket {
                return;
            }
            match found {
                Ok(a) => agents.set(a),
                Err(e) => notices.error("Loading agents", &e),
            }
            loaded.set(true);
        });
    });
    // Loaded again while any agent has a run that may still change by itself.
    let working = create_selector(move || agents.with(|a| a.iter().any(busy)));
    crate::components::poll::poll_while(working, POLL_MS, move || reload.update(|n| *n += 1));
    let actions = Actions {
        can_manage,
        can_use,
        editing,
        starting,
        reload,
    };
    view! {
        Shell(section=Section::Agents) {
            PageHeader(title="Agents".to_string()) {
                a(id="agents-all-runs", class="button", href="/agents/runs") { "All runs" }
                (if can_manage {
                    view! { button(r#type="button", class="button-primary", on:click=move |_| editing.set(Editing::New)) { "New agent" } }
                } else { view! {} })
            }
            (match editing.get_clone() {
                Editing::Nothing => view! {},
                e => view! { AgentForm(editing=e, close=editing, reload=reload) },
            })
            (match starting.get_clone() {
                Some(agent) => view! { StartRun(agent=agent, close=starting) },
                None => view! {},
            })
            section(class="card", aria-labelledby="fleet-title") {
                h2(id="fleet-title") { "Fleet" }
                p(class="hint") { "Runs, success rate (completed of finished), median duration and cost over the last 24 hours." }
                div(class="table-scroll") {
                    table(id="agents-fleet") {
                        thead { tr {
                            th { "Name" } th { "Model" } th { "Tools" } th { "Runs (24 h)" }
                            th { "Success rate" } th { "p50 duration" } th { "Cost (24 h)" }
                            th { span(class="visually-hidden") { "Actions" } }
                        } }
                        tbody {
                            Indexed(
                                list=agents,
                                view=move |a| view! { AgentRow(agent=a, actions=actions) },
                            )
                        }
                    }
                }
                (if loaded.get() && agents.with(Vec::is_empty) {
                    view! { p(class="empty") { "No agents yet." } }
                } else {
                    view! {}
                })
            }
        }
    }
}

/// What a row's buttons may do, and the signals they drive.
#[derive(Clone, Copy)]
struct Actions {
    can_manage: bool,
    can_use: bool,
    editing: Signal<Editing>,
    starting: Signal<Option<Agent>>,
    reload: Signal<u32>,
}

#[component(inline_props)]
fn AgentRow(agent: Agent, actions: Actions) -> View {
    let notices = use_notices();
    let id = agent.id;
    let name = agent.name.clone();
    let delete = move |_| {
        if !browser::confirm(&format!("Delete the agent {name}?")) {
            return;
        }
        spawn_local_scoped(async move {
            match api::agents::delete(id).await {
                Ok(a) => {
                    notices.success(format!("Agent {} deleted", a.name));
                    actions.reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Deleting the agent", &e),
            }
        });
    };
    let run_button = if actions.can_use {
        let (label, chosen) = (format!("Run agent {}", agent.name), agent.clone());
        view! {
            button(r#type="button", class="button-primary", aria-label=label,
                on:click=move |_| actions.starting.set(Some(chosen.clone()))) { "Run" }
        }
    } else {
        view! {}
    };
    let manage_buttons = if actions.can_manage {
        let (edit_label, delete_label) = (
            format!("Edit agent {}", agent.name),
            format!("Delete agent {}", agent.name),
        );
        let chosen = agent.clone();
        view! {
            button(r#type="button", aria-label=edit_label,
                on:click=move |_| actions.editing.set(Editing::Existing(Box::new(chosen.clone())))) { "Edit" }
            button(r#type="button", class="button-danger", aria-label=delete_label, on:click=delete) { "Delete" }
        }
    } else {
        view! {}
    };
    let runs_href = format!("/agents/runs?agent_id={id}");
    let runs_link = runs_href.clone();
    let runs_label = format!("Runs of agent {}", agent.name);
    let stats = agent.stats.clone().unwrap_or_default();
    let rate = percent(stats.success_rate);
    let p50 = stats
        .p50_duration_ms
        .map_or_else(|| "-".to_string(), |ms| format::millis(ms as f64));
    let cost = usd(stats.cost_usd);
    let tools = if agent.tools.is_empty() {
        "none".to_string()
    } else {
        agent.tools.join(", ")
    };
    let prompt = excerpt(&agent.system_prompt, 80);
    let created = format!("created {}", format::datetime(&agent.created_at));
    let row_name = agent.name.clone();
    view! {
        tr(data-agent=row_name, data-agent-id=id.to_string()) {
            td {
                strong { (agent.name) }
                (if prompt.is_empty() { view! {} } else {
                    let prompt = prompt.clone();
                    view! { div(class="muted small") { (prompt) } }
                })
                div(class="muted small") { (created) }
            }
            td { (agent.model) }
            td(data-testid="agent-tools") { (tools) }
            td(data-testid="agent-runs") { RunCountsCell(stats=stats) }
            td(class="num", data-testid="agent-success-rate") { (rate) }
            td(class="num", data-testid="agent-p50") { (p50) }
            td(class="num", data-testid="agent-cost") { (cost) }
            td(class="row-actions") {
                (run_button)
                a(href=runs_link, aria-label=runs_label, on:click=move |e: web_sys::MouseEvent| {
                    // The router keeps only the path of a link to another page: navigate with the
                    // query ourselves (a modified click still opens a tab the browser's way).
                    if !(e.ctrl_key() || e.meta_key() || e.shift_key()) {
                        e.prevent_default();
                        navigate(&runs_href);
                    }
                }) { "Runs" }
                (manage_buttons)
            }
        }
    }
}

/// The statuses an agent had runs in, each with its count (`none` without runs).
#[component(inline_props)]
fn RunCountsCell(stats: AgentStats) -> View {
    let shown = RUN_STATUSES
        .iter()
        .map(|s| (*s, count(&stats.runs, s)))
        .filter(|(_, n)| *n > 0)
        .map(|(status, n)| {
            let class = super::badge(status);
            let text = format!("{n} {status}");
            view! { span(class=class, data-status=status, data-count=n.to_string()) { (text) } " " }
        })
        .collect::<Vec<_>>();
    if shown.is_empty() {
        view! { span(class="muted") { "none" } }
    } else {
        view! { span(class="run-counts") { (shown) } }
    }
}

/// The input of a new run of `agent`; once queued, the run's page.
#[component(inline_props)]
fn StartRun(agent: Agent, close: Signal<Option<Agent>>) -> View {
    let input = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    let id = agent.id;
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let text = input.get_clone_untracked();
        spawn_local_scoped(async move {
            match api::agents::start_run(id, &text).await {
                // Leaving the page disposes this form's signals: nothing may follow.
                Ok(run) => navigate(&format!("/agents/runs/{}", run.id)),
                Err(e) => {
                    problem.set(Some(e.describe()));
                    busy.set(false);
                }
            }
        });
    };
    let title = format!("Run agent {}", agent.name);
    let hint = format!(
        "{} answers with {}, in at most {} step{}.",
        agent.name,
        agent.model,
        agent.max_steps,
        if agent.max_steps == 1 { "" } else { "s" }
    );
    view! {
        form(id="agent-run-form", class="card form form-wide", on:submit=submit, aria-labelledby="agent-run-title") {
            h2(id="agent-run-title") { (title) }
            p(class="hint") { (hint) }
            label(r#for="agent-run-input") { "Input" }
            textarea(id="agent-run-input", rows="4", required=true, maxlength="100000", bind:value=input)
            (match problem.get_clone() {
                Some(p) => view! { p(class="form-error", role="alert") { "Starting the run: " (p) } },
                None => view! {},
            })
            div(class="page-actions") {
                button(r#type="submit", class="button-primary", disabled=busy.get()) { "Start run" }
                button(r#type="button", on:click=move |_| close.set(None)) { "Cancel" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_statuses() {
        let runs = RunCounts {
            queued: 1,
            running: 2,
            completed: 3,
            failed: 4,
            cancelled: 5,
        };
        let counts: Vec<i64> = RUN_STATUSES.iter().map(|s| count(&runs, s)).collect();
        assert_eq!(counts, vec![1, 2, 3, 4, 5]);
        assert_eq!(percent(Some(0.666)), "67%");
        assert_eq!(percent(None), "-");
    }
}
