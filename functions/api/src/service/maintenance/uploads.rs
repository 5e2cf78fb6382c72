//! `sweep_abandoned_uploads`, hourly: a direct upload not completed within a day is given up.
//! Its row goes first (a late `complete` then finds nothing, as after any expiry), then
//! whatever part of its object arrived.

use shared::api::maintenance::MaintenanceReport;

use super::ABANDONED_UPLOAD_AFTER;
use super::stores::Stores;
use crate::Api;
use crate::error::ApiResult;
use crate::store;

const BATCH: i64 = 500;

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let mut stores = Stores::default();
    loop {
        let due = store::maintenance::abandoned_uploads(
            api.db(),
            api.now() - ABANDONED_UPLOAD_AFTER,
            BATCH,
        )
        .await?;
        for upload in &due {
            store::direct_uploads::delete(api.db(), upload.id).await?;
            report.add("uploads_removed", 1);
            let key = crate::service::files::direct::object_key(upload.account_id, upload.id);
            match stores
                .get(api, upload.account_id, upload.storage_id)
                .await?
            {
                Ok(store) => {
                    if let Err(e) = store.delete(&key).await {
                        report.problem(format!(
                            "upload {}: could not remove its object: {e}",
                            upload.id
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
