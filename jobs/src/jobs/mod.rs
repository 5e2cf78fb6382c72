//! Job types, one file per family.

pub mod maintenance;
pub mod spawn;
pub mod system;
pub mod webhooks;
