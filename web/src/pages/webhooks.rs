//! Webhooks: the account's endpoints (create, with the secret shown once; delete) and the events
//! they received, with their processing state, payload and replay.

use shared::Permission;
use shared::api::webhooks::{EVENT_STATES, PROVIDERS, WebhookEndpoint, WebhookEvent};
use shared::pagination::Pagination;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use crate::api;
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::components::pager::Pager;
use crate::format;
use crate::notify::use_notices;
use crate::session::use_session;

/// The webhooks page.
#[component]
pub fn WebhooksPage() -> View {
    let session = use_session();
    let notices = use_notices();
    let endpoints = create_signal(Vec::<WebhookEndpoint>::new());
    let reload = create_signal(0u32);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::webhooks::endpoints().await {
                Ok(p) => endpoints.set(p.items),
                Err(e) => notices.error("Loading webhook endpoints", &e),
            }
        });
    });
    let can_manage = session.can(Permission::WebhooksManage);
    view! {
        Shell(section=Section::Webhooks) {
            PageHeader(title="Webhooks".to_string()) {}
            section(class="card", aria-labelledby="endpoints-title") {
                h2(id="endpoints-title") { "Endpoints" }
                table {
                    thead { tr { th { "Name" } th { "Provider" } th { "URL to give the provider" } th { "Created" } th { span(class="visually-hidden") { "Actions" } } } }
                    tbody {
                        Indexed(
                            list=endpoints,
                            view=move |e| view! { EndpointRow(endpoint=e, can_manage=can_manage, reload=reload) },
                        )
                    }
                }
                (if can_manage { view! { NewEndpoint(reload=reload) } } else { view! {} })
            }
            Events(endpoints=endpoints, can_manage=can_manage)
        }
    }
}

#[component(inline_props)]
fn EndpointRow(endpoint: WebhookEndpoint, can_manage: bool, reload: Signal<u32>) -> View {
    let notices = use_notices();
    let id = endpoint.id;
    let delete = move |_| {
        spawn_local_scoped(async move {
            match api::webhooks::delete(id).await {
                Ok(_) => {
                    notices.success("Endpoint deleted");
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Deleting the endpoint", &e),
            }
        });
    };
    let url = format!("{}{}", browser::origin(), endpoint.url);
    let created = format::datetime(&endpoint.created_at);
    let delete_button = if can_manage {
        let label = format!("Delete endpoint {}", endpoint.name);
        view! { button(r#type="button", class="button-danger", aria-label=label, on:click=delete) { "Delete" } }
    } else {
        view! {}
    };
    let (name, provider) = (endpoint.name, endpoint.provider);
    view! {
        tr {
            td { (name) }
            td { (provider) }
            td(class="share-url") { (url) }
            td { (created) }
            td(class="row-actions") { (delete_button) }
        }
    }
}

#[component(inline_props)]
fn NewEndpoint(reload: Signal<u32>) -> View {
    let notices = use_notices();
    let name = create_signal(String::new());
    let provider = create_signal(String::from("generic"));
    let secret = create_signal(None::<String>);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        spawn_local_scoped(async move {
            match api::webhooks::create(
                &name.get_clone_untracked(),
                &provider.get_clone_untracked(),
            )
            .await
            {
                Ok(created) => {
                    notices.success(format!("Endpoint {} created", created.name));
                    secret.set(Some(created.secret));
                    name.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Creating the endpoint", &e),
            }
        });
    };
    view! {
        form(class="inline-form", on:submit=submit, aria-label="New webhook endpoint") {
            div(class="field field-grow") {
                label(r#for="hook-name") { "Name" }
                input(id="hook-name", r#type="text", required=true, bind:value=name)
            }
            div(class="field") {
                label(r#for="hook-provider") { "Provider" }
                select(id="hook-provider", prop:value=move || provider.get_clone(),
                    on:change=move |e: web_sys::Event| provider.set(browser::event_value(&e))) {
                    (PROVIDERS.iter().map(|p| view! { option(value=*p) { (*p) } }).collect::<Vec<_>>())
                }
            }
            button(r#type="submit", class="button-primary") { "Create endpoint" }
        }
        (match secret.get_clone() {
            Some(s) => view! {
                div(class="banner", role="status") {
                    p { "The signing secret, shown this once. Give it to the provider now." }
                    label(r#for="hook-secret") { "Signing secret" }
                    input(id="hook-secret", r#type="text", readonly=true, value=s)
                }
            },
            None => view! {},
        })
    }
}

#[component(inline_props)]
fn Events(endpoints: Signal<Vec<WebhookEndpoint>>, can_manage: bool) -> View {
    let notices = use_notices();
    let endpoint = create_signal(String::new());
    let state = create_signal(String::new());
    let page = create_signal(1u32);
    let events = create_signal(Vec::<WebhookEvent>::new());
    let pagination = create_signal(None::<Pagination>);
    let open = create_signal(None::<Uuid>);
    let reload = create_signal(0u32);
    create_effect(move || {
        let (ep, st, p) = (endpoint.get_clone(), state.get_clone(), page.get());
        reload.track();
        spawn_local_scoped(async move {
            match api::webhooks::events(&ep, &st, p).await {
                Ok(list) => {
                    events.set(list.items);
                    pagination.set(Some(list.pagination));
                }
                Err(e) => notices.error("Loading events", &e),
            }
        });
    });
    browser::every(5_000, move || reload.update(|n| *n += 1));
    let total_pages =
        create_selector(move || pagination.with(|p| p.map_or(1, |p| p.total_pages as u32)));
    view! {
        section(class="card", aria-labelledby="events-title") {
            h2(id="events-title") { "Received events" }
            div(class="filters") {
                div(class="field") {
                    label(r#for="events-endpoint") { "Endpoint" }
                    select(id="events-endpoint", on:change=move |e: web_sys::Event| {
                        page.set(1);
                        endpoint.set(browser::event_value(&e));
                    }) {
                        option(value="") { "All endpoints" }
                        Keyed(
                            list=endpoints,
                            key=|e| e.id,
                            view=|e| {
                                let value = e.id.to_string();
                                view! { option(value=value) { (e.name) } }
                            },
                        )
                    }
                }
                div(class="field") {
                    label(r#for="events-state") { "State" }
                    select(id="events-state", on:change=move |e: web_sys::Event| {
                        page.set(1);
                        state.set(browser::event_value(&e));
                    }) {
                        option(value="") { "Any state" }
                        (EVENT_STATES.iter().map(|s| view! { option(value=*s) { (*s) } }).collect::<Vec<_>>())
                    }
                }
            }
            table {
                thead { tr { th { "Received" } th { "Type" } th { "Delivery" } th { "State" } th { "Error" } th { span(class="visually-hidden") { "Actions" } } } }
                tbody {
                    Keyed(
                        list=events,
                        key=|e| (e.id, e.state.clone()),
                        view=move |e| {
                            let id = e.id;
                            let received = format::datetime(&e.received_at);
                            let badge = format!("badge badge-{}", e.state);
                            let label = format!("Details of event {}", e.delivery_id);
                            let event_type = e.event_type.unwrap_or_default();
                            let error = e.error.unwrap_or_default();
                            let (delivery, st) = (e.delivery_id, e.state);
                            view! {
                                tr(data-event=id.to_string()) {
                                    td { (received) }
                                    td { (event_type) }
                                    td { (delivery) }
                                    td { span(class=badge) { (st) } }
                                    td { (error) }
                                    td(class="row-actions") {
                                        button(r#type="button", aria-label=label, on:click=move |_| open.set(Some(id))) { "Details" }
                                    }
                                }
                            }
                        },
                    )
                }
            }
            (if events.with(Vec::is_empty) { view! { p(class="empty") { "No events yet." } } } else { view! {} })
            Pager(page=page, total_pages=total_pages, label="Event pages")
            (match open.get() {
                Some(id) => view! { EventDetail(id=id, can_manage=can_manage, open=open, reload=reload) },
                None => view! {},
            })
        }
    }
}

#[component(inline_props)]
fn EventDetail(
    id: Uuid,
    can_manage: bool,
    open: Signal<Option<Uuid>>,
    reload: Signal<u32>,
) -> View {
    let notices = use_notices();
    let detail = create_signal(None::<shared::api::webhooks::WebhookEventDetail>);
    spawn_local_scoped(async move {
        match api::webhooks::event(id).await {
            Ok(d) => detail.set(Some(d)),
            Err(e) => notices.error("Loading the event", &e),
        }
    });
    let replay = move |_| {
        spawn_local_scoped(async move {
            match api::webhooks::replay(id).await {
                Ok(e) => {
                    notices.success(format!(
                        "Event {} queued again ({})",
                        e.delivery_id, e.state
                    ));
                    reload.update(|n| *n += 1);
                    open.set(None);
                }
                Err(e) => notices.error("Replaying", &e),
            }
        });
    };
    view! {
        section(class="card job-detail", aria-labelledby="event-title") {
            (match detail.get_clone() {
                None => view! { p { "Loading event…" } },
                Some(d) => {
                    let payload = pretty(&d.payload);
                    let title = format!("Event {}", d.event.delivery_id);
                    let provider = d.provider;
                    view! {
                        h2(id="event-title") { (title) }
                        p(class="muted") { "From a " (provider) " endpoint" }
                        h3 { "Payload" }
                        pre(class="json") { (payload) }
                    }
                }
            })
            div(class="page-actions") {
                (if can_manage {
                    view! { button(r#type="button", class="button-primary", on:click=replay) { "Replay" } }
                } else { view! {} })
                button(r#type="button", on:click=move |_| open.set(None)) { "Close" }
            }
        }
    }
}

/// A JSON payload indented for reading; anything else as it came.
pub fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| payload.to_string())
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn payloads_are_indented_when_json_and_kept_otherwise() {
        assert_eq!(pretty(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty("not json"), "not json");
    }
}
