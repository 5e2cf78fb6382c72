//! The upload body on its way to storage: hashed (SHA-256), counted, and cut off the moment it
//! passes the upload limit or the storage's remaining quota, so neither is ever stored past.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use sha2::{Digest, Sha256};

use crate::ports::storage::{ByteStream, StorageError};

/// Why the meter stopped a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cutoff {
    /// Past the upload size limit (413).
    TooLarge,
    /// Past the storage's remaining quota (422 `quota_exceeded`).
    OverQuota,
}

#[derive(Default)]
struct State {
    hasher: Sha256,
    size: u64,
    cutoff: Option<Cutoff>,
}

/// Shared between the stream (inside the provider's `put`) and the caller.
#[derive(Clone)]
pub struct Meter {
    state: Arc<Mutex<State>>,
    max_bytes: u64,
    remaining_quota: Option<u64>,
}

impl Meter {
    /// A meter allowing `max_bytes`, and `remaining_quota` when the storage has a quota.
    pub fn new(max_bytes: u64, remaining_quota: Option<u64>) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            max_bytes,
            remaining_quota,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `chunk`; an error once a limit is passed.
    fn count(&self, chunk: &Bytes) -> Result<(), StorageError> {
        let mut state = self.lock();
        state.size += chunk.len() as u64;
        let cutoff = if state.size > self.max_bytes {
            Some(Cutoff::TooLarge)
        } else if self.remaining_quota.is_some_and(|q| state.size > q) {
            Some(Cutoff::OverQuota)
        } else {
            None
        };
        if let Some(c) = cutoff {
            state.cutoff = Some(c);
            return Err(StorageError::Body("the upload passed a limit".into()));
        }
        state.hasher.update(chunk);
        Ok(())
    }

    /// `body` with every chunk counted and hashed.
    pub fn wrap<S, E>(&self, body: S) -> ByteStream
    where
        S: Stream<Item = Result<Bytes, E>> + MeterSend + 'static,
        E: std::fmt::Display,
    {
        let meter = self.clone();
        Box::pin(body.map(move |chunk| {
            let chunk = chunk.map_err(|e| StorageError::Body(e.to_string()))?;
            meter.count(&chunk)?;
            Ok(chunk)
        }))
    }

    /// The upload limit.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Which limit stopped the body, if one did.
    pub fn cutoff(&self) -> Option<Cutoff> {
        self.lock().cutoff
    }

    /// The size and hex SHA-256 of everything that went through.
    pub fn finish(&self) -> (u64, String) {
        let state = self.lock();
        (state.size, hex::encode(state.hasher.clone().finalize()))
    }
}

/// `Send` natively (the stream crosses the runtime's threads); nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MeterSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send> MeterSend for T {}
/// `Send` natively (the stream crosses the runtime's threads); nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MeterSend {}
#[cfg(target_arch = "wasm32")]
impl<T> MeterSend for T {}

#[cfg(test)]
mod tests {
    use futures_util::stream;

    use super::*;

    async fn drain(mut s: ByteStream) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::new();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c?);
        }
        Ok(out)
    }

    fn chunks(
        parts: &[&'static [u8]],
    ) -> impl Stream<Item = Result<Bytes, String>> + Send + 'static {
        stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn hashes_and_counts_what_passes() {
        let meter = Meter::new(100, None);
        let out = drain(meter.wrap(chunks(&[b"hello ", b"world"]))).await;
        assert_eq!(out.as_deref(), Ok(&b"hello world"[..]));
        let (size, sha) = meter.finish();
        assert_eq!(size, 11);
        // printf 'hello world' | sha256sum
        assert_eq!(
            sha,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(meter.cutoff(), None);
    }

    #[tokio::test]
    async fn stops_at_the_limit_or_the_quota() {
        let meter = Meter::new(8, None);
        assert!(
            drain(meter.wrap(chunks(&[b"1234", b"56789"])))
                .await
                .is_err()
        );
        assert_eq!(meter.cutoff(), Some(Cutoff::TooLarge));
        let meter = Meter::new(100, Some(5));
        assert!(drain(meter.wrap(chunks(&[b"1234", b"56"]))).await.is_err());
        assert_eq!(meter.cutoff(), Some(Cutoff::OverQuota));
        let meter = Meter::new(100, Some(6));
        assert!(drain(meter.wrap(chunks(&[b"1234", b"56"]))).await.is_ok());
    }
}
