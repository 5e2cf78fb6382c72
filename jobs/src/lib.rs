//! The queue consumer runtime (issue #3): a `Job` trait, a registry by job type, and the
//! consumer loop that claims, runs, heartbeats and completes jobs through the API's
//! `/api/v1/worker/...` routes with a service JWT.
//!
//! This crate never holds a database driver; `scripts/test` checks its dependency tree.
//! Until the queue lands it exports only the names consumers share.

/// The name consumers put in their service token's `sub`.
pub const SERVICE_NAME: &str = "jobs";
