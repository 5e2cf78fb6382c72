//! Typed clients of the public API, one module per feature. Every call goes through `http`.

pub mod agents;
pub mod ai;
pub mod auth;
pub mod files;
pub mod http;
pub mod knowledge;
pub mod queues;
pub mod storages;
pub mod upload;
pub mod users;
pub mod webhooks;

pub use http::{ApiError, Page};
