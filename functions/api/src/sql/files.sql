-- name: FileInsert
INSERT INTO files (id, account_id, storage_id, created_by, filename, content_type, file_size,
                   checksum_sha256, category, visibility, version, metadata, created_at,
                   updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $12)

-- name: FileVersionInsert
INSERT INTO file_versions (file_id, version, object_key, file_size, checksum_sha256,
                           content_type, change_description, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)

-- Adds bytes to a storage unless that passes its quota; no row means "over quota".
-- name: StorageAddUsed
UPDATE storages SET used_bytes = used_bytes + $2
 WHERE id = $1 AND (quota_bytes IS NULL OR used_bytes + $2 <= quota_bytes)
RETURNING used_bytes

-- name: StorageDefault
SELECT id, account_id, name, provider_type, configuration, is_default, quota_bytes, used_bytes,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
       health_ok, health_checked_at AT TIME ZONE 'UTC' AS health_checked_at, health_error
  FROM storages WHERE account_id = $1 AND is_default

-- name: FileGet
SELECT f.id, f.account_id, f.storage_id, f.filename, f.content_type, f.file_size,
       f.checksum_sha256, f.category, f.visibility, f.version, f.processing_status, f.metadata,
       f.thumbnails, f.poster_key,
       f.created_at AT TIME ZONE 'UTC' AS created_at, f.updated_at AT TIME ZONE 'UTC' AS updated_at,
       f.deleted_at AT TIME ZONE 'UTC' AS deleted_at,
       coalesce((SELECT array_agg(t.name ORDER BY t.name)
                   FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
                  WHERE ft.file_id = f.id), '{}') AS tags
  FROM files f
 WHERE f.id = $1 AND f.account_id = $2 AND f.upload_state = 'stored'

-- The account's files, newest first, filtered: $3 category, $4 tag, $5 filename substring,
-- $6 content type prefix, $7 include deleted.
-- name: FileList
SELECT f.id, f.account_id, f.storage_id, f.filename, f.content_type, f.file_size,
       f.checksum_sha256, f.category, f.visibility, f.version, f.processing_status, f.metadata,
       f.thumbnails, f.poster_key,
       f.created_at AT TIME ZONE 'UTC' AS created_at, f.updated_at AT TIME ZONE 'UTC' AS updated_at,
       f.deleted_at AT TIME ZONE 'UTC' AS deleted_at,
       coalesce((SELECT array_agg(t.name ORDER BY t.name)
                   FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
                  WHERE ft.file_id = f.id), '{}') AS tags,
       count(*) OVER () AS total
  FROM files f
 WHERE f.account_id = $1 AND f.upload_state = 'stored'
   AND ($3::text IS NULL OR f.category = $3)
   AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
                                     WHERE ft.file_id = f.id AND t.name = $4))
   AND ($5::text IS NULL OR strpos(lower(f.filename), lower($5)) > 0)
   AND ($6::text IS NULL OR starts_with(f.content_type, $6))
   AND ($7 OR f.deleted_at IS NULL)
 ORDER BY f.created_at DESC, f.id DESC
 LIMIT $2 OFFSET $8

-- name: FileVersionGet
SELECT object_key, file_size, checksum_sha256, content_type
  FROM file_versions WHERE file_id = $1 AND version = $2

-- name: TagUpsert
INSERT INTO tags (id, account_id, name, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id, name) DO UPDATE SET name = excluded.name
RETURNING id

-- name: FileTagAdd
INSERT INTO file_tags (file_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING

-- name: FileProcessingJobInsert
INSERT INTO file_processing_jobs (id, file_id, job_id, job_type, created_at)
VALUES ($1, $2, $3, $4, $5)

-- name: FileUpdate
UPDATE files
   SET filename = $3, category = $4, visibility = $5, metadata = $6, updated_at = $7
 WHERE id = $1 AND account_id = $2

-- name: FileSoftDelete
UPDATE files SET deleted_at = $3, updated_at = $3
 WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL

-- name: FileRestore
UPDATE files SET deleted_at = NULL, updated_at = $3
 WHERE id = $1 AND account_id = $2 AND deleted_at IS NOT NULL

-- Every object a file has: its versions' and its derivatives'.
-- name: FileObjectKeys
SELECT object_key FROM file_versions WHERE file_id = $1
UNION ALL
SELECT value FROM files, jsonb_each_text(thumbnails) WHERE id = $1
UNION ALL
SELECT poster_key FROM files WHERE id = $1 AND poster_key IS NOT NULL

-- name: FileVersionsBytes
SELECT coalesce(sum(file_size), 0)::bigint AS bytes FROM file_versions WHERE file_id = $1

-- name: StorageSubtractUsed
UPDATE storages SET used_bytes = greatest(used_bytes - $2, 0) WHERE id = $1

-- name: FileDelete
DELETE FROM files WHERE id = $1 AND account_id = $2

-- name: FileTagRemove
DELETE FROM file_tags
 WHERE file_id = $1 AND tag_id = (SELECT id FROM tags WHERE account_id = $2 AND name = $3)

-- name: TagList
SELECT t.name, count(f.id) AS file_count
  FROM tags t
  LEFT JOIN file_tags ft ON ft.tag_id = t.id
  LEFT JOIN files f ON f.id = ft.file_id AND f.deleted_at IS NULL AND f.upload_state = 'stored'
 WHERE t.account_id = $1
 GROUP BY t.name
HAVING count(f.id) > 0
 ORDER BY t.name

-- name: FileProcessingJobList
SELECT id, job_type, status, attempts, result_data, error,
       created_at AT TIME ZONE 'UTC' AS created_at, completed_at AT TIME ZONE 'UTC' AS completed_at
  FROM file_processing_jobs WHERE file_id = $1
 ORDER BY created_at, id

-- The newest version number, holding the file's row until the transaction ends (one new
-- version at a time per file).
-- name: FileLockVersion
SELECT version FROM files
 WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL AND upload_state = 'stored'
   FOR UPDATE

-- A new newest version: the file takes its size, checksum and type; derivatives are made
-- again for it.
-- name: FileSetVersion
UPDATE files
   SET version = $3, file_size = $4, checksum_sha256 = $5, content_type = $6,
       processing_status = 'pending', thumbnails = '{}', poster_key = NULL, updated_at = $7
 WHERE id = $1 AND account_id = $2

-- name: FileVersionList
SELECT version, file_size, checksum_sha256, change_description, created_by,
       created_at AT TIME ZONE 'UTC' AS created_at
  FROM file_versions WHERE file_id = $1
 ORDER BY version DESC

-- A file by id alone: for signed URLs and share links, whose signature or token is the
-- authority (checked before this runs).
-- name: FileGetAny
SELECT f.id, f.account_id, f.storage_id, f.filename, f.content_type, f.file_size,
       f.checksum_sha256, f.category, f.visibility, f.version, f.processing_status, f.metadata,
       f.thumbnails, f.poster_key,
       f.created_at AT TIME ZONE 'UTC' AS created_at, f.updated_at AT TIME ZONE 'UTC' AS updated_at,
       f.deleted_at AT TIME ZONE 'UTC' AS deleted_at,
       coalesce((SELECT array_agg(t.name ORDER BY t.name)
                   FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
                  WHERE ft.file_id = f.id), '{}') AS tags
  FROM files f
 WHERE f.id = $1 AND f.upload_state = 'stored'

-- name: ShareInsert
INSERT INTO file_shares (id, file_id, account_id, token_sha256, token, password_hash,
                         expires_at, max_downloads, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)

-- name: ShareList
SELECT id, token, expires_at AT TIME ZONE 'UTC' AS expires_at, max_downloads, download_count,
       password_hash IS NOT NULL AS password_protected
  FROM file_shares WHERE file_id = $1 AND account_id = $2 AND revoked_at IS NULL
 ORDER BY created_at, id

-- name: ShareRevoke
UPDATE file_shares SET revoked_at = $3
 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL

-- name: ShareByToken
SELECT s.id, s.file_id, s.password_hash,
       s.expires_at AT TIME ZONE 'UTC' AS expires_at, s.max_downloads, s.download_count
  FROM file_shares s
 WHERE s.token_sha256 = $1 AND s.revoked_at IS NULL

-- One download counted, unless the share is used up: the condition and the increment are one
-- statement, so concurrent downloads never pass max_downloads.
-- name: ShareCountDownload
UPDATE file_shares SET download_count = download_count + 1
 WHERE id = $1 AND (max_downloads IS NULL OR download_count < max_downloads)
RETURNING download_count
