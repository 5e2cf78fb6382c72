use chrono::{DateTime, TimeZone, Utc};
use jobs::client::ClientError;
use serde_json::json;
use std::sync::Arc;

use super::fake_api::{BASE, FakeApi, ok};
use crate::config::ConsumerSettings;
use crate::consume::Consumer;
use crate::sweep::{SweepError, fired_at, sweep};

const RELAY: &str = "/api/v1/worker/maintenance/relay";
const ENQUEUE: &str = "/api/v1/worker/queue/enqueue";

fn client(api: &FakeApi) -> Arc<jobs::client::BackendApiClient> {
    let settings = ConsumerSettings::from_lookup(|name| match name {
        "backend_api_url" => Some(BASE.into()),
        "worker_service_token" => Some("secret".into()),
        _ => None,
    })
    .unwrap();
    Consumer::new(settings, Arc::new(api.clone()), "w".into()).client()
}

/// The cron table's every-minute schedules, in table order (the table grows; the tests follow).
fn minutely() -> Vec<&'static str> {
    jobs::schedule::SCHEDULES
        .iter()
        .filter(|s| s.cron == "* * * * *")
        .map(|s| s.name)
        .collect()
}

/// A fake enqueue answer: one created job per job sent.
fn created(body: &serde_json::Value) -> Result<(u16, serde_json::Value), ClientError> {
    let n = body["jobs"].as_array().map_or(0, Vec::len);
    ok(json!(vec![
        json!({ "id": "0190b3c1-0000-7000-8000-000000000001", "created": true });
        n
    ]))
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, h, m, s)
        .single()
        .unwrap()
}

#[tokio::test]
async fn a_sweep_relays_and_enqueues_the_ticks_of_its_minute_idempotently() {
    let api = FakeApi::new(|path, body| match path {
        RELAY => ok(json!({ "pushed": 4 })),
        ENQUEUE => created(body),
        other => panic!("unexpected {other}"),
    });
    // 10:17:00, as the every-minute trigger fires: the hourly prune is due too.
    let report = sweep(client(&api), at(10, 17, 0)).await.unwrap();
    assert_eq!(report.relayed, 4);
    assert_eq!(report.ticks, minutely().len() + 1);
    assert_eq!(api.paths(), [RELAY, ENQUEUE]);
    let jobs = api.calls()[1].body["jobs"].clone();
    let keys: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["idempotency_key"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = jobs::schedule::SCHEDULES
        .iter()
        .filter(|s| s.cron == "* * * * *" || s.name == "prune_completed_jobs")
        .map(|s| format!("schedule:{}:2026-11-27T10:17:00+00:00", s.name))
        .collect();
    assert_eq!(keys, expected);
    assert!(keys[0].starts_with("schedule:rescue_expired_leases:"));

    // The next minute only has the minutely ticks.
    let report = sweep(client(&api), at(10, 18, 0)).await.unwrap();
    assert_eq!(report.ticks, minutely().len());
}

#[tokio::test]
async fn a_failed_relay_does_not_stop_the_schedule() {
    let api = FakeApi::new(|path, body| match path {
        RELAY => Err(ClientError::Transport("reset".into())),
        ENQUEUE => created(body),
        other => panic!("unexpected {other}"),
    });
    let got = sweep(client(&api), at(10, 18, 0)).await;
    match got {
        Err(e @ SweepError::Calls { .. }) => {
            let shown = e.to_string();
            assert!(shown.contains("relay: failed"), "{shown}");
            let ok = format!("schedule: ok ({})", minutely().len());
            assert!(shown.contains(&ok), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    let paths = api.paths();
    assert_eq!(paths.iter().filter(|p| *p == RELAY).count(), 3, "retried");
    assert_eq!(paths.last().map(String::as_str), Some(ENQUEUE));
}

#[tokio::test]
async fn a_retried_schedule_sends_the_same_idempotency_keys() {
    let attempts = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = attempts.clone();
    let api = FakeApi::new(move |path, body| match path {
        RELAY => ok(json!({ "pushed": 0 })),
        ENQUEUE if seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 => {
            super::fake_api::err(503, "unavailable")
        }
        ENQUEUE => created(body),
        other => panic!("unexpected {other}"),
    });
    let report = sweep(client(&api), at(10, 18, 0)).await.unwrap();
    assert_eq!(report.ticks, minutely().len());
    let calls = api.calls();
    let enqueues: Vec<_> = calls.iter().filter(|c| c.path == ENQUEUE).collect();
    assert_eq!(enqueues.len(), 2);
    assert_eq!(enqueues[0].body, enqueues[1].body);
}

#[test]
fn the_event_stands_for_the_time_the_trigger_fired() {
    let now = at(10, 18, 7);
    assert_eq!(fired_at(1_796_206_680, now).timestamp(), 1_796_206_680);
    assert_eq!(fired_at(0, now), now, "no timestamp");
    assert_eq!(fired_at(u64::MAX, now), now, "not a time");
}
