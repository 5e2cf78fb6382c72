//! A run's live progress as server-sent events (`GET /api/v1/ai/runs/:id/events?after=N`):
//! `event: run` with the whole run first, `event: step` for each step as it is recorded,
//! `event: run` again when the status changes, and the stream ends once the run has ended.
//!
//! The stream reads the run every half second: steps are rows a consumer writes through
//! another request, possibly on another instance, and a poll of one indexed row is cheaper
//! than a notification channel every runtime would need. A stream ends after five minutes;
//! the client reconnects with `after` = the last step it has. A runtime that cannot hold a
//! stream (Spin gathers a body whole) answers 503, and the client polls the run instead.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use serde_json::json;
use shared::api::agents::Run;
use uuid::Uuid;

use super::runs;
use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::http::Chunks;
use crate::service::ai::proxy::attempt::Deps;
use crate::store;

const POLL: Duration = Duration::from_millis(500);
const LONGEST_MS: i64 = 5 * 60 * 1000;
/// Polls without news before a comment line keeps idle proxies from closing the stream.
const KEEP_ALIVE_POLLS: u32 = 30;

/// Where a stream is.
struct Cursor {
    deps: Deps,
    account: Uuid,
    run: Uuid,
    last_step: i32,
    status: String,
    started_ms: i64,
    ended: bool,
    idle_polls: u32,
}

fn event(name: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// The stream of one of the account's runs, from after step `after`.
pub async fn stream(api: &Api, account: Uuid, id: Uuid, after: i32) -> ApiResult<Chunks> {
    let run = runs::find(api, account, id).await?;
    let deps = Deps::of(api);
    if !deps.outbound.holds_streams() {
        return Err(ApiError::unavailable(
            "live progress",
            "this runtime cannot hold a stream: poll GET /api/v1/ai/runs/:id",
        ));
    }
    let first = event("run", &json!(run));
    let cursor = Cursor {
        account,
        run: id,
        last_step: run.steps.last().map_or(after, |s| s.n.max(after)),
        status: run.status.clone(),
        started_ms: deps.now_ms(),
        ended: run.is_finished(),
        idle_polls: 0,
        deps,
    };
    let rest = futures_util::stream::unfold(cursor, next);
    Ok(Box::pin(
        futures_util::stream::once(async move { first }).chain(rest),
    ))
}

/// The next events: new steps and a changed status, after a pause when there are none.
async fn next(mut c: Cursor) -> Option<(Bytes, Cursor)> {
    loop {
        if c.ended || c.deps.now_ms() - c.started_ms > LONGEST_MS {
            return None;
        }
        c.deps.outbound.sleep(POLL).await;
        let db = &*c.deps.db;
        let (run, steps) = match read(db, c.account, c.run, c.last_step).await {
            Ok(Some(found)) => found,
            // Deleted with its agent: the stream ends.
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(run = %c.run, error = %e, "a run's progress could not be read");
                continue;
            }
        };
        let mut out = Vec::new();
        for step in &steps {
            out.extend_from_slice(&event("step", &json!(step)));
            c.last_step = step.n;
        }
        if run.status != c.status {
            c.status.clone_from(&run.status);
            c.ended = run.is_finished();
            out.extend_from_slice(&event("run", &json!(run)));
        }
        if !out.is_empty() {
            c.idle_polls = 0;
            return Some((Bytes::from(out), c));
        }
        c.idle_polls += 1;
        if c.idle_polls >= KEEP_ALIVE_POLLS {
            c.idle_polls = 0;
            return Some((Bytes::from_static(b": keep-alive\n\n"), c));
        }
    }
}

async fn read(
    db: &dyn crate::ports::Conn,
    account: Uuid,
    id: Uuid,
    after: i32,
) -> Result<Option<(Run, Vec<shared::api::agents::RunStep>)>, crate::db::DbError> {
    let Some((_, run)) = store::agents::get_run(db, Some(account), id).await? else {
        return Ok(None);
    };
    let steps = store::agents::steps(db, id, after).await?;
    Ok(Some((run, steps)))
}
