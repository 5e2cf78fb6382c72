//! Tags: names trimmed and lower-cased, 1 to 64 characters, unique per account.

use shared::api::files::{AddTagsRequest, File, Tag};
use uuid::Uuid;

use super::view;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::service::validate::Checks;
use crate::store;

/// Most tags one request adds.
const MAX_TAGS: usize = 50;

/// Normalizes tag names; `None` (with the field failed) when one is unusable.
pub fn normalize(checks: &mut Checks, field: &str, names: &[String]) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let name = name.trim().to_lowercase();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            checks.fail(field, "each tag must be 1 to 64 characters");
            return None;
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.len() > MAX_TAGS {
        checks.fail(field, format!("at most {MAX_TAGS} tags"));
        return None;
    }
    Some(out)
}

/// Tags a file.
pub async fn add(ctx: &Ctx<'_>, id: Uuid, req: AddTagsRequest) -> ApiResult<File> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut checks = Checks::new();
    let names = match req.tags.as_deref() {
        Some(list) if !list.is_empty() => normalize(&mut checks, "tags", list),
        _ => {
            checks.fail("tags", "a list of one or more names is required");
            None
        }
    };
    checks.finish()?;
    let names = names.unwrap_or_default();
    let tx = api.db().begin().await?;
    store::files::get(&*tx, account, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    let now = api.now();
    store::files::add_tags(&*tx, account, id, &names, || api.new_id(), now).await?;
    let file = store::files::get(&*tx, account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    tx.commit().await?;
    Ok(view(&file))
}

/// Untags a file (404 when it did not carry the tag).
pub async fn remove(ctx: &Ctx<'_>, id: Uuid, tag: &str) -> ApiResult<File> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let name = tag.trim().to_lowercase();
    let tx = api.db().begin().await?;
    store::files::get(&*tx, account, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    if !store::files::remove_tag(&*tx, account, id, &name).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("tag"));
    }
    let file = store::files::get(&*tx, account, id)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    tx.commit().await?;
    Ok(view(&file))
}

/// The account's tags on live files, with counts.
pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Vec<Tag>> {
    let account = ctx.user()?.account_id;
    Ok(store::files::tags(ctx.api.db(), account)
        .await?
        .into_iter()
        .map(|(name, file_count)| Tag { name, file_count })
        .collect())
}
