-- name: StorageList
SELECT id, account_id, name, provider_type, configuration, is_default, quota_bytes, used_bytes,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
       health_ok, health_checked_at AT TIME ZONE 'UTC' AS health_checked_at, health_error
  FROM storages WHERE account_id = $1
 ORDER BY created_at, id

-- name: StorageGet
SELECT id, account_id, name, provider_type, configuration, is_default, quota_bytes, used_bytes,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
       health_ok, health_checked_at AT TIME ZONE 'UTC' AS health_checked_at, health_error
  FROM storages WHERE id = $1 AND account_id = $2

-- Locks the row for an update in the same transaction.
-- name: StorageGetForUpdate
SELECT id, account_id, name, provider_type, configuration, is_default, quota_bytes, used_bytes,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
       health_ok, health_checked_at AT TIME ZONE 'UTC' AS health_checked_at, health_error
  FROM storages WHERE id = $1 AND account_id = $2
   FOR UPDATE

-- name: StorageInsert
INSERT INTO storages (id, account_id, name, provider_type, configuration, is_default,
                      quota_bytes, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)

-- name: StorageUpdate
UPDATE storages
   SET name = $3, configuration = $4, is_default = $5, quota_bytes = $6, updated_at = $7
 WHERE id = $1 AND account_id = $2

-- Before another storage becomes the default.
-- name: StorageClearDefault
UPDATE storages SET is_default = false, updated_at = $2
 WHERE account_id = $1 AND is_default

-- name: StorageHasFiles
SELECT EXISTS (SELECT 1 FROM files WHERE storage_id = $1) AS has_files

-- name: StorageDelete
DELETE FROM storages WHERE id = $1 AND account_id = $2

-- Every account's storages, for the scheduled health checks and sweeps.
-- name: StorageListAll
SELECT id, account_id, name, provider_type, configuration, is_default, quota_bytes, used_bytes,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at,
       health_ok, health_checked_at AT TIME ZONE 'UTC' AS health_checked_at, health_error
  FROM storages
 ORDER BY created_at, id

-- Not `updated_at`: a health check is not an edit.
-- name: StorageSetHealth
UPDATE storages SET health_ok = $2, health_checked_at = $3, health_error = $4 WHERE id = $1
