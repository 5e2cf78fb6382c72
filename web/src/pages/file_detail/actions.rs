//! The page header: the file's name and what can be done with it (download, signed link,
//! reprocess, delete, restore, delete for good).

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use sycamore_router::navigate;

use super::Loaded;
use crate::api;
use crate::browser;
use crate::components::layout::PageHeader;
use crate::notify::use_notices;

/// Title and actions.
#[component(inline_props)]
pub fn Header(loaded: Loaded) -> View {
    let notices = use_notices();
    let id = loaded.id;
    let name = create_selector(move || loaded.read(String::new(), |f| f.filename.clone()));
    let deleted = create_selector(move || loaded.read(false, |f| f.deleted_at.is_some()));
    let link = create_signal(None::<String>);

    let download = move |_| {
        spawn_local_scoped(async move {
            match api::files::download(id, None).await {
                Ok(blob) => browser::save_blob(&blob, &name.get_clone_untracked()),
                Err(e) => notices.error("Downloading", &e),
            }
        });
    };
    let signed_link = move |_| {
        spawn_local_scoped(async move {
            match api::files::signed_url(id, 3_600).await {
                Ok(s) => {
                    let url = format!("{}{}", browser::origin(), s.url);
                    link.set(Some(url.clone()));
                    match browser::copy_to_clipboard(&url).await {
                        Ok(()) => notices.success("Signed link copied (valid for one hour)"),
                        Err(_) => notices.success("Signed link ready below (valid for one hour)"),
                    }
                }
                Err(e) => notices.error("Making a signed link", &e),
            }
        });
    };
    let reprocess = move |_| {
        spawn_local_scoped(async move {
            match api::files::reprocess(id).await {
                Ok(_) => {
                    notices.success("Processing queued again");
                    loaded.refresh();
                }
                Err(e) => notices.error("Reprocessing", &e),
            }
        });
    };
    let delete = move |_| {
        spawn_local_scoped(async move {
            match api::files::delete(id, false).await {
                Ok(_) => {
                    notices.success("File moved to deleted files");
                    loaded.refresh();
                }
                Err(e) => notices.error("Deleting", &e),
            }
        });
    };
    let restore = move |_| {
        spawn_local_scoped(async move {
            match api::files::restore(id).await {
                Ok(_) => {
                    notices.success("File restored");
                    loaded.refresh();
                }
                Err(e) => notices.error("Restoring", &e),
            }
        });
    };
    let purge = move |_| {
        let sure = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("Delete this file and every version for good?")
                    .ok()
            })
            .unwrap_or(false);
        if !sure {
            return;
        }
        spawn_local_scoped(async move {
            match api::files::delete(id, true).await {
                Ok(_) => {
                    notices.success("File deleted for good");
                    navigate("/");
                }
                Err(e) => notices.error("Deleting", &e),
            }
        });
    };
    view! {
        PageHeader(title=name.get_clone_untracked()) {
            button(r#type="button", on:click=download) { "Download" }
            button(r#type="button", on:click=signed_link) { "Copy signed link" }
            button(r#type="button", on:click=reprocess) { "Reprocess" }
            (if deleted.get() {
                view! {
                    button(r#type="button", on:click=restore) { "Restore" }
                    button(r#type="button", class="button-danger", on:click=purge) { "Delete for good" }
                }
            } else {
                view! { button(r#type="button", class="button-danger", on:click=delete) { "Delete" } }
            })
        }
        (if deleted.get() {
            view! { p(class="banner", role="note") { "This file is deleted. Restore it to download or share it." } }
        } else {
            view! {}
        })
        (match link.get_clone() {
            Some(url) => view! {
                p(class="signed-link") {
                    label(r#for="signed-link") { "Signed link" }
                    input(id="signed-link", r#type="text", readonly=true, value=url)
                }
            },
            None => view! {},
        })
    }
}
