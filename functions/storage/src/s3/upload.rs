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
use bytes::Bytes;
use powernode_api::ports::storage::s3::{MAX_PARTS, Parts};
use powernode_api::ports::storage::{ByteStream, StorageError};

use super::{S3Store, sdk_error};

/// Stores `body` under the bucket key `key`.
pub(super) async fn put(
    store: &S3Store,
    key: &str,
    body: ByteStream,
    size: Option<u64>,
    content_type: &str,
) -> Result<u64, StorageError> {
    let mut parts = Parts::new(body, size)?;
    let first = parts.next().await?;
    if parts.ended() {
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
            Ok(parts.read())
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
            return Err(Parts::too_many_parts());
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
        if parts.ended() {
            break;
        }
        part = parts.next().await?;
        // A body that ended on a part boundary leaves an empty last part: not sent.
        if part.is_empty() && parts.ended() {
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
