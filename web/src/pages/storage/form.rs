//! Create or edit a storage: name, provider, the provider's fields, quota, default.

use std::collections::BTreeMap;

use shared::api::storages::{CreateStorageRequest, UpdateStorageRequest};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use super::Editing;
use super::providers::{self, Input};
use crate::api;
use crate::browser;
use crate::notify::use_notices;

/// The form; `close` is set back to `Editing::Nothing` when done.
#[component(inline_props)]
pub fn StorageForm(editing: Editing, close: Signal<Editing>, reload: Signal<u32>) -> View {
    let notices = use_notices();
    let existing = match &editing {
        Editing::Existing(s) => Some(s.clone()),
        _ => None,
    };
    let id = existing.as_ref().map(|s| s.id);
    let name = create_signal(
        existing
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
    );
    let provider = create_signal(
        existing
            .as_ref()
            .map(|s| s.provider_type.clone())
            .unwrap_or_else(|| "s3".into()),
    );
    let values = create_signal(
        existing
            .as_ref()
            .map(|s| providers::values_from(&s.provider_type, &s.configuration))
            .unwrap_or_default(),
    );
    let quota = create_signal(
        existing
            .as_ref()
            .and_then(|s| s.quota_bytes)
            .map(|q| format!("{}", q as f64 / 1024.0 / 1024.0 / 1024.0))
            .unwrap_or_default(),
    );
    let make_default = create_signal(false);
    let problem = create_signal(None::<String>);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let quota_bytes = match providers::quota_bytes(&quota.get_clone_untracked()) {
            Ok(q) => q,
            Err(p) => {
                problem.set(Some(p.into()));
                return;
            }
        };
        let p = provider.get_clone_untracked();
        let configuration =
            values.with_untracked(|v| providers::configuration(&p, v, id.is_some()));
        problem.set(None);
        spawn_local_scoped(async move {
            let result = match id {
                Some(id) => {
                    let body = UpdateStorageRequest {
                        name: Some(name.get_clone_untracked()),
                        configuration: Some(configuration),
                        is_default: make_default.get_untracked().then_some(true),
                        quota_bytes: Some(quota_bytes),
                    };
                    api::storages::update(id, &body).await
                }
                None => {
                    let body = CreateStorageRequest {
                        name: Some(name.get_clone_untracked()),
                        provider_type: Some(p),
                        configuration: Some(configuration),
                        is_default: Some(make_default.get_untracked()),
                        quota_bytes,
                    };
                    api::storages::create(&body).await
                }
            };
            match result {
                Ok(s) => {
                    notices.success(format!("Storage {} saved", s.name));
                    close.set(Editing::Nothing);
                    reload.update(|n| *n += 1);
                }
                Err(e) => problem.set(Some(e.describe())),
            }
        });
    };
    let title = if id.is_some() {
        "Edit storage"
    } else {
        "New storage"
    };
    view! {
        form(class="card form", on:submit=submit, aria-labelledby="storage-form-title") {
            h2(id="storage-form-title") { (title) }
            label(r#for="storage-name") { "Name" }
            input(id="storage-name", r#type="text", required=true, bind:value=name)
            label(r#for="storage-provider") { "Provider" }
            select(id="storage-provider", disabled=id.is_some(), prop:value=move || provider.get_clone(),
                on:change=move |e: web_sys::Event| {
                    provider.set(browser::event_value(&e));
                    values.set(BTreeMap::new());
                }) {
                (providers::PROVIDERS.iter().map(|(v, l)| view! { option(value=*v) { (l.to_string()) } }).collect::<Vec<_>>())
            }
            (provider.with(|p| providers::fields(p)).iter().map(|f| {
                let field_id = format!("storage-field-{}", f.name);
                let key = f.name;
                let current = values.with_untracked(|v| v.get(key).cloned().unwrap_or_default());
                let set = move |v: String| values.update(|m| { m.insert(key.to_string(), v); });
                let (id_a, id_b) = (field_id.clone(), field_id);
                let label = format!("{}{}", f.label, if f.required { " *" } else { "" });
                match f.input {
                    Input::Flag => view! {
                        div(class="field-check") {
                            input(id=id_a, r#type="checkbox", checked=current == "true",
                                on:change=move |e: web_sys::Event| {
                                    let on = e.target()
                                        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok())
                                        .is_some_and(|i| i.checked());
                                    set(if on { "true".into() } else { String::new() });
                                })
                            label(r#for=id_b) { (label) }
                        }
                    },
                    Input::Secret => {
                        let hint = if id.is_some() { "Leave empty to keep the stored value" } else { "" };
                        view! {
                            label(r#for=id_a) { (label) }
                            input(id=id_b, r#type="password", autocomplete="off", placeholder=hint,
                                on:input=move |e: web_sys::Event| set(browser::event_value(&e)))
                        }
                    }
                    Input::Text => view! {
                        label(r#for=id_a) { (label) }
                        input(id=id_b, r#type="text", value=current,
                            on:input=move |e: web_sys::Event| set(browser::event_value(&e)))
                    },
                }
            }).collect::<Vec<_>>())
            label(r#for="storage-quota") { "Quota (GiB, empty for none)" }
            input(id="storage-quota", r#type="text", inputmode="decimal", bind:value=quota)
            div(class="field-check") {
                input(id="storage-default", r#type="checkbox", bind:checked=make_default)
                label(r#for="storage-default") { "Make it the default for new uploads" }
            }
            (match problem.get_clone() {
                Some(p) => view! { p(class="form-error", role="alert") { (p) } },
                None => view! {},
            })
            div(class="page-actions") {
                button(r#type="submit", class="button-primary") { "Save" }
                button(r#type="button", on:click=move |_| close.set(Editing::Nothing)) { "Cancel" }
            }
        }
    }
}
