//! The rescuer: running jobs whose lease ran out (a consumer died, hung or lost the network)
//! become claimable again, or dead when out of attempts. The scheduler runs it every minute;
//! tests call `run_once` directly.

use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// Jobs rescued per pass; a larger backlog is taken over several passes.
pub const BATCH: i64 = 1000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rescued {
    /// Made claimable again.
    pub retried: usize,
    /// Out of attempts: dead.
    pub dead: usize,
}

/// One pass.
pub async fn run_once(api: &Api) -> Result<Rescued, DbError> {
    let rows = api
        .db()
        .query(sql::JOB_RESCUE, &[api.now().into(), BATCH.into()])
        .await?;
    let mut out = Rescued::default();
    for row in &rows {
        if row.get::<String>("state")? == "dead" {
            out.dead += 1
        } else {
            out.retried += 1
        }
    }
    if !rows.is_empty() {
        tracing::info!(
            retried = out.retried,
            dead = out.dead,
            "rescued jobs with expired leases"
        );
    }
    Ok(out)
}
