use std::collections::HashMap;

use crate::config::{ConfigError, ConsumerSettings, DEFAULT_LEASE_SECONDS};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

const REQUIRED: [(&str, &str); 2] = [
    ("backend_api_url", "https://api.example.com"),
    ("worker_service_token", "service-token-value"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Result<ConsumerSettings, ConfigError> {
    let mut pairs = REQUIRED.to_vec();
    pairs.extend_from_slice(extra);
    ConsumerSettings::from_lookup(vars(&pairs))
}

#[test]
fn defaults_serve_the_native_consumers_queues_but_not_file_processing_nor_email() {
    let s = with(&[]).unwrap();
    assert_eq!(s.queues, ["default", "webhooks", "maintenance", "ai"]);
    assert!(s.serves("maintenance"));
    assert!(!s.serves("file_processing"), "the media runner's queue");
    assert!(!s.serves("email"), "the native consumer's queue");
    assert_eq!(s.lease_seconds, DEFAULT_LEASE_SECONDS);
}

#[test]
fn optional_variables_override_and_are_trimmed() {
    let s = with(&[
        ("consumer_queues", " maintenance , ,webhooks "),
        ("consumer_lease_seconds", " 3600 "),
    ])
    .unwrap();
    assert_eq!(s.queues, ["maintenance", "webhooks"]);
    assert!(!s.serves("default"));
    assert_eq!(s.lease_seconds, 3600);
}

#[test]
fn required_variables_are_required_and_blank_counts_as_missing() {
    for (missing, _) in REQUIRED {
        let without: Vec<_> = REQUIRED
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        assert_eq!(
            ConsumerSettings::from_lookup(vars(&without)).err(),
            Some(ConfigError::Missing(missing))
        );
        let mut blank = without.clone();
        blank.push((missing, "  "));
        assert_eq!(
            ConsumerSettings::from_lookup(vars(&blank)).err(),
            Some(ConfigError::Missing(missing))
        );
    }
}

#[test]
fn invalid_values_are_refused_by_name() {
    for (name, value) in [
        ("backend_api_url", "api.example.com"),
        ("backend_api_url", "redis://api:6379"),
        ("consumer_queues", " , "),
        ("consumer_lease_seconds", "4"),
        ("consumer_lease_seconds", "3601"),
        ("consumer_lease_seconds", "five"),
    ] {
        let mut pairs: Vec<_> = REQUIRED
            .iter()
            .copied()
            .filter(|(k, _)| *k != name)
            .collect();
        pairs.push((name, value));
        match ConsumerSettings::from_lookup(vars(&pairs)) {
            Err(ConfigError::Invalid(n, _)) => assert_eq!(n, name, "{value}"),
            other => panic!("{name}={value}: {other:?}"),
        }
    }
}

#[test]
fn the_token_never_reaches_debug() {
    let shown = format!("{:?}", with(&[]).unwrap());
    assert!(!shown.contains("service-token-value"), "{shown}");
    assert!(shown.contains("https://api.example.com"));
}

#[test]
fn the_email_queue_is_refused_since_only_native_consumers_send_mail() {
    assert!(matches!(
        with(&[("consumer_queues", "default,email")]),
        Err(ConfigError::Invalid("consumer_queues", _))
    ));
}
