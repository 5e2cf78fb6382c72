//! `sweep_stuck_processing`, every minute: a file's processing record left `pending` or
//! `processing` by a job that ended without reporting (dead after a crash loop, cancelled,
//! pruned) is marked failed, and the file's status follows, so no file shows "processing"
//! forever. A job still queued or running is left to the queue's own rescuer.

use chrono::Duration;
use shared::api::maintenance::MaintenanceReport;

use crate::Api;
use crate::error::ApiResult;
use crate::store;

/// Records per pass; more are taken next minute.
const BATCH: i64 = 500;
/// A record this young may belong to a transaction that has not settled yet.
const GRACE: Duration = Duration::minutes(1);

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let stuck = store::maintenance::stuck_processing(api.db(), api.now() - GRACE, BATCH).await?;
    for record in stuck {
        let error = match record.job_state.as_str() {
            "gone" => "the processing job ended without reporting (its queue record was pruned)"
                .to_string(),
            state => format!("the processing job ended without reporting (queue state: {state})"),
        };
        let tx = api.db().begin().await?;
        if store::maintenance::fail_stuck(&*tx, record.id, &error, api.now()).await? {
            store::file_processing::refresh_status(&*tx, record.file_id, api.now()).await?;
            report.add("failed", 1);
        }
        tx.commit().await?;
    }
    Ok(())
}
