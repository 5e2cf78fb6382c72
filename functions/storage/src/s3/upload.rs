//! Streaming a body into S3 with at most one part in memory.
//!
//! The body is read into a part-sized buffer. If it ends within the first part it goes up as
//! one `PutObject` (whatever the size hint said, so small bodies of unknown size cost one
//! request). Otherwise it becomes a multipart upload, one part at a time. Any failure (the body,
//! a part, the completion, a size that disagrees with the declared one, or the future being
//! dropped) aborts the multipart upload, so no orphan parts are left, and since S3 shows a
//! multipart object only once completed, nothing appears under the key; an object already
//! there stays as it was.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use powernode_api::ports::storage::{ByteStream, StorageError};

use super::{S3Store, sdk_error};

/// Part size, and the largest body sent as a single `PutObject`. S3's minimum part is 5 MiB;
/// 8 MiB keeps memory per upload small while a 1 GiB upload is 128 requests.
pub(crate) const PART_SIZE: usize = 8 * 1024 * 1024;
/// S3's limit on parts per upload.
const MAX_PARTS: u64 = 10_000;
/// S3's largest part.
const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The part size for a body of `size` bytes: 8 MiB, or larger when 10,000 parts of 8 MiB
/// would not hold it (rounded up to whole MiB). Unknown sizes get 8 MiB, so they are limited
/// to 10,000 × 8 MiB (78 GiB).
fn part_size_for(size: Option<u64>) -> Result<usize, StorageError> {
    const MIB: u64 = 1024 * 1024;
    let Some(size) = size else {
        return Ok(PART_SIZE);
    };
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    let part = needed.max(PART_SIZE as u64);
    if part > MAX_PART_SIZE {
        return Err(StorageError::Body(format!(
            "{size} bytes is more than an S3 object can hold"
        )));
    }
    usize::try_from(part)
        .map_err(|_| StorageError::Body("the part size does not fit in memory".into()))
}

/// The body, cut into parts.
struct Parts {
    body: ByteStream,
    part_size: usize,
    /// What the last chunk had beyond the previous part.
    carry: Bytes,
    ended: bool,
    read: u64,
    declared: Option<u64>,
}

impl Parts {
    /// The next part: `part_size` bytes, or fewer once the body ended (then `ended` is set).
    /// After a full part it looks one chunk ahead, so a body that ends exactly on a part
    /// boundary is known to have ended (and a body of exactly one part is a single put).
    async fn next(&mut self) -> Result<Bytes, StorageError> {
        let mut part = BytesMut::with_capacity(self.part_size);
        loop {
            if !self.carry.is_empty() {
                let take = self.carry.len().min(self.part_size - part.len());
                part.extend_from_slice(&self.carry.split_to(take));
            }
            if part.len() == self.part_size && !self.carry.is_empty() {
                break;
            }
            match self.body.next().await {
                None => {
                    self.ended = true;
                    break;
                }
                Some(chunk) => {
                    let chunk = chunk?;
                    self.read += chunk.len() as u64;
                    if self.declared.is_some_and(|d| self.read > d) {
                        return Err(self.size_mismatch());
                    }
                    self.carry = chunk;
                }
            }
        }
        if self.ended && self.declared.is_some_and(|d| self.read != d) {
            return Err(self.size_mismatch());
        }
        Ok(part.freeze())
    }

    fn size_mismatch(&self) -> StorageError {
        StorageError::Body(format!(
            "the body is not the {} bytes declared",
            self.declared.unwrap_or_default()
        ))
    }
}

/// Stores `body` under the bucket key `key`.
pub(super) async fn put(
    store: &S3Store,
    key: &str,
    body: ByteStream,
    size: Option<u64>,
    content_type: &str,
) -> Result<u64, StorageError> {
    let mut parts = Parts {
        body,
        part_size: part_size_for(size)?,
        carry: Bytes::new(),
        ended: false,
        read: 0,
        declared: size,
    };
    let first = parts.next().await?;
    if parts.ended {
        let len = first.len() as u64;
        store
            .client
            .put_object()
            .bucket(&store.bucket)
            .key(key)
            .set_content_type(content_type_header(content_type))
            .content_length(len as i64)
            .set_server_side_encryption(store.sse.clone())
            .body(SdkByteStream::from(first))
            .send()
            .await
            .map_err(|e| sdk_error("PutObject", e))?;
        return Ok(len);
    }

    let created = store
        .client
        .create_multipart_upload()
        .bucket(&store.bucket)
        .key(key)
        .set_content_type(content_type_header(content_type))
        .set_server_side_encryption(store.sse.clone())
        .send()
        .await
        .map_err(|e| sdk_error("CreateMultipartUpload", e))?;
    let upload_id = created
        .upload_id()
        .ok_or_else(|| StorageError::Unavailable("CreateMultipartUpload: no upload id".into()))?
        .to_string();
    let mut guard = AbortOnDrop {
        client: store.client.clone(),
        bucket: store.bucket.clone(),
        key: key.to_string(),
        upload_id: Some(upload_id.clone()),
    };
    match upload_parts(store, key, &upload_id, first, &mut parts).await {
        Ok(()) => {
            guard.upload_id = None;
            Ok(parts.read)
        }
        Err(e) => {
            guard.abort().await;
            Err(e)
        }
    }
}

/// No header rather than an empty one.
fn content_type_header(content_type: &str) -> Option<String> {
    (!content_type.is_empty()).then(|| content_type.to_string())
}

/// Uploads `first` and the remaining parts, then completes the upload.
async fn upload_parts(
    store: &S3Store,
    key: &str,
    upload_id: &str,
    first: Bytes,
    parts: &mut Parts,
) -> Result<(), StorageError> {
    let mut completed = Vec::new();
    let mut part = first;
    loop {
        let number = completed.len() as u64 + 1;
        if number > MAX_PARTS {
            return Err(StorageError::Body(format!(
                "a body of unknown size is limited to {MAX_PARTS} parts of {} MiB",
                PART_SIZE / (1024 * 1024)
            )));
        }
        // Part numbers are 1..=10,000: the cast is exact.
        let number = number as i32;
        let out = store
            .client
            .upload_part()
            .bucket(&store.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(part.len() as i64)
            .body(SdkByteStream::from(part))
            .send()
            .await
            .map_err(|e| sdk_error("UploadPart", e))?;
        let etag = out
            .e_tag()
            .ok_or_else(|| StorageError::Unavailable("UploadPart: no ETag".into()))?;
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(etag)
                .build(),
        );
        if parts.ended {
            break;
        }
        part = parts.next().await?;
        // A body that ended on a part boundary leaves an empty last part: not sent.
        if part.is_empty() && parts.ended {
            break;
        }
    }
    store
        .client
        .complete_multipart_upload()
        .bucket(&store.bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_error("CompleteMultipartUpload", e))?;
    Ok(())
}

/// Aborts a multipart upload unless it completed: awaited on errors, spawned when the upload's
/// future is dropped halfway (the client went away), so parts never outlive a failed upload.
struct AbortOnDrop {
    client: Client,
    bucket: String,
    key: String,
    /// `None` once completed or aborted.
    upload_id: Option<String>,
}

impl AbortOnDrop {
    async fn abort(&mut self) {
        if let Some(upload_id) = self.upload_id.take() {
            abort(
                self.client.clone(),
                self.bucket.clone(),
                self.key.clone(),
                upload_id,
            )
            .await;
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(abort(
                    self.client.clone(),
                    std::mem::take(&mut self.bucket),
                    std::mem::take(&mut self.key),
                    upload_id,
                ));
            }
            Err(_) => tracing::warn!(
                bucket = %self.bucket,
                key = %self.key,
                "a multipart upload was dropped outside a runtime and could not be aborted"
            ),
        }
    }
}

async fn abort(client: Client, bucket: String, key: String, upload_id: String) {
    let result = client
        .abort_multipart_upload()
        .bucket(&bucket)
        .key(&key)
        .upload_id(&upload_id)
        .send()
        .await;
    match result.map_err(|e| sdk_error("AbortMultipartUpload", e)) {
        Ok(_) | Err(StorageError::NotFound) => {}
        // The bucket's lifecycle rule for incomplete uploads is then the only cleanup.
        Err(e) => tracing::warn!(%bucket, %key, error = %e, "could not abort a multipart upload"),
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream;

    use super::*;

    fn parts(chunks: Vec<usize>, part_size: usize, declared: Option<u64>) -> Parts {
        let body: ByteStream = Box::pin(stream::iter(
            chunks.into_iter().map(|n| Ok(Bytes::from(vec![7u8; n]))),
        ));
        Parts {
            body,
            part_size,
            carry: Bytes::new(),
            ended: false,
            read: 0,
            declared,
        }
    }

    async fn lengths(mut p: Parts) -> Result<Vec<usize>, StorageError> {
        let mut out = Vec::new();
        loop {
            let part = p.next().await?;
            out.push(part.len());
            if p.ended {
                return Ok(out);
            }
        }
    }

    #[tokio::test]
    async fn bodies_are_cut_into_full_parts_whatever_the_chunks() {
        assert_eq!(
            lengths(parts(vec![3, 4, 5], 5, None)).await,
            Ok(vec![5, 5, 2])
        );
        assert_eq!(lengths(parts(vec![12], 5, None)).await, Ok(vec![5, 5, 2]));
        // Ends on a boundary: known at once thanks to the look-ahead.
        assert_eq!(lengths(parts(vec![2, 3], 5, None)).await, Ok(vec![5]));
        assert_eq!(lengths(parts(vec![5, 5], 5, None)).await, Ok(vec![5, 5]));
        assert_eq!(lengths(parts(vec![], 5, None)).await, Ok(vec![0]));
        assert_eq!(lengths(parts(vec![0, 1, 0], 5, None)).await, Ok(vec![1]));
    }

    #[tokio::test]
    async fn a_body_that_disagrees_with_its_declared_size_fails() {
        assert!(matches!(
            lengths(parts(vec![3, 4], 5, Some(6))).await,
            Err(StorageError::Body(_))
        ));
        assert!(matches!(
            lengths(parts(vec![3], 5, Some(6))).await,
            Err(StorageError::Body(_))
        ));
        assert_eq!(lengths(parts(vec![3, 3], 5, Some(6))).await, Ok(vec![5, 1]));
    }

    #[test]
    fn part_sizes_grow_only_for_huge_known_sizes() {
        assert_eq!(part_size_for(None), Ok(PART_SIZE));
        assert_eq!(part_size_for(Some(1)), Ok(PART_SIZE));
        assert_eq!(
            part_size_for(Some(80 * 1024 * 1024 * 1024)),
            Ok(9 * 1024 * 1024)
        );
        assert!(part_size_for(Some(u64::MAX)).is_err());
    }
}
