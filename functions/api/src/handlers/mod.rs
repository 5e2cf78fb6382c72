//! One file per resource. A handler parses the request, calls one service function and
//! returns its result; no rules live here.

pub mod agents;
pub mod ai;
pub mod auth;
pub mod files;
pub mod jobs;
pub mod knowledge;
pub mod openai_compat;
pub mod ops;
pub mod storages;
pub mod users;
pub mod webhooks;
pub mod worker;
pub mod worker_files;
