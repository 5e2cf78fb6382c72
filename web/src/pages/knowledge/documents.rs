//! A base's documents (status, chunks, errors; the page keeps them live while any is being read
//! or embedded) and the two ways to add one: a text, or a stored file the media runner reads
//! (plain text, Markdown, HTML or PDF).

use shared::api::files::File;
use shared::api::knowledge::KnowledgeDocument;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use super::{Loaded, in_progress};
use crate::api;
use crate::api::files::FileQuery;
use crate::components::choice::choice;
use crate::components::pager::Pager;
use crate::format;
use crate::notify::use_notices;

/// Whether the media runner can read a stored file's text (as its reader picks: by the sniffed
/// type, or by the name's extension when the type says only "text" or "bytes").
pub fn readable(content_type: &str, filename: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let by_name = filename.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext.to_ascii_lowercase().as_str(),
            "md" | "markdown"
                | "mdown"
                | "mkd"
                | "mkdn"
                | "html"
                | "htm"
                | "xhtml"
                | "txt"
                | "text"
                | "csv"
                | "tsv"
                | "log"
        )
    });
    match essence.as_str() {
        "application/pdf" | "application/xhtml+xml" => true,
        "" | "application/octet-stream" => by_name,
        e => e.starts_with("text/") && !e.ends_with("xml"),
    }
}

/// The badge class of a document's status.
fn badge(status: &str) -> String {
    let look = match status {
        "ready" => "completed",
        "failed" => "failed",
        _ => "processing",
    };
    format!("badge badge-{look}")
}

/// The documents table.
#[component(inline_props)]
pub fn Documents(loaded: Loaded, can_manage: bool) -> View {
    let total_pages = create_selector(move || {
        loaded
            .pagination
            .with(|p| p.map_or(1, |p| p.total_pages as u32))
    });
    let total = create_selector(move || loaded.pagination.with(|p| p.map_or(0, |p| p.total)));
    let working = create_selector(move || {
        loaded
            .documents
            .with(|d| d.iter().filter(|d| in_progress(d)).count())
    });
    let status_line = move || match (total.get(), working.get()) {
        (0, _) => "No documents yet.".to_string(),
        (n, 0) => format!("{n} document{}", if n == 1 { "" } else { "s" }),
        (n, w) => format!(
            "{n} document{}; {w} being read or embedded (this list updates by itself)",
            if n == 1 { "" } else { "s" }
        ),
    };
    view! {
        section(class="card", aria-labelledby="docs-title") {
            h2(id="docs-title") { "Documents" }
            p(id="kb-docs-status", class="list-summary", role="status") { (status_line) }
            table(id="kb-documents") {
                thead { tr {
                    th { "Title" } th { "Source" } th { "Status" } th { "Chunks" } th { "Updated" }
                    th { "Error" } th { span(class="visually-hidden") { "Actions" } }
                } }
                tbody {
                    Keyed(
                        list=loaded.documents,
                        key=|d| (d.id, d.status.clone(), d.chunk_count, d.updated_at),
                        view=move |d| view! { DocumentRow(doc=d, loaded=loaded, can_manage=can_manage) },
                    )
                }
            }
            Pager(page=loaded.page, total_pages=total_pages, label="Document pages")
        }
    }
}

#[component(inline_props)]
fn DocumentRow(doc: KnowledgeDocument, loaded: Loaded, can_manage: bool) -> View {
    let notices = use_notices();
    let (base, id) = (loaded.id, doc.id);
    let delete = move |_| {
        spawn_local_scoped(async move {
            match api::knowledge::delete_document(base, id).await {
                Ok(d) => {
                    notices.success(format!("Document {} removed", d.title));
                    loaded.refresh();
                }
                Err(e) => notices.error("Removing the document", &e),
            }
        });
    };
    let actions = if can_manage {
        let label = format!("Remove document {}", doc.title);
        view! { button(r#type="button", class="button-danger", aria-label=label, on:click=delete) { "Remove" } }
    } else {
        view! {}
    };
    let source = match doc.file_id {
        Some(file) => {
            let (href, label) = (
                format!("/files/{file}"),
                format!("The stored file of {}", doc.title),
            );
            view! { a(href=href, aria-label=label) { "file" } }
        }
        None => view! { "text" },
    };
    let class = badge(&doc.status);
    let updated = format::datetime(&doc.updated_at);
    let error = doc.error.clone().unwrap_or_default();
    let (title, status) = (doc.title.clone(), doc.status.clone());
    view! {
        tr(data-document=title, data-status=status) {
            td { (doc.title) }
            td { (source) }
            td { span(class=class) { (doc.status) } }
            td(class="num") { (doc.chunk_count) }
            td { (updated) }
            td(class="share-url") { (error) }
            td(class="row-actions") { (actions) }
        }
    }
}

/// The two add forms side by side.
#[component(inline_props)]
pub fn AddDocument(loaded: Loaded) -> View {
    view! {
        div(class="two-columns") {
            AddText(loaded=loaded)
            AddFile(loaded=loaded)
        }
    }
}

/// What to say once a document is accepted: the same content is recognised and changes nothing.
fn accepted(doc: &KnowledgeDocument) -> String {
    if doc.status == "ready" {
        format!("{} is already in the base as it is", doc.title)
    } else {
        format!("Document {} added", doc.title)
    }
}

#[component(inline_props)]
fn AddText(loaded: Loaded) -> View {
    let notices = use_notices();
    let title = create_signal(String::new());
    let text = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let (t, body) = (title.get_clone_untracked(), text.get_clone_untracked());
        spawn_local_scoped(async move {
            match api::knowledge::add_text(loaded.id, t.trim(), &body).await {
                Ok(d) => {
                    notices.success(accepted(&d));
                    title.set(String::new());
                    text.set(String::new());
                    loaded.refresh();
                }
                Err(e) => problem.set(Some(e.describe())),
            }
            busy.set(false);
        });
    };
    view! {
        section(class="card", aria-labelledby="add-text-title") {
            h2(id="add-text-title") { "Add a text" }
            p(class="hint") { "A title the base already has replaces that document's text; only the chunks that changed are embedded again." }
            form(class="form form-wide", on:submit=submit, aria-label="Add a text") {
                label(r#for="kb-doc-title") { "Document title" }
                input(id="kb-doc-title", r#type="text", required=true, maxlength="300", bind:value=title)
                label(r#for="kb-doc-text") { "Text" }
                textarea(id="kb-doc-text", rows="6", required=true, bind:value=text)
                (match problem.get_clone() {
                    Some(p) => view! { p(class="form-error", role="alert") { "Adding the text: " (p) } },
                    None => view! {},
                })
                button(r#type="submit", class="button-primary", disabled=busy.get()) { "Add text" }
            }
        }
    }
}

#[component(inline_props)]
fn AddFile(loaded: Loaded) -> View {
    let notices = use_notices();
    let find = create_signal(String::new());
    let files = create_signal(Vec::<File>::new());
    let chosen = create_signal(String::new());
    let file_options = create_memo(move || {
        files.with(|files| {
            files
                .iter()
                .map(|f| {
                    let label = format!(
                        "{} ({}, {})",
                        f.filename,
                        f.content_type,
                        format::bytes(f.file_size)
                    );
                    (f.id.to_string(), label)
                })
                .collect::<Vec<_>>()
        })
    });
    let title = create_signal(String::new());
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    let looked = create_signal(0u32);
    create_effect(move || {
        looked.track();
        let query = FileQuery {
            page: 1,
            q: find.get_clone_untracked().trim().to_string(),
            ..FileQuery::default()
        };
        spawn_local_scoped(async move {
            match api::files::list(&query).await {
                Ok(p) => {
                    let found: Vec<File> = p
                        .items
                        .into_iter()
                        .filter(|f| {
                            f.deleted_at.is_none() && readable(&f.content_type, &f.filename)
                        })
                        .collect();
                    chosen.set(found.first().map(|f| f.id.to_string()).unwrap_or_default());
                    files.set(found);
                }
                Err(e) => notices.error("Loading stored files", &e),
            }
        });
    });
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Ok(file) = Uuid::parse_str(&chosen.get_clone_untracked()) else {
            problem.set(Some("pick a stored file first".into()));
            return;
        };
        busy.set(true);
        problem.set(None);
        let t = title.get_clone_untracked().trim().to_string();
        spawn_local_scoped(async move {
            match api::knowledge::add_file(loaded.id, file, (!t.is_empty()).then_some(t)).await {
                Ok(d) => {
                    notices.success(format!(
                        "Document {} added; its text is read first",
                        d.title
                    ));
                    title.set(String::new());
                    loaded.refresh();
                }
                Err(e) => problem.set(Some(e.describe())),
            }
            busy.set(false);
        });
    };
    view! {
        section(class="card", aria-labelledby="add-file-title") {
            h2(id="add-file-title") { "Add a stored file" }
            p(class="hint") { "Plain text, Markdown, HTML or PDF from the " a(href="/") { "Files" } " page; the newest 24 that match are offered." }
            form(class="inline-form", aria-label="Find stored files", on:submit=move |e: web_sys::SubmitEvent| {
                e.prevent_default();
                looked.update(|n| *n += 1);
            }) {
                div(class="field field-grow") {
                    label(r#for="kb-file-find") { "File name contains" }
                    input(id="kb-file-find", r#type="search", bind:value=find)
                }
                button(r#type="submit") { "Find files" }
            }
            form(class="form form-wide", on:submit=submit, aria-label="Add a stored file") {
                label(r#for="kb-file") { "Stored file" }
                (choice("kb-file", file_options, chosen, "No readable stored file found"))
                label(r#for="kb-file-title") { "Title (the file's name if empty)" }
                input(id="kb-file-title", r#type="text", maxlength="300", bind:value=title)
                (match problem.get_clone() {
                    Some(p) => view! { p(class="form-error", role="alert") { "Adding the file: " (p) } },
                    None => view! {},
                })
                button(r#type="submit", class="button-primary", disabled=busy.get()) { "Add file" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_files_are_the_ones_the_media_runner_reads() {
        assert!(readable("application/pdf", "a.bin"));
        assert!(readable("text/plain; charset=utf-8", "notes"));
        assert!(readable("text/markdown", "README"));
        assert!(readable("text/html", "page.htm"));
        assert!(readable("application/octet-stream", "notes.MD"));
        assert!(!readable("application/octet-stream", "photo.raw"));
        assert!(!readable("text/xml", "feed.xml"));
        assert!(!readable("image/jpeg", "notes.txt"));
    }

    #[test]
    fn statuses_read_as_the_other_pages_badges() {
        assert_eq!(badge("ready"), "badge badge-completed");
        assert_eq!(badge("embedding"), "badge badge-processing");
        assert_eq!(badge("failed"), "badge badge-failed");
    }
}
