//! argon2id password hashing (OWASP's baseline: 19 MiB, 2 passes, 1 lane: argon2's defaults).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};

use crate::ports::{PasswordError, PasswordHasher};

/// Hashes a password into a PHC string.
pub fn hash(password: &str, salt: [u8; 16]) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

/// Checks a password against a PHC string. A malformed stored hash is an error, not a mismatch.
pub fn verify(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|e| PasswordError(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A hash no password matches, verified against when an email is unknown so that an unknown
/// email and a wrong password take the same time.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that no account uses", [7; 16]).unwrap_or_default())
}

/// The inline hasher: runs argon2 on the calling thread (the edge, where there is no other).
#[derive(Debug, Default, Clone, Copy)]
pub struct InlineArgon2;

crate::maybe_async_trait! {
impl PasswordHasher for InlineArgon2 {
    async fn hash(&self, password: String, salt: [u8; 16]) -> Result<String, PasswordError> {
        hash(&password, salt)
    }
    async fn verify(&self, password: String, phc: String) -> Result<bool, PasswordError> {
        verify(&password, &phc)
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let phc = hash("correct horse battery", [1; 16]).expect("hashes");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &phc).expect("verifies"));
        assert!(!verify("wrong", &phc).expect("verifies"));
        assert!(!verify("anything", decoy_hash()).expect("verifies"));
        assert!(verify("x", "not a phc string").is_err());
    }
}
