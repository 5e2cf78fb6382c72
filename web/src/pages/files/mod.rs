//! The files page: upload (picker or drag-and-drop, several at once, each with progress), then
//! a grid with thumbnails, filtered and paginated. While any file shown is still processing
//! the grid refreshes by itself, so thumbnails replace placeholders without a reload.

mod filters;
mod grid;
mod uploads;

use shared::api::files::File;
use shared::pagination::Pagination;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api::files::FileQuery;
use crate::api::{self};
use crate::browser;
use crate::components::layout::{PageHeader, Section, Shell};
use crate::components::pager::Pager;
use crate::notify::use_notices;

/// How often the grid looks again while something is processing.
const REFRESH_MS: i32 = 2_000;

/// Whether a file's derivatives may still appear.
pub fn still_processing(file: &File) -> bool {
    matches!(file.processing_status.as_str(), "pending" | "processing")
}

/// The files page.
#[component]
pub fn FilesPage() -> View {
    let notices = use_notices();
    let query = create_signal(FileQuery {
        page: 1,
        ..FileQuery::default()
    });
    let page = create_signal(1u32);
    let files = create_signal(Vec::<File>::new());
    let pagination = create_signal(None::<Pagination>);
    let loading = create_signal(true);
    let reload = create_signal(0u32);
    // Answers can arrive out of order (filters change fast): only the latest request's counts.
    let latest = create_signal(0u64);

    create_effect(move || {
        let mut q = query.get_clone();
        q.page = page.get();
        reload.track();
        let ticket = latest.get_untracked() + 1;
        latest.set_silent(ticket);
        spawn_local_scoped(async move {
            let result = api::files::list(&q).await;
            if latest.get_untracked() != ticket {
                return;
            }
            loading.set(false);
            match result {
                Ok(p) => {
                    files.set(p.items);
                    pagination.set(Some(p.pagination));
                }
                Err(e) => notices.error("Loading files", &e),
            }
        });
    });

    browser::every(REFRESH_MS, move || {
        if files.with_untracked(|f| f.iter().any(still_processing)) {
            reload.update(|n| *n += 1);
        }
    });

    let total_pages =
        create_selector(move || pagination.with(|p| p.map_or(1, |p| p.total_pages as u32)));
    let total = create_selector(move || pagination.with(|p| p.map_or(0, |p| p.total)));

    view! {
        Shell(section=Section::Files) {
            PageHeader(title="Files".to_string()) {
                uploads::UploadButton(reload=reload)
            }
            uploads::UploadArea(reload=reload)
            filters::Filters(query=query, page=page)
            p(class="list-summary", aria-live="polite") {
                (if loading.get() { "Loading…".to_string() } else { format!("{} files", total.get()) })
            }
            grid::Grid(files=files)
            Pager(page=page, total_pages=total_pages, label="Files pages")
        }
    }
}
