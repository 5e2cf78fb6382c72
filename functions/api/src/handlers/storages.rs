//! `/api/v1/storages/...`.

use crate::context::Ctx;
use crate::error::ApiResult;
use crate::http::{Outcome, Reply};
use crate::service::storages;

pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&storages::list(ctx).await?)?.into())
}

pub async fn create(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let storage = storages::create(ctx, ctx.req.json()?).await?;
    Ok(Reply::created(&storage)?.into())
}

pub async fn update(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "storage")?;
    let storage = storages::update(ctx, id, ctx.req.json()?).await?;
    Ok(Reply::ok(&storage)?.into())
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "storage")?;
    Ok(Reply::ok(&storages::delete(ctx, id).await?)?.into())
}

pub async fn test(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "storage")?;
    Ok(Reply::ok(&storages::test(ctx, id).await?)?.into())
}
