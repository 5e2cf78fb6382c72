//! Jobs of a queue by state, and one job's args, attempts and error history, with retry and
//! discard for the jobs that can take them.

use shared::api::jobs::{Job, QueueSummary};
use shared::job::JobState;
use shared::pagination::Pagination;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use crate::api;
use crate::browser;
use crate::components::pager::Pager;
use crate::format;
use crate::notify::use_notices;

/// Whether an operator may retry a job in `state` (API.md: dead or retryable).
pub fn retryable(state: JobState) -> bool {
    matches!(state, JobState::Dead | JobState::Retryable)
}

/// Whether an operator may discard a job in `state` (one still waiting to run).
pub fn discardable(state: JobState) -> bool {
    matches!(
        state,
        JobState::Scheduled | JobState::Available | JobState::Retryable
    )
}

/// The jobs list and the selected job.
#[component(inline_props)]
pub fn Jobs(
    queues: Signal<Vec<QueueSummary>>,
    selected: Signal<String>,
    can_manage: bool,
    tick: Signal<u32>,
) -> View {
    let notices = use_notices();
    let state = create_signal(String::from("dead"));
    let page = create_signal(1u32);
    let jobs = create_signal(Vec::<Job>::new());
    let pagination = create_signal(None::<Pagination>);
    let open = create_signal(None::<Uuid>);
    let reload = create_signal(0u32);
    create_effect(move || {
        let (queue, st, p) = (selected.get_clone(), state.get_clone(), page.get());
        reload.track();
        spawn_local_scoped(async move {
            match api::queues::jobs(&queue, &st, p).await {
                Ok(list) => {
                    jobs.set(list.items);
                    pagination.set(Some(list.pagination));
                }
                Err(e) => notices.error("Loading jobs", &e),
            }
        });
    });
    // The list follows the live refresh too, but more slowly than the counts.
    create_effect(move || {
        if tick.get() % 2 == 1 {
            reload.update(|n| *n += 1);
        }
    });
    let total_pages =
        create_selector(move || pagination.with(|p| p.map_or(1, |p| p.total_pages as u32)));
    view! {
        section(class="card", aria-labelledby="jobs-title") {
            h2(id="jobs-title") { "Jobs" }
            div(class="filters") {
                div(class="field") {
                    label(r#for="jobs-queue") { "Queue" }
                    select(id="jobs-queue", prop:value=move || selected.get_clone(), on:change=move |e: web_sys::Event| {
                        page.set(1);
                        selected.set(browser::event_value(&e));
                    }) {
                        option(value="") { "All queues" }
                        Keyed(
                            list=queues,
                            key=|q| q.name.clone(),
                            view=|q| {
                                let value = q.name.clone();
                                view! { option(value=value) { (q.name) } }
                            },
                        )
                    }
                }
                div(class="field") {
                    label(r#for="jobs-state") { "State" }
                    select(id="jobs-state", prop:value=move || state.get_clone(), on:change=move |e: web_sys::Event| {
                        page.set(1);
                        state.set(browser::event_value(&e));
                    }) {
                        option(value="") { "Any state" }
                        (JobState::ALL.iter().map(|s| view! { option(value=s.as_str()) { (s.as_str()) } }).collect::<Vec<_>>())
                    }
                }
            }
            table(class="jobs") {
                thead { tr { th { "Job" } th { "Queue" } th { "State" } th { "Attempts" } th { "Run at" } th { span(class="visually-hidden") { "Actions" } } } }
                tbody {
                    Keyed(
                        list=jobs,
                        key=|j| (j.id, j.state, j.attempts),
                        view=move |j| {
                            let id = j.id;
                            view! {
                                tr(data-job=id.to_string()) {
                                    td { (j.job_type.clone()) }
                                    td { (j.queue.clone()) }
                                    td { span(class=format!("badge badge-{}", j.state.as_str())) { (j.state.as_str()) } }
                                    td { (format!("{} of {}", j.attempts, j.max_attempts)) }
                                    td { (format::datetime(&j.run_at)) }
                                    td(class="row-actions") {
                                        button(r#type="button", aria-label=format!("Details of job {id}"),
                                            on:click=move |_| open.set(Some(id))) { "Details" }
                                    }
                                }
                            }
                        },
                    )
                }
            }
            (if jobs.with(Vec::is_empty) { view! { p(class="empty") { "No jobs match." } } } else { view! {} })
            Pager(page=page, total_pages=total_pages, label="Jobs pages")
            (match open.get() {
                Some(id) => view! { JobDetail(id=id, can_manage=can_manage, open=open, reload=reload) },
                None => view! {},
            })
        }
    }
}

#[component(inline_props)]
fn JobDetail(id: Uuid, can_manage: bool, open: Signal<Option<Uuid>>, reload: Signal<u32>) -> View {
    let notices = use_notices();
    let job = create_signal(None::<Job>);
    let again = create_signal(0u32);
    create_effect(move || {
        again.track();
        spawn_local_scoped(async move {
            match api::queues::job(id).await {
                Ok(j) => job.set(Some(j)),
                Err(e) => notices.error("Loading the job", &e),
            }
        });
    });
    let act = move |retry: bool| {
        spawn_local_scoped(async move {
            let result = if retry {
                api::queues::retry(id).await
            } else {
                api::queues::discard(id).await
            };
            match result {
                Ok(j) => {
                    notices.success(format!("Job {} is now {}", j.job_type, j.state.as_str()));
                    job.set(Some(j));
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error(if retry { "Retrying" } else { "Discarding" }, &e),
            }
        });
    };
    view! {
        section(class="card job-detail", aria-labelledby="job-title") {
            (match job.get_clone() {
                None => view! { p { "Loading job…" } },
                Some(j) => {
                    let args = serde_json::to_string_pretty(&j.args).unwrap_or_default();
                    let result = j.result.as_ref().map(|r| serde_json::to_string_pretty(r).unwrap_or_default());
                    let state = j.state;
                    let errors = j.errors.clone();
                    view! {
                        h2(id="job-title") { "Job " (j.job_type.clone()) }
                        dl(class="kv") {
                            dt { "Id" } dd { (j.id.to_string()) }
                            dt { "Queue" } dd { (j.queue.clone()) }
                            dt { "State" } dd { (state.as_str()) }
                            dt { "Attempts" } dd { (format!("{} of {}", j.attempts, j.max_attempts)) }
                            dt { "Created" } dd { (format::datetime(&j.created_at)) }
                            dt { "Run at" } dd { (format::datetime(&j.run_at)) }
                        }
                        h3 { "Arguments" }
                        pre(class="json") { (args) }
                        (match result.clone() {
                            Some(r) => view! { h3 { "Result" } pre(class="json") { (r) } },
                            None => view! {},
                        })
                        h3 { "Errors" }
                        (if errors.is_empty() {
                            view! { p(class="muted") { "None." } }
                        } else {
                            let rows = errors.iter().map(|e| {
                                let (attempt, at, error) = (e.attempt, format::datetime(&e.at), e.error.clone());
                                view! { tr { td { (attempt) } td { (at) } td { (error) } } }
                            }).collect::<Vec<_>>();
                            view! {
                                table(class="errors") {
                                    thead { tr { th { "Attempt" } th { "At" } th { "Error" } } }
                                    tbody { (rows) }
                                }
                            }
                        })
                        div(class="page-actions") {
                            (if can_manage && retryable(state) {
                                view! { button(r#type="button", class="button-primary", on:click=move |_| act(true)) { "Retry now" } }
                            } else { view! {} })
                            (if can_manage && discardable(state) {
                                view! { button(r#type="button", class="button-danger", on:click=move |_| act(false)) { "Discard" } }
                            } else { view! {} })
                            button(r#type="button", on:click=move |_| open.set(None)) { "Close" }
                        }
                    }
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dead_and_retryable_jobs_can_be_retried() {
        assert!(retryable(JobState::Dead) && retryable(JobState::Retryable));
        assert!(!retryable(JobState::Completed) && !retryable(JobState::Running));
        assert!(discardable(JobState::Retryable) && discardable(JobState::Scheduled));
        assert!(!discardable(JobState::Dead) && !discardable(JobState::Running));
    }
}
