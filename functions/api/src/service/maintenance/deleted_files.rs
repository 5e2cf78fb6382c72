//! `purge_deleted_files`, daily: files in the trash for more than 30 days are deleted for good,
//! as `DELETE /files/{id}?permanent=true` would: rows first (the storage's used bytes go down
//! in the same transaction), then every object of every version and derivative.

use shared::api::maintenance::MaintenanceReport;

use super::TRASH_RETENTION;
use super::stores::Stores;
use crate::Api;
use crate::error::ApiResult;
use crate::service::files::manage::remove_objects;
use crate::store;

const BATCH: i64 = 200;

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let mut stores = Stores::default();
    loop {
        let cutoff = api.now() - TRASH_RETENTION;
        let due = store::maintenance::trash_due(api.db(), cutoff, BATCH).await?;
        for id in &due {
            let tx = api.db().begin().await?;
            // Restored since it was listed: not ours any more.
            if !store::maintenance::lock_trash_due(&*tx, *id, cutoff).await? {
                let _ = tx.rollback().await;
                continue;
            }
            let Some(file) = store::files::get_any(&*tx, *id).await? else {
                let _ = tx.rollback().await;
                continue;
            };
            let keys = store::files::object_keys(&*tx, *id).await?;
            let bytes = store::files::delete_permanently(&*tx, &file).await?;
            tx.commit().await?;
            report.add("files_deleted", 1);
            report.add("bytes_freed", u64::try_from(bytes).unwrap_or(0));
            match stores.get(api, file.account_id, file.storage_id).await? {
                Ok(store) => {
                    let failed = remove_objects(&*store, *id, &keys).await;
                    report.add("objects_removed", (keys.len() - failed) as u64);
                    if failed > 0 {
                        report.problem(format!(
                            "file {id}: {failed} object(s) could not be removed; the orphan sweep retries"
                        ));
                    }
                }
                Err(why) => report.problem(why),
            }
        }
        if due.len() < BATCH as usize {
            return Ok(());
        }
    }
}
