//! The routing state shared by every API instance, in Redis (Upstash at the edge): per
//! provider and model a circuit breaker; per provider the rpm and tpm windows, the calls in
//! flight and a moving average of latency. Every change is one Lua script, so concurrent
//! instances never interleave a read and a write.
//!
//! Breaker states (API.md "Circuit breaker"):
//! - `closed`: calls go through. 5 failures in a row, or at least 10 calls in the current
//!   minute with half of them failed, open it.
//! - `open`: skipped until `opened_at + cooldown` (30 s, doubling while probes fail, up to
//!   10 min).
//! - `half_open`: one probe call is let through; its success closes the breaker, its failure
//!   opens it again with the doubled cool-down. A probe that never reports (its instance died)
//!   is replaced after the whole-call timeout.
//!
//! A 429 is not a failure: the provider's `Retry-After` parks the model (`cool` key) for that
//! long instead.

use uuid::Uuid;

use crate::ports::{Cache, CacheError};

/// Failures in a row that open a breaker.
pub const FAILURE_STREAK: i64 = 5;
/// Calls in a minute before the failure ratio counts.
pub const WINDOW_MIN_CALLS: i64 = 10;
/// The longest cool-down.
pub const MAX_COOLDOWN_MS: i64 = 10 * 60 * 1000;

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Open,
            2 => Self::HalfOpen,
            _ => Self::Closed,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// What routing knows of one provider and model right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    pub state: BreakerState,
    pub streak: i64,
    /// Milliseconds since the epoch; 0 if never opened.
    pub opened_at_ms: i64,
    pub cooldown_ms: i64,
    pub probe_at_ms: i64,
    /// Milliseconds left of a 429's `Retry-After`.
    pub cool_ms: i64,
    pub rpm: i64,
    pub tpm: i64,
    pub busy: i64,
    /// Microseconds; 0 if unknown.
    pub latency_us: i64,
}

impl Default for Live {
    /// Nothing known: closed, idle, latency unknown.
    fn default() -> Self {
        decode(&[])
    }
}

impl Live {
    /// Whether a call may be tried now; otherwise the milliseconds until it may.
    pub fn wait_ms(&self, now_ms: i64, probe_stale_ms: i64) -> Option<i64> {
        if self.cool_ms > 0 {
            return Some(self.cool_ms);
        }
        match self.state {
            BreakerState::Closed => None,
            BreakerState::Open => {
                let at = self.opened_at_ms + self.cooldown_ms;
                (now_ms < at).then_some(at - now_ms)
            }
            BreakerState::HalfOpen => {
                let at = self.probe_at_ms + probe_stale_ms;
                (now_ms < at).then_some(at - now_ms)
            }
        }
    }
}

/// A provider and model, the unit of a breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub provider: Uuid,
    pub model: String,
}

fn breaker_key(t: &Target) -> String {
    format!("ai:br:{}:{}", t.provider, t.model)
}
fn cool_key(t: &Target) -> String {
    format!("ai:cool:{}:{}", t.provider, t.model)
}
fn window_key(t: &Target, now_ms: i64) -> String {
    format!("ai:bw:{}:{}:{}", t.provider, t.model, now_ms / 60_000)
}
fn rpm_key(p: Uuid, now_ms: i64) -> String {
    format!("ai:rpm:{p}:{}", now_ms / 60_000)
}
fn tpm_key(p: Uuid, now_ms: i64) -> String {
    format!("ai:tpm:{p}:{}", now_ms / 60_000)
}
fn busy_key(p: Uuid) -> String {
    format!("ai:busy:{p}")
}
fn latency_key(p: Uuid) -> String {
    format!("ai:lat:{p}")
}
fn error_key(p: Uuid) -> String {
    format!("ai:err:{p}")
}

/// Reads every target's state; the last value is the round-robin counter after incrementing.
/// KEYS: per target breaker, cool, rpm, tpm, busy, latency; then the round-robin counter.
const READ: &str = r"
local out = {}
local n = (#KEYS - 1) / 6
for i = 0, n - 1 do
  local b = i * 6
  local br = redis.call('HMGET', KEYS[b + 1], 'state', 'streak', 'opened_at', 'cooldown', 'probe_at')
  for j = 1, 5 do out[#out + 1] = tonumber(br[j] or '0') end
  local cool = redis.call('PTTL', KEYS[b + 2])
  if cool < 0 then cool = 0 end
  out[#out + 1] = cool
  for j = 3, 6 do out[#out + 1] = tonumber(redis.call('GET', KEYS[b + j]) or '0') end
end
out[#out + 1] = redis.call('INCR', KEYS[#KEYS])
redis.call('EXPIRE', KEYS[#KEYS], 86400)
return out
";

/// Claims a call: refuses (`{0, reason}`) an open breaker, a parked model, a full rpm or tpm
/// window; else counts the call and, for an open breaker past its cool-down or a stale probe,
/// makes this call the probe (`{1, 1}`).
/// KEYS: breaker, cool, rpm, tpm, busy. ARGV: now_ms, rpm_limit, tpm_limit, probe_stale_ms.
const ACQUIRE: &str = r"
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, 4} end
local br = redis.call('HMGET', KEYS[1], 'state', 'opened_at', 'cooldown', 'probe_at')
local st = tonumber(br[1] or '0')
local probe = 0
if st == 1 then
  if now < tonumber(br[2] or '0') + tonumber(br[3] or '0') then return {0, 1} end
  probe = 1
elseif st == 2 then
  if now < tonumber(br[4] or '0') + tonumber(ARGV[4]) then return {0, 2} end
  probe = 1
end
local tpm = tonumber(ARGV[3])
if tpm > 0 and tonumber(redis.call('GET', KEYS[4]) or '0') >= tpm then return {0, 5} end
local rpm = tonumber(ARGV[2])
if rpm > 0 then
  local n = redis.call('INCR', KEYS[3])
  if n == 1 then redis.call('EXPIRE', KEYS[3], 120) end
  if n > rpm then return {0, 3} end
end
if probe == 1 then redis.call('HSET', KEYS[1], 'state', 2, 'probe_at', now) end
redis.call('INCR', KEYS[5])
redis.call('EXPIRE', KEYS[5], 900)
return {1, probe}
";

/// Reports a call's outcome: ARGV[2] 1 success, 0 failure, 2 neither (a 429, a rejected
/// request). Returns the breaker's state code after.
/// KEYS: breaker, window, busy, latency, tpm, cool.
/// ARGV: now_ms, outcome, latency_us, tokens, base_cooldown_ms, max_cooldown_ms, streak_limit,
///       min_calls, was_probe, cool_ms.
const RELEASE: &str = r"
local now = tonumber(ARGV[1])
local outcome = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
local tokens = tonumber(ARGV[4])
if tokens > 0 then
  redis.call('INCRBY', KEYS[5], tokens)
  redis.call('EXPIRE', KEYS[5], 120)
end
local lat = tonumber(ARGV[3])
if lat > 0 then
  local old = tonumber(redis.call('GET', KEYS[4]) or '0')
  if old > 0 then lat = math.floor(old * 0.8 + lat * 0.2) end
  redis.call('SET', KEYS[4], lat)
end
local cool = tonumber(ARGV[10])
if cool > 0 then redis.call('SET', KEYS[6], 1, 'PX', cool) end
local br = redis.call('HMGET', KEYS[1], 'state', 'cooldown')
local st = tonumber(br[1] or '0')
local probe = tonumber(ARGV[9]) == 1
if outcome == 2 then
  if probe and st == 2 then redis.call('HSET', KEYS[1], 'state', 1, 'opened_at', now) return {1} end
  return {st}
end
local calls = redis.call('HINCRBY', KEYS[2], 'calls', 1)
redis.call('EXPIRE', KEYS[2], 120)
if outcome == 1 then
  if st == 0 or (st == 2 and probe) then
    redis.call('HSET', KEYS[1], 'state', 0, 'streak', 0, 'cooldown', 0)
    return {0}
  end
  redis.call('HSET', KEYS[1], 'streak', 0)
  return {st}
end
local fails = redis.call('HINCRBY', KEYS[2], 'fails', 1)
local streak = redis.call('HINCRBY', KEYS[1], 'streak', 1)
if st == 2 and probe then
  local c = math.min(math.max(tonumber(br[2] or '0'), tonumber(ARGV[5])) * 2, tonumber(ARGV[6]))
  redis.call('HSET', KEYS[1], 'state', 1, 'opened_at', now, 'cooldown', c)
  return {1}
end
if st == 0 and (streak >= tonumber(ARGV[7]) or (calls >= tonumber(ARGV[8]) and fails * 2 >= calls)) then
  redis.call('HSET', KEYS[1], 'state', 1, 'opened_at', now, 'cooldown', tonumber(ARGV[5]))
  return {1}
end
return {st}
";

fn decode(values: &[i64]) -> Live {
    let v = |i: usize| values.get(i).copied().unwrap_or(0);
    Live {
        state: BreakerState::from_code(v(0)),
        streak: v(1),
        opened_at_ms: v(2),
        cooldown_ms: v(3),
        probe_at_ms: v(4),
        cool_ms: v(5),
        rpm: v(6),
        tpm: v(7),
        busy: v(8),
        latency_us: v(9),
    }
}

/// Every target's live state, and the round-robin counter `rr_key` after one increment.
pub async fn read(
    cache: &dyn Cache,
    targets: &[Target],
    rr_key: &str,
    now_ms: i64,
) -> Result<(Vec<Live>, i64), CacheError> {
    let mut keys = Vec::with_capacity(targets.len() * 6 + 1);
    for t in targets {
        keys.push(breaker_key(t));
        keys.push(cool_key(t));
        keys.push(rpm_key(t.provider, now_ms));
        keys.push(tpm_key(t.provider, now_ms));
        keys.push(busy_key(t.provider));
        keys.push(latency_key(t.provider));
    }
    keys.push(rr_key.to_string());
    let values = cache.eval_ints(READ, &keys, &[]).await?;
    if values.len() != targets.len() * 10 + 1 {
        return Err(CacheError::Protocol(format!(
            "routing state: {} values for {} targets",
            values.len(),
            targets.len()
        )));
    }
    let lives = values[..targets.len() * 10]
        .chunks(10)
        .map(decode)
        .collect();
    Ok((lives, values[targets.len() * 10]))
}

/// Why a claim was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BreakerOpen,
    ProbeInFlight,
    RpmFull,
    Parked,
    TpmFull,
}

/// Limits a claim checks.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub rpm: Option<i32>,
    pub tpm: Option<i32>,
    pub probe_stale_ms: i64,
}

/// Claims a call to `target`: `Ok(Ok(is_probe))` or the refusal.
pub async fn acquire(
    cache: &dyn Cache,
    target: &Target,
    limits: Limits,
    now_ms: i64,
) -> Result<Result<bool, Refusal>, CacheError> {
    let keys = [
        breaker_key(target),
        cool_key(target),
        rpm_key(target.provider, now_ms),
        tpm_key(target.provider, now_ms),
        busy_key(target.provider),
    ];
    let args = [
        now_ms.to_string(),
        limits.rpm.unwrap_or(0).to_string(),
        limits.tpm.unwrap_or(0).to_string(),
        limits.probe_stale_ms.to_string(),
    ];
    let r = cache.eval_ints(ACQUIRE, &keys, &args).await?;
    Ok(match r.as_slice() {
        [1, probe] => Ok(*probe == 1),
        [0, 1] => Err(Refusal::BreakerOpen),
        [0, 2] => Err(Refusal::ProbeInFlight),
        [0, 3] => Err(Refusal::RpmFull),
        [0, 4] => Err(Refusal::Parked),
        [0, 5] => Err(Refusal::TpmFull),
        other => {
            return Err(CacheError::Protocol(format!(
                "routing acquire answered {other:?}"
            )));
        }
    })
}

/// How an attempt ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Neither (a 429, a request the provider rejected).
    Neutral,
}

/// What an attempt reports when it ends.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcome: Outcome,
    pub latency_us: i64,
    pub tokens: i64,
    pub was_probe: bool,
    /// A 429's `Retry-After`, in milliseconds.
    pub park_ms: i64,
    pub base_cooldown_ms: i64,
    /// The failure, kept as the provider's `last_error` (never a key).
    pub error: Option<String>,
}

/// Reports an attempt; returns the breaker's state after it.
pub async fn release(
    cache: &dyn Cache,
    target: &Target,
    report: &Report,
    now_ms: i64,
) -> Result<BreakerState, CacheError> {
    let keys = [
        breaker_key(target),
        window_key(target, now_ms),
        busy_key(target.provider),
        latency_key(target.provider),
        tpm_key(target.provider, now_ms),
        cool_key(target),
    ];
    let args = [
        now_ms.to_string(),
        match report.outcome {
            Outcome::Success => "1",
            Outcome::Failure => "0",
            Outcome::Neutral => "2",
        }
        .to_string(),
        report.latency_us.to_string(),
        report.tokens.to_string(),
        report.base_cooldown_ms.to_string(),
        MAX_COOLDOWN_MS.to_string(),
        FAILURE_STREAK.to_string(),
        WINDOW_MIN_CALLS.to_string(),
        u8::from(report.was_probe).to_string(),
        report.park_ms.to_string(),
    ];
    let r = cache.eval_ints(RELEASE, &keys, &args).await?;
    if let Some(error) = &report.error {
        let line = format!("{now_ms} {error}");
        cache
            .set_ex(&error_key(target.provider), &line, 7 * 24 * 3600)
            .await?;
    }
    Ok(BreakerState::from_code(r.first().copied().unwrap_or(0)))
}

/// The last error of each provider, with when it happened (milliseconds since the epoch).
pub async fn last_errors(
    cache: &dyn Cache,
    providers: &[Uuid],
) -> Result<Vec<Option<(i64, String)>>, CacheError> {
    let keys: Vec<String> = providers.iter().map(|p| error_key(*p)).collect();
    let values = cache.get_many(&keys).await?;
    Ok(values
        .into_iter()
        .map(|v| {
            v.and_then(|line| {
                let (at, text) = line.split_once(' ')?;
                Some((at.parse().ok()?, text.to_string()))
            })
        })
        .collect())
}
