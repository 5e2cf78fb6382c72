//! The web UI is served beside the API: at `/`, and for any path the API does not route (the
//! app's own URLs survive a reload), while every API path keeps its JSON answers. Natively the
//! test serves a minimal build of its own; against workerd it reads the real build that
//! `./scripts/test` put in web/dist (the Worker's static assets).

use crate::common;

use crate::common::{Platform, Runtime, runtime};

/// A stand-in build: what `scripts/lib/web.sh` lays out, with recognisable content.
fn minimal_build() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><title>Powernode</title></head><body></body></html>",
    )
    .expect("index.html");
    std::fs::create_dir(dir.path().join("pkg-0123456789ab")).expect("pkg dir");
    std::fs::write(
        dir.path().join("pkg-0123456789ab/app.js"),
        "export default 1;",
    )
    .expect("js");
    std::fs::write(dir.path().join("theme.css"), ":root{}").expect("css");
    dir
}

#[tokio::test]
async fn the_app_is_served_at_root_and_for_its_own_paths_while_api_paths_stay_json() {
    let build = minimal_build();
    let native = runtime() == Runtime::Native;
    let platform = Platform::start_with(common::Options {
        web_dir: native.then(|| build.path().to_path_buf()),
        ..common::Options::default()
    })
    .await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", platform.base)).send();

    for path in [
        "/",
        "/files/0195c3a4-1111-7000-8000-000000000000",
        "/queues",
        "/login",
    ] {
        let r = get(path).await.expect("request");
        assert_eq!(r.status(), 200, "{path}");
        let content_type = r.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .to_string();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let body = r.text().await.expect("body");
        assert!(body.contains("<title>Powernode</title>"), "{path}: {body}");
    }

    let css = get("/theme.css").await.expect("css");
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/css")
    );

    // API paths answer as the API, whatever the UI would do with them.
    let unknown = get("/api/v1/no-such-route").await.expect("api 404");
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.expect("json envelope");
    assert_eq!(body["code"], "not_found");
    let share = get("/s/not-a-real-token").await.expect("share");
    assert_eq!(share.status(), 404);
    let body: serde_json::Value = share.json().await.expect("json envelope");
    assert_eq!(body["success"], false);
    let health = get("/health").await.expect("health");
    assert_eq!(health.status(), 200);
    assert!(health.json::<serde_json::Value>().await.is_ok());

    // Writes to the app's paths are refused. Natively the API answers them (its JSON 404); in
    // workerd the assets layer answers them itself, before the Worker, with its own 4xx.
    let post = http
        .post(format!("{}/files", platform.base))
        .send()
        .await
        .expect("post");
    assert!(post.status().is_client_error(), "{}", post.status());
    if native {
        assert!(post.json::<serde_json::Value>().await.is_ok());
    }

    if native {
        // The hashed build is cached for good; index.html is revalidated every time.
        let js = get("/pkg-0123456789ab/app.js").await.expect("js");
        assert_eq!(js.status(), 200);
        assert_eq!(
            js.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let index = get("/").await.expect("index");
        assert_eq!(index.headers()["cache-control"], "no-cache");
    }
}

#[tokio::test]
async fn without_a_build_the_host_serves_the_api_only() {
    if common::native_only("the Worker always has its assets") {
        return;
    }
    let empty = tempfile::tempdir().expect("temp dir");
    let platform = Platform::start_with(common::Options {
        web_dir: Some(empty.path().to_path_buf()),
        ..common::Options::default()
    })
    .await;
    let r = reqwest::get(format!("{}/", platform.base))
        .await
        .expect("request");
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.expect("json envelope");
    assert_eq!(body["code"], "not_found");
}
