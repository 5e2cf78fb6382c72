//! One file: preview, facts and EXIF, processing jobs, versions, tags, shares, links, delete and
//! restore. The file is loaded once and refreshed while processing; each section reads what it
//! needs from the shared signal, so a refresh never resets a half-filled form.

mod actions;
mod facts;
mod preview;
mod processing;
mod shares;
mod tags;
mod versions;

use shared::Permission;
use shared::api::files::{File, ProcessingJob};
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use crate::api;
use crate::browser;
use crate::components::layout::{Section, Shell};
use crate::notify::use_notices;
use crate::pages::files::still_processing;
use crate::session::use_session;

/// What the sections share: the file, its processing jobs, and a way to load both again.
#[derive(Clone, Copy)]
pub struct Loaded {
    /// The file's id.
    pub id: Uuid,
    /// The file as last loaded.
    pub file: Signal<Option<File>>,
    /// Its processing jobs as last loaded.
    pub jobs: Signal<Vec<ProcessingJob>>,
    /// Bump to load again.
    pub reload: Signal<u32>,
}

impl Loaded {
    /// Loads the file again (after a change).
    pub fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }

    /// A fact of the file, `default` until it is loaded.
    pub fn read<T>(self, default: T, f: impl FnOnce(&File) -> T) -> T {
        self.file.with(|file| file.as_ref().map_or(default, f))
    }
}

/// The file detail page for `/files/{id}`.
#[component(inline_props)]
pub fn FileDetailPage(id: String) -> View {
    let Ok(id) = Uuid::parse_str(&id) else {
        return view! { Shell(section=Section::Files) { NotFound {} } };
    };
    let notices = use_notices();
    let session = use_session();
    let loaded = Loaded {
        id,
        file: create_signal(None),
        jobs: create_signal(Vec::new()),
        reload: create_signal(0),
    };
    let missing = create_signal(false);
    create_effect(move || {
        loaded.reload.track();
        spawn_local_scoped(async move {
            match api::files::get(id).await {
                Ok(f) => loaded.file.set(Some(f)),
                Err(e) if e.status() == Some(404) => missing.set(true),
                Err(e) => notices.error("Loading the file", &e),
            }
            if let Ok(jobs) = api::files::processing_jobs(id).await {
                loaded.jobs.set(jobs);
            }
        });
    });
    browser::every(2_000, move || {
        if loaded
            .file
            .with_untracked(|f| f.as_ref().is_some_and(still_processing))
        {
            loaded.refresh();
        }
    });
    let ready = create_selector(move || loaded.file.with(Option::is_some));
    let can_share = session.can(Permission::FilesShare);
    view! {
        Shell(section=Section::Files) {
            (if missing.get() {
                view! { NotFound {} }
            } else if !ready.get() {
                view! { p { "Loading…" } }
            } else {
                view! {
                    p(class="breadcrumb") { a(href="/") { "Files" } " / " (loaded.read(String::new(), |f| f.filename.clone())) }
                    actions::Header(loaded=loaded)
                    div(class="detail-grid") {
                        section(class="card", aria-labelledby="preview-title") {
                            h2(id="preview-title") { "Preview" }
                            preview::Preview(loaded=loaded)
                        }
                        facts::Facts(loaded=loaded)
                    }
                    facts::Exif(loaded=loaded)
                    processing::Jobs(loaded=loaded)
                    versions::Versions(loaded=loaded)
                    tags::Tags(loaded=loaded)
                    (if can_share { view! { shares::Shares(loaded=loaded) } } else { view! {} })
                }
            })
        }
    }
}

#[component]
fn NotFound() -> View {
    view! {
        h1 { "File not found" }
        p { "It does not exist, or it is not yours. " a(href="/") { "Back to your files" } }
    }
}
