//! `enforce_retention`, daily: audit entries older than a year and finished webhook events older
//! than 30 days are deleted, in batches so no statement holds a long lock.

use shared::api::maintenance::MaintenanceReport;

use super::{AUDIT_RETENTION, WEBHOOK_EVENT_RETENTION};
use crate::Api;
use crate::error::ApiResult;
use crate::store;

const BATCH: i64 = 5000;

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let cutoff = api.now() - AUDIT_RETENTION;
    loop {
        let n = store::maintenance::prune_audit(api.db(), cutoff, BATCH).await?;
        report.add("audit_logs_deleted", n);
        if n < BATCH as u64 {
            break;
        }
    }
    let cutoff = api.now() - WEBHOOK_EVENT_RETENTION;
    loop {
        let n = store::maintenance::prune_webhook_events(api.db(), cutoff, BATCH).await?;
        report.add("webhook_events_deleted", n);
        if n < BATCH as u64 {
            return Ok(());
        }
    }
}
