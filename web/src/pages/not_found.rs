//! An address the app does not know.

use sycamore::prelude::*;

use crate::components::layout::{Section, Shell};

/// The not-found page.
#[component]
pub fn NotFoundPage() -> View {
    view! {
        Shell(section=Section::Other) {
            h1 { "Page not found" }
            p { "Nothing lives at this address. " a(href="/") { "Back to your files" } }
        }
    }
}
