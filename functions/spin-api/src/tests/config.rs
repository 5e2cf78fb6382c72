use std::collections::HashMap;

use crate::config::{ConfigError, SpinSettings};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

const REQUIRED: [(&str, &str); 5] = [
    ("jwt_secret", "jwt-secret-value"),
    ("worker_service_token", "service-token-value"),
    ("encryption_key", "enc-key-value"),
    ("database_url", "postgres://u:hunter2@db:5432/pn"),
    ("redis_url", "redis://cache:6379"),
];

#[test]
fn defaults_fill_the_optional_variables() {
    let s = SpinSettings::from_lookup(vars(&REQUIRED)).unwrap();
    assert_eq!(s.redis_prefix, "pn:");
    assert_eq!(s.jobs_channel, "powernode:jobs");
    assert_eq!(s.runaway, powernode_api::RunawayPolicy::default());
    let api = s.api_config();
    assert_eq!(api.jwt_secret, b"jwt-secret-value");
    assert_eq!(api.worker_service_token, b"service-token-value");
}

#[test]
fn the_encryption_key_seals_secrets_as_natively() {
    use powernode_api::service::credentials::{CredentialKey, open, seal};
    let s = SpinSettings::from_lookup(vars(&REQUIRED)).unwrap();
    let key = s
        .api_config()
        .encryption_key
        .expect("the key reaches the core");
    let id = uuid::Uuid::nil();
    let sealed = seal(&key, id, "secret", "whsec_1", [7; 12]);
    let native = CredentialKey::from_secret(b"enc-key-value");
    assert_eq!(open(&native, id, "secret", &sealed).unwrap(), "whsec_1");
}

#[test]
fn optional_variables_override() {
    let mut pairs = REQUIRED.to_vec();
    pairs.extend([
        ("redis_prefix", "tenant:"),
        ("jobs_channel", "tenant:jobs"),
        ("runaway_max_runs", "0"),
        ("runaway_window_seconds", " 30 "),
        ("runaway_disable_seconds", "10"),
    ]);
    let s = SpinSettings::from_lookup(vars(&pairs)).unwrap();
    assert_eq!(s.redis_prefix, "tenant:");
    assert_eq!(s.jobs_channel, "tenant:jobs");
    assert_eq!(s.runaway.max_runs, 0);
    assert_eq!(s.runaway.window_seconds, 30);
    assert_eq!(s.api_config().runaway.disable_seconds, 10);
}

#[test]
fn each_required_variable_is_required_and_empty_counts_as_missing() {
    for (missing, _) in REQUIRED {
        let pairs: Vec<_> = REQUIRED
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let err = SpinSettings::from_lookup(vars(&pairs)).err().unwrap();
        assert_eq!(err, ConfigError::Missing(missing));
        let mut empty = pairs.clone();
        empty.push((missing, ""));
        assert_eq!(
            SpinSettings::from_lookup(vars(&empty)).err().unwrap(),
            ConfigError::Missing(missing)
        );
    }
}

#[test]
fn bad_numbers_name_the_variable() {
    for (name, value) in [
        ("runaway_max_runs", "five"),
        ("runaway_max_runs", "99999999999"),
        ("runaway_window_seconds", "-1"),
    ] {
        let mut pairs = REQUIRED.to_vec();
        pairs.push((name, value));
        let err = SpinSettings::from_lookup(vars(&pairs)).err().unwrap();
        assert_eq!(err, ConfigError::NotANumber(name));
    }
}

#[test]
fn secrets_never_reach_debug_or_errors() {
    let s = SpinSettings::from_lookup(vars(&REQUIRED)).unwrap();
    let shown = format!("{s:?} {:?}", s.api_config());
    for (_, secret) in REQUIRED {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(!shown.contains("hunter2"));
}
