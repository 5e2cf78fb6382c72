//! Refreshing a page while something it shows is still changing.

use std::cell::RefCell;
use std::rc::Rc;

use sycamore::prelude::*;

use crate::browser;

/// Calls `tick` every `ms` while `working` holds; the timer exists only then, and goes with
/// the page.
pub fn poll_while(working: ReadSignal<bool>, ms: i32, tick: impl Fn() + Copy + 'static) {
    let timer = Rc::new(RefCell::new(None::<browser::Interval>));
    let held = Rc::clone(&timer);
    create_effect(move || {
        let mut slot = held.borrow_mut();
        if working.get() {
            if slot.is_none() {
                *slot = browser::Interval::new(ms, tick);
            }
        } else {
            *slot = None;
        }
    });
    on_cleanup(move || {
        timer.borrow_mut().take();
    });
}
