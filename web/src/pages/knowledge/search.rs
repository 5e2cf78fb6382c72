//! Search in a base: a query, the mode (`hybrid`, `vector`, `text`) and how many hits; each hit
//! shows its document, score and text with the query's words marked. The text is the API's
//! (ultimately anyone's document): it is only ever put in text nodes, never parsed as HTML.

use shared::api::knowledge::SearchHit;
use sycamore::futures::spawn_local_scoped;
use sycamore::prelude::*;
use uuid::Uuid;

use crate::api;
use crate::browser;

const MODES: &[(&str, &str)] = &[
    ("hybrid", "hybrid (meaning and words)"),
    ("vector", "vector (meaning)"),
    ("text", "text (words)"),
];

/// The query's words, lowercased, each once.
pub fn query_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = w.to_lowercase();
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

/// Whether a word of a hit is one of the query's `words`, in any case; a query word of four
/// letters or more also marks the words it begins (`volcano` marks `volcanoes`).
fn is_hit(word: &str, words: &[String]) -> bool {
    let word = word.to_lowercase();
    words
        .iter()
        .any(|q| word == *q || (q.chars().count() >= 4 && word.starts_with(q.as_str())))
}

/// `text` cut into pieces in order, each `true` when it is a word to mark. Joined, the pieces
/// are `text` exactly.
pub fn highlight(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut push = |piece: &str, is_word: bool| {
        let hit = is_word && is_hit(piece, words);
        match pieces.last_mut() {
            Some((last, false)) if !hit => last.push_str(piece),
            _ => pieces.push((piece.to_string(), hit)),
        }
    };
    let mut start = 0;
    let mut in_word = None;
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric();
        match in_word {
            Some(was) if was != word => {
                push(&text[start..i], was);
                start = i;
                in_word = Some(word);
            }
            None => in_word = Some(word),
            _ => {}
        }
    }
    if let Some(was) = in_word {
        push(&text[start..], was);
    }
    pieces
}

/// A score as the modes give it: similarities and ranks near 1, fusion sums near 0.03.
pub fn score(s: f64) -> String {
    if s.abs() >= 0.1 {
        format!("{s:.3}")
    } else {
        format!("{s:.4}")
    }
}

/// The search form and its hits.
#[component(inline_props)]
pub fn Search(base: Uuid) -> View {
    let query = create_signal(String::new());
    let mode = create_signal(String::from("hybrid"));
    let top_k = create_signal(String::from("5"));
    let hits = create_signal(None::<(Vec<String>, Vec<SearchHit>)>);
    let problem = create_signal(None::<String>);
    let busy = create_signal(false);
    let submit = move |e: web_sys::SubmitEvent| {
        e.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        hits.set(None);
        let (q, m) = (query.get_clone_untracked(), mode.get_clone_untracked());
        let k = top_k
            .get_clone_untracked()
            .trim()
            .parse::<i64>()
            .unwrap_or(5);
        spawn_local_scoped(async move {
            match api::knowledge::search(base, q.trim(), k, &m).await {
                Ok(found) => hits.set(Some((query_words(&q), found))),
                Err(e) => {
                    hits.set(None);
                    problem.set(Some(e.describe()));
                }
            }
            busy.set(false);
        });
    };
    let results = move || match hits.get_clone() {
        None => view! {},
        Some((_, found)) if found.is_empty() => {
            view! { p(id="kb-hits-empty", class="empty") { "Nothing found." } }
        }
        Some((words, found)) => {
            let items = found
                .into_iter()
                .map(|h| {
                    let words = words.clone();
                    view! { Hit(hit=h, words=words) }
                })
                .collect::<Vec<_>>();
            view! { ol(id="kb-hits", class="hits", aria-label="Search results") { (items) } }
        }
    };
    view! {
        section(class="card", aria-labelledby="search-title") {
            h2(id="search-title") { "Search" }
            form(class="inline-form wrap", on:submit=submit, aria-label="Search the base") {
                div(class="field field-grow") {
                    label(r#for="kb-query") { "Search for" }
                    input(id="kb-query", r#type="search", required=true, bind:value=query)
                }
                div(class="field") {
                    label(r#for="kb-mode") { "Mode" }
                    select(id="kb-mode", prop:value=move || mode.get_clone(),
                        on:change=move |e: web_sys::Event| mode.set(browser::event_value(&e))) {
                        (MODES.iter().map(|(value, text)| view! { option(value=*value) { (*text) } }).collect::<Vec<_>>())
                    }
                }
                div(class="field") {
                    label(r#for="kb-top-k") { "Results (1 to 50)" }
                    input(id="kb-top-k", r#type="number", min="1", max="50", required=true, bind:value=top_k)
                }
                button(r#type="submit", class="button-primary", disabled=busy.get()) { "Search" }
            }
            (match problem.get_clone() {
                Some(p) => view! { p(class="form-error", role="alert") { "Searching: " (p) } },
                None => view! {},
            })
            (if busy.get() { view! { p(class="muted", role="status") { "Searching…" } } } else { view! {} })
            (results)
        }
    }
}

#[component(inline_props)]
fn Hit(hit: SearchHit, words: Vec<String>) -> View {
    let pieces = highlight(&hit.text, &words)
        .into_iter()
        .map(|(piece, marked)| {
            if marked {
                view! { mark { (piece) } }
            } else {
                view! { (piece) }
            }
        })
        .collect::<Vec<_>>();
    let scored = format!("score {}", score(hit.score));
    let document = hit.document_id.to_string();
    view! {
        li(class="hit", data-document-id=document) {
            div(class="hit-head") {
                strong(class="hit-title") { (hit.title) }
                span(class="hit-score") { (scored) }
            }
            p(class="hit-text") { (pieces) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, query: &str) -> Vec<String> {
        highlight(text, &query_words(query))
            .into_iter()
            .filter(|(_, m)| *m)
            .map(|(p, _)| p)
            .collect()
    }

    #[test]
    fn query_words_are_lowercased_once_each() {
        assert_eq!(
            query_words("Shield volcanoes, shield-LAVA!"),
            vec!["shield", "volcanoes", "lava"]
        );
        assert!(query_words(" ,.; ").is_empty());
    }

    #[test]
    fn whole_words_are_marked_in_any_case_and_the_text_is_kept() {
        let text =
            "Shield volcanoes like Mauna Loa have gentle slopes; a shield's lava <b>runs</b>.";
        let pieces = highlight(text, &query_words("shield LAVA b"));
        assert_eq!(
            pieces.iter().map(|(p, _)| p.as_str()).collect::<String>(),
            text
        );
        assert_eq!(
            marked(text, "shield LAVA b"),
            vec!["Shield", "shield", "lava", "b", "b"]
        );
        // Inside other words, short query words mark nothing.
        assert!(marked("lavatory", "lav").is_empty());
    }

    #[test]
    fn longer_query_words_mark_the_words_they_begin() {
        assert_eq!(
            marked("Volcanoes form where a volcano erupts", "volcano"),
            vec!["Volcanoes", "volcano"]
        );
        assert_eq!(marked("Ünïcode TEXT", "ünïcode"), vec!["Ünïcode"]);
        assert!(highlight("", &query_words("x")).is_empty());
    }

    #[test]
    fn scores_keep_their_meaningful_digits() {
        assert_eq!(score(0.87654), "0.877");
        assert_eq!(score(0.032787), "0.0328");
    }
}
