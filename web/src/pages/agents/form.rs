//! Create or edit an agent: name, chat model (one an enabled provider offers), system prompt,
//! tools, knowledge base, step and token limits. The API checks the model and tools; its field
//! errors are shown under the form.

use shared::api::agents::{Agent, AgentRequest, DEFAULT_MAX_STEPS, MAX_MAX_STEPS, TOOLS};
use shared::api::ai::Provider;
use shared::api::knowledge::KnowledgeBase;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::api;
use crate::browser;
use crate::components::choice::{choice, named};
use crate::notify::use_notices;

/// What the form is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum Editing {
    /// Closed.
    Nothing,
    /// A new agent.
    New,
    /// This agent.
    Existing(Box<Agent>),
}

/// The chat models of the enabled providers, each once, in the providers' order.
pub fn chat_models(providers: &[Provider]) -> Vec<String> {
    crate::api::ai::models_of_kind(providers, "chat")
}

/// What a tool lets the agent do, for its checkbox.
fn tool_hint(tool: &str) -> &'static str {
    match tool {
        "search_knowledge" => "search the knowledge base chosen below",
        "list_files" => "list the account's stored files",
        "read_file_text" => "read a stored file's text",
        _ => "",
    }
}

/// `""` → `None` (the API's default); anything else is sent as it parses, and what does not
/// parse as a value the API refuses with its own message.
fn optional_number(raw: &str) -> Option<i32> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse().unwrap_or(-1))
}

/// The form's fields as typed.
#[derive(Debug, Clone, Default)]
struct Fields {
    name: String,
    model: String,
    system_prompt: String,
    tools: Vec<String>,
    /// A base's id, or `""` for none.
    knowledge_base: String,
    max_steps: String,
    max_tokens: String,
}

/// The body the form sends. A new agent leaves out what is blank; an edit sends every field,
/// blank optional ones as `null` so that clearing them clears them.
fn request(editing: bool, f: Fields) -> AgentRequest {
    let base = Uuid::parse_str(&f.knowledge_base).ok();
    let tokens = optional_number(&f.max_tokens);
    AgentRequest {
        name: Some(f.name.trim().to_string()),
        model: Some(f.model),
        system_prompt: Some(f.system_prompt),
        routing: None,
        knowledge_base_id: (editing || base.is_some()).then_some(base),
        tools: Some(f.tools),
        max_steps: optional_number(&f.max_steps),
        max_tokens: (editing || tokens.is_some()).then_some(tokens),
    }
}

/// The form; `close` goes back to `Editing::Nothing` once saved or cancelled.
#[component(inline_props)]
pub fn AgentForm(editing: Editing, close: Signal<Editing>, reload: Signal<u32>) -> View {
    let notices = use_notices();
    let existing = match &editing {
        Editing::Existing(a) => Some(Agent::clone(a)),
        _ => None,
    };
    let id = existing.as_ref().map(|a| a.id);
    let field = |f: fn(&Agent) -> String| existing.as_ref().map(f).unwrap_or_default();
    let name = create_signal(field(|a| a.name.clone()));
    let model = create_signal(field(|a| a.model.clone()));
    let system_prompt = create_signal(field(|a| a.system_prompt.clone()));
    let tools = create_signal(
        existing
            .as_ref()
            .map(|a| a.tools.clone())
            .unwrap_or_default(),
    );
    let knowledge_base = create_signal(field(|a| {
        a.knowledge_base_id
            .map(|b| b.to_string())
            .unwrap_or_default()
    }));
    let max_steps = create_signal(
        existing
            .as_ref()
            .map_or(DEFAULT_MAX_STEPS, |a| a.max_steps)
            .to_string(),
    );
    let max_tokens = create_signal(field(|a| {
        a.max_tokens.map(|t| t.to_string()).unwrap_or_default()
    }));
    let models = create_signal(Vec::<String>::new());
    let bases = create_signal(Vec::<KnowledgeBase>::new());
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    spawn_local_scoped(async move {
        match api::ai::providers().await {
            Ok(p) => {
                let mut found = chat_models(&p);
                // An agent keeps its model when its provider goes: still offer it.
                let current = model.get_clone_untracked();
                if !current.is_empty() && !found.contains(&current) {
                    found.insert(0, current);
                }
                // The choice first, so the options are drawn with it selected.
                if model.with_untracked(String::is_empty) {
                    model.set(found.first().cloned().unwrap_or_default());
                }
                models.set(found);
            }
            Err(e) => notices.error("Loading the chat models", &e),
        }
    });
    spawn_local_scoped(async move {
        match api::knowledge::bases().await {
            Ok(b) => bases.set(b),
            Err(e) => notices.error("Loading knowledge bases", &e),
        }
    });
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let fields = Fields {
            name: name.get_clone_untracked(),
            model: model.get_clone_untracked(),
            system_prompt: system_prompt.get_clone_untracked(),
            tools: tools.get_clone_untracked(),
            knowledge_base: knowledge_base.get_clone_untracked(),
            max_steps: max_steps.get_clone_untracked(),
            max_tokens: max_tokens.get_clone_untracked(),
        };
        let body = request(id.is_some(), fields);
        spawn_local_scoped(async move {
            let result = match id {
                Some(id) => api::agents::update(id, &body).await,
                None => api::agents::create(&body).await,
            };
            match result {
                Ok(a) => {
                    let done = if id.is_some() { "saved" } else { "created" };
                    notices.success(format!("Agent {} {done}", a.name));
                    reload.update(|n| *n += 1);
                    // Closing disposes this form's signals: nothing may follow.
                    close.set(Editing::Nothing);
                }
                Err(e) => {
                    problem.set(Some(e.describe()));
                    busy.set(false);
                }
            }
        });
    };
    let title = match &existing {
        Some(a) => format!("Edit agent {}", a.name),
        None => "New agent".to_string(),
    };
    let tool_boxes = TOOLS
        .iter()
        .map(|tool| {
            let tool = *tool;
            let box_id = format!("agent-tool-{tool}");
            let label_for = box_id.clone();
            let checked = tools.with_untracked(|t| t.iter().any(|x| x == tool));
            let toggle = move |e: web_sys::Event| {
                let on = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                    .is_some_and(|i| i.checked());
                tools.update(|t| {
                    t.retain(|x| x != tool);
                    if on {
                        t.push(tool.to_string());
                    }
                });
            };
            let hint = tool_hint(tool);
            view! {
                div(class="field-check") {
                    input(id=box_id, r#type="checkbox", name="agent-tools", value=tool, checked=checked, on:change=toggle)
                    label(r#for=label_for) { code { (tool) } " " span(class="muted") { (hint) } }
                }
            }
        })
        .collect::<Vec<_>>();
    let steps_label = format!("Max steps (1 to {MAX_MAX_STEPS}, default {DEFAULT_MAX_STEPS})");
    let max_attr = MAX_MAX_STEPS.to_string();
    view! {
        form(id="agent-form", class="card form form-wide", on:submit=submit, aria-labelledby="agent-form-title") {
            h2(id="agent-form-title") { (title) }
            div(class="two-columns") {
                div(class="form form-column") {
                    label(r#for="agent-name") { "Agent name" }
                    input(id="agent-name", r#type="text", required=true, maxlength="100", bind:value=name)
                    label(r#for="agent-model") { "Chat model" }
                    (choice("agent-model", named(models), model, "No chat model yet"))
                    (if models.with(Vec::is_empty) {
                        view! {
                            p(class="hint") {
                                "Agents call a model of kind chat that one of the account's providers offers: add one on the "
                                a(href="/ai") { "AI page" } "."
                            }
                        }
                    } else {
                        view! {}
                    })
                    label(r#for="agent-max-steps") { (steps_label) }
                    input(id="agent-max-steps", r#type="number", min="1", max=max_attr, placeholder="5", bind:value=max_steps)
                    label(r#for="agent-max-tokens") { "Max tokens per call (empty: the model's limit)" }
                    input(id="agent-max-tokens", r#type="number", min="1", max="100000", bind:value=max_tokens)
                }
                div(class="form form-column") {
                    fieldset(class="tools") {
                        legend { "Tools" }
                        (tool_boxes)
                    }
                    label(r#for="agent-knowledge-base") { "Knowledge base (for search_knowledge)" }
                    select(id="agent-knowledge-base", on:change=move |e: web_sys::Event| knowledge_base.set(browser::event_value(&e))) {
                        option(value="", selected=knowledge_base.with_untracked(String::is_empty)) { "None" }
                        ({
                            let chosen = knowledge_base.get_clone_untracked();
                            bases
                                .get_clone()
                                .into_iter()
                                .map(|b| {
                                    let value = b.id.to_string();
                                    let selected = value == chosen;
                                    view! { option(value=value, selected=selected) { (b.name) } }
                                })
                                .collect::<Vec<_>>()
                        })
                    }
                }
            }
            label(r#for="agent-system-prompt") { "System prompt" }
            textarea(id="agent-system-prompt", rows="5", maxlength="20000", bind:value=system_prompt)
            (match problem.get_clone() {
                Some(p) => view! { p(id="agent-form-error", class="form-error", role="alert") { "Saving the agent: " (p) } },
                None => view! {},
            })
            div(class="page-actions") {
                button(r#type="submit", class="button-primary", disabled=busy.get()) { "Save agent" }
                button(r#type="button", on:click=move |_| close.set(Editing::Nothing)) { "Cancel" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::api::ai::{ProviderHealth, ProviderModel, ProviderTimeouts};

    use super::*;

    #[test]
    fn a_new_agent_leaves_blank_fields_to_the_api_and_an_edit_clears_them() {
        let fields = |knowledge_base: &str, max_steps: &str, max_tokens: &str| Fields {
            name: " a ".into(),
            model: "m".into(),
            knowledge_base: knowledge_base.into(),
            max_steps: max_steps.into(),
            max_tokens: max_tokens.into(),
            ..Fields::default()
        };
        let new = request(false, fields("", "", ""));
        assert_eq!(new.name.as_deref(), Some("a"));
        assert_eq!(new.knowledge_base_id, None);
        assert_eq!(new.max_tokens, None);
        assert_eq!(new.max_steps, None);
        let edit = request(true, fields("", "3", ""));
        assert_eq!(edit.knowledge_base_id, Some(None));
        assert_eq!(edit.max_tokens, Some(None));
        assert_eq!(edit.max_steps, Some(3));
        let base = Uuid::nil().to_string();
        let with = request(false, fields(&base, "x", "64"));
        assert_eq!(with.knowledge_base_id, Some(Some(Uuid::nil())));
        assert_eq!(with.max_tokens, Some(Some(64)));
        assert_eq!(with.max_steps, Some(-1));
    }

    #[test]
    fn only_chat_models_of_enabled_providers_are_offered_once() {
        let model = |name: &str, kind: &str| ProviderModel {
            name: name.into(),
            kind: kind.into(),
            input_usd_per_mtok: 0.0,
            output_usd_per_mtok: 0.0,
            cached_input_usd_per_mtok: None,
            context_window: None,
        };
        let provider = |enabled: bool, models: Vec<ProviderModel>| Provider {
            id: Uuid::nil(),
            name: "p".into(),
            kind: "openai".into(),
            base_url: "http://x".into(),
            has_api_key: false,
            models,
            weight: 1,
            priority: 0,
            rpm_limit: None,
            tpm_limit: None,
            timeouts: ProviderTimeouts::default(),
            enabled,
            health: ProviderHealth {
                state: "closed".into(),
                consecutive_failures: 0,
                opened_at: None,
                last_error: None,
                latency_ms_ewma: None,
            },
            created_at: chrono::DateTime::default(),
        };
        let a = provider(
            true,
            vec![model("chat-a", "chat"), model("e5", "embedding")],
        );
        let b = provider(false, vec![model("chat-b", "chat")]);
        let c = provider(true, vec![model("chat-a", "chat"), model("chat-c", "chat")]);
        assert_eq!(chat_models(&[a, b, c]), vec!["chat-a", "chat-c"]);
    }
}
