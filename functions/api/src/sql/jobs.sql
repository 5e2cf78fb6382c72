-- Job rows are returned with these columns (see queue/job_row.rs).

-- name: JobClaim
-- The claim: highest priority, then oldest run_at, among due jobs of the unpaused queues asked
-- for. Each queue is read through its own LIMITed, ordered index scan (jobs_claimable_idx leads
-- with queue), then the best LIMIT across queues are taken. SKIP LOCKED lets concurrent
-- claimers take disjoint rows without waiting; rows locked by a queue's scan but not taken are
-- released when the statement commits.
WITH next AS (
    SELECT c.id
      FROM queues q
     CROSS JOIN LATERAL (
         SELECT j.id, j.priority, j.run_at
           FROM jobs j
          WHERE j.queue = q.name
            AND j.state IN ('available', 'scheduled', 'retryable')
            AND j.run_at <= $2::timestamptz
          ORDER BY j.priority DESC, j.run_at, j.id
          LIMIT $3
            FOR UPDATE SKIP LOCKED
     ) c
     WHERE q.name = ANY($1::text[]) AND q.paused_at IS NULL
     ORDER BY c.priority DESC, c.run_at, c.id
     LIMIT $3
)
UPDATE jobs j
   SET state = 'running', attempts = j.attempts + 1, attempted_at = $2::timestamptz,
       lease_owner = $4::text, lease_expires_at = $5::timestamptz, updated_at = $2::timestamptz
  FROM next
 WHERE j.id = next.id
RETURNING j.id, j.queue, j.job_type, j.args, j.attempts, j.max_attempts,
          j.lease_expires_at AT TIME ZONE 'UTC' AS lease_expires_at, j.account_id,
          md5(j.args::text) AS args_hash

-- name: JobClaimById
-- As JobClaim, for one job. (args_hash: jsonb's text form is canonical, so equal arguments
-- hash equally; runaway detection counts runs by it.)
WITH next AS (
    SELECT j.id
      FROM jobs j
     WHERE j.id = $1::uuid
       AND j.state IN ('available', 'scheduled', 'retryable')
       AND j.run_at <= $2::timestamptz
       AND NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = j.queue AND q.paused_at IS NOT NULL)
       FOR UPDATE SKIP LOCKED
)
UPDATE jobs j
   SET state = 'running', attempts = j.attempts + 1, attempted_at = $2::timestamptz,
       lease_owner = $3::text, lease_expires_at = $4::timestamptz, updated_at = $2::timestamptz
  FROM next
 WHERE j.id = next.id
RETURNING j.id, j.queue, j.job_type, j.args, j.attempts, j.max_attempts,
          j.lease_expires_at AT TIME ZONE 'UTC' AS lease_expires_at, j.account_id,
          md5(j.args::text) AS args_hash

-- name: JobComplete
-- One statement for a whole batch: results arrive as one JSON array in the order of the ids.
UPDATE jobs j
   SET state = 'completed', result = NULLIF(r.result, 'null'::jsonb), finalized_at = $2::timestamptz,
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $2::timestamptz
  FROM (SELECT u.id, $3::jsonb -> (u.n::int - 1) AS result
          FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)) r
 WHERE j.id = r.id AND j.state = 'running' AND j.lease_owner = $4::text
RETURNING j.id, j.queue, j.job_type, j.attempts, j.account_id, COALESCE(j.attempted_at, $2::timestamptz) AT TIME ZONE 'UTC' AS started_at,
          COALESCE(EXTRACT(EPOCH FROM ($2::timestamptz - j.attempted_at)), 0)::float8 AS run_seconds

-- name: JobCountsByQueue
-- A due scheduled or retryable job is claimable, so it counts as available.
SELECT queue,
       CASE WHEN state IN ('scheduled', 'retryable') AND run_at <= $1::timestamptz THEN 'available'
            ELSE state::text END AS state,
       count(*) AS n
  FROM jobs
 WHERE ($2::uuid IS NULL OR account_id = $2::uuid)
 GROUP BY 1, 2

-- name: JobDefer
-- Gives claimed jobs back until $3 without spending their attempt (runaway loop detection), and
-- says why in their history.
UPDATE jobs
   SET state = 'scheduled', run_at = $3::timestamptz, attempts = attempts - 1,
       errors = errors || jsonb_build_array(jsonb_build_object(
           'at', $2::timestamptz, 'attempt', attempts - 1, 'error', $4::text)),
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $2::timestamptz
 WHERE id = ANY($1::uuid[]) AND state = 'running' AND lease_owner = $5::text

-- name: JobDiscard
UPDATE jobs
   SET state = 'dead', finalized_at = $2::timestamptz, updated_at = $2::timestamptz,
       errors = errors || jsonb_build_array(jsonb_build_object(
           'at', $2::timestamptz, 'attempt', attempts, 'error', 'discarded by an operator'))
 WHERE id = $1::uuid AND ($3::uuid IS NULL OR account_id = $3::uuid)
   AND state IN ('scheduled', 'available', 'retryable')
RETURNING id

-- name: JobFailLock
SELECT id, attempts, max_attempts, queue, job_type, account_id,
       COALESCE(attempted_at, $3::timestamptz) AT TIME ZONE 'UTC' AS started_at,
       COALESCE(EXTRACT(EPOCH FROM ($3::timestamptz - attempted_at)), 0)::float8 AS run_seconds
  FROM jobs
 WHERE id = ANY($1::uuid[]) AND state = 'running' AND lease_owner = $2::text
   FOR UPDATE

-- name: JobFail
UPDATE jobs
   SET state = $3::text::job_state,
       run_at = $4::timestamptz,
       finalized_at = CASE WHEN $3::text = 'dead' THEN $2::timestamptz END,
       errors = errors || jsonb_build_array(jsonb_build_object(
           'at', $2::timestamptz, 'attempt', attempts, 'error', $5::text)),
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $2::timestamptz
 WHERE id = $1::uuid

-- name: JobFindByIdempotencyKey
-- A key matches a job that is not finished, or one created within the dedupe window.
SELECT id, request_hash
  FROM jobs
 WHERE idempotency_key = $1::text
   AND (state NOT IN ('completed', 'dead', 'cancelled') OR created_at > $2::timestamptz)
 ORDER BY created_at DESC
 LIMIT 1

-- name: JobGet
SELECT id, queue, job_type, args, state::text AS state, priority, attempts, max_attempts,
       run_at AT TIME ZONE 'UTC' AS run_at, errors, result,
       created_at AT TIME ZONE 'UTC' AS created_at, finalized_at AT TIME ZONE 'UTC' AS finalized_at
  FROM jobs
 WHERE id = $1::uuid AND ($2::uuid IS NULL OR account_id = $2::uuid)

-- name: JobHeartbeat
UPDATE jobs
   SET lease_expires_at = $3::timestamptz, updated_at = $2::timestamptz
 WHERE id = ANY($1::uuid[]) AND state = 'running' AND lease_owner = $4::text
RETURNING id

-- name: JobHistoryByMinute
-- Queue $1's finished jobs per minute, one row for every minute from $2 up to (not including)
-- $3, both whole minutes, oldest first; no rows at all for an unknown queue. A job counts in the
-- minute of its finalized_at. date_bin keeps the minutes aligned to $2 whatever the session's
-- time zone; avg skips jobs never claimed (attempted_at NULL), so an empty minute averages NULL.
-- The wait counts completed jobs only: failing a job moves its run_at (to its retry, or to when
-- it died), so a dead job's run_at no longer says when it became due.
WITH finished AS (
    SELECT date_bin(interval '1 minute', j.finalized_at, $2::timestamptz) AS bucket,
           j.state, j.run_at, j.attempted_at, j.finalized_at
      FROM jobs j
     WHERE j.queue = $1::text AND j.state IN ('completed', 'dead')
       AND j.finalized_at >= $2::timestamptz AND j.finalized_at < $3::timestamptz
       AND ($4::uuid IS NULL OR j.account_id = $4::uuid)
)
SELECT m.bucket AT TIME ZONE 'UTC' AS minute,
       count(*) FILTER (WHERE f.state = 'completed') AS completed,
       count(*) FILTER (WHERE f.state = 'dead') AS dead,
       (avg(EXTRACT(EPOCH FROM (f.attempted_at - f.run_at))) FILTER (WHERE f.state = 'completed')
            * 1000)::float8 AS wait_ms_avg,
       (avg(EXTRACT(EPOCH FROM (f.finalized_at - f.attempted_at))) * 1000)::float8 AS run_ms_avg
  FROM queues q
 CROSS JOIN generate_series($2::timestamptz, $3::timestamptz - interval '1 minute', interval '1 minute') AS m(bucket)
  LEFT JOIN finished f ON f.bucket = m.bucket
 WHERE q.name = $1::text
 GROUP BY m.bucket
 ORDER BY m.bucket

-- name: JobInsert
-- Selecting from queues both takes the queue's priority and inserts nothing for an unknown queue.
-- No row back means: an unknown queue, or an idempotency key another enqueue holds.
-- The notification is delivered at commit (and never for a rolled-back insert); identical ones
-- within a transaction are delivered once, so a bulk enqueue wakes claimers once per queue.
WITH inserted AS (
    INSERT INTO jobs (id, account_id, queue, job_type, args, priority, state, max_attempts, run_at,
                      idempotency_key, request_hash, created_at, updated_at)
    SELECT $1::uuid, $2::uuid, q.name, $4::text, $5::jsonb, COALESCE($6::int, q.priority),
           $7::text::job_state, $8::int, $9::timestamptz, $10::text, $11::bytea, $12::timestamptz, $12::timestamptz
      FROM queues q
     WHERE q.name = $3::text
    -- A racing enqueue of the same key: wait for it, insert nothing, never abort the caller's
    -- transaction; the caller then finds the winner's job.
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled')
    DO NOTHING
    RETURNING queue, state
)
-- One row per inserted job (so the row count says whether the queue existed), notifying for
-- jobs that are claimable now.
SELECT 1
  FROM inserted
  LEFT JOIN LATERAL (SELECT pg_notify('powernode_jobs', inserted.queue) WHERE inserted.state = 'available') n ON true

-- name: JobList
SELECT id, queue, job_type, args, state::text AS state, priority, attempts, max_attempts,
       run_at AT TIME ZONE 'UTC' AS run_at, errors, result,
       created_at AT TIME ZONE 'UTC' AS created_at, finalized_at AT TIME ZONE 'UTC' AS finalized_at
  FROM jobs
 WHERE ($1::uuid IS NULL OR account_id = $1::uuid)
   AND ($2::text IS NULL OR queue = $2::text)
   AND ($3::text IS NULL OR state = $3::text::job_state)
 ORDER BY created_at DESC, id DESC
 LIMIT $4 OFFSET $5

-- name: JobListCount
SELECT count(*) AS total
  FROM jobs
 WHERE ($1::uuid IS NULL OR account_id = $1::uuid)
   AND ($2::text IS NULL OR queue = $2::text)
   AND ($3::text IS NULL OR state = $3::text::job_state)

-- name: JobRescue
-- Running jobs whose lease ran out: the consumer died or hung. The attempt counts; with
-- attempts left the job is claimable at once, else it is dead.
UPDATE jobs
   SET state = CASE WHEN attempts >= max_attempts THEN 'dead'::job_state ELSE 'retryable'::job_state END,
       run_at = $1::timestamptz,
       finalized_at = CASE WHEN attempts >= max_attempts THEN $1::timestamptz END,
       errors = errors || jsonb_build_array(jsonb_build_object(
           'at', $1::timestamptz, 'attempt', attempts, 'error', 'lease expired: the consumer stopped heartbeating')),
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $1::timestamptz
 WHERE id IN (SELECT id FROM jobs
               WHERE state = 'running' AND lease_expires_at < $1::timestamptz
               ORDER BY lease_expires_at
               LIMIT $2
                 FOR UPDATE SKIP LOCKED)
RETURNING id, state::text AS state

-- name: JobRetry
-- An operator's retry: runs now, with one more attempt if it had none left.
UPDATE jobs
   SET state = 'available', run_at = $2::timestamptz, finalized_at = NULL, updated_at = $2::timestamptz,
       max_attempts = GREATEST(max_attempts, attempts + 1)
 WHERE id = $1::uuid AND ($3::uuid IS NULL OR account_id = $3::uuid)
   AND state IN ('dead', 'retryable')
RETURNING id

-- name: JobSnooze
-- Back to scheduled without spending the attempt.
UPDATE jobs
   SET state = 'scheduled', run_at = $3::timestamptz, attempts = attempts - 1,
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $2::timestamptz
 WHERE id = ANY($1::uuid[]) AND state = 'running' AND lease_owner = $4::text
RETURNING id

-- name: JobStatsByQueue
SELECT queue,
       COALESCE(EXTRACT(EPOCH FROM ($1::timestamptz - min(run_at) FILTER (
           WHERE state IN ('available', 'scheduled', 'retryable') AND run_at <= $1::timestamptz))), 0)::float8
           AS oldest_available_age_seconds,
       count(*) FILTER (WHERE state = 'completed' AND finalized_at > $1::timestamptz - interval '1 minute')
           AS completed_last_minute,
       count(*) FILTER (WHERE state IN ('retryable', 'dead') AND updated_at > $1::timestamptz - interval '1 minute')
           AS failed_last_minute
  FROM jobs
 WHERE ($2::uuid IS NULL OR account_id = $2::uuid)
 GROUP BY queue

-- name: JobPrune
-- Completed jobs past retention, a bounded batch per statement so a large backlog never holds
-- a long lock.
DELETE FROM jobs
 WHERE id IN (SELECT id FROM jobs
               WHERE state = 'completed' AND finalized_at < $1::timestamptz
               ORDER BY finalized_at
               LIMIT $2
                 FOR UPDATE SKIP LOCKED)

-- name: JobInsertMany
-- A batch in one statement: rows arrive as one JSON array. A row naming an unknown queue drops
-- out of the join, and its id is missing from the answer.
INSERT INTO jobs (id, account_id, queue, job_type, args, priority, state, max_attempts, run_at,
                  created_at, updated_at)
SELECT r.id, r.account_id, q.name, r.job_type, r.args, COALESCE(r.priority, q.priority),
       r.state::job_state, r.max_attempts, r.run_at, $2::timestamptz, $2::timestamptz
  FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, account_id uuid, queue text, job_type text, args jsonb,
                                           priority int, state text, max_attempts int, run_at timestamptz)
  JOIN queues q ON q.name = r.queue
RETURNING id

-- name: JobNotifyQueues
SELECT count(pg_notify('powernode_jobs', q)) AS notified FROM unnest($1::text[]) AS q

-- name: JobsWaitingInQueue
-- Queue $1's claimable jobs, due first (at most $2): what resuming the queue announces at once,
-- since what was announced while it was paused found nothing to claim.
SELECT j.id, j.queue, j.run_at AT TIME ZONE 'UTC' AS run_at
  FROM jobs j
 WHERE j.queue = $1::text AND j.state IN ('available', 'scheduled', 'retryable')
 ORDER BY j.run_at, j.id
 LIMIT $2

-- name: JobsOverdue
-- Claimable since before $1 and still unclaimed: what the relay re-announces, oldest first.
-- Not the queues in $3 (consumers poll them) nor paused queues (nobody may claim from them).
SELECT j.id, j.queue
  FROM jobs j
 WHERE j.state IN ('available', 'scheduled', 'retryable') AND j.run_at <= $1::timestamptz
   AND NOT (j.queue = ANY($3::text[]))
   AND NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = j.queue AND q.paused_at IS NOT NULL)
 ORDER BY j.run_at, j.id
 LIMIT $2
