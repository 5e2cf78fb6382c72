//! `backup`: every account's metadata as JSON in its default storage.

use shared::api::maintenance::MaintenanceReport;
use uuid::Uuid;

use crate::Api;
use crate::error::{ApiError, ApiResult};

/// Where backups live in a storage; the orphan sweep leaves this prefix alone.
pub const BACKUP_PREFIX: &str = "_powernode/backups/";

/// The object key of an account's backup taken on `date` (`YYYY-MM-DD`).
pub fn backup_key(account: Uuid, date: &str) -> String {
    format!("{BACKUP_PREFIX}{account}/{date}.json")
}

pub async fn run(_api: &Api, _report: &mut MaintenanceReport) -> ApiResult<()> {
    Err(ApiError::new(
        shared::ErrorCode::Unavailable,
        "backup is not built yet",
    ))
}
