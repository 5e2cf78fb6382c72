//! The scheduled maintenance tasks, each run as its consumer runs it (the worker route, with the
//! service token) against real Postgres, Redis and storage, checked by what a user then sees:
//! a file no longer stuck in "processing", a storage's health, an expired share gone from the
//! list, the trash emptied with its bytes, old log entries gone, orphaned objects removed.
//! Time is moved by back-dating rows (the tasks act on what is due "now"). Every task is run
//! twice: the second run finds nothing left to do. One test runs a task the way the scheduler
//! does, as a queued job whose report shows in the queue admin API.

use crate::common;

use std::time::Duration;

use crate::common::files::{png, send_to_upload_url, upload_ok, used_bytes};
use crate::common::{Options, Platform, Session};
use reqwest::Method;
use serde_json::{Value, json};

/// Runs `task` as its consumer does; returns the report.
async fn run(p: &Platform, task: &str) -> Value {
    let report = p.maintenance(task).await.assert_ok(200).clone();
    assert_eq!(report["task"], task);
    report
}

fn count(report: &Value, name: &str) -> u64 {
    report["counts"][name].as_u64().unwrap_or(0)
}

async fn exec(p: &Platform, sql: &str) {
    p.db.batch_execute(sql).await.expect("test SQL");
}

#[tokio::test]
async fn the_route_takes_only_known_tasks_and_only_the_service_token() {
    let p = Platform::start().await;
    let user = p.register("owner@example.com").await;
    p.maintenance("drop_everything")
        .await
        .assert_error(404, "not_found");
    let r = p
        .post(
            "/api/v1/worker/maintenance/expire_shares",
            Some(&user.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 401, "a user token is not a service token");
}

#[tokio::test]
async fn processing_left_open_by_a_dead_job_is_marked_failed() {
    let admin = ("root@example.com", "admin password 1");
    let p = Platform::start_with(Options {
        admin: Some((admin.0.into(), admin.1.into())),
        ..Options::default()
    })
    .await;
    let root = Session::from_auth(p.login(admin.0, admin.1).await.assert_ok(200));
    let owner = p.register("owner@example.com").await;
    // No media runner runs here: both files' processing jobs wait in the queue.
    let stuck = upload_ok(&p, &owner, "stuck.png", &png(3000), &[]).await;
    let waiting = upload_ok(&p, &owner, "waiting.png", &png(3100), &[]).await;
    let stuck_id = stuck["id"].as_str().expect("id");
    let waiting_id = waiting["id"].as_str().expect("id");
    // An operator discards the first file's jobs (as after a crash loop): dead, never reported.
    let jobs = p
        .get(
            "/api/v1/admin/jobs?queue=file_processing",
            Some(&root.access),
        )
        .await;
    let job_ids: Vec<String> = jobs
        .assert_ok(200)
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["args"]["file_id"] == stuck_id)
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect();
    assert!(!job_ids.is_empty());
    for id in &job_ids {
        p.post(
            &format!("/api/v1/admin/jobs/{id}/discard"),
            Some(&root.access),
            json!({}),
        )
        .await
        .assert_ok(200);
    }
    exec(
        &p,
        "UPDATE file_processing_jobs SET created_at = created_at - interval '5 minutes'",
    )
    .await;

    let report = run(&p, "sweep_stuck_processing").await;
    assert_eq!(count(&report, "failed"), job_ids.len() as u64, "{report}");
    let file = p
        .get(&format!("/api/v1/files/{stuck_id}"), Some(&owner.access))
        .await;
    assert_eq!(file.assert_ok(200)["processing_status"], "failed");
    let jobs = p
        .get(
            &format!("/api/v1/files/{stuck_id}/processing_jobs"),
            Some(&owner.access),
        )
        .await;
    for j in jobs.assert_ok(200).as_array().expect("jobs") {
        assert_eq!(j["status"], "failed");
        assert!(
            j["error"]
                .as_str()
                .is_some_and(|e| e.contains("ended without reporting")),
            "{j}"
        );
    }
    let other = p
        .get(&format!("/api/v1/files/{waiting_id}"), Some(&owner.access))
        .await;
    assert_eq!(
        other.assert_ok(200)["processing_status"],
        "pending",
        "a job still queued is not stuck"
    );
    let again = run(&p, "sweep_stuck_processing").await;
    assert_eq!(count(&again, "failed"), 0);
}

#[tokio::test]
async fn storage_health_is_checked_and_shown_on_each_storage() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    upload_ok(&p, &owner, "a.png", &png(1000), &[]).await;
    // Nothing listens on port 9: the probe cannot connect.
    let broken = p
        .post(
            "/api/v1/storages",
            Some(&owner.access),
            json!({
                "name": "unreachable",
                "provider_type": "s3",
                "configuration": {
                    "bucket": "nowhere",
                    "region": "us-east-1",
                    "endpoint": "http://127.0.0.1:9",
                    "access_key_id": "AKIDEXAMPLE",
                    "secret_access_key": "never-shown-secret",
                    "force_path_style": true
                }
            }),
        )
        .await;
    let broken_id = broken.assert_ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    let before = p.get("/api/v1/storages", Some(&owner.access)).await;
    assert!(
        before.assert_ok(200)[0]["health"].is_null(),
        "no health before the first check"
    );

    let report = run(&p, "check_storages").await;
    assert_eq!(count(&report, "healthy"), 1, "{report}");
    assert_eq!(count(&report, "unhealthy"), 1, "{report}");
    assert!(!report.to_string().contains("never-shown-secret"));
    let listed = p.get("/api/v1/storages", Some(&owner.access)).await;
    for s in listed.assert_ok(200).as_array().expect("storages") {
        let health = &s["health"];
        assert!(health["checked_at"].is_string(), "{s}");
        if s["id"] == broken_id.as_str() {
            assert_eq!(health["ok"], false);
            assert!(health["error"].as_str().is_some_and(|e| !e.is_empty()));
        } else {
            assert_eq!(health["ok"], true, "{s}");
            assert!(health["error"].is_null());
        }
    }
    assert!(!listed.body.to_string().contains("never-shown-secret"));
}

#[tokio::test]
async fn service_health_reports_both_dependencies() {
    let p = Platform::start().await;
    let report = run(&p, "check_services").await;
    assert!(report["counts"]["postgres_ms"].is_u64(), "{report}");
    assert!(report["counts"]["redis_ms"].is_u64(), "{report}");
    assert_eq!(report["problems"], json!([]));
}

#[tokio::test]
async fn expired_shares_are_revoked_and_their_links_stop_working() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let file = upload_ok(&p, &owner, "s.png", &png(2000), &[]).await;
    let id = file["id"].as_str().expect("id");
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let share = |body: Value| {
        let p = &p;
        let access = owner.access.clone();
        async move {
            let r = p
                .post(&format!("/api/v1/files/{id}/shares"), Some(&access), body)
                .await;
            r.assert_ok(201).clone()
        }
    };
    let expiring = share(json!({ "expires_at": soon })).await;
    let lasting = share(json!({})).await;
    // An hour and a minute later:
    exec(
        &p,
        "UPDATE file_shares SET expires_at = now() - interval '1 minute' WHERE expires_at IS NOT NULL",
    )
    .await;

    let report = run(&p, "expire_shares").await;
    assert_eq!(count(&report, "expired"), 1, "{report}");
    let listed = p
        .get(&format!("/api/v1/files/{id}/shares"), Some(&owner.access))
        .await;
    let ids: Vec<&Value> = listed
        .assert_ok(200)
        .as_array()
        .expect("shares")
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, [&lasting["id"]]);
    let token = expiring["token"].as_str().expect("token");
    let link = p.get(&format!("/s/{token}"), None).await;
    assert_eq!(link.status, 404, "{}", link.body);
    let kept = p
        .get(
            &format!("/s/{}", lasting["token"].as_str().expect("token")),
            None,
        )
        .await;
    assert_eq!(kept.status, 200);
    assert_eq!(
        p.count(
            "SELECT count(*) FROM file_shares WHERE token = $1",
            &[&token]
        )
        .await,
        0,
        "the token is forgotten"
    );
    assert_eq!(count(&run(&p, "expire_shares").await, "expired"), 0);
}

#[tokio::test]
async fn abandoned_direct_uploads_are_removed_with_their_bytes() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(900);
    let size = bytes.len();
    let start = |name: &'static str| {
        let p = &p;
        let access = owner.access.clone();
        async move {
            p.post(
                "/api/v1/files/uploads",
                Some(&access),
                json!({ "filename": name, "content_type": "image/png", "file_size": size }),
            )
            .await
            .assert_ok(201)
            .clone()
        }
    };
    let old = start("old.png").await;
    let fresh = start("fresh.png").await;
    let sent = send_to_upload_url(&p, &old, bytes.clone()).await;
    assert!(sent.status < 300, "{}", sent.body);
    let old_id = old["file_id"].as_str().expect("file_id");
    exec(
        &p,
        &format!(
            "UPDATE files SET created_at = created_at - interval '25 hours' WHERE id = '{old_id}'"
        ),
    )
    .await;

    let report = run(&p, "sweep_abandoned_uploads").await;
    assert_eq!(count(&report, "uploads_removed"), 1, "{report}");
    assert_eq!(report["problems"], json!([]));
    let late = p
        .post(
            &format!("/api/v1/files/uploads/{old_id}/complete"),
            Some(&owner.access),
            json!({}),
        )
        .await;
    assert_eq!(late.status, 404, "{}", late.body);
    if let Some(objects) = p.local_objects(old_id) {
        assert_eq!(objects, Vec::<String>::new(), "the partial object is gone");
    }
    // The fresh upload still completes.
    let fresh_id = fresh["file_id"].as_str().expect("file_id");
    let sent = send_to_upload_url(&p, &fresh, bytes.clone()).await;
    assert!(sent.status < 300, "{}", sent.body);
    p.post(
        &format!("/api/v1/files/uploads/{fresh_id}/complete"),
        Some(&owner.access),
        json!({}),
    )
    .await
    .assert_ok(201);
    assert_eq!(
        count(&run(&p, "sweep_abandoned_uploads").await, "uploads_removed"),
        0
    );
}

#[tokio::test]
async fn the_trash_is_emptied_after_30_days_bytes_and_quota_included() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let old_bytes = png(4000);
    let recent_bytes = png(3000);
    let old = upload_ok(&p, &owner, "old.png", &old_bytes, &[]).await;
    let recent = upload_ok(&p, &owner, "recent.png", &recent_bytes, &[]).await;
    let old_id = old["id"].as_str().expect("id");
    let recent_id = recent["id"].as_str().expect("id");
    for id in [old_id, recent_id] {
        p.send(
            Method::DELETE,
            &format!("/api/v1/files/{id}"),
            Some(&owner.access),
            None,
        )
        .await
        .assert_ok(200);
    }
    exec(
        &p,
        &format!("UPDATE files SET deleted_at = now() - interval '31 days' WHERE id = '{old_id}'"),
    )
    .await;
    let total = (old_bytes.len() + recent_bytes.len()) as i64;
    assert_eq!(used_bytes(&p, &owner).await, total);

    let report = run(&p, "purge_deleted_files").await;
    assert_eq!(count(&report, "files_deleted"), 1, "{report}");
    assert_eq!(count(&report, "bytes_freed"), old_bytes.len() as u64);
    assert_eq!(report["problems"], json!([]));
    assert_eq!(
        p.post(
            &format!("/api/v1/files/{old_id}/restore"),
            Some(&owner.access),
            json!({})
        )
        .await
        .status,
        404,
        "gone for good"
    );
    assert_eq!(
        used_bytes(&p, &owner).await,
        recent_bytes.len() as i64,
        "the quota is given back"
    );
    if let Some(objects) = p.local_objects(old_id) {
        assert_eq!(objects, Vec::<String>::new(), "its bytes are removed");
    }
    p.post(
        &format!("/api/v1/files/{recent_id}/restore"),
        Some(&owner.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    assert_eq!(
        count(&run(&p, "purge_deleted_files").await, "files_deleted"),
        0
    );
}

#[tokio::test]
async fn retention_deletes_old_audit_entries_and_finished_webhook_events() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let endpoint = p
        .post(
            "/api/v1/webhooks/endpoints",
            Some(&owner.access),
            json!({ "name": "hook", "provider": "generic" }),
        )
        .await;
    let endpoint_id = endpoint.assert_ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Three events: finished long ago, finished recently, and long pending (still to run).
    exec(
        &p,
        &format!(
            "INSERT INTO webhook_events (id, endpoint_id, account_id, delivery_id, payload, state,
                                         received_at, processed_at)
             VALUES (gen_random_uuid(), '{endpoint_id}', '{a}', 'old', '\\x7b7d', 'processed',
                     now() - interval '40 days', now() - interval '40 days'),
                    (gen_random_uuid(), '{endpoint_id}', '{a}', 'recent', '\\x7b7d', 'failed',
                     now() - interval '2 days', now() - interval '2 days'),
                    (gen_random_uuid(), '{endpoint_id}', '{a}', 'pending', '\\x7b7d', 'pending',
                     now() - interval '40 days', NULL)",
            a = owner.account_id
        ),
    )
    .await;
    let audit_before = p.count("SELECT count(*) FROM audit_logs", &[]).await;
    assert!(
        audit_before > 0,
        "registering and creating leave audit entries"
    );
    exec(
        &p,
        "UPDATE audit_logs SET created_at = now() - interval '400 days'
          WHERE id = (SELECT id FROM audit_logs ORDER BY created_at LIMIT 1)",
    )
    .await;

    let report = run(&p, "enforce_retention").await;
    assert_eq!(count(&report, "audit_logs_deleted"), 1, "{report}");
    assert_eq!(count(&report, "webhook_events_deleted"), 1, "{report}");
    assert_eq!(
        p.count("SELECT count(*) FROM audit_logs", &[]).await,
        audit_before - 1
    );
    let events = p.get("/api/v1/webhooks/events", Some(&owner.access)).await;
    let mut deliveries: Vec<String> = events
        .assert_ok(200)
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["delivery_id"].as_str().expect("delivery_id").to_string())
        .collect();
    deliveries.sort();
    assert_eq!(deliveries, ["pending", "recent"]);
    let again = run(&p, "enforce_retention").await;
    assert_eq!(count(&again, "audit_logs_deleted"), 0);
    assert_eq!(count(&again, "webhook_events_deleted"), 0);
}

#[tokio::test]
async fn orphaned_objects_are_removed_and_referenced_ones_kept() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let bytes = png(2500);
    let file = upload_ok(&p, &owner, "live.png", &bytes, &[]).await;
    let id = file["id"].as_str().expect("id").to_string();

    // The live file alone: listed, kept (on every runtime's default provider).
    let report = run(&p, "sweep_orphans").await;
    assert_eq!(report["problems"], json!([]), "{report}");
    assert!(count(&report, "objects_seen") >= 1, "{report}");
    assert_eq!(count(&report, "orphans_removed"), 0);

    // Objects no row refers to, written beside it on the local disk: one two days old, one
    // just written (an upload between its put and its row). Only the old one goes.
    let Some(objects) = p.local_objects(&id) else {
        common::native_only("plants objects with a past modification time on the local disk");
        return;
    };
    let live = std::path::PathBuf::from(objects.first().expect("the file's object"));
    let account_dir = live
        .parent()
        .and_then(std::path::Path::parent)
        .expect("{account}/{file}/v1");
    let plant = |name: &str, age: Duration| {
        let dir = account_dir.join(name);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("v1");
        std::fs::write(&path, b"orphaned bytes").expect("write");
        let f = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        f.set_modified(std::time::SystemTime::now() - age)
            .expect("mtime");
        path
    };
    let old = plant(
        &uuid::Uuid::new_v4().to_string(),
        Duration::from_secs(2 * 86_400),
    );
    let young = plant(&uuid::Uuid::new_v4().to_string(), Duration::from_secs(60));
    // The live object is old too: its row, not its age, keeps it.
    std::fs::File::options()
        .write(true)
        .open(&live)
        .expect("open")
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3 * 86_400))
        .expect("mtime");

    let report = run(&p, "sweep_orphans").await;
    assert_eq!(count(&report, "orphans_removed"), 1, "{report}");
    assert_eq!(count(&report, "bytes_freed"), 14);
    assert!(!old.exists());
    assert!(young.exists());
    let download = p
        .http
        .get(format!("{}/api/v1/files/{id}/download", p.base))
        .bearer_auth(&owner.access)
        .send()
        .await
        .expect("download");
    assert_eq!(
        download.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );
    assert_eq!(count(&run(&p, "sweep_orphans").await, "orphans_removed"), 0);
}

#[tokio::test]
async fn a_scheduled_task_runs_as_a_job_whose_report_shows_in_the_queue_admin_api() {
    if !common::runtime_runs_consumers() {
        common::native_only("needs the runtime's own consumers to run the queued job");
        return;
    }
    let admin = ("root@example.com", "admin password 1");
    let p = Platform::start_with(Options {
        admin: Some((admin.0.into(), admin.1.into())),
        consumers: true,
        ..Options::default()
    })
    .await;
    let root = Session::from_auth(p.login(admin.0, admin.1).await.assert_ok(200));
    let r = p
        .post(
            "/api/v1/admin/jobs",
            Some(&root.access),
            json!({ "job_type": "maintenance.check_services", "queue": "maintenance" }),
        )
        .await;
    let id = r.assert_ok(201)["id"].as_str().expect("id").to_string();
    let mut job = Value::Null;
    for _ in 0..150 {
        p.fire_cron().await;
        job = p
            .get(&format!("/api/v1/admin/jobs/{id}"), Some(&root.access))
            .await
            .assert_ok(200)
            .clone();
        if job["state"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["result"]["task"], "check_services", "{job}");
    assert!(job["result"]["counts"]["postgres_ms"].is_u64(), "{job}");
}
