//! Reports over the ledger: `GET /api/v1/ai/usage` (grouped totals) and `GET
//! /api/v1/ai/requests` (the rows, newest first).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use shared::api::ai::{LedgerRow, TokenUsage, UsageRow};
use shared::pagination::{PageRequest, Pagination};

use super::budget::month_start;
use super::money::pusd_to_usd;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::store;

/// The ledger statuses a filter may name.
const STATUSES: &[&str] = &["ok", "failed", "rejected", "cut"];

/// `from`/`to` as a date (`YYYY-MM-DD`, a whole UTC day) or an RFC 3339 instant.
fn instant(field: &str, raw: &str, end_of_day: bool) -> ApiResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(format!(
            "`{field}` must be a date (YYYY-MM-DD) or an RFC 3339 time"
        ))
    })?;
    let day = if end_of_day {
        day + Duration::days(1)
    } else {
        day
    };
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Usage grouped by `day`, `provider` or `model` between `from` and `to` (default: this
/// month), with totals.
pub async fn usage(
    ctx: &Ctx<'_>,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
) -> ApiResult<(Vec<UsageRow>, UsageRow)> {
    let account = ctx.user()?.account_id;
    let now = ctx.api.now();
    let from = match from.filter(|s| !s.is_empty()) {
        Some(f) => instant("from", f, false)?,
        None => month_start(now),
    };
    let to = match to.filter(|s| !s.is_empty()) {
        Some(t) => instant("to", t, true)?,
        None => now + Duration::seconds(1),
    };
    if to <= from {
        return Err(ApiError::bad_request("`to` must be after `from`"));
    }
    let group = match group_by.filter(|s| !s.is_empty()).unwrap_or("day") {
        g @ ("day" | "provider" | "model") => g,
        _ => {
            return Err(ApiError::bad_request(
                "`group_by` must be day, provider or model",
            ));
        }
    };
    let groups = store::ai::usage(ctx.api.db(), account, from, to, group).await?;
    let mut total = UsageRow {
        key: "total".into(),
        requests: 0,
        errors: 0,
        input_tokens: 0,
        output_tokens: 0,
        cached_input_tokens: 0,
        cost_usd: 0.0,
    };
    let mut total_pusd = 0i64;
    let rows = groups
        .into_iter()
        .map(|g| {
            total.requests += g.requests;
            total.errors += g.errors;
            total.input_tokens += g.input_tokens;
            total.output_tokens += g.output_tokens;
            total.cached_input_tokens += g.cached_input_tokens;
            total_pusd += g.cost_pusd;
            UsageRow {
                key: g.key,
                requests: g.requests,
                errors: g.errors,
                input_tokens: g.input_tokens,
                output_tokens: g.output_tokens,
                cached_input_tokens: g.cached_input_tokens,
                cost_usd: pusd_to_usd(g.cost_pusd),
            }
        })
        .collect();
    total.cost_usd = pusd_to_usd(total_pusd);
    Ok((rows, total))
}

/// A page of the ledger, newest first, filtered by status and requested model.
pub async fn requests(
    ctx: &Ctx<'_>,
    status: Option<&str>,
    model: Option<&str>,
    page: PageRequest,
) -> ApiResult<(Vec<LedgerRow>, Pagination)> {
    let account = ctx.user()?.account_id;
    let status = status.filter(|s| !s.is_empty());
    if status.is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(ApiError::bad_request(
            "`status` must be one of ok, failed, rejected, cut",
        ));
    }
    let model = model.filter(|s| !s.is_empty());
    let (rows, total) = store::ai::list_requests(
        ctx.api.db(),
        account,
        status,
        model,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    let list = rows
        .into_iter()
        .map(|e| LedgerRow {
            id: e.id,
            call_id: e.call_id,
            user_id: e.user_id,
            job_id: e.job_id,
            api_key_id: e.api_key_id,
            endpoint: e.endpoint.into(),
            requested_model: e.requested_model,
            provider_id: e.provider_id,
            served_model: e.served_model,
            attempt: e.attempt,
            status: e.status.into(),
            http_status: e.http_status,
            error: e.error,
            stream: e.stream,
            usage: TokenUsage {
                input_tokens: e.input_tokens,
                output_tokens: e.output_tokens,
                cached_input_tokens: e.cached_input_tokens,
                total_tokens: e.input_tokens + e.output_tokens,
            },
            cost_usd: pusd_to_usd(e.cost_pusd),
            latency_ms: e.latency_ms,
            ttft_ms: e.ttft_ms,
            memory_chunks: e.memory_chunks,
            memory_chunk_ids: e
                .memory_chunk_ids
                .and_then(|ids| serde_json::from_value(ids).ok()),
            run_id: e.run_step.map(|(run, _)| run),
            run_step: e.run_step.map(|(_, n)| n),
            created_at: e.created_at,
        })
        .collect();
    Ok((list, page.meta(u64::try_from(total).unwrap_or(0))))
}
