//! `notify_dead_jobs`: an email per recently dead job to its account's owners and admins.

use shared::api::maintenance::MaintenanceReport;

use crate::Api;
use crate::error::{ApiError, ApiResult};

pub async fn run(_api: &Api, _report: &mut MaintenanceReport) -> ApiResult<()> {
    Err(ApiError::new(
        shared::ErrorCode::Unavailable,
        "dead-job notifications are not built yet",
    ))
}
