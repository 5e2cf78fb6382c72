-- Agents, runs and run steps (migrations/0009_agents.sql). User queries are scoped to an
-- account; the worker queries (a consumer executing a run) go by run id.

-- name: AgentInsert
INSERT INTO ai_agents (id, account_id, name, model, system_prompt, routing, knowledge_base_id,
                       tools, max_steps, max_tokens, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)

-- name: AgentUpdate
UPDATE ai_agents
   SET name = $3, model = $4, system_prompt = $5, routing = $6, knowledge_base_id = $7,
       tools = $8, max_steps = $9, max_tokens = $10, updated_at = $11
 WHERE id = $1 AND account_id = $2

-- name: AgentGet
SELECT id, name, model, system_prompt, routing, knowledge_base_id, tools, max_steps, max_tokens,
       created_at AT TIME ZONE 'UTC' AS created_at
  FROM ai_agents
 WHERE id = $1 AND account_id = $2

-- The fleet view: each agent with its runs created since $2.
-- name: AgentListWithStats
SELECT a.id, a.name, a.model, a.system_prompt, a.routing, a.knowledge_base_id, a.tools,
       a.max_steps, a.max_tokens, a.created_at AT TIME ZONE 'UTC' AS created_at,
       s.queued, s.running, s.completed, s.failed, s.cancelled, s.p50_ms,
       COALESCE((SELECT sum(st.cost_pusd)
                   FROM ai_run_steps st JOIN ai_runs r2 ON r2.id = st.run_id
                  WHERE r2.agent_id = a.id AND r2.created_at >= $2::timestamptz), 0)::int8 AS cost_pusd
  FROM ai_agents a
  LEFT JOIN LATERAL (
       SELECT count(*) FILTER (WHERE r.status = 'queued') AS queued,
              count(*) FILTER (WHERE r.status = 'running') AS running,
              count(*) FILTER (WHERE r.status = 'completed') AS completed,
              count(*) FILTER (WHERE r.status = 'failed') AS failed,
              count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
              round(percentile_cont(0.5) WITHIN GROUP (
                        ORDER BY extract(epoch FROM r.finished_at - r.started_at)::float8 * 1000)
                    FILTER (WHERE r.status IN ('completed', 'failed') AND r.started_at IS NOT NULL))::int8 AS p50_ms
         FROM ai_runs r
        WHERE r.agent_id = a.id AND r.created_at >= $2::timestamptz) s ON true
 WHERE a.account_id = $1
 ORDER BY a.created_at, a.id

-- name: AgentDelete
DELETE FROM ai_agents WHERE id = $1 AND account_id = $2

-- name: RunInsert
INSERT INTO ai_runs (id, account_id, agent_id, job_id, status, input, created_by, created_at)
VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7)

-- A run with its usage and cost summed from its steps. $2 NULL: any account (worker routes).
-- name: RunGet
SELECT r.id, r.account_id, r.agent_id, r.job_id, r.status, r.input, r.output, r.error,
       r.created_at AT TIME ZONE 'UTC' AS created_at,
       r.started_at AT TIME ZONE 'UTC' AS started_at,
       r.finished_at AT TIME ZONE 'UTC' AS finished_at,
       t.input_tokens, t.output_tokens, t.cached_input_tokens, t.cost_pusd
  FROM ai_runs r
  CROSS JOIN LATERAL (
       SELECT COALESCE(sum(st.input_tokens), 0)::int8 AS input_tokens,
              COALESCE(sum(st.output_tokens), 0)::int8 AS output_tokens,
              COALESCE(sum(st.cached_input_tokens), 0)::int8 AS cached_input_tokens,
              COALESCE(sum(st.cost_pusd), 0)::int8 AS cost_pusd
         FROM ai_run_steps st WHERE st.run_id = r.id) t
 WHERE r.id = $1 AND ($2::uuid IS NULL OR r.account_id = $2::uuid)

-- Newest first; $2 an agent, $3 a status, either NULL for any.
-- name: RunList
SELECT r.id, r.account_id, r.agent_id, r.job_id, r.status, r.input, r.output, r.error,
       r.created_at AT TIME ZONE 'UTC' AS created_at,
       r.started_at AT TIME ZONE 'UTC' AS started_at,
       r.finished_at AT TIME ZONE 'UTC' AS finished_at,
       t.input_tokens, t.output_tokens, t.cached_input_tokens, t.cost_pusd,
       count(*) OVER () AS total
  FROM ai_runs r
  CROSS JOIN LATERAL (
       SELECT COALESCE(sum(st.input_tokens), 0)::int8 AS input_tokens,
              COALESCE(sum(st.output_tokens), 0)::int8 AS output_tokens,
              COALESCE(sum(st.cached_input_tokens), 0)::int8 AS cached_input_tokens,
              COALESCE(sum(st.cost_pusd), 0)::int8 AS cost_pusd
         FROM ai_run_steps st WHERE st.run_id = r.id) t
 WHERE r.account_id = $1
   AND ($2::uuid IS NULL OR r.agent_id = $2::uuid)
   AND ($3::text IS NULL OR r.status = $3::text)
 ORDER BY r.created_at DESC, r.id DESC
 LIMIT $4 OFFSET $5

-- name: RunStepList
SELECT n, kind, tool, tool_call_id, arguments, result, input_tokens, output_tokens,
       cached_input_tokens, cost_pusd, latency_ms, created_at AT TIME ZONE 'UTC' AS created_at
  FROM ai_run_steps
 WHERE run_id = $1 AND n > $2
 ORDER BY n

-- A run's status and account, locked against a concurrent move to an end state.
-- name: RunStatusLock
SELECT status, account_id FROM ai_runs WHERE id = $1 FOR NO KEY UPDATE

-- A consumer takes a run: queued → running (a redelivered run stays running).
-- name: RunStart
UPDATE ai_runs
   SET status = 'running', started_at = COALESCE(started_at, $2::timestamptz)
 WHERE id = $1 AND status IN ('queued', 'running')

-- $2: completed, failed or cancelled. Only a run that has not ended moves.
-- name: RunEnd
UPDATE ai_runs
   SET status = $2, output = $3, error = $4, finished_at = $5
 WHERE id = $1 AND ($6::uuid IS NULL OR account_id = $6::uuid)
   AND status IN ('queued', 'running')

-- name: RunSetJob
UPDATE ai_runs SET job_id = $2 WHERE id = $1

-- Before a model step is called: the run's status, and the step if it was recorded (a
-- consumer asking again after a crash gets its answer back). One round trip.
-- name: RunStepOpen
SELECT r.status, s.kind, s.answer
  FROM ai_runs r
  LEFT JOIN ai_run_steps s ON s.run_id = r.id AND s.n = $3
 WHERE r.id = $1 AND r.account_id = $2

-- A recorded step's chat answer, replayed when a consumer asks for the same step again.
-- name: RunStepAnswer
SELECT kind, answer FROM ai_run_steps WHERE run_id = $1 AND n = $2

-- name: RunStepInsert
INSERT INTO ai_run_steps (run_id, n, kind, tool, tool_call_id, arguments, result, answer,
                          input_tokens, output_tokens, cached_input_tokens, cost_pusd,
                          latency_ms, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (run_id, n) DO NOTHING

-- The text the knowledge ingestion read from one of the account's files, newest first.
-- name: FileKnowledgeText
SELECT body FROM knowledge_documents
 WHERE account_id = $1 AND file_id = $2 AND body IS NOT NULL
 ORDER BY updated_at DESC
 LIMIT 1

-- A model step and its call's ledger row in one statement: the ledger row is written only if
-- the step was (a step recorded meanwhile writes neither), so a step is booked once. The
-- parameters are cast because an INSERT ... SELECT does not type them from its columns.
-- name: RunStepBook
WITH step AS (
    INSERT INTO ai_run_steps (run_id, n, kind, result, answer, input_tokens, output_tokens,
                              cached_input_tokens, cost_pusd, latency_ms, created_at)
    VALUES ($1, $2, 'llm', $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (run_id, n) DO NOTHING
    RETURNING run_id, n)
INSERT INTO ai_requests (id, call_id, account_id, user_id, job_id, api_key_id, endpoint,
                         requested_model, provider_id, served_model, attempt, status,
                         http_status, error, stream, input_tokens, output_tokens,
                         cached_input_tokens, cost_pusd, latency_ms, ttft_ms, memory_chunks,
                         created_at, memory_chunk_ids, run_id, run_step)
SELECT $11::uuid, $12::uuid, $13::uuid, $14::uuid, $15::uuid, $16::uuid, $17::text, $18::text,
       $19::uuid, $20::text, $21::int4, $22::text, $23::int4, $24::text, $25::bool, $26::int8,
       $27::int8, $28::int8, $29::int8, $30::int4, $31::int4, $32::int4, $33::timestamptz,
       $34::jsonb, step.run_id, step.n
  FROM step
