-- name: WebhookEndpointDelete
DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2

-- name: WebhookEndpointGet
SELECT id, account_id, name, provider, secret_sealed, created_at AT TIME ZONE 'UTC' AS created_at
  FROM webhook_endpoints WHERE id = $1 AND account_id = $2

-- The receiver's look-up: the endpoint id in the URL is the only thing that names the account.
-- name: WebhookEndpointGetAnyAccount
SELECT id, account_id, name, provider, secret_sealed, created_at AT TIME ZONE 'UTC' AS created_at
  FROM webhook_endpoints WHERE id = $1

-- name: WebhookEndpointInsert
INSERT INTO webhook_endpoints (id, account_id, name, provider, secret_sealed, created_at)
VALUES ($1, $2, $3, $4, $5, $6)

-- name: WebhookEndpointList
SELECT id, account_id, name, provider, secret_sealed, created_at AT TIME ZONE 'UTC' AS created_at
  FROM webhook_endpoints WHERE account_id = $1
 ORDER BY created_at DESC, id DESC
 LIMIT $2 OFFSET $3

-- name: WebhookEndpointListCount
SELECT count(*) AS total FROM webhook_endpoints WHERE account_id = $1

-- name: WebhookEventFindByDelivery
SELECT id FROM webhook_events WHERE endpoint_id = $1 AND delivery_id = $2

-- $2 NULL: any account (the worker routes).
-- name: WebhookEventGet
SELECT e.id, e.endpoint_id, e.account_id, e.delivery_id, e.event_type, e.payload, e.state,
       e.error, e.received_at AT TIME ZONE 'UTC' AS received_at,
       e.processed_at AT TIME ZONE 'UTC' AS processed_at, w.provider
  FROM webhook_events e JOIN webhook_endpoints w ON w.id = e.endpoint_id
 WHERE e.id = $1 AND ($2::uuid IS NULL OR e.account_id = $2::uuid)

-- A redelivery (same endpoint and delivery id) inserts nothing and returns no row; a
-- concurrent one waits for the first to commit, then does the same.
-- name: WebhookEventInsert
INSERT INTO webhook_events (id, endpoint_id, account_id, delivery_id, event_type, payload,
                            received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT ON CONSTRAINT webhook_events_delivery_key DO NOTHING
RETURNING id

-- name: WebhookEventList
SELECT e.id, e.endpoint_id, e.account_id, e.delivery_id, e.event_type, e.state, e.error,
       e.received_at AT TIME ZONE 'UTC' AS received_at,
       e.processed_at AT TIME ZONE 'UTC' AS processed_at
  FROM webhook_events e
 WHERE e.account_id = $1
   AND ($2::uuid IS NULL OR e.endpoint_id = $2::uuid)
   AND ($3::text IS NULL OR e.state = $3::text)
 ORDER BY e.received_at DESC, e.id DESC
 LIMIT $4 OFFSET $5

-- name: WebhookEventListCount
SELECT count(*) AS total
  FROM webhook_events e
 WHERE e.account_id = $1
   AND ($2::uuid IS NULL OR e.endpoint_id = $2::uuid)
   AND ($3::text IS NULL OR e.state = $3::text)

-- The outcome of processing; only a pending event takes one (no row: not pending).
-- name: WebhookEventReport
UPDATE webhook_events SET state = $2, error = $3, processed_at = $4
 WHERE id = $1 AND state = 'pending'
RETURNING id

-- Back to pending for a replay (the caller queues its job in the same transaction).
-- name: WebhookEventResetPending
UPDATE webhook_events SET state = 'pending', error = NULL, processed_at = NULL
 WHERE id = $1 AND account_id = $2
RETURNING id
