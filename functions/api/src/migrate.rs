//! Applies `migrations/NNNN_name.sql` in order, once each, recording them in
//! `schema_migrations` with a checksum; then syncs the built-in roles. Each migration runs in its
//! own transaction under an advisory lock, so hosts starting together never race.

use sha2::{Digest, Sha256};

use crate::Api;
use crate::db::DbError;
use crate::error::ApiResult;
use crate::service::admin;
use crate::store::{query_opt, sql};

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// `0001`.
    pub version: &'static str,
    /// `foundation`.
    pub name: &'static str,
    /// The SQL.
    pub sql: &'static str,
}

/// Every migration, in order (embedded by `build.rs`).
pub static MIGRATIONS: &[Migration] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Why migrating failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// An applied migration's file changed afterwards.
    #[error(
        "migration {version} was changed after it was applied (checksum {applied} in the database, {file} in the file)"
    )]
    Changed {
        /// Version.
        version: String,
        /// Recorded checksum.
        applied: String,
        /// Checksum of the embedded file.
        file: String,
    },
    /// The database refused.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Seeding roles failed.
    #[error("seeding roles failed: {0}")]
    Seed(String),
}

/// Applies what is pending and returns the versions applied now.
pub async fn run(api: &Api) -> Result<Vec<&'static str>, MigrateError> {
    let db = api.db();
    db.execute(sql::SCHEMA_MIGRATIONS_CREATE, &[]).await?;
    let mut applied_now = Vec::new();
    for m in MIGRATIONS {
        let checksum = checksum(m.sql);
        let tx = db.begin().await?;
        tx.execute(sql::SCHEMA_MIGRATIONS_LOCK, &[]).await?;
        match query_opt(&*tx, sql::SCHEMA_MIGRATION_GET, &[m.version.into()]).await? {
            Some(row) => {
                let applied: String = row.get("checksum")?;
                tx.rollback().await?;
                if applied != checksum {
                    return Err(MigrateError::Changed {
                        version: m.version.into(),
                        applied,
                        file: checksum,
                    });
                }
            }
            None => {
                tx.batch_execute(m.sql).await?;
                tx.execute(
                    sql::SCHEMA_MIGRATION_INSERT,
                    &[m.version.into(), m.name.into(), checksum.into()],
                )
                .await?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "migration applied");
                applied_now.push(m.version);
            }
        }
    }
    seed(api).await.map_err(|e| MigrateError::Seed(e.message))?;
    Ok(applied_now)
}

async fn seed(api: &Api) -> ApiResult<()> {
    admin::sync_roles(api).await
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_embedded_in_order() {
        assert!(!MIGRATIONS.is_empty());
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(MIGRATIONS[0].name, "foundation");
    }
}
