//! Health, readiness, metrics, OpenAPI, the envelope for unknown routes, body limits, the
//! platform admin seed, and behaviour when Redis or Postgres go away.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{Options, PASSWORD, Platform};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn health_ready_and_metrics() {
    let p = Platform::start().await;
    assert_eq!(p.get("/health", None).await.assert_ok(200)["status"], "ok");
    let ready = p.get("/ready", None).await;
    let checks = ready.assert_ok(200)["checks"]
        .as_array()
        .expect("checks")
        .clone();
    assert!(checks.iter().all(|c| c["ok"] == true), "{checks:?}");
    p.get("/api/v1/auth/me", None).await;
    let metrics = p
        .http
        .get(format!("{}/metrics", p.base))
        .send()
        .await
        .expect("metrics");
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain")
    );
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains(
            r#"powernode_http_requests_total{route="/health",method="GET",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"powernode_http_requests_total{route="/api/v1/auth/me",method="GET",status="401"} 1"#
        ),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_big_bodies_use_the_envelope() {
    let p = Platform::start().await;
    p.get("/api/v1/nothing-here", None)
        .await
        .assert_error(404, "not_found");
    p.send(Method::DELETE, "/api/v1/auth/login", None, None)
        .await
        .assert_error(405, "method_not_allowed");
    let big = "x".repeat(2 * 1024 * 1024);
    let r = p
        .http
        .post(format!("{}/api/v1/auth/register", p.base))
        .header("content-type", "application/json")
        .body(format!("{{\"email\": \"{big}\"}}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 413);
    let body: serde_json::Value = r.json().await.expect("envelope");
    assert_eq!(body["code"], "payload_too_large");
    assert_eq!(p.count("SELECT count(*) FROM users", &[]).await, 0);
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let p = Platform::start().await;
    let r = p.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["openapi"], "3.1.0");
    let paths = r.body["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}", "delete"),
        ("/health", "get"),
        ("/ready", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(r.body["components"]["schemas"]["User"].is_object());
}

#[tokio::test]
async fn the_configured_platform_admin_is_seeded_once_with_admin_permissions() {
    let admin = (
        "root@example.com".to_string(),
        "admin password 1".to_string(),
    );
    let p = Platform::start_with(Options {
        redis_url: None,
        admin: Some(admin),
        ..Options::default()
    })
    .await;
    let login = p.login("root@example.com", "admin password 1").await;
    let data = login.assert_ok(200);
    let permissions = data["user"]["permissions"].as_array().expect("permissions");
    assert!(permissions.contains(&json!("admin.*")), "{permissions:?}");
    assert!(
        data["user"]["roles"]
            .as_array()
            .expect("roles")
            .contains(&json!("platform_admin"))
    );
    assert_eq!(p.count("SELECT count(*) FROM users", &[]).await, 1);
    // Nobody can grant the platform role through the API.
    let owner = p.register("owner@example.com").await;
    let r = p
        .post(
            "/api/v1/users",
            Some(&owner.access),
            json!({ "email": "x@example.com", "password": PASSWORD, "role": "platform_admin" }),
        )
        .await;
    r.assert_error(422, "validation_failed");
}

struct RedisProcess(Child, u16);

impl RedisProcess {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        Self::start_on(port)
    }

    fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (./scripts/test installs it)");
        // Owned from here on, so Drop kills and reaps it on every path, the panic included.
        let process = Self(child, port);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return process;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn redis_down_gives_503_with_retry_after_and_recovers() {
    if common::native_only(
        "starts and kills its own Redis; the Worker's Redis is fixed when workerd starts",
    ) {
        return;
    }
    let redis = RedisProcess::start();
    let url = format!("redis://127.0.0.1:{}", redis.1);
    let p = Platform::start_with(Options {
        redis_url: Some(url),
        admin: None,
        ..Options::default()
    })
    .await;
    p.register("ok@example.com").await;
    let port = redis.1;
    drop(redis);
    let ready = p.get("/ready", None).await;
    ready.assert_error(503, "unavailable");
    assert!(ready.headers.contains_key("retry-after"));
    let login = p.login("ok@example.com", PASSWORD).await;
    login.assert_error(503, "unavailable");
    assert!(
        !login.text.to_lowercase().contains("redis://"),
        "no internals in the answer: {}",
        login.text
    );
    // Postgres-only routes keep working.
    p.get("/health", None).await.assert_ok(200);
    // The scheduled health check fails (its job retries, then dies, which mails the admins).
    let check = p.maintenance("check_services").await;
    check.assert_error(503, "unavailable");
    assert!(check.text.contains("redis"), "{}", check.text);
    assert!(!check.text.contains("redis://"), "{}", check.text);

    // Redis comes back on the same address: the platform reconnects by itself.
    let _redis = RedisProcess::start_on(port);
    let mut ready = false;
    for _ in 0..40 {
        if p.get("/ready", None).await.status == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "ready again within 10 s of Redis returning");
    p.login("ok@example.com", PASSWORD).await.assert_ok(200);
    p.maintenance("check_services").await.assert_ok(200);
}

#[tokio::test]
async fn postgres_gone_gives_503_not_500() {
    if common::native_only("drops its database; the Worker has one shared Hyperdrive database") {
        return;
    }
    let p = Platform::start().await;
    let s = p.register("ok@example.com").await;
    let (admin, conn) = tokio_postgres::connect(
        &std::env::var("POWERNODE_TEST_DATABASE_URL").expect("set"),
        tokio_postgres::NoTls,
    )
    .await
    .expect("admin connection");
    tokio::spawn(conn);
    admin
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", p.database_name))
        .await
        .expect("drop");
    p.get("/ready", None).await.assert_error(503, "unavailable");
    let me = p.get("/api/v1/auth/me", Some(&s.access)).await;
    me.assert_error(503, "unavailable");
    assert!(me.headers.contains_key("retry-after"));
    p.login("ok@example.com", PASSWORD)
        .await
        .assert_error(503, "unavailable");
    let check = p.maintenance("check_services").await;
    check.assert_error(503, "unavailable");
    assert!(check.text.contains("postgres"), "{}", check.text);
}
