//! Picking a provider: the live state every API instance shares in Redis (`state`: breakers,
//! rpm/tpm windows, in-flight counts, latency) and the five strategies that order the
//! candidates (`strategy`).

pub mod state;
pub mod strategy;
