-- Files and storage: where an account's bytes live (storages), the files, their versions,
-- share links, tags, and the processing jobs queued for each file.
--
-- Object keys are made by the application from ids (`{account}/{file}/v{n}`), never from
-- filenames. Every row carries `account_id` (directly or through its file), and every query
-- filters on it: another account's id is simply not found.

CREATE TABLE storages (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    provider_type  text NOT NULL CHECK (provider_type IN ('local', 's3', 'gcs', 'azure', 'r2')),
    -- Provider settings; secret fields are stored as "encrypted:<base64 nonce+ciphertext>".
    configuration  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(configuration) = 'object'),
    is_default     boolean NOT NULL DEFAULT false,
    quota_bytes    bigint CHECK (quota_bytes IS NULL OR quota_bytes >= 0),
    -- Bytes of every version stored here, kept by the same statements that add or remove
    -- them, so a quota check is one row read.
    used_bytes     bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT storages_account_name_key UNIQUE (account_id, name)
);
-- At most one default per account, even under concurrent updates.
CREATE UNIQUE INDEX storages_one_default_idx ON storages (account_id) WHERE is_default;

CREATE TABLE files (
    id                 uuid PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- RESTRICT: a storage that still holds files cannot be deleted (the API answers 409).
    storage_id         uuid NOT NULL REFERENCES storages (id) ON DELETE RESTRICT,
    created_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    filename           text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type       text NOT NULL,
    file_size          bigint NOT NULL CHECK (file_size >= 0),
    checksum_sha256    text NOT NULL,
    category           text NOT NULL,
    visibility         text NOT NULL DEFAULT 'private'
                       CHECK (visibility IN ('private', 'account', 'public')),
    version            integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    processing_status  text NOT NULL DEFAULT 'pending'
                       CHECK (processing_status IN ('pending', 'processing', 'completed', 'failed')),
    metadata           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    -- Derivative object keys the media runner uploaded: {"150": key, "300": key, "600": key}.
    thumbnails         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(thumbnails) = 'object'),
    poster_key         text,
    -- A direct upload's row exists before its bytes do; only 'stored' files are listed.
    upload_state       text NOT NULL DEFAULT 'stored' CHECK (upload_state IN ('awaiting_upload', 'stored')),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    deleted_at         timestamptz
);
CREATE INDEX files_account_created_idx ON files (account_id, created_at DESC, id DESC);
CREATE INDEX files_storage_id_idx ON files (storage_id);
CREATE INDEX files_created_by_idx ON files (created_by);

CREATE TABLE file_versions (
    file_id             uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    version             integer NOT NULL CHECK (version >= 1),
    object_key          text NOT NULL,
    file_size           bigint NOT NULL CHECK (file_size >= 0),
    checksum_sha256     text NOT NULL,
    content_type        text NOT NULL,
    change_description  text,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (file_id, version)
);
CREATE INDEX file_versions_created_by_idx ON file_versions (created_by);

CREATE TABLE file_shares (
    id              uuid PRIMARY KEY,
    file_id         uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The capability in the share URL (random, 256 bits); looked up by its SHA-256 only.
    token_sha256    bytea NOT NULL UNIQUE,
    token           text NOT NULL,
    password_hash   text,
    expires_at      timestamptz,
    max_downloads   integer CHECK (max_downloads IS NULL OR max_downloads >= 1),
    -- Counted by a conditional UPDATE, so concurrent downloads never pass max_downloads.
    download_count  integer NOT NULL DEFAULT 0 CHECK (download_count >= 0),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);
CREATE INDEX file_shares_file_id_idx ON file_shares (file_id);
CREATE INDEX file_shares_account_id_idx ON file_shares (account_id);
CREATE INDEX file_shares_created_by_idx ON file_shares (created_by);

CREATE TABLE tags (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name = lower(btrim(name)) AND length(name) BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL,
    CONSTRAINT tags_account_name_key UNIQUE (account_id, name)
);

CREATE TABLE file_tags (
    file_id  uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    tag_id   uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (file_id, tag_id)
);
CREATE INDEX file_tags_tag_id_idx ON file_tags (tag_id);

-- What the media runner reports about each processing job of a file; the queue's job row
-- holds delivery state (and is pruned), this holds the file's history.
CREATE TABLE file_processing_jobs (
    id            uuid PRIMARY KEY,
    file_id       uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    job_id        uuid NOT NULL,
    job_type      text NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    result_data   jsonb,
    error         text,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz
);
CREATE INDEX file_processing_jobs_file_id_idx ON file_processing_jobs (file_id);
CREATE UNIQUE INDEX file_processing_jobs_job_id_idx ON file_processing_jobs (job_id);
