//! `backup`, daily: every account's metadata as one JSON document in its default storage, at
//! `_powernode/backups/{account}/{YYYY-MM-DD}.json`; `powernode restore` reads it back
//! (`service::restore`).
//!
//! The document is built by Postgres (`sql/backups.sql`): whole rows as `to_jsonb` makes them,
//! so the export is exact and follows the schema by itself. Secrets stay as stored: password
//! hashes, and storage and webhook secrets sealed with `POWERNODE_ENCRYPTION_KEY` (a restore
//! needs the same key to use them; nothing is ever decrypted here). Left out (why is beside
//! `BackupDocument` in `sql/backups.sql`): queue jobs, sessions, refresh tokens, audit logs and
//! webhook events.
//!
//! Idempotent: the key is the day's, so a second run the same day replaces the first's object.
//! An account without a default storage, or whose storage fails, is a problem line; the other
//! accounts are still backed up.

use bytes::Bytes;
use shared::api::maintenance::MaintenanceReport;
use uuid::Uuid;

use crate::Api;
use crate::error::ApiResult;
use crate::service::storages;
use crate::store;

/// Where backups live in a storage; the orphan sweep leaves this prefix alone.
pub const BACKUP_PREFIX: &str = "_powernode/backups/";
/// The document's `format`.
pub const BACKUP_FORMAT: &str = "powernode-backup";
/// The document's `version`: bumped when a restore could no longer read older documents the
/// same way (a renamed key, a table split).
pub const BACKUP_VERSION: i64 = 1;

/// Accounts read per page.
const PAGE: i64 = 100;

/// The object key of an account's backup taken on `date` (`YYYY-MM-DD`).
pub fn backup_key(account: Uuid, date: &str) -> String {
    format!("{BACKUP_PREFIX}{account}/{date}.json")
}

pub async fn run(api: &Api, report: &mut MaintenanceReport) -> ApiResult<()> {
    let mut after = Uuid::nil();
    loop {
        let page = store::backups::accounts_page(api.db(), after, PAGE).await?;
        for account in &page {
            back_up(api, *account, report).await?;
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = *last,
            _ => return Ok(()),
        }
    }
}

/// Backs one account up; only a database error fails the run.
async fn back_up(api: &Api, account: Uuid, report: &mut MaintenanceReport) -> ApiResult<()> {
    let Some(storage) = store::files::default_storage(api.db(), account).await? else {
        report.problem(format!(
            "account {account}: no default storage, so no backup (it gets one with its first upload)"
        ));
        return Ok(());
    };
    let taken_at = api.now();
    let Some((document, rows)) =
        store::backups::document(api.db(), account, BACKUP_FORMAT, BACKUP_VERSION, taken_at)
            .await?
    else {
        // Deleted since it was listed: nothing left to back up.
        return Ok(());
    };
    let key = backup_key(account, &taken_at.format("%Y-%m-%d").to_string());
    let where_to = format!(
        "account {account}: storage {} ({})",
        storage.id, storage.provider_type
    );
    let store = match storages::open(api, &storage).await {
        Ok(store) => store,
        Err(e) => {
            report.problem(format!("{where_to}: {}", e.message));
            return Ok(());
        }
    };
    let body = Bytes::from(document);
    let size = body.len() as u64;
    let put = store
        .put(
            &key,
            Box::pin(futures_util::stream::once(async move { Ok(body) })),
            Some(size),
            "application/json",
        )
        .await;
    match put {
        Ok(written) => {
            tracing::info!(%account, %key, rows, bytes = written, "account backed up");
            report.add("accounts_backed_up", 1);
            report.add("rows", rows);
            report.add("bytes", written);
        }
        Err(e) => report.problem(format!("{where_to}: {e}")),
    }
    Ok(())
}
