//! The `r2` provider: objects in an R2 bucket bound to the Worker (`FILES` by default).
//!
//! Every storage keeps its objects under its own id in the bucket, so several `r2` storages can
//! share one binding. A put of up to one part is a single PUT; a longer body goes up as a
//! multipart upload of equal 8 MiB parts (R2 wants every part but the last the same size), one
//! part in memory at a time, aborted on any failure so nothing is left under the key.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use powernode_api::maybe_async_trait;
use powernode_api::ports::storage::{
    ByteRange, ByteStream, GetObject, ListedObject, ObjectInfo, ObjectPage, ObjectStore,
    PresignFor, Presigned, StorageError, check_key,
};
use worker::{Bucket, Data, HttpMetadata, Range};

/// Multipart part size (R2's minimum is 5 MiB).
const PART: usize = 8 * 1024 * 1024;

/// One storage's objects in a bucket.
pub struct R2Store {
    bucket: Bucket,
    prefix: String,
}

impl R2Store {
    /// Objects of the storage live under `prefix` (`{storage id}/`) in `bucket`.
    pub fn new(bucket: Bucket, prefix: String) -> Self {
        Self { bucket, prefix }
    }

    fn key(&self, key: &str) -> Result<String, StorageError> {
        check_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }

    async fn put_multipart(
        &self,
        key: &str,
        first: Bytes,
        mut rest: BytesMut,
        mut body: ByteStream,
        metadata: HttpMetadata,
    ) -> Result<u64, StorageError> {
        let upload = self
            .bucket
            .create_multipart_upload(key)
            .http_metadata(metadata)
            .execute()
            .await
            .map_err(unavailable)?;
        let outcome = async {
            let mut parts = Vec::new();
            let mut written = first.len() as u64;
            parts.push(
                upload
                    .upload_part(1, Data::Bytes(first.to_vec()))
                    .await
                    .map_err(unavailable)?,
            );
            let mut number: u16 = 1;
            let mut finished = false;
            while !finished {
                while rest.len() < PART {
                    match body.next().await {
                        Some(chunk) => rest.extend_from_slice(&chunk?),
                        None => {
                            finished = true;
                            break;
                        }
                    }
                }
                if rest.is_empty() {
                    break;
                }
                let take = rest.len().min(PART);
                let part = rest.split_to(take);
                number = number
                    .checked_add(1)
                    .ok_or_else(|| StorageError::Body("more than 65,535 parts".into()))?;
                written += part.len() as u64;
                parts.push(
                    upload
                        .upload_part(number, Data::Bytes(part.to_vec()))
                        .await
                        .map_err(unavailable)?,
                );
            }
            Ok::<_, StorageError>((parts, written))
        }
        .await;
        match outcome {
            Ok((parts, written)) => {
                let id = upload.upload_id().await;
                match upload.complete(parts).await {
                    Ok(_) => Ok(written),
                    Err(e) => {
                        // `complete` took the handle; abort through a resumed one.
                        if let Ok(resumed) = self.bucket.resume_multipart_upload(key, id) {
                            let _ = resumed.abort().await;
                        }
                        Err(unavailable(e))
                    }
                }
            }
            Err(e) => {
                let _ = upload.abort().await;
                Err(e)
            }
        }
    }
}

fn unavailable(e: worker::Error) -> StorageError {
    StorageError::Unavailable(e.to_string())
}

maybe_async_trait! {
impl ObjectStore for R2Store {
    async fn put(
        &self,
        key: &str,
        mut body: ByteStream,
        _size: Option<u64>,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let key = self.key(key)?;
        let metadata = HttpMetadata {
            content_type: Some(content_type.to_string()),
            ..HttpMetadata::default()
        };
        let mut buffer = BytesMut::new();
        while buffer.len() <= PART {
            match body.next().await {
                Some(chunk) => buffer.extend_from_slice(&chunk?),
                None => {
                    let written = buffer.len() as u64;
                    self.bucket
                        .put(&key, Data::Bytes(buffer.to_vec()))
                        .http_metadata(metadata)
                        .execute()
                        .await
                        .map_err(unavailable)?;
                    return Ok(written);
                }
            }
        }
        let first = buffer.split_to(PART).freeze();
        self.put_multipart(&key, first, buffer, body, metadata).await
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<GetObject, StorageError> {
        let key = self.key(key)?;
        // Resolved against the size first: R2 refuses a range past the end with an opaque
        // error, and HTTP wants the end clamped.
        let resolved = match range {
            Some(r) => {
                let size = self
                    .bucket
                    .head(&key)
                    .await
                    .map_err(unavailable)?
                    .ok_or(StorageError::NotFound)?
                    .size();
                if r.start >= size || r.end < r.start {
                    return Err(StorageError::RangeNotSatisfiable);
                }
                Some(ByteRange {
                    start: r.start,
                    end: r.end.min(size - 1),
                })
            }
            None => None,
        };
        let mut request = self.bucket.get(&key);
        if let Some(r) = resolved {
            request = request.range(Range::OffsetWithLength {
                offset: r.start,
                length: r.len(),
            });
        }
        let object = request
            .execute()
            .await
            .map_err(unavailable)?
            .ok_or(StorageError::NotFound)?;
        let size = object.size();
        let stream = object
            .body()
            .ok_or(StorageError::NotFound)?
            .stream()
            .map_err(unavailable)?;
        let body: ByteStream = Box::pin(stream.map(|chunk| {
            chunk
                .map(Bytes::from)
                .map_err(|e| StorageError::Unavailable(e.to_string()))
        }));
        Ok(GetObject {
            size,
            range: resolved,
            body,
        })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        let key = self.key(key)?;
        Ok(self
            .bucket
            .head(&key)
            .await
            .map_err(unavailable)?
            .map(|o| ObjectInfo { size: o.size() }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let key = self.key(key)?;
        self.bucket.delete(&key).await.map_err(unavailable)
    }

    async fn presign(
        &self,
        _purpose: PresignFor,
        _key: &str,
        _expires_in: Duration,
        _content_type: Option<&str>,
    ) -> Result<Presigned, StorageError> {
        // A binding has no URL of its own; the API signs its own URLs for R2 files.
        Err(StorageError::Unsupported(
            "an R2 binding has no presigned URLs".into(),
        ))
    }

    async fn list(&self, prefix: &str, after: Option<String>) -> Result<ObjectPage, StorageError> {
        let mut request = self.bucket.list().prefix(format!("{}{prefix}", self.prefix));
        if let Some(cursor) = after {
            request = request.cursor(cursor);
        }
        let listed = request.execute().await.map_err(unavailable)?;
        let objects = listed
            .objects()
            .iter()
            .filter_map(|o| {
                // Keys are the storage's own: the binding-wide prefix comes off.
                let key = o.key().strip_prefix(&self.prefix)?.to_string();
                let millis = i64::try_from(o.uploaded().as_millis()).ok()?;
                Some(ListedObject {
                    key,
                    size: o.size(),
                    last_modified: chrono::DateTime::from_timestamp_millis(millis)?,
                })
            })
            .collect();
        let next = if listed.truncated() { listed.cursor() } else { None };
        Ok(ObjectPage { objects, next })
    }
}
}
