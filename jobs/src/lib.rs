//! The queue consumer runtime. Consumers are separate from the API: they claim, heartbeat,
//! complete and fail jobs through the API's `/api/v1/worker/...` routes with a service JWT, and
//! never hold a database driver (`scripts/check-deps` enforces it).
//!
//! - `client`: `BackendApiClient`, the typed HTTP client for the worker routes.
//! - `transport`: how the client sends (reqwest natively; the edge adapters bring their fetch).
//! - `platform`: the clock and the timer of the target.
//! - `retry`: `with_api_retry`, retrying transient API failures.
//! - `breaker`: circuit breakers per dependency.
//! - `job`: the `Job` trait, its outcomes, and the registry by job type.
//! - `consumer`: the loop that claims, runs, heartbeats and settles jobs.
//! - `process`: a consumer binary's logging and signal handling.
//! - `deliver`: one announced job, claimed by id, for push transports (the edge).
//! - `schedule`: the cron table and the scheduler that enqueues its ticks.
//! - `jobs/`: one file per job type.
//!
//! Everything but the polling consumer (`consumer`, `breaker`, and the binary) also builds for
//! wasm32, where the edge's queue consumers run `deliver` and the cron table.

#[cfg(not(target_arch = "wasm32"))]
pub mod breaker;
pub mod client;
#[cfg(not(target_arch = "wasm32"))]
pub mod consumer;
pub mod deliver;
pub mod job;
pub mod jobs;
pub mod platform;
#[cfg(not(target_arch = "wasm32"))]
pub mod process;
pub mod retry;
pub mod schedule;
pub mod transport;

/// The name consumers put in their service token's `sub`.
pub const SERVICE_NAME: &str = "jobs";
