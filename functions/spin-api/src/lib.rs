//! Powernode's API as a Fermyon Spin component: a thin WASI 0.2 HTTP shim over `powernode-api`.
//!
//! The entry point (`component.rs`, wasm32 only) turns Spin's request into the core's
//! `ApiRequest` and back; everything else is ports: `Db` over `spin:postgres@4.0.0` (`pg.rs`),
//! `Cache` over Spin's Redis (`redis.rs`), `JobPush` over Redis publish (`push.rs`), clock, WASI
//! randomness and inline argon2 (`platform.rs`), configuration from Spin variables (`config.rs`). Every conversion is a plain
//! function tested natively; only the thin `spin` submodules and `component.rs` touch imports.
//!
//! SDK: `spin-sdk` 5.2, the last release on WASI 0.2 HTTP (`#[http_component]`). 7.0 targets
//! WASI 0.3 HTTP, which needs a Spin new enough to run WASIp3 and experimental flags in
//! `wasmtime serve`, and its outbound HTTP was unreliable under wasmtime 49; 5.2's Postgres and
//! Redis calls are synchronous, which lets a dropped transaction roll back inside `Drop`. Both
//! SDKs speak the same `spin:postgres@4.0.0` types.
//!
//! Build: `cargo build --release --target wasm32-wasip2 -p powernode-spin-api`. The feature
//! `no-spin-imports` swaps Postgres, Redis and variables for stand-ins so the component runs
//! under `wasmtime serve` (see `scripts/lib/spin.sh`).

pub mod config;
pub mod http;
pub mod pg;
pub mod platform;
pub mod push;
pub mod redis;
pub mod unavailable;

// The only unsafe is the ABI glue `#[http_component]` generates.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;

#[cfg(test)]
mod tests;
