//! Previous / next page controls for a paginated list.

use sycamore::prelude::*;

/// Moves `page` between 1 and `total_pages`.
#[component(inline_props)]
pub fn Pager(page: Signal<u32>, total_pages: ReadSignal<u32>, label: &'static str) -> View {
    view! {
        nav(class="pager", aria-label=label) {
            button(r#type="button", disabled=page.get() <= 1,
                on:click=move |_| page.set(page.get_untracked().saturating_sub(1).max(1))) { "Previous" }
            span { "Page " (page.get()) " of " (total_pages.get().max(1)) }
            button(r#type="button", disabled=page.get() >= total_pages.get(),
                on:click=move |_| page.set(page.get_untracked() + 1)) { "Next" }
        }
    }
}
