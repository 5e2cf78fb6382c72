//! What an entry point reports to Spin when it fails. Spin logs it; neither trigger redelivers
//! anything, so what happens next is the relay's and the rescuer's business (see `outcome`).

use crate::config::ConfigError;
use crate::consume::ConsumeError;
use crate::sweep::SweepError;

/// Any failure of an entry point.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// The Spin variables are wrong.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// A message could not be handled.
    #[error("announcement: {0}")]
    Consume(#[from] ConsumeError),
    /// The cron sweep failed.
    #[error("sweep: {0}")]
    Sweep(#[from] SweepError),
}
