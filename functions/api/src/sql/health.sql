-- name: DatabasePing
-- Readiness and the service health task: a round trip, nothing read.
SELECT 1 AS ok
