//! A share link's public page: anyone with the link downloads the file here, giving the
//! password when the link has one (a plain link to the API cannot carry it).

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api::{self, ApiError};
use crate::browser;
use crate::format;

/// What to tell someone whose download failed.
pub fn share_problem(error: &ApiError, tried_password: bool) -> String {
    match error {
        ApiError::Api { status: 401, .. } if tried_password => "Wrong password.".into(),
        ApiError::Api { status: 401, .. } => "This link needs its password.".into(),
        ApiError::Api { status: 404, .. } => "This link does not exist, or it was revoked.".into(),
        ApiError::Api { status: 410, .. } => {
            "This link has expired or reached its download limit.".into()
        }
        ApiError::Api {
            status: 429,
            retry_after,
            ..
        } => format!(
            "Too many wrong passwords. Try again in {}.",
            format::duration_secs(retry_after.unwrap_or(900))
        ),
        other => other.describe(),
    }
}

/// The share page for `/shared/{token}`.
#[component(inline_props)]
pub fn SharedPage(token: String) -> View {
    let password = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let done = create_signal(None::<String>);
    let busy = create_signal(false);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let token = token.clone();
        spawn_local_scoped(async move {
            let pw = password.get_clone_untracked();
            match api::files::fetch_shared(&token, &pw).await {
                Ok((blob, name)) => {
                    let name = name.unwrap_or_else(|| "download".into());
                    browser::save_blob(&blob, &name);
                    done.set(Some(name));
                }
                Err(e) => problem.set(Some(share_problem(&e, !pw.is_empty()))),
            }
            busy.set(false);
        });
    };
    view! {
        main(id="main", class="auth-page") {
            h1 { "A file was shared with you" }
            form(class="card form", on:submit=submit) {
                label(r#for="share-password-input") { "Password (if the link has one)" }
                input(id="share-password-input", r#type="password", autocomplete="off", bind:value=password)
                (match problem.get_clone() {
                    Some(p) => view! { p(class="form-error", role="alert") { (p) } },
                    None => view! {},
                })
                (match done.get_clone() {
                    Some(name) => view! { p(role="status") { "Downloaded " (name) } },
                    None => view! {},
                })
                button(class="button-primary", r#type="submit", disabled=busy.get()) { "Download" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ErrorCode;

    fn status(status: u16) -> ApiError {
        ApiError::Api {
            status,
            code: ErrorCode::Unauthorized,
            message: "x".into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    #[test]
    fn problems_tell_a_missing_password_from_a_wrong_one() {
        assert_eq!(
            share_problem(&status(401), false),
            "This link needs its password."
        );
        assert_eq!(share_problem(&status(401), true), "Wrong password.");
        assert!(share_problem(&status(410), true).contains("expired"));
        assert!(share_problem(&status(429), true).contains("15 min"));
    }
}
