//! Signed download URLs: `GET /api/v1/files/:id/url` hands out
//! `/api/v1/files/:id/content?version=V&expires=E&signature=S`, which downloads without a token
//! until `E`. `S` is HMAC-SHA256 over the file id, version and expiry under a key derived from
//! the platform's JWT secret (domain-separated, so no token signature can be replayed as one);
//! it is checked in constant time, and any change to the URL gives 403.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::download;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::Outcome;
use crate::store;

/// Shortest and longest lifetimes a caller may ask for, seconds.
pub const EXPIRES_IN: std::ops::RangeInclusive<i64> = 1..=7 * 24 * 3600;
/// The lifetime when none is asked for.
pub const DEFAULT_EXPIRES_IN: i64 = 3600;

pub use shared::api::files::SignedUrl;

/// What a signature allows; part of what is signed, so one purpose's URL never passes as
/// another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `GET` the bytes of a version.
    Download,
    /// `PUT` the bytes of a direct upload.
    Upload,
}

fn mac(secret: &[u8], purpose: Purpose, id: Uuid, version: i32, expires: i64) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)]
    let mut key = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    key.update(match purpose {
        Purpose::Download => &b"powernode signed download v1\0"[..],
        Purpose::Upload => &b"powernode signed upload v1\0"[..],
    });
    key.update(id.as_bytes());
    key.update(&version.to_be_bytes());
    key.update(&expires.to_be_bytes());
    key
}

/// The signature of `(purpose, id, version, expires)`, hex.
pub fn sign(secret: &[u8], purpose: Purpose, id: Uuid, version: i32, expires: i64) -> String {
    hex::encode(
        mac(secret, purpose, id, version, expires)
            .finalize()
            .into_bytes(),
    )
}

/// Whether `signature` (hex) signs `(purpose, id, version, expires)`; constant time.
pub fn verify(
    secret: &[u8],
    purpose: Purpose,
    id: Uuid,
    version: i32,
    expires: i64,
    signature: &str,
) -> bool {
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    mac(secret, purpose, id, version, expires)
        .verify_slice(&bytes)
        .is_ok()
}

/// A signed URL for the caller's file, valid `expires_in` seconds.
pub async fn issue(ctx: &Ctx<'_>, id: Uuid, expires_in: Option<i64>) -> ApiResult<SignedUrl> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let expires_in = expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !EXPIRES_IN.contains(&expires_in) {
        return Err(ApiError::invalid_field(
            "expires_in",
            format!(
                "must be {} to {} seconds",
                EXPIRES_IN.start(),
                EXPIRES_IN.end()
            ),
        ));
    }
    let file = store::files::get(api.db(), account, id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    let expires_at = api.now() + chrono::Duration::seconds(expires_in);
    let expires = expires_at.timestamp();
    let signature = sign(
        &api.config().jwt_secret,
        Purpose::Download,
        id,
        file.version,
        expires,
    );
    Ok(SignedUrl {
        url: format!(
            "/api/v1/files/{id}/content?version={}&expires={expires}&signature={signature}",
            file.version
        ),
        expires_at,
    })
}

/// Serves a signed URL: 403 for any altered or expired one, before anything is looked up.
pub async fn serve(ctx: &Ctx<'_>, id: Uuid) -> ApiResult<Outcome> {
    let api = ctx.api;
    let forbidden = || {
        ApiError::new(
            shared::ErrorCode::Forbidden,
            "the link is invalid or has expired",
        )
    };
    let q = |name: &str| ctx.req.query_param(name);
    let version: i32 = q("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(forbidden)?;
    let expires: i64 = q("expires")
        .and_then(|v| v.parse().ok())
        .ok_or_else(forbidden)?;
    let signature = q("signature").ok_or_else(forbidden)?;
    if !verify(
        &api.config().jwt_secret,
        Purpose::Download,
        id,
        version,
        expires,
        &signature,
    ) || expires < api.now().timestamp()
    {
        return Err(forbidden());
    }
    let file = store::files::get_any(api.db(), id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    download::serve(ctx, &file, Some(version)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_what_it_signed() {
        let id = Uuid::from_u128(42);
        let d = Purpose::Download;
        let sig = sign(b"secret", d, id, 3, 1_900_000_000);
        assert!(!verify(
            b"secret",
            Purpose::Upload,
            id,
            3,
            1_900_000_000,
            &sig
        ));
        assert!(verify(b"secret", d, id, 3, 1_900_000_000, &sig));
        assert!(!verify(b"secret", d, id, 4, 1_900_000_000, &sig));
        assert!(!verify(b"secret", d, id, 3, 1_900_000_001, &sig));
        assert!(!verify(
            b"secret",
            d,
            Uuid::from_u128(43),
            3,
            1_900_000_000,
            &sig
        ));
        assert!(!verify(b"other", d, id, 3, 1_900_000_000, &sig));
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!verify(
            b"secret",
            d,
            id,
            3,
            1_900_000_000,
            &String::from_utf8(flipped).expect("hex")
        ));
        assert!(!verify(b"secret", d, id, 3, 1_900_000_000, "zz"));
    }
}
