-- Agents and their runs (API.md "Agents and runs"). A run is executed by an `ai.agent_run` job
-- on the `ai` queue; the consumer records every step through the API as it completes, keyed
-- by (run, n), so a redelivered job resumes after the last recorded step.

INSERT INTO queues (name, priority) VALUES ('ai', 1) ON CONFLICT (name) DO NOTHING;

CREATE TABLE ai_agents (
    id                 uuid PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    model              text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    system_prompt      text NOT NULL DEFAULT '' CHECK (length(system_prompt) <= 20000),
    routing            jsonb,
    -- A base that is deleted leaves the agent without one (its search tool then says so).
    knowledge_base_id  uuid REFERENCES knowledge_bases (id) ON DELETE SET NULL,
    tools              text[] NOT NULL DEFAULT '{}',
    max_steps          integer NOT NULL CHECK (max_steps BETWEEN 1 AND 20),
    max_tokens         integer CHECK (max_tokens BETWEEN 1 AND 100000),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT ai_agents_account_name_key UNIQUE (account_id, name)
);
CREATE INDEX ai_agents_account_idx ON ai_agents (account_id, created_at);

-- status: queued (its job waits) → running (a consumer took it) → completed (final answer),
-- failed (an error, or max_steps without an answer; `error` says which) or cancelled (by a
-- user; a consumer stops before its next step). Only the first move to an end state counts.
CREATE TABLE ai_runs (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    agent_id     uuid NOT NULL REFERENCES ai_agents (id) ON DELETE CASCADE,
    job_id       uuid,
    status       text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    input        text NOT NULL,
    output       text,
    error        text,
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX ai_runs_account_created_idx ON ai_runs (account_id, created_at DESC, id DESC);
CREATE INDEX ai_runs_agent_created_idx ON ai_runs (agent_id, created_at DESC);

-- One row per step. An `llm` step is written in the same transaction as its call's `ok` ledger
-- row, so a step is never booked twice; `answer` is the chat answer as the consumer received
-- it, returned again if the consumer asks for the same step after a crash.
CREATE TABLE ai_run_steps (
    run_id               uuid NOT NULL REFERENCES ai_runs (id) ON DELETE CASCADE,
    n                    integer NOT NULL CHECK (n BETWEEN 1 AND 1000),
    kind                 text NOT NULL CHECK (kind IN ('llm', 'tool')),
    tool                 text,
    tool_call_id         text,
    arguments            jsonb,
    result               jsonb,
    answer               jsonb,
    input_tokens         bigint NOT NULL DEFAULT 0,
    output_tokens        bigint NOT NULL DEFAULT 0,
    cached_input_tokens  bigint NOT NULL DEFAULT 0,
    cost_pusd            bigint NOT NULL DEFAULT 0,
    latency_ms           integer NOT NULL,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (run_id, n)
);

-- The ledger names the run step a call was made for; at most one answered call per step.
ALTER TABLE ai_requests ADD COLUMN run_id uuid, ADD COLUMN run_step integer;
CREATE UNIQUE INDEX ai_requests_run_step_ok_idx ON ai_requests (run_id, run_step)
    WHERE status = 'ok' AND run_id IS NOT NULL;
