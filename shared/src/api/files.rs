//! Bodies of `/api/v1/files/...`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A file (API.md, "Files").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct File {
    /// Id.
    pub id: Uuid,
    /// The sanitized name it downloads as.
    pub filename: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    /// Bytes of the newest version.
    pub file_size: i64,
    /// Hex SHA-256 of the newest version.
    pub checksum_sha256: String,
    /// `image`, `video`, `audio`, `document` or `other` unless the uploader named one.
    pub category: String,
    /// `private`, `account` or `public`.
    pub visibility: String,
    /// Where its bytes are.
    pub storage_id: Uuid,
    /// The newest version's number.
    pub version: i32,
    /// `pending`, `processing`, `completed` or `failed`.
    pub processing_status: String,
    /// Uploader's metadata merged with processing results.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: serde_json::Value,
    /// Thumbnail URLs by box size (`150`, `300`, `600`), `null` until made.
    pub thumbnails: BTreeMap<String, Option<String>>,
    /// Video poster frame URL, `null` until made.
    pub poster: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted at.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// `PATCH /api/v1/files/:id`; `metadata` is merged into the file's (a key set to `null` is
/// removed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateFileRequest {
    /// New name (sanitized like an upload's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, min_length = 1, max_length = 255))]
    pub filename: Option<String>,
    /// New category.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[a-z0-9_-]{1,50}$"))]
    pub category: Option<String>,
    /// `private`, `account` or `public`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^(private|account|public)$"))]
    pub visibility: Option<String>,
    /// Keys to set (or, with `null`, remove).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
}

/// A tag's name as the API takes it: 1 to 64 characters without control characters once
/// trimmed (the API then lower-cases it). Only the OpenAPI document uses this type, for the
/// items of tag lists.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(
    pattern = "^\\s*[^\\s\\x00-\\x1f\\x7f](?:[^\\x00-\\x1f\\x7f]{0,62}[^\\s\\x00-\\x1f\\x7f])?\\s*$"
)]
pub struct TagName(pub String);

/// `POST /api/v1/files/:id/tags`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddTagsRequest {
    /// Names; trimmed and lower-cased, 1 to 64 characters each.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Vec<TagName>, min_items = 1, max_items = 50))]
    pub tags: Option<Vec<String>>,
}

/// One of `GET /api/v1/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tag {
    /// Name.
    pub name: String,
    /// Live files carrying it.
    pub file_count: i64,
}

/// One of `GET /api/v1/files/:id/processing_jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProcessingJob {
    /// Id.
    pub id: Uuid,
    /// `media.thumbnail`, `media.metadata`...
    pub job_type: String,
    /// `pending`, `processing`, `completed` or `failed`.
    pub status: String,
    /// Attempts reported.
    pub attempts: i64,
    /// What the processor produced.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result_data: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// One of `GET /api/v1/files/:id/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileVersion {
    /// 1, 2, ...
    pub version: i32,
    /// Bytes.
    pub file_size: i64,
    /// Hex SHA-256.
    pub checksum_sha256: String,
    /// What the uploader said changed.
    pub change_description: Option<String>,
    /// Who uploaded it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/files/:id/shares`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateShareRequest {
    /// When the link stops working (in the future).
    pub expires_at: Option<DateTime<Utc>>,
    /// Downloads allowed, at least 1.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 1))]
    pub max_downloads: Option<i64>,
    /// Asked for in `X-Share-Password` (8 to 128 characters); stored hashed (argon2id).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, min_length = 8, max_length = 128))]
    pub password: Option<String>,
    /// Emails the link (the app's share page, never the password) to this address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Email, max_length = 254, pattern = "^[^@\\s\\x00-\\x1f\\x7f]{1,64}@[^@\\s\\x00-\\x1f\\x7f.-](?:[^@\\s\\x00-\\x1f\\x7f.]*[^@\\s\\x00-\\x1f\\x7f.-])?(?:\\.[^@\\s\\x00-\\x1f\\x7f.-](?:[^@\\s\\x00-\\x1f\\x7f.]*[^@\\s\\x00-\\x1f\\x7f.-])?)+$"))]
    pub notify_email: Option<String>,
}

/// A share link (its password never appears).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Share {
    /// Id (for revoking).
    pub id: Uuid,
    /// The secret in the link.
    pub token: String,
    /// Path of the public download, `/s/{token}`.
    pub url: String,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Downloads allowed.
    pub max_downloads: Option<i64>,
    /// Downloads so far.
    pub download_count: i64,
    /// Whether a password is asked for.
    pub password_protected: bool,
}

/// `POST /api/v1/files/uploads`: announce a direct-to-storage upload. The text fields are
/// those of a multipart upload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUploadRequest {
    /// The name it will download as (sanitized).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1))]
    pub filename: Option<String>,
    /// What the client will send; the stored type is still sniffed from the bytes.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 255, pattern = "^[ -~]+$"))]
    pub content_type: Option<String>,
    /// Exact size in bytes; `complete` checks the stored object against it.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = i64, minimum = 0))]
    pub file_size: Option<i64>,
    /// Category (else from the sniffed type).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^\\s*([a-z0-9_-]{1,50})?\\s*$"))]
    pub category: Option<String>,
    /// `private` (default), `account` or `public`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^(private|account|public)$"))]
    pub visibility: Option<String>,
    /// Tag names.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TagName>>, max_items = 50))]
    pub tags: Option<Vec<String>>,
    /// The uploader's metadata.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
}

/// 201 of `POST /api/v1/files/uploads`: where to send the bytes, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectUpload {
    /// The file it becomes once completed.
    pub file_id: Uuid,
    /// Where to send the bytes: the storage provider's presigned URL, or this API's own signed
    /// URL (a path on this origin) for providers that have none.
    pub upload_url: String,
    /// The method to send them with (`PUT`).
    pub upload_method: String,
    /// Headers the upload must carry (a signed content type, Azure's blob type).
    pub upload_headers: BTreeMap<String, String>,
    /// When `upload_url` stops working.
    pub expires_at: DateTime<Utc>,
}

/// `PATCH /api/v1/worker/files/:id/processing_jobs/:job_id`: the media runner's report on one
/// processing job. `pending → processing → completed | failed`; a failed job may be taken up
/// again (`processing`) by its retry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProcessingJobRequest {
    /// `processing`, `completed` or `failed`.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, pattern = "^(processing|completed|failed)$"))]
    pub status: Option<String>,
    /// What the processor produced (with `completed`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result_data: Option<serde_json::Value>,
    /// Why it failed (with `failed`).
    pub error: Option<String>,
}

/// `POST /api/v1/worker/files/:id/metadata`: keys merged into the file's metadata (a key set to
/// `null` is removed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergeMetadataRequest {
    /// Keys to set.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = Object))]
    pub metadata: Option<serde_json::Value>,
}

/// Answer of `GET /api/v1/files/:id/url`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedUrl {
    /// Path and query of the download, on this API's origin.
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}
