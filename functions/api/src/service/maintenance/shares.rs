//! `expire_shares`, hourly: shares past their expiry are revoked and the copy of their token
//! forgotten. Downloads already refuse an expired share; this makes the share list and the
//! backups say so too.

use shared::api::maintenance::MaintenanceReport;

use crate::Api;
use crate::error::ApiResult;
use crate::store;

const BATCH: i64 = 1000;

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    loop {
        let n = store::maintenance::expire_shares(api.db(), api.now(), BATCH).await?;
        report.add("expired", n);
        if n < BATCH as u64 {
            return Ok(());
        }
    }
}
