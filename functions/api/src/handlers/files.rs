//! `/api/v1/files/...`.

use shared::pagination::PageRequest;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::files;
use crate::service::files::derivatives::Derivative;
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

pub async fn update(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let file = files::manage::update(ctx, id, ctx.req.json()?).await?;
    Ok(Reply::ok(&file)?.into())
}

pub async fn delete(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let permanent = match ctx.req.query_param("permanent").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad_request("`permanent` must be true or false")),
    };
    Ok(Reply::ok(&files::manage::delete(ctx, id, permanent).await?)?.into())
}

pub async fn restore(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&files::manage::restore(ctx, id).await?)?.into())
}

pub async fn reprocess(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let jobs = files::manage::reprocess(ctx, id).await?;
    Ok(Reply::with_status(http::StatusCode::ACCEPTED, &jobs)?.into())
}

pub async fn processing_jobs(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&files::manage::processing_jobs(ctx, id).await?)?.into())
}

pub async fn add_tags(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&files::tags::add(ctx, id, ctx.req.json()?).await?)?.into())
}

pub async fn remove_tag(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    // Path segments arrive percent-encoded (a tag may hold spaces or non-ASCII letters).
    let tag = ctx
        .param("tag")
        .and_then(|t| percent_encoding::percent_decode_str(t).decode_utf8().ok())
        .ok_or_else(|| ApiError::not_found("tag"))?;
    Ok(Reply::ok(&files::tags::remove(ctx, id, &tag).await?)?.into())
}

pub async fn tags(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&files::tags::list(ctx).await?)?.into())
}

/// The `{n}` of a version route; anything but a positive number is no such version.
pub(crate) fn version_param(ctx: &Ctx<'_>) -> ApiResult<i32> {
    ctx.param("n")
        .and_then(|n| n.parse::<i32>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::not_found("version"))
}

pub async fn create_version(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::created(&files::versions::create(ctx, id).await?)?.into())
}

pub async fn versions(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&files::versions::list(ctx, id).await?)?.into())
}

pub async fn download_version(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let n = version_param(ctx)?;
    files::download::download(ctx, id, Some(n)).await
}

pub async fn restore_version(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let n = version_param(ctx)?;
    Ok(Reply::created(&files::versions::restore(ctx, id, n).await?)?.into())
}

pub async fn signed_url(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let expires_in = match ctx.req.query_param("expires_in") {
        None => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            ApiError::invalid_field("expires_in", "must be a whole number of seconds")
        })?),
    };
    Ok(Reply::ok(&files::signed::issue(ctx, id, expires_in).await?)?.into())
}

pub async fn signed_content(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    // A malformed id is as forbidden as a wrong signature: the link was altered.
    let id = ctx.param_id("id", "file").map_err(|_| {
        ApiError::new(
            shared::ErrorCode::Forbidden,
            "the link is invalid or has expired",
        )
    })?;
    files::signed::serve(ctx, id).await
}

pub async fn create_share(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::created(&files::shares::create(ctx, id, ctx.req.json()?).await?)?.into())
}

pub async fn shares(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&files::shares::list(ctx, id).await?)?.into())
}

pub async fn revoke_share(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "share")?;
    files::shares::revoke(ctx, id).await?;
    Ok(Reply::ok(&serde_json::json!({ "revoked": true }))?.into())
}

pub async fn share_download(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let token = ctx
        .param("token")
        .ok_or_else(|| ApiError::not_found("share"))?;
    files::shares::download(ctx, token).await
}

pub async fn thumbnail(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let which = ctx
        .param("size")
        .and_then(Derivative::thumbnail)
        .ok_or_else(|| ApiError::not_found("thumbnail size (150, 300 or 600)"))?;
    files::derivatives::serve(ctx, id, which).await
}

pub async fn poster(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    files::derivatives::serve(ctx, id, Derivative::Poster).await
}

pub async fn create_upload(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::created(&files::direct::create(ctx, ctx.req.json()?).await?)?.into())
}

pub async fn upload_content(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    // A malformed id is as forbidden as a wrong signature: the link was altered.
    let id = ctx.param_id("id", "upload").map_err(|_| {
        ApiError::new(
            shared::ErrorCode::Forbidden,
            "the upload link is invalid or has expired",
        )
    })?;
    Ok(Reply::ok(&files::direct::receive(ctx, id).await?)?.into())
}

pub async fn complete_upload(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "upload")?;
    Ok(Reply::created(&files::direct::complete(ctx, id).await?)?.into())
}
