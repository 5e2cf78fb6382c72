//! Uploading: a picker button, a drop zone, and one progress bar per file in flight. Files go
//! up one after another in the order chosen (parallel uploads would only share the same link).

use std::rc::Rc;

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api;
use crate::browser;
use crate::notify::use_notices;

/// Where an upload is.
#[derive(Debug, Clone, PartialEq)]
enum State {
    Waiting,
    Sending,
    Done,
    Failed(String),
}

#[derive(Clone, PartialEq)]
struct Upload {
    id: u64,
    name: String,
    progress: Signal<f64>,
    state: Signal<State>,
}

/// The uploads of the page, shared by the button and the drop zone.
#[derive(Clone, Copy)]
struct Uploads {
    list: Signal<Vec<Upload>>,
    next: Signal<u64>,
    busy: Signal<bool>,
    files: Signal<Vec<(u64, Rc<web_sys::File>)>>,
}

fn uploads() -> Uploads {
    match try_use_context::<Uploads>() {
        Some(u) => u,
        None => {
            let u = Uploads {
                list: create_signal(Vec::new()),
                next: create_signal(0),
                busy: create_signal(false),
                files: create_signal(Vec::new()),
            };
            provide_context(u);
            u
        }
    }
}

/// Queues `chosen` and starts sending if idle; `reload` is bumped after each success.
fn enqueue(u: Uploads, chosen: Vec<web_sys::File>, reload: Signal<u32>) {
    for file in chosen {
        let id = u.next.get_untracked();
        u.next.set(id + 1);
        u.list.update(|l| {
            l.push(Upload {
                id,
                name: file.name(),
                progress: create_signal(0.0),
                state: create_signal(State::Waiting),
            })
        });
        u.files.update(|f| f.push((id, Rc::new(file))));
    }
    if u.busy.get_untracked() {
        return;
    }
    u.busy.set(true);
    let notices = use_notices();
    spawn_local_scoped(async move {
        loop {
            let next = u.files.update(|f| (!f.is_empty()).then(|| f.remove(0)));
            let Some((id, file)) = next else { break };
            let Some(item) = u
                .list
                .with_untracked(|l| l.iter().find(|x| x.id == id).cloned())
            else {
                continue;
            };
            item.state.set(State::Sending);
            let progress = item.progress;
            match api::upload::file(&file, move |p| progress.set(p)).await {
                Ok(f) => {
                    item.progress.set(1.0);
                    item.state.set(State::Done);
                    notices.success(format!("Uploaded {}", f.filename));
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    notices.error(&format!("Uploading {}", item.name), &e);
                    item.state.set(State::Failed(e.describe()));
                }
            }
        }
        u.busy.set(false);
        // Finished rows go after a moment; failed ones stay until dismissed.
        browser::sleep(1_500).await;
        u.list
            .update(|l| l.retain(|x| x.state.with_untracked(|s| *s != State::Done)));
    });
}

/// The "Upload files" button (a labelled file input, so it works from the keyboard).
#[component(inline_props)]
pub fn UploadButton(reload: Signal<u32>) -> View {
    let u = uploads();
    view! {
        label(class="button button-primary file-picker") {
            "Upload files"
            input(r#type="file", multiple=true, class="visually-hidden", aria-label="Upload files",
                on:change=move |e: web_sys::Event| enqueue(u, browser::event_files(&e), reload))
        }
    }
}

/// The drop zone and the progress of each upload.
#[component(inline_props)]
pub fn UploadArea(reload: Signal<u32>) -> View {
    let u = uploads();
    let over = create_signal(false);
    view! {
        div(class=move || if over.get() { "drop-zone drop-zone-over" } else { "drop-zone" },
            on:dragover=move |e: web_sys::DragEvent| { e.prevent_default(); over.set(true); },
            on:dragleave=move |_| over.set(false),
            on:drop=move |e: web_sys::DragEvent| {
                e.prevent_default();
                over.set(false);
                enqueue(u, browser::dropped_files(&e), reload);
            }) {
            "Drop files here to upload them"
        }
        ul(class="uploads", aria-label="Uploads") {
            Keyed(
                list=u.list,
                key=|x| x.id,
                view=move |x| {
                    let id = x.id;
                    let label = format!("Upload of {}", x.name);
                    let dismiss_label = format!("Dismiss upload of {}", x.name);
                    let name = x.name;
                    let (progress, state) = (x.progress, x.state);
                    view! {
                        li(class="upload") {
                            span(class="upload-name") { (name) }
                            progress(max="1", value=move || progress.get().to_string(), aria-label=label)
                            span(class="upload-state") {
                                (match state.get_clone() {
                                    State::Waiting => "Waiting".to_string(),
                                    State::Sending => format!("{:.0}%", progress.get() * 100.0),
                                    State::Done => "Done".to_string(),
                                    State::Failed(why) => format!("Failed: {why}"),
                                })
                            }
                            (if matches!(state.get_clone(), State::Failed(_)) {
                                let dismiss_label = dismiss_label.clone();
                                view! {
                                    button(r#type="button", aria-label=dismiss_label,
                                        on:click=move |_| u.list.update(|l| l.retain(|y| y.id != id))) { "Dismiss" }
                                }
                            } else {
                                view! {}
                            })
                        }
                    }
                },
            )
        }
    }
}
