//! Global notifications: a success or an error, shown in one live region at the top of every
//! page and dismissed after a while or by the user.

use sycamore::prelude::*;

use crate::api::ApiError;
use crate::browser;

/// How a notice reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something worked.
    Success,
    /// Something failed.
    Error,
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    id: u64,
    kind: Kind,
    text: String,
}

/// The notices on screen; provided by `App`.
#[derive(Clone, Copy)]
pub struct Notices {
    list: Signal<Vec<Notice>>,
    next: Signal<u64>,
}

impl Notices {
    /// An empty list.
    pub fn new() -> Self {
        Self {
            list: create_signal(Vec::new()),
            next: create_signal(0),
        }
    }

    /// Shows `text` for a few seconds (errors stay longer: they need reading).
    pub fn push(self, kind: Kind, text: impl Into<String>) {
        let id = self.next.get_untracked();
        self.next.set(id + 1);
        self.list.update(|l| {
            l.push(Notice {
                id,
                kind,
                text: text.into(),
            })
        });
        let ms = if kind == Kind::Error { 10_000 } else { 4_000 };
        wasm_bindgen_futures::spawn_local(async move {
            browser::sleep(ms).await;
            self.dismiss(id);
        });
    }

    /// Shows a success.
    pub fn success(self, text: impl Into<String>) {
        self.push(Kind::Success, text);
    }

    /// Shows a failure of an API call, prefixed with what was being done.
    pub fn error(self, doing: &str, error: &ApiError) {
        self.push(Kind::Error, format!("{doing}: {}", error.describe()));
    }

    fn dismiss(self, id: u64) {
        if self.list.is_alive() {
            self.list.update(|l| l.retain(|n| n.id != id));
        }
    }
}

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}

/// The notices of the running app.
pub fn use_notices() -> Notices {
    use_context::<Notices>()
}

/// The live region the notices appear in.
#[component]
pub fn NoticeArea() -> View {
    let notices = use_notices();
    view! {
        div(class="notices", role="status", aria-live="polite") {
            Keyed(
                list=notices.list,
                key=|n| n.id,
                view=move |n| {
                    let class = match n.kind {
                        Kind::Success => "notice notice-success",
                        Kind::Error => "notice notice-error",
                    };
                    let id = n.id;
                    view! {
                        div(class=class) {
                            span { (n.text) }
                            button(class="notice-close", aria-label="Dismiss",
                                on:click=move |_| notices.dismiss(id)) { "×" }
                        }
                    }
                },
            )
        }
    }
}
