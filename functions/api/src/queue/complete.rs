//! Completing jobs, a batch per statement.

use std::collections::HashSet;

use uuid::Uuid;

use super::executions::{self, Finished};
use crate::Api;
use crate::db::DbError;
use crate::store::sql;

/// Marks jobs completed with their results. Returns the ids that were completed; an id missing
/// from the answer was not held by `worker` any more (its lease expired and it was re-delivered).
pub async fn complete(
    api: &Api,
    worker: &str,
    jobs: Vec<(Uuid, Option<serde_json::Value>)>,
) -> Result<HashSet<Uuid>, DbError> {
    let (ids, results): (Vec<Uuid>, Vec<serde_json::Value>) = jobs
        .into_iter()
        .map(|(id, r)| (id, r.unwrap_or(serde_json::Value::Null)))
        .unzip();
    let rows = api
        .db()
        .query(
            sql::JOB_COMPLETE,
            &[
                ids.into(),
                api.now().into(),
                serde_json::Value::Array(results).into(),
                worker.into(),
            ],
        )
        .await?;
    let now = api.now();
    let mut done = HashSet::with_capacity(rows.len());
    let mut finished = Vec::with_capacity(rows.len());
    for r in &rows {
        let (queue, job_type): (String, String) = (r.get("queue")?, r.get("job_type")?);
        api.metrics()
            .record_job(&queue, &job_type, "completed", r.get("run_seconds")?);
        let id: Uuid = r.get("id")?;
        done.insert(id);
        finished.push(Finished::new(
            id,
            queue,
            job_type,
            r.get("account_id")?,
            r.get("attempts")?,
            r.get("started_at")?,
            now,
            "completed",
            None,
        ));
    }
    executions::record(api, finished).await;
    Ok(done)
}
