//! One announced job, as a push transport's consumer runs it (`jobs::deliver`): claimed by id
//! through the API, run with the platform registry, settled, and mapped to what the transport
//! does with its message. Real API, Postgres and Redis.

use std::sync::Arc;

use crate::common::{Platform, WORKER_SECRET};
use jobs::client::BackendApiClient;
use jobs::deliver::{Delivery, deliver};
use jobs::job::Registry;
use powernode_api::queue::enqueue::{self, Enqueued, NewJob};
use serde_json::json;
use uuid::Uuid;

async fn enqueue_one(p: &Platform, job: NewJob) -> Uuid {
    let api = p.api();
    match enqueue::enqueue(api, api.db(), &job)
        .await
        .expect("enqueue")
    {
        Enqueued::Created(id) => id,
        other => panic!("not created: {other:?}"),
    }
}

async fn state(p: &Platform, id: Uuid) -> (String, i32) {
    let row =
        p.db.query_one(
            "SELECT state::text, attempts FROM jobs WHERE id = $1",
            &[&id],
        )
        .await
        .expect("job");
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn an_announced_job_is_claimed_run_and_settled_and_its_message_answered() {
    let p = Platform::start().await;
    let client =
        Arc::new(BackendApiClient::new(&p.base, WORKER_SECRET.as_bytes(), "edge").expect("client"));
    let registry = Arc::new(Registry::with_platform(client.clone()));

    // Completed: acknowledged.
    let noop = enqueue_one(&p, NewJob::new("system.noop", json!({}))).await;
    let d = deliver(&client, registry.clone(), "edge-1", noop, 60).await;
    assert_eq!(d, Ok(Delivery::Ack));
    assert_eq!(state(&p, noop).await, ("completed".into(), 1));

    // The same message again (a duplicate announcement): nothing to claim, acknowledged.
    let again = deliver(&client, registry.clone(), "edge-1", noop, 60).await;
    assert_eq!(again, Ok(Delivery::Ack));
    assert_eq!(state(&p, noop).await, ("completed".into(), 1));

    // Failed with attempts left: re-deliver after the backoff the API computed (attempt 1 of an
    // ordinary error: 1 + 15 + rand(0..30) seconds).
    let failing = enqueue_one(
        &p,
        NewJob {
            max_attempts: 2,
            ..NewJob::new("system.fail", json!({ "message": "nope" }))
        },
    )
    .await;
    let d = deliver(&client, registry.clone(), "edge-1", failing, 60).await;
    match d {
        Ok(Delivery::RetryIn(s)) => assert!((10..=46).contains(&s), "{s}"),
        other => panic!("expected a retry, got {other:?}"),
    }
    assert_eq!(state(&p, failing).await, ("retryable".into(), 1));

    // Not due yet: nothing to claim now.
    assert_eq!(
        deliver(&client, registry.clone(), "edge-1", failing, 60).await,
        Ok(Delivery::Ack)
    );
    // Due, last attempt: dead, to the dead-letter queue.
    p.db.execute(
        "UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = $1",
        &[&failing],
    )
    .await
    .expect("make due");
    let d = deliver(&client, registry.clone(), "edge-1", failing, 60).await;
    assert_eq!(d, Ok(Delivery::DeadLetter));
    assert_eq!(state(&p, failing).await, ("dead".into(), 2));

    // An id nobody knows: acknowledged (the message is stale).
    assert_eq!(
        deliver(&client, registry.clone(), "edge-1", Uuid::new_v4(), 60).await,
        Ok(Delivery::Ack)
    );
    // A job type without a consumer aborts: dead at once.
    let unknown = enqueue_one(&p, NewJob::new("maintenance.relay", json!({}))).await;
    let bare = Arc::new(Registry::with_builtin());
    assert_eq!(
        deliver(&client, bare, "edge-1", unknown, 60).await,
        Ok(Delivery::DeadLetter)
    );
}

#[tokio::test]
async fn an_unreachable_api_is_an_error_so_the_transport_redelivers() {
    let client = Arc::new(
        BackendApiClient::new("http://127.0.0.1:9", WORKER_SECRET.as_bytes(), "edge")
            .expect("client"),
    );
    let registry = Arc::new(Registry::with_builtin());
    let d = deliver(&client, registry, "edge-1", Uuid::new_v4(), 60).await;
    assert!(matches!(d, Err(e) if e.is_api_error()));
}
