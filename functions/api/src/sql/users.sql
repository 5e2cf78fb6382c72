-- name: UserCountByAccount
SELECT count(*) AS total FROM users WHERE account_id = $1

-- name: UserDeactivate
UPDATE users SET deactivated_at = $2, updated_at = $2 WHERE id = $1 AND deactivated_at IS NULL

-- name: UserGetForLogin
SELECT id, account_id, password_hash,
       deactivated_at AT TIME ZONE 'UTC' AS deactivated_at
  FROM users WHERE email = $1

-- name: UserIdByEmail
SELECT id, account_id FROM users WHERE email = $1

-- name: UserInsert
INSERT INTO users (id, account_id, email, name, password_hash, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)

-- name: UserProfileGet
SELECT id, account_id, email, name, deactivated_at AT TIME ZONE 'UTC' AS deactivated_at,
       created_at AT TIME ZONE 'UTC' AS created_at, roles, permissions
  FROM user_profiles WHERE id = $1 AND account_id = $2

-- name: UserProfileList
SELECT id, account_id, email, name, deactivated_at AT TIME ZONE 'UTC' AS deactivated_at,
       created_at AT TIME ZONE 'UTC' AS created_at, roles, permissions
  FROM user_profiles WHERE account_id = $1
 ORDER BY created_at, id
 LIMIT $2 OFFSET $3

-- The per-request check behind every user token: the user is active and the session that
-- issued the token is not revoked.
-- name: UserPrincipalGet
SELECT p.id, p.account_id, p.email, p.name, p.roles, p.permissions
  FROM user_profiles p
  JOIN sessions s ON s.user_id = p.id
 WHERE p.id = $1 AND s.id = $2 AND s.revoked_at IS NULL AND p.deactivated_at IS NULL

-- name: UserRecordLogin
UPDATE users SET last_login_at = $2 WHERE id = $1

-- name: UserUpdateName
UPDATE users SET name = $2, updated_at = $3 WHERE id = $1
