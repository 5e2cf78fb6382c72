//! One module per screen.

pub mod agents;
pub mod ai;
pub mod file_detail;
pub mod files;
pub mod knowledge;
pub mod login;
pub mod not_found;
pub mod queues;
pub mod register;
pub mod shared;
pub mod storage;
pub mod users;
pub mod webhooks;
