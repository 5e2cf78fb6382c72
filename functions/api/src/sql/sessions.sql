-- name: RefreshTokenGetByHash
SELECT t.id, t.session_id, t.expires_at AT TIME ZONE 'UTC' AS expires_at,
       t.used_at AT TIME ZONE 'UTC' AS used_at, s.revoked_at AT TIME ZONE 'UTC' AS revoked_at,
       s.user_id, u.account_id, u.deactivated_at AT TIME ZONE 'UTC' AS deactivated_at
  FROM refresh_tokens t
  JOIN sessions s ON s.id = t.session_id
  JOIN users u ON u.id = s.user_id
 WHERE t.token_hash = $1

-- name: RefreshTokenInsert
INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5)

-- Rotation is a compare-and-set on used_at: of two concurrent uses of one token, exactly one
-- updates a row; the other sees 0 rows and is treated as reuse.
-- name: RefreshTokenRotate
UPDATE refresh_tokens SET used_at = $2, replaced_by = $3 WHERE id = $1 AND used_at IS NULL

-- name: SessionInsert
INSERT INTO sessions (id, user_id, ip, user_agent, created_at) VALUES ($1, $2, $3, $4, $5)

-- name: SessionRevoke
UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL

-- name: SessionRevokeAllForUser
UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL
