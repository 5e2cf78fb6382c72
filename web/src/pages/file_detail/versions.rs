//! Versions: the list (download any, restore an older one) and uploading a new one.

use std::rc::Rc;

use shared::api::files::FileVersion;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use super::Loaded;
use crate::api;
use crate::browser;
use crate::format;
use crate::notify::use_notices;

/// The versions section.
#[component(inline_props)]
pub fn Versions(loaded: Loaded) -> View {
    let notices = use_notices();
    let id = loaded.id;
    let versions = create_signal(Vec::<FileVersion>::new());
    let current = create_selector(move || loaded.read(0, |f| f.version));
    // Reload the list whenever the file's version changes (an upload or a restore).
    create_effect(move || {
        current.track();
        spawn_local_scoped(async move {
            match api::files::versions(id).await {
                Ok(v) => versions.set(v),
                Err(e) => notices.error("Loading versions", &e),
            }
        });
    });

    let chosen = create_signal(None::<Rc<web_sys::File>>);
    let description = create_signal(String::new());
    let progress = create_signal(None::<f64>);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let Some(file) = chosen.get_clone_untracked() else {
            notices.push(
                crate::notify::Kind::Error,
                "Choose a file for the new version first",
            );
            return;
        };
        progress.set(Some(0.0));
        spawn_local_scoped(async move {
            let text = description.get_clone_untracked();
            match api::upload::version(id, &file, &text, move |p| progress.set(Some(p))).await {
                Ok(v) => {
                    notices.success(format!("Version {} uploaded", v.version));
                    description.set(String::new());
                    chosen.set(None);
                    loaded.refresh();
                }
                Err(e) => notices.error("Uploading the version", &e),
            }
            progress.set(None);
        });
    };
    let name = move || loaded.read(String::new(), |f| f.filename.clone());

    view! {
        section(class="card", aria-labelledby="versions-title") {
            h2(id="versions-title") { "Versions" }
            table {
                thead { tr { th { "Version" } th { "Size" } th { "Uploaded" } th { "Note" } th { span(class="visually-hidden") { "Actions" } } } }
                tbody {
                    Keyed(
                        list=versions,
                        key=|v| (v.version, v.checksum_sha256.clone()),
                        view=move |v| {
                            let n = v.version;
                            let is_current = move || current.get() == n;
                            let download = move |_| {
                                spawn_local_scoped(async move {
                                    match api::files::download(id, Some(n)).await {
                                        Ok(blob) => browser::save_blob(&blob, &name()),
                                        Err(e) => notices.error("Downloading the version", &e),
                                    }
                                });
                            };
                            let restore = move |_| {
                                spawn_local_scoped(async move {
                                    match api::files::restore_version(id, n).await {
                                        Ok(v) => {
                                            notices.success(format!("Version {n} restored as version {}", v.version));
                                            loaded.refresh();
                                        }
                                        Err(e) => notices.error("Restoring the version", &e),
                                    }
                                });
                            };
                            view! {
                                tr {
                                    td { (n) (if is_current() { " (current)" } else { "" }) }
                                    td { (format::bytes(v.file_size)) }
                                    td { (format::datetime(&v.created_at)) }
                                    td { (v.change_description.clone().unwrap_or_default()) }
                                    td(class="row-actions") {
                                        button(r#type="button", aria-label=format!("Download version {n}"), on:click=download) { "Download" }
                                        (if is_current() {
                                            view! {}
                                        } else {
                                            view! { button(r#type="button", aria-label=format!("Restore version {n}"), on:click=restore) { "Restore" } }
                                        })
                                    }
                                }
                            }
                        },
                    )
                }
            }
            form(class="inline-form", on:submit=submit) {
                div(class="field") {
                    label(r#for="version-file") { "New version" }
                    input(id="version-file", r#type="file", on:change=move |e: web_sys::Event| {
                        let picked = browser::event_files(&e).into_iter().next().map(Rc::new);
                        chosen.set(picked);
                    })
                }
                div(class="field field-grow") {
                    label(r#for="version-note") { "What changed" }
                    input(id="version-note", r#type="text", bind:value=description)
                }
                button(r#type="submit", disabled=progress.get().is_some()) { "Upload version" }
                (match progress.get() {
                    Some(p) => view! { progress(max="1", value=p.to_string(), aria-label="Version upload") },
                    None => view! {},
                })
            }
        }
    }
}
