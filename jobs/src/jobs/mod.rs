//! Job types, one file per family.

pub mod maintenance;
pub mod system;
