-- Direct-to-storage uploads: the file row exists (upload_state 'awaiting_upload', invisible to
-- every listing and read) from the moment its upload URL is handed out until `complete` has
-- verified the object. Until then `file_size` and `content_type` are what the client
-- announced, `checksum_sha256` is empty, and an empty `category` means "from the sniffed type".

-- name: FileInsertAwaiting
INSERT INTO files (id, account_id, storage_id, created_by, filename, content_type, file_size,
                   checksum_sha256, category, visibility, version, metadata, upload_state,
                   created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, 1, $10, 'awaiting_upload', $11, $11)

-- Any account's awaiting upload (the signed upload URL is the authority), or the caller's
-- ($2 not null).
-- name: FileGetAwaiting
SELECT id, account_id, storage_id, created_by, filename, content_type, file_size, category
  FROM files
 WHERE id = $1 AND upload_state = 'awaiting_upload' AND ($2::uuid IS NULL OR account_id = $2)

-- The verified object becomes version 1; no row means another `complete` won the race.
-- name: FileMarkStored
UPDATE files
   SET upload_state = 'stored', file_size = $3, checksum_sha256 = $4, content_type = $5,
       category = CASE WHEN category = '' THEN $6 ELSE category END, updated_at = $7
 WHERE id = $1 AND account_id = $2 AND upload_state = 'awaiting_upload'
RETURNING created_by

-- name: FileDeleteAwaiting
DELETE FROM files WHERE id = $1 AND upload_state = 'awaiting_upload'
