//! The native host's object storage providers, one file each, behind the core's
//! [`ObjectStore`](powernode_api::ports::storage::ObjectStore) port:
//!
//! - `local`: a directory under the data dir, the embedded default.
//! - `s3`: any S3-compatible server over `aws-sdk-s3` (custom endpoint, path-style addressing,
//!   multipart uploads, server-side encryption, presigned URLs).
//! - `gcs`: Google Cloud Storage through its S3-interoperable XML API with HMAC keys, built as
//!   an `s3` store.
//! - `azure`: Azure Blob Storage over its REST API, Shared Key signed by hand.
//!
//! `factory::NativeProviders` builds them from storage rows.

pub mod azure;
mod azure_auth;
mod azure_list;
mod factory;
pub mod gcs;
pub mod local;
mod local_io;
pub mod s3;

pub use factory::NativeProviders;
