//! The `local` provider: objects as files under one directory per storage.
//!
//! Keys come from the core and are checked again here (`check_key`), so no key can leave the
//! storage's directory. A put writes a temporary file beside the target and renames it over
//! the key when the body ended cleanly (after an fsync), so a failed upload leaves nothing, a
//! reader never sees half an object, and a crash never leaves a committed file empty.

use std::path::PathBuf;
use std::time::Duration;

use powernode_api::maybe_async_trait;
use powernode_api::ports::storage::{
    ByteRange, ByteStream, GetObject, ObjectInfo, ObjectPage, ObjectStore, PresignFor, Presigned,
    StorageError, check_key,
};

use crate::local_io;

/// A directory of objects.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// The store rooted at `root` (created on first write).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

fn io_error(e: &std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound
    } else {
        StorageError::Unavailable(e.kind().to_string())
    }
}

/// Resolves a requested range against the object's size.
fn resolve(range: ByteRange, size: u64) -> Result<ByteRange, StorageError> {
    if range.start >= size || range.end < range.start {
        return Err(StorageError::RangeNotSatisfiable);
    }
    Ok(ByteRange {
        start: range.start,
        end: range.end.min(size - 1),
    })
}

maybe_async_trait! {
impl ObjectStore for LocalStore {
    async fn put(
        &self,
        key: &str,
        body: ByteStream,
        _size: Option<u64>,
        _content_type: &str,
    ) -> Result<u64, StorageError> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| io_error(&e))?;
        let tmp = dir.join(format!(".{}.partial", uuid::Uuid::now_v7()));
        match local_io::write_file(tmp.clone(), body).await {
            Ok(written) => {
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| io_error(&e))?;
                // The rename itself is durable once its directory is synced.
                if let Ok(d) = tokio::fs::File::open(&dir).await {
                    let _ = d.sync_all().await;
                }
                Ok(written)
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        let path = self.path(key)?;
        let (file, size) = local_io::open(path).await?;
        let range = range.map(|r| resolve(r, size)).transpose()?;
        let (start, len) = range.map_or((0, size), |r| (r.start, r.len()));
        let body = local_io::read_stream(file, start, len);
        Ok(GetObject { size, range, body })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        let path = self.path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(ObjectInfo { size: m.len() })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&e)),
        }
    }

    async fn presign(
        &self,
        _purpose: PresignFor,
        _key: &str,
        _expires_in: Duration,
        _content_type: Option<&str>,
    ) -> Result<Presigned, StorageError> {
        // The core signs its own URLs for local files (the API serves the bytes).
        Err(StorageError::Unsupported(
            "the local disk has no presigned URLs".into(),
        ))
    }

    async fn list(&self, prefix: &str, after: Option<String>) -> Result<ObjectPage, StorageError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || local_io::list(&root, &prefix, after.as_deref(), LIST_PAGE))
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?
    }
}
}

/// Objects per listed page.
const LIST_PAGE: usize = 1000;

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::StreamExt as _;
    use futures_util::stream;

    use super::*;

    fn body(chunks: Vec<Result<Bytes, StorageError>>) -> ByteStream {
        Box::pin(stream::iter(chunks))
    }

    async fn read(store: &LocalStore, key: &str, range: Option<ByteRange>) -> (GetObject, Vec<u8>) {
        let mut got = store.get(key, range).await.expect("get");
        let mut bytes = Vec::new();
        while let Some(c) = got.body.next().await {
            bytes.extend_from_slice(&c.expect("chunk"));
        }
        (got, bytes)
    }

    #[tokio::test]
    async fn put_get_range_head_delete_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalStore::new(dir.path().join("s1"));
        let data: Vec<u8> = (0..=255u8).cycle().take(700_000).collect();
        let chunks = data
            .chunks(65_536)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let written = store
            .put(
                "acct/file/v1",
                body(chunks),
                None,
                "application/octet-stream",
            )
            .await
            .expect("put");
        assert_eq!(written, 700_000);
        assert_eq!(
            store.head("acct/file/v1").await.expect("head"),
            Some(ObjectInfo { size: 700_000 })
        );
        let (_, all) = read(&store, "acct/file/v1", None).await;
        assert_eq!(all, data);
        let (got, part) = read(
            &store,
            "acct/file/v1",
            Some(ByteRange {
                start: 699_990,
                end: 800_000,
            }),
        )
        .await;
        assert_eq!(got.size, 700_000);
        assert_eq!(
            got.range,
            Some(ByteRange {
                start: 699_990,
                end: 699_999
            })
        );
        assert_eq!(part, data[699_990..]);
        assert_eq!(
            store
                .get(
                    "acct/file/v1",
                    Some(ByteRange {
                        start: 700_000,
                        end: 700_001
                    })
                )
                .await
                .err(),
            Some(StorageError::RangeNotSatisfiable)
        );
        store.delete("acct/file/v1").await.expect("delete");
        store
            .delete("acct/file/v1")
            .await
            .expect("deleting again is fine");
        assert_eq!(store.head("acct/file/v1").await.expect("head"), None);
        assert_eq!(
            store.get("acct/file/v1", None).await.err(),
            Some(StorageError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_failed_upload_leaves_nothing_and_keeps_the_old_object() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalStore::new(dir.path().to_path_buf());
        store
            .put(
                "k",
                body(vec![Ok(Bytes::from_static(b"old"))]),
                None,
                "text/plain",
            )
            .await
            .expect("put");
        let broken = body(vec![
            Ok(Bytes::from_static(b"new bytes")),
            Err(StorageError::Body("client went away".into())),
        ]);
        assert!(store.put("k", broken, None, "text/plain").await.is_err());
        let (_, bytes) = read(&store, "k", None).await;
        assert_eq!(bytes, b"old");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, ["k"], "no partial file remains");
    }

    #[tokio::test]
    async fn keys_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalStore::new(dir.path().join("inner"));
        for key in ["../escape", "/etc/passwd", "a/../../b"] {
            assert!(matches!(
                store.put(key, body(vec![]), None, "x").await,
                Err(StorageError::InvalidKey(_))
            ));
            assert!(matches!(
                store.get(key, None).await.err(),
                Some(StorageError::InvalidKey(_))
            ));
        }
    }
}
