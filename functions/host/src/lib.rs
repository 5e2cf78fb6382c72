//! The native host: builds the API with native ports (deadpool Postgres, Redis, the OS clock
//! and RNG, argon2 on the blocking pool) and serves it with axum. `main.rs` is the CLI over it;
//! the integration tests start it in-process.

pub mod cache;
pub mod config;
pub mod logging;
pub mod outbound;
pub mod platform;
pub mod restore;
pub mod secrets;
pub mod server;
pub mod web;

pub use config::HostConfig;
pub use server::{Running, build_api, start};
