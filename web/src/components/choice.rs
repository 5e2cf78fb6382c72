//! A required `<select>` bound to a signal, which says so when there is nothing to choose.

use sycamore::prelude::*;

use crate::browser;

/// `<select id>` of `options` (`(value, label)`), bound to `chosen`. With no options it holds
/// one empty option labelled `empty`, so the form cannot be sent without a choice.
pub fn choice(
    id: &'static str,
    options: ReadSignal<Vec<(String, String)>>,
    chosen: Signal<String>,
    empty: &'static str,
) -> View {
    view! {
        select(id=id, required=true, on:change=move |e: web_sys::Event| chosen.set(browser::event_value(&e))) {
            (if options.with(Vec::is_empty) {
                view! { option(value="") { (empty) } }
            } else {
                let current = chosen.get_clone_untracked();
                options
                    .get_clone()
                    .into_iter()
                    .map(|(value, label)| {
                        let selected = value == current;
                        view! { option(value=value, selected=selected) { (label) } }
                    })
                    .collect::<Vec<_>>()
                    .into()
            })
        }
    }
}

/// Names as options whose value is their label.
pub fn named(names: Signal<Vec<String>>) -> ReadSignal<Vec<(String, String)>> {
    create_memo(move || {
        names
            .get_clone()
            .into_iter()
            .map(|n| (n.clone(), n))
            .collect()
    })
}
