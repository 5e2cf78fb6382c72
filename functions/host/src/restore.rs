//! `powernode restore`: reads a backup (a file, or an account's default storage) and restores
//! it into `DATABASE_URL` with `powernode_api::service::restore`, drawing a progress bar on
//! stderr when it is a terminal.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use powernode_api::service::restore::{self, Backup, RestoreProgress, TableOutcome};
use uuid::Uuid;

use crate::{HostConfig, server};

/// Where the backup comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A backup document on disk (downloaded from a storage).
    File(PathBuf),
    /// The account's default storage: the backup of `date`, or the newest.
    Account {
        /// The account.
        id: Uuid,
        /// The day of the backup.
        date: Option<NaiveDate>,
    },
}

/// Restores from `source`; returns what each table got.
pub async fn run(config: &HostConfig, source: Source) -> Result<Vec<TableOutcome>> {
    let api = server::build_api_without_cache(config)?;
    let (origin, bytes) = match &source {
        Source::File(path) => (
            path.display().to_string(),
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        Source::Account { id, date } => restore::read_from_storage(&api, *id, *date).await?,
    };
    let backup = Backup::parse(&bytes).with_context(|| format!("reading {origin}"))?;
    tracing::info!(
        %origin,
        account = %backup.account_id,
        taken_at = %backup.taken_at,
        rows = backup.rows(),
        "restoring a backup"
    );
    let mut bar = Bar::new(backup.rows());
    let outcomes = restore::restore(&api, &backup, &mut bar)
        .await
        .context("restoring (nothing was written)")?;
    bar.0.finish_and_clear();
    let inserted: u64 = outcomes.iter().map(|o| o.inserted).sum();
    let skipped: u64 = outcomes.iter().map(TableOutcome::skipped).sum();
    tracing::info!(account = %backup.account_id, inserted, skipped, "backup restored");
    Ok(outcomes)
}

/// The progress bar over the backup's rows; hidden when stderr is not a terminal (indicatif's
/// stderr target checks), so logs and pipes get none of its escape codes.
struct Bar(ProgressBar);

impl Bar {
    fn new(rows: u64) -> Self {
        let bar = ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::stderr());
        // The template is a constant: it parses, and the default style is a fine fallback.
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {msg:<22} [{bar:30}] {pos}/{len} rows")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(bar)
    }
}

impl RestoreProgress for Bar {
    fn table(&mut self, name: &str, _rows: u64) {
        self.0.set_message(name.to_string());
    }

    fn advance(&mut self, rows: u64) {
        self.0.inc(rows);
    }
}
