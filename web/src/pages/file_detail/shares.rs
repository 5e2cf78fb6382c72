//! Share links: the list (copy, revoke) and a form to make one with an expiry, a download limit,
//! a password, and an address to email the link to.

use chrono::{Duration, Utc};
use shared::api::files::{CreateShareRequest, Share};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use super::Loaded;
use crate::api;
use crate::browser;
use crate::format;
use crate::notify::use_notices;

/// The share request from the form's fields; a message when a field is not a number. The
/// address to email is checked by the API (a 422 names the field).
pub fn share_request(
    days: &str,
    max_downloads: &str,
    password: &str,
    notify_email: &str,
) -> Result<CreateShareRequest, String> {
    let days = days.trim();
    let expires_at = if days.is_empty() {
        None
    } else {
        let d: i64 = days
            .parse()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or("Expires after: a whole number of days from 1 to 365")?;
        Some(Utc::now() + Duration::days(d))
    };
    let max = max_downloads.trim();
    let max_downloads = if max.is_empty() {
        None
    } else {
        Some(
            max.parse::<i64>()
                .ok()
                .filter(|m| *m >= 1)
                .ok_or("Download limit: a whole number, at least 1")?,
        )
    };
    Ok(CreateShareRequest {
        expires_at,
        max_downloads,
        password: (!password.is_empty()).then(|| password.to_string()),
        notify_email: Some(notify_email.trim())
            .filter(|e| !e.is_empty())
            .map(str::to_string),
    })
}

/// The link to hand out: the app's share page, which asks for the password when there is one.
fn link_of(share: &Share) -> String {
    api::files::share_page_url(&share.url)
        .unwrap_or_else(|| format!("{}{}", browser::origin(), share.url))
}

/// The shares section.
#[component(inline_props)]
pub fn Shares(loaded: Loaded) -> View {
    let notices = use_notices();
    let id = loaded.id;
    let shares = create_signal(Vec::<Share>::new());
    let reload = create_signal(0u32);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::files::shares(id).await {
                Ok(s) => shares.set(s),
                Err(e) => notices.error("Loading shares", &e),
            }
        });
    });
    let days = create_signal(String::new());
    let max = create_signal(String::new());
    let password = create_signal(String::new());
    let notify_email = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let create = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let request = match share_request(
            &days.get_clone_untracked(),
            &max.get_clone_untracked(),
            &password.get_clone_untracked(),
            &notify_email.get_clone_untracked(),
        ) {
            Ok(r) => r,
            Err(p) => {
                problem.set(Some(p));
                return;
            }
        };
        problem.set(None);
        spawn_local_scoped(async move {
            match api::files::create_share(id, &request).await {
                Ok(share) => {
                    let url = link_of(&share);
                    let copied = browser::copy_to_clipboard(&url).await.is_ok();
                    notices.success(if copied {
                        "Share link created and copied"
                    } else {
                        "Share link created"
                    });
                    days.set(String::new());
                    max.set(String::new());
                    password.set(String::new());
                    notify_email.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => problem.set(Some(e.describe())),
            }
        });
    };
    view! {
        section(class="card", aria-labelledby="shares-title") {
            h2(id="shares-title") { "Share links" }
            table {
                thead { tr { th { "Link" } th { "Expires" } th { "Downloads" } th { "Password" } th { span(class="visually-hidden") { "Actions" } } } }
                tbody {
                    Keyed(
                        list=shares,
                        key=|s| (s.id, s.download_count),
                        view=move |s| {
                            let url = link_of(&s);
                            let share_id = s.id;
                            let to_copy = url.clone();
                            let copy = move |_| {
                                let to_copy = to_copy.clone();
                                spawn_local_scoped(async move {
                                    match browser::copy_to_clipboard(&to_copy).await {
                                        Ok(()) => notices.success("Link copied"),
                                        Err(e) => notices.push(crate::notify::Kind::Error, e),
                                    }
                                });
                            };
                            let revoke = move |_| {
                                spawn_local_scoped(async move {
                                    match api::files::revoke_share(share_id).await {
                                        Ok(_) => {
                                            notices.success("Share link revoked");
                                            reload.update(|n| *n += 1);
                                        }
                                        Err(e) => notices.error("Revoking", &e),
                                    }
                                });
                            };
                            let downloads = match s.max_downloads {
                                Some(m) => format!("{} of {m}", s.download_count),
                                None => s.download_count.to_string(),
                            };
                            let expires = s.expires_at.as_ref().map(format::datetime).unwrap_or_else(|| "Never".into());
                            let href = url.clone();
                            view! {
                                tr {
                                    td { a(class="share-url", href=href, rel="external") { (url) } }
                                    td { (expires) }
                                    td { (downloads) }
                                    td { (if s.password_protected { "Yes" } else { "No" }) }
                                    td(class="row-actions") {
                                        button(r#type="button", on:click=copy, aria-label="Copy share link") { "Copy link" }
                                        button(r#type="button", class="button-danger", on:click=revoke, aria-label="Revoke share link") { "Revoke" }
                                    }
                                }
                            }
                        },
                    )
                }
            }
            form(class="inline-form", on:submit=create, aria-label="New share link") {
                div(class="field") {
                    label(r#for="share-days") { "Expires after (days)" }
                    input(id="share-days", r#type="number", min="1", max="365", placeholder="never", bind:value=days)
                }
                div(class="field") {
                    label(r#for="share-max") { "Download limit" }
                    input(id="share-max", r#type="number", min="1", placeholder="none", bind:value=max)
                }
                div(class="field") {
                    label(r#for="share-password") { "Password" }
                    input(id="share-password", r#type="password", autocomplete="new-password", minlength="8", placeholder="optional", bind:value=password)
                }
                div(class="field") {
                    label(r#for="share-notify") { "Email the link to" }
                    input(id="share-notify", r#type="email", autocomplete="off", placeholder="optional", bind:value=notify_email)
                }
                button(r#type="submit") { "Create share link" }
            }
            (match problem.get_clone() {
                Some(p) => view! { p(class="form-error", role="alert") { (p) } },
                None => view! {},
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::share_request;

    #[test]
    fn empty_fields_mean_no_limit() {
        let r = share_request("", " ", "", " ").expect("valid");
        assert!(r.expires_at.is_none() && r.max_downloads.is_none() && r.password.is_none());
        assert!(r.notify_email.is_none());
    }

    #[test]
    fn fields_become_limits_and_bad_numbers_are_named() {
        let r = share_request("7", "3", "s3cret-pass", " friend@example.com ").expect("valid");
        assert!(r.expires_at.is_some());
        assert_eq!(r.max_downloads, Some(3));
        assert_eq!(r.password.as_deref(), Some("s3cret-pass"));
        assert_eq!(r.notify_email.as_deref(), Some("friend@example.com"));
        assert!(
            share_request("0", "", "", "")
                .expect_err("0 days")
                .starts_with("Expires after")
        );
        assert!(
            share_request("", "many", "", "")
                .expect_err("not a number")
                .starts_with("Download limit")
        );
    }
}
