//! Storage provider secrets at rest: AES-256-GCM under a key derived from the platform's
//! `POWERNODE_ENCRYPTION_KEY`, stored as `encrypted:<base64url(nonce ‖ ciphertext)>`.
//!
//! The associated data binds each value to its storage and field, so a ciphertext copied into
//! another storage's row, or into another field, does not decrypt. Values are decrypted only
//! when a provider is built; API answers show `[redacted]` instead.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ports::storage::secret_fields;

/// Marks an encrypted value.
pub const PREFIX: &str = "encrypted:";
/// What answers show in place of a secret.
pub const REDACTED: &str = "[redacted]";

const NONCE_LEN: usize = 12;

/// Why a stored secret could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// Not `encrypted:` followed by base64 of at least a nonce and a tag.
    #[error("the stored value of `{0}` is not an encrypted secret")]
    Malformed(String),
    /// Wrong key, or the value was altered or moved from another storage or field.
    #[error("the stored value of `{0}` does not decrypt with this platform's key")]
    Undecryptable(String),
}

/// The AES-256 key, derived from the configured secret (any length) with SHA-256.
#[derive(Clone)]
pub struct CredentialKey([u8; 32]);

impl CredentialKey {
    /// The key for `secret` (`POWERNODE_ENCRYPTION_KEY`).
    pub fn from_secret(secret: &[u8]) -> Self {
        Self(Sha256::digest(secret).into())
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }
}

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialKey(..)")
    }
}

fn aad(storage: Uuid, field: &str) -> Vec<u8> {
    let mut aad = storage.as_bytes().to_vec();
    aad.extend_from_slice(field.as_bytes());
    aad
}

/// Encrypts `plaintext` for `field` of `storage` with a fresh `nonce`.
pub fn seal(
    key: &CredentialKey,
    storage: Uuid,
    field: &str,
    plaintext: &str,
    nonce: [u8; NONCE_LEN],
) -> String {
    let aad = aad(storage, field);
    // Encryption fails only past AES-GCM's 64 GiB message limit.
    let ciphertext = key
        .cipher()
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
}

/// Decrypts a value `seal` made for the same storage and field.
pub fn open(
    key: &CredentialKey,
    storage: Uuid,
    field: &str,
    sealed: &str,
) -> Result<String, CredentialError> {
    let malformed = || CredentialError::Malformed(field.to_string());
    let bytes = sealed
        .strip_prefix(PREFIX)
        .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
        .filter(|b| b.len() > NONCE_LEN + 16)
        .ok_or_else(malformed)?;
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| malformed())?;
    let aad = aad(storage, field);
    let plain = key
        .cipher()
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| CredentialError::Undecryptable(field.to_string()))?;
    String::from_utf8(plain).map_err(|_| malformed())
}

/// Encrypts the provider's secret fields of `config` that are given in plain text, each with a
/// nonce from `nonce`. Already encrypted values (kept from an earlier save) stay as they are.
pub fn seal_config(
    key: &CredentialKey,
    storage: Uuid,
    provider_type: &str,
    config: &mut Map<String, Value>,
    mut nonce: impl FnMut() -> [u8; NONCE_LEN],
) {
    for field in secret_fields(provider_type) {
        if let Some(Value::String(v)) = config.get_mut(*field)
            && !v.starts_with(PREFIX)
        {
            *v = seal(key, storage, field, v, nonce());
        }
    }
}

/// The configuration with its secret fields decrypted, for building the provider.
pub fn open_config(
    key: &CredentialKey,
    storage: Uuid,
    provider_type: &str,
    config: &Value,
) -> Result<Value, CredentialError> {
    let mut config = config.clone();
    if let Some(map) = config.as_object_mut() {
        for field in secret_fields(provider_type) {
            if let Some(Value::String(v)) = map.get_mut(*field) {
                *v = open(key, storage, field, v)?;
            }
        }
    }
    Ok(config)
}

/// The configuration as answers show it: every secret field `[redacted]`.
pub fn redact(provider_type: &str, config: &Value) -> Value {
    let mut config = config.clone();
    if let Some(map) = config.as_object_mut() {
        for field in secret_fields(provider_type) {
            if map.contains_key(*field) {
                map.insert((*field).to_string(), Value::String(REDACTED.into()));
            }
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key() -> CredentialKey {
        CredentialKey::from_secret(b"test encryption key")
    }

    #[test]
    fn secrets_round_trip_and_only_for_their_storage_field_and_key() {
        let storage = Uuid::from_u128(1);
        let sealed = seal(&key(), storage, "secret_access_key", "s3cr3t", [7; 12]);
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(
            open(&key(), storage, "secret_access_key", &sealed).as_deref(),
            Ok("s3cr3t")
        );
        let moved = open(&key(), Uuid::from_u128(2), "secret_access_key", &sealed);
        assert!(matches!(moved, Err(CredentialError::Undecryptable(_))));
        let other_field = open(&key(), storage, "account_key", &sealed);
        assert!(matches!(
            other_field,
            Err(CredentialError::Undecryptable(_))
        ));
        let other_key = open(
            &CredentialKey::from_secret(b"another key"),
            storage,
            "secret_access_key",
            &sealed,
        );
        assert!(matches!(other_key, Err(CredentialError::Undecryptable(_))));
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        assert!(open(&key(), storage, "secret_access_key", &tampered).is_err());
        assert!(matches!(
            open(&key(), storage, "secret_access_key", "plain"),
            Err(CredentialError::Malformed(_))
        ));
    }

    #[test]
    fn configs_seal_only_secret_fields_once_and_redact_them() {
        let storage = Uuid::from_u128(9);
        let mut config = json!({ "bucket": "b", "access_key_id": "AK", "secret_access_key": "SK" });
        let map = config.as_object_mut().expect("object");
        let mut n = 0u8;
        seal_config(&key(), storage, "s3", map, || {
            n += 1;
            [n; 12]
        });
        let sealed_once = map["secret_access_key"].clone();
        assert!(sealed_once.as_str().is_some_and(|v| v.starts_with(PREFIX)));
        assert_eq!(map["access_key_id"], "AK", "not a secret");
        seal_config(&key(), storage, "s3", map, || [99; 12]);
        assert_eq!(map["secret_access_key"], sealed_once, "not sealed twice");
        let opened = open_config(&key(), storage, "s3", &config).expect("opens");
        assert_eq!(opened["secret_access_key"], "SK");
        let shown = redact("s3", &config);
        assert_eq!(shown["secret_access_key"], REDACTED);
        assert_eq!(shown["bucket"], "b");
        assert_eq!(redact("local", &json!({})), json!({}));
    }
}
