//! Job types, one file per family.

#[cfg(not(target_arch = "wasm32"))]
pub mod email;
pub mod maintenance;
pub mod spawn;
pub mod system;
pub mod webhooks;
