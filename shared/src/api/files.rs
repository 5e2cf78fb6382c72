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
