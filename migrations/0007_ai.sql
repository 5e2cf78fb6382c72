-- The LLM proxy: an account's AI providers with their models and price history, its API keys
-- for the OpenAI-compatible surface, its monthly budget, and the ledger of every attempt.
--
-- Money is integer: prices are micro-USD per million tokens (0.15 $/Mtok = 150000), so a cost
-- is tokens x price in pico-USD, exact; budgets are nano-USD. Spin's Postgres host cannot decode
-- numeric, and sums of bigint are cast back to bigint where they are read.

CREATE TABLE ai_providers (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind            text NOT NULL CHECK (kind IN ('openai', 'anthropic')),
    base_url        text NOT NULL CHECK (length(base_url) BETWEEN 1 AND 2048),
    -- "encrypted:<base64url nonce+ciphertext>" (AES-256-GCM under POWERNODE_ENCRYPTION_KEY,
    -- bound to this provider's id); NULL for a server that takes no key (a local llama.cpp).
    api_key_sealed  text CHECK (api_key_sealed LIKE 'encrypted:%'),
    -- [{name, kind, input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok?,
    --   context_window?}] as the API shows them; prices also go to ai_model_prices.
    models          jsonb NOT NULL,
    weight          integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
    priority        integer NOT NULL DEFAULT 0,
    rpm_limit       integer CHECK (rpm_limit > 0),
    tpm_limit       integer CHECK (tpm_limit > 0),
    -- {connect_ms, first_token_ms, idle_ms, total_ms}: overrides of the proxy's defaults.
    timeouts        jsonb NOT NULL DEFAULT '{}',
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT ai_providers_account_name_key UNIQUE (account_id, name)
);
CREATE INDEX ai_providers_account_idx ON ai_providers (account_id, priority, created_at);

-- Every price a model of a provider ever had, from when it applied. A ledger row keeps the cost
-- it was charged; this is the record of why.
CREATE TABLE ai_model_prices (
    provider_id        uuid NOT NULL REFERENCES ai_providers (id) ON DELETE CASCADE,
    model              text NOT NULL,
    input_micro        bigint NOT NULL CHECK (input_micro >= 0),
    output_micro       bigint NOT NULL CHECK (output_micro >= 0),
    cached_input_micro bigint CHECK (cached_input_micro >= 0),
    effective_from     timestamptz NOT NULL,
    PRIMARY KEY (provider_id, model, effective_from)
);

-- Keys for /v1/*: "pn_" + 43 base64url characters, shown once; stored as SHA-256 hex.
CREATE TABLE ai_api_keys (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The first characters, so a user can tell keys apart.
    prefix        text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE INDEX ai_api_keys_account_idx ON ai_api_keys (account_id, created_at);

CREATE TABLE ai_budgets (
    account_id    uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    monthly_nusd  bigint NOT NULL CHECK (monthly_nusd >= 0),
    updated_at    timestamptz NOT NULL
);

-- The ledger: one row per attempt of every call, failed ones too. status: ok (answered),
-- failed (this attempt failed; another may have answered), rejected (the provider refused the
-- request itself), cut (failed after the first chunk reached the client).
CREATE TABLE ai_requests (
    id                   uuid PRIMARY KEY,
    call_id              uuid NOT NULL,
    account_id           uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id              uuid,
    job_id               uuid,
    api_key_id           uuid,
    endpoint             text NOT NULL CHECK (endpoint IN ('chat', 'embeddings')),
    requested_model      text NOT NULL,
    provider_id          uuid,
    served_model         text,
    attempt              integer NOT NULL,
    status               text NOT NULL CHECK (status IN ('ok', 'failed', 'rejected', 'cut')),
    http_status          integer,
    error                text,
    stream               boolean NOT NULL,
    input_tokens         bigint NOT NULL DEFAULT 0,
    output_tokens        bigint NOT NULL DEFAULT 0,
    cached_input_tokens  bigint NOT NULL DEFAULT 0,
    cost_pusd            bigint NOT NULL DEFAULT 0,
    latency_ms           integer NOT NULL,
    ttft_ms              integer,
    memory_chunks        integer NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL
);
CREATE INDEX ai_requests_account_created_idx ON ai_requests (account_id, created_at DESC, id DESC);
