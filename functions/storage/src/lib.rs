//! The native host's object storage providers, one file each, behind the core's
//! [`ObjectStore`](powernode_api::ports::storage::ObjectStore) port:
//!
//! - `local`: a directory under the data dir, the embedded default.
//! - `azure`: Azure Blob Storage over its REST API, Shared Key signed by hand.
//!
//! `factory::NativeProviders` builds them from storage rows.

pub mod azure;
mod azure_auth;
mod factory;
pub mod local;

pub use factory::NativeProviders;
