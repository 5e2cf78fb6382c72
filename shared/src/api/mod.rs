//! Request and response bodies, one module per resource.

pub mod agents;
pub mod ai;
pub mod announcement;
pub mod auth;
pub mod files;
pub mod jobs;
pub mod knowledge;
pub mod maintenance;
pub mod ops;
pub mod storages;
pub mod users;
pub mod webhooks;
