//! The root component: session and notices for every page, the router, and the rule that
//! every page but sign-in and register needs a signed-in user.

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use sycamore_router::{HistoryIntegration, Router, navigate};

use crate::api;
use crate::notify::{Kind, NoticeArea, Notices};
use crate::pages;
use crate::routes::AppRoute;
use crate::session::{self, Session};

/// The whole app.
#[component]
pub fn App() -> View {
    let session = Session {
        me: create_signal(None),
    };
    provide_context(session);
    let notices = Notices::new();
    provide_context(notices);
    crate::components::theme::apply_saved();

    // A stored token means a reload: find out who it belongs to before showing anything.
    let checking = create_signal(session::access_token().is_some());
    if checking.get_untracked() {
        spawn_local_scoped(async move {
            if let Ok(me) = api::auth::me().await {
                session.me.set(Some(me));
            }
            checking.set(false);
        });
    }
    session::on_expired(move || {
        if session.me.with_untracked(Option::is_some) {
            session.me.set(None);
            notices.push(Kind::Error, "Your session has ended. Please sign in again.");
        }
        navigate("/login");
    });

    view! {
        NoticeArea {}
        Router(
            integration=HistoryIntegration::new(),
            view=move |route: ReadSignal<AppRoute>| {
                view! {
                    (if checking.get() {
                        view! { p(class="boot") { "Loading…" } }
                    } else {
                        page(route.get_clone(), session.me.with(Option::is_some))
                    })
                }
            },
        )
    }
}

/// The page for `route`; sign-in stands in for any page while nobody is signed in, and the
/// page the user asked for appears once they are.
fn page(route: AppRoute, signed_in: bool) -> View {
    match route {
        AppRoute::Shared { token } => view! { pages::shared::SharedPage(token=token) },
        AppRoute::Login if !signed_in => view! { pages::login::LoginPage {} },
        AppRoute::Register if !signed_in => view! { pages::register::RegisterPage {} },
        AppRoute::Login | AppRoute::Register => {
            // Not during this render: navigating changes the route this view is built from.
            sycamore::web::queue_microtask(|| navigate("/"));
            view! {}
        }
        _ if !signed_in => view! { pages::login::LoginPage {} },
        AppRoute::Files => view! { pages::files::FilesPage {} },
        AppRoute::File { id } => view! { pages::file_detail::FileDetailPage(id=id) },
        AppRoute::Queues => view! { pages::queues::QueuesPage {} },
        AppRoute::Storage => view! { pages::storage::StoragePage {} },
        AppRoute::Users => view! { pages::users::UsersPage {} },
        AppRoute::Webhooks => view! { pages::webhooks::WebhooksPage {} },
        AppRoute::Ai => view! { pages::ai::AiPage {} },
        AppRoute::Knowledge => view! { pages::knowledge::KnowledgePage {} },
        AppRoute::KnowledgeBase { id } => view! { pages::knowledge::KnowledgeBasePage(id=id) },
        AppRoute::Agents => view! { pages::agents::AgentsPage {} },
        AppRoute::AgentRuns => view! { pages::agents::RunsPage {} },
        AppRoute::AgentRun { id } => view! { pages::agents::RunPage(id=id) },
        AppRoute::NotFound => view! { pages::not_found::NotFoundPage {} },
    }
}
