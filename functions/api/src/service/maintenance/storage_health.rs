//! `check_storages`: the connection test of every storage, every 5 minutes; the outcome is kept
//! on the storage (`health` in the storage API), so a user sees a backend that went bad before
//! an upload fails on it.

use shared::api::maintenance::MaintenanceReport;
use shared::api::storages::StorageHealth;

use crate::Api;
use crate::error::ApiResult;
use crate::service::storages;
use crate::store;

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    for row in store::storages::all(api.db()).await? {
        let outcome = match storages::open(api, &row).await {
            Ok(store) => storages::probe(api, &*store).await,
            Err(e) => shared::api::storages::StorageTestReport {
                ok: false,
                latency_ms: 0,
                error: Some(format!("open: {}", e.message)),
            },
        };
        let health = StorageHealth {
            ok: outcome.ok,
            checked_at: api.now(),
            error: outcome.error,
        };
        store::storages::set_health(api.db(), row.id, &health).await?;
        if health.ok {
            report.add("healthy", 1);
        } else {
            report.add("unhealthy", 1);
            report.problem(format!(
                "storage {} ({}): {}",
                row.id,
                row.provider_type,
                health.error.as_deref().unwrap_or("failed")
            ));
        }
    }
    Ok(())
}
