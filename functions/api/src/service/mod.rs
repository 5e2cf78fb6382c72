//! Business rules, free of HTTP types: handlers parse a request and call one function here.

pub mod admin;
pub mod ai;
pub mod audit;
pub mod auth;
pub mod credentials;
pub mod files;
pub mod jobs;
pub mod knowledge;
pub mod maintenance;
pub mod notify;
pub mod passwords;
pub mod restore;
pub mod sessions;
pub mod storages;
pub mod throttle;
pub mod upstream_address;
pub mod users;
pub mod validate;
pub mod webhooks;
