//! The list's filters: category, tag, type, a name search, and deleted files.

use shared::api::files::Tag;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use crate::api::{self, files::FileQuery};
use crate::browser;

const CATEGORIES: [&str; 5] = ["image", "video", "audio", "document", "other"];
const TYPES: [(&str, &str); 6] = [
    ("image/", "Images"),
    ("video/", "Videos"),
    ("audio/", "Audio"),
    ("application/pdf", "PDF"),
    ("text/", "Text"),
    ("application/", "Other applications"),
];

/// Filter controls; any change goes back to page 1.
#[component(inline_props)]
pub fn Filters(query: Signal<FileQuery>, page: Signal<u32>) -> View {
    let tags = create_signal(Vec::<Tag>::new());
    spawn_local_scoped(async move {
        if let Ok(t) = api::files::tags().await {
            tags.set(t);
        }
    });
    let change = move |edit: Box<dyn FnOnce(&mut FileQuery)>| {
        page.set(1);
        query.update(|q| edit(q));
    };
    let search = create_signal(String::new());
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let text = search.get_clone_untracked().trim().to_string();
        change(Box::new(move |q| q.q = text));
    };
    view! {
        form(class="filters", role="search", on:submit=submit) {
            div(class="field") {
                label(r#for="filter-category") { "Category" }
                select(id="filter-category", on:change=move |e: web_sys::Event| {
                    let v = browser::event_value(&e);
                    change(Box::new(move |q| q.category = v));
                }) {
                    option(value="") { "All" }
                    (CATEGORIES.iter().map(|c| view! { option(value=*c) { (c.to_string()) } }).collect::<Vec<_>>())
                }
            }
            div(class="field") {
                label(r#for="filter-tag") { "Tag" }
                select(id="filter-tag", on:change=move |e: web_sys::Event| {
                    let v = browser::event_value(&e);
                    change(Box::new(move |q| q.tag = v));
                }) {
                    option(value="") { "Any" }
                    Keyed(
                        list=tags,
                        key=|t| (t.name.clone(), t.file_count),
                        view=|t| {
                            let text = format!("{} ({})", t.name, t.file_count);
                            view! { option(value=t.name) { (text) } }
                        },
                    )
                }
            }
            div(class="field") {
                label(r#for="filter-type") { "Type" }
                select(id="filter-type", on:change=move |e: web_sys::Event| {
                    let v = browser::event_value(&e);
                    change(Box::new(move |q| q.content_type = v));
                }) {
                    option(value="") { "Any" }
                    (TYPES.iter().map(|(v, l)| view! { option(value=*v) { (l.to_string()) } }).collect::<Vec<_>>())
                }
            }
            div(class="field field-grow") {
                label(r#for="filter-search") { "Name" }
                input(id="filter-search", r#type="search", placeholder="Search by file name", bind:value=search)
            }
            button(r#type="submit") { "Search" }
            div(class="field field-check") {
                input(id="filter-deleted", r#type="checkbox", on:change=move |e: web_sys::Event| {
                    let on = e.target()
                        .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok())
                        .is_some_and(|i| i.checked());
                    change(Box::new(move |q| q.include_deleted = on));
                })
                label(r#for="filter-deleted") { "Show deleted" }
            }
        }
    }
}
