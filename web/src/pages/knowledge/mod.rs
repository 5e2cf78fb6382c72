//! Knowledge: the account's bases (`/knowledge`: list, create with an embedding model one of the
//! account's providers offers, delete), and one base (`/knowledge/{id}`): its documents with
//! their status kept live while they are read and embedded, a text or a stored file to add, and
//! search by meaning (`vector`), by words (`text`) or both (`hybrid`), the query's words marked
//! in each hit. One file per part.

mod bases;
mod documents;
mod search;

use shared::Permission;
use shared::api::knowledge::{KnowledgeBase, KnowledgeDocument};
use shared::pagination::Pagination;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use sycamore_router::navigate;
use uuid::Uuid;

pub use bases::KnowledgePage;

use crate::api;
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::format;
use crate::notify::use_notices;
use crate::session::use_session;

/// How often the documents are looked at again while any is still being read or embedded.
const POLL_MS: i32 = 1_500;

/// Whether a document's status may still change by itself.
pub fn in_progress(doc: &KnowledgeDocument) -> bool {
    matches!(doc.status.as_str(), "pending" | "embedding")
}

/// What the base page's parts share: the base, the page of documents shown, and a way to load
/// both again.
#[derive(Clone, Copy)]
pub struct Loaded {
    /// The base's id.
    pub id: Uuid,
    /// The base as last loaded (its counts change as documents are embedded).
    pub base: Signal<Option<KnowledgeBase>>,
    /// The documents of the current page.
    pub documents: Signal<Vec<KnowledgeDocument>>,
    /// Where that page sits.
    pub pagination: Signal<Option<Pagination>>,
    /// The documents page shown (1-based).
    pub page: Signal<u32>,
    /// Bump to load again.
    pub reload: Signal<u32>,
}

impl Loaded {
    /// Loads the base and its documents again (after a change).
    pub fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }
}

/// One base's page for `/knowledge/{id}`.
#[component(inline_props)]
pub fn KnowledgeBasePage(id: String) -> View {
    let Ok(id) = Uuid::parse_str(&id) else {
        return view! { Shell(section=Section::Knowledge) { NotFound {} } };
    };
    let notices = use_notices();
    let session = use_session();
    let loaded = Loaded {
        id,
        base: create_signal(None),
        documents: create_signal(Vec::new()),
        pagination: create_signal(None),
        page: create_signal(1),
        reload: create_signal(0),
    };
    let missing = create_signal(false);
    // Answers can arrive out of order (a poll and a page change): only the latest one counts.
    let latest = create_signal(0u64);
    create_effect(move || {
        loaded.reload.track();
        let page = loaded.page.get();
        let ticket = latest.get_untracked() + 1;
        latest.set_silent(ticket);
        spawn_local_scoped(async move {
            // The documents first: a base read after them counts at least the chunks of every
            // document they show as ready, so the counts never lag when polling stops.
            let docs = api::knowledge::documents(id, page).await;
            let base = api::knowledge::base(id).await;
            if latest.get_untracked() != ticket {
                return;
            }
            match base {
                Ok(b) => loaded.base.set(Some(b)),
                Err(e) if e.status() == Some(404) => missing.set(true),
                Err(e) => notices.error("Loading the knowledge base", &e),
            }
            match docs {
                Ok(p) => {
                    loaded.pagination.set(Some(p.pagination));
                    loaded.documents.set(p.items);
                }
                // The base is gone: the page says so.
                Err(e) if e.status() == Some(404) => {}
                Err(e) => notices.error("Loading the documents", &e),
            }
        });
    });
    poll_while_in_progress(loaded);

    let ready = create_selector(move || loaded.base.with(Option::is_some));
    let can_manage = session.can(Permission::AiManage);
    let can_use = session.can(Permission::AiUse);
    view! {
        Shell(section=Section::Knowledge) {
            (if missing.get() {
                view! { NotFound {} }
            } else if !ready.get() {
                view! { p { "Loading…" } }
            } else {
                view! {
                    p(class="breadcrumb") { a(href="/knowledge") { "Knowledge" } " / " (name_of(loaded)) }
                    Header(loaded=loaded, can_manage=can_manage)
                    documents::Documents(loaded=loaded, can_manage=can_manage)
                    (if can_manage { view! { documents::AddDocument(loaded=loaded) } } else { view! {} })
                    (if can_use { view! { search::Search(base=id) } } else { view! {} })
                }
            })
        }
    }
}

fn name_of(loaded: Loaded) -> String {
    loaded
        .base
        .with(|b| b.as_ref().map(|b| b.name.clone()).unwrap_or_default())
}

/// Loads the page again every `POLL_MS` while a document shown is pending or embedding.
fn poll_while_in_progress(loaded: Loaded) {
    let working = create_selector(move || loaded.documents.with(|d| d.iter().any(in_progress)));
    crate::components::poll::poll_while(working, POLL_MS, move || loaded.refresh());
}

/// The base's name, what it is made with, its counts, and delete.
#[component(inline_props)]
fn Header(loaded: Loaded, can_manage: bool) -> View {
    let notices = use_notices();
    let id = loaded.id;
    let title = name_of(loaded);
    let delete = move |_| {
        let name = name_of(loaded);
        if !browser::confirm(&format!(
            "Delete the knowledge base {name} with all its documents?"
        )) {
            return;
        }
        spawn_local_scoped(async move {
            match api::knowledge::delete_base(id).await {
                Ok(b) => {
                    notices.success(format!("Knowledge base {} deleted", b.name));
                    navigate("/knowledge");
                }
                Err(e) => notices.error("Deleting the knowledge base", &e),
            }
        });
    };
    let summary = move || {
        loaded.base.with(|b| match b {
            Some(b) => summary(b),
            None => String::new(),
        })
    };
    view! {
        PageHeader(title=title) {
            (if can_manage {
                view! { button(r#type="button", class="button-danger", on:click=delete) { "Delete base" } }
            } else {
                view! {}
            })
        }
        p(id="kb-summary", class="muted") { (summary) }
    }
}

/// One line about a base: model, dimension, chunking and counts.
pub fn summary(b: &KnowledgeBase) -> String {
    let dims = b.dimensions.map_or_else(
        || "dimension not known yet".to_string(),
        |d| format!("{d} dimensions"),
    );
    format!(
        "Embedding model {} ({dims}); chunks of {} tokens overlapping by {}; {} document{}, {} chunk{}; created {}",
        b.embedding_model,
        b.chunk_tokens,
        b.chunk_overlap,
        b.document_count,
        plural(b.document_count),
        b.chunk_count,
        plural(b.chunk_count),
        format::datetime(&b.created_at),
    )
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[component]
fn NotFound() -> View {
    view! {
        h1 { "Knowledge base not found" }
        p { "It does not exist, or it belongs to another account. " a(href="/knowledge") { "All knowledge bases" } }
    }
}
