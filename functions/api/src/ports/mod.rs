//! The traits each runtime implements: everything the API needs from the outside world.
//!
//! Futures are `Send` natively (axum spawns them on a work-stealing runtime) and not `Send` on
//! wasm32 (Workers and Spin types are `!Send`); `maybe_async_trait!` below writes that once, and
//! the `MaybeSend`/`MaybeSync` bounds follow the same rule for the trait objects themselves.
//!
//! Object storage (`storage`) and outbound HTTP (`outbound`, the AI providers) have their own
//! modules.

pub mod background;
pub mod outbound;
pub mod storage;

use chrono::{DateTime, Utc};

use crate::db::{DbError, Row, SqlValue};

/// `Send` natively, nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` natively, nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` natively, nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
/// `Sync` natively, nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

use shared::maybe_async_trait;

maybe_async_trait! {
/// Something that runs SQL: the database itself or an open transaction. Stores take
/// `&dyn Conn`, so the same store call works inside or outside a transaction.
pub trait Conn: MaybeSend + MaybeSync {
    /// Runs one statement and returns its rows.
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError>;
    /// Runs one statement and returns the number of rows it changed.
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError>;
    /// Runs several statements without parameters (migrations).
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError>;
}
}

maybe_async_trait! {
/// An open transaction. Dropping it without `commit` rolls it back.
pub trait Tx: Conn {
    /// Commits.
    async fn commit(self: Box<Self>) -> Result<(), DbError>;
    /// Rolls back explicitly (cheaper than dropping, which may discard the connection).
    async fn rollback(self: Box<Self>) -> Result<(), DbError>;
}
}

maybe_async_trait! {
/// The database.
pub trait Db: Conn {
    /// Opens a transaction.
    async fn begin(&self) -> Result<Box<dyn Tx>, DbError>;
}
}

/// What a cache call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// The cache cannot be reached.
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    /// The cache answered something unexpected.
    #[error("cache error: {0}")]
    Protocol(String),
}

maybe_async_trait! {
/// Redis, natively through the `redis` crate and at the edge through Upstash's REST protocol.
/// Keys are given without the platform's prefix; adapters add it.
pub trait Cache: MaybeSend + MaybeSync {
    /// Increments a counter, setting `ttl_seconds` when the increment created it. Returns the
    /// new value.
    async fn incr_with_ttl(&self, key: &str, ttl_seconds: u64) -> Result<i64, CacheError>;
    /// Sets a key with an expiry only if it is absent; true if this call set it.
    async fn set_nx_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<bool, CacheError>;
    /// The value of a key.
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    /// Seconds until a key expires (`None` if absent or without expiry).
    async fn ttl(&self, key: &str) -> Result<Option<u64>, CacheError>;
    /// Removes a key.
    async fn del(&self, key: &str) -> Result<(), CacheError>;
    /// A round trip, for readiness checks.
    async fn ping(&self) -> Result<(), CacheError>;
    /// Adds each `(key, by)` to its counter in one round trip, setting `ttl_seconds` on counters
    /// the call creates. Returns the new values in order.
    async fn incr_many_with_ttl(&self, counters: &[(String, i64)], ttl_seconds: u64) -> Result<Vec<i64>, CacheError>;
    /// The values of many keys in one round trip (absent keys are `None`), in order.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError>;
    /// Sets a key with an expiry, replacing any value.
    async fn set_ex(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), CacheError>;
    /// Prepends values to lists and trims each list to its newest `keep`, all in one round trip.
    /// Within a list, the last value given ends up first.
    async fn push_capped(&self, lists: &[(String, Vec<String>)], keep: usize) -> Result<(), CacheError>;
    /// Up to `limit` values of a list, newest first.
    async fn list(&self, key: &str, limit: usize) -> Result<Vec<String>, CacheError>;
    /// Runs a Lua script atomically (`EVAL`): `keys` get the prefix, `args` do not. The script
    /// must return an integer or an array of integers (a nil element reads as 0).
    async fn eval_ints(&self, script: &str, keys: &[String], args: &[String]) -> Result<Vec<i64>, CacheError>;
}
}

/// The time. A port so tests and every runtime agree on one source.
pub trait Clock: MaybeSend + MaybeSync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Cryptographically secure random bytes (OS natively, `crypto.getRandomValues` at the edge).
pub trait Rng: MaybeSend + MaybeSync {
    /// Fills `buf`.
    fn fill(&self, buf: &mut [u8]);
}

/// Why a password operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(pub String);

maybe_async_trait! {
/// Password hashing. A port because argon2 is CPU-heavy: the native host moves it off the async
/// threads, while the edge runs it inline.
pub trait PasswordHasher: MaybeSend + MaybeSync {
    /// Hashes `password` with `salt` into a PHC string.
    async fn hash(&self, password: String, salt: [u8; 16]) -> Result<String, PasswordError>;
    /// Checks `password` against a PHC string.
    async fn verify(&self, password: String, phc: String) -> Result<bool, PasswordError>;
}
}

maybe_async_trait! {
/// Wakes long-polling claimers when jobs may have become claimable (LISTEN/NOTIFY natively).
/// A counter rather than an event: a claimer reads `generation` before it looks for jobs and
/// then waits for it to change, so a notification between the two is never missed.
pub trait JobSignal: MaybeSend + MaybeSync {
    /// Whether this runtime can wait at all (the edge cannot: its consumers are pushed to).
    fn can_wait(&self) -> bool;
    /// A counter that changes whenever jobs may have become claimable.
    fn generation(&self) -> u64;
    /// Returns once the counter differs from `since`, or after `timeout`.
    async fn wait(&self, since: u64, timeout: std::time::Duration);
}
}

/// The signal of runtimes that cannot wait: claims answer at once.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJobSignal;

maybe_async_trait! {
impl JobSignal for NoJobSignal {
    fn can_wait(&self) -> bool {
        false
    }
    fn generation(&self) -> u64 {
        0
    }
    async fn wait(&self, _since: u64, _timeout: std::time::Duration) {}
}
}

/// A job that became claimable (or will at `delay_seconds`), as push transports announce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyJob {
    /// The job; consumers claim it by id.
    pub id: uuid::Uuid,
    /// Its queue, which picks the transport's queue or channel.
    pub queue: String,
    /// Seconds until it is due (0: now).
    pub delay_seconds: u32,
}

maybe_async_trait! {
/// Push transports (a Cloudflare Queue, Spin's Redis trigger) hear of jobs after the transaction
/// that created them commits. Natively consumers long-poll instead, and nothing is pushed.
pub trait JobPush: MaybeSend + MaybeSync {
    /// Whether this runtime pushes at all (the relay has nothing to do otherwise).
    fn pushes(&self) -> bool;
    /// Queues whose consumers poll even here (the media runner's `file_processing`): their jobs
    /// are never announced, nor relayed.
    fn polled_queues(&self) -> Vec<String> {
        Vec::new()
    }
    /// Announces jobs. A runtime may send after the response (`wait_until`). A lost announcement
    /// costs latency, not the job: the relay re-announces jobs left unclaimed, so this cannot fail
    /// the request. Returns how many were handed to the transport.
    async fn push(&self, jobs: Vec<ReadyJob>) -> usize;
}
}

/// The push port of runtimes whose consumers poll.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJobPush;

maybe_async_trait! {
impl JobPush for NoJobPush {
    fn pushes(&self) -> bool {
        false
    }
    async fn push(&self, _jobs: Vec<ReadyJob>) -> usize {
        0
    }
}
}
