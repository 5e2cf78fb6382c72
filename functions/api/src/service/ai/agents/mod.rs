//! Agents and their runs (API.md "Agents and runs", README "Agents"): an agent is a chat model
//! with a system prompt, tools and limits; a run is one task given to it, executed by an
//! `ai.agent_run` job on the `ai` queue by whichever consumer claims it.
//!
//! Layout: `agent` (CRUD and the fleet view), `runs` (start, list, read, cancel), `steps` (the
//! worker routes a consumer executes a run through, and the booking of a model step with its
//! ledger row), `tools` (the built-in tools, run here with the run's account), `events` (a
//! run's live progress as server-sent events).
//!
//! A run's life: `queued` → `running` (a consumer took it; a redelivered job resumes it after
//! its last recorded step) → `completed`, `failed` or `cancelled`. Steps are numbered from 1
//! and recorded once each: a consumer asking for a step already recorded gets the recording.

pub mod agent;
pub mod events;
pub mod runs;
pub mod steps;
pub mod tools;

/// The queue runs are executed on (every consumer drains it).
pub const RUN_QUEUE: &str = "ai";
/// The run job's type.
pub const RUN_JOB: &str = "ai.agent_run";
