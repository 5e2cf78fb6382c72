//! API keys for the OpenAI-compatible `/v1` (a new key is shown once) and the monthly budget
//! with this month's spend and what calls in flight hold.

use shared::api::ai::{ApiKey, Budget};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::format::{self, usd};
use crate::notify::use_notices;

#[component(inline_props)]
pub fn KeysAndBudget(spent: Signal<u32>) -> View {
    view! {
        div(class="two-columns") {
            Keys {}
            BudgetCard(spent=spent)
        }
    }
}

#[component]
fn Keys() -> View {
    let notices = use_notices();
    let keys = create_signal(Vec::<ApiKey>::new());
    let reload = create_signal(0u32);
    let name = create_signal(String::new());
    let shown = create_signal(None::<String>);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::ai::keys().await {
                Ok(k) => keys.set(k),
                Err(e) => notices.error("Loading API keys", &e),
            }
        });
    });
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        spawn_local_scoped(async move {
            match api::ai::create_key(&name.get_clone_untracked()).await {
                Ok(k) => {
                    shown.set(Some(k.key));
                    name.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Creating the key", &e),
            }
        });
    };
    view! {
        section(class="card", aria-labelledby="keys-title") {
            h2(id="keys-title") { "API keys for /v1" }
            ul(class="plain-list") {
                Keyed(
                    list=keys,
                    key=|k| k.id,
                    view=move |k| {
                        let id = k.id;
                        let label = format!("Revoke key {}", k.name);
                        let used = k.last_used_at.as_ref().map(format::datetime).unwrap_or_else(|| "never".into());
                        let revoke = move |_| {
                            spawn_local_scoped(async move {
                                match api::ai::delete_key(id).await {
                                    Ok(_) => reload.update(|n| *n += 1),
                                    Err(e) => notices.error("Revoking the key", &e),
                                }
                            });
                        };
                        view! {
                            li {
                                strong { (k.name) } " " code { (k.prefix) "..." } " used " (used) " "
                                button(r#type="button", class="button-danger", aria-label=label, on:click=revoke) { "Revoke" }
                            }
                        }
                    },
                )
            }
            form(class="inline-form", on:submit=submit, aria-label="New API key") {
                div(class="field field-grow") {
                    label(r#for="key-name") { "Key name" }
                    input(id="key-name", r#type="text", required=true, bind:value=name)
                }
                button(r#type="submit", class="button-primary") { "Create key" }
            }
            (match shown.get_clone() {
                Some(k) => view! {
                    div(class="banner", role="status") {
                        p { "The key, shown this once. Use it as an OpenAI API key with base URL " code { (crate::browser::origin()) "/v1" } "." }
                        label(r#for="key-value") { "API key" }
                        input(id="key-value", r#type="text", readonly=true, value=k)
                    }
                },
                None => view! {},
            })
        }
    }
}

#[component(inline_props)]
fn BudgetCard(spent: Signal<u32>) -> View {
    let notices = use_notices();
    let budget = create_signal(None::<Budget>);
    let amount = create_signal(String::new());
    create_effect(move || {
        spent.track();
        spawn_local_scoped(async move {
            match api::ai::budget().await {
                Ok(b) => budget.set(Some(b)),
                Err(e) => notices.error("Loading the budget", &e),
            }
        });
    });
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let raw = amount.get_clone_untracked();
        let value = if raw.trim().is_empty() {
            None
        } else {
            Some(raw.trim().parse::<f64>().unwrap_or(-1.0))
        };
        spawn_local_scoped(async move {
            match api::ai::set_budget(value).await {
                Ok(b) => {
                    notices.success("Budget saved");
                    budget.set(Some(b));
                }
                Err(e) => notices.error("Saving the budget", &e),
            }
        });
    };
    let summary = move || match budget.get_clone() {
        Some(b) => format!(
            "{} spent this month, {} held by calls in flight, of {}",
            usd(b.spent_usd),
            usd(b.reserved_usd),
            b.monthly_usd.map_or_else(|| "no budget".to_string(), usd)
        ),
        None => String::new(),
    };
    view! {
        section(class="card", aria-labelledby="budget-title") {
            h2(id="budget-title") { "Monthly budget" }
            p(id="budget-summary") { (summary) }
            form(class="inline-form", on:submit=submit, aria-label="Monthly budget") {
                div(class="field field-grow") {
                    label(r#for="budget-usd") { "USD per month (empty: no budget)" }
                    input(id="budget-usd", r#type="number", step="any", min="0", bind:value=amount)
                }
                button(r#type="submit", class="button-primary") { "Save budget" }
            }
        }
    }
}
