//! Bodies of `/api/v1/knowledge/...` and the ingestion job's worker routes (API.md, "Knowledge
//! (pgvector)").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A knowledge base: documents chunked and embedded with one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KnowledgeBase {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The embeddings model, called through the account's providers.
    pub embedding_model: String,
    /// The model's dimension, learned from its first answer (`null` until then).
    pub dimensions: Option<i32>,
    /// Chunk size in tokens.
    pub chunk_tokens: i32,
    /// Tokens a chunk repeats from the one before.
    pub chunk_overlap: i32,
    /// Documents in it.
    pub document_count: i64,
    /// Chunks stored.
    pub chunk_count: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/knowledge/bases`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateKnowledgeBaseRequest {
    /// 1 to 100 characters, unique in the account.
    pub name: Option<String>,
    /// A model of kind `embedding` one of the account's providers offers.
    pub embedding_model: Option<String>,
    /// 32 to 4,000 (default 400).
    pub chunk_tokens: Option<i32>,
    /// 0 to less than `chunk_tokens` (default 50).
    pub chunk_overlap: Option<i32>,
}

/// A document of a base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KnowledgeDocument {
    /// Its id.
    pub id: Uuid,
    /// The base.
    pub knowledge_base_id: Uuid,
    /// The title.
    pub title: String,
    /// `text` or `file`.
    pub source: String,
    /// The stored file it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<Uuid>,
    /// `pending`, `embedding`, `ready` or `failed`.
    pub status: String,
    /// Chunks stored.
    pub chunk_count: i32,
    /// SHA-256 of the text chunked (`null` until a file's text is read).
    pub content_sha256: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/knowledge/bases/:id/documents`: `{title, text}` or `{file_id, title?}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddDocumentRequest {
    /// 1 to 300 characters; a file's name by default. Adding a text with a title the base
    /// already has replaces that document's text.
    pub title: Option<String>,
    /// The text itself.
    pub text: Option<String>,
    /// A stored file of the account (plain text, Markdown, HTML or PDF).
    pub file_id: Option<Uuid>,
}

/// `POST /api/v1/knowledge/bases/:id/search`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchRequest {
    /// What to look for.
    pub query: Option<String>,
    /// 1 to 50 (default 5).
    pub top_k: Option<i64>,
    /// `hybrid` (default), `vector` or `text`.
    pub mode: Option<String>,
    /// The account (the worker route only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
}

/// One search result. `score`: cosine similarity (`vector`), cover-density rank (`text`), or
/// the reciprocal-rank-fusion sum (`hybrid`); higher is better.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The chunk.
    pub chunk_id: Uuid,
    /// The document.
    pub document_id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub text: String,
    /// How well it matched (higher is better).
    pub score: f64,
}

/// A chunk a chat call's memory added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemoryChunk {
    /// The chunk.
    pub chunk_id: Uuid,
    /// The document.
    pub document_id: Uuid,
    /// How well it matched (higher is better).
    pub score: f64,
}

/// `GET /api/v1/worker/knowledge/documents/:id`: what the ingestion job chunks and embeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestionSource {
    /// The document.
    pub document_id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// The base.
    pub knowledge_base_id: Uuid,
    /// `pending`, `embedding`, `ready` or `failed`.
    pub status: String,
    /// `null` while a file's text is not read yet.
    pub text: Option<String>,
    /// SHA-256 (hex) of the text.
    pub content_sha256: Option<String>,
    /// The embeddings model.
    pub embedding_model: String,
    /// Chunk size in tokens.
    pub chunk_tokens: i32,
    /// Overlap in tokens.
    pub chunk_overlap: i32,
}

/// One chunk as the job made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewChunk {
    /// The text.
    pub text: String,
    /// Its size in (estimated) tokens.
    pub token_count: i32,
}

/// `PUT /api/v1/worker/knowledge/documents/:id/chunks`: the document's chunks in order, made
/// from the text whose hash is `content_sha256` (409 when the document changed since).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutChunksRequest {
    /// SHA-256 (hex) of the text.
    pub content_sha256: Option<String>,
    /// The chunks, in order.
    pub chunks: Option<Vec<NewChunk>>,
}

/// A chunk still to embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingChunk {
    /// Its id.
    pub id: Uuid,
    /// The text.
    pub text: String,
}

/// The answer to `PUT .../chunks`: how many chunks were kept with their embeddings, and the
/// ones to embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChunkPlan {
    /// Chunks stored.
    pub chunk_count: i32,
    /// Chunks kept with their embeddings.
    pub kept: i32,
    /// Chunks to embed, in order.
    pub pending: Vec<PendingChunk>,
}

/// One chunk's vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChunkEmbedding {
    /// The chunk.
    pub chunk_id: Uuid,
    /// The vector.
    pub embedding: Vec<f32>,
}

/// `PUT /api/v1/worker/knowledge/documents/:id/embeddings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutEmbeddingsRequest {
    /// Vectors by chunk.
    pub embeddings: Option<Vec<ChunkEmbedding>>,
}

/// `POST /api/v1/worker/knowledge/documents/:id/ready` (every chunk of the text with this hash
/// is embedded; 409 otherwise).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentReadyRequest {
    /// SHA-256 (hex) of the text.
    pub content_sha256: Option<String>,
}

/// `POST /api/v1/worker/knowledge/documents/:id/failed`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentFailedRequest {
    /// Why.
    pub error: Option<String>,
}

/// `PUT /api/v1/worker/knowledge/documents/:id/text`: a file's text, read by the media runner.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentTextRequest {
    /// The text.
    pub text: Option<String>,
}
