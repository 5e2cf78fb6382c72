//! One run: its input, status, output or error, totals, and each step (model calls with their
//! text, tool calls with their arguments and result) appearing as it lands. The page follows the
//! run's event stream, again from its last step each time the server ends the stream before the
//! run ends; where no stream can be had (a runtime that cannot hold one open) it polls the run
//! instead. A small label says which.

use shared::Permission;
use shared::api::agents::{Agent, Run, RunStep};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use super::{badge, duration, last_step, merge_run, put_step};
use crate::api;
use crate::api::agents::RunEvent;
use crate::browser;
use crate::components::layout::{Section, Shell};
use crate::format;
use crate::format::usd;
use crate::notify::{Notices, use_notices};
use crate::session::use_session;

/// How often the run is looked at again when no stream can be had.
const POLL_MS: i32 = 2_000;
/// Streams that break in a row (each after some events) before the page polls instead.
const STREAM_FAILURES: u32 = 3;

/// How the page learns of the run's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Updates {
    /// Not following (yet, or at all: the run had ended when the page loaded it).
    None,
    /// Asking for the event stream.
    Connecting,
    /// The event stream.
    Live,
    /// A request every `POLL_MS`.
    Polling,
}

impl Updates {
    fn as_str(self) -> &'static str {
        match self {
            Updates::None => "none",
            Updates::Connecting => "connecting",
            Updates::Live => "live",
            Updates::Polling => "polling",
        }
    }
}

/// A JSON value as the page shows it: indented, and a string holding JSON (arguments as
/// models write them) shown as the JSON it holds.
pub fn pretty(value: &serde_json::Value) -> String {
    if let serde_json::Value::String(text) = value {
        return match serde_json::from_str::<serde_json::Value>(text) {
            Ok(inner) if inner.is_object() || inner.is_array() => {
                serde_json::to_string_pretty(&inner).unwrap_or_else(|_| text.clone())
            }
            _ => text.clone(),
        };
    }
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The page of `/agents/runs/{id}`.
#[component(inline_props)]
pub fn RunPage(id: String) -> View {
    let Ok(id) = Uuid::parse_str(&id) else {
        return view! { Shell(section=Section::Agents) { NotFound {} } };
    };
    let notices = use_notices();
    let session = use_session();
    let can_use = session.can(Permission::AiUse);
    let run = create_signal(None::<Run>);
    let missing = create_signal(false);
    let updates = create_signal(Updates::None);
    let agents = create_signal(Vec::<Agent>::new());
    spawn_local_scoped(follow(id, run, missing, updates, notices));
    // The run names its agent by id only; the fleet list has the name.
    spawn_local_scoped(async move {
        if let Ok(found) = api::agents::agents().await {
            agents.set(found);
        }
    });
    let agent_name = create_memo(move || {
        let agent = run.with(|r| r.as_ref().map(|r| r.agent_id));
        agents.with(|list| {
            list.iter()
                .find(|a| Some(a.id) == agent)
                .map(|a| a.name.clone())
        })
    });
    let ready = create_selector(move || run.with(Option::is_some));
    view! {
        Shell(section=Section::Agents) {
            (if missing.get() {
                view! { NotFound {} }
            } else if !ready.get() {
                view! { p { "Loading…" } }
            } else {
                view! { Loaded(run=run, updates=updates, agent_name=agent_name, can_use=can_use) }
            })
        }
    }
}

/// The run as it is now, then its progress until it ends: over the event stream when the
/// server holds one open, else by polling.
async fn follow(
    id: Uuid,
    run: Signal<Option<Run>>,
    missing: Signal<bool>,
    updates: Signal<Updates>,
    notices: Notices,
) {
    // Loaded first, so the page shows the run at once and a finished run needs no stream.
    match api::agents::run(id).await {
        Ok(r) => run.set(Some(r)),
        Err(e) if e.status() == Some(404) => {
            missing.set(true);
            return;
        }
        Err(e) => notices.error("Loading the run", &e),
    }
    if is_finished(run) {
        return;
    }
    updates.set(Updates::Connecting);
    if follow_stream(id, run, updates).await {
        return;
    }
    updates.set(Updates::Polling);
    poll(id, run, missing, notices).await;
}

fn is_finished(run: Signal<Option<Run>>) -> bool {
    run.with_untracked(|r| r.as_ref().is_some_and(Run::is_finished))
}

fn apply(run: Signal<Option<Run>>, event: RunEvent) {
    match event {
        RunEvent::Run(incoming) => run.update(|r| *r = Some(merge_run(r.take(), incoming))),
        RunEvent::Step(step) => run.update(|r| {
            if let Some(r) = r {
                put_step(&mut r.steps, step);
            }
        }),
    }
}

/// Follows the event stream until the run ends (`true`), or until it is clear no stream can be
/// had (`false`): an answer that is not a stream, a stream without its first event, or streams
/// that keep breaking.
async fn follow_stream(id: Uuid, run: Signal<Option<Run>>, updates: Signal<Updates>) -> bool {
    let mut failures = 0;
    loop {
        let after = run.with_untracked(|r| r.as_ref().map_or(0, last_step));
        let mut events = 0u32;
        let result = api::agents::watch(id, after, |event| {
            events += 1;
            if updates.get_untracked() != Updates::Live {
                updates.set(Updates::Live);
            }
            apply(run, event);
        })
        .await;
        if is_finished(run) {
            return true;
        }
        match result {
            _ if events == 0 => return false,
            // The stream's time ran out before the run's: follow again from the last step.
            Ok(()) => failures = 0,
            Err(_) => {
                failures += 1;
                if failures >= STREAM_FAILURES {
                    return false;
                }
                browser::sleep(1_000).await;
            }
        }
    }
}

/// Loads the run every `POLL_MS` until it ends. A failing request is reported once, not on
/// every try.
async fn poll(id: Uuid, run: Signal<Option<Run>>, missing: Signal<bool>, notices: Notices) {
    let mut failing = false;
    loop {
        browser::sleep(POLL_MS).await;
        match api::agents::run(id).await {
            Ok(r) => {
                failing = false;
                let done = r.is_finished();
                apply(run, RunEvent::Run(r));
                if done {
                    return;
                }
            }
            Err(e) if e.status() == Some(404) => {
                missing.set(true);
                return;
            }
            Err(e) => {
                if !failing {
                    notices.error("Following the run", &e);
                }
                failing = true;
            }
        }
    }
}

#[component(inline_props)]
fn Loaded(
    run: Signal<Option<Run>>,
    updates: Signal<Updates>,
    agent_name: ReadSignal<Option<String>>,
    can_use: bool,
) -> View {
    let notices = use_notices();
    let field = move |f: fn(&Run) -> String| run.with(|r| r.as_ref().map(f).unwrap_or_default());
    let id = run.with_untracked(|r| r.as_ref().map(|r| r.id).unwrap_or_default());
    let status = create_selector(move || field(|r| r.status.clone()));
    let finished = create_selector(move || run.with(|r| r.as_ref().is_some_and(Run::is_finished)));
    let steps =
        create_memo(move || run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default()));
    let cancelling = create_signal(false);
    let cancel = move |_| {
        cancelling.set(true);
        spawn_local_scoped(async move {
            match api::agents::cancel(id).await {
                Ok(r) => {
                    notices.success("Run cancelled");
                    apply(run, RunEvent::Run(r));
                }
                Err(e) => notices.error("Cancelling the run", &e),
            }
            cancelling.set(false);
        });
    };
    let agent = move || {
        let agent_id = field(|r| r.agent_id.to_string());
        agent_name
            .get_clone()
            .unwrap_or_else(|| agent_id.chars().take(8).collect())
    };
    let short_id: String = id.to_string().chars().take(8).collect();
    let updates_title = move || match updates.get() {
        Updates::Live => "Steps appear as the server sends them",
        Updates::Polling => "The server cannot stream here: the run is loaded again every 2 s",
        Updates::Connecting => "Asking the server for the run's event stream",
        Updates::None => "",
    };
    view! {
        p(class="breadcrumb") {
            a(href="/agents") { "Agents" } " / " a(href="/agents/runs") { "Runs" } " / " (short_id)
        }
        div(class="page-header") {
            h1 { "Run of " (agent()) }
            div(class="page-actions") {
                span(id="run-status", class=badge(&status.get_clone()), data-status=status.get_clone(), role="status") { (status.get_clone()) }
                span(id="run-updates", class="updates-mode", data-mode=updates.get().as_str(), title=updates_title()) {
                    (if finished.get() || updates.get() == Updates::None { "" } else { updates.get().as_str() })
                }
                (if can_use && !finished.get() {
                    view! { button(id="run-cancel", r#type="button", class="button-danger", disabled=cancelling.get(), on:click=cancel) { "Cancel run" } }
                } else {
                    view! {}
                })
            }
        }
        section(class="card", aria-labelledby="run-summary-title") {
            h2(id="run-summary-title") { "Summary" }
            Summary(run=run)
            h3 { "Input" }
            p(id="run-input", class="run-text") { (field(|r| r.input.clone())) }
            (if run.with(|r| r.as_ref().is_some_and(|r| r.output.is_some())) {
                view! {
                    h3 { "Output" }
                    p(id="run-output", class="run-text") { (field(|r| r.output.clone().unwrap_or_default())) }
                }
            } else {
                view! {}
            })
            (if run.with(|r| r.as_ref().is_some_and(|r| r.error.is_some())) {
                view! {
                    h3 { "Error" }
                    p(id="run-error", class="form-error") { (field(|r| r.error.clone().unwrap_or_default())) }
                }
            } else {
                view! {}
            })
        }
        section(class="card", aria-labelledby="run-steps-title") {
            h2(id="run-steps-title") { "Steps" }
            (if steps.with(Vec::is_empty) {
                let text = if finished.get() { "No steps." } else { "No steps yet." };
                view! { p(class="empty") { (text) } }
            } else {
                view! {}
            })
            ol(id="run-steps", class="run-steps") {
                Keyed(
                    list=steps,
                    key=|s| (s.n, s.created_at, s.latency_ms),
                    view=|s| view! { Step(step=s) },
                )
            }
        }
    }
}

/// Times, totals and the queue job.
#[component(inline_props)]
fn Summary(run: Signal<Option<Run>>) -> View {
    view! {
        (run.with(|r| match r {
            Some(r) => summary(r),
            None => view! {},
        }))
    }
}

fn summary(r: &Run) -> View {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.as_ref().map_or_else(|| "-".into(), format::datetime)
    };
    let created = format::datetime(&r.created_at);
    let (started, finished) = (when(r.started_at), when(r.finished_at));
    let took = duration(r);
    let tokens = format!(
        "{} in ({} cached), {} out, {} in all",
        r.usage.input_tokens,
        r.usage.cached_input_tokens,
        r.usage.output_tokens,
        r.usage.total_tokens
    );
    let cost = usd(r.cost_usd);
    let job = r.job_id.map_or_else(|| "-".to_string(), |j| j.to_string());
    view! {
        dl(class="kv", id="run-facts") {
            dt { "Created" } dd { (created) }
            dt { "Started" } dd { (started) }
            dt { "Finished" } dd { (finished) }
            dt { "Duration" } dd(id="run-duration") { (took) }
            dt { "Tokens" } dd(id="run-tokens") { (tokens) }
            dt { "Cost" } dd(id="run-cost") { (cost) }
            dt { "Queue job" } dd { (job) }
        }
    }
}

#[component(inline_props)]
fn Step(step: RunStep) -> View {
    let heading = match (step.kind.as_str(), step.tool.as_deref()) {
        ("tool", Some(tool)) => format!("Step {}: tool {tool}", step.n),
        ("llm", _) => format!("Step {}: model call", step.n),
        (kind, _) => format!("Step {}: {kind}", step.n),
    };
    let mut facts = Vec::new();
    if let Some(u) = &step.usage {
        facts.push(format!(
            "{} in, {} out tokens",
            u.input_tokens, u.output_tokens
        ));
    }
    if let Some(c) = step.cost_usd {
        facts.push(usd(c));
    }
    facts.push(format::millis(f64::from(step.latency_ms)));
    let facts = facts.join(" · ");
    let body = if step.kind == "llm" {
        llm_body(step.result.as_ref())
    } else {
        tool_body(step.arguments.as_ref(), step.result.as_ref())
    };
    let (n, kind) = (step.n.to_string(), step.kind.clone());
    view! {
        li(class="run-step", data-n=n, data-kind=kind) {
            div(class="hit-head") {
                h3 { (heading) }
                span(class="muted step-facts") { (facts) }
            }
            (body)
        }
    }
}

/// A model call: its text, the tool calls it asked for, and why it stopped.
fn llm_body(result: Option<&serde_json::Value>) -> View {
    let Some(result) = result else {
        return view! {};
    };
    let text = result["content"].as_str().unwrap_or_default().to_string();
    let calls = result
        .get("tool_calls")
        .filter(|c| !c.is_null())
        .map(pretty);
    let finish = result["finish_reason"]
        .as_str()
        .map(|f| format!("finish reason: {f}"));
    view! {
        (if text.is_empty() { view! {} } else {
            let text = text.clone();
            view! { p(class="run-text step-text") { (text) } }
        })
        (match calls.clone() {
            Some(c) => view! { h4 { "Tool calls" } pre(class="json") { (c) } },
            None => view! {},
        })
        (match finish.clone() {
            Some(f) => view! { p(class="muted small") { (f) } },
            None => view! {},
        })
    }
}

/// A tool call: the arguments the model wrote and the tool's answer.
fn tool_body(arguments: Option<&serde_json::Value>, result: Option<&serde_json::Value>) -> View {
    let arguments = arguments.map(pretty);
    let result = result.map(pretty);
    view! {
        (match arguments.clone() {
            Some(a) => view! { h4 { "Arguments" } pre(class="json step-arguments") { (a) } },
            None => view! {},
        })
        (match result.clone() {
            Some(r) => view! { h4 { "Result" } pre(class="json step-result") { (r) } },
            None => view! {},
        })
    }
}

#[component]
fn NotFound() -> View {
    view! {
        h1 { "Run not found" }
        p { "It does not exist, or it belongs to another account. " a(href="/agents/runs") { "All runs" } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_and_json_in_a_string_shown_as_json() {
        let v = serde_json::json!({"query": "lava"});
        assert_eq!(pretty(&v), "{\n  \"query\": \"lava\"\n}");
        assert_eq!(
            pretty(&serde_json::json!("{\"query\":\"lava\"}")),
            "{\n  \"query\": \"lava\"\n}"
        );
        assert_eq!(pretty(&serde_json::json!("plain words")), "plain words");
        assert_eq!(pretty(&serde_json::json!("42")), "42");
    }
}
