-- The scheduled maintenance's queries (service/maintenance/). Each selects or changes only
-- what is due at the time it is given, in bounded batches, so running one twice is harmless.

-- Processing records still open whose queue job will never report: it died, was cancelled,
-- completed without reporting, or was pruned (no row). Records younger than $1 are left alone.
-- name: ProcessingStuck
SELECT p.id, p.file_id, coalesce(j.state::text, 'gone') AS job_state
  FROM file_processing_jobs p
  LEFT JOIN jobs j ON j.id = p.job_id
 WHERE p.status IN ('pending', 'processing')
   AND p.created_at < $1
   AND (j.id IS NULL OR j.state IN ('dead', 'cancelled', 'completed'))
 ORDER BY p.created_at
 LIMIT $2

-- name: ProcessingFailStuck
UPDATE file_processing_jobs
   SET status = 'failed', error = $2, completed_at = $3
 WHERE id = $1 AND status IN ('pending', 'processing')

-- Live shares whose expiry passed: revoked, and the token kept for copying is forgotten (the
-- hash stays, so the dead link still answers 404 rather than matching anything new).
-- name: SharesExpire
UPDATE file_shares
   SET revoked_at = $1, token = ''
 WHERE id IN (SELECT id FROM file_shares
               WHERE revoked_at IS NULL AND expires_at < $1
               ORDER BY expires_at
               LIMIT $2
                 FOR UPDATE SKIP LOCKED)

-- Direct uploads handed out before $1 and never completed.
-- name: UploadsAbandoned
SELECT id, account_id, storage_id FROM files
 WHERE upload_state = 'awaiting_upload' AND created_at < $1
 ORDER BY created_at
 LIMIT $2

-- Files in the trash since before $1.
-- name: TrashDue
SELECT id FROM files
 WHERE deleted_at < $1
 ORDER BY deleted_at
 LIMIT $2

-- One trashed file, locked, if it is still due (a restore in between takes it out).
-- name: TrashLockDue
SELECT id FROM files WHERE id = $1 AND deleted_at < $2 FOR UPDATE

-- name: AuditPrune
DELETE FROM audit_logs
 WHERE id IN (SELECT id FROM audit_logs WHERE created_at < $1 ORDER BY created_at LIMIT $2)

-- Pending events are never pruned: their job still has to run.
-- name: WebhookEventsPrune
DELETE FROM webhook_events
 WHERE id IN (SELECT id FROM webhook_events
               WHERE state <> 'pending' AND processed_at < $1
               ORDER BY processed_at LIMIT $2)

-- Every object key an account's rows refer to, in any of its storages (two storages of one
-- account may share a bucket): versions, thumbnails, posters, and the object a direct upload is
-- writing.
-- name: AccountReferencedKeys
SELECT v.object_key AS key
  FROM file_versions v JOIN files f ON f.id = v.file_id
 WHERE f.account_id = $1
UNION
SELECT t.value FROM files f, jsonb_each_text(f.thumbnails) t WHERE f.account_id = $1
UNION
SELECT poster_key FROM files WHERE account_id = $1 AND poster_key IS NOT NULL
UNION
-- The key `service/files/direct.rs` gives an upload's object.
SELECT account_id::text || '/' || id::text || '/v1' FROM files
 WHERE account_id = $1 AND upload_state = 'awaiting_upload'
