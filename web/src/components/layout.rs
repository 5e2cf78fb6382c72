//! The frame of every signed-in page: a skip link, flat navigation by permission, the theme
//! switch, the user and sign-out; then the page's header (title and actions) and its content.

use shared::Permission;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use sycamore_router::navigate;

use crate::api;
use crate::components::theme;
use crate::session::use_session;

/// Which navigation entry is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Files and file detail.
    Files,
    /// Queues.
    Queues,
    /// Storage.
    Storage,
    /// Users.
    Users,
    /// Webhooks.
    Webhooks,
    /// AI.
    Ai,
    /// Knowledge bases.
    Knowledge,
    /// Agents and their runs.
    Agents,
    /// None of them.
    Other,
}

/// Navigation, then `children` in `<main>`.
#[component(inline_props)]
pub fn Shell(section: Section, children: Children) -> View {
    let session = use_session();
    let children = children.call();
    let email = session
        .me
        .with(|me| me.as_ref().map(|m| m.email.clone()).unwrap_or_default());
    let link = move |to: Section, href: &'static str, label: &'static str| {
        let current = if to == section { "page" } else { "false" };
        view! { li { a(href=href, aria-current=current) { (label) } } }
    };
    let can_queues = session.can(Permission::JobsRead) || session.is_admin();
    let sign_out = move |_| {
        spawn_local_scoped(async move {
            api::auth::logout().await;
            session.me.set(None);
            navigate("/login");
        });
    };
    view! {
        a(class="skip-link", href="#main") { "Skip to content" }
        header(class="topbar") {
            a(class="brand", href="/") { "Powernode" }
            nav(aria-label="Main") {
                ul {
                    (link(Section::Files, "/", "Files"))
                    (if can_queues { link(Section::Queues, "/queues", "Queues") } else { view! {} })
                    (if session.can(Permission::StorageRead) { link(Section::Storage, "/storage", "Storage") } else { view! {} })
                    (if session.can(Permission::UsersRead) { link(Section::Users, "/users", "Users") } else { view! {} })
                    (if session.can(Permission::WebhooksRead) { link(Section::Webhooks, "/webhooks", "Webhooks") } else { view! {} })
                    (if session.can(Permission::AiRead) { link(Section::Ai, "/ai", "AI") } else { view! {} })
                    (if session.can(Permission::AiRead) { link(Section::Knowledge, "/knowledge", "Knowledge") } else { view! {} })
                    (if session.can(Permission::AiRead) { link(Section::Agents, "/agents", "Agents") } else { view! {} })
                }
            }
            div(class="topbar-end") {
                button(class="button-quiet", r#type="button", aria-label="Switch between light and dark theme",
                    on:click=|_| theme::toggle()) { "Theme" }
                span(class="who") { (email) }
                button(class="button-quiet", r#type="button", on:click=sign_out) { "Sign out" }
            }
        }
        main(id="main", tabindex="-1") {
            (children)
        }
    }
}

/// A page's title with its actions on the right.
#[component(inline_props)]
pub fn PageHeader(title: String, children: Children) -> View {
    let actions = children.call();
    view! {
        div(class="page-header") {
            h1 { (title) }
            div(class="page-actions") { (actions) }
        }
    }
}
