//! Row mapping for job queries.

use shared::api::jobs::{ClaimedJob, Job, JobError};
use shared::job::JobState;

use crate::db::{DbError, Row};

pub(crate) fn job(row: &Row) -> Result<Job, DbError> {
    let state: String = row.get("state")?;
    let errors: serde_json::Value = row.get("errors")?;
    Ok(Job {
        id: row.get("id")?,
        queue: row.get("queue")?,
        job_type: row.get("job_type")?,
        args: row.get("args")?,
        state: JobState::parse(&state)
            .ok_or_else(|| DbError::Decode(format!("unknown job state {state}")))?,
        priority: row.get("priority")?,
        attempts: row.get("attempts")?,
        max_attempts: row.get("max_attempts")?,
        run_at: row.get("run_at")?,
        errors: serde_json::from_value::<Vec<JobError>>(errors)
            .map_err(|e| DbError::Decode(format!("errors: {e}")))?,
        result: row.get("result")?,
        created_at: row.get("created_at")?,
        completed_at: row.get("finalized_at")?,
    })
}

pub(crate) fn claimed(row: &Row) -> Result<ClaimedJob, DbError> {
    Ok(ClaimedJob {
        id: row.get("id")?,
        queue: row.get("queue")?,
        job_type: row.get("job_type")?,
        args: row.get("args")?,
        attempt: row.get("attempts")?,
        max_attempts: row.get("max_attempts")?,
        lease_expires_at: row.get("lease_expires_at")?,
        account_id: row.get("account_id")?,
    })
}
