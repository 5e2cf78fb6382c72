//! Knowledge bases, documents and chunks (`sql/knowledge.sql`).

use chrono::{DateTime, Utc};
use serde_json::json;
use shared::api::knowledge::{KnowledgeBase, KnowledgeDocument, SearchHit};
use uuid::Uuid;

use super::{query_one, query_opt, sql};
use crate::db::{DbError, Row, SqlValue};
use crate::ports::Conn;

/// `sql` with a base's dimension written in where it says `{dims}` (see `knowledge.sql`).
pub fn with_dims(sql: &str, dims: u16) -> String {
    sql.replace("{dims}", &dims.to_string())
}

fn base_from(r: &Row) -> Result<KnowledgeBase, DbError> {
    Ok(KnowledgeBase {
        id: r.get("id")?,
        name: r.get("name")?,
        embedding_model: r.get("embedding_model")?,
        dimensions: r.get("dimensions")?,
        chunk_tokens: r.get("chunk_tokens")?,
        chunk_overlap: r.get("chunk_overlap")?,
        document_count: r.get("document_count")?,
        chunk_count: r.get("chunk_count")?,
        created_at: r.get("created_at")?,
    })
}

/// A new base.
pub struct NewBase<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: &'a str,
    pub embedding_model: &'a str,
    pub chunk_tokens: i32,
    pub chunk_overlap: i32,
    pub created_at: DateTime<Utc>,
}

/// Stores a base.
pub async fn insert_base(c: &dyn Conn, b: &NewBase<'_>) -> Result<(), DbError> {
    c.execute(
        sql::KNOWLEDGE_BASE_INSERT,
        &[
            b.id.into(),
            b.account_id.into(),
            b.name.into(),
            b.embedding_model.into(),
            b.chunk_tokens.into(),
            b.chunk_overlap.into(),
            b.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// The account's bases, oldest first.
pub async fn list_bases(c: &dyn Conn, account: Uuid) -> Result<Vec<KnowledgeBase>, DbError> {
    c.query(sql::KNOWLEDGE_BASE_LIST, &[account.into()])
        .await?
        .iter()
        .map(base_from)
        .collect()
}

/// One of the account's bases.
pub async fn get_base(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
) -> Result<Option<KnowledgeBase>, DbError> {
    query_opt(c, sql::KNOWLEDGE_BASE_GET, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(base_from)
        .transpose()
}

/// Locks one of the account's bases for the transaction; false if there is none.
pub async fn lock_base(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(
        query_opt(c, sql::KNOWLEDGE_BASE_LOCK, &[id.into(), account.into()])
            .await?
            .is_some(),
    )
}

/// Deletes a base (its documents and chunks go with it); false if there was none.
pub async fn delete_base(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(
        c.execute(sql::KNOWLEDGE_BASE_DELETE, &[id.into(), account.into()])
            .await?
            > 0,
    )
}

/// Sets the base's dimension if it has none, and returns the dimension in force.
pub async fn learn_dimensions(c: &dyn Conn, base: Uuid, dims: i32) -> Result<i32, DbError> {
    query_one(
        c,
        sql::KNOWLEDGE_BASE_LEARN_DIMENSIONS,
        &[base.into(), dims.into()],
    )
    .await?
    .get("dimensions")
}

/// Makes sure the HNSW index for `dims` exists (serialised by an advisory lock: run it in a
/// transaction).
pub async fn ensure_hnsw_index(c: &dyn Conn, dims: u16) -> Result<(), DbError> {
    c.query(sql::KNOWLEDGE_INDEX_LOCK, &[]).await?;
    c.execute(&with_dims(sql::KNOWLEDGE_HNSW_INDEX_CREATE, dims), &[])
        .await
        .map(drop)
}

/// Index settings for the search that follows in the same transaction.
pub async fn search_settings(c: &dyn Conn, ef_search: u32) -> Result<(), DbError> {
    c.query(
        sql::KNOWLEDGE_SEARCH_SETTINGS,
        &[ef_search.to_string().into()],
    )
    .await
    .map(drop)
}

fn document_from(r: &Row) -> Result<KnowledgeDocument, DbError> {
    Ok(KnowledgeDocument {
        id: r.get("id")?,
        knowledge_base_id: r.get("knowledge_base_id")?,
        title: r.get("title")?,
        source: r.get("source")?,
        file_id: r.get("file_id")?,
        status: r.get("status")?,
        chunk_count: r.get("chunk_count")?,
        content_sha256: r.get("content_sha256")?,
        error: r.get("error")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

/// A new document.
pub struct NewDocument<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub base_id: Uuid,
    pub title: &'a str,
    pub file_id: Option<Uuid>,
    pub body: Option<&'a str>,
    pub content_sha256: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// Stores a document, `pending`.
pub async fn insert_document(c: &dyn Conn, d: &NewDocument<'_>) -> Result<(), DbError> {
    let source = if d.file_id.is_some() { "file" } else { "text" };
    c.execute(
        sql::KNOWLEDGE_DOCUMENT_INSERT,
        &[
            d.id.into(),
            d.account_id.into(),
            d.base_id.into(),
            d.title.into(),
            source.into(),
            d.file_id.into(),
            d.body.into(),
            d.content_sha256.into(),
            d.now.into(),
        ],
    )
    .await
    .map(drop)
}

async fn find_id(c: &dyn Conn, query: &str, params: &[SqlValue]) -> Result<Option<Uuid>, DbError> {
    query_opt(c, query, params)
        .await?
        .map(|r| r.get("id"))
        .transpose()
}

/// The base's document (not failed) that holds exactly this content.
pub async fn document_with_content(
    c: &dyn Conn,
    base: Uuid,
    sha256: &str,
) -> Result<Option<Uuid>, DbError> {
    find_id(
        c,
        sql::KNOWLEDGE_DOCUMENT_FIND_BY_CONTENT,
        &[base.into(), sha256.into()],
    )
    .await
}

/// The base's text document with this title.
pub async fn document_titled(
    c: &dyn Conn,
    base: Uuid,
    title: &str,
) -> Result<Option<Uuid>, DbError> {
    find_id(
        c,
        sql::KNOWLEDGE_DOCUMENT_FIND_BY_TITLE,
        &[base.into(), title.into()],
    )
    .await
}

/// The base's document read from this file.
pub async fn document_of_file(
    c: &dyn Conn,
    base: Uuid,
    file: Uuid,
) -> Result<Option<Uuid>, DbError> {
    find_id(
        c,
        sql::KNOWLEDGE_DOCUMENT_FIND_BY_FILE,
        &[base.into(), file.into()],
    )
    .await
}

/// Replaces a document's text (and its title, when given) and sets it `pending`.
pub async fn replace_body(
    c: &dyn Conn,
    id: Uuid,
    body: Option<&str>,
    sha256: Option<&str>,
    title: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::KNOWLEDGE_DOCUMENT_REPLACE_BODY,
        &[
            id.into(),
            body.into(),
            sha256.into(),
            title.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// Sets a document's status (and error, and chunk count when given).
pub async fn set_status(
    c: &dyn Conn,
    id: Uuid,
    status: &str,
    error: Option<&str>,
    chunk_count: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    c.execute(
        sql::KNOWLEDGE_DOCUMENT_SET_STATUS,
        &[
            id.into(),
            status.into(),
            error.into(),
            chunk_count.into(),
            now.into(),
        ],
    )
    .await
    .map(drop)
}

/// One document of one of the account's bases.
pub async fn get_document(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    id: Uuid,
) -> Result<Option<KnowledgeDocument>, DbError> {
    query_opt(
        c,
        sql::KNOWLEDGE_DOCUMENT_GET,
        &[id.into(), base.into(), account.into()],
    )
    .await?
    .as_ref()
    .map(document_from)
    .transpose()
}

/// A page of a base's documents, newest first, and how many there are.
pub async fn list_documents(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<KnowledgeDocument>, i64), DbError> {
    let rows = c
        .query(
            sql::KNOWLEDGE_DOCUMENT_LIST,
            &[base.into(), account.into(), limit.into(), offset.into()],
        )
        .await?;
    let total = match rows.first() {
        Some(r) => r.get("total")?,
        None => 0,
    };
    Ok((
        rows.iter().map(document_from).collect::<Result<_, _>>()?,
        total,
    ))
}

/// Deletes a document (its chunks go with it); false if there was none.
pub async fn delete_document(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    id: Uuid,
) -> Result<bool, DbError> {
    Ok(c.execute(
        sql::KNOWLEDGE_DOCUMENT_DELETE,
        &[id.into(), base.into(), account.into()],
    )
    .await?
        > 0)
}

/// What the ingestion job reads about a document and its base.
#[derive(Debug, Clone)]
pub struct IngestionRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub base_id: Uuid,
    pub status: String,
    pub body: Option<String>,
    pub content_sha256: Option<String>,
    pub embedding_model: String,
    pub dimensions: Option<i32>,
    pub chunk_tokens: i32,
    pub chunk_overlap: i32,
}

/// A document with its base's settings, any account's (the worker routes).
pub async fn for_ingestion(c: &dyn Conn, id: Uuid) -> Result<Option<IngestionRow>, DbError> {
    let Some(r) = query_opt(c, sql::KNOWLEDGE_DOCUMENT_FOR_INGESTION, &[id.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(IngestionRow {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        base_id: r.get("knowledge_base_id")?,
        status: r.get("status")?,
        body: r.get("body")?,
        content_sha256: r.get("content_sha256")?,
        embedding_model: r.get("embedding_model")?,
        dimensions: r.get("dimensions")?,
        chunk_tokens: r.get("chunk_tokens")?,
        chunk_overlap: r.get("chunk_overlap")?,
    }))
}

/// Locks a document for the transaction and returns its content hash (`None` inside: no text
/// yet); `None` when it is gone.
pub async fn lock_document(c: &dyn Conn, id: Uuid) -> Result<Option<Option<String>>, DbError> {
    query_opt(c, sql::KNOWLEDGE_DOCUMENT_LOCK, &[id.into()])
        .await?
        .map(|r| r.get("content_sha256"))
        .transpose()
}

/// A stored chunk as re-chunking sees it.
#[derive(Debug, Clone)]
pub struct StoredChunk {
    pub id: Uuid,
    pub content_sha256: String,
    pub embedded: bool,
}

/// A document's chunks in order.
pub async fn chunks_of(c: &dyn Conn, document: Uuid) -> Result<Vec<StoredChunk>, DbError> {
    c.query(sql::KNOWLEDGE_CHUNK_LIST_FOR_DOCUMENT, &[document.into()])
        .await?
        .iter()
        .map(|r| {
            Ok(StoredChunk {
                id: r.get("id")?,
                content_sha256: r.get("content_sha256")?,
                embedded: r.get("embedded")?,
            })
        })
        .collect()
}

/// Deletes some of a document's chunks.
pub async fn delete_chunks(c: &dyn Conn, document: Uuid, ids: Vec<Uuid>) -> Result<(), DbError> {
    c.execute(sql::KNOWLEDGE_CHUNK_DELETE, &[document.into(), ids.into()])
        .await
        .map(drop)
}

/// Moves kept chunks to their new positions: `(id, position)`.
pub async fn move_chunks(
    c: &dyn Conn,
    document: Uuid,
    moves: &[(Uuid, i32)],
) -> Result<(), DbError> {
    let rows: Vec<_> = moves
        .iter()
        .map(|(id, position)| json!({"id": id, "position": position}))
        .collect();
    c.execute(
        sql::KNOWLEDGE_CHUNK_MOVE,
        &[document.into(), json!(rows).into()],
    )
    .await
    .map(drop)
}

/// A chunk to insert.
pub struct NewChunkRow<'a> {
    pub id: Uuid,
    pub position: i32,
    pub body: &'a str,
    pub token_count: i32,
    pub content_sha256: String,
}

/// Inserts new chunks of a document, not embedded.
pub async fn insert_chunks(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    document: Uuid,
    chunks: &[NewChunkRow<'_>],
) -> Result<(), DbError> {
    let rows: Vec<_> = chunks
        .iter()
        .map(|k| {
            json!({"id": k.id, "position": k.position, "body": k.body,
                   "token_count": k.token_count, "content_sha256": k.content_sha256})
        })
        .collect();
    c.execute(
        sql::KNOWLEDGE_CHUNK_INSERT,
        &[
            document.into(),
            account.into(),
            base.into(),
            json!(rows).into(),
        ],
    )
    .await
    .map(drop)
}

/// A document's chunks without a vector, in order: `(id, text)`.
pub async fn pending_chunks(c: &dyn Conn, document: Uuid) -> Result<Vec<(Uuid, String)>, DbError> {
    c.query(sql::KNOWLEDGE_CHUNK_PENDING, &[document.into()])
        .await?
        .iter()
        .map(|r| Ok((r.get("id")?, r.get("body")?)))
        .collect()
}

/// Stores vectors of `dims` dimensions for chunks of a document; returns how many it set.
pub async fn embed_chunks(
    c: &dyn Conn,
    document: Uuid,
    dims: i32,
    vectors: serde_json::Value,
) -> Result<u64, DbError> {
    c.execute(
        sql::KNOWLEDGE_CHUNK_EMBED,
        &[document.into(), dims.into(), vectors.into()],
    )
    .await
}

/// `(chunks, embedded)` of a document.
pub async fn chunk_counts(c: &dyn Conn, document: Uuid) -> Result<(i64, i64), DbError> {
    let r = query_one(c, sql::KNOWLEDGE_CHUNK_COUNT, &[document.into()]).await?;
    Ok((r.get("chunks")?, r.get("embedded")?))
}

fn hit_from(r: &Row) -> Result<SearchHit, DbError> {
    Ok(SearchHit {
        chunk_id: r.get("id")?,
        document_id: r.get("document_id")?,
        title: r.get("title")?,
        text: r.get("body")?,
        score: r.get("score")?,
    })
}

/// The nearest chunks of a base by cosine distance (`exact`: without the index).
pub async fn search_vector(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    dims: u16,
    vector: Vec<f32>,
    top_k: i64,
    exact: bool,
) -> Result<Vec<SearchHit>, DbError> {
    let query = if exact {
        sql::KNOWLEDGE_SEARCH_VECTOR_EXACT
    } else {
        sql::KNOWLEDGE_SEARCH_VECTOR
    };
    c.query(
        &with_dims(query, dims),
        &[
            base.into(),
            account.into(),
            SqlValue::Vector(vector),
            top_k.into(),
        ],
    )
    .await?
    .iter()
    .map(hit_from)
    .collect()
}

/// Full-text matches of a base.
pub async fn search_text(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    query: &str,
    top_k: i64,
) -> Result<Vec<SearchHit>, DbError> {
    c.query(
        sql::KNOWLEDGE_SEARCH_TEXT,
        &[base.into(), account.into(), query.into(), top_k.into()],
    )
    .await?
    .iter()
    .map(hit_from)
    .collect()
}

/// Both rankings fused by reciprocal rank, each cut at `candidates`.
#[allow(clippy::too_many_arguments)]
pub async fn search_hybrid(
    c: &dyn Conn,
    account: Uuid,
    base: Uuid,
    dims: u16,
    vector: Vec<f32>,
    query: &str,
    candidates: i64,
    top_k: i64,
) -> Result<Vec<SearchHit>, DbError> {
    c.query(
        &with_dims(sql::KNOWLEDGE_SEARCH_HYBRID, dims),
        &[
            base.into(),
            account.into(),
            SqlValue::Vector(vector),
            query.into(),
            candidates.into(),
            top_k.into(),
        ],
    )
    .await?
    .iter()
    .map(hit_from)
    .collect()
}
