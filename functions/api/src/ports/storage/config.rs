//! Reading a provider's JSON configuration (a storage row's `configuration`, secrets already
//! decrypted). Every message names the field and never echoes a value, since a value may be a
//! secret; unknown fields are refused, so a typo (`forcePathStyle`) is not silently ignored.
//!
//! Here, beside the port, rather than in one runtime's providers: the native host and the
//! Workers build stores of the same provider types (`s3`) from the same rows, so each
//! configuration is read by one piece of code for both.

use super::StorageError;
use serde_json::{Map, Value};

/// The fields of one provider's configuration, taken one by one, then `finish`ed.
pub struct Fields<'a> {
    provider: &'static str,
    map: &'a Map<String, Value>,
    taken: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    /// `configuration` must be a JSON object.
    pub fn new(provider: &'static str, configuration: &'a Value) -> Result<Self, StorageError> {
        match configuration {
            Value::Object(map) => Ok(Self {
                provider,
                map,
                taken: Vec::new(),
            }),
            _ => Err(StorageError::InvalidConfig(format!(
                "the {provider} configuration must be a JSON object"
            ))),
        }
    }

    /// An `InvalidConfig` about `field`.
    pub fn invalid(&self, field: &str, why: &str) -> StorageError {
        StorageError::InvalidConfig(format!("{} `{field}` {why}", self.provider))
    }

    /// A string field; `null`, absent and `""` all read as `None` (forms send empty strings).
    pub fn optional_str(&mut self, field: &'static str) -> Result<Option<String>, StorageError> {
        self.taken.push(field);
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(field, "must be a string")),
        }
    }

    /// A string field that must be there and not be empty.
    pub fn required_str(&mut self, field: &'static str) -> Result<String, StorageError> {
        self.optional_str(field)?
            .ok_or_else(|| self.invalid(field, "is required"))
    }

    /// A boolean field.
    pub fn optional_bool(&mut self, field: &'static str) -> Result<Option<bool>, StorageError> {
        self.taken.push(field);
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(field, "must be true or false")),
        }
    }

    /// Refuses any field that was not taken.
    pub fn finish(self) -> Result<(), StorageError> {
        match self.map.keys().find(|k| !self.taken.contains(&k.as_str())) {
            // Debug-quoted: the name is the user's text, and may hold anything.
            Some(unknown) => Err(StorageError::InvalidConfig(format!(
                "{} has no field {unknown:?}",
                self.provider
            ))),
            None => Ok(()),
        }
    }
}

/// Checks an endpoint URL: http or https, a host, no user info (it would be logged with the
/// URL), no query or fragment. Returns it without a trailing slash.
pub fn endpoint(fields: &Fields<'_>, field: &str, value: &str) -> Result<String, StorageError> {
    let url = url::Url::parse(value).map_err(|_| fields.invalid(field, "is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fields.invalid(field, "must be an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fields.invalid(field, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fields.invalid(field, "must not hold credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fields.invalid(field, "must not have a query or a fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_are_typed_named_and_never_echoed() {
        let config = json!({"a": "x", "b": true, "c": 12345, "empty": ""});
        let mut f = Fields::new("s3", &config).expect("object");
        assert_eq!(f.required_str("a").expect("a"), "x");
        assert_eq!(f.optional_bool("b").expect("b"), Some(true));
        assert_eq!(f.optional_str("empty").expect("empty"), None);
        let err = f.optional_str("c").expect_err("a number is no string");
        assert!(err.to_string().contains("`c`") && !err.to_string().contains("12345"));
        assert_eq!(
            f.required_str("missing").expect_err("missing"),
            StorageError::InvalidConfig("s3 `missing` is required".into())
        );
        assert!(f.finish().is_ok());

        let typo = json!({"forcePathStyle": true});
        let f = Fields::new("s3", &typo).expect("object");
        assert!(
            f.finish()
                .expect_err("unknown")
                .to_string()
                .contains("forcePathStyle")
        );
        assert!(Fields::new("s3", &json!("str")).is_err());
    }

    #[test]
    fn endpoints_are_plain_http_urls() {
        let config = json!({});
        let f = Fields::new("s3", &config).expect("object");
        assert_eq!(
            endpoint(&f, "endpoint", "http://127.0.0.1:9000/").expect("ok"),
            "http://127.0.0.1:9000"
        );
        for bad in [
            "127.0.0.1:9000",
            "ftp://host",
            "https://user:secret@host",
            "https://host/?x=1",
            "not a url",
        ] {
            let err = endpoint(&f, "endpoint", bad).expect_err(bad);
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }
}
