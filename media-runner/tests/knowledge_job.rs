//! `knowledge.extract` against a stand-in for the API's worker routes (a loopback HTTP server
//! answering as the API would): what the job sends for each way a run can end.

use std::sync::{Arc, Mutex};

use jobs::client::BackendApiClient;
use jobs::job::{Job, JobError};
use media_runner::Limits;
use media_runner::consumer::api::FileApi;
use media_runner::consumer::knowledge_job::KnowledgeExtractJob;
use media_runner::consumer::workdir::WorkRoot;
use media_runner::text::TextLimits;
use serde_json::{Value, json};
use shared::api::jobs::ClaimedJob;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use uuid::Uuid;

const DOCUMENT: Uuid = Uuid::from_u128(0xd0c);
const FILE: Uuid = Uuid::from_u128(0xf11e);

/// A request the stand-in received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: Value,
}

/// An answer: status, content type, extra headers, body.
type Answer = (u16, &'static str, Vec<(String, String)>, Vec<u8>);

/// The stand-in: `download` answers the file's content route, every other route succeeds.
struct FakeApi {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeApi {
    async fn start(download: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (method, path, body) = read_request(&mut conn).await;
                let answer = if method == "GET" {
                    download.clone()
                } else {
                    (200, "application/json", vec![], br#"{"data":{}}"#.to_vec())
                };
                log.lock().expect("log").push(Seen {
                    method,
                    path,
                    body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                });
                let (status, content_type, headers, body) = answer;
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(&body).await;
                let _ = conn.shutdown().await;
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }

    /// Everything but the download.
    fn reports(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method != "GET")
            .collect()
    }
}

/// Method, path and body of one HTTP/1.1 request (`content-length` bodies only: reqwest sends
/// JSON that way).
async fn read_request(conn: &mut tokio::net::TcpStream) -> (String, String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the request ended early");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "the body ended early");
        buf.extend_from_slice(&chunk[..n]);
    }
    (method, path, buf[head_end..head_end + length].to_vec())
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The file's content as the API serves it: its stored type and its name.
fn file(name: &str, content_type: &'static str) -> Answer {
    let disposition = format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}");
    (
        200,
        content_type,
        vec![("content-disposition".into(), disposition)],
        fixture(name),
    )
}

fn refusal(status: u16, code: &str) -> Answer {
    (
        status,
        "application/json",
        vec![],
        serde_json::to_vec(&json!({"code": code, "error": format!("{code} here")})).expect("json"),
    )
}

fn claimed(attempt: i64, max_attempts: i64, args: Value) -> ClaimedJob {
    serde_json::from_value(json!({
        "id": Uuid::from_u128(0x10b),
        "queue": "file_processing",
        "job_type": "knowledge.extract",
        "args": args,
        "attempt": attempt,
        "max_attempts": max_attempts,
        "lease_expires_at": "2099-01-01T00:00:00Z",
        "account_id": null,
    }))
    .expect("a claimed job")
}

fn args() -> Value {
    json!({"document_id": DOCUMENT, "file_id": FILE, "version": 1})
}

async fn run(api: &FakeApi, job: ClaimedJob) -> Result<Value, JobError> {
    let client =
        Arc::new(BackendApiClient::new(&api.url, b"test-secret", "media-runner").expect("client"));
    let work = std::env::temp_dir().join(format!(
        "pn-knowledge-job-{}-{}",
        std::process::id(),
        next_id()
    ));
    let root = Arc::new(WorkRoot::prepare(work.clone()).expect("work root"));
    let extractor = KnowledgeExtractJob::new(
        FileApi::new(client).expect("api"),
        root,
        Limits::default(),
        TextLimits::default(),
    );
    let outcome = extractor.execute(&job).await;
    assert_eq!(
        std::fs::read_dir(&work).map(|d| d.count()).unwrap_or(0),
        0,
        "the run's work dir is removed"
    );
    let _ = std::fs::remove_dir_all(work);
    outcome
}

/// Distinct work roots for the tests running at once.
fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn a_markdown_file_s_text_is_handed_to_the_document() {
    // The API stores Markdown as text/plain; the name says what it is.
    let api = FakeApi::start(file("knowledge.md", "text/plain")).await;
    let result = run(&api, claimed(1, 3, args())).await.expect("completed");
    assert_eq!(result["format"], "markdown");
    let seen = api.seen();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].path,
        format!("/api/v1/worker/files/{FILE}/content?version=1")
    );
    let reports = api.reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].method, "PUT");
    assert_eq!(
        reports[0].path,
        format!("/api/v1/worker/knowledge/documents/{DOCUMENT}/text")
    );
    let text = reports[0].body["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("Orchard irrigation schedule\n\n"),
        "{text}"
    );
    assert!(
        !text.contains("FRONTMATTER") && !text.contains("]("),
        "{text}"
    );
}

#[tokio::test]
async fn a_broken_pdf_fails_the_document_and_completes_the_job() {
    let api = FakeApi::start(file("broken.pdf", "application/pdf")).await;
    let result = run(&api, claimed(1, 3, args())).await.expect("completed");
    let reports = api.reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].method, "POST");
    assert_eq!(
        reports[0].path,
        format!("/api/v1/worker/knowledge/documents/{DOCUMENT}/failed")
    );
    let error = reports[0].body["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("the PDF could not be read: "), "{error}");
    assert_eq!(result["failed"], error);
}

#[tokio::test]
async fn a_scan_and_an_image_fail_with_what_is_wrong() {
    let api = FakeApi::start(file("scanned.pdf", "application/pdf")).await;
    run(&api, claimed(1, 3, args())).await.expect("completed");
    let error = api.reports()[0].body["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.starts_with("the PDF has no text layer"), "{error}");

    let mut png = file("knowledge.txt", "image/png");
    png.3 = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let api = FakeApi::start(png).await;
    run(&api, claimed(1, 3, args())).await.expect("completed");
    let error = api.reports()[0].body["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("image/png cannot be read as text"),
        "{error}"
    );
}

#[tokio::test]
async fn a_file_deleted_meanwhile_ends_the_job_quietly() {
    let api = FakeApi::start(refusal(404, "not_found")).await;
    let result = run(&api, claimed(1, 3, args())).await.expect("completed");
    assert!(result["skipped"].is_string(), "{result}");
    assert!(api.reports().is_empty(), "{:?}", api.reports());
}

#[tokio::test]
async fn an_api_outage_is_retried_and_reported_on_the_last_attempt() {
    let api = FakeApi::start(refusal(503, "unavailable")).await;
    let first = run(&api, claimed(1, 3, args())).await;
    assert!(
        matches!(&first, Err(JobError::Retry(why)) if why.contains("503")),
        "{first:?}"
    );
    assert!(
        api.reports().is_empty(),
        "not reported before the last attempt"
    );

    let last = run(&api, claimed(3, 3, args())).await;
    assert!(matches!(last, Err(JobError::Retry(_))), "{last:?}");
    let reports = api.reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].path.ends_with("/failed"));
    let error = reports[0].body["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("the text could not be read after 3 attempts: ") && error.contains("503"),
        "{error}"
    );
}

#[tokio::test]
async fn bad_arguments_abort() {
    let api = FakeApi::start(refusal(500, "unused")).await;
    let got = run(
        &api,
        claimed(
            1,
            3,
            json!({"document_id": "nope", "file_id": FILE, "version": 1}),
        ),
    )
    .await;
    assert!(matches!(got, Err(JobError::Abort(_))), "{got:?}");
    let got = run(
        &api,
        claimed(
            1,
            3,
            json!({"document_id": DOCUMENT, "file_id": FILE, "version": 0}),
        ),
    )
    .await;
    assert!(matches!(got, Err(JobError::Abort(_))), "{got:?}");
    assert!(api.seen().is_empty());
}
