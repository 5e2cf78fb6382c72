//! Pure formatting and parsing helpers (unit-tested natively): sizes, durations, dates, query
//! strings, token expiry.

use base64::Engine;
use chrono::{DateTime, Utc};

/// Dollars with enough places for a fraction of a cent (a small model's call costs that).
pub fn usd(v: f64) -> String {
    if v == 0.0 || v >= 0.01 {
        format!("${v:.2}")
    } else {
        format!("${v:.6}")
    }
}

/// `1536` → `1.5 KiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `75` → `1 min 15 s`.
pub fn duration_secs(s: u64) -> String {
    match s {
        0..60 => format!("{s} s"),
        60..3600 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Milliseconds, short: `850 ms`, `2.4 s`.
pub fn millis(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// A timestamp as `2026-11-28 14:03 UTC`.
pub fn datetime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The `exp` claim of a JWT (seconds since the epoch), read without verifying: only to refresh
/// before it runs out, never to trust it.
pub fn jwt_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path?k=v&…` from the pairs whose value is not empty.
pub fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", query_escape(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The file name of a `Content-Disposition` header: the exact UTF-8 `filename*` when present,
/// else the plain `filename`.
pub fn disposition_filename(header: &str) -> Option<String> {
    let mut plain = None;
    for part in header.split(';').map(str::trim) {
        if let Some(encoded) = part.strip_prefix("filename*=") {
            let encoded = encoded.strip_prefix("UTF-8''").unwrap_or(encoded);
            if let Some(name) = percent_decode(encoded) {
                return Some(name);
            }
        } else if let Some(name) = part.strip_prefix("filename=") {
            plain = Some(name.trim_matches('"').to_string());
        }
    }
    plain.filter(|n| !n.is_empty())
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// A metadata key as a label: `date_taken` → `Date taken`.
pub fn key_label(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A JSON value as a table cell: strings bare, everything else as compact JSON.
pub fn json_cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_keep_a_fraction_of_a_cent() {
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(0.000042), "$0.000042");
        assert_eq!(usd(1.5), "$1.50");
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }

    #[test]
    fn durations_read_in_the_largest_units() {
        assert_eq!(duration_secs(42), "42 s");
        assert_eq!(duration_secs(120), "2 min");
        assert_eq!(duration_secs(75), "1 min 15 s");
        assert_eq!(duration_secs(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(millis(12.4), "12 ms");
        assert_eq!(millis(2400.0), "2.4 s");
    }

    #[test]
    fn jwt_expiry_reads_the_exp_claim_and_nothing_else() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"u","exp":1700000000}"#);
        assert_eq!(jwt_expiry(&format!("h.{payload}.s")), Some(1_700_000_000));
        assert_eq!(jwt_expiry("not a token"), None);
        assert_eq!(jwt_expiry("h.!!!.s"), None);
    }

    #[test]
    fn disposition_names_prefer_the_exact_utf8_name() {
        assert_eq!(
            disposition_filename(
                r#"attachment; filename="caf_.jpg"; filename*=UTF-8''caf%C3%A9.jpg"#
            )
            .as_deref(),
            Some("café.jpg")
        );
        assert_eq!(
            disposition_filename(r#"attachment; filename="a b.pdf""#).as_deref(),
            Some("a b.pdf")
        );
        assert_eq!(disposition_filename("attachment"), None);
        assert_eq!(
            disposition_filename("attachment; filename*=UTF-8''bad%zz; filename=\"ok.txt\"")
                .as_deref(),
            Some("ok.txt")
        );
    }

    #[test]
    fn metadata_keys_read_as_labels() {
        assert_eq!(key_label("date_taken"), "Date taken");
        assert_eq!(key_label("iso"), "Iso");
        assert_eq!(key_label(""), "");
    }

    #[test]
    fn queries_escape_values_and_skip_empty_ones() {
        assert_eq!(query_escape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            with_query(
                "/api/v1/files",
                &[
                    ("page", "2".into()),
                    ("q", "".into()),
                    ("tag", "x y".into())
                ]
            ),
            "/api/v1/files?page=2&tag=x%20y"
        );
        assert_eq!(with_query("/p", &[("q", String::new())]), "/p");
    }
}
