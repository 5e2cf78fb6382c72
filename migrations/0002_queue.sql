-- The durable queue. Postgres is the source of truth: a job row is written in the same
-- transaction as the change that caused it. States (see shared/src/job.rs for who moves jobs
-- between them):
--   scheduled  waits for run_at;               available  may be claimed now;
--   running    claimed, under a lease;         retryable  failed, waits for run_at to retry;
--   completed  done;  dead  out of attempts or discarded;  cancelled  withdrawn.
-- A due scheduled or retryable job is claimable without being moved to available first, so no
-- promoter has to run for jobs to flow.

CREATE TYPE job_state AS ENUM ('scheduled', 'available', 'running', 'retryable', 'completed', 'dead', 'cancelled');

CREATE TABLE queues (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    -- Higher runs first; a job takes its queue's priority unless it names one.
    priority    smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 10),
    paused_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO queues (name, priority) VALUES
    ('default', 1), ('file_processing', 2), ('webhooks', 1), ('maintenance', 1), ('email', 1);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    -- NULL for platform jobs (scheduled maintenance); otherwise the account it works for.
    account_id        uuid REFERENCES accounts (id) ON DELETE CASCADE,
    queue             text NOT NULL REFERENCES queues (name),
    job_type          text NOT NULL CHECK (length(job_type) BETWEEN 1 AND 100),
    args              jsonb NOT NULL DEFAULT '{}'::jsonb,
    priority          smallint NOT NULL CHECK (priority BETWEEN 0 AND 10),
    state             job_state NOT NULL,
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    run_at            timestamptz NOT NULL,
    lease_owner       text,
    lease_expires_at  timestamptz,
    idempotency_key   text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    -- SHA-256 of the enqueue request, to tell a replay (same body) from a conflict (another body).
    request_hash      bytea,
    errors            jsonb NOT NULL DEFAULT '[]'::jsonb,
    result            jsonb,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    attempted_at      timestamptz,
    finalized_at      timestamptz,
    CONSTRAINT jobs_running_has_lease
        CHECK ((state = 'running') = (lease_expires_at IS NOT NULL AND lease_owner IS NOT NULL)),
    CONSTRAINT jobs_finalized_has_time
        CHECK ((state IN ('completed', 'dead', 'cancelled')) = (finalized_at IS NOT NULL)),
    CONSTRAINT jobs_attempts_within_max CHECK (attempts <= max_attempts)
);

-- Claiming: the highest priority, then the oldest run_at, among claimable rows.
CREATE INDEX jobs_claimable_idx ON jobs (priority DESC, run_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');
-- The rescuer: running jobs whose lease ran out.
CREATE INDEX jobs_lease_expires_at_idx ON jobs (lease_expires_at) WHERE state = 'running';
-- An idempotency key is unique among jobs that are not finished.
CREATE UNIQUE INDEX jobs_idempotency_key_idx ON jobs (idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled');
CREATE INDEX jobs_queue_state_idx ON jobs (queue, state);
CREATE INDEX jobs_account_id_idx ON jobs (account_id, created_at);
CREATE INDEX jobs_finalized_at_idx ON jobs (finalized_at) WHERE finalized_at IS NOT NULL;
