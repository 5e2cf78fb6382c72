//! The daily backup (`POST /api/v1/worker/maintenance/backup`, the `maintenance.backup` job)
//! and `powernode restore`, against real Postgres and storage: what a backup holds (and what it
//! must not), that a second run the same day replaces the first, that a deleted account comes
//! back from it with its password, files, tags, shares and webhook endpoints, that a second
//! restore inserts nothing, and that an account without a usable default storage is a problem
//! line while the others are still backed up.
//!
//! The task runs in the API, so against workerd the Worker takes the backup; the test reads it
//! from the S3 server both runtimes share, and the native `powernode` binary restores it into
//! the Worker's database.

use crate::common;

use std::process::Output;

use crate::common::files::upload_ok;
use crate::common::providers::s3_configuration;
use crate::common::{PASSWORD, Platform, Session, WORKER_SECRET};
use powernode_api::ports::storage::{ObjectStore, StorageProviders};
use powernode_api::service::maintenance::{BACKUP_PREFIX, backup_key};
use powernode_storage::NativeProviders;
use serde_json::{Value, json};
use uuid::Uuid;

/// Runs the backup task as its job's consumer does; returns the report.
async fn run_backup(p: &Platform) -> Value {
    p.maintenance("backup").await.assert_ok(200).clone()
}

/// The store of a storage, built natively from its plain configuration (what the test gave).
async fn open_store(
    p: &Platform,
    storage: Uuid,
    provider_type: &str,
    configuration: &Value,
) -> std::sync::Arc<dyn ObjectStore> {
    NativeProviders::new(p.data_dir().join("files"))
        .build(storage, provider_type, configuration)
        .await
        .expect("the test's storage opens")
}

/// The keys of an account's backups in `store`.
async fn backup_keys(store: &dyn ObjectStore, account: Uuid) -> Vec<String> {
    let page = store
        .list(&format!("{BACKUP_PREFIX}{account}/"), None)
        .await
        .expect("listing the backups");
    page.objects.into_iter().map(|o| o.key).collect()
}

async fn read(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    use futures::StreamExt as _;
    let mut got = store.get(key, None).await.expect("the backup is there");
    let mut bytes = Vec::new();
    while let Some(chunk) = got.body.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    bytes
}

/// Runs `powernode restore ARGS` against the platform's database.
fn restore(p: &Platform, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_powernode"))
        .arg("restore")
        .args(args)
        .env("DATABASE_URL", &p.database_url)
        // Not used by restore, but required of every subcommand's configuration.
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("POWERNODE_DATA_DIR", p.data_dir())
        .env("JWT_SECRET", common::JWT_SECRET)
        .env("WORKER_SERVICE_TOKEN", WORKER_SECRET)
        .env("POWERNODE_ENCRYPTION_KEY", "unused")
        .env("POWERNODE_LOG_FORMAT", "json")
        .output()
        .expect("the powernode binary runs")
}

/// `table -> (rows, inserted, skipped)` from restore's summary on stdout.
fn summary(out: &Output) -> std::collections::HashMap<String, (u64, u64, u64)> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "restore failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let n = |i: usize| cols.get(i)?.parse::<u64>().ok();
            Some((cols.first()?.to_string(), (n(1)?, n(2)?, n(3)?)))
        })
        .collect()
}

/// Deletes every row of an account (children first, as no API does in one go).
async fn delete_account(p: &Platform, account: Uuid) {
    p.db.batch_execute(&format!(
        "DELETE FROM files WHERE account_id = '{account}';
         DELETE FROM storages WHERE account_id = '{account}';
         DELETE FROM users WHERE account_id = '{account}';
         DELETE FROM accounts WHERE id = '{account}';"
    ))
    .await
    .expect("delete the account");
}

struct Seeded {
    owner: Session,
    file: String,
    bytes: Vec<u8>,
    webhook_secret: String,
}

/// An account with a second user, a tagged file with a password share, and a webhook endpoint.
async fn seed(p: &Platform) -> Seeded {
    let owner = p.register("owner@example.com").await;
    p.add_user(&owner, "viewer@example.com", "viewer").await;
    let bytes = common::files::png(2000);
    let file = upload_ok(p, &owner, "photo.png", &bytes, &[("tags", "alpha, beta")]).await;
    let file = file["id"].as_str().expect("file id").to_string();
    p.post(
        &format!("/api/v1/files/{file}/shares"),
        Some(&owner.access),
        json!({ "password": "open sesame" }),
    )
    .await
    .assert_ok(201);
    let hook = p
        .post(
            "/api/v1/webhooks/endpoints",
            Some(&owner.access),
            json!({ "name": "ci", "provider": "generic" }),
        )
        .await;
    let webhook_secret = hook.assert_ok(201)["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    Seeded {
        owner,
        file,
        bytes,
        webhook_secret,
    }
}

#[tokio::test]
async fn a_backup_restores_a_deleted_account_and_a_second_restore_changes_nothing() {
    let p = Platform::start().await;
    let owner = p.register("first@example.com").await;
    let s3 = s3_configuration().await;
    let storage = p
        .post(
            "/api/v1/storages",
            Some(&owner.access),
            json!({ "name": "s3", "provider_type": "s3", "configuration": s3, "is_default": true }),
        )
        .await;
    let storage: Uuid = storage.assert_ok(201)["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("storage id");
    // The seeded account is another one; give it the same S3 storage as its default.
    let seeded = seed(&p).await;
    let account = seeded.owner.account_id;
    let theirs = p
        .post(
            "/api/v1/storages",
            Some(&seeded.owner.access),
            json!({ "name": "s3", "provider_type": "s3", "configuration": s3, "is_default": true }),
        )
        .await;
    let theirs: Uuid = theirs.assert_ok(201)["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("storage id");

    let report = run_backup(&p).await;
    assert_eq!(report["task"], "backup");
    assert_eq!(report["problems"], json!([]), "{report}");
    assert_eq!(report["counts"]["accounts_backed_up"], 2, "{report}");
    assert!(
        report["counts"]["rows"].as_u64().unwrap_or(0) > 10,
        "{report}"
    );

    let store = open_store(&p, theirs, "s3", &s3).await;
    let keys = backup_keys(&*store, account).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(keys[0], backup_key(account, &today));
    let first = read(&*store, &keys[0]).await;
    let text = String::from_utf8_lossy(&first).into_owned();
    let doc: Value = serde_json::from_slice(&first).expect("the backup is JSON");
    assert_eq!(doc["format"], "powernode-backup");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["account"]["id"], account.to_string());
    let len = |k: &str| doc[k].as_array().map_or(usize::MAX, Vec::len);
    assert_eq!(len("users"), 2);
    assert_eq!(len("user_roles"), 2);
    assert_eq!(
        len("storages"),
        2,
        "the auto-made local/R2 default and the S3 one"
    );
    assert_eq!(len("files"), 1);
    assert_eq!(len("file_versions"), 1);
    assert_eq!(len("tags"), 2);
    assert_eq!(len("file_tags"), 2);
    assert_eq!(len("file_shares"), 1);
    assert_eq!(len("webhook_endpoints"), 1);
    // Secrets as stored: hashes and sealed values, never plain text; no sign-ins at all.
    for k in [
        "sessions",
        "refresh_tokens",
        "jobs",
        "audit_logs",
        "webhook_events",
    ] {
        assert!(doc.get(k).is_none(), "{k} is not backed up");
    }
    assert!(
        doc["users"][0]["password_hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("$argon2"))
    );
    assert!(!text.contains(&seeded.webhook_secret));
    assert!(!text.contains(&seeded.owner.refresh));
    assert!(!text.contains(s3["secret_access_key"].as_str().expect("secret")));
    assert!(!text.contains(PASSWORD) && !text.contains("open sesame"));
    // Only this account's rows: the other account's user is not in it.
    assert!(!text.contains(&owner.user_id.to_string()));

    // Idempotent: the same day's object is replaced, never a second one.
    let again = run_backup(&p).await;
    assert_eq!(again["counts"]["accounts_backed_up"], 2, "{again}");
    assert_eq!(again["counts"]["rows"], report["counts"]["rows"]);
    assert_eq!(backup_keys(&*store, account).await, keys);
    let mine = open_store(&p, storage, "s3", &s3).await;
    assert_eq!(backup_keys(&*mine, owner.account_id).await.len(), 1);

    // The account is deleted; its bytes stay in storage.
    delete_account(&p, account).await;
    p.login("owner@example.com", PASSWORD)
        .await
        .assert_error(401, "unauthorized");
    let dir = common::TempDir::new();
    let path = dir.0.join("backup.json");
    std::fs::write(&path, &first).expect("write the downloaded backup");
    let path = path.to_string_lossy().into_owned();

    // A document of an unknown version is refused before anything is written.
    let mut future = doc.clone();
    future["version"] = json!(99);
    let future_path = dir.0.join("future.json");
    std::fs::write(&future_path, future.to_string()).expect("write");
    let out = restore(&p, &["--file", &future_path.to_string_lossy()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("backup version 99 is not supported"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        p.count("SELECT count(*) FROM accounts WHERE id = $1", &[&account])
            .await,
        0
    );

    let restored = summary(&restore(&p, &["--file", &path]));
    for (table, rows) in [
        ("account", 1),
        ("users", 2),
        ("user_roles", 2),
        ("storages", 2),
        ("files", 1),
        ("file_versions", 1),
        ("tags", 2),
        ("file_tags", 2),
        ("file_shares", 1),
        ("webhook_endpoints", 1),
    ] {
        assert_eq!(
            restored.get(table),
            Some(&(rows, rows, 0)),
            "{table}: {restored:?}"
        );
    }

    // The user signs in with the old password and finds everything.
    let login = p.login("owner@example.com", PASSWORD).await;
    let back = Session::from_auth(login.assert_ok(200));
    let files = p.get("/api/v1/files", Some(&back.access)).await;
    let files = files.assert_ok(200).as_array().expect("files").clone();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0]["id"], seeded.file.as_str());
    assert_eq!(files[0]["tags"], json!(["alpha", "beta"]));
    let shares = p
        .get(
            &format!("/api/v1/files/{}/shares", seeded.file),
            Some(&back.access),
        )
        .await;
    assert_eq!(shares.assert_ok(200).as_array().map(Vec::len), Some(1));
    let hooks = p
        .get("/api/v1/webhooks/endpoints", Some(&back.access))
        .await;
    assert_eq!(hooks.assert_ok(200).as_array().map(Vec::len), Some(1));
    // The bytes were never removed, and the restored storage row finds them.
    let content = p
        .http
        .get(format!("{}/api/v1/files/{}/download", p.base, seeded.file))
        .bearer_auth(&back.access)
        .send()
        .await
        .expect("download");
    assert_eq!(content.status(), 200);
    assert_eq!(content.bytes().await.expect("body").to_vec(), seeded.bytes);

    // Running it again changes nothing.
    let twice = summary(&restore(&p, &["--file", &path]));
    assert!(!twice.is_empty());
    for (table, (rows, inserted, skipped)) in &twice {
        assert_eq!((*inserted, *skipped), (0, *rows), "{table}: {twice:?}");
    }
    p.stop().await;
}

#[tokio::test]
async fn restore_by_account_reads_the_newest_backup_from_its_default_storage() {
    if common::native_only(
        "restore --account opens the storage with the native host's encryption key and local disk; the Worker's are its own",
    ) {
        return;
    }
    let p = Platform::start().await;
    let seeded = seed(&p).await;
    let account = seeded.owner.account_id;
    let report = run_backup(&p).await;
    assert_eq!(report["counts"]["accounts_backed_up"], 1, "{report}");
    // The local default storage holds it on disk.
    let on_disk = p.local_objects(&format!("{account}/")).unwrap_or_default();
    assert_eq!(
        on_disk.iter().filter(|o| o.ends_with(".json")).count(),
        1,
        "{on_disk:?}"
    );

    // A file and a tag are lost; the account stays.
    let file: Uuid = seeded.file.parse().expect("uuid");
    let used_before = p
        .count(
            "SELECT used_bytes FROM storages WHERE account_id = $1",
            &[&account],
        )
        .await;
    p.db.execute("DELETE FROM files WHERE id = $1", &[&file])
        .await
        .expect("delete the file");
    p.db.execute("DELETE FROM tags WHERE name = 'beta'", &[])
        .await
        .expect("delete a tag");
    p.db.execute(
        "UPDATE storages SET used_bytes = 0 WHERE account_id = $1",
        &[&account],
    )
    .await
    .expect("as a permanent delete would");

    let out = restore(
        &p,
        &["--account", &account.to_string(), "--date", "2000-01-01"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no object"));

    let restored = summary(&restore(&p, &["--account", &account.to_string()]));
    assert_eq!(restored["account"], (1, 0, 1));
    assert_eq!(restored["users"], (2, 0, 2));
    assert_eq!(restored["files"], (1, 1, 0));
    assert_eq!(restored["file_versions"], (1, 1, 0));
    assert_eq!(restored["tags"], (2, 1, 1));
    assert_eq!(restored["file_tags"], (2, 2, 0));
    assert_eq!(restored["file_shares"], (1, 1, 0));
    assert_eq!(
        p.count(
            "SELECT used_bytes FROM storages WHERE account_id = $1",
            &[&account]
        )
        .await,
        used_before,
        "the used bytes count the restored version again"
    );
    let file = p
        .get(&format!("/api/v1/files/{file}"), Some(&seeded.owner.access))
        .await;
    assert_eq!(file.assert_ok(200)["tags"], json!(["alpha", "beta"]));
    p.stop().await;
}

#[tokio::test]
async fn accounts_without_a_usable_default_storage_are_problems_and_the_others_are_backed_up() {
    let p = Platform::start().await;
    let alice = p.register("alice@example.com").await;
    upload_ok(&p, &alice, "a.png", &common::files::png(500), &[]).await;
    // No upload, so no storage at all.
    let bob = p.register("bob@example.com").await;
    // A storage nobody answers for.
    let carol = p.register("carol@example.com").await;
    let mut broken = s3_configuration().await;
    broken["endpoint"] = json!("http://127.0.0.1:9");
    p.post(
        "/api/v1/storages",
        Some(&carol.access),
        json!({ "name": "gone", "provider_type": "s3", "configuration": broken }),
    )
    .await
    .assert_ok(201);

    let report = run_backup(&p).await;
    assert_eq!(report["counts"]["accounts_backed_up"], 1, "{report}");
    let problems: Vec<String> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|l| l.as_str().map(String::from))
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|l| l.contains(&bob.account_id.to_string()) && l.contains("no default storage")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|l| l.contains(&carol.account_id.to_string())),
        "{problems:?}"
    );
    assert!(
        !problems
            .iter()
            .any(|l| l.contains(broken["secret_access_key"].as_str().unwrap_or("-"))),
        "{problems:?}"
    );
    if let Some(objects) = p.local_objects(&format!("{}/", alice.account_id)) {
        assert_eq!(objects.iter().filter(|o| o.ends_with(".json")).count(), 1);
    }
    p.stop().await;
}
