//! Powernode's web UI: a client-side Sycamore app that speaks only the public API (API.md) with
//! the signed-in user's JWT. `app` mounts the router; `api/` holds one typed client module per
//! feature; `pages/` one file per screen; `components/` the pieces pages share.

pub mod api;
pub mod app;
pub mod browser;
pub mod components;
pub mod format;
pub mod notify;
pub mod pages;
pub mod routes;
pub mod session;

/// Mounts the app on `<body>`.
pub fn start() {
    // A panic's message in the console, not wasm's bare "unreachable" (tests read the console).
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("powernode-web panicked: {info}").into());
    }));
    sycamore::render(app::App);
}
