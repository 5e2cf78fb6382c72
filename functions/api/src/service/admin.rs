//! Platform bootstrap: the built-in roles and permissions, and the platform admin seeded from
//! configuration (`POWERNODE_ADMIN_EMAIL`, `POWERNODE_ADMIN_PASSWORD`).

use shared::{Permission, Role};

use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::service::validate::Checks;
use crate::store::{self, users::NewUser};

/// Makes the database's permissions and built-in roles match the code's lists.
pub async fn sync_roles(api: &Api) -> ApiResult<()> {
    let tx = api.db().begin().await?;
    for p in Permission::ALL {
        store::roles::upsert_permission(&*tx, api.new_id(), p.as_str(), p.description()).await?;
    }
    for role in Role::ALL {
        let names = role
            .permissions()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect();
        store::roles::upsert_role(&*tx, api.new_id(), *role, names).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What `ensure_platform_admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSeed {
    /// A new admin user (and their own account) was created.
    Created,
    /// The user existed; the platform-admin role is ensured, the password left as it was.
    AlreadyPresent,
}

/// Creates the platform admin if absent. An existing user keeps their password (an operator
/// may have changed it) and is given the platform-admin role.
pub async fn ensure_platform_admin(
    api: &Api,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> ApiResult<AdminSeed> {
    let mut checks = Checks::new();
    let email = checks.email("email", &Some(email.to_string()));
    let password = checks.password("password", &Some(password.to_string()));
    checks.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::internal("validation passed without values"));
    };
    let now = api.now();
    if let Some((user, _)) = store::users::id_by_email(api.db(), &email).await? {
        store::roles::grant(api.db(), user, Role::PlatformAdmin, now).await?;
        return Ok(AdminSeed::AlreadyPresent);
    }
    let hash = api.ports().passwords.hash(password, api.random()).await?;
    let (account, user) = (api.new_id(), api.new_id());
    let tx = api.db().begin().await?;
    store::accounts::insert(&*tx, account, "Platform administration", now).await?;
    store::users::insert(
        &*tx,
        NewUser {
            id: user,
            account_id: account,
            email: &email,
            name,
            password_hash: &hash,
        },
        now,
    )
    .await?;
    store::roles::grant(&*tx, user, Role::Owner, now).await?;
    store::roles::grant(&*tx, user, Role::PlatformAdmin, now).await?;
    tx.commit().await?;
    Ok(AdminSeed::Created)
}
