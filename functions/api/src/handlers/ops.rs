//! `/health`, `/ready`, `/metrics`, `/api/v1/openapi.json`.

use bytes::Bytes;
use http::StatusCode;
use shared::api::ops::{DependencyCheck, Health};

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, UNAVAILABLE_RETRY_AFTER};
use crate::http::{Outcome, Reply};

pub async fn health(_ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    Ok(Reply::ok(&Health {
        status: "ok".into(),
        checks: Vec::new(),
    })?
    .into())
}

pub async fn ready(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let api = ctx.api;
    let started = api.now();
    let db_ok = api
        .db()
        .query(crate::store::sql::DATABASE_PING, &[])
        .await
        .map_err(|e| tracing::warn!(error = %e, "readiness: postgres"))
        .is_ok();
    let db_ms = elapsed_ms(api, started);
    let started = api.now();
    let cache_ok = api
        .ports()
        .cache
        .ping()
        .await
        .map_err(|e| tracing::warn!(error = %e, "readiness: redis"))
        .is_ok();
    let cache_ms = elapsed_ms(api, started);
    let checks = vec![
        DependencyCheck {
            name: "postgres".into(),
            ok: db_ok,
            latency_ms: db_ok.then_some(db_ms),
        },
        DependencyCheck {
            name: "redis".into(),
            ok: cache_ok,
            latency_ms: cache_ok.then_some(cache_ms),
        },
    ];
    if db_ok && cache_ok {
        return Ok(Reply::ok(&Health {
            status: "ok".into(),
            checks,
        })?
        .into());
    }
    let down: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    let mut e = ApiError::new(
        shared::ErrorCode::Unavailable,
        format!("not ready: {} unreachable", down.join(" and ")),
    );
    e.retry_after = Some(UNAVAILABLE_RETRY_AFTER);
    Err(e)
}

pub async fn metrics(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    // Queue depth is read at scrape time; if the database is down the scrape still answers with
    // the in-process counters (and /ready says what is wrong).
    let depth = crate::queue::admin::depth(ctx.api)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "metrics: queue depth unavailable");
            Vec::new()
        });
    Ok(Outcome::Raw {
        status: StatusCode::OK,
        content_type: "text/plain; version=0.0.4; charset=utf-8",
        body: Bytes::from(ctx.api.metrics().render_with(&depth)),
    })
}

pub async fn openapi(ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    let body = ctx.api.openapi_json()?;
    Ok(Outcome::Raw {
        status: StatusCode::OK,
        content_type: "application/json",
        body,
    })
}

fn elapsed_ms(api: &crate::Api, since: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from((api.now() - since).num_milliseconds()).unwrap_or(0)
}
