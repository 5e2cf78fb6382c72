//! The few browser services the app uses (storage, timers, clipboard, object URLs), wrapped so
//! pages never touch `web_sys` plumbing. Failures here are the browser refusing (private mode,
//! no clipboard permission): they are reported, never panics.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// `localStorage`, or nothing when the browser refuses it.
fn storage() -> Option<web_sys::Storage> {
    window()?.local_storage().ok().flatten()
}

/// A value kept across reloads.
pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// Keeps `value` under `key` (best effort: a refusing browser just forgets on reload).
pub fn save(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// Forgets `key`.
pub fn forget(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A repeating timer, stopped when dropped.
pub struct Interval {
    id: i32,
    _tick: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `tick` every `ms` milliseconds until the `Interval` is dropped.
    pub fn new(ms: i32, tick: impl FnMut() + 'static) -> Option<Self> {
        let tick = Closure::<dyn FnMut()>::new(tick);
        let id = window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                ms,
            )
            .ok()?;
        Some(Self { id, _tick: tick })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(w) = window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}

/// Runs `tick` every `ms` milliseconds for as long as the current reactive scope (the page or
/// component that calls it) lives.
pub fn every(ms: i32, tick: impl FnMut() + 'static) {
    let interval = Rc::new(RefCell::new(Interval::new(ms, tick)));
    sycamore::reactive::on_cleanup(move || {
        interval.borrow_mut().take();
    });
}

/// Asks the user to confirm `message` (`false` when the browser will not ask).
pub fn confirm(message: &str) -> bool {
    window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

/// Puts `text` on the clipboard.
pub async fn copy_to_clipboard(text: &str) -> Result<(), String> {
    let w = window().ok_or("no window")?;
    let promise = w.navigator().clipboard().write_text(text);
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| "the browser refused the clipboard".to_string())
}

/// The page's origin (`https://host:port`), to turn the API's relative links into full ones.
pub fn origin() -> String {
    window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// An object URL for `blob`; free it with `revoke_object_url` once nothing shows it.
pub fn object_url(blob: &web_sys::Blob) -> Option<String> {
    web_sys::Url::create_object_url_with_blob(blob).ok()
}

/// Frees an object URL.
pub fn revoke_object_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Saves `blob` to the user's downloads as `filename` (the API's downloads need the bearer
/// token, which a plain link cannot send).
pub fn save_blob(blob: &web_sys::Blob, filename: &str) {
    let Some(url) = object_url(blob) else { return };
    let anchor = window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(filename);
        a.click();
    }
    revoke_object_url(&url);
}

/// The value of the `<input>`/`<select>` an event came from.
pub fn event_value(event: &web_sys::Event) -> String {
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        return input.value();
    }
    if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        return select.value();
    }
    String::new()
}

/// The files chosen in the `<input type=file>` an event came from (then cleared, so choosing
/// the same file again fires again).
pub fn event_files(event: &web_sys::Event) -> Vec<web_sys::File> {
    let Some(input) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = file_list(input.files());
    input.set_value("");
    files
}

/// The files dropped by a drag-and-drop event.
pub fn dropped_files(event: &web_sys::DragEvent) -> Vec<web_sys::File> {
    file_list(event.data_transfer().and_then(|d| d.files()))
}

fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
