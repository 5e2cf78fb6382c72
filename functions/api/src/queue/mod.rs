//! The durable queue's store, on the API side (consumers reach it only through the worker
//! routes). One file per concept: `enqueue` (in the caller's transaction), `claim` (leases),
//! `complete`, `fail` (the retry policy), `lease` (heartbeat, snooze), `rescuer` (expired
//! leases), `pruner` (retention), `push` (announcing jobs to push transports, and the relay), `runaway` (loop detection at claim time), `executions` (the newest runs
//! per job type), `admin` (operators' views and actions). SQL lives in `src/sql/jobs.sql`.

pub mod admin;
pub mod claim;
pub mod complete;
pub mod enqueue;
pub mod executions;
pub mod fail;
pub mod lease;
pub mod pruner;
pub mod push;
pub mod rescuer;
mod rows;
pub mod runaway;

/// Longest lease a claim may ask for.
pub const MAX_LEASE_SECONDS: i64 = 3600;
/// Shortest lease a claim may ask for.
pub const MIN_LEASE_SECONDS: i64 = 5;
/// Lease when the claim names none.
pub const DEFAULT_LEASE_SECONDS: i64 = 300;
/// Most jobs one claim or one batch may carry.
pub const MAX_BATCH: usize = 1000;
