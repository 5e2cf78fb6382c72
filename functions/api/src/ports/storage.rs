//! Object storage: the port every storage provider implements (local disk, S3-compatible, GCS,
//! Azure Blob natively; R2 and SigV4-signed S3 at the edge), and the factory a runtime provides
//! to build one from a storage row's provider type and (decrypted) configuration.
//!
//! Bodies stream in both directions ([`ByteStream`]): an upload is never held in memory whole,
//! and a download is written out as the provider hands it over. Keys are made by the core
//! (`{account}/{file}/v{n}` and the like), never taken from user input.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_core::Stream;

use super::{MaybeSend, MaybeSync, maybe_async_trait};

pub mod config;
pub mod s3;

/// A body in chunks. `Send` natively; on wasm32 the runtimes' streams are not.
#[cfg(not(target_arch = "wasm32"))]
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>> + Send>>;
/// A body in chunks. `Send` natively; on wasm32 the runtimes' streams are not.
#[cfg(target_arch = "wasm32")]
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>>>>;

/// Why a storage call failed. Messages never hold credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// No object under that key.
    #[error("no such object")]
    NotFound,
    /// The provider's configuration is unusable (a missing field, a bad endpoint); the message
    /// says which field, for the user who wrote it.
    #[error("invalid storage configuration: {0}")]
    InvalidConfig(String),
    /// The provider refused the credentials or the access.
    #[error("the storage provider refused access: {0}")]
    Denied(String),
    /// The provider could not be reached or failed (timeouts, 5xx).
    #[error("the storage provider is unavailable: {0}")]
    Unavailable(String),
    /// This provider or runtime cannot do that (presigning the local disk, a provider type
    /// the runtime does not have).
    #[error("not supported here: {0}")]
    Unsupported(String),
    /// The body being stored failed while it was read (the client went away, a limit hit).
    #[error("the upload stream failed: {0}")]
    Body(String),
    /// A key the core would never make (empty, absolute, `..`, a backslash): refused before
    /// it reaches a provider.
    #[error("invalid object key: {0}")]
    InvalidKey(String),
    /// The requested byte range lies outside the object.
    #[error("the range is not satisfiable")]
    RangeNotSatisfiable,
}

/// Bytes `start..=end` of an object (HTTP `Range` semantics, resolved against its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte, inclusive.
    pub end: u64,
}

impl ByteRange {
    /// How many bytes the range covers.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Never empty: `end >= start` by construction.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What a provider knows about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Size in bytes.
    pub size: u64,
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// Its key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was last written.
    pub last_modified: DateTime<Utc>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectPage {
    /// The objects, in the provider's order.
    pub objects: Vec<ListedObject>,
    /// Where the next page starts (pass it back as `after`); `None` on the last page.
    pub next: Option<String>,
}

/// An object being read.
pub struct GetObject {
    /// The whole object's size.
    pub size: u64,
    /// The part being sent, when a range was asked for.
    pub range: Option<ByteRange>,
    /// The bytes (the range's, or all of them).
    pub body: ByteStream,
}

/// What a presigned URL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignFor {
    /// Downloading with `GET`.
    Download,
    /// Uploading with `PUT`, the body being the object.
    Upload,
}

/// A URL that lets its holder do one thing to one object until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The URL.
    pub url: String,
    /// The HTTP method to use with it.
    pub method: &'static str,
    /// Headers the request must carry (Azure's `x-ms-blob-type`, a signed content type).
    pub headers: Vec<(String, String)>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

maybe_async_trait! {
/// One storage location (a bucket, a container, a directory).
pub trait ObjectStore: MaybeSend + MaybeSync {
    /// Stores `body` under `key`, replacing what was there. `size` is the exact length when
    /// known (some providers need it up front for a single PUT); `content_type` is recorded
    /// with the object. Returns the bytes written. On error nothing is left under `key`.
    async fn put(
        &self,
        key: &str,
        body: ByteStream,
        size: Option<u64>,
        content_type: &str,
    ) -> Result<u64, StorageError>;

    /// Reads `key`, or the part `range` of it (`RangeNotSatisfiable` when it starts past the end;
    /// an end past the end is clamped, as HTTP does).
    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<GetObject, StorageError>;

    /// The object's size, or `None` when there is no object under `key`.
    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError>;

    /// Removes `key`; removing an absent object succeeds.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// A URL for direct transfer of `key` that expires after `expires_in`.
    /// `Unsupported` where the provider has no such URLs (the local disk).
    async fn presign(
        &self,
        purpose: PresignFor,
        key: &str,
        expires_in: Duration,
        content_type: Option<&str>,
    ) -> Result<Presigned, StorageError>;

    /// The objects whose key starts with `prefix`, one page at a time: `after` is the previous
    /// page's `next`. `Unsupported` where this provider has no listing yet (the orphan sweep
    /// reports such a storage and skips it).
    async fn list(&self, prefix: &str, after: Option<String>) -> Result<ObjectPage, StorageError> {
        let _ = (prefix, after);
        Err(StorageError::Unsupported("listing objects".into()))
    }
}
}

maybe_async_trait! {
/// Builds stores from storage rows; what a runtime can build is what it provides.
pub trait StorageProviders: MaybeSend + MaybeSync {
    /// The provider types this runtime builds (`local`, `s3`, `gcs`, `azure`, `r2`).
    fn provider_types(&self) -> Vec<&'static str>;

    /// The store for a storage of `provider_type` with `configuration` (secrets already
    /// decrypted). `storage_id` names the storage, for providers that keep one directory or
    /// prefix per storage. Validates the configuration (`InvalidConfig`) but makes no call.
    async fn build(
        &self,
        storage_id: uuid::Uuid,
        provider_type: &str,
        configuration: &serde_json::Value,
    ) -> Result<Arc<dyn ObjectStore>, StorageError>;
}
}

/// The factory of runtimes with no object storage at all: every build is `Unsupported`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoStorage;

maybe_async_trait! {
impl StorageProviders for NoStorage {
    fn provider_types(&self) -> Vec<&'static str> {
        Vec::new()
    }

    async fn build(
        &self,
        _storage_id: uuid::Uuid,
        provider_type: &str,
        _configuration: &serde_json::Value,
    ) -> Result<Arc<dyn ObjectStore>, StorageError> {
        Err(StorageError::Unsupported(format!(
            "this runtime has no `{provider_type}` storage"
        )))
    }
}
}

/// Checks a key as every provider needs it: relative, `/`-separated segments of
/// `[A-Za-z0-9._-]`, none empty, `.` or `..`, at most 1,024 bytes.
pub fn check_key(key: &str) -> Result<(), StorageError> {
    let bad = |why: &str| Err(StorageError::InvalidKey(format!("{why}: {key:?}")));
    if key.is_empty() || key.len() > 1024 {
        return bad("empty or longer than 1024 bytes");
    }
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return bad("an empty, `.` or `..` segment");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return bad("a character outside [A-Za-z0-9._-/]");
        }
    }
    Ok(())
}

/// Which configuration fields of each provider type are secrets: encrypted at rest, never
/// returned, never logged.
pub fn secret_fields(provider_type: &str) -> &'static [&'static str] {
    match provider_type {
        "s3" | "gcs" => &["secret_access_key"],
        "azure" => &["account_key"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_keys_pass() {
        for ok in ["a", "acct/file/v1", "0190f3a1-7c3e/thumb_300.webp"] {
            assert_eq!(check_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "/abs", "a//b", "a/../b", "..", "./a", "a/", "a\\b", "a b", "a/\u{0}", "é",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?} passed");
        }
        assert!(check_key(&"a".repeat(1025)).is_err());
    }
}
