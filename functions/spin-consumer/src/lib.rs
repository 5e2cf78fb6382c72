//! Powernode's queue consumer as a Fermyon Spin component: the `jobs` runtime, unchanged,
//! woken by Spin's triggers instead of polling, reaching the API over Spin's outbound HTTP.
//!
//! - `redis_trigger` (wasm32): each message of the `jobs_channel` Redis channel announces one
//!   job ([`shared::api::announcement::JobAnnouncement`], published by the API component after
//!   the commit that created it); `consume` claims it by id, runs and settles it with
//!   `jobs::deliver`.
//! - `cron_trigger` (wasm32): every minute, `sweep` runs the relay (re-announces jobs whose
//!   announcement was lost or could not be sent: delayed jobs, retries) and enqueues the cron
//!   table's due ticks.
//! - `outcome`: what becomes of a job on Spin, where a pub/sub message can be neither delayed
//!   nor dead-lettered (Postgres holds the state; the relay does the rest).
//! - `transport`: `jobs::transport::Transport` over `spin_sdk::http::send`.
//! - `config`: the Spin variables.
//!
//! The component imports only outbound HTTP, Spin variables and the cron types: never a data
//! store (ARCHITECTURE.md: consumers reach state only through the API; `scripts/lib/spin.sh`
//! checks the built component's imports).
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p powernode-spin-consumer`. Every
//! conversion is a plain function tested natively; only `instance`, `redis_trigger`,
//! `cron_trigger` and `transport::spin` touch Spin's imports.

pub mod config;
pub mod consume;
pub mod error;
pub mod outcome;
pub mod sweep;
pub mod transport;

#[cfg(target_arch = "wasm32")]
mod instance;

// The only unsafe is the ABI glue the trigger macros generate.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod cron_trigger;
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod redis_trigger;

#[cfg(test)]
mod tests;
