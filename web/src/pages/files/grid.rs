//! The grid of file cards: thumbnail (or a placeholder while processing), name, size, status.

use shared::api::files::File;
use sycamore::prelude::*;

use crate::components::auth_image::AuthImage;
use crate::format;

/// A card's key: the file, and which thumbnail it shows, so a card is rebuilt when its
/// thumbnail appears or changes (a new version) and kept otherwise.
fn card_key(file: &File) -> (uuid::Uuid, Option<String>, String) {
    (
        file.id,
        file.thumbnails.get("300").cloned().flatten(),
        file.processing_status.clone(),
    )
}

/// The files as cards.
#[component(inline_props)]
pub fn Grid(files: Signal<Vec<File>>) -> View {
    view! {
        ul(class="file-grid", aria-label="Files") {
            Keyed(
                list=files,
                key=card_key,
                view=|file| view! { Card(file=file) },
            )
        }
        (if files.with(Vec::is_empty) {
            view! { p(class="empty") { "No files here yet. Upload some with the button above, or drop them on the page." } }
        } else {
            view! {}
        })
    }
}

#[component(inline_props)]
fn Card(file: File) -> View {
    let href = format!("/files/{}", file.id);
    let has_thumb = file.thumbnails.get("300").is_some_and(Option::is_some);
    let status = file.processing_status.clone();
    let placeholder = match status.as_str() {
        "pending" | "processing" => "Processing…",
        "failed" => "Processing failed",
        _ => "No preview",
    };
    let thumb = if has_thumb {
        let alt = format!("Thumbnail of {}", file.filename);
        view! { AuthImage(file_id=file.id, size="300", alt=alt, fallback="Loading…".to_string()) }
    } else {
        let label = format!("{}: {placeholder}", file.filename);
        view! { span(class="thumb-placeholder", role="img", aria-label=label) { (placeholder) } }
    };
    let meta = format!(
        "{} · {}{}",
        format::bytes(file.file_size),
        file.category,
        if file.deleted_at.is_some() {
            " · deleted"
        } else {
            ""
        }
    );
    let badge = format!("badge badge-{status}");
    let data_status = status.clone();
    let name = file.filename;
    view! {
        li(class="file-card", data-status=data_status) {
            a(href=href, class="file-card-link") {
                div(class="thumb") { (thumb) }
                span(class="file-name") { (name) }
            }
            span(class="file-meta") { (meta) }
            span(class=badge) { (status) }
        }
    }
}
