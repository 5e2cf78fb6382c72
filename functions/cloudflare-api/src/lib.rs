//! Powernode's API as a Cloudflare Worker: a thin `#[event(fetch)]` shim over the core's
//! [`Api::handle`](powernode_api::Api::handle).
//!
//! What runs where: the Worker answers HTTP; Postgres is reached through the Hyperdrive binding
//! `HYPERDRIVE` (tokio-postgres over a Workers socket, one connection per request); Redis
//! through Upstash's REST protocol (`UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN`).
//! Jobs are not waited for at the edge (`NoJobSignal`): consumers are pushed to. Files go to R2
//! through a bucket binding (`r2`) or to an S3-compatible server over signed fetch (`s3`).
//!
//! `upstash` and `s3_requests` are platform-neutral and unit-tested natively; `edge` (wasm32
//! only) holds every piece that touches the Workers runtime.

#[cfg(target_arch = "wasm32")]
mod edge;
pub mod s3_requests;
pub mod upstash;
