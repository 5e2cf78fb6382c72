//! The local provider's file I/O, on blocking threads with plain `std::fs`.
//!
//! `tokio::fs` runs each read or write on the blocking pool too, but through a buffer of its
//! own, so every byte is copied once more; measured on a 256 MiB upload, copies took a third
//! of the host's CPU. Here the chunks travel between the request's task and one blocking
//! thread per transfer as `Bytes` over a bounded channel (moved, never copied), so the only
//! copies left are the kernel's, hashing and file I/O run on two cores at once, and memory per
//! transfer stays at `DEPTH` chunks whatever the file's size.

use std::fs::File;
use std::io::{BufWriter, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{StreamExt as _, stream};
use powernode_api::ports::storage::{ByteStream, ListedObject, ObjectPage, StorageError};

/// Chunks in flight per transfer.
const DEPTH: usize = 4;

/// Read chunk size: large enough that a 1 GiB download is few syscalls, small enough that
/// memory per download stays flat.
pub const READ_CHUNK: usize = 256 * 1024;

/// Writes smaller than this are gathered first (an upload's chunks can be a few KiB each).
const WRITE_GATHER: usize = 64 * 1024;

fn io_error(e: &std::io::Error) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StorageError::NotFound
    } else {
        StorageError::Unavailable(e.kind().to_string())
    }
}

/// Writes `body` to a new file at `path` and fsyncs it; returns the bytes written. On error
/// the partial file is left for the caller to remove.
pub async fn write_file(path: PathBuf, mut body: ByteStream) -> Result<u64, StorageError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(DEPTH);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let mut out = BufWriter::with_capacity(WRITE_GATHER, File::create(&path)?);
        let mut written = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            out.write_all(&chunk)?;
            written += chunk.len() as u64;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        // On disk before the caller makes it visible and commits a row that points at it.
        file.sync_all()?;
        Ok(written)
    });
    let mut failed = None;
    while let Some(chunk) = body.next().await {
        match chunk {
            // A closed channel means the writer stopped on an error, reported below.
            Ok(chunk) => {
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| StorageError::Unavailable(format!("the file writer stopped: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    written.map_err(|e| io_error(&e))
}

/// Opens `path` and reports its size.
pub async fn open(path: PathBuf) -> Result<(File, u64), StorageError> {
    tokio::task::spawn_blocking(move || {
        let file = File::open(&path)?;
        let size = file.metadata()?.len();
        Ok::<_, std::io::Error>((file, size))
    })
    .await
    .map_err(|e| StorageError::Unavailable(format!("the file reader stopped: {e}")))?
    .map_err(|e| io_error(&e))
}

/// Streams `len` bytes of `file` from `start`, read ahead by one blocking thread.
pub fn read_stream(mut file: File, start: u64, len: u64) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, StorageError>>(DEPTH);
    tokio::task::spawn_blocking(move || {
        if start > 0
            && let Err(e) = file.seek(SeekFrom::Start(start))
        {
            let _ = tx.blocking_send(Err(io_error(&e)));
            return;
        }
        let mut left = len;
        while left > 0 {
            let want = left.min(READ_CHUNK as u64);
            // `read_to_end` fills spare capacity without zeroing it first.
            let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(READ_CHUNK));
            let item = match (&mut file).take(want).read_to_end(&mut buf) {
                Ok(0) => Err(StorageError::Unavailable(
                    "the file is shorter than it was".into(),
                )),
                Ok(n) => {
                    left -= n as u64;
                    Ok(Bytes::from(buf))
                }
                Err(e) => Err(io_error(&e)),
            };
            let stop = item.is_err();
            // A closed channel: the client went away.
            if tx.blocking_send(item).is_err() || stop {
                return;
            }
        }
    });
    Box::pin(stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Up to `page` objects under `root` whose key starts with `prefix` and sorts after `after`, in
/// key order. Blocking: run it on a blocking thread. A put's temporary file (a dot-name) is not
/// an object.
pub fn list(
    root: &Path,
    prefix: &str,
    after: Option<&str>,
    page: usize,
) -> Result<ObjectPage, StorageError> {
    let mut keys = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StorageError::Unavailable(e.kind().to_string())),
        };
        for entry in entries {
            let entry = entry.map_err(|e| StorageError::Unavailable(e.kind().to_string()))?;
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let Some(key) = rel
                .to_str()
                .map(|k| k.replace(std::path::MAIN_SEPARATOR, "/"))
            else {
                continue;
            };
            let kind = entry
                .file_type()
                .map_err(|e| StorageError::Unavailable(e.kind().to_string()))?;
            if kind.is_dir() {
                // Only descend where keys under the prefix can be.
                if key.starts_with(prefix) || prefix.starts_with(&format!("{key}/")) {
                    dirs.push(path);
                }
            } else if kind.is_file()
                && key.starts_with(prefix)
                && !entry.file_name().to_string_lossy().starts_with('.')
                && after.is_none_or(|a| key.as_str() > a)
            {
                keys.push((key, path));
            }
        }
    }
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let more = keys.len() > page;
    keys.truncate(page);
    let mut objects = Vec::with_capacity(keys.len());
    for (key, path) in keys {
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            // Deleted since the walk: not listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StorageError::Unavailable(e.kind().to_string())),
        };
        let modified = meta
            .modified()
            .map_err(|e| StorageError::Unavailable(e.kind().to_string()))?;
        objects.push(ListedObject {
            key,
            size: meta.len(),
            last_modified: chrono::DateTime::<chrono::Utc>::from(modified),
        });
    }
    let next = more
        .then(|| objects.last().map(|o| o.key.clone()))
        .flatten();
    Ok(ObjectPage { objects, next })
}
