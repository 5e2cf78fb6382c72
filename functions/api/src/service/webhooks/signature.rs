//! The providers' signature schemes, checked in constant time. Pure functions of the secret,
//! the headers, the raw body and the API's clock, so each scheme is unit-tested here.
//!
//! - `generic`: `X-Timestamp: <unix seconds>` and `X-Signature: sha256=<hex>` where the hex is
//!   HMAC-SHA256(secret, "{timestamp}.{body}"). Binding the timestamp into what is signed keeps
//!   a captured delivery from being replayed later with a fresh timestamp.
//! - `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>` (GitHub signs no
//!   timestamp; redeliveries are caught by the delivery id instead).
//! - `stripe`: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>...]` where each v1 may be
//!   HMAC-SHA256(secret, "{t}.{body}") (several while Stripe rolls a secret).
//!
//! Timestamps must lie within [`TOLERANCE_SECONDS`] of the API's clock, either way.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

/// How far a signed timestamp may be from the API's clock, seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a signature was refused. Logged for operators; the sender only ever hears "signature".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A header the scheme needs is absent or unreadable.
    Missing,
    /// The timestamp is outside the tolerance.
    Stale,
    /// No signature matches.
    Mismatch,
}

impl Refusal {
    /// For the log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "signature or timestamp header missing or malformed",
            Refusal::Stale => "timestamp outside the tolerance",
            Refusal::Mismatch => "signature does not match",
        }
    }
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail; an empty MAC would only refuse.
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(secret) else {
        return [0; 32];
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Whether `hex_sig` is the hex of `expected`, compared in constant time.
fn matches(expected: &[u8; 32], hex_sig: &str) -> bool {
    let mut given = [0u8; 32];
    if hex::decode_to_slice(hex_sig.trim(), &mut given).is_err() {
        return false;
    }
    bool::from(expected.ct_eq(&given))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

fn fresh(timestamp: &str, now: i64) -> Result<(), Refusal> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| Refusal::Missing)?;
    if now.abs_diff(ts) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(Refusal::Stale);
    }
    Ok(())
}

/// Verifies a delivery for `provider` at unix time `now`.
pub fn verify(
    provider: &str,
    secret: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    match provider {
        "generic" => {
            let ts = header(headers, "x-timestamp").ok_or(Refusal::Missing)?;
            let sig = header(headers, "x-signature")
                .and_then(|s| s.trim().strip_prefix("sha256="))
                .ok_or(Refusal::Missing)?;
            let expected = mac(secret, &[ts.trim().as_bytes(), b".", body]);
            // The signature is checked before the clock so a stale but genuine delivery and a
            // forged one take the same path up to here.
            if !matches(&expected, sig) {
                return Err(Refusal::Mismatch);
            }
            fresh(ts, now)
        }
        "github" => {
            let sig = header(headers, "x-hub-signature-256")
                .and_then(|s| s.trim().strip_prefix("sha256="))
                .ok_or(Refusal::Missing)?;
            if matches(&mac(secret, &[body]), sig) {
                Ok(())
            } else {
                Err(Refusal::Mismatch)
            }
        }
        "stripe" => {
            let value = header(headers, "stripe-signature").ok_or(Refusal::Missing)?;
            let mut ts = None;
            let mut v1 = Vec::new();
            for part in value.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", t)) if ts.is_none() => ts = Some(t),
                    // Two timestamps make the header ambiguous.
                    Some(("t", _)) => return Err(Refusal::Missing),
                    Some(("v1", s)) => v1.push(s),
                    // v0 and other schemes are not accepted.
                    _ => {}
                }
            }
            let ts = ts.ok_or(Refusal::Missing)?;
            if v1.is_empty() {
                return Err(Refusal::Missing);
            }
            let expected = mac(secret, &[ts.trim().as_bytes(), b".", body]);
            // Every candidate is compared, so timing does not tell which one matched.
            let any = v1
                .iter()
                .fold(false, |found, sig| matches(&expected, sig) | found);
            if !any {
                return Err(Refusal::Mismatch);
            }
            fresh(ts, now)
        }
        _ => Err(Refusal::Missing),
    }
}

/// `sha256=<hex>` of HMAC-SHA256(secret, parts...): what a sender puts in its header (tests and
/// documentation examples).
pub fn sign_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(mac(secret, parts))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"ping"}"#;
    const NOW: i64 = 1_700_000_000;

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header value"));
        }
        h
    }

    fn generic(ts: i64, sig: String) -> HeaderMap {
        headers(&[
            ("x-timestamp", ts.to_string()),
            ("x-signature", format!("sha256={sig}")),
        ])
    }

    #[test]
    fn generic_binds_the_timestamp_and_refuses_stale_or_forged() {
        let ts = NOW.to_string();
        let good = sign_hex(SECRET, &[ts.as_bytes(), b".", BODY]);
        assert_eq!(
            verify("generic", SECRET, &generic(NOW, good.clone()), BODY, NOW),
            Ok(())
        );
        // The body alone (no timestamp) is not what is signed.
        let unbound = sign_hex(SECRET, &[BODY]);
        assert_eq!(
            verify("generic", SECRET, &generic(NOW, unbound), BODY, NOW),
            Err(Refusal::Mismatch)
        );
        // The same signature with another timestamp fails.
        assert_eq!(
            verify(
                "generic",
                SECRET,
                &generic(NOW + 1, good.clone()),
                BODY,
                NOW
            ),
            Err(Refusal::Mismatch)
        );
        let old = (NOW - 301).to_string();
        let stale = sign_hex(SECRET, &[old.as_bytes(), b".", BODY]);
        assert_eq!(
            verify("generic", SECRET, &generic(NOW - 301, stale), BODY, NOW),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify("generic", b"other", &generic(NOW, good.clone()), BODY, NOW),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify("generic", SECRET, &generic(NOW, "zz".into()), BODY, NOW),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify("generic", SECRET, &headers(&[]), BODY, NOW),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn github_signs_the_body() {
        let sig = sign_hex(SECRET, &[BODY]);
        let h = headers(&[("x-hub-signature-256", format!("sha256={sig}"))]);
        assert_eq!(verify("github", SECRET, &h, BODY, NOW), Ok(()));
        assert_eq!(
            verify("github", SECRET, &h, b"{}", NOW),
            Err(Refusal::Mismatch)
        );
        let bare = headers(&[("x-hub-signature-256", sig)]);
        assert_eq!(
            verify("github", SECRET, &bare, BODY, NOW),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn stripe_accepts_any_v1_within_the_tolerance() {
        let ts = NOW.to_string();
        let sig = sign_hex(SECRET, &[ts.as_bytes(), b".", BODY]);
        let h = |v: String| headers(&[("stripe-signature", v)]);
        assert_eq!(
            verify("stripe", SECRET, &h(format!("t={NOW},v1={sig}")), BODY, NOW),
            Ok(())
        );
        assert_eq!(
            verify(
                "stripe",
                SECRET,
                &h(format!("t={NOW},v1={},v1={sig},v0=x", "ab".repeat(32))),
                BODY,
                NOW + 299
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                "stripe",
                SECRET,
                &h(format!("t={NOW},v1={sig}")),
                BODY,
                NOW + 301
            ),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify("stripe", SECRET, &h(format!("t={NOW}")), BODY, NOW),
            Err(Refusal::Missing)
        );
        assert_eq!(
            verify(
                "stripe",
                SECRET,
                &h(format!("t={},v1={sig}", NOW + 1)),
                BODY,
                NOW
            ),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify(
                "stripe",
                SECRET,
                &h(format!("t={NOW},t={NOW},v1={sig}")),
                BODY,
                NOW
            ),
            Err(Refusal::Missing)
        );
    }
}
