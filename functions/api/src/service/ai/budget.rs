//! The monthly budget: `GET`/`PUT /api/v1/ai/budget`, and the reservation every proxy call
//! makes before it spends anything.
//!
//! The check is one Redis script per call: the month's spend plus what calls in flight hold
//! plus this call's reservation must stay within the budget, or the call is refused (402)
//! before a token is spent. When the call ends, its reservation becomes its real cost. Since
//! a call's reservation is its estimated input plus its whole `max_tokens`, concurrent calls
//! overshoot by at most one reservation. A reservation that is never settled (its instance
//! died, the client went away) expires after the call's total timeout.
//!
//! The month's spend is seeded from the ledger when Redis lacks it (first call of a month,
//! a flushed Redis), then kept by settlements.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use shared::api::ai::{Budget, BudgetRequest};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::{Cache, CacheError};
use crate::service::ai::money::{nusd_to_usd, pusd_to_nusd_ceil, usd_to_nusd};
use crate::store;

/// KEYS: spent (the month's, nano-USD), reservations by call (hash, with `_total`), their
/// expiries (sorted set). ARGV: now_ms, amount, limit, expires_ms, call id, seed (-1: none).
/// Returns `{ok, spent, reserved}`; `{-2}` when the month's spend must be seeded first.
const RESERVE: &str = r"
local now = tonumber(ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, id in ipairs(dead) do
  local held = tonumber(redis.call('HGET', KEYS[2], id) or '0')
  if held > 0 then redis.call('HINCRBY', KEYS[2], '_total', -held) end
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
local spent = redis.call('GET', KEYS[1])
if not spent then
  if tonumber(ARGV[6]) < 0 then return {-2} end
  redis.call('SET', KEYS[1], ARGV[6], 'EX', 3456000)
  spent = ARGV[6]
end
spent = tonumber(spent)
local reserved = tonumber(redis.call('HGET', KEYS[2], '_total') or '0')
local amount = tonumber(ARGV[2])
if spent + reserved + amount > tonumber(ARGV[3]) then return {0, spent, reserved} end
redis.call('HSET', KEYS[2], ARGV[5], amount)
redis.call('HINCRBY', KEYS[2], '_total', amount)
redis.call('ZADD', KEYS[3], tonumber(ARGV[4]), ARGV[5])
redis.call('EXPIRE', KEYS[2], 3456000)
redis.call('EXPIRE', KEYS[3], 3456000)
return {1, spent, reserved + amount}
";

/// KEYS as `RESERVE`. ARGV: call id, actual cost (nano-USD). Drops the reservation and adds
/// the cost to the month's spend (if Redis still has it; else the next seed reads the ledger).
const SETTLE: &str = r"
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held > 0 then redis.call('HINCRBY', KEYS[2], '_total', -held) end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], tonumber(ARGV[2])) end
return {held}
";

/// The first instant of `now`'s month (UTC).
pub fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

fn keys(account: Uuid, now: DateTime<Utc>) -> [String; 3] {
    let month = now.format("%Y%m");
    [
        format!("ai:spent:{account}:{month}"),
        format!("ai:resv:{account}:{month}"),
        format!("ai:resx:{account}:{month}"),
    ]
}

/// A reservation held for a call.
#[derive(Debug, Clone)]
pub struct Hold {
    account: Uuid,
    month_of: DateTime<Utc>,
    call: Uuid,
}

/// Reserves `amount_pusd` for `call` against `limit_nusd`. `Ok(None)` when the account has
/// no budget (nothing is held), `Err` 402 when it would pass it.
pub async fn reserve(
    api: &crate::Api,
    deps: &super::proxy::attempt::Deps,
    account: Uuid,
    call: Uuid,
    amount_pusd: i64,
    hold_ms: i64,
) -> ApiResult<Option<Hold>> {
    let budgets = &api.ai_cache().budgets;
    let now_ms = deps.now_ms();
    let limit = match budgets.get(&account, now_ms) {
        Some(limit) => limit,
        None => {
            let limit = store::ai::budget(&*deps.db, account).await?;
            budgets.put(account, limit, now_ms);
            limit
        }
    };
    let Some(limit) = limit else {
        return Ok(None);
    };
    let now = deps.clock.now();
    let keys = keys(account, now).to_vec();
    let amount = pusd_to_nusd_ceil(amount_pusd);
    let mut args = vec![
        now.timestamp_millis().to_string(),
        amount.to_string(),
        limit.to_string(),
        (now.timestamp_millis() + hold_ms).to_string(),
        call.to_string(),
        "-1".to_string(),
    ];
    let mut reply = deps
        .cache
        .eval_ints(RESERVE, &keys, &args)
        .await
        .map_err(cache_down)?;
    if reply.first() == Some(&-2) {
        let spent = store::ai::spent_since(&*deps.db, account, month_start(now)).await?;
        args[5] = pusd_to_nusd_ceil(spent).to_string();
        reply = deps
            .cache
            .eval_ints(RESERVE, &keys, &args)
            .await
            .map_err(cache_down)?;
    }
    match reply.as_slice() {
        [1, ..] => Ok(Some(Hold {
            account,
            month_of: now,
            call,
        })),
        [0, spent, reserved] => Err(ApiError::new(
            shared::ErrorCode::BudgetExceeded,
            format!(
                "this call could cost up to ${:.6}; with ${:.6} spent and ${:.6} held by calls \
                 in flight, that would pass the monthly budget of ${:.2}",
                nusd_to_usd(amount),
                nusd_to_usd(*spent),
                nusd_to_usd(*reserved),
                nusd_to_usd(limit)
            ),
        )),
        other => Err(ApiError::internal(format!(
            "budget script answered {other:?}"
        ))),
    }
}

/// Turns a reservation into the call's real cost. A failure is logged: the reservation then
/// expires on its own.
pub async fn settle(cache: &dyn Cache, hold: &Hold, cost_pusd: i64) {
    let keys = keys(hold.account, hold.month_of).to_vec();
    let args = [
        hold.call.to_string(),
        pusd_to_nusd_ceil(cost_pusd).to_string(),
    ];
    if let Err(e) = cache.eval_ints(SETTLE, &keys, &args).await {
        tracing::warn!(call = %hold.call, error = %e, "a budget reservation was not settled");
    }
}

fn cache_down(e: CacheError) -> ApiError {
    ApiError::unavailable("the budget", e.to_string())
}

/// `GET /api/v1/ai/budget`.
pub async fn get(ctx: &Ctx<'_>) -> ApiResult<Budget> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let now = api.now();
    let monthly = store::ai::budget(api.db(), account).await?;
    let spent = store::ai::spent_since(api.db(), account, month_start(now)).await?;
    let [_, resv, _] = keys(account, now);
    // Expired reservations are purged by the next call; until then they still show.
    let reserved = api
        .ports()
        .cache
        .eval_ints(
            "return tonumber(redis.call('HGET', KEYS[1], '_total') or '0')",
            &[resv],
            &[],
        )
        .await
        .map_err(cache_down)?
        .first()
        .copied()
        .unwrap_or(0);
    Ok(Budget {
        monthly_usd: monthly.map(nusd_to_usd),
        spent_usd: spent as f64 / 1e12,
        reserved_usd: nusd_to_usd(reserved.max(0)),
    })
}

/// `PUT /api/v1/ai/budget`.
pub async fn put(ctx: &Ctx<'_>, req: BudgetRequest) -> ApiResult<Budget> {
    let account = ctx.user()?.account_id;
    let monthly = match req.monthly_usd {
        None => None,
        Some(usd) => Some(usd_to_nusd(usd).ok_or_else(|| {
            ApiError::invalid_field(
                "monthly_usd",
                "must be a number from 0 to 1000000000, or null",
            )
        })?),
    };
    store::ai::set_budget(ctx.api.db(), account, monthly, ctx.api.now()).await?;
    ctx.api.ai_cache().budgets.remove(&account);
    get(ctx).await
}
