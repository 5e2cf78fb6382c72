use std::sync::Arc;

use jobs::client::ClientError;
use jobs::deliver::Delivery;
use serde_json::{Value, json};
use uuid::Uuid;

use super::fake_api::{BASE, FakeApi, err, ok};
use crate::config::ConsumerSettings;
use crate::consume::{ConsumeError, Consumer, Handled};
use crate::outcome::{Fate, fate};

const JOB: &str = "0190b3c1-0000-7000-8000-0000000000aa";

fn consumer(api: &FakeApi) -> Consumer {
    let settings = ConsumerSettings::from_lookup(|name| match name {
        "backend_api_url" => Some(BASE.into()),
        "worker_service_token" => Some("secret".into()),
        _ => None,
    })
    .unwrap();
    Consumer::new(settings, Arc::new(api.clone()), "spin-consumer-test".into())
}

fn announce(queue: &str) -> Vec<u8> {
    format!(r#"{{"id":"{JOB}","queue":"{queue}"}}"#).into_bytes()
}

fn claimed(job_type: &str) -> Value {
    json!({
        "id": JOB, "queue": "default", "job_type": job_type, "args": {}, "attempt": 1,
        "max_attempts": 4, "lease_expires_at": "2030-01-01T00:00:00Z", "account_id": null
    })
}

fn claim_path() -> String {
    format!("/api/v1/worker/queue/jobs/{JOB}/claim")
}

fn id() -> Uuid {
    JOB.parse().unwrap()
}

#[tokio::test]
async fn a_job_of_another_processs_queue_is_not_claimed() {
    let api = FakeApi::new(|_, _| panic!("no call expected"));
    let got = consumer(&api).handle(&announce("file_processing")).await;
    assert_eq!(
        got.unwrap(),
        Handled::NotServed {
            id: id(),
            queue: "file_processing".into()
        }
    );
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn a_job_claimed_elsewhere_is_done_after_one_claim() {
    let api = FakeApi::new(|_, _| ok(Value::Null));
    let got = consumer(&api).handle(&announce("default")).await.unwrap();
    assert_eq!(
        got,
        Handled::Delivered {
            id: id(),
            fate: Fate::Done
        }
    );
    let calls = api.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, claim_path());
    assert_eq!(
        calls[0].body,
        json!({ "worker_id": "spin-consumer-test", "lease_seconds": 300 })
    );
    // A service JWT signed with worker_service_token, for the `jobs` service.
    let now = chrono::Utc::now().timestamp();
    let claims = shared::tokens::verify_service(&calls[0].bearer, b"secret", now).unwrap();
    assert_eq!(claims.sub, jobs::SERVICE_NAME);
}

#[tokio::test]
async fn a_registered_job_runs_and_is_completed() {
    let api = FakeApi::new(|path, _| match path {
        p if p.ends_with("/claim") => ok(claimed("system.noop")),
        "/api/v1/worker/queue/complete" => {
            ok(json!([{ "id": JOB, "state": "completed", "run_at": null }]))
        }
        other => panic!("unexpected {other}"),
    });
    let got = consumer(&api).handle(&announce("default")).await.unwrap();
    assert_eq!(
        got,
        Handled::Delivered {
            id: id(),
            fate: Fate::Done
        }
    );
    let calls = api.calls();
    assert_eq!(
        api.paths(),
        [claim_path(), "/api/v1/worker/queue/complete".into()]
    );
    assert_eq!(calls[1].body["worker_id"], "spin-consumer-test");
    assert_eq!(calls[1].body["jobs"][0]["id"], JOB);
}

#[tokio::test]
async fn an_unknown_job_type_is_failed_for_good_and_dead_in_postgres() {
    let api = FakeApi::new(|path, body| match path {
        p if p.ends_with("/claim") => ok(claimed("media.transcode")),
        "/api/v1/worker/queue/fail" => {
            assert_eq!(body["jobs"][0]["discard"], true, "an abort, never retried");
            ok(json!([{ "id": JOB, "state": "dead", "run_at": null }]))
        }
        other => panic!("unexpected {other}"),
    });
    let got = consumer(&api).handle(&announce("default")).await.unwrap();
    assert_eq!(
        got,
        Handled::Delivered {
            id: id(),
            fate: Fate::Dead
        }
    );
}

#[tokio::test]
async fn a_failed_run_is_retryable_and_left_to_the_relay() {
    let run_at = (chrono::Utc::now() + chrono::Duration::seconds(45)).to_rfc3339();
    let api = FakeApi::new(move |path, _| match path {
        p if p.ends_with("/claim") => ok(json!({
            "id": JOB, "queue": "default", "job_type": "system.fail",
            "args": { "message": "boom" }, "attempt": 1, "max_attempts": 4,
            "lease_expires_at": "2030-01-01T00:00:00Z", "account_id": null
        })),
        "/api/v1/worker/queue/fail" => {
            ok(json!([{ "id": JOB, "state": "retryable", "run_at": run_at }]))
        }
        other => panic!("unexpected {other}"),
    });
    let Handled::Delivered { fate: got, .. } =
        consumer(&api).handle(&announce("default")).await.unwrap()
    else {
        panic!("delivered expected")
    };
    // 44 or 45 s of backoff, depending on the clock between the two reads.
    assert!(
        [fate(Delivery::RetryIn(44)), fate(Delivery::RetryIn(45))].contains(&got),
        "{got:?}"
    );
    assert_eq!(api.calls()[1].body["jobs"][0]["error"], "boom");
}

#[tokio::test]
async fn an_unreachable_api_is_an_error_after_the_retries() {
    let api = FakeApi::new(|_, _| Err(ClientError::Transport("connection refused".into())));
    let got = consumer(&api).handle(&announce("default")).await;
    match got {
        Err(ConsumeError::Api { id: got, source }) => {
            assert_eq!(got, id());
            assert!(source.is_api_error());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(api.calls().len(), 3, "with_api_retry(3) on the claim");
}

#[tokio::test]
async fn a_refusal_is_not_retried() {
    let api = FakeApi::new(|_, _| err(401, "unauthorized"));
    let got = consumer(&api).handle(&announce("default")).await;
    assert!(matches!(got, Err(ConsumeError::Api { .. })), "{got:?}");
    assert_eq!(api.calls().len(), 1);
}

#[tokio::test]
async fn a_malformed_message_makes_no_call() {
    let api = FakeApi::new(|_, _| panic!("no call expected"));
    let got = consumer(&api).handle(b"{\"id\":42}").await;
    assert!(matches!(got, Err(ConsumeError::Announcement(_))), "{got:?}");
    assert!(api.calls().is_empty());
}
