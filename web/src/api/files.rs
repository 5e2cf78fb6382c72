//! Files: list, detail, versions, tags, shares, signed links, processing.

use serde::Deserialize;
use shared::api::files::{
    AddTagsRequest, CreateShareRequest, File, FileVersion, ProcessingJob, Share, Tag,
};
use uuid::Uuid;

use super::http::{self, ApiError, Page};
use crate::format::with_query;

/// The list's filters, as the files page holds them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileQuery {
    /// 1-based.
    pub page: u32,
    /// `image`, `video`, … or empty for all.
    pub category: String,
    /// A tag name, or empty.
    pub tag: String,
    /// A filename fragment, or empty.
    pub q: String,
    /// A content-type prefix (`image/`), or empty.
    pub content_type: String,
    /// Show soft-deleted files too.
    pub include_deleted: bool,
}

/// Rows per page of the files grid.
pub const PER_PAGE: u32 = 24;

/// The list path for `query`.
pub fn list_path(query: &FileQuery) -> String {
    with_query(
        "/api/v1/files",
        &[
            ("page", query.page.max(1).to_string()),
            ("per_page", PER_PAGE.to_string()),
            ("category", query.category.clone()),
            ("tag", query.tag.clone()),
            ("q", query.q.clone()),
            ("content_type", query.content_type.clone()),
            (
                "include_deleted",
                if query.include_deleted {
                    "true".into()
                } else {
                    String::new()
                },
            ),
        ],
    )
}

/// A page of files.
pub async fn list(query: &FileQuery) -> Result<Page<File>, ApiError> {
    http::get_page(&list_path(query)).await
}

/// One file.
pub async fn get(id: Uuid) -> Result<File, ApiError> {
    http::get(&format!("/api/v1/files/{id}")).await
}

/// The account's tags with their file counts.
pub async fn tags() -> Result<Vec<Tag>, ApiError> {
    http::get("/api/v1/tags").await
}

/// The file's processing jobs.
pub async fn processing_jobs(id: Uuid) -> Result<Vec<ProcessingJob>, ApiError> {
    http::get(&format!("/api/v1/files/{id}/processing_jobs")).await
}

/// Queues processing again.
pub async fn reprocess(id: Uuid) -> Result<Vec<ProcessingJob>, ApiError> {
    http::send_empty("POST", &format!("/api/v1/files/{id}/reprocess")).await
}

/// The file's versions, newest first.
pub async fn versions(id: Uuid) -> Result<Vec<FileVersion>, ApiError> {
    http::get(&format!("/api/v1/files/{id}/versions")).await
}

/// Makes a new version with version `n`'s bytes.
pub async fn restore_version(id: Uuid, n: i32) -> Result<FileVersion, ApiError> {
    http::send_empty("POST", &format!("/api/v1/files/{id}/versions/{n}/restore")).await
}

/// Soft delete (`permanent` also removes the bytes).
pub async fn delete(id: Uuid, permanent: bool) -> Result<serde_json::Value, ApiError> {
    let path = if permanent {
        format!("/api/v1/files/{id}?permanent=true")
    } else {
        format!("/api/v1/files/{id}")
    };
    http::send_empty("DELETE", &path).await
}

/// Undoes a soft delete.
pub async fn restore(id: Uuid) -> Result<File, ApiError> {
    http::send_empty("POST", &format!("/api/v1/files/{id}/restore")).await
}

/// Adds tags.
pub async fn add_tags(id: Uuid, tags: Vec<String>) -> Result<File, ApiError> {
    let body = AddTagsRequest { tags: Some(tags) };
    http::send("POST", &format!("/api/v1/files/{id}/tags"), &body).await
}

/// Removes a tag.
pub async fn remove_tag(id: Uuid, tag: &str) -> Result<serde_json::Value, ApiError> {
    let tag = crate::format::query_escape(tag);
    http::send_empty("DELETE", &format!("/api/v1/files/{id}/tags/{tag}")).await
}

/// The file's share links.
pub async fn shares(id: Uuid) -> Result<Vec<Share>, ApiError> {
    http::get(&format!("/api/v1/files/{id}/shares")).await
}

/// Creates a share link.
pub async fn create_share(id: Uuid, request: &CreateShareRequest) -> Result<Share, ApiError> {
    http::send("POST", &format!("/api/v1/files/{id}/shares"), request).await
}

/// Revokes a share link.
pub async fn revoke_share(share_id: Uuid) -> Result<serde_json::Value, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/shares/{share_id}")).await
}

/// A signed download link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignedUrl {
    /// A path on the API's origin that works without a token until it expires.
    pub url: String,
    /// When it stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A signed link valid for `expires_in` seconds.
pub async fn signed_url(id: Uuid, expires_in: u32) -> Result<SignedUrl, ApiError> {
    http::get(&format!("/api/v1/files/{id}/url?expires_in={expires_in}")).await
}

/// The bytes of one version (or the current one), to save.
pub async fn download(id: Uuid, version: Option<i32>) -> Result<web_sys::Blob, ApiError> {
    let path = match version {
        Some(n) => format!("/api/v1/files/{id}/versions/{n}/download"),
        None => format!("/api/v1/files/{id}/download"),
    };
    http::get_blob(&path).await
}

/// A thumbnail (`150`, `300`, `600`) or the video poster (`"poster"`).
pub async fn image(id: Uuid, size: &str) -> Result<web_sys::Blob, ApiError> {
    let path = match size {
        "poster" => format!("/api/v1/files/{id}/poster"),
        s => format!("/api/v1/files/{id}/thumbnails/{s}"),
    };
    http::get_blob(&path).await
}

/// A shared file through its public link (`X-Share-Password` when it has one): its bytes and
/// name. Never sends the user's token: the link must work for anyone who has it.
pub async fn fetch_shared(
    token: &str,
    password: &str,
) -> Result<(web_sys::Blob, Option<String>), ApiError> {
    let path = format!("/s/{}", crate::format::query_escape(token));
    if password.is_empty() {
        http::get_public_blob(&path, &[]).await
    } else {
        http::get_public_blob(&path, &[("X-Share-Password", password)]).await
    }
}

/// The app's page for a share link (`/shared/{token}`): it asks for the password when the link
/// has one, which a plain link to the API cannot.
pub fn share_page_url(api_url: &str) -> Option<String> {
    let token = api_url.rsplit_once("/s/")?.1;
    (!token.is_empty()).then(|| format!("{}/shared/{token}", crate::browser::origin()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_path_carries_only_the_filters_set() {
        let q = FileQuery {
            page: 2,
            tag: "holiday 2026".into(),
            ..FileQuery::default()
        };
        assert_eq!(
            list_path(&q),
            "/api/v1/files?page=2&per_page=24&tag=holiday%202026"
        );
        let all = FileQuery {
            category: "image".into(),
            q: "cat".into(),
            content_type: "image/".into(),
            include_deleted: true,
            ..FileQuery::default()
        };
        assert_eq!(
            list_path(&all),
            "/api/v1/files?page=1&per_page=24&category=image&q=cat&content_type=image%2F&include_deleted=true"
        );
    }
}
