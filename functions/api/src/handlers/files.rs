//! `/api/v1/files/...`.

use shared::pagination::PageRequest;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::files;
use crate::store::files::ListFilter;

pub async fn upload(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let file = files::upload::upload(ctx).await?;
    Ok(Reply::created(&file)?.into())
}

pub async fn list(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let q = |name: &str| ctx.req.query_param(name).filter(|v| !v.is_empty());
    let page =
        PageRequest::parse(q("page").as_deref(), q("per_page").as_deref()).map_err(|field| {
            ApiError::bad_request(format!("`{field}` must be a whole number in range"))
        })?;
    let include_deleted = match q("include_deleted").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "`include_deleted` must be true or false",
            ));
        }
    };
    let filter = ListFilter {
        category: q("category"),
        tag: q("tag").map(|t| t.trim().to_lowercase()),
        q: q("q"),
        content_type: q("content_type"),
        include_deleted,
    };
    let (list, pagination) = files::list(ctx, page, filter).await?;
    Ok(Reply::ok(&list)?
        .meta(serde_json::json!({ "pagination": pagination }))
        .into())
}

pub async fn get(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&files::get(ctx, id).await?)?.into())
}

pub async fn download(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    files::download::download(ctx, id, None).await
}
