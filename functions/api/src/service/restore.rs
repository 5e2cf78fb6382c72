//! Restoring a backup (`service::maintenance::backup`) into the database: what
//! `powernode restore` runs.
//!
//! One transaction inserts the document's rows table by table in dependency order, each with
//! ON CONFLICT DO NOTHING (`sql/backups.sql`): a deleted account comes back whole, an existing
//! one gets what it lost, and a second restore inserts nothing. Rows whose parent is missing
//! (a file whose storage is neither there nor in the backup) are skipped and counted, not
//! fatal. Before anything is written the document is checked: its format and version, and that
//! every row belongs to the backup's account, so a restore never touches another account.

use std::collections::HashSet;

use serde_json::Value;
use uuid::Uuid;

use crate::Api;
use crate::db::DbError;
use crate::ports::storage::StorageError;
use crate::service::maintenance::{BACKUP_FORMAT, BACKUP_PREFIX, BACKUP_VERSION, backup_key};
use crate::service::storages;
use crate::store;
use crate::store::sql;

/// Rows per insert statement: small enough for the progress to move, large enough to be fast.
const BATCH: usize = 500;

/// Why a restore could not be done. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Not a backup document at all.
    #[error("not a Powernode backup: format is {0:?}, expected \"powernode-backup\"")]
    UnknownFormat(String),
    /// A backup of a version this build cannot read.
    #[error("backup version {found} is not supported: this build restores version {supported}")]
    UnsupportedVersion {
        /// The document's version.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// Taken under a newer schema than the database's: its new columns would be dropped.
    #[error(
        "the backup was taken at schema {backup}, newer than this database's {database}: \
         migrate with the newer build first"
    )]
    NewerSchema {
        /// The backup's newest migration.
        backup: String,
        /// The database's.
        database: String,
    },
    /// The document does not have the shape of its version, or a row belongs elsewhere.
    #[error("the backup is malformed: {0}")]
    Malformed(String),
    /// No backup where one was looked for.
    #[error("no backup found: {0}")]
    NotFound(String),
    /// The storage holding the backup could not be opened or read (never a credential).
    #[error("reading the backup from storage: {0}")]
    Storage(String),
    /// The database failed; the transaction was rolled back.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One table of a backup document, in restore order.
struct Table {
    /// The document's key (and the table's name).
    name: &'static str,
    /// The `Restore*` query taking a batch of its rows.
    sql: &'static str,
}

/// Parents before children: the order foreign keys need.
const TABLES: &[Table] = &[
    Table {
        name: "account",
        sql: sql::RESTORE_ACCOUNTS,
    },
    Table {
        name: "users",
        sql: sql::RESTORE_USERS,
    },
    Table {
        name: "user_roles",
        sql: sql::RESTORE_USER_ROLES,
    },
    Table {
        name: "storages",
        sql: sql::RESTORE_STORAGES,
    },
    Table {
        name: "tags",
        sql: sql::RESTORE_TAGS,
    },
    Table {
        name: "files",
        sql: sql::RESTORE_FILES,
    },
    Table {
        name: "file_versions",
        sql: sql::RESTORE_FILE_VERSIONS,
    },
    Table {
        name: "file_tags",
        sql: sql::RESTORE_FILE_TAGS,
    },
    Table {
        name: "file_shares",
        sql: sql::RESTORE_FILE_SHARES,
    },
    Table {
        name: "file_processing_jobs",
        sql: sql::RESTORE_FILE_PROCESSING_JOBS,
    },
    Table {
        name: "webhook_endpoints",
        sql: sql::RESTORE_WEBHOOK_ENDPOINTS,
    },
];

/// A parsed and checked backup document.
#[derive(Debug)]
pub struct Backup {
    /// The account it holds.
    pub account_id: Uuid,
    /// When it was taken, as written in it.
    pub taken_at: String,
    /// The newest migration of the database it was taken from.
    pub schema_version: Option<String>,
    /// Rows per table, in `TABLES` order (the account as a one-row table).
    tables: Vec<(&'static str, &'static str, Vec<Value>)>,
}

impl Backup {
    /// Parses a document and checks it: the format and version, and that every row belongs to
    /// its account (a row of another account, or a child of another account's file, user or
    /// tag, is refused, so a crafted document cannot reach other accounts).
    pub fn parse(bytes: &[u8]) -> Result<Self, RestoreError> {
        let mut doc: serde_json::Map<String, Value> = serde_json::from_slice(bytes)
            .map_err(|e| RestoreError::Malformed(format!("not a JSON object: {e}")))?;
        let format = doc.get("format").and_then(Value::as_str).unwrap_or("");
        if format != BACKUP_FORMAT {
            return Err(RestoreError::UnknownFormat(
                format.chars().take(64).collect(),
            ));
        }
        let version = doc.get("version").and_then(Value::as_i64).unwrap_or(0);
        if version != BACKUP_VERSION {
            return Err(RestoreError::UnsupportedVersion {
                found: version,
                supported: BACKUP_VERSION,
            });
        }
        let taken_at = doc
            .get("taken_at")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let schema_version = doc
            .get("schema_version")
            .and_then(Value::as_str)
            .map(String::from);
        let account = doc
            .remove("account")
            .filter(Value::is_object)
            .ok_or_else(|| RestoreError::Malformed("`account` is not an object".into()))?;
        let account_id = uuid_field(&account, "id")
            .ok_or_else(|| RestoreError::Malformed("`account.id` is not a uuid".into()))?;
        let mut tables = Vec::with_capacity(TABLES.len());
        tables.push((TABLES[0].name, TABLES[0].sql, vec![account]));
        for table in &TABLES[1..] {
            let rows = match doc.remove(table.name) {
                Some(Value::Array(rows)) => rows,
                _ => {
                    return Err(RestoreError::Malformed(format!(
                        "`{}` is not an array",
                        table.name
                    )));
                }
            };
            tables.push((table.name, table.sql, rows));
        }
        let backup = Self {
            account_id,
            taken_at,
            schema_version,
            tables,
        };
        backup.check_ownership()?;
        Ok(backup)
    }

    /// Rows in the document, the account included.
    pub fn rows(&self) -> u64 {
        self.tables
            .iter()
            .map(|(_, _, rows)| rows.len() as u64)
            .sum()
    }

    fn ids(&self, table: &str) -> HashSet<Uuid> {
        self.tables
            .iter()
            .filter(|(name, _, _)| *name == table)
            .flat_map(|(_, _, rows)| rows.iter().filter_map(|r| uuid_field(r, "id")))
            .collect()
    }

    fn check_ownership(&self) -> Result<(), RestoreError> {
        let users = self.ids("users");
        let files = self.ids("files");
        let tags = self.ids("tags");
        let account = Some(self.account_id);
        for (table, _, rows) in &self.tables {
            for (i, row) in rows.iter().enumerate() {
                let bad =
                    |why: &str| Err(RestoreError::Malformed(format!("`{table}` row {i}: {why}")));
                if !row.is_object() {
                    return bad("not an object");
                }
                if *table != "account"
                    && uuid_field(row, "account_id").is_some_and(|a| Some(a) != account)
                {
                    return bad("belongs to another account");
                }
                for (column, owned) in [("user_id", &users), ("file_id", &files), ("tag_id", &tags)]
                {
                    if let Some(value) = row.get(column) {
                        match value.as_str().and_then(|s| s.parse::<Uuid>().ok()) {
                            Some(id) if owned.contains(&id) => {}
                            _ => return bad(&format!("`{column}` is not one of the backup's")),
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn uuid_field(row: &Value, name: &str) -> Option<Uuid> {
    row.get(name)?.as_str()?.parse().ok()
}

/// What a restore did with one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOutcome {
    /// The table.
    pub table: &'static str,
    /// Rows in the backup.
    pub rows: u64,
    /// Rows inserted; the rest were there already or had no parent.
    pub inserted: u64,
}

impl TableOutcome {
    /// Rows not inserted.
    pub fn skipped(&self) -> u64 {
        self.rows - self.inserted.min(self.rows)
    }
}

/// Told of a restore's progress (`powernode restore` draws a bar with it).
pub trait RestoreProgress {
    /// A table is starting, with this many rows.
    fn table(&mut self, _name: &str, _rows: u64) {}
    /// This many more rows were processed.
    fn advance(&mut self, _rows: u64) {}
}

/// A progress that ignores everything.
impl RestoreProgress for () {}

/// Restores `backup` in one transaction; returns what each table got.
pub async fn restore(
    api: &Api,
    backup: &Backup,
    progress: &mut dyn RestoreProgress,
) -> Result<Vec<TableOutcome>, RestoreError> {
    let database = store::backups::schema_version(api.db()).await?;
    if let (Some(taken), Some(here)) = (&backup.schema_version, &database) {
        // Migration versions are zero-padded numbers, so text order is their order.
        if taken > here {
            return Err(RestoreError::NewerSchema {
                backup: taken.clone(),
                database: here.clone(),
            });
        }
    }
    let tx = api.db().begin().await?;
    let mut outcomes = Vec::with_capacity(backup.tables.len());
    for (table, sql, rows) in &backup.tables {
        progress.table(table, rows.len() as u64);
        let mut inserted = 0;
        for batch in rows.chunks(BATCH) {
            inserted += store::backups::restore_rows(&*tx, sql, batch).await?;
            progress.advance(batch.len() as u64);
        }
        tracing::debug!(table, rows = rows.len(), inserted, "table restored");
        outcomes.push(TableOutcome {
            table,
            rows: rows.len() as u64,
            inserted,
        });
    }
    // Versions restored into a storage that was already there are not in its used bytes yet.
    if outcomes
        .iter()
        .any(|o| o.table == "file_versions" && o.inserted > 0)
    {
        store::backups::recount_used_bytes(&*tx, backup.account_id).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Reads a backup of `account` from its default storage: the one of `date` (`YYYY-MM-DD`), or
/// the newest. Returns the object's key and its bytes.
pub async fn read_from_storage(
    api: &Api,
    account: Uuid,
    date: Option<chrono::NaiveDate>,
) -> Result<(String, Vec<u8>), RestoreError> {
    let row = store::files::default_storage(api.db(), account)
        .await?
        .ok_or_else(|| {
            RestoreError::NotFound(format!(
                "account {account} has no default storage (restore a downloaded backup with --file)"
            ))
        })?;
    let store = storages::open(api, &row)
        .await
        .map_err(|e| RestoreError::Storage(e.message))?;
    let storage_error = |e: StorageError| RestoreError::Storage(e.to_string());
    let key = match date {
        Some(date) => backup_key(account, &date.format("%Y-%m-%d").to_string()),
        None => {
            let prefix = format!("{BACKUP_PREFIX}{account}/");
            let mut newest: Option<String> = None;
            let mut after = None;
            loop {
                let page = store.list(&prefix, after).await.map_err(storage_error)?;
                // Keys end in the date, so the greatest key is the newest backup.
                for object in page.objects {
                    if object.key.ends_with(".json")
                        && newest.as_ref().is_none_or(|n| object.key > *n)
                    {
                        newest = Some(object.key);
                    }
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            newest.ok_or_else(|| {
                RestoreError::NotFound(format!(
                    "no backup of account {account} in its default storage"
                ))
            })?
        }
    };
    let mut object = store.get(&key, None).await.map_err(|e| match e {
        StorageError::NotFound => RestoreError::NotFound(format!("no object {key}")),
        other => storage_error(other),
    })?;
    let mut bytes = Vec::with_capacity(usize::try_from(object.size).unwrap_or(0));
    use futures_util::StreamExt as _;
    while let Some(chunk) = object.body.next().await {
        bytes.extend_from_slice(&chunk.map_err(storage_error)?);
    }
    Ok((key, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(account: Uuid) -> Value {
        json!({
            "format": BACKUP_FORMAT, "version": BACKUP_VERSION, "taken_at": "2026-01-02T03:04:05Z",
            "schema_version": "0006", "account": {"id": account, "name": "A"},
            "users": [{"id": Uuid::nil(), "account_id": account}],
            "user_roles": [{"user_id": Uuid::nil(), "role": "owner"}],
            "storages": [], "tags": [], "files": [], "file_versions": [], "file_tags": [],
            "file_shares": [], "file_processing_jobs": [], "webhook_endpoints": [],
        })
    }

    fn parse(v: &Value) -> Result<Backup, RestoreError> {
        Backup::parse(v.to_string().as_bytes())
    }

    #[test]
    fn a_valid_document_parses_with_its_rows() {
        let account = Uuid::from_u128(7);
        let backup = parse(&doc(account)).expect("parses");
        assert_eq!(backup.account_id, account);
        assert_eq!(backup.rows(), 3);
        assert_eq!(backup.schema_version.as_deref(), Some("0006"));
    }

    #[test]
    fn unknown_formats_and_versions_are_refused() {
        let mut v = doc(Uuid::from_u128(7));
        v["version"] = json!(2);
        assert!(matches!(
            parse(&v),
            Err(RestoreError::UnsupportedVersion {
                found: 2,
                supported: 1
            })
        ));
        v["format"] = json!("tarball");
        assert!(matches!(parse(&v), Err(RestoreError::UnknownFormat(f)) if f == "tarball"));
        assert!(matches!(
            Backup::parse(b"[1, 2]"),
            Err(RestoreError::Malformed(_))
        ));
    }

    #[test]
    fn rows_of_other_accounts_are_refused() {
        let mut v = doc(Uuid::from_u128(7));
        v["users"][0]["account_id"] = json!(Uuid::from_u128(8));
        assert!(
            matches!(parse(&v), Err(RestoreError::Malformed(m)) if m.contains("another account"))
        );
        let mut v = doc(Uuid::from_u128(7));
        v["user_roles"][0]["user_id"] = json!(Uuid::from_u128(9));
        assert!(matches!(parse(&v), Err(RestoreError::Malformed(m)) if m.contains("user_id")));
        let mut v = doc(Uuid::from_u128(7));
        v["files"] = json!("nope");
        assert!(matches!(parse(&v), Err(RestoreError::Malformed(m)) if m.contains("files")));
    }
}
