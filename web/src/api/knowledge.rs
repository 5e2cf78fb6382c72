//! `/api/v1/knowledge/...`: bases, their documents, and search.

use shared::api::knowledge::{
    AddDocumentRequest, CreateKnowledgeBaseRequest, KnowledgeBase, KnowledgeDocument, SearchHit,
    SearchRequest,
};
use uuid::Uuid;

use super::http::{self, ApiError, Page};
use crate::format::with_query;

/// Rows per page of a base's documents.
pub const DOCUMENTS_PER_PAGE: u32 = 20;

/// The account's bases.
pub async fn bases() -> Result<Vec<KnowledgeBase>, ApiError> {
    http::get("/api/v1/knowledge/bases").await
}

/// One base.
pub async fn base(id: Uuid) -> Result<KnowledgeBase, ApiError> {
    http::get(&format!("/api/v1/knowledge/bases/{id}")).await
}

/// What the new-base form sends (`None`: the API's default).
pub struct NewBase {
    pub name: String,
    pub embedding_model: String,
    pub chunk_tokens: Option<i32>,
    pub chunk_overlap: Option<i32>,
}

/// Creates a base.
pub async fn create_base(new: NewBase) -> Result<KnowledgeBase, ApiError> {
    let body = CreateKnowledgeBaseRequest {
        name: Some(new.name),
        embedding_model: Some(new.embedding_model),
        chunk_tokens: new.chunk_tokens,
        chunk_overlap: new.chunk_overlap,
    };
    http::send("POST", "/api/v1/knowledge/bases", &body).await
}

/// Deletes a base with its documents.
pub async fn delete_base(id: Uuid) -> Result<KnowledgeBase, ApiError> {
    http::send_empty("DELETE", &format!("/api/v1/knowledge/bases/{id}")).await
}

/// The list path of a base's documents.
pub fn documents_path(base: Uuid, page: u32) -> String {
    with_query(
        &format!("/api/v1/knowledge/bases/{base}/documents"),
        &[
            ("page", page.max(1).to_string()),
            ("per_page", DOCUMENTS_PER_PAGE.to_string()),
        ],
    )
}

/// A page of a base's documents.
pub async fn documents(base: Uuid, page: u32) -> Result<Page<KnowledgeDocument>, ApiError> {
    http::get_page(&documents_path(base, page)).await
}

/// Adds a text (a title the base already has replaces that document's text).
pub async fn add_text(base: Uuid, title: &str, text: &str) -> Result<KnowledgeDocument, ApiError> {
    let body = AddDocumentRequest {
        title: Some(title.to_string()),
        text: Some(text.to_string()),
        file_id: None,
    };
    http::send(
        "POST",
        &format!("/api/v1/knowledge/bases/{base}/documents"),
        &body,
    )
    .await
}

/// Adds a stored file (its name is the title unless `title` is given).
pub async fn add_file(
    base: Uuid,
    file_id: Uuid,
    title: Option<String>,
) -> Result<KnowledgeDocument, ApiError> {
    let body = AddDocumentRequest {
        title,
        text: None,
        file_id: Some(file_id),
    };
    http::send(
        "POST",
        &format!("/api/v1/knowledge/bases/{base}/documents"),
        &body,
    )
    .await
}

/// Removes a document and its chunks.
pub async fn delete_document(base: Uuid, id: Uuid) -> Result<KnowledgeDocument, ApiError> {
    http::send_empty(
        "DELETE",
        &format!("/api/v1/knowledge/bases/{base}/documents/{id}"),
    )
    .await
}

/// The `top_k` best chunks for `query` by `mode` (`hybrid`, `vector` or `text`).
pub async fn search(
    base: Uuid,
    query: &str,
    top_k: i64,
    mode: &str,
) -> Result<Vec<SearchHit>, ApiError> {
    let body = SearchRequest {
        query: Some(query.to_string()),
        top_k: Some(top_k),
        mode: Some(mode.to_string()),
        account_id: None,
    };
    http::send(
        "POST",
        &format!("/api/v1/knowledge/bases/{base}/search"),
        &body,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_path_pages() {
        let id = Uuid::nil();
        assert_eq!(
            documents_path(id, 0),
            format!("/api/v1/knowledge/bases/{id}/documents?page=1&per_page=20")
        );
    }
}
