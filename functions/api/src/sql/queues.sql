-- name: QueueList
SELECT name, priority, paused_at IS NOT NULL AS paused FROM queues ORDER BY priority DESC, name

-- name: QueueSetPaused
UPDATE queues SET paused_at = $2::timestamptz WHERE name = $1::text RETURNING name
