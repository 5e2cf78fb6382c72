//! Announcing jobs to a push transport after commit, and the relay, against real Postgres and
//! Redis. The native host polls (it pushes nothing), so these tests serve the same core with a
//! recording push port in place of the edge's Queue producer.

use crate::common;

use std::sync::{Arc, Mutex};

use crate::common::{JWT_SECRET, Options, Platform, Session, WORKER_SECRET};
use bytes::Bytes;
use http::{HeaderValue, Method};
use powernode_api::ports::{JobPush, ReadyJob};
use powernode_api::queue::push;
use powernode_api::{Api, ApiConfig, ApiRequest, maybe_async_trait};
use serde_json::{Value, json};
use uuid::Uuid;

const ADMIN: (&str, &str) = ("root@example.com", "admin password 1");

/// A push port that records what it is given; `polled` are the queues it leaves to polling.
#[derive(Default)]
struct Recording {
    pushed: Mutex<Vec<ReadyJob>>,
    polled: Vec<String>,
}

maybe_async_trait! {
impl JobPush for Recording {
    fn pushes(&self) -> bool {
        true
    }
    fn polled_queues(&self) -> Vec<String> {
        self.polled.clone()
    }
    async fn push(&self, jobs: Vec<ReadyJob>) -> usize {
        let n = jobs.len();
        self.pushed.lock().expect("lock").extend(jobs);
        n
    }
}
}

impl Recording {
    fn take(&self) -> Vec<ReadyJob> {
        std::mem::take(&mut *self.pushed.lock().expect("lock"))
    }
}

/// The running platform's core, but announcing to `recording`.
fn pushing_api(p: &Platform, recording: Arc<Recording>) -> Api {
    let mut ports = p.api().ports().clone();
    ports.job_push = recording;
    Api::new(
        ApiConfig::new(JWT_SECRET.into(), WORKER_SECRET.into()),
        ports,
    )
}

/// A platform with a platform admin signed in, and its core announcing to a recording port
/// that leaves the media runner's queue to polling, as the edge's does.
async fn pushing_platform_with_admin() -> (Platform, Session, Arc<Recording>, Api) {
    let p = Platform::start_with(Options {
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        ..Options::default()
    })
    .await;
    let admin = Session::from_auth(p.login(ADMIN.0, ADMIN.1).await.assert_ok(200));
    let recording = Arc::new(Recording {
        polled: vec!["file_processing".into()],
        ..Recording::default()
    });
    let api = pushing_api(&p, recording.clone());
    (p, admin, recording, api)
}

/// Pauses or resumes `queue` through the admin route, as `admin`.
async fn queue_action(api: &Api, admin: &Session, queue: &str, action: &str) -> (u16, Value) {
    call(
        api,
        Method::POST,
        &format!("/api/v1/admin/queues/{queue}/{action}"),
        &admin.access,
        json!({}),
    )
    .await
}

async fn call(api: &Api, method: Method, path: &str, token: &str, body: Value) -> (u16, Value) {
    let mut req = ApiRequest::new(method, path);
    req.headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    req.headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    req.body = Bytes::from(body.to_string());
    let res = api.handle(req).await;
    let status = res.status().as_u16();
    let body = res
        .body()
        .as_bytes()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn created_jobs_are_announced_after_commit_and_failed_batches_announce_nothing() {
    let p = Platform::start_with(Options {
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        ..Options::default()
    })
    .await;
    let admin = Session::from_auth(p.login(ADMIN.0, ADMIN.1).await.assert_ok(200));
    let recording = Arc::new(Recording::default());
    let api = pushing_api(&p, recording.clone());

    let (status, body) = call(
        &api,
        Method::POST,
        "/api/v1/admin/jobs",
        &admin.access,
        json!({ "job_type": "system.noop", "queue": "email" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id: Uuid = body["data"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(
        recording.take(),
        vec![ReadyJob {
            id,
            queue: "email".into(),
            delay_seconds: 0
        }]
    );

    // A replay of an idempotency key creates nothing, so announces nothing.
    let keyed = json!({ "job_type": "system.noop", "idempotency_key": "once" });
    call(
        &api,
        Method::POST,
        "/api/v1/admin/jobs",
        &admin.access,
        keyed.clone(),
    )
    .await;
    assert_eq!(recording.take().len(), 1);
    let (status, _) = call(
        &api,
        Method::POST,
        "/api/v1/admin/jobs",
        &admin.access,
        keyed,
    )
    .await;
    assert_eq!(status, 200);
    assert!(recording.take().is_empty());

    // A job due later is announced with its delay.
    let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc3339();
    call(
        &api,
        Method::POST,
        "/api/v1/admin/jobs",
        &admin.access,
        json!({ "job_type": "system.noop", "run_at": later }),
    )
    .await;
    let delayed = recording.take();
    assert_eq!(delayed.len(), 1);
    assert!(
        (110..=120).contains(&delayed[0].delay_seconds),
        "{delayed:?}"
    );

    // The worker's batch enqueue announces after its transaction commits, and a batch that
    // rolls back announces nothing.
    let service = p.service_token();
    let (status, body) = call(
        &api,
        Method::POST,
        "/api/v1/worker/queue/enqueue",
        &service,
        json!({ "jobs": [{ "job_type": "system.noop" }, { "job_type": "system.noop", "queue": "webhooks" }] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let queues: Vec<String> = recording.take().into_iter().map(|j| j.queue).collect();
    assert_eq!(queues, ["default", "webhooks"]);
    let (status, _) = call(
        &api,
        Method::POST,
        "/api/v1/worker/queue/enqueue",
        &service,
        json!({ "jobs": [{ "job_type": "system.noop" }, { "job_type": "system.noop", "queue": "nowhere" }] }),
    )
    .await;
    assert_eq!(status, 422);
    assert!(recording.take().is_empty());
}

#[tokio::test]
async fn the_relay_re_announces_jobs_left_unclaimed_for_a_minute() {
    let p = Platform::start().await;
    let recording = Arc::new(Recording::default());
    let api = pushing_api(&p, recording.clone());
    let service = p.service_token();
    let (_, body) = call(
        &api,
        Method::POST,
        "/api/v1/worker/queue/enqueue",
        &service,
        json!({ "jobs": [
            { "job_type": "system.noop", "args": { "n": 1 } },
            { "job_type": "system.noop", "args": { "n": 2 } },
            { "job_type": "system.noop", "args": { "n": 3 } },
            { "job_type": "system.noop", "args": { "n": 4 }, "run_at": "2999-01-01T00:00:00Z" }
        ] }),
    )
    .await;
    let ids: Vec<Uuid> = body["data"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["id"].as_str().expect("id").parse().expect("uuid"))
        .collect();
    recording.take();

    // Nothing is overdue yet.
    assert!(push::overdue(&api).await.expect("overdue").is_empty());
    // Jobs 1-3 have waited two minutes; job 2 is running, job 3 completed, job 4 is not due.
    p.db.execute(
        "UPDATE jobs SET run_at = now() - interval '2 minutes' WHERE id = ANY($1)",
        &[&ids[..3].to_vec()],
    )
    .await
    .expect("age");
    p.db.execute(
        "UPDATE jobs SET state = 'running', lease_owner = 'w', lease_expires_at = now() + interval '1 minute' WHERE id = $1",
        &[&ids[1]],
    )
    .await
    .expect("running");
    p.db.execute(
        "UPDATE jobs SET state = 'completed', finalized_at = now() WHERE id = $1",
        &[&ids[2]],
    )
    .await
    .expect("completed");

    let (status, body) = call(
        &api,
        Method::POST,
        "/api/v1/worker/maintenance/relay",
        &service,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["pushed"], 1);
    let relayed = recording.take();
    assert_eq!(relayed.len(), 1);
    assert_eq!(relayed[0].id, ids[0]);

    // The runtime's own relay: where consumers poll (the native host) it has nothing to do;
    // the API Worker re-announces the overdue job on its Cloudflare Queue.
    let r = p
        .post(
            "/api/v1/worker/maintenance/relay",
            Some(&service),
            json!({}),
        )
        .await;
    let expected = if common::runtime() == common::Runtime::Native {
        0
    } else {
        1
    };
    assert_eq!(r.assert_ok(200)["pushed"], expected);
    assert!(recording.take().is_empty());
}

#[tokio::test]
async fn polled_and_paused_queues_are_neither_announced_nor_relayed() {
    let (p, admin, recording, api) = pushing_platform_with_admin().await;
    let service = p.service_token();
    let (status, body) = call(
        &api,
        Method::POST,
        "/api/v1/worker/queue/enqueue",
        &service,
        json!({ "jobs": [
            { "job_type": "system.noop", "queue": "file_processing" },
            { "job_type": "system.noop", "queue": "email" },
            { "job_type": "system.noop", "queue": "webhooks" }
        ] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let announced: Vec<String> = recording.take().into_iter().map(|j| j.queue).collect();
    assert_eq!(
        announced,
        ["email", "webhooks"],
        "the media runner's queue is polled"
    );

    // All three wait past the relay's minute; webhooks is paused meanwhile.
    p.db.execute("UPDATE jobs SET run_at = now() - interval '2 minutes'", &[])
        .await
        .expect("age");
    let (status, _) = queue_action(&api, &admin, "webhooks", "pause").await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &api,
        Method::POST,
        "/api/v1/worker/maintenance/relay",
        &service,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["pushed"], 1, "{body}");
    let relayed: Vec<String> = recording.take().into_iter().map(|j| j.queue).collect();
    assert_eq!(relayed, ["email"]);
}

#[tokio::test]
async fn resuming_a_queue_announces_its_waiting_jobs_at_once() {
    let (p, admin, recording, api) = pushing_platform_with_admin().await;
    let service = p.service_token();
    for queue in ["email", "file_processing"] {
        let (status, _) = queue_action(&api, &admin, queue, "pause").await;
        assert_eq!(status, 200);
    }
    let (status, body) = call(
        &api,
        Method::POST,
        "/api/v1/worker/queue/enqueue",
        &service,
        json!({ "jobs": [
            { "job_type": "system.noop", "queue": "email" },
            { "job_type": "system.noop", "queue": "email" },
            { "job_type": "system.noop", "queue": "file_processing" },
            { "job_type": "system.noop", "queue": "webhooks" }
        ] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<String> = body["data"]
        .as_array()
        .expect("enqueued")
        .iter()
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect();
    recording.take();

    let (status, body) = queue_action(&api, &admin, "email", "resume").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["paused"], false);
    let mut announced: Vec<(String, String)> = recording
        .take()
        .into_iter()
        .map(|j| (j.queue, j.id.to_string()))
        .collect();
    announced.sort();
    let mut expected = vec![
        ("email".to_string(), ids[0].clone()),
        ("email".to_string(), ids[1].clone()),
    ];
    expected.sort();
    assert_eq!(
        announced, expected,
        "exactly the resumed queue's waiting jobs, at once"
    );

    // A polled queue is left to its pollers.
    let (status, _) = queue_action(&api, &admin, "file_processing", "resume").await;
    assert_eq!(status, 200);
    assert!(recording.take().is_empty());
}
