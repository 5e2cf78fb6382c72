//! An image the API serves behind the bearer token (thumbnails, posters): fetched with the
//! token, shown through an object URL, freed when the component goes away.

use std::cell::RefCell;
use std::rc::Rc;

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use crate::api;
use crate::browser;

/// Thumbnail `size` (`"150"`, `"300"`, `"600"`) of a file, or its `"poster"`; `fallback` text
/// while loading.
#[component(inline_props)]
pub fn AuthImage(file_id: Uuid, size: &'static str, alt: String, fallback: String) -> View {
    let src = create_signal(None::<String>);
    let failed = create_signal(false);
    let held = Rc::new(RefCell::new(None::<String>));
    let keep = held.clone();
    spawn_local_scoped(async move {
        match api::files::image(file_id, size).await {
            Ok(blob) => {
                if let Some(url) = browser::object_url(&blob) {
                    *keep.borrow_mut() = Some(url.clone());
                    src.set(Some(url));
                }
            }
            Err(_) => failed.set(true),
        }
    });
    on_cleanup(move || {
        if let Some(url) = held.borrow_mut().take() {
            browser::revoke_object_url(&url);
        }
    });
    view! {
        (match src.get_clone() {
            Some(url) => {
                let alt = alt.clone();
                view! { img(src=url, alt=alt, loading="lazy") }
            }
            None => {
                let label = alt.clone();
                let text = if failed.get() { "No preview".to_string() } else { fallback.clone() };
                view! { span(class="thumb-placeholder", role="img", aria-label=label) { (text) } }
            }
        })
    }
}
