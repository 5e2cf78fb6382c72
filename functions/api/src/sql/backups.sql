-- Backups (service/maintenance/backup.rs) and `powernode restore` (service/restore.rs).
--
-- A backup is one JSON document per account built by Postgres itself (`to_jsonb` of whole
-- rows), so every column is exported exactly as stored, new columns included, with no mapping
-- code to keep in step with the schema. A restore feeds the same rows back through
-- `jsonb_populate_recordset`, the inverse of `to_jsonb`.

-- Accounts in id order, one page after $1 (the nil uuid for the first page).
-- name: BackupAccountsPage
SELECT id FROM accounts WHERE id > $1 ORDER BY id LIMIT $2

-- One account's metadata as a backup document ($2: format, $3: version, $4: taken at), and its
-- row count. Left out: queue jobs (delivery state, pruned on its own), sessions and refresh
-- tokens (a restored sign-in would be a stolen one; users sign in again), audit logs and
-- webhook events (logs, kept under their own retention, and payloads may be large). Roles are
-- the platform's (seeded by every migrate, ids differ per database), so a user's roles go by
-- name.
-- name: BackupDocument
WITH doc AS (
  SELECT jsonb_build_object(
    'format', $2::text,
    'version', $3::bigint,
    'taken_at', $4::timestamptz,
    'schema_version', (SELECT max(version) FROM schema_migrations),
    'account', (SELECT to_jsonb(a) FROM accounts a WHERE a.id = $1),
    'users', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.id), '[]')
                FROM users u WHERE u.account_id = $1),
    'user_roles', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'user_id', ur.user_id, 'role', r.name, 'created_at', ur.created_at)
                          ORDER BY ur.user_id, r.name), '[]')
                     FROM user_roles ur
                     JOIN users u ON u.id = ur.user_id
                     JOIN roles r ON r.id = ur.role_id
                    WHERE u.account_id = $1),
    'storages', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.id), '[]')
                   FROM storages s WHERE s.account_id = $1),
    'tags', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]')
               FROM tags t WHERE t.account_id = $1),
    'files', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.id), '[]')
                FROM files f WHERE f.account_id = $1),
    'file_versions', (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.file_id, v.version), '[]')
                        FROM file_versions v JOIN files f ON f.id = v.file_id
                       WHERE f.account_id = $1),
    'file_tags', (SELECT coalesce(jsonb_agg(to_jsonb(ft) ORDER BY ft.file_id, ft.tag_id), '[]')
                    FROM file_tags ft JOIN files f ON f.id = ft.file_id
                   WHERE f.account_id = $1),
    'file_shares', (SELECT coalesce(jsonb_agg(to_jsonb(sh) ORDER BY sh.id), '[]')
                      FROM file_shares sh WHERE sh.account_id = $1),
    'file_processing_jobs', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.id), '[]')
                               FROM file_processing_jobs p JOIN files f ON f.id = p.file_id
                              WHERE f.account_id = $1),
    'webhook_endpoints', (SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY w.id), '[]')
                            FROM webhook_endpoints w WHERE w.account_id = $1)
  ) AS d
)
SELECT d::text AS document,
       1 + (SELECT sum(jsonb_array_length(d -> k))
              FROM unnest(ARRAY['users', 'user_roles', 'storages', 'tags', 'files',
                                'file_versions', 'file_tags', 'file_shares',
                                'file_processing_jobs', 'webhook_endpoints']) AS k)::bigint AS rows
  FROM doc
 WHERE d -> 'account' <> 'null'::jsonb

-- The newest migration applied: a backup taken under a newer schema is refused.
-- name: BackupSchemaVersion
SELECT max(version) AS version FROM schema_migrations

-- The restores below each take a batch of a table's rows ($1, a JSON array) and insert those
-- not present (ON CONFLICT DO NOTHING: any key or unique constraint), so a restore fills gaps
-- and a second one inserts nothing. A row whose parent is not there (a file whose storage was
-- neither present nor restored) is skipped rather than failing the whole restore; a creator
-- who is gone becomes NULL, as ON DELETE SET NULL would have made it.

-- name: RestoreAccounts
INSERT INTO accounts
SELECT * FROM jsonb_populate_recordset(NULL::accounts, $1::jsonb)
ON CONFLICT DO NOTHING

-- name: RestoreUsers
INSERT INTO users
SELECT * FROM jsonb_populate_recordset(NULL::users, $1::jsonb) r
 WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.account_id)
ON CONFLICT DO NOTHING

-- By role name: role ids are made per database.
-- name: RestoreUserRoles
INSERT INTO user_roles (user_id, role_id, created_at)
SELECT x.user_id, r.id, x.created_at
  FROM jsonb_to_recordset($1::jsonb) AS x (user_id uuid, role text, created_at timestamptz)
  JOIN roles r ON r.name = x.role
 WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id)
ON CONFLICT DO NOTHING

-- An account has at most one default storage: a restored storage stays a plain one when the
-- account has a default already (one made since, say), rather than being skipped.
-- name: RestoreStorages
INSERT INTO storages
SELECT r.*
  FROM jsonb_array_elements($1::jsonb) x,
       jsonb_populate_record(NULL::storages, x || jsonb_build_object('is_default',
         (x ->> 'is_default')::boolean
         AND NOT EXISTS (SELECT 1 FROM storages s
                          WHERE s.account_id = (x ->> 'account_id')::uuid AND s.is_default
                            AND s.id <> (x ->> 'id')::uuid))) r
 WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.account_id)
ON CONFLICT DO NOTHING

-- name: RestoreTags
INSERT INTO tags
SELECT * FROM jsonb_populate_recordset(NULL::tags, $1::jsonb) r
 WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.account_id)
ON CONFLICT DO NOTHING

-- Only into a storage of the same account that is there (present or just restored).
-- name: RestoreFiles
INSERT INTO files
SELECT r.*
  FROM jsonb_array_elements($1::jsonb) x,
       jsonb_populate_record(NULL::files, x || jsonb_build_object('created_by',
         CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = (x ->> 'created_by')::uuid)
              THEN x -> 'created_by' END)) r
 WHERE EXISTS (SELECT 1 FROM storages s WHERE s.id = r.storage_id AND s.account_id = r.account_id)
ON CONFLICT DO NOTHING

-- name: RestoreFileVersions
INSERT INTO file_versions
SELECT r.*
  FROM jsonb_array_elements($1::jsonb) x,
       jsonb_populate_record(NULL::file_versions, x || jsonb_build_object('created_by',
         CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = (x ->> 'created_by')::uuid)
              THEN x -> 'created_by' END)) r
 WHERE EXISTS (SELECT 1 FROM files f WHERE f.id = r.file_id)
ON CONFLICT DO NOTHING

-- name: RestoreFileTags
INSERT INTO file_tags
SELECT * FROM jsonb_populate_recordset(NULL::file_tags, $1::jsonb) r
 WHERE EXISTS (SELECT 1 FROM files f WHERE f.id = r.file_id)
   AND EXISTS (SELECT 1 FROM tags t WHERE t.id = r.tag_id)
ON CONFLICT DO NOTHING

-- name: RestoreFileShares
INSERT INTO file_shares
SELECT r.*
  FROM jsonb_array_elements($1::jsonb) x,
       jsonb_populate_record(NULL::file_shares, x || jsonb_build_object('created_by',
         CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.id = (x ->> 'created_by')::uuid)
              THEN x -> 'created_by' END)) r
 WHERE EXISTS (SELECT 1 FROM files f WHERE f.id = r.file_id AND f.account_id = r.account_id)
ON CONFLICT DO NOTHING

-- name: RestoreFileProcessingJobs
INSERT INTO file_processing_jobs
SELECT * FROM jsonb_populate_recordset(NULL::file_processing_jobs, $1::jsonb) r
 WHERE EXISTS (SELECT 1 FROM files f WHERE f.id = r.file_id)
ON CONFLICT DO NOTHING

-- name: RestoreWebhookEndpoints
INSERT INTO webhook_endpoints
SELECT * FROM jsonb_populate_recordset(NULL::webhook_endpoints, $1::jsonb) r
 WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = r.account_id)
ON CONFLICT DO NOTHING

-- After versions were restored into storages that were already there, their used bytes are
-- counted again from the versions they hold (what uploads and deletes keep them equal to).
-- name: RestoreRecountUsedBytes
UPDATE storages s
   SET used_bytes = (SELECT coalesce(sum(v.file_size), 0)
                       FROM file_versions v JOIN files f ON f.id = v.file_id
                      WHERE f.storage_id = s.id)
 WHERE s.account_id = $1
