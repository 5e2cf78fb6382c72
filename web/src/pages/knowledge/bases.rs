//! The bases list and the form that creates one, its model picked from the embedding models the
//! account's enabled providers offer.

use shared::Permission;
use shared::api::ai::Provider;
use shared::api::knowledge::KnowledgeBase;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use sycamore_router::navigate;

use crate::api;
use crate::api::knowledge::NewBase;
use crate::browser;
use crate::components::choice::{choice, named};
use crate::components::layout::{PageHeader, Section, Shell};
use crate::format;
use crate::notify::use_notices;
use crate::session::use_session;

/// The embedding models of the enabled providers, each once, in the providers' order.
pub fn embedding_models(providers: &[Provider]) -> Vec<String> {
    crate::api::ai::models_of_kind(providers, "embedding")
}

/// `""` → `None` (the API's default); anything else is sent as it parses, and what does not
/// parse as a value the API refuses with its own message.
fn optional_number(raw: &str) -> Option<i32> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(-1))
}

/// The knowledge page: the account's bases.
#[component]
pub fn KnowledgePage() -> View {
    let session = use_session();
    let notices = use_notices();
    let can_manage = session.can(Permission::AiManage);
    let bases = create_signal(Vec::<KnowledgeBase>::new());
    let loaded = create_signal(false);
    let reload = create_signal(0u32);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::knowledge::bases().await {
                Ok(b) => bases.set(b),
                Err(e) => notices.error("Loading knowledge bases", &e),
            }
            loaded.set(true);
        });
    });
    view! {
        Shell(section=Section::Knowledge) {
            PageHeader(title="Knowledge".to_string()) {}
            section(class="card", aria-labelledby="bases-title") {
                h2(id="bases-title") { "Knowledge bases" }
                table(id="knowledge-bases") {
                    thead { tr {
                        th { "Name" } th { "Embedding model" } th { "Dimensions" } th { "Chunk tokens / overlap" }
                        th { "Documents" } th { "Chunks" } th { "Created" } th { span(class="visually-hidden") { "Actions" } }
                    } }
                    tbody {
                        Keyed(
                            list=bases,
                            key=|b| (b.id, b.dimensions, b.document_count, b.chunk_count),
                            view=move |b| view! { BaseRow(base=b, can_manage=can_manage, reload=reload) },
                        )
                    }
                }
                (if loaded.get() && bases.with(Vec::is_empty) {
                    view! { p(class="empty") { "No knowledge bases yet." } }
                } else {
                    view! {}
                })
                (if can_manage { view! { NewBaseForm {} } } else { view! {} })
            }
        }
    }
}

#[component(inline_props)]
fn BaseRow(base: KnowledgeBase, can_manage: bool, reload: Signal<u32>) -> View {
    let notices = use_notices();
    let id = base.id;
    let name = base.name.clone();
    let delete = move |_| {
        if !browser::confirm(&format!(
            "Delete the knowledge base {name} with all its documents?"
        )) {
            return;
        }
        spawn_local_scoped(async move {
            match api::knowledge::delete_base(id).await {
                Ok(b) => {
                    notices.success(format!("Knowledge base {} deleted", b.name));
                    reload.update(|n| *n += 1);
                }
                Err(e) => notices.error("Deleting the knowledge base", &e),
            }
        });
    };
    let actions = if can_manage {
        let label = format!("Delete knowledge base {}", base.name);
        view! { button(r#type="button", class="button-danger", aria-label=label, on:click=delete) { "Delete" } }
    } else {
        view! {}
    };
    let href = format!("/knowledge/{id}");
    let dims = base
        .dimensions
        .map_or_else(|| "-".to_string(), |d| d.to_string());
    let chunking = format!("{} / {}", base.chunk_tokens, base.chunk_overlap);
    let created = format::datetime(&base.created_at);
    let row_name = base.name.clone();
    view! {
        tr(data-base=row_name) {
            td { a(href=href) { (base.name) } }
            td { (base.embedding_model) }
            td(class="num") { (dims) }
            td(class="num") { (chunking) }
            td(class="num") { (base.document_count) }
            td(class="num") { (base.chunk_count) }
            td { (created) }
            td(class="row-actions") { (actions) }
        }
    }
}

#[component]
fn NewBaseForm() -> View {
    let notices = use_notices();
    let models = create_signal(Vec::<String>::new());
    let name = create_signal(String::new());
    let model = create_signal(String::new());
    let chunk_tokens = create_signal(String::new());
    let chunk_overlap = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    spawn_local_scoped(async move {
        match api::ai::providers().await {
            Ok(p) => {
                let found = embedding_models(&p);
                // The choice first, so the options are drawn with it selected.
                model.set(found.first().cloned().unwrap_or_default());
                models.set(found);
            }
            Err(e) => notices.error("Loading the embedding models", &e),
        }
    });
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let new = NewBase {
            name: name.get_clone_untracked().trim().to_string(),
            embedding_model: model.get_clone_untracked(),
            chunk_tokens: optional_number(&chunk_tokens.get_clone_untracked()),
            chunk_overlap: optional_number(&chunk_overlap.get_clone_untracked()),
        };
        spawn_local_scoped(async move {
            match api::knowledge::create_base(new).await {
                Ok(b) => {
                    notices.success(format!("Knowledge base {} created", b.name));
                    // Leaving the page disposes this form's signals: nothing may follow.
                    navigate(&format!("/knowledge/{}", b.id));
                }
                Err(e) => {
                    problem.set(Some(e.describe()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        h3 { "New knowledge base" }
        (if models.with(Vec::is_empty) {
            view! {
                p(class="hint") {
                    "Bases embed their documents with a model of kind embedding that one of the account's providers offers: add one on the "
                    a(href="/ai") { "AI page" } "."
                }
            }
        } else {
            view! {}
        })
        form(class="inline-form wrap", on:submit=submit, aria-label="New knowledge base") {
            div(class="field field-grow") {
                label(r#for="kb-name") { "Base name" }
                input(id="kb-name", r#type="text", required=true, maxlength="100", bind:value=name)
            }
            div(class="field") {
                label(r#for="kb-model") { "Embedding model" }
                (choice("kb-model", named(models), model, "No embedding model yet"))
            }
            div(class="field") {
                label(r#for="kb-chunk-tokens") { "Chunk tokens (default 400)" }
                input(id="kb-chunk-tokens", r#type="number", min="32", max="4000", placeholder="400", bind:value=chunk_tokens)
            }
            div(class="field") {
                label(r#for="kb-chunk-overlap") { "Overlap tokens (default 50)" }
                input(id="kb-chunk-overlap", r#type="number", min="0", placeholder="50", bind:value=chunk_overlap)
            }
            button(r#type="submit", class="button-primary", disabled=busy.get()) { "Create base" }
        }
        (match problem.get_clone() {
            Some(p) => view! { p(class="form-error", role="alert") { "Creating the base: " (p) } },
            None => view! {},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_numbers_are_the_defaults_and_junk_is_refused_by_the_api() {
        assert_eq!(optional_number(" "), None);
        assert_eq!(optional_number("256"), Some(256));
        assert_eq!(optional_number("1e9"), Some(-1));
    }
}
