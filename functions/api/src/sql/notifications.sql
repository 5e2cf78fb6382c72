-- Transactional email: whom to tell about what (service/notify.rs).

-- name: NotifyDeadJobs
-- Jobs that died at or after $1, oldest first, at most $3, each with whom to tell: the active
-- owners of its account, or for platform work (no account) the active platform admins. A job
-- with nobody to tell has no row. Jobs of type $2 (the email job itself) are left out: an email
-- about an email that could not be sent would only fail the same way, and could loop.
-- Two halves instead of one OR in the join, so each uses its index (users by account, roles).
WITH dead AS (
    SELECT id, account_id, queue, job_type, attempts, finalized_at,
           errors -> -1 ->> 'error' AS last_error
      FROM jobs
     WHERE state = 'dead' AND finalized_at >= $1::timestamptz AND job_type <> $2::text
     ORDER BY finalized_at, id
     LIMIT $3
)
SELECT d.id AS job_id, d.account_id, d.queue, d.job_type, d.attempts,
       d.finalized_at AT TIME ZONE 'UTC' AS finalized_at,
       d.last_error, u.id AS user_id, u.email, u.name
  FROM dead d
  JOIN users u ON u.account_id = d.account_id AND u.deactivated_at IS NULL
  JOIN user_roles ur ON ur.user_id = u.id
  JOIN roles r ON r.id = ur.role_id AND r.name = 'owner'
UNION ALL
SELECT d.id AS job_id, d.account_id, d.queue, d.job_type, d.attempts,
       d.finalized_at AT TIME ZONE 'UTC' AS finalized_at,
       d.last_error, u.id AS user_id, u.email, u.name
  FROM dead d
  JOIN roles r ON r.name = 'platform_admin'
  JOIN user_roles ur ON ur.role_id = r.id
  JOIN users u ON u.id = ur.user_id AND u.deactivated_at IS NULL
 WHERE d.account_id IS NULL
 ORDER BY finalized_at, job_id, email
