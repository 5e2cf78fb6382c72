//! Bodies of `/api/v1/storages/...`: where an account's files are stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A storage backend. `configuration` never holds a secret: secret fields read `[redacted]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Storage {
    /// Id.
    pub id: Uuid,
    /// Unique within the account.
    pub name: String,
    /// `local`, `s3`, `gcs`, `azure` or `r2`.
    pub provider_type: String,
    /// Provider settings, secrets redacted.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub configuration: serde_json::Value,
    /// Where uploads go unless told otherwise; one per account.
    pub is_default: bool,
    /// Most bytes it may hold (`null`: no limit).
    pub quota_bytes: Option<i64>,
    /// Bytes of every stored version.
    pub used_bytes: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The last scheduled health check (every 5 minutes); `null` until the first.
    pub health: Option<StorageHealth>,
}

/// The outcome of a storage's last scheduled connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageHealth {
    /// The probe object was written, read back and deleted.
    pub ok: bool,
    /// When.
    pub checked_at: DateTime<Utc>,
    /// Which step failed and why (never a credential).
    pub error: Option<String>,
}

/// `POST /api/v1/storages`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateStorageRequest {
    /// 1 to 100 characters, unique within the account (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// A provider this runtime has (required).
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String, min_length = 1))]
    pub provider_type: Option<String>,
    /// The provider's settings (an object; secrets are encrypted at rest).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub configuration: Option<serde_json::Value>,
    /// Make it the account's default.
    pub is_default: Option<bool>,
    /// Most bytes it may hold.
    pub quota_bytes: Option<i64>,
}

/// `PATCH /api/v1/storages/:id`. `configuration` replaces the settings; a secret sent as
/// `[redacted]` keeps its stored value.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateStorageRequest {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// New settings.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub configuration: Option<serde_json::Value>,
    /// `true` makes it the default (the previous default stops being one).
    pub is_default: Option<bool>,
    /// New quota; `null` removes it.
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub quota_bytes: Option<Option<i64>>,
}

/// Answer of `POST /api/v1/storages/:id/test`: a probe object written, read back and deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StorageTestReport {
    /// Whether all three steps worked and the bytes read matched.
    pub ok: bool,
    /// Milliseconds for the three steps.
    pub latency_ms: u64,
    /// What failed, when something did (never a credential).
    pub error: Option<String>,
}

/// Tells a missing field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_null_is_told_apart_from_missing() {
        let cleared: UpdateStorageRequest =
            serde_json::from_str(r#"{"quota_bytes": null}"#).expect("parses");
        assert_eq!(cleared.quota_bytes, Some(None));
        let untouched: UpdateStorageRequest = serde_json::from_str("{}").expect("parses");
        assert_eq!(untouched.quota_bytes, None);
        let set: UpdateStorageRequest =
            serde_json::from_str(r#"{"quota_bytes": 5}"#).expect("parses");
        assert_eq!(set.quota_bytes, Some(Some(5)));
    }
}
