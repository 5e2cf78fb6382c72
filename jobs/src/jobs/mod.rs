//! Job types, one file per family.

pub mod agents;
pub mod ai;
#[cfg(not(target_arch = "wasm32"))]
pub mod email;
pub mod knowledge;
pub mod maintenance;
pub mod spawn;
pub mod system;
pub mod webhooks;
