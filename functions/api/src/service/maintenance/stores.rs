//! Opened storages, kept for one task run: a sweep touching many files of one storage opens it
//! (and decrypts its credentials) once.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::Api;
use crate::error::ApiResult;
use crate::ports::storage::ObjectStore;
use crate::service::storages;
use crate::store;

#[derive(Default)]
pub struct Stores {
    opened: HashMap<Uuid, Result<Arc<dyn ObjectStore>, String>>,
}

impl Stores {
    /// The store of `storage` (owned by `account`), or why it cannot be opened (safe to
    /// report: never a credential). A database error fails the run.
    pub async fn get(
        &mut self,
        api: &Api,
        account: Uuid,
        storage: Uuid,
    ) -> ApiResult<Result<Arc<dyn ObjectStore>, String>> {
        if let Some(opened) = self.opened.get(&storage) {
            return Ok(opened.clone());
        }
        let opened = match store::storages::get(api.db(), account, storage, false).await? {
            None => Err(format!("storage {storage} is gone")),
            Some(row) => storages::open(api, &row)
                .await
                .map_err(|e| format!("storage {storage} ({}): {}", row.provider_type, e.message)),
        };
        self.opened.insert(storage, opened.clone());
        Ok(opened)
    }
}
