//! Native tests of every conversion and of the wiring, with a fake API behind the transport.
#![allow(clippy::unwrap_used)]

mod config;
mod consume;
mod fake_api;
mod outcome;
mod sweep;
mod transport;
