//! `/api/v1/users/...`.

use shared::pagination::PageRequest;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::users;

pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let page = PageRequest::parse(
        ctx.req.query_param("page").as_deref(),
        ctx.req.query_param("per_page").as_deref(),
    )
    .map_err(|field| ApiError::bad_request(format!("`{field}` must be a whole number in range")))?;
    let (list, pagination) = users::list(ctx, page).await?;
    Ok(Reply::ok(&list)?
        .meta(serde_json::json!({ "pagination": pagination }))
        .into())
}

pub async fn create(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let user = users::create(ctx, ctx.req.json()?).await?;
    Ok(Reply::created(&user)?.into())
}

pub async fn update(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "user")?;
    let user = users::update(ctx, id, ctx.req.json()?).await?;
    Ok(Reply::ok(&user)?.into())
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "user")?;
    let user = users::deactivate(ctx, id).await?;
    Ok(Reply::ok(&user)?.into())
}
