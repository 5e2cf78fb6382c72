//! Powernode's wire contract, shared by the API (`functions/`), the consumers (`jobs/`,
//! `media-runner/`) and the web UI (`web/`).
//!
//! Nothing here does I/O or reads a clock: callers pass `now` in. That keeps the crate
//! buildable for every target (native, `wasm32-unknown-unknown`, `wasm32-wasip1/2`) and makes
//! every rule in it testable without a runtime.
#![deny(missing_docs)]

pub mod api;
pub mod envelope;
pub mod error_code;
pub mod ids;
pub mod job;
pub mod pagination;
pub mod permissions;
pub mod retry_policy;
pub mod tokens;

pub use envelope::{ErrorBody, FieldError, Success};
pub use error_code::ErrorCode;
pub use permissions::{Permission, Role};
