//! The audit log entry of an action the signed-in user took on one thing, written in the
//! caller's transaction so the entry and the change commit together.

use uuid::Uuid;

use crate::context::Ctx;
use crate::error::ApiResult;
use crate::ports::Conn;
use crate::store::{self, audit::AuditEntry};

/// Records `action` on `target_type` `target` by the signed-in user. `details` must never hold
/// a secret.
pub async fn by_user(
    ctx: &Ctx<'_>,
    c: &dyn Conn,
    action: &str,
    target_type: &str,
    target: Uuid,
    details: serde_json::Value,
) -> ApiResult<()> {
    let actor = ctx.user()?;
    store::audit::insert(
        c,
        AuditEntry {
            id: ctx.api.new_id(),
            account_id: Some(actor.account_id),
            actor_user_id: Some(actor.id),
            action,
            target_type: Some(target_type),
            target_id: Some(target),
            ip: ctx.client_ip(),
            details,
            at: ctx.api.now(),
        },
    )
    .await?;
    Ok(())
}
