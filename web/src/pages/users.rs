//! The account's users (owners): list, invite with a role, change role, deactivate.

use shared::Permission;
use shared::api::auth::User;
use shared::api::users::CreateUserRequest;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::notify::use_notices;
use crate::session::use_session;

const ROLES: [&str; 3] = ["owner", "member", "viewer"];

/// A user's account role (`platform_admin` is configuration, not shown here).
fn role_of(user: &User) -> String {
    user.roles
        .iter()
        .map(|r| r.as_str())
        .find(|r| ROLES.contains(r))
        .unwrap_or("viewer")
        .to_string()
}

/// The users page.
#[component]
pub fn UsersPage() -> View {
    let session = use_session();
    let notices = use_notices();
    let users = create_signal(Vec::<User>::new());
    let reload = create_signal(0u32);
    create_effect(move || {
        reload.track();
        spawn_local_scoped(async move {
            match api::users::list(1).await {
                Ok(p) => users.set(p.items),
                Err(e) => notices.error("Loading users", &e),
            }
        });
    });
    let can_invite = session.can(Permission::UsersCreate);
    let can_update = session.can(Permission::UsersUpdate);
    let can_delete = session.can(Permission::UsersDelete);
    view! {
        Shell(section=Section::Users) {
            PageHeader(title="Users".to_string()) {}
            table(class="users") {
                caption(class="visually-hidden") { "The account's users" }
                thead { tr { th { "Email" } th { "Name" } th { "Role" } th { "Status" } th { span(class="visually-hidden") { "Actions" } } } }
                tbody {
                    Indexed(
                        list=users,
                        view=move |u| {
                            let id = u.id;
                            let email = u.email.clone();
                            let role = role_of(&u);
                            let change_role = move |e: web_sys::Event| {
                                let role = browser::event_value(&e);
                                spawn_local_scoped(async move {
                                    match api::users::set_role(id, &role).await {
                                        Ok(u) => notices.success(format!("{} is now {}", u.email, role_of(&u))),
                                        Err(e) => notices.error("Changing the role", &e),
                                    }
                                    reload.update(|n| *n += 1);
                                });
                            };
                            let deactivate = move |_| {
                                spawn_local_scoped(async move {
                                    match api::users::deactivate(id).await {
                                        Ok(u) => notices.success(format!("{} deactivated", u.email)),
                                        Err(e) => notices.error("Deactivating", &e),
                                    }
                                    reload.update(|n| *n += 1);
                                });
                            };
                            let select_id = format!("role-{id}");
                            let role_cell = if can_update && u.active {
                                let options = ROLES
                                    .iter()
                                    .map(|r| {
                                        let selected = role == *r;
                                        view! { option(value=*r, selected=selected) { (*r) } }
                                    })
                                    .collect::<Vec<_>>();
                                let label = format!("Role of {email}");
                                let for_id = select_id.clone();
                                view! {
                                    label(r#for=for_id, class="visually-hidden") { (label) }
                                    select(id=select_id, on:change=change_role) { (options) }
                                }
                            } else {
                                view! { (role) }
                            };
                            let deactivate_button = if can_delete && u.active {
                                let label = format!("Deactivate {email}");
                                view! { button(r#type="button", class="button-danger", aria-label=label, on:click=deactivate) { "Deactivate" } }
                            } else {
                                view! {}
                            };
                            let name = u.name.unwrap_or_default();
                            let status = if u.active { "Active" } else { "Deactivated" };
                            view! {
                                tr {
                                    td { (email) }
                                    td { (name) }
                                    td { (role_cell) }
                                    td { (status) }
                                    td(class="row-actions") { (deactivate_button) }
                                }
                            }
                        },
                    )
                }
            }
            (if can_invite { view! { Invite(reload=reload) } } else { view! {} })
        }
    }
}

#[component(inline_props)]
fn Invite(reload: Signal<u32>) -> View {
    let notices = use_notices();
    let email = create_signal(String::new());
    let name = create_signal(String::new());
    let role = create_signal(String::from("member"));
    let password = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let body = CreateUserRequest {
            email: Some(email.get_clone_untracked()),
            password: Some(password.get_clone_untracked()),
            name: Some(name.get_clone_untracked()).filter(|n| !n.trim().is_empty()),
            role: Some(role.get_clone_untracked()),
        };
        spawn_local_scoped(async move {
            match api::users::invite(&body).await {
                Ok(u) => {
                    notices.success(format!("{} added as {}", u.email, role_of(&u)));
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    problem.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => problem.set(Some(e.describe())),
            }
        });
    };
    view! {
        form(class="card form", on:submit=submit, aria-labelledby="invite-title") {
            h2(id="invite-title") { "Invite a user" }
            label(r#for="invite-email") { "Email" }
            input(id="invite-email", r#type="email", required=true, bind:value=email)
            label(r#for="invite-name") { "Name" }
            input(id="invite-name", r#type="text", bind:value=name)
            label(r#for="invite-role") { "Role" }
            select(id="invite-role", prop:value=move || role.get_clone(), on:change=move |e: web_sys::Event| role.set(browser::event_value(&e))) {
                (ROLES.iter().map(|r| view! { option(value=*r) { (r.to_string()) } }).collect::<Vec<_>>())
            }
            label(r#for="invite-password") { "First password" }
            input(id="invite-password", r#type="password", autocomplete="new-password", required=true, minlength="8",
                aria-describedby="invite-password-hint", bind:value=password)
            p(id="invite-password-hint", class="hint") { "At least 8 characters. Give it to them privately; they can change it later." }
            (match problem.get_clone() {
                Some(p) => view! { p(class="form-error", role="alert") { (p) } },
                None => view! {},
            })
            button(r#type="submit", class="button-primary") { "Invite" }
        }
    }
}
