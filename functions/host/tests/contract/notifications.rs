//! Transactional email, end to end: the API queues `notifications.email` with the share, the
//! new user or the dead job that caused it; the native consumer sends it over SMTP to the real
//! aiosmtpd that `scripts/test` starts; the tests read the recipient's mailbox (its Maildir) and
//! the job through the queue admin API. Real Postgres, Redis and SMTP.
//!
//! On the workerd run the API is the Worker and the sending consumer is the harness's native
//! one (the edge never claims `email`): the same path a deployment takes.

use crate::common;

use std::time::Duration;

use crate::common::mail::{self, Mail};
use crate::common::{Options, PASSWORD, Platform, Runtime, Session, WORKER_SECRET, files};
use jobs::jobs::email::MailSettings;
use powernode_api::queue::enqueue::{self, Enqueued, NewJob};
use powernode_api::service::notify;
use serde_json::{Value, json};
use uuid::Uuid;

async fn with_consumers(admin: Option<(String, String)>) -> Platform {
    Platform::start_with(Options {
        consumers: true,
        admin,
        ..Options::default()
    })
    .await
}

/// The email job queued under `key`, once it exists.
async fn email_job(p: &Platform, key: &str) -> Uuid {
    for _ in 0..100 {
        if let Some(row) =
            p.db.query_opt("SELECT id FROM jobs WHERE idempotency_key = $1", &[&key])
                .await
                .expect("query")
        {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no job with idempotency key {key}");
}

/// The job as its account's owner sees it in the queue admin API, once it is in `state`.
async fn job_in_state(p: &Platform, who: &Session, id: Uuid, state: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        let r = p
            .get(&format!("/api/v1/admin/jobs/{id}"), Some(&who.access))
            .await;
        last = r.assert_ok(200).clone();
        if last["state"] == state {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} did not reach {state}: {last}");
}

/// The one message `address` received, once its job completed (so a second would be there).
async fn only_message(address: &str) -> Mail {
    let mails = mail::wait_for(address, 1).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    mails.into_iter().next().expect("one message")
}

fn link(token: &str) -> String {
    match common::runtime() {
        Runtime::Native => format!("{}/shared/{token}", common::PUBLIC_URL),
        // The Worker's base is its own configuration (wrangler.toml).
        Runtime::External { .. } => format!("/shared/{token}"),
    }
}

#[tokio::test]
async fn a_share_with_notify_email_mails_the_link_once_and_never_the_password() {
    let p = with_consumers(None).await;
    let owner = p.register(&mail::address("owner")).await;
    let file = files::upload_ok(&p, &owner, "plan.png", &files::png(64), &[]).await;
    let id = file["id"].as_str().expect("file id");
    let to = mail::address("friend");
    let secret = "share-password-never-mailed";
    let r = p
        .post(
            &format!("/api/v1/files/{id}/shares"),
            Some(&owner.access),
            json!({ "password": secret, "notify_email": to.to_uppercase() }),
        )
        .await;
    let share = r.assert_ok(201).clone();
    assert!(
        !r.text.contains("notify_email"),
        "the answer is the share: {}",
        r.text
    );
    let token = share["token"].as_str().expect("token");

    // The job is the owner's to see in the queue admin API, and it completes.
    let job = email_job(
        &p,
        &format!("email:share:{}", share["id"].as_str().expect("id")),
    )
    .await;
    let done = job_in_state(&p, &owner, job, "completed").await;
    assert_eq!(done["queue"], "email");
    assert_eq!(done["job_type"], "notifications.email");
    let listed = p
        .get("/api/v1/admin/jobs?queue=email", Some(&owner.access))
        .await;
    let listed = listed
        .assert_ok(200)
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        listed.iter().any(|j| j["id"] == job.to_string()),
        "{listed:?}"
    );

    let m = only_message(&to).await;
    assert!(m.to.contains(&to), "To: {}", m.to);
    assert_eq!(m.subject, "Test shared \"plan.png\" with you");
    assert!(m.from.contains("no-reply@localhost"), "From: {}", m.from);
    assert!(m.text.contains(&link(token)), "{}", m.text);
    assert!(m.text.contains("ask Test for it"), "{}", m.text);
    assert!(
        !m.raw.contains(secret),
        "the share password was mailed:\n{}",
        m.raw
    );
    p.stop().await;
}

#[tokio::test]
async fn a_bad_notify_email_is_a_422_and_creates_nothing() {
    let p = Platform::start().await;
    let owner = p.register(&mail::address("owner")).await;
    let file = files::upload_ok(&p, &owner, "a.png", &files::png(16), &[]).await;
    let id = file["id"].as_str().expect("file id");
    for bad in ["not-an-address", "", "two@@example.com"] {
        let r = p
            .post(
                &format!("/api/v1/files/{id}/shares"),
                Some(&owner.access),
                json!({ "notify_email": bad }),
            )
            .await;
        r.assert_error(422, "validation_failed");
        assert_eq!(r.detail_fields(), ["notify_email"], "{}", r.text);
    }
    assert_eq!(p.count("SELECT count(*) FROM file_shares", &[]).await, 0);
    assert_eq!(
        p.count("SELECT count(*) FROM jobs WHERE queue = 'email'", &[])
            .await,
        0
    );
    p.stop().await;
}

#[tokio::test]
async fn an_invited_user_gets_one_email_without_their_password() {
    let p = with_consumers(None).await;
    let owner = p.register(&mail::address("owner")).await;
    let new = mail::address("new");
    let password = "first-password-never-mailed";
    let r = p
        .post(
            "/api/v1/users",
            Some(&owner.access),
            json!({ "email": new, "password": password, "role": "member" }),
        )
        .await;
    let user = r.assert_ok(201).clone();
    let job = email_job(
        &p,
        &format!("email:invite:{}", user["id"].as_str().expect("id")),
    )
    .await;
    job_in_state(&p, &owner, job, "completed").await;

    let m = only_message(&new).await;
    assert!(m.subject.starts_with("You were added to "), "{}", m.subject);
    assert!(m.text.contains("by Test"), "{}", m.text);
    assert!(m.text.contains(&new), "{}", m.text);
    if common::runtime() == Runtime::Native {
        assert!(
            m.text.contains(&format!("{}/login", common::PUBLIC_URL)),
            "{}",
            m.text
        );
    }
    assert!(
        !m.raw.contains(password),
        "the password was mailed:\n{}",
        m.raw
    );
    p.stop().await;
}

async fn enqueue_now(p: &Platform, job: NewJob) -> Uuid {
    let api = p.api();
    match enqueue::enqueue(api, api.db(), &job)
        .await
        .expect("enqueue")
    {
        Enqueued::Created(id) => id,
        other => panic!("not created: {other:?}"),
    }
}

async fn wait_dead(p: &Platform, id: Uuid) {
    for _ in 0..300 {
        let row =
            p.db.query_one("SELECT state::text FROM jobs WHERE id = $1", &[&id])
                .await
                .expect("job");
        if row.get::<_, String>(0) == "dead" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} never died");
}

#[tokio::test]
async fn a_dead_job_mails_its_owner_once_however_often_the_sweep_runs() {
    let admin = mail::address("admin");
    let p = with_consumers(Some((admin.clone(), PASSWORD.into()))).await;
    let owner_address = mail::address("owner");
    let owner = p.register(&owner_address).await;
    // An account's job and a platform job, each dying on its first failure.
    let mut account_job = NewJob::new("system.fail", json!({ "message": "disk on fire" }));
    account_job.account_id = Some(owner.account_id);
    account_job.max_attempts = 1;
    let account_job = enqueue_now(&p, account_job).await;
    let mut platform_job = NewJob::new("system.fail", json!({ "message": "platform hiccup" }));
    platform_job.max_attempts = 1;
    let platform_job = enqueue_now(&p, platform_job).await;
    // An email job that dies (bad arguments) is never mailed about.
    let mut email_job = NewJob::new(
        notify::JOB_TYPE,
        json!({ "to": "not an address", "subject": "s", "text": "t" }),
    );
    email_job.queue = notify::QUEUE.into();
    email_job.max_attempts = 1;
    let email_job = enqueue_now(&p, email_job).await;
    for id in [account_job, platform_job, email_job] {
        wait_dead(&p, id).await;
    }

    // The sweep directly, then as the scheduler's maintenance task runs it (through the worker
    // route); the host's own scheduler may run it meanwhile too. However many passes, each
    // person's email is queued once.
    let first = notify::notify_dead_jobs(p.api()).await.expect("sweep");
    assert_eq!(first.dead_jobs, 2, "{first:?}");
    let second = p.maintenance("notify_dead_jobs").await;
    let second = second.assert_ok(200);
    assert_eq!(second["counts"]["dead_jobs"], 2, "{second}");
    assert_eq!(second["counts"]["emails_queued"], 0, "{second}");
    assert_eq!(
        p.count(
            "SELECT count(*) FROM jobs WHERE idempotency_key LIKE 'email:dead:%'",
            &[]
        )
        .await,
        2
    );

    let to_owner = email_job_for(&p, account_job, owner.user_id).await;
    job_in_state(&p, &owner, to_owner, "completed").await;
    let m = only_message(&owner_address).await;
    assert_eq!(m.subject, "Job system.fail failed for good");
    assert!(m.text.contains(&account_job.to_string()), "{}", m.text);
    assert!(m.text.contains("disk on fire"), "{}", m.text);

    let a = only_message(&admin).await;
    assert!(a.text.contains(&platform_job.to_string()), "{}", a.text);
    assert!(a.text.contains("platform hiccup"), "{}", a.text);
    // Each told only about their own.
    assert!(!m.text.contains("platform hiccup"));
    assert!(!a.text.contains("disk on fire"));
    p.stop().await;
}

/// The dead-job email for `job` to `user`.
async fn email_job_for(p: &Platform, job: Uuid, user: Uuid) -> Uuid {
    email_job(p, &format!("email:dead:{job}:{user}")).await
}

/// Runs a consumer of the `email` queue with `mail` until `id` leaves `running` and its
/// first attempt is settled, then stops it.
async fn run_email_consumer(p: &Platform, mail: MailSettings, id: Uuid) {
    let settings = powernode_host::config::ConsumerSettings {
        queues: vec!["email".into()],
        mail,
        ..powernode_host::config::ConsumerSettings::default()
    };
    let (stop, task) = powernode_host::server::start_consumers(&p.base, WORKER_SECRET, &settings)
        .expect("consumer starts");
    for _ in 0..300 {
        let row =
            p.db.query_one(
                "SELECT state::text, attempts FROM jobs WHERE id = $1",
                &[&id],
            )
            .await
            .expect("job");
        let (state, attempts): (String, i32) = (row.get(0), row.get(1));
        if attempts >= 1 && state != "running" && state != "available" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    let _ = task.await;
}

#[tokio::test]
async fn with_smtp_down_the_email_retries_and_no_error_shows_the_password() {
    let p = Platform::start().await;
    let owner = p.register(&mail::address("owner")).await;
    let to = mail::address("nobody");
    let queue_email = |key: &str| {
        let mut job = NewJob::new(
            notify::JOB_TYPE,
            json!({ "to": to, "subject": "Hello", "text": "Body" }),
        );
        job.account_id = Some(owner.account_id);
        job.queue = notify::QUEUE.into();
        job.idempotency_key = Some(key.to_string());
        job
    };

    // Nothing listens on a port just freed: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let password = "smtp-pass-w0rd";
    let down = MailSettings {
        url: Some(format!("smtp://mailer:{password}@127.0.0.1:{closed}")),
        from: None,
    };
    let job = enqueue_now(&p, queue_email("test:down")).await;
    run_email_consumer(&p, down, job).await;
    let seen = job_in_state(&p, &owner, job, "retryable").await;
    let errors = seen["errors"].to_string();
    assert!(errors.contains("will retry"), "{errors}");
    assert!(!errors.contains(password), "{errors}");
    assert!(
        !p.get(&format!("/api/v1/admin/jobs/{job}"), Some(&owner.access))
            .await
            .text
            .contains(password)
    );

    // Without any SMTP URL the job is dead at once, and says what to set.
    let job = enqueue_now(&p, queue_email("test:unconfigured")).await;
    run_email_consumer(&p, MailSettings::default(), job).await;
    let seen = job_in_state(&p, &owner, job, "dead").await;
    assert!(
        seen["errors"]
            .to_string()
            .contains("email is not configured: set POWERNODE_SMTP_URL"),
        "{seen}"
    );
    assert!(mail::inbox(&to).is_empty());
    p.stop().await;
}

#[tokio::test]
async fn the_test_smtp_server_is_the_one_the_consumers_use() {
    // Guards the harness: without POWERNODE_TEST_SMTP_URL every email above would be dead.
    assert!(mail::smtp_url().starts_with("smtp://127.0.0.1:"));
}
