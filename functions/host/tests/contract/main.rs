//! The contract tests: API.md served by a real `powernode` host against real Postgres, Redis,
//! S3, Azurite and SMTP, or (with `POWERNODE_TEST_RUNTIME=cloudflare`) by the Workers build in
//! local workerd. One test binary for every area, so the suite links once; `scripts/test` runs
//! it once per module (`contract auth::`), as a process per area, which keeps the per-process
//! state (metrics, the in-process hosts) of one area away from another.

mod common;

mod agents;
mod ai;
mod auth;
mod backup;
mod consumers;
mod deliver;
mod file_direct_uploads;
mod file_processing;
mod file_providers;
mod file_records;
mod file_sharing;
mod file_versions;
mod files;
mod job_delivery;
mod job_tracking;
mod knowledge;
mod maintenance;
mod media_processing;
mod notifications;
mod operations;
mod push;
mod queue;
mod reliability;
mod storages;
mod text_inputs;
mod users;
mod web_ui;
mod webhooks;
