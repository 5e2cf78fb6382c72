//! The playground: a prompt to a model through the proxy, the answer appearing token by token as
//! the stream arrives, then its usage, cost and provider.

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::format::usd;
use crate::notify::use_notices;

#[component(inline_props)]
pub fn Playground(spent: Signal<u32>) -> View {
    let notices = use_notices();
    let model = create_signal(String::new());
    let prompt = create_signal(String::new());
    let answer = create_signal(String::new());
    let summary = create_signal(String::new());
    let busy = create_signal(false);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get() {
            return;
        }
        busy.set(true);
        answer.set(String::new());
        summary.set("streaming...".into());
        spawn_local_scoped(async move {
            let result = api::ai::stream_chat(
                &model.get_clone_untracked(),
                &prompt.get_clone_untracked(),
                |delta| answer.update(|a| a.push_str(delta)),
            )
            .await;
            match result {
                Ok(done) => summary.set(format!(
                    "{} in, {} out, {} ({} attempt{})",
                    done.usage.input_tokens,
                    done.usage.output_tokens,
                    usd(done.cost_usd),
                    done.attempts.len(),
                    if done.attempts.len() == 1 { "" } else { "s" }
                )),
                Err(e) => {
                    summary.set(String::new());
                    notices.error("The playground call", &e);
                }
            }
            busy.set(false);
            spent.update(|n| *n += 1);
        });
    };
    view! {
        section(class="card", aria-labelledby="playground-title") {
            h2(id="playground-title") { "Playground" }
            form(on:submit=submit, aria-label="Playground") {
                div(class="field") {
                    label(r#for="pg-model") { "Model to call" }
                    input(id="pg-model", r#type="text", required=true, bind:value=model)
                }
                div(class="field") {
                    label(r#for="pg-prompt") { "Prompt" }
                    textarea(id="pg-prompt", rows="3", required=true, bind:value=prompt)
                }
                button(r#type="submit", class="button-primary", disabled=move || busy.get()) { "Send" }
            }
            output(id="pg-answer", class="playground-answer", aria-live="polite", aria-label="Answer") { (answer.get_clone()) }
            p(id="pg-summary", class="muted") { (summary.get_clone()) }
        }
    }
}
