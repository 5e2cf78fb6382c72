//! Storage backends: list, create, edit, delete, test.

use shared::api::storages::{
    CreateStorageRequest, Storage, StorageTestReport, UpdateStorageRequest,
};
use uuid::Uuid;

use super::http::{self, ApiError};

/// The account's storages.
pub async fn list() -> Result<Vec<Storage>, ApiError> {
    http::get("/api/v1/storages").await
}

/// Creates a storage.
pub async fn create(request: &CreateStorageRequest) -> Result<Storage, ApiError> {
    http::send("POST", "/api/v1/storages", request).await
}

/// Edits a storage.
pub async fn update(id: Uuid, request: &UpdateStorageRequest) -> Result<Storage, ApiError> {
    http::send("PATCH", &format!("/api/v1/storages/{id}"), request).await
}

/// Deletes an empty storage.
pub async fn delete(id: Uuid) -> Result<serde_json::Value, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/storages/{id}")).await
}

/// Writes, reads and deletes a probe object.
pub async fn test(id: Uuid) -> Result<StorageTestReport, ApiError> {
    http::send_empty("POST", &format!("/api/v1/storages/{id}/test")).await
}
