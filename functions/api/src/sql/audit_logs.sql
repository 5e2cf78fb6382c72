-- name: AuditLogInsert
INSERT INTO audit_logs (id, account_id, actor_user_id, action, target_type, target_id, ip, details, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
