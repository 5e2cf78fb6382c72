//! Knowledge on pgvector (API.md "Knowledge (pgvector)", ARCHITECTURE.md "AI"): bases of
//! documents whose chunks are embedded through the LLM proxy and searched by vector, by full
//! text, or by both fused; and the memory a chat call retrieves from a base.
//!
//! Layout: `bases` (create, list, delete), `documents` (add text or a file, list, delete),
//! `ingestion` (the worker routes the ingestion jobs call: read, re-chunk, embed, finish),
//! `search` (the three modes), `memory` (chunks for a chat call's system message).
//!
//! A document's life: `pending` (queued, or waiting for the media runner to read its file) →
//! `embedding` (chunked; the `knowledge.ingest` job embeds its new chunks) → `ready` (every
//! chunk embedded) or `failed` (`error` says why). Re-adding unchanged content changes
//! nothing; changed content keeps every unchanged chunk with its vector.

pub mod bases;
pub mod documents;
pub mod ingestion;
pub mod memory;
pub mod search;

use sha2::{Digest as _, Sha256};

/// The most text one document may hold, in bytes: under the API's 1 MiB body limit with room
/// for JSON's escapes (the media runner caps extracted text at the same figure).
pub const MAX_TEXT_BYTES: usize = 900_000;

/// Hex SHA-256 of a text: a document's content and a chunk's identity.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Why a document's text is refused, if it is (Postgres text cannot hold NUL).
pub fn text_problem(text: &str) -> Option<&'static str> {
    if text.trim().is_empty() {
        Some("must not be empty")
    } else if text.len() > MAX_TEXT_BYTES {
        Some("must be at most 900,000 bytes")
    } else if text.contains('\0') {
        Some("must not contain NUL characters")
    } else {
        None
    }
}

/// The queue ingestion jobs run on (every consumer, native and edge, drains it).
pub const INGEST_QUEUE: &str = "default";
/// The ingestion job type.
pub const INGEST_JOB: &str = "knowledge.ingest";
/// The media runner's queue, where a file's text is read.
pub const EXTRACT_QUEUE: &str = "file_processing";
/// The text extraction job type.
pub const EXTRACT_JOB: &str = "knowledge.extract";
