//! What each provider's configuration holds, for the form (the API validates; this only lays out
//! the fields). Secret fields are write-only: the API answers them as `[redacted]`, and sending
//! `[redacted]` back keeps the stored value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The API's stand-in for a stored secret.
pub const REDACTED: &str = "[redacted]";

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Free text.
    Text,
    /// A secret: a password input, never prefilled.
    Secret,
    /// A yes/no checkbox.
    Flag,
}

/// One configuration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its JSON name.
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// How it is entered.
    pub input: Input,
    /// Whether the API requires it.
    pub required: bool,
}

const fn field(name: &'static str, label: &'static str, input: Input, required: bool) -> Field {
    Field {
        name,
        label,
        input,
        required,
    }
}

/// Every provider the UI offers (each runtime accepts its own subset; the API says which).
pub const PROVIDERS: [(&str, &str); 5] = [
    ("local", "Local disk (native host)"),
    ("s3", "S3-compatible"),
    ("gcs", "Google Cloud Storage"),
    ("azure", "Azure Blob Storage"),
    ("r2", "Cloudflare R2 (Workers)"),
];

use Input::{Flag, Secret, Text};

const S3: &[Field] = &[
    field("bucket", "Bucket", Text, true),
    field("region", "Region", Text, false),
    field("endpoint", "Endpoint URL", Text, false),
    field("force_path_style", "Path-style addressing", Flag, false),
    field("access_key_id", "Access key id", Text, true),
    field("secret_access_key", "Secret access key", Secret, true),
    field("prefix", "Key prefix", Text, false),
    field(
        "server_side_encryption",
        "Server-side encryption",
        Text,
        false,
    ),
];
const GCS: &[Field] = &[
    field("bucket", "Bucket", Text, true),
    field("access_key_id", "HMAC access key id", Text, true),
    field("secret_access_key", "HMAC secret", Secret, true),
    field("endpoint", "Endpoint URL", Text, false),
    field("prefix", "Key prefix", Text, false),
];
const AZURE: &[Field] = &[
    field("account_name", "Account name", Text, true),
    field("account_key", "Account key", Secret, true),
    field("container", "Container", Text, true),
    field("endpoint", "Endpoint URL", Text, false),
    field("prefix", "Key prefix", Text, false),
];
const R2: &[Field] = &[field("binding", "Binding name", Text, false)];

/// The fields of `provider`.
pub fn fields(provider: &str) -> &'static [Field] {
    match provider {
        "s3" => S3,
        "gcs" => GCS,
        "azure" => AZURE,
        "r2" => R2,
        _ => &[],
    }
}

/// The form's values from a stored configuration: text as is, flags as `"true"`/`""`,
/// secrets left empty (they are never shown).
pub fn values_from(provider: &str, configuration: &Value) -> BTreeMap<String, String> {
    fields(provider)
        .iter()
        .map(|f| {
            let v = configuration.get(f.name);
            let text = match (f.input, v) {
                (Input::Secret, _) => String::new(),
                (Input::Flag, Some(Value::Bool(true))) => "true".into(),
                (_, Some(Value::String(s))) => s.clone(),
                _ => String::new(),
            };
            (f.name.to_string(), text)
        })
        .collect()
}

/// The configuration to send: empty fields left out, flags as booleans; when `editing`, an empty
/// secret is sent as `[redacted]` so the stored one is kept.
pub fn configuration(provider: &str, values: &BTreeMap<String, String>, editing: bool) -> Value {
    let mut map = Map::new();
    for f in fields(provider) {
        let v = values.get(f.name).map(|s| s.trim()).unwrap_or_default();
        match f.input {
            Input::Flag => {
                if v == "true" {
                    map.insert(f.name.into(), Value::Bool(true));
                }
            }
            Input::Secret if v.is_empty() && editing => {
                map.insert(f.name.into(), Value::String(REDACTED.into()));
            }
            _ if v.is_empty() => {}
            _ => {
                map.insert(f.name.into(), Value::String(v.to_string()));
            }
        }
    }
    Value::Object(map)
}

/// `"2.5"` GiB → bytes; empty → no quota; anything else → a message.
pub fn quota_bytes(gib: &str) -> Result<Option<i64>, &'static str> {
    let gib = gib.trim();
    if gib.is_empty() {
        return Ok(None);
    }
    match gib.parse::<f64>() {
        Ok(g) if g > 0.0 && g < 1e9 => Ok(Some((g * 1024.0 * 1024.0 * 1024.0).round() as i64)),
        _ => Err("Quota: a positive number of GiB, or empty for none"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_new_s3_configuration_carries_what_was_typed() {
        let v = values(&[
            ("bucket", " media "),
            ("access_key_id", "AKID"),
            ("secret_access_key", "s3cret"),
            ("force_path_style", "true"),
            ("region", ""),
        ]);
        assert_eq!(
            configuration("s3", &v, false),
            json!({"bucket": "media", "access_key_id": "AKID", "secret_access_key": "s3cret", "force_path_style": true})
        );
    }

    #[test]
    fn editing_keeps_an_untouched_secret_and_never_shows_it() {
        let stored = json!({"account_name": "acct", "account_key": "[redacted]", "container": "c"});
        let v = values_from("azure", &stored);
        assert_eq!(v.get("account_key").map(String::as_str), Some(""));
        assert_eq!(v.get("account_name").map(String::as_str), Some("acct"));
        assert_eq!(
            configuration("azure", &v, true),
            json!({"account_name": "acct", "account_key": "[redacted]", "container": "c"})
        );
    }

    #[test]
    fn quotas_read_in_gib() {
        assert_eq!(quota_bytes(""), Ok(None));
        assert_eq!(quota_bytes("1"), Ok(Some(1_073_741_824)));
        assert_eq!(quota_bytes("0.5"), Ok(Some(536_870_912)));
        assert!(quota_bytes("-1").is_err() && quota_bytes("lots").is_err());
    }
}
