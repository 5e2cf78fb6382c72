-- name: SchemaMigrationsCreate
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)

-- Held for the whole migrating transaction, so hosts starting together migrate one at a time.
-- name: SchemaMigrationsLock
SELECT true AS locked FROM pg_advisory_xact_lock(7035840371)

-- name: SchemaMigrationGet
SELECT checksum FROM schema_migrations WHERE version = $1

-- name: SchemaMigrationInsert
INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)
