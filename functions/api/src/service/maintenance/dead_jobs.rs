//! `notify_dead_jobs`: an email per recently dead job to its account's owners (platform work:
//! the platform admins). The sweep is `service::notify::notify_dead_jobs`; it is idempotent by
//! each email's key, so running every minute over the last hour mails each person once.

use shared::api::maintenance::MaintenanceReport;

use crate::Api;
use crate::error::ApiResult;
use crate::service::notify;

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let done = notify::notify_dead_jobs(api).await?;
    report.add("dead_jobs", done.dead_jobs);
    report.add("emails_queued", done.enqueued);
    Ok(())
}
