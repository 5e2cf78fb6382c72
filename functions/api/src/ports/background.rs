//! Work that may finish after the response: the ledger row and breaker report of a call that
//! has answered. Natively a spawned task; in a Worker `ctx.wait_until`; where a runtime has
//! neither (Spin), the caller runs it before answering.

use std::future::Future;
use std::pin::Pin;

use super::{MaybeSend, MaybeSync};

/// A task to run in the background.
#[cfg(not(target_arch = "wasm32"))]
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
/// A task to run in the background.
#[cfg(target_arch = "wasm32")]
pub type Task = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// Runs tasks after the response.
pub trait Background: MaybeSend + MaybeSync {
    /// Takes `task` to run on its own, or hands it back when this runtime cannot.
    fn spawn(&self, task: Task) -> Result<(), Task>;
}

/// Runs nothing in the background: callers await their tasks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Inline;

impl Background for Inline {
    fn spawn(&self, task: Task) -> Result<(), Task> {
        Err(task)
    }
}

/// Runs `task` in the background if `background` can, else now.
pub async fn run_after(background: &dyn Background, task: Task) {
    if let Err(task) = background.spawn(task) {
        task.await;
    }
}
