//! The native host's object storage providers, one file each, behind the core's
//! [`ObjectStore`](powernode_api::ports::storage::ObjectStore) port:
//!
//! - `local`: a directory under the data dir, the embedded default.
//!
//! `factory::NativeProviders` builds them from storage rows.

mod factory;
pub mod local;

pub use factory::NativeProviders;
