//! The providers table (breaker state, latency, last error, test, delete) and the form that
//! adds one. Health refreshes every 5 s while the page is open.

use shared::api::ai::{Provider, ProviderModel};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::api::ai::NewProvider;
use crate::browser;
use crate::notify::use_notices;

const KINDS: &[&str] = &["openai", "anthropic"];

#[component(inline_props)]
pub fn Providers(can_manage: bool) -> View {
    let notices = use_notices();
    let list = create_signal(Vec::<Provider>::new());
    let reload = create_signal(0u32);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::ai::providers().await {
                Ok(p) => list.set(p),
                Err(e) => notices.error("Loading AI providers", &e),
            }
        });
    });
    browser::every(5000, move || reload.update(|n| *n += 1));
    view! {
        section(class="card", aria-labelledby="providers-title") {
            h2(id="providers-title") { "Providers" }
            table {
                thead { tr {
                    th { "Name" } th { "Kind" } th { "Models" } th { "Breaker" } th { "Latency" }
                    th { "Last error" } th { span(class="visually-hidden") { "Actions" } }
                } }
                tbody {
                    Keyed(
                        list=list,
                        key=|p| (p.id, p.health.state.clone(), p.health.latency_ms_ewma.map(|l| l as i64)),
                        view=move |p| view! { ProviderRow(provider=p, can_manage=can_manage, reload=reload) },
                    )
                }
            }
            (if can_manage { view! { NewProviderForm(reload=reload) } } else { view! {} })
        }
    }
}

#[component(inline_props)]
fn ProviderRow(provider: Provider, can_manage: bool, reload: Signal<u32>) -> View {
    let notices = use_notices();
    let id = provider.id;
    let results = create_signal(None::<String>);
    let test = move |_| {
        results.set(Some("testing...".into()));
        spawn_local_scoped(async move {
            match api::ai::test_provider(id).await {
                Ok(r) => results.set(Some(
                    r.iter()
                        .map(|t| match &t.error {
                            None => format!("{}: ok in {} ms", t.model, t.latency_ms),
                            Some(e) => format!("{}: failed ({e})", t.model),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
                Err(e) => {
                    results.set(None);
                    notices.error("Testing the provider", &e);
                }
            }
            reload.update(|n| *n += 1);
        });
    };
    let delete = move |_| {
        spawn_local_scoped(async move {
            match api::ai::delete_provider(id).await {
                Ok(_) => {
                    notices.success("Provider removed");
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Removing the provider", &e),
            }
        });
    };
    let models = provider
        .models
        .iter()
        .map(|m| format!("{} ({})", m.name, m.kind))
        .collect::<Vec<_>>()
        .join(", ");
    let state = provider.health.state.clone();
    let badge = format!(
        "badge badge-{}",
        match state.as_str() {
            "closed" => "completed",
            "open" => "dead",
            _ => "pending",
        }
    );
    let latency = provider
        .health
        .latency_ms_ewma
        .map(crate::format::millis)
        .unwrap_or_else(|| "-".into());
    let last_error = provider.health.last_error.clone().unwrap_or_default();
    let actions = if can_manage {
        let (test_label, delete_label) = (
            format!("Test provider {}", provider.name),
            format!("Remove provider {}", provider.name),
        );
        view! {
            button(r#type="button", aria-label=test_label, on:click=test) { "Test" }
            button(r#type="button", class="button-danger", aria-label=delete_label, on:click=delete) { "Remove" }
        }
    } else {
        view! {}
    };
    let (name, kind) = (provider.name, provider.kind);
    let row_name = name.clone();
    view! {
        tr(data-provider=row_name) {
            td { (name) }
            td { (kind) }
            td { (models) }
            td { span(class=badge) { (state) } }
            td { (latency) }
            td(class="share-url") { (last_error) }
            td(class="row-actions") { (actions) }
        }
        (match results.get_clone() {
            Some(text) => view! { tr { td(colspan="7", role="status", class="test-results") { (text) } } },
            None => view! {},
        })
    }
}

fn price(raw: &str) -> f64 {
    raw.trim().parse().unwrap_or(-1.0)
}

#[component(inline_props)]
fn NewProviderForm(reload: Signal<u32>) -> View {
    let notices = use_notices();
    let name = create_signal(String::new());
    let kind = create_signal(String::from("openai"));
    let base_url = create_signal(String::new());
    let api_key = create_signal(String::new());
    let model = create_signal(String::new());
    let model_kind = create_signal(String::from("chat"));
    let input_price = create_signal(String::from("0"));
    let output_price = create_signal(String::from("0"));
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let new = NewProvider {
            name: name.get_clone_untracked(),
            kind: kind.get_clone_untracked(),
            base_url: base_url.get_clone_untracked(),
            api_key: api_key.get_clone_untracked(),
            model: ProviderModel {
                name: model.get_clone_untracked().trim().to_string(),
                kind: model_kind.get_clone_untracked(),
                input_usd_per_mtok: price(&input_price.get_clone_untracked()),
                output_usd_per_mtok: price(&output_price.get_clone_untracked()),
                cached_input_usd_per_mtok: None,
                context_window: None,
            },
        };
        spawn_local_scoped(async move {
            match api::ai::create_provider(new).await {
                Ok(p) => {
                    notices.success(format!("Provider {} added", p.name));
                    name.set(String::new());
                    api_key.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Adding the provider", &e),
            }
        });
    };
    view! {
        form(class="inline-form wrap", on:submit=submit, aria-label="New AI provider") {
            div(class="field") {
                label(r#for="prov-name") { "Name" }
                input(id="prov-name", r#type="text", required=true, bind:value=name)
            }
            div(class="field") {
                label(r#for="prov-kind") { "Kind" }
                select(id="prov-kind", prop:value=move || kind.get_clone(),
                    on:change=move |e: web_sys::Event| kind.set(browser::event_value(&e))) {
                    (KINDS.iter().map(|k| view! { option(value=*k) { (*k) } }).collect::<Vec<_>>())
                }
            }
            div(class="field field-grow") {
                label(r#for="prov-url") { "Base URL" }
                input(id="prov-url", r#type="url", required=true, placeholder="https://api.openai.com/v1", bind:value=base_url)
            }
            div(class="field") {
                label(r#for="prov-key") { "API key (optional)" }
                input(id="prov-key", r#type="password", autocomplete="off", bind:value=api_key)
            }
            div(class="field") {
                label(r#for="prov-model") { "Model name" }
                input(id="prov-model", r#type="text", required=true, bind:value=model)
            }
            div(class="field") {
                label(r#for="prov-model-kind") { "Model kind" }
                select(id="prov-model-kind", prop:value=move || model_kind.get_clone(),
                    on:change=move |e: web_sys::Event| model_kind.set(browser::event_value(&e))) {
                    option(value="chat") { "chat" }
                    option(value="embedding") { "embedding" }
                }
            }
            div(class="field") {
                label(r#for="prov-in") { "Input $/Mtok" }
                input(id="prov-in", r#type="number", step="any", min="0", bind:value=input_price)
            }
            div(class="field") {
                label(r#for="prov-out") { "Output $/Mtok" }
                input(id="prov-out", r#type="number", step="any", min="0", bind:value=output_price)
            }
            button(r#type="submit", class="button-primary") { "Add provider" }
        }
    }
}
