//! Job types, one file per family.

pub mod system;
