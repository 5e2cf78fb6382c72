//! Queues: each queue's counts by state, latency and throughput, refreshed live, with a chart
//! of the last hour; pause and resume; jobs by state; a job's args and error history; retry or
//! discard. Platform admins see every account's jobs, account users their own.

mod charts;
mod jobs;

use shared::Permission;
use shared::api::jobs::QueueSummary;
use shared::job::JobState;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::format;
use crate::notify::use_notices;
use crate::session::use_session;

/// How often the counts refresh.
const REFRESH_MS: i32 = 3_000;

/// The queues page.
#[component]
pub fn QueuesPage() -> View {
    let session = use_session();
    if !(session.can(Permission::JobsRead) || session.is_admin()) {
        return view! {
            Shell(section=Section::Queues) {
                h1 { "Queues" }
                p { "Your role cannot see jobs. Ask an owner for the jobs.read permission." }
            }
        };
    }
    let notices = use_notices();
    let queues = create_signal(Vec::<QueueSummary>::new());
    let tick = create_signal(0u32);
    create_effect(move || {
        tick.track();
        spawn_local_scoped(async move {
            match api::queues::summaries().await {
                Ok(q) => queues.set(q),
                // One failed refresh is not worth a notice every three seconds.
                Err(e) if tick.get_untracked() > 0 => {
                    web_sys::console::warn_1(&e.describe().into())
                }
                Err(e) => notices.error("Loading queues", &e),
            }
        });
    });
    browser::every(REFRESH_MS, move || tick.update(|n| *n += 1));
    let can_manage = session.can(Permission::JobsManage) || session.is_admin();
    let selected = create_signal(String::new());
    view! {
        Shell(section=Section::Queues) {
            PageHeader(title="Queues".to_string()) {
                span(class="muted", aria-live="off") { "Refreshes every 3 s" }
            }
            table(class="queues") {
                caption(class="visually-hidden") { "Queues with their jobs by state" }
                thead {
                    tr {
                        th(scope="col") { "Queue" }
                        (JobState::ALL.iter().map(|s| view! { th(scope="col") { (s.as_str()) } }).collect::<Vec<_>>())
                        th(scope="col") { "Oldest waiting" }
                        th(scope="col") { "Done / min" }
                        th(scope="col") { "Failed / min" }
                        th(scope="col") { span(class="visually-hidden") { "Actions" } }
                    }
                }
                tbody {
                    // Indexed re-renders a row whose counts changed and keeps the others.
                    Indexed(
                        list=queues,
                        view=move |q| view! { QueueRow(queue=q, can_manage=can_manage, tick=tick, selected=selected) },
                    )
                }
            }
            charts::Charts(queues=queues, tick=tick)
            jobs::Jobs(queues=queues, selected=selected, can_manage=can_manage, tick=tick)
        }
    }
}

#[component(inline_props)]
fn QueueRow(
    queue: QueueSummary,
    can_manage: bool,
    tick: Signal<u32>,
    selected: Signal<String>,
) -> View {
    let notices = use_notices();
    let name = queue.name.clone();
    let paused = queue.paused;
    let toggle = move |_| {
        let name = name.clone();
        spawn_local_scoped(async move {
            match api::queues::set_paused(&name, !paused).await {
                Ok(_) => {
                    notices.success(format!(
                        "Queue {name} {}",
                        if paused { "resumed" } else { "paused" }
                    ));
                    tick.update(|n| *n += 1);
                }
                Err(e) => notices.error("Changing the queue", &e),
            }
        });
    };
    let show = {
        let name = queue.name.clone();
        move |_| selected.set(name.clone())
    };
    let counts: Vec<View> = JobState::ALL
        .iter()
        .map(|s| {
            let n = queue.counts.get(s.as_str()).copied().unwrap_or(0);
            view! { td(class="num") { (n) } }
        })
        .collect();
    let oldest = format::duration_secs(queue.oldest_available_age_seconds.max(0.0) as u64);
    let (done, failed) = (queue.completed_last_minute, queue.failed_last_minute);
    let show_label = format!("Show jobs of {}", queue.name);
    let verb = if paused { "Resume" } else { "Pause" };
    let toggle_label = format!("{verb} queue {}", queue.name);
    let toggle_button = if can_manage {
        view! { button(r#type="button", aria-label=toggle_label, on:click=toggle) { (verb) } }
    } else {
        view! {}
    };
    let paused_badge = if paused {
        view! { " " span(class="badge badge-paused") { "paused" } }
    } else {
        view! {}
    };
    let (row_name, title) = (queue.name.clone(), queue.name);
    view! {
        tr(data-queue=row_name) {
            th(scope="row") { (title) (paused_badge) }
            (counts)
            td(class="num") { (oldest) }
            td(class="num") { (done) }
            td(class="num") { (failed) }
            td(class="row-actions") {
                button(r#type="button", aria-label=show_label, on:click=show) { "Jobs" }
                (toggle_button)
            }
        }
    }
}
