-- name: PermissionUpsert
INSERT INTO permissions (id, name, description) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description

-- name: RolePermissionsGrant
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p WHERE r.name = $1 AND p.name = ANY($2)
ON CONFLICT DO NOTHING

-- Drops grants a built-in role no longer has in the code's list.
-- name: RolePermissionsPrune
DELETE FROM role_permissions
 WHERE role_id = (SELECT id FROM roles WHERE name = $1)
   AND permission_id NOT IN (SELECT id FROM permissions WHERE name = ANY($2))

-- name: RoleUpsert
INSERT INTO roles (id, name, description, built_in) VALUES ($1, $2, $3, true)
ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, built_in = true

-- name: UserRoleGrant
INSERT INTO user_roles (user_id, role_id, created_at)
SELECT $1, id, $3 FROM roles WHERE name = $2
ON CONFLICT DO NOTHING

-- name: UserRolesRevoke
DELETE FROM user_roles WHERE user_id = $1 AND role_id IN (SELECT id FROM roles WHERE name = ANY($2))
