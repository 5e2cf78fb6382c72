-- The LLM proxy's data: providers, price history, API keys, budgets and the ledger
-- (migrations/0007_ai.sql). Every query is scoped to an account.

-- name: AiProviderList
SELECT id, account_id, name, kind, base_url, api_key_sealed, models, weight, priority,
       rpm_limit, tpm_limit, timeouts, enabled,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at
  FROM ai_providers WHERE account_id = $1
 ORDER BY priority, created_at, id

-- name: AiProviderGet
SELECT id, account_id, name, kind, base_url, api_key_sealed, models, weight, priority,
       rpm_limit, tpm_limit, timeouts, enabled,
       created_at AT TIME ZONE 'UTC' AS created_at, updated_at AT TIME ZONE 'UTC' AS updated_at
  FROM ai_providers WHERE id = $1 AND account_id = $2

-- name: AiProviderInsert
INSERT INTO ai_providers (id, account_id, name, kind, base_url, api_key_sealed, models, weight,
                          priority, rpm_limit, tpm_limit, timeouts, enabled, created_at,
                          updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)

-- name: AiProviderUpdate
UPDATE ai_providers
   SET name = $3, base_url = $4, api_key_sealed = $5, models = $6, weight = $7, priority = $8,
       rpm_limit = $9, tpm_limit = $10, timeouts = $11, enabled = $12, updated_at = $13
 WHERE id = $1 AND account_id = $2

-- name: AiProviderDelete
DELETE FROM ai_providers WHERE id = $1 AND account_id = $2

-- A model's prices from `$6` on; a price that did not change adds no row.
-- name: AiModelPriceInsert
INSERT INTO ai_model_prices (provider_id, model, input_micro, output_micro, cached_input_micro,
                             effective_from)
SELECT $1, $2, $3, $4, $5, $6
 WHERE NOT EXISTS (
       SELECT 1 FROM ai_model_prices p
        WHERE p.provider_id = $1 AND p.model = $2
          AND p.effective_from = (SELECT max(effective_from) FROM ai_model_prices q
                                   WHERE q.provider_id = $1 AND q.model = $2)
          AND p.input_micro = $3 AND p.output_micro = $4
          AND p.cached_input_micro IS NOT DISTINCT FROM $5::bigint)

-- name: AiKeyInsert
INSERT INTO ai_api_keys (id, account_id, name, prefix, key_hash, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)

-- name: AiKeyList
SELECT id, name, prefix, created_at AT TIME ZONE 'UTC' AS created_at,
       last_used_at AT TIME ZONE 'UTC' AS last_used_at
  FROM ai_api_keys WHERE account_id = $1
 ORDER BY created_at, id

-- name: AiKeyDelete
DELETE FROM ai_api_keys WHERE id = $1 AND account_id = $2
RETURNING id, name, prefix, created_at AT TIME ZONE 'UTC' AS created_at,
          last_used_at AT TIME ZONE 'UTC' AS last_used_at

-- The key a `/v1` caller holds.
-- name: AiKeyByHash
SELECT id, account_id FROM ai_api_keys WHERE key_hash = $1

-- Marks a key used, at most once a minute (a write per call would cost every call).
-- name: AiKeyTouch
UPDATE ai_api_keys SET last_used_at = $2
 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')

-- name: AiBudgetGet
SELECT monthly_nusd FROM ai_budgets WHERE account_id = $1

-- name: AiBudgetUpsert
INSERT INTO ai_budgets (account_id, monthly_nusd, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (account_id) DO UPDATE SET monthly_nusd = $2, updated_at = $3

-- name: AiBudgetDelete
DELETE FROM ai_budgets WHERE account_id = $1

-- What the account spent since `$2` (the month's start), in pico-USD.
-- name: AiSpentSince
SELECT COALESCE(sum(cost_pusd), 0)::bigint AS spent_pusd
  FROM ai_requests WHERE account_id = $1 AND created_at >= $2

-- name: AiLedgerInsert
INSERT INTO ai_requests (id, call_id, account_id, user_id, job_id, api_key_id, endpoint,
                         requested_model, provider_id, served_model, attempt, status,
                         http_status, error, stream, input_tokens, output_tokens,
                         cached_input_tokens, cost_pusd, latency_ms, ttft_ms, memory_chunks,
                         created_at, memory_chunk_ids, run_id, run_step)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25, $26)

-- $4: day | provider | model.
-- name: AiUsage
SELECT CASE $4::text
         WHEN 'day' THEN to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
         WHEN 'provider' THEN COALESCE(provider_id::text, '')
         ELSE requested_model END AS key,
       count(*) AS requests,
       count(*) FILTER (WHERE status <> 'ok') AS errors,
       COALESCE(sum(input_tokens), 0)::bigint AS input_tokens,
       COALESCE(sum(output_tokens), 0)::bigint AS output_tokens,
       COALESCE(sum(cached_input_tokens), 0)::bigint AS cached_input_tokens,
       COALESCE(sum(cost_pusd), 0)::bigint AS cost_pusd
  FROM ai_requests
 WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
 GROUP BY 1
 ORDER BY 1

-- name: AiRequestList
SELECT id, call_id, user_id, job_id, api_key_id, endpoint, requested_model, provider_id,
       served_model, attempt, status, http_status, error, stream, input_tokens, output_tokens,
       cached_input_tokens, cost_pusd, latency_ms, ttft_ms, memory_chunks, memory_chunk_ids,
       run_id, run_step,
       created_at AT TIME ZONE 'UTC' AS created_at
  FROM ai_requests
 WHERE account_id = $1
   AND ($2::text IS NULL OR status = $2::text)
   AND ($3::text IS NULL OR requested_model = $3::text)
 ORDER BY created_at DESC, id DESC
 LIMIT $4 OFFSET $5

-- name: AiRequestListCount
SELECT count(*) AS total
  FROM ai_requests
 WHERE account_id = $1
   AND ($2::text IS NULL OR status = $2::text)
   AND ($3::text IS NULL OR requested_model = $3::text)
