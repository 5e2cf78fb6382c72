-- name: AccountGet
SELECT id, name, created_at AT TIME ZONE 'UTC' AS created_at FROM accounts WHERE id = $1

-- name: AccountInsert
INSERT INTO accounts (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)

-- Serializes owner changes within one account, so two owners demoting each other at the same
-- moment cannot leave the account with none.
-- name: AccountLock
SELECT id FROM accounts WHERE id = $1 FOR UPDATE

-- name: AccountOwnerCount
SELECT count(*) AS owners
  FROM users u
  JOIN user_roles ur ON ur.user_id = u.id
  JOIN roles r ON r.id = ur.role_id
 WHERE u.account_id = $1 AND r.name = 'owner' AND u.deactivated_at IS NULL
