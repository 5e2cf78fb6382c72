//! Light and dark themes: `web/static/theme.css` holds both as CSS variables; this picks one by
//! setting `data-theme` on `<html>` (no choice saved: the system's preference applies).

use crate::browser;

const KEY: &str = "powernode.theme";

/// Applies the theme chosen earlier, if any.
pub fn apply_saved() {
    if let Some(theme) = browser::load(KEY) {
        set(&theme);
    }
}

/// The theme in effect now: the saved choice, else the system's.
pub fn current() -> String {
    browser::load(KEY).unwrap_or_else(|| {
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        if dark { "dark" } else { "light" }.to_string()
    })
}

/// Switches between light and dark and remembers the choice.
pub fn toggle() {
    let next = if current() == "dark" { "light" } else { "dark" };
    browser::save(KEY, next);
    set(next);
}

fn set(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", theme);
    }
}
