//! Powernode's queue consumer as a Cloudflare Worker, separate from the API Worker.
//!
//! - `#[event(queue)]`: each message of the `JOBS` queue announces one job
//!   ([`JobAnnouncement`](shared::api::announcement::JobAnnouncement)). The Worker claims it by id
//!   through the API with a service token, runs it with the same job runtime as the native
//!   consumers (`jobs::deliver`, HTTP over `worker::Fetch`), and settles the message on its own:
//!   ack, retry after the job's backoff, or the dead-letter queue.
//! - `#[event(scheduled)]`: every minute, the relay (re-announce jobs whose announcement was
//!   lost) and the cron table's due ticks (rescuer, pruning).
//!
//! Like every consumer it holds no database driver: Postgres is the API's.
//!
//! `settle` (the message rules) is platform-neutral and unit-tested natively; `edge` (wasm32
//! only) holds every piece that touches the Workers runtime.

#[cfg(target_arch = "wasm32")]
mod edge;
pub mod settle;
