//! Sign in. Stands in for any page while nobody is signed in; the asked-for page shows once
//! the user is.

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api::{self, ApiError};
use crate::format;
use crate::session::use_session;

/// What to tell the user about a failed sign-in.
pub fn sign_in_problem(error: &ApiError) -> String {
    match error {
        ApiError::Api { status: 401, .. } => "Wrong email or password.".into(),
        ApiError::Api {
            status: 429,
            retry_after,
            ..
        } => match retry_after {
            Some(s) => format!(
                "Too many attempts. Try again in {}.",
                format::duration_secs(*s)
            ),
            None => "Too many attempts. Try again later.".into(),
        },
        other => other.describe(),
    }
}

/// The sign-in form.
#[component]
pub fn LoginPage() -> View {
    let session = use_session();
    let email = create_signal(String::new());
    let password = create_signal(String::new());
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
            let result = match api::auth::login(
                &email.get_clone_untracked(),
                &password.get_clone_untracked(),
            )
            .await
            {
                Ok(_) => api::auth::me().await,
                Err(e) => Err(e),
            };
            busy.set(false);
            match result {
                Ok(me) => session.me.set(Some(me)),
                Err(e) => problem.set(Some(sign_in_problem(&e))),
            }
        });
    };
    view! {
        main(id="main", class="auth-page") {
            h1 { "Sign in to Powernode" }
            form(class="card form", on:submit=submit) {
                label(r#for="login-email") { "Email" }
                input(id="login-email", r#type="email", autocomplete="username", required=true, bind:value=email)
                label(r#for="login-password") { "Password" }
                input(id="login-password", r#type="password", autocomplete="current-password", required=true, bind:value=password)
                (match problem.get_clone() {
                    Some(p) => view! { p(class="form-error", role="alert") { (p) } },
                    None => view! {},
                })
                button(class="button-primary", r#type="submit", disabled=busy.get()) {
                    (if busy.get() { "Signing in…" } else { "Sign in" })
                }
            }
            p { "No account yet? " a(href="/register") { "Create one" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorCode;

    fn api_error(status: u16, code: ErrorCode, retry_after: Option<u64>) -> ApiError {
        ApiError::Api {
            status,
            code,
            message: "server says".into(),
            details: Vec::new(),
            retry_after,
        }
    }

    #[test]
    fn sign_in_problems_say_what_to_do() {
        assert_eq!(
            sign_in_problem(&api_error(401, ErrorCode::Unauthorized, None)),
            "Wrong email or password."
        );
        assert_eq!(
            sign_in_problem(&api_error(429, ErrorCode::RateLimited, Some(120))),
            "Too many attempts. Try again in 2 min."
        );
        assert_eq!(
            sign_in_problem(&api_error(503, ErrorCode::Unavailable, Some(5))),
            "server says (try again in 5 s)"
        );
    }
}
