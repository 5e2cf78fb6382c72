//! The grid of file cards: thumbnail (or a placeholder while processing), name, size, status.

use shared::api::files::File;
use sycamore::prelude::*;

use crate::components::auth_image::AuthImage;
use crate::format;

/// A card's key: the file and everything its card shows, so a card is rebuilt when any of it
/// changes (its thumbnail appears, it is renamed or deleted) and kept otherwise.
type CardKey = (uuid::Uuid, Option<String>, String, String, bool, i64);

fn card_key(file: &File) -> CardKey {
    (
        file.id,
        file.thumbnails.get("300").cloned().flatten(),
        file.processing_status.clone(),
        file.filename.clone(),
        file.deleted_at.is_some(),
        file.file_size,
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
