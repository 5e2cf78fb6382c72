-- Knowledge on pgvector: an account's knowledge bases, their documents (given text or a stored
-- file's extracted text) and the documents' chunks, each with its full-text vector and, once
-- the ingestion job has embedded it, its embedding.
--
-- A base's dimension is learned from its embedding model's first answer, so `embedding` is an
-- untyped `vector`; the HNSW index is per dimension, a partial expression index on
-- `embedding::vector(N) WHERE dimensions = N`, created when the first base of that dimension
-- stores its first vector (`KnowledgeHnswIndexCreate`). Searches name the same expression and
-- predicate, so one dimension's search never reads another's index.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE knowledge_bases (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    embedding_model  text NOT NULL CHECK (length(embedding_model) BETWEEN 1 AND 200),
    -- NULL until the model's first answer; HNSW indexes `vector` up to 2,000 dimensions.
    dimensions       integer CHECK (dimensions BETWEEN 1 AND 2000),
    chunk_tokens     integer NOT NULL CHECK (chunk_tokens BETWEEN 32 AND 4000),
    chunk_overlap    integer NOT NULL CHECK (chunk_overlap >= 0 AND chunk_overlap < chunk_tokens),
    created_at       timestamptz NOT NULL,
    CONSTRAINT knowledge_bases_account_name_key UNIQUE (account_id, name)
);
CREATE INDEX knowledge_bases_account_idx ON knowledge_bases (account_id, created_at);

-- status: pending (waiting for its text or its ingestion job), embedding (chunked; the job is
-- embedding its new chunks), ready (every chunk embedded), failed (`error` says why).
CREATE TABLE knowledge_documents (
    id                 uuid PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    knowledge_base_id  uuid NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    source             text NOT NULL CHECK (source IN ('text', 'file')),
    file_id            uuid REFERENCES files (id) ON DELETE CASCADE,
    -- The text chunked: as given, or as the media runner extracted it (NULL until then).
    body               text,
    content_sha256     text,
    status             text NOT NULL CHECK (status IN ('pending', 'embedding', 'ready', 'failed')),
    error              text,
    chunk_count        integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CHECK ((source = 'file') = (file_id IS NOT NULL))
);
-- A document is known by its title (text) or its file: adding it again updates it.
CREATE UNIQUE INDEX knowledge_documents_title_key ON knowledge_documents (knowledge_base_id, title)
    WHERE source = 'text';
CREATE UNIQUE INDEX knowledge_documents_file_key ON knowledge_documents (knowledge_base_id, file_id)
    WHERE source = 'file';
CREATE INDEX knowledge_documents_base_idx ON knowledge_documents (knowledge_base_id, created_at DESC, id);
CREATE INDEX knowledge_documents_file_idx ON knowledge_documents (file_id) WHERE file_id IS NOT NULL;

CREATE TABLE knowledge_chunks (
    id                 uuid PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    knowledge_base_id  uuid NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    document_id        uuid NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
    position           integer NOT NULL CHECK (position >= 0),
    body               text NOT NULL,
    token_count        integer NOT NULL,
    -- Re-chunking a changed document keeps (with its embedding) every chunk whose text is
    -- unchanged, found by this hash.
    content_sha256     text NOT NULL,
    tsv                tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED,
    -- Both NULL until the chunk is embedded.
    dimensions         integer,
    embedding          vector,
    CHECK ((dimensions IS NULL) = (embedding IS NULL)),
    -- Deferred: re-chunking moves kept chunks to new positions in one statement.
    CONSTRAINT knowledge_chunks_position_key UNIQUE (document_id, position) DEFERRABLE INITIALLY DEFERRED
);
-- A chunk row (text, tsvector, a 384-d vector) passes the 2 kB TOAST threshold, and Postgres
-- then moved most vectors out of line: every scan without the index (the exact search of a
-- small base, which the planner picks itself) paid a detoast per row. MAIN keeps them in the
-- row: 1.9 to 5.7x faster exact scans (BENCHMARKS.md "Knowledge search").
ALTER TABLE knowledge_chunks ALTER COLUMN embedding SET STORAGE MAIN;
CREATE INDEX knowledge_chunks_base_idx ON knowledge_chunks (knowledge_base_id, account_id);
CREATE INDEX knowledge_chunks_tsv_idx ON knowledge_chunks USING gin (tsv);

-- The chunks a chat call's memory added, named in its ledger rows.
ALTER TABLE ai_requests ADD COLUMN memory_chunk_ids jsonb;
