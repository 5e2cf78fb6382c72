-- The media runner's side of a file: derivatives, merged metadata, processing job reports.
-- Every statement here is reached only with the service token; the file id comes from a job
-- the API itself queued.

-- The file's row held until the transaction ends: a derivative cannot land on a version
-- that a concurrent new version just replaced, and reports on its jobs take turns.
-- name: FileLockStored
SELECT account_id, storage_id, version, thumbnails, poster_key
  FROM files WHERE id = $1 AND upload_state = 'stored'
   FOR UPDATE

-- name: FileThumbnailSet
UPDATE files SET thumbnails = jsonb_set(thumbnails, ARRAY[$2::text], to_jsonb($3::text)),
                 updated_at = $4
 WHERE id = $1

-- name: FilePosterSet
UPDATE files SET poster_key = $2, updated_at = $3 WHERE id = $1

-- Shallow merge of the runner's keys ($2, a JSON object; a null value removes its key).
-- name: FileMetadataMerge
UPDATE files
   SET metadata = (SELECT coalesce(jsonb_object_agg(key, value), '{}')
                     FROM jsonb_each(metadata || $2) WHERE jsonb_typeof(value) <> 'null'),
       updated_at = $3
 WHERE id = $1 AND upload_state = 'stored'

-- name: FileProcessingJobLock
SELECT id, job_type, status, attempts, result_data, error,
       created_at AT TIME ZONE 'UTC' AS created_at, completed_at AT TIME ZONE 'UTC' AS completed_at
  FROM file_processing_jobs WHERE id = $1 AND file_id = $2
   FOR UPDATE

-- $3: 1 when this report starts an attempt.
-- name: FileProcessingJobSet
UPDATE file_processing_jobs
   SET status = $2, attempts = attempts + $3, result_data = $4, error = $5, completed_at = $6
 WHERE id = $1
RETURNING id, job_type, status, attempts, result_data, error,
          created_at AT TIME ZONE 'UTC' AS created_at, completed_at AT TIME ZONE 'UTC' AS completed_at

-- The file's status from the newest processing job of each type (a reprocess or new version
-- queues a new set): all completed → completed; all pending → pending; any still pending or
-- processing → processing; otherwise one failed → failed. A file with no jobs is left alone.
-- name: FileProcessingStatusRefresh
UPDATE files f
   SET processing_status = s.status, updated_at = $2
  FROM (SELECT CASE WHEN bool_and(status = 'completed') THEN 'completed'
                    WHEN bool_and(status = 'pending') THEN 'pending'
                    WHEN bool_or(status IN ('pending', 'processing')) THEN 'processing'
                    ELSE 'failed' END AS status
          FROM (SELECT DISTINCT ON (job_type) status
                  FROM file_processing_jobs WHERE file_id = $1
                 ORDER BY job_type, created_at DESC, id DESC) newest
        HAVING count(*) > 0) s
 WHERE f.id = $1 AND f.processing_status IS DISTINCT FROM s.status
