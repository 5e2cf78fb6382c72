//! Who is signed in: the tokens (kept in `localStorage`, so a reload stays signed in) and the
//! current user, shared with every page through a context.

use std::cell::RefCell;
use std::rc::Rc;

use shared::Permission;
use shared::api::auth::Me;
use sycamore::prelude::*;

use crate::browser;

const ACCESS_KEY: &str = "powernode.access_token";
const REFRESH_KEY: &str = "powernode.refresh_token";

/// The signed-in user, or `None`; provided by `App` to every page.
#[derive(Clone, Copy)]
pub struct Session {
    /// The user `/auth/me` described, once loaded.
    pub me: Signal<Option<Me>>,
}

impl Session {
    /// Whether the user holds `permission` (platform admins hold every `admin.*`).
    pub fn can(&self, permission: Permission) -> bool {
        self.me.with(|me| {
            me.as_ref().is_some_and(|me| {
                me.permissions
                    .iter()
                    .any(|held| held.grants(permission.as_str()))
            })
        })
    }

    /// Whether the user is a platform administrator.
    pub fn is_admin(&self) -> bool {
        self.can(Permission::Admin)
    }
}

/// The session of the running app.
pub fn use_session() -> Session {
    use_context::<Session>()
}

thread_local! {
    static ON_EXPIRED: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// What to do when the session ends under the user (a refresh refused): set by `App`.
pub fn on_expired(hook: impl Fn() + 'static) {
    ON_EXPIRED.with(|h| *h.borrow_mut() = Some(Rc::new(hook)));
}

/// The session is over: forget the tokens and tell the app.
pub fn expired() {
    clear_tokens();
    let hook = ON_EXPIRED.with(|h| h.borrow().clone());
    if let Some(hook) = hook {
        hook();
    }
}

/// The stored access token.
pub fn access_token() -> Option<String> {
    browser::load(ACCESS_KEY)
}

/// The stored refresh token.
pub fn refresh_token() -> Option<String> {
    browser::load(REFRESH_KEY)
}

/// Keeps a new token pair.
pub fn store_tokens(access: &str, refresh: &str) {
    browser::save(ACCESS_KEY, access);
    browser::save(REFRESH_KEY, refresh);
}

/// Forgets both tokens.
pub fn clear_tokens() {
    browser::forget(ACCESS_KEY);
    browser::forget(REFRESH_KEY);
}
