//! Storage backends (owners): the list with quota usage, test connection, make default, delete,
//! and a form to create or edit one (credentials write-only).

mod form;
mod providers;

use shared::Permission;
use shared::api::storages::{Storage, StorageHealth};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::format;
use crate::notify::use_notices;
use crate::session::use_session;

/// What the form is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum Editing {
    /// Closed.
    Nothing,
    /// A new storage.
    New,
    /// This storage.
    Existing(Storage),
}

/// The storage page.
#[component]
pub fn StoragePage() -> View {
    let session = use_session();
    let notices = use_notices();
    let storages = create_signal(Vec::<Storage>::new());
    let reload = create_signal(0u32);
    let editing = create_signal(Editing::Nothing);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::storages::list().await {
                Ok(s) => storages.set(s),
                Err(e) => notices.error("Loading storage", &e),
            }
        });
    });
    let can_create = session.can(Permission::StorageCreate);
    let perms = Perms {
        update: session.can(Permission::StorageUpdate),
        delete: session.can(Permission::StorageDelete),
        test: session.can(Permission::StorageTest),
    };
    view! {
        Shell(section=Section::Storage) {
            PageHeader(title="Storage".to_string()) {
                (if can_create {
                    view! { button(r#type="button", class="button-primary", on:click=move |_| editing.set(Editing::New)) { "New storage" } }
                } else { view! {} })
            }
            (match editing.get_clone() {
                Editing::Nothing => view! {},
                e => view! { form::StorageForm(editing=e, close=editing, reload=reload) },
            })
            ul(class="storage-list", aria-label="Storage backends") {
                Indexed(
                    list=storages,
                    view=move |s| view! { StorageCard(storage=s, perms=perms, editing=editing, reload=reload) },
                )
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Perms {
    update: bool,
    delete: bool,
    test: bool,
}

#[component(inline_props)]
fn StorageCard(
    storage: Storage,
    perms: Perms,
    editing: Signal<Editing>,
    reload: Signal<u32>,
) -> View {
    let notices = use_notices();
    let id = storage.id;
    let name = storage.name.clone();
    let report = create_signal(None::<String>);
    let test = move |_| {
        report.set(Some("Testing…".into()));
        spawn_local_scoped(async move {
            match api::storages::test(id).await {
                Ok(r) if r.ok => {
                    report.set(Some(format!("Connection works ({} ms)", r.latency_ms)))
                }
                Ok(r) => report.set(Some(format!("Failed: {}", r.error.unwrap_or_default()))),
                Err(e) => report.set(Some(format!("Failed: {}", e.describe()))),
            }
        });
    };
    let make_default = move |_| {
        spawn_local_scoped(async move {
            let body = shared::api::storages::UpdateStorageRequest {
                is_default: Some(true),
                ..Default::default()
            };
            match api::storages::update(id, &body).await {
                Ok(s) => {
                    notices.success(format!("{} is now the default", s.name));
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Changing the default", &e),
            }
        });
    };
    let delete = move |_| {
        spawn_local_scoped(async move {
            match api::storages::delete(id).await {
                Ok(_) => {
                    notices.success("Storage deleted");
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Deleting the storage", &e),
            }
        });
    };
    let usage = match storage.quota_bytes {
        Some(q) => format!(
            "{} of {} used",
            format::bytes(storage.used_bytes),
            format::bytes(q)
        ),
        None => format!("{} used, no quota", format::bytes(storage.used_bytes)),
    };
    let bar = match storage.quota_bytes {
        Some(q) => {
            let label = format!("Quota usage of {}", storage.name);
            let (max, value) = (q.to_string(), storage.used_bytes.to_string());
            view! { meter(min="0", max=max, value=value, aria-label=label) }
        }
        None => view! {},
    };
    let is_default = storage.is_default;
    let default_badge = if is_default {
        view! { " " span(class="badge") { "default" } }
    } else {
        view! {}
    };
    let provider = storage.provider_type.clone();
    let health = health_line(&storage.health);
    let to_edit = storage.clone();
    let test_button = if perms.test {
        let label = format!("Test {name}");
        view! { button(r#type="button", aria-label=label, on:click=test) { "Test connection" } }
    } else {
        view! {}
    };
    let edit_button = if perms.update {
        let label = format!("Edit {name}");
        view! { button(r#type="button", aria-label=label, on:click=move |_| editing.set(Editing::Existing(to_edit.clone()))) { "Edit" } }
    } else {
        view! {}
    };
    let default_button = if perms.update && !is_default {
        let label = format!("Make {name} the default");
        view! { button(r#type="button", aria-label=label, on:click=make_default) { "Make default" } }
    } else {
        view! {}
    };
    let delete_button = if perms.delete {
        let label = format!("Delete {name}");
        view! { button(r#type="button", class="button-danger", aria-label=label, on:click=delete) { "Delete" } }
    } else {
        view! {}
    };
    view! {
        li(class="card storage-card") {
            h2 { (name) (default_badge) }
            p(class="muted") { (provider) }
            (bar)
            p { (usage) }
            (health)
            div(class="row-actions") {
                (test_button)
                (edit_button)
                (default_button)
                (delete_button)
            }
            (match report.get_clone() {
                Some(r) => view! { p(role="status") { (r) } },
                None => view! {},
            })
        }
    }
}

/// The scheduled health check's last outcome (every 5 minutes), or nothing before the first.
fn health_line(health: &Option<StorageHealth>) -> View {
    let Some(h) = health else {
        return view! {};
    };
    let when = format::datetime(&h.checked_at);
    if h.ok {
        let text = format!("Healthy (checked {when})");
        view! { p(class="muted") { span(class="badge badge-completed") { "ok" } " " (text) } }
    } else {
        let text = format!(
            "Unhealthy (checked {when}): {}",
            h.error.clone().unwrap_or_default()
        );
        view! { p { span(class="badge badge-failed") { "failing" } " " (text) } }
    }
}
