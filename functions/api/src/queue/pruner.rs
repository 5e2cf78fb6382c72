//! The pruner: completed jobs are deleted once past retention. Dead jobs are kept (operators
//! retry or discard them by hand).

use chrono::Duration;

use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// How long completed jobs are kept unless told otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::days(7);
/// Rows deleted per statement.
pub const BATCH: i64 = 10_000;

/// Deletes completed jobs finished before `now - retention`; returns how many.
pub async fn run_once(api: &Api, retention: Duration) -> Result<u64, DbError> {
    let cutoff = api.now() - retention;
    let mut deleted = 0;
    loop {
        let n = api
            .db()
            .execute(sql::JOB_PRUNE, &[cutoff.into(), BATCH.into()])
            .await?;
        deleted += n;
        if n < u64::try_from(BATCH).unwrap_or(u64::MAX) {
            break;
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "pruned completed jobs");
    }
    Ok(deleted)
}
