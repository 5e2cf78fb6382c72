//! `sweep_orphans`, daily: objects in a storage that no row refers to are removed. They are
//! what a failed removal left (a permanent delete whose storage was down, a replaced thumbnail)
//! or what an upload stopped between its put and its row. Only objects older than a day are
//! touched, so an upload in flight is never taken for an orphan; backups are not looked at.

use shared::api::maintenance::MaintenanceReport;

use super::ORPHAN_MIN_AGE;
use crate::Api;
use crate::error::ApiResult;
use crate::ports::storage::{ObjectStore, StorageError};
use crate::service::storages;
use crate::store;

/// Where the connection test writes its probe objects (removed at once unless the test died).
const PROBE_PREFIX: &str = "_powernode/probe-";

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    for row in store::storages::all(api.db()).await? {
        let store = match storages::open(api, &row).await {
            Ok(store) => store,
            Err(e) => {
                report.problem(format!(
                    "storage {} ({}): {}",
                    row.id, row.provider_type, e.message
                ));
                continue;
            }
        };
        // Read before listing: a key committed after this read belongs to an object written
        // moments ago, which the age limit protects.
        let referenced = store::maintenance::referenced_keys(api.db(), row.account_id).await?;
        let cutoff = api.now() - ORPHAN_MIN_AGE;
        let mut failure = None;
        for prefix in [format!("{}/", row.account_id), PROBE_PREFIX.to_string()] {
            if let Err(e) = sweep_prefix(&*store, &prefix, cutoff, &referenced, report).await {
                failure = Some(e);
                break;
            }
        }
        report.add("storages_swept", u64::from(failure.is_none()));
        if let Some(e) = failure {
            report.problem(format!("storage {} ({}): {e}", row.id, row.provider_type));
        }
    }
    Ok(())
}

async fn sweep_prefix(
    store: &dyn ObjectStore,
    prefix: &str,
    cutoff: chrono::DateTime<chrono::Utc>,
    referenced: &std::collections::HashSet<String>,
    report: &mut MaintenanceReport,
) -> Result<(), StorageError> {
    let mut after = None;
    loop {
        let page = store.list(prefix, after).await?;
        for object in &page.objects {
            report.add("objects_seen", 1);
            if object.last_modified >= cutoff || referenced.contains(&object.key) {
                continue;
            }
            store.delete(&object.key).await?;
            tracing::info!(key = %object.key, size = object.size, "removed an orphaned object");
            report.add("orphans_removed", 1);
            report.add("bytes_freed", object.size);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}
