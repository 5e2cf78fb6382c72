//! JWTs: user access tokens and the worker service token, both HS256.
//!
//! The two kinds carry different audiences, so a user token is never accepted where the
//! service token is required and the reverse. Expiry is checked against a `now` the caller
//! passes, not a clock read here (there is no portable clock on `wasm32-unknown-unknown`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// jsonwebtoken's crypto, HS256 only. Its `rust_crypto` provider links RSA, ECDSA (P-256,
/// P-384) and Ed25519 as well, whichever algorithm a token names: about 300 KB of wasm that
/// the Workers could never reach, since only HS256 is signed or accepted here. Header,
/// claim and audience validation stay jsonwebtoken's; `decode` refuses any other `alg`
/// before it asks this provider for a verifier.
mod hs256 {
    use hmac::{Hmac, Mac};
    use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
    use jsonwebtoken::errors::{Error, ErrorKind};
    use jsonwebtoken::signature::{self, Signer, Verifier};
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
    use sha2::Sha256;

    type HmacSha256 = Hmac<Sha256>;

    struct Hs256(HmacSha256);

    impl Hs256 {
        fn new(secret: &[u8]) -> Result<Self, Error> {
            HmacSha256::new_from_slice(secret)
                .map(Self)
                .map_err(|_| ErrorKind::InvalidKeyFormat.into())
        }
    }

    impl Signer<Vec<u8>> for Hs256 {
        fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
            let mut mac = self.0.clone();
            mac.update(msg);
            Ok(mac.finalize().into_bytes().to_vec())
        }
    }

    impl Verifier<Vec<u8>> for Hs256 {
        fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
            let mut mac = self.0.clone();
            mac.update(msg);
            // Constant-time comparison.
            mac.verify_slice(signature)
                .map_err(signature::Error::from_source)
        }
    }

    impl JwtSigner for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    impl JwtVerifier for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
        match alg {
            Algorithm::HS256 => Ok(Box::new(Hs256::new(key.try_get_hmac_secret()?)?)),
            _ => Err(ErrorKind::InvalidAlgorithm.into()),
        }
    }

    fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
        match alg {
            Algorithm::HS256 => Ok(Box::new(Hs256::new(key.try_get_hmac_secret()?)?)),
            _ => Err(ErrorKind::InvalidAlgorithm.into()),
        }
    }

    static PROVIDER: CryptoProvider = CryptoProvider {
        signer_factory: signer,
        verifier_factory: verifier,
        // JWKs are never used; these panic if called.
        jwk_utils: JwkUtils::new_unimplemented(),
    };

    /// Makes [`PROVIDER`] jsonwebtoken's process-wide provider; every call after the first
    /// is a no-op (a read of a `OnceLock`).
    pub(super) fn install() {
        let _ = PROVIDER.install_default();
    }
}

/// `iss` of every token the platform signs.
pub const ISSUER: &str = "powernode";
/// `aud` of user access tokens.
pub const ACCESS_AUDIENCE: &str = "powernode:api";
/// `aud` of service tokens used by consumers on `/api/v1/worker/...`.
pub const SERVICE_AUDIENCE: &str = "powernode:worker";
/// Clock skew tolerated on `exp`, in seconds.
pub const LEEWAY_SECONDS: i64 = 5;

/// Claims of a user access token. Roles are deliberately absent: permissions are loaded per
/// request so that a role change or a deactivation takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: Uuid,
    /// The user's account id.
    pub acc: Uuid,
    /// The session (refresh-token family) the token was issued for; revoked sessions fail.
    pub sid: Uuid,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`ACCESS_AUDIENCE`].
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

impl AccessClaims {
    /// Claims for a token issued at `now` that lives `ttl_seconds`.
    pub fn new(user: Uuid, account: Uuid, session: Uuid, now: i64, ttl_seconds: i64) -> Self {
        Self {
            sub: user,
            acc: account,
            sid: session,
            iss: ISSUER.into(),
            aud: ACCESS_AUDIENCE.into(),
            iat: now,
            exp: now + ttl_seconds,
        }
    }
}

/// Claims of a service token: which consumer is calling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceClaims {
    /// The calling service, e.g. `media-runner`.
    pub sub: String,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`SERVICE_AUDIENCE`].
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

impl ServiceClaims {
    /// Claims for `service` issued at `now` that live `ttl_seconds`.
    pub fn new(service: &str, now: i64, ttl_seconds: i64) -> Self {
        Self {
            sub: service.into(),
            iss: ISSUER.into(),
            aud: SERVICE_AUDIENCE.into(),
            iat: now,
            exp: now + ttl_seconds,
        }
    }
}

/// Why a token was refused. Every variant means 401 to a client; the variants are for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts, bad JSON, or missing claims.
    #[error("token is malformed")]
    Malformed,
    /// Any algorithm but HS256, `none` included.
    #[error("token algorithm is not accepted")]
    WrongAlgorithm,
    /// The HMAC does not match.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is in the past.
    #[error("token has expired")]
    Expired,
    /// Another token kind's audience.
    #[error("token audience is wrong")]
    WrongAudience,
    /// Not issued by Powernode.
    #[error("token issuer is wrong")]
    WrongIssuer,
    /// The signing secret is unusable (empty).
    #[error("signing key is unusable")]
    BadKey,
}

/// Signs user access claims with the platform's `JWT_SECRET`.
pub fn sign_access(claims: &AccessClaims, secret: &[u8]) -> Result<String, TokenError> {
    sign(claims, secret)
}

/// Verifies a user access token at time `now` (Unix seconds).
pub fn verify_access(token: &str, secret: &[u8], now: i64) -> Result<AccessClaims, TokenError> {
    let claims: AccessClaims = verify(token, secret, ACCESS_AUDIENCE)?;
    check_expiry(claims.exp, now)?;
    Ok(claims)
}

/// Signs service claims with `WORKER_SERVICE_TOKEN`.
pub fn sign_service(claims: &ServiceClaims, secret: &[u8]) -> Result<String, TokenError> {
    sign(claims, secret)
}

/// Verifies a service token at time `now` (Unix seconds).
pub fn verify_service(token: &str, secret: &[u8], now: i64) -> Result<ServiceClaims, TokenError> {
    let claims: ServiceClaims = verify(token, secret, SERVICE_AUDIENCE)?;
    check_expiry(claims.exp, now)?;
    Ok(claims)
}

fn sign<T: Serialize>(claims: &T, secret: &[u8]) -> Result<String, TokenError> {
    if secret.is_empty() {
        return Err(TokenError::BadKey);
    }
    hs256::install();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|_| TokenError::BadKey)
}

fn verify<T: DeserializeOwned>(
    token: &str,
    secret: &[u8],
    audience: &str,
) -> Result<T, TokenError> {
    if secret.is_empty() {
        return Err(TokenError::BadKey);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // jsonwebtoken reads the system clock for exp/nbf, which panics on wasm32-unknown-unknown;
    // expiry is checked by `check_expiry` with the caller's clock instead.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims = ["exp", "aud", "iss", "sub"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ISSUER]);
    hs256::install();
    jsonwebtoken::decode::<T>(token, &DecodingKey::from_secret(secret), &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                TokenError::WrongAlgorithm
            }
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Malformed,
        })
}

fn check_expiry(exp: i64, now: i64) -> Result<(), TokenError> {
    if exp + LEEWAY_SECONDS <= now {
        Err(TokenError::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::{Sha256, Sha512};

    const SECRET: &[u8] = b"test-secret-of-reasonable-length";
    const NOW: i64 = 1_800_000_000;

    fn b64(s: &str) -> String {
        b64_bytes(s.as_bytes())
    }

    fn b64_bytes(bytes: &[u8]) -> String {
        // URL-safe base64 without padding, enough for the hand-made tokens below.
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn access() -> AccessClaims {
        AccessClaims::new(
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            NOW,
            900,
        )
    }

    #[test]
    fn access_token_round_trips() {
        let token = sign_access(&access(), SECRET).expect("signs");
        assert_eq!(verify_access(&token, SECRET, NOW + 10), Ok(access()));
    }

    #[test]
    fn expired_tampered_and_wrong_key_are_refused() {
        let token = sign_access(&access(), SECRET).expect("signs");
        assert_eq!(
            verify_access(&token, SECRET, NOW + 900 + LEEWAY_SECONDS),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify_access(&token, b"another-secret", NOW),
            Err(TokenError::BadSignature)
        );
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let forged = access_with_sub(Uuid::from_u128(99));
        parts[1] = b64(&serde_json::to_string(&forged).expect("json"));
        assert_eq!(
            verify_access(&parts.join("."), SECRET, NOW),
            Err(TokenError::BadSignature)
        );
    }

    fn access_with_sub(sub: Uuid) -> AccessClaims {
        AccessClaims { sub, ..access() }
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let payload = b64(&serde_json::to_string(&access()).expect("json"));
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), payload);
        assert!(verify_access(&none, SECRET, NOW).is_err());
        // Correctly signed with the same secret, but not HS256.
        let hs512 = hand_signed(r#"{"alg":"HS512","typ":"JWT"}"#, &payload, hmac_sha512);
        assert_eq!(
            verify_access(&hs512, SECRET, NOW),
            Err(TokenError::WrongAlgorithm)
        );
        let rs256 = format!("{}.{}.AAAA", b64(r#"{"alg":"RS256","typ":"JWT"}"#), payload);
        assert_eq!(
            verify_access(&rs256, SECRET, NOW),
            Err(TokenError::WrongAlgorithm)
        );
    }

    fn hmac_sha256(message: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("key");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn hmac_sha512(message: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha512>::new_from_slice(SECRET).expect("key");
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A token signed by hand (`mac` over `header.payload`), independent of jsonwebtoken.
    fn hand_signed(header: &str, payload: &str, mac: fn(&str) -> Vec<u8>) -> String {
        let message = format!("{}.{payload}", b64(header));
        format!("{message}.{}", b64_bytes(&mac(&message)))
    }

    #[test]
    fn hs256_interoperates_with_a_plain_hmac() {
        let payload = b64(&serde_json::to_string(&access()).expect("json"));
        let token = hand_signed(r#"{"alg":"HS256","typ":"JWT"}"#, &payload, hmac_sha256);
        assert_eq!(verify_access(&token, SECRET, NOW), Ok(access()));
        // And the other way: what we sign carries a plain HMAC-SHA256 of its first two parts.
        let signed = sign_access(&access(), SECRET).expect("signs");
        let (message, signature) = signed.rsplit_once('.').expect("three parts");
        assert_eq!(signature, b64_bytes(&hmac_sha256(message)));
    }

    #[test]
    fn token_kinds_do_not_cross() {
        let service =
            sign_service(&ServiceClaims::new("media-runner", NOW, 60), SECRET).expect("signs");
        let user = sign_access(&access(), SECRET).expect("signs");
        assert!(verify_service(&service, SECRET, NOW).is_ok());
        // A service `sub` is not a UUID, so decoding may stop before the audience check; refused either way.
        assert!(matches!(
            verify_access(&service, SECRET, NOW),
            Err(TokenError::WrongAudience | TokenError::Malformed)
        ));
        assert_eq!(
            verify_service(&user, SECRET, NOW),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn empty_secret_is_unusable() {
        assert_eq!(sign_access(&access(), b""), Err(TokenError::BadKey));
    }
}
