//! `/api/v1/auth/...`.

use crate::context::Ctx;
use crate::error::ApiResult;
use crate::http::{Outcome, Reply};
use crate::service::auth;

pub async fn register(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let body = auth::register(ctx, ctx.req.json()?).await?;
    Ok(Reply::created(&body)?.into())
}

pub async fn login(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let body = auth::login(ctx, ctx.req.json()?).await?;
    Ok(Reply::ok(&body)?.into())
}

pub async fn refresh(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let body = auth::refresh(ctx, ctx.req.json()?).await?;
    Ok(Reply::ok(&body)?.into())
}

pub async fn logout(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    auth::logout(ctx).await?;
    Ok(Reply::ok(&())?.into())
}

pub async fn me(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&auth::me(ctx)?)?.into())
}
