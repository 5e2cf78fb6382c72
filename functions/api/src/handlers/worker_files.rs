//! `/api/v1/worker/files/...`: what the media runner does to a file (service token only).

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Outcome, Reply};
use crate::service::files::derivatives::{self, Derivative};
use crate::service::files::processing;

use super::files::version_param;

pub async fn file(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&processing::file(ctx, id).await?)?.into())
}

pub async fn content(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let version = match ctx.req.query_param("version") {
        None => None,
        Some(v) => Some(
            v.parse::<i32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| ApiError::not_found("version"))?,
        ),
    };
    processing::content(ctx, id, version).await
}

pub async fn put_thumbnail(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let version = version_param(ctx)?;
    let which = ctx
        .param("size")
        .and_then(Derivative::thumbnail)
        .ok_or_else(|| ApiError::not_found("thumbnail size (150, 300 or 600)"))?;
    derivatives::put(ctx, id, version, which).await?;
    Ok(Reply::ok(&processing::file(ctx, id).await?)?.into())
}

pub async fn put_poster(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let version = version_param(ctx)?;
    derivatives::put(ctx, id, version, Derivative::Poster).await?;
    Ok(Reply::ok(&processing::file(ctx, id).await?)?.into())
}

pub async fn merge_metadata(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    Ok(Reply::ok(&processing::merge_metadata(ctx, id, ctx.req.json()?).await?)?.into())
}

pub async fn report(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let id = ctx.param_id("id", "file")?;
    let job = ctx.param_id("job_id", "processing job")?;
    Ok(Reply::ok(&processing::report(ctx, id, job, ctx.req.json()?).await?)?.into())
}
