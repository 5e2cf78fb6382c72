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
pub mod token_estimate;
pub mod tokens;

pub use envelope::{ErrorBody, FieldError, Success};

/// Applies `#[async_trait]` natively and `#[async_trait(?Send)]` on wasm32, where the runtimes'
/// futures (Workers, Spin) are `!Send`. Every trait whose futures cross a platform boundary
/// (the API's ports, the consumers' HTTP transport and jobs) and their impls use it; the
/// calling crate depends on `async-trait`.
#[macro_export]
macro_rules! maybe_async_trait {
    ($item:item) => {
        #[cfg_attr(not(target_arch = "wasm32"), ::async_trait::async_trait)]
        #[cfg_attr(target_arch = "wasm32", ::async_trait::async_trait(?Send))]
        $item
    };
}
pub use error_code::ErrorCode;
pub use permissions::{Permission, Role};
