-- Knowledge bases, documents and chunks (migrations/0008_knowledge.sql). Every public query is
-- scoped to an account; the worker queries (ingestion) go by document id.
--
-- `{dims}` is a base's dimension, written in by `store::knowledge::with_dims` (a whole number
-- the server learned from the model, 1 to 2,000): the HNSW index is a partial expression index
-- per dimension, and Postgres matches it only against the same literal.

-- name: KnowledgeBaseInsert
INSERT INTO knowledge_bases (id, account_id, name, embedding_model, chunk_tokens, chunk_overlap,
                             created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)

-- name: KnowledgeBaseList
SELECT b.id, b.name, b.embedding_model, b.dimensions, b.chunk_tokens, b.chunk_overlap,
       (SELECT count(*) FROM knowledge_documents d WHERE d.knowledge_base_id = b.id) AS document_count,
       (SELECT count(*) FROM knowledge_chunks c WHERE c.knowledge_base_id = b.id) AS chunk_count,
       b.created_at AT TIME ZONE 'UTC' AS created_at
  FROM knowledge_bases b
 WHERE b.account_id = $1
 ORDER BY b.created_at, b.id

-- name: KnowledgeBaseGet
SELECT b.id, b.name, b.embedding_model, b.dimensions, b.chunk_tokens, b.chunk_overlap,
       (SELECT count(*) FROM knowledge_documents d WHERE d.knowledge_base_id = b.id) AS document_count,
       (SELECT count(*) FROM knowledge_chunks c WHERE c.knowledge_base_id = b.id) AS chunk_count,
       b.created_at AT TIME ZONE 'UTC' AS created_at
  FROM knowledge_bases b
 WHERE b.id = $1 AND b.account_id = $2

-- Serialises the documents added to one base, so two adds of one title cannot both insert.
-- NO KEY: a chunk's insert checks its foreign key with FOR KEY SHARE on the base, which a plain
-- FOR UPDATE blocks (an ingestion and an add then deadlocked under load).
-- name: KnowledgeBaseLock
SELECT id FROM knowledge_bases WHERE id = $1 AND account_id = $2 FOR NO KEY UPDATE

-- name: KnowledgeBaseDelete
DELETE FROM knowledge_bases WHERE id = $1 AND account_id = $2

-- The base's dimension: set by its first vector, then fixed. Returns the dimension in force.
-- name: KnowledgeBaseLearnDimensions
UPDATE knowledge_bases SET dimensions = coalesce(dimensions, $2)
 WHERE id = $1
RETURNING dimensions

-- Idempotent; run under `KnowledgeIndexLock` so two first vectors cannot race on it.
-- ef_construction 128 (pgvector's default is 64): +0.002 to +0.013 recall@10 for the same index
-- size, at 1.8x the build time (BENCHMARKS.md "Knowledge search").
-- name: KnowledgeHnswIndexCreate
CREATE INDEX IF NOT EXISTS knowledge_chunks_hnsw_{dims} ON knowledge_chunks
 USING hnsw ((embedding::vector({dims})) vector_cosine_ops) WITH (m = 16, ef_construction = 128)
 WHERE dimensions = {dims}

-- name: KnowledgeIndexLock
SELECT true AS locked FROM pg_advisory_xact_lock(hashtext('knowledge_chunks_hnsw'))

-- The search's index settings, for its transaction only: iterative scans keep reading the
-- index until the account and base filter has kept `top_k` rows (pgvector 0.8).
-- name: KnowledgeSearchSettings
SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true) AS iterative_scan,
       set_config('hnsw.ef_search', $1, true) AS ef_search

-- name: KnowledgeDocumentInsert
INSERT INTO knowledge_documents (id, account_id, knowledge_base_id, title, source, file_id, body,
                                 content_sha256, status, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)

-- The document of this base that already holds this content, if any.
-- name: KnowledgeDocumentFindByContent
SELECT id FROM knowledge_documents
 WHERE knowledge_base_id = $1 AND content_sha256 = $2 AND status <> 'failed'
 ORDER BY created_at, id LIMIT 1

-- name: KnowledgeDocumentFindByTitle
SELECT id FROM knowledge_documents
 WHERE knowledge_base_id = $1 AND source = 'text' AND title = $2

-- name: KnowledgeDocumentFindByFile
SELECT id FROM knowledge_documents
 WHERE knowledge_base_id = $1 AND source = 'file' AND file_id = $2

-- A changed text (or a file to read again): back to pending for a new ingestion job.
-- name: KnowledgeDocumentReplaceBody
UPDATE knowledge_documents
   SET body = $2, content_sha256 = $3, title = coalesce($4, title), status = 'pending', error = NULL,
       updated_at = $5
 WHERE id = $1

-- name: KnowledgeDocumentSetStatus
UPDATE knowledge_documents
   SET status = $2, error = $3, chunk_count = coalesce($4, chunk_count), updated_at = $5
 WHERE id = $1

-- name: KnowledgeDocumentGet
SELECT id, knowledge_base_id, title, source, file_id, status, chunk_count, content_sha256, error,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at
  FROM knowledge_documents
 WHERE id = $1 AND knowledge_base_id = $2 AND account_id = $3

-- name: KnowledgeDocumentList
SELECT id, knowledge_base_id, title, source, file_id, status, chunk_count, content_sha256, error,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
       count(*) OVER () AS total
  FROM knowledge_documents
 WHERE knowledge_base_id = $1 AND account_id = $2
 ORDER BY created_at DESC, id
 LIMIT $3 OFFSET $4

-- name: KnowledgeDocumentDelete
DELETE FROM knowledge_documents WHERE id = $1 AND knowledge_base_id = $2 AND account_id = $3

-- What the ingestion job needs: the text, its hash and the base's settings.
-- name: KnowledgeDocumentForIngestion
SELECT d.id, d.account_id, d.knowledge_base_id, d.source, d.file_id, d.status, d.body,
       d.content_sha256, b.embedding_model, b.dimensions, b.chunk_tokens, b.chunk_overlap
  FROM knowledge_documents d JOIN knowledge_bases b ON b.id = d.knowledge_base_id
 WHERE d.id = $1

-- Held while a document's chunks change, so two jobs for one document take turns (NO KEY, as
-- for the base: chunk inserts check their foreign key with FOR KEY SHARE).
-- name: KnowledgeDocumentLock
SELECT id, content_sha256 FROM knowledge_documents WHERE id = $1 FOR NO KEY UPDATE

-- name: KnowledgeChunkListForDocument
SELECT id, content_sha256, embedding IS NOT NULL AS embedded
  FROM knowledge_chunks WHERE document_id = $1
 ORDER BY position

-- name: KnowledgeChunkDelete
DELETE FROM knowledge_chunks WHERE document_id = $1 AND id = ANY($2)

-- `$2`: [{id, position}] of kept chunks.
-- name: KnowledgeChunkMove
UPDATE knowledge_chunks c SET position = x.position
  FROM jsonb_to_recordset($2) AS x(id uuid, position integer)
 WHERE c.id = x.id AND c.document_id = $1

-- `$4`: [{id, position, body, token_count, content_sha256}] of new chunks.
-- name: KnowledgeChunkInsert
INSERT INTO knowledge_chunks (id, account_id, knowledge_base_id, document_id, position, body,
                              token_count, content_sha256)
SELECT x.id, $2, $3, $1, x.position, x.body, x.token_count, x.content_sha256
  FROM jsonb_to_recordset($4) AS x(id uuid, position integer, body text, token_count integer,
                                    content_sha256 text)

-- The chunks still to embed, first positions first.
-- name: KnowledgeChunkPending
SELECT id, body FROM knowledge_chunks
 WHERE document_id = $1 AND embedding IS NULL
 ORDER BY position

-- `$3`: [{id, embedding: [f32]}]; jsonb's text of a number array is pgvector's text form.
-- name: KnowledgeChunkEmbed
UPDATE knowledge_chunks c SET embedding = (x.embedding)::text::vector, dimensions = $2
  FROM jsonb_to_recordset($3) AS x(id uuid, embedding jsonb)
 WHERE c.id = x.id AND c.document_id = $1 AND jsonb_array_length(x.embedding) = $2

-- name: KnowledgeChunkCount
SELECT count(*) AS chunks, count(embedding) AS embedded
  FROM knowledge_chunks WHERE document_id = $1

-- Nearest chunks by cosine distance through the dimension's HNSW index. `$1` base, `$2`
-- account, `$3` the query's vector, `$4` top_k. The index scan is approximate and, with relaxed
-- iterative scans, loosely ordered: the outer query orders the kept rows exactly.
-- name: KnowledgeSearchVector
WITH nearest AS MATERIALIZED (
    SELECT id, embedding::vector({dims}) <=> $3::vector({dims}) AS distance
      FROM knowledge_chunks
     WHERE knowledge_base_id = $1 AND account_id = $2 AND dimensions = {dims}
     ORDER BY embedding::vector({dims}) <=> $3::vector({dims})
     LIMIT $4)
SELECT c.id, c.document_id, d.title, c.body, (1 - n.distance)::float8 AS score
  FROM nearest n
  JOIN knowledge_chunks c ON c.id = n.id
  JOIN knowledge_documents d ON d.id = c.document_id
 ORDER BY n.distance, c.id

-- The same without the index (the expression differs from the index's), so exact: the
-- benchmark's ground truth, and the fallback when an approximate scan kept fewer than top_k.
-- name: KnowledgeSearchVectorExact
WITH nearest AS MATERIALIZED (
    SELECT id, embedding <=> $3::vector AS distance
      FROM knowledge_chunks
     WHERE knowledge_base_id = $1 AND account_id = $2 AND dimensions = {dims}
     ORDER BY embedding <=> $3::vector
     LIMIT $4)
SELECT c.id, c.document_id, d.title, c.body, (1 - n.distance)::float8 AS score
  FROM nearest n
  JOIN knowledge_chunks c ON c.id = n.id
  JOIN knowledge_documents d ON d.id = c.document_id
 ORDER BY n.distance, c.id

-- Postgres full text: any of the query's words (English stemming), ranked by cover density.
-- `$3` the query, `$4` top_k.
-- name: KnowledgeSearchText
WITH q AS (SELECT replace(plainto_tsquery('english', $3)::text, '&', '|')::tsquery AS query),
matched AS MATERIALIZED (
    SELECT c.id, ts_rank_cd(c.tsv, q.query) AS rank
      FROM knowledge_chunks c, q
     WHERE c.knowledge_base_id = $1 AND c.account_id = $2 AND c.embedding IS NOT NULL
       AND c.tsv @@ q.query
     ORDER BY rank DESC, c.id
     LIMIT $4)
SELECT c.id, c.document_id, d.title, c.body, m.rank::float8 AS score
  FROM matched m
  JOIN knowledge_chunks c ON c.id = m.id
  JOIN knowledge_documents d ON d.id = c.document_id
 ORDER BY m.rank DESC, c.id

-- Reciprocal rank fusion (k = 60) of the vector and the full-text rankings, each cut at `$5`
-- candidates: a chunk's score is the sum of 1 / (60 + its rank) in each list it is in.
-- `$3` vector, `$4` text, `$6` top_k.
-- name: KnowledgeSearchHybrid
WITH nearest AS MATERIALIZED (
    SELECT id, embedding::vector({dims}) <=> $3::vector({dims}) AS distance
      FROM knowledge_chunks
     WHERE knowledge_base_id = $1 AND account_id = $2 AND dimensions = {dims}
     ORDER BY embedding::vector({dims}) <=> $3::vector({dims})
     LIMIT $5),
by_vector AS (SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM nearest),
q AS (SELECT replace(plainto_tsquery('english', $4)::text, '&', '|')::tsquery AS query),
by_text AS (
    SELECT id, row_number() OVER (ORDER BY ts_rank_cd(c.tsv, q.query) DESC, c.id) AS rank
      FROM knowledge_chunks c, q
     WHERE c.knowledge_base_id = $1 AND c.account_id = $2 AND c.embedding IS NOT NULL
       AND c.tsv @@ q.query
     ORDER BY ts_rank_cd(c.tsv, q.query) DESC, c.id
     LIMIT $5),
fused AS (
    SELECT id, sum(1.0 / (60 + rank))::float8 AS score
      FROM (SELECT id, rank FROM by_vector UNION ALL SELECT id, rank FROM by_text) ranked
     GROUP BY id)
SELECT c.id, c.document_id, d.title, c.body, f.score
  FROM fused f
  JOIN knowledge_chunks c ON c.id = f.id
  JOIN knowledge_documents d ON d.id = c.document_id
 ORDER BY f.score DESC, c.id
 LIMIT $6
