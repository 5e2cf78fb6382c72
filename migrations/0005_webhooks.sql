-- Webhook receivers: an account's endpoints (one per sender, each with its own signing secret)
-- and the events they received, with their processing state.
--
-- The receiver stores an event and its `webhooks.process` job in one transaction, so an
-- acknowledged delivery is never lost; (endpoint_id, delivery_id) is unique, so a provider's
-- redelivery is acknowledged without being stored or processed twice.

CREATE TABLE webhook_endpoints (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    provider       text NOT NULL CHECK (provider IN ('generic', 'github', 'stripe')),
    -- The signing secret as "encrypted:<base64url nonce+ciphertext>" (AES-256-GCM under the
    -- platform's POWERNODE_ENCRYPTION_KEY, bound to this endpoint's id), never in plain text.
    secret_sealed  text NOT NULL CHECK (secret_sealed LIKE 'encrypted:%'),
    created_at     timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_account_created_idx
    ON webhook_endpoints (account_id, created_at DESC, id DESC);

-- States: pending (stored, its job queued; a replay comes back here), processed, failed (the
-- payload could not be handled; `error` says why). processed_at is when processing ended.
CREATE TABLE webhook_events (
    id            uuid PRIMARY KEY,
    endpoint_id   uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- Copied from the endpoint so the event log is filtered by account without a join.
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    delivery_id   text NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 255),
    event_type    text CHECK (length(event_type) BETWEEN 1 AND 255),
    -- The body exactly as received (what the signature covered).
    payload       bytea NOT NULL,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'processed', 'failed')),
    error         text,
    received_at   timestamptz NOT NULL,
    processed_at  timestamptz,
    CONSTRAINT webhook_events_delivery_key UNIQUE (endpoint_id, delivery_id),
    CONSTRAINT webhook_events_processed_at_when_done
        CHECK ((state = 'pending') = (processed_at IS NULL)),
    CONSTRAINT webhook_events_error_when_failed CHECK (state = 'failed' OR error IS NULL)
);
CREATE INDEX webhook_events_account_received_idx
    ON webhook_events (account_id, received_at DESC, id DESC);
