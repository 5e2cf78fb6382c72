//! The API's worker routes, as the runner calls them (service token only): download a file
//! version's bytes to a file, upload a derivative, merge metadata, report on a processing job
//! (docs/api.md, "Worker file routes"); hand a knowledge document its file's text or its
//! failure (`/api/v1/worker/knowledge/documents/...`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use jobs::client::{BackendApiClient, ClientError};
use serde_json::{Value, json};
use shared::api::knowledge::{DocumentFailedRequest, DocumentTextRequest};
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

/// Why a call to the API failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiCallError {
    /// The API answered with an error envelope.
    #[error("the API answered {status} {code}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The envelope's `code`.
        code: String,
        /// The envelope's `error`.
        message: String,
    },
    /// No answer (connection, timeout) or an unreadable one.
    #[error("the API could not be reached: {0}")]
    Transport(String),
    /// The download is larger than the runner accepts.
    #[error("the file is over the runner's limit of {0} bytes")]
    TooLarge(u64),
    /// Writing the download to the work directory failed.
    #[error("the download could not be written: {0}")]
    Disk(#[from] std::io::Error),
}

impl ApiCallError {
    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for ApiCallError {
    fn from(e: reqwest::Error) -> Self {
        Self::Transport(e.to_string())
    }
}

impl From<ClientError> for ApiCallError {
    fn from(e: ClientError) -> Self {
        Self::Transport(e.to_string())
    }
}

/// What a download wrote.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// Bytes written.
    pub size: u64,
    /// The type the API stored for the version (sniffed at upload).
    pub content_type: String,
    /// The file's name, from `Content-Disposition`.
    pub file_name: Option<String>,
}

/// The worker file routes of one API.
#[derive(Clone)]
pub struct FileApi {
    client: Arc<BackendApiClient>,
    http: reqwest::Client,
}

impl FileApi {
    /// Calls through `client`'s base URL and service token.
    pub fn new(client: Arc<BackendApiClient>) -> Result<Self, ApiCallError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Per read, not per transfer: a large file may take long, a stalled one may not.
            .read_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { client, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.base_url())
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiCallError> {
        let resp = req.bearer_auth(self.client.bearer_token()?).send().await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Err(ApiCallError::Refused {
            status,
            code: body["code"].as_str().unwrap_or("unknown").to_string(),
            message: body["error"].as_str().unwrap_or_default().to_string(),
        })
    }

    async fn data(&self, req: reqwest::RequestBuilder) -> Result<Value, ApiCallError> {
        let body: Value = self.send(req).await?.json().await?;
        Ok(body["data"].clone())
    }

    /// Streams version `version` of `file` into `dest`, refusing more than `max_bytes`.
    pub async fn download(
        &self,
        file: Uuid,
        version: i64,
        dest: &Path,
        max_bytes: u64,
    ) -> Result<Downloaded, ApiCallError> {
        let req = self.http.get(self.url(&format!(
            "/api/v1/worker/files/{file}/content?version={version}"
        )));
        let resp = self.send(req).await?;
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(ApiCallError::TooLarge(max_bytes));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_string();
        let file_name = resp
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(disposition_file_name);
        let mut out = tokio::fs::File::create(dest).await?;
        let mut size = 0u64;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(ApiCallError::TooLarge(max_bytes));
            }
            out.write_all(&chunk).await?;
        }
        out.flush().await?;
        Ok(Downloaded {
            size,
            content_type,
            file_name,
        })
    }

    /// Uploads a thumbnail (`Some(box)`) or the poster (`None`) of version `version`.
    pub async fn put_derivative(
        &self,
        file: Uuid,
        version: i64,
        thumbnail_box: Option<u32>,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), ApiCallError> {
        let path = match thumbnail_box {
            Some(b) => format!("/api/v1/worker/files/{file}/versions/{version}/thumbnails/{b}"),
            None => format!("/api/v1/worker/files/{file}/versions/{version}/poster"),
        };
        let req = self
            .http
            .put(self.url(&path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .timeout(Duration::from_secs(60))
            .body(bytes);
        self.send(req).await.map(drop)
    }

    /// Merges `metadata` (an object) into the file's.
    pub async fn merge_metadata(&self, file: Uuid, metadata: Value) -> Result<(), ApiCallError> {
        let req = self
            .http
            .post(self.url(&format!("/api/v1/worker/files/{file}/metadata")))
            .timeout(Duration::from_secs(30))
            .json(&json!({ "metadata": metadata }));
        self.data(req).await.map(drop)
    }

    /// Reports on processing job `job` of `file`: `processing`, `completed` or `failed`.
    pub async fn report(
        &self,
        file: Uuid,
        job: Uuid,
        status: &str,
        result_data: Option<Value>,
        error: Option<&str>,
    ) -> Result<(), ApiCallError> {
        let req = self
            .http
            .patch(self.url(&format!(
                "/api/v1/worker/files/{file}/processing_jobs/{job}"
            )))
            .timeout(Duration::from_secs(30))
            .json(&json!({ "status": status, "result_data": result_data, "error": error }));
        self.data(req).await.map(drop)
    }

    /// Hands knowledge document `document` the text read from its file.
    pub async fn put_document_text(
        &self,
        document: Uuid,
        text: String,
    ) -> Result<(), ApiCallError> {
        let req = self
            .http
            .put(self.url(&format!(
                "/api/v1/worker/knowledge/documents/{document}/text"
            )))
            .timeout(Duration::from_secs(60))
            .json(&DocumentTextRequest { text: Some(text) });
        self.data(req).await.map(drop)
    }

    /// Marks knowledge document `document` failed, with the reason people will read.
    pub async fn fail_document(&self, document: Uuid, error: &str) -> Result<(), ApiCallError> {
        let req = self
            .http
            .post(self.url(&format!(
                "/api/v1/worker/knowledge/documents/{document}/failed"
            )))
            .timeout(Duration::from_secs(30))
            .json(&DocumentFailedRequest {
                error: Some(error.to_owned()),
            });
        self.data(req).await.map(drop)
    }
}

/// The file name of a `Content-Disposition` header: `filename*` (RFC 5987, UTF-8), else the
/// plain `filename` (the API's ASCII fallback, which keeps the extension).
fn disposition_file_name(header: &str) -> Option<String> {
    let mut plain = None;
    for part in header.split(';') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = value
                    .get(..7)
                    .filter(|p| p.eq_ignore_ascii_case("UTF-8''"))
                    .and_then(|_| value.get(7..));
                if let Some(name) = encoded.and_then(percent_decode) {
                    return Some(name);
                }
            }
            "filename" => plain = Some(value.trim_matches('"').to_owned()),
            _ => {}
        }
    }
    plain.filter(|n| !n.is_empty())
}

fn percent_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = tail.get(2..)?;
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_content_disposition() {
        assert_eq!(
            disposition_file_name(
                "attachment; filename=\"_t_ a;b.md\"; filename*=UTF-8''%C3%A9t%C3%A9%20a%3Bb.md"
            )
            .as_deref(),
            Some("été a;b.md")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=\"notes.txt\"").as_deref(),
            Some("notes.txt")
        );
        assert_eq!(
            disposition_file_name("attachment; filename*=UTF-8''%ZZ; filename=\"x.html\"")
                .as_deref(),
            Some("x.html")
        );
        assert_eq!(disposition_file_name("inline"), None);
    }
}
