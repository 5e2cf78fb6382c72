//! `check_services`: Postgres and Redis answer. A dependency down fails the run, so the job is
//! retried and, if it stays down, dies and is reported by email like any dead job.

use shared::api::maintenance::MaintenanceReport;

use crate::Api;
use crate::error::{ApiError, ApiResult};

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let mut down = Vec::new();
    let started = api.now();
    match api.db().query(crate::store::sql::DATABASE_PING, &[]).await {
        Ok(_) => report.add("postgres_ms", elapsed_ms(api, started)),
        Err(e) => {
            tracing::warn!(error = %e, "health check: postgres");
            down.push("postgres");
        }
    }
    let started = api.now();
    match api.ports().cache.ping().await {
        Ok(()) => report.add("redis_ms", elapsed_ms(api, started)),
        Err(e) => {
            tracing::warn!(error = %e, "health check: redis");
            down.push("redis");
        }
    }
    if down.is_empty() {
        return Ok(());
    }
    Err(ApiError::unavailable(
        &down.join(" and "),
        "scheduled health check",
    ))
}

fn elapsed_ms(api: &Api, since: chrono::DateTime<chrono::Utc>) -> u64 {
    u64::try_from((api.now() - since).num_milliseconds()).unwrap_or(0)
}
