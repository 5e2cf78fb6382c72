//! Create an account; its first user is the owner.

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::session::use_session;

/// The registration form.
#[component]
pub fn RegisterPage() -> View {
    let session = use_session();
    let email = create_signal(String::new());
    let password = create_signal(String::new());
    let name = create_signal(String::new());
    let account = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        spawn_local_scoped(async move {
            let result = match api::auth::register(
                &email.get_clone_untracked(),
                &password.get_clone_untracked(),
                &name.get_clone_untracked(),
                &account.get_clone_untracked(),
            )
            .await
            {
                Ok(_) => api::auth::me().await,
                Err(e) => Err(e),
            };
            busy.set(false);
            match result {
                Ok(me) => session.me.set(Some(me)),
                Err(e) => problem.set(Some(e.describe())),
            }
        });
    };
    view! {
        main(id="main", class="auth-page") {
            h1 { "Create your Powernode account" }
            form(class="card form", on:submit=submit) {
                label(r#for="register-name") { "Your name" }
                input(id="register-name", r#type="text", autocomplete="name", bind:value=name)
                label(r#for="register-account") { "Account name" }
                input(id="register-account", r#type="text", autocomplete="organization", bind:value=account)
                label(r#for="register-email") { "Email" }
                input(id="register-email", r#type="email", autocomplete="username", required=true, bind:value=email)
                label(r#for="register-password") { "Password" }
                input(id="register-password", r#type="password", autocomplete="new-password", required=true,
                    minlength="8", aria-describedby="register-password-hint", bind:value=password)
                p(id="register-password-hint", class="hint") { "At least 8 characters." }
                (match problem.get_clone() {
                    Some(p) => view! { p(class="form-error", role="alert") { (p) } },
                    None => view! {},
                })
                button(class="button-primary", r#type="submit", disabled=busy.get()) {
                    (if busy.get() { "Creating…" } else { "Create account" })
                }
            }
            p { "Already have an account? " a(href="/login") { "Sign in" } }
        }
    }
}
