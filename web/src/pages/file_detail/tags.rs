//! Tags: remove one, add some (comma separated).

use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;

use super::Loaded;
use crate::api;
use crate::notify::use_notices;

/// `"a, b ,,c"` → `["a", "b", "c"]`.
pub fn parse_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The tags section.
#[component(inline_props)]
pub fn Tags(loaded: Loaded) -> View {
    let notices = use_notices();
    let id = loaded.id;
    let tags = create_selector(move || loaded.read(Vec::new(), |f| f.tags.clone()));
    let text = create_signal(String::new());
    let add = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        let new = parse_tags(&text.get_clone_untracked());
        if new.is_empty() {
            return;
        }
        spawn_local_scoped(async move {
            match api::files::add_tags(id, new).await {
                Ok(f) => {
                    loaded.file.set(Some(f));
                    text.set(String::new());
                }
                Err(e) => notices.error("Adding tags", &e),
            }
        });
    };
    view! {
        section(class="card", aria-labelledby="tags-title") {
            h2(id="tags-title") { "Tags" }
            ul(class="tags") {
                Keyed(
                    list=tags,
                    key=|t| t.clone(),
                    view=move |t| {
                        let tag = t.clone();
                        let remove = move |_| {
                            let tag = tag.clone();
                            spawn_local_scoped(async move {
                                match api::files::remove_tag(id, &tag).await {
                                    Ok(_) => loaded.refresh(),
                                    Err(e) => notices.error("Removing the tag", &e),
                                }
                            });
                        };
                        let label = format!("Remove tag {t}");
                        view! {
                            li(class="tag") {
                                (t)
                                button(r#type="button", class="tag-remove", aria-label=label, on:click=remove) { "×" }
                            }
                        }
                    },
                )
            }
            form(class="inline-form", on:submit=add) {
                div(class="field field-grow") {
                    label(r#for="tag-input") { "Add tags" }
                    input(id="tag-input", r#type="text", placeholder="holiday, family", bind:value=text)
                }
                button(r#type="submit") { "Add" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_tags;

    #[test]
    fn tags_split_on_commas_and_drop_blanks() {
        assert_eq!(parse_tags(" a, b ,,c "), vec!["a", "b", "c"]);
        assert!(parse_tags(" , ").is_empty());
    }
}
