//! Helpers for the file tests: bytes that sniff as a PNG, multipart bodies, uploads.

use serde_json::Value;

use super::{Platform, Session};

/// A PNG by its signature (what sniffing reads), then `len` more deterministic bytes.
pub fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..len).map(|i| (i * 7 % 251) as u8));
    bytes
}

/// A multipart body (text fields, then an optional file part with its filename and the type
/// the client claims) and its `Content-Type`.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "powernode-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, claimed, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {claimed}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs a multipart `form` to `path`; the status and the JSON answer.
pub async fn post_form(
    p: &Platform,
    who: &Session,
    path: &str,
    form: (String, Vec<u8>),
) -> (u16, Value) {
    let r = p
        .http
        .post(format!("{}{path}", p.base))
        .bearer_auth(&who.access)
        .header("content-type", form.0)
        .body(form.1)
        .send()
        .await
        .expect("the API answers");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Uploads `bytes` as `name` (with text `fields`); asserts 201 and returns the file.
pub async fn upload_ok(
    p: &Platform,
    who: &Session,
    name: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> Value {
    let form = multipart(fields, Some((name, "application/octet-stream", bytes)));
    let (status, body) = post_form(p, who, "/api/v1/files/upload", form).await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

/// Sends `bytes` as the raw body of `method path` (an absolute URL is used as it is), with a
/// bearer `token` when given and the extra `headers`.
pub async fn send_bytes(
    p: &Platform,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    bytes: Vec<u8>,
) -> super::Resp {
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{path}", p.base)
    };
    let mut req = p.http.request(method, url).body(bytes);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    super::Resp::from(req.send().await.expect("the server answers")).await
}

/// The file's processing jobs by type: `(job_type, processing job id)`.
pub async fn processing_jobs(p: &Platform, who: &Session, file: &str) -> Vec<(String, String)> {
    let r = p
        .get(
            &format!("/api/v1/files/{file}/processing_jobs"),
            Some(&who.access),
        )
        .await;
    r.assert_ok(200)
        .as_array()
        .expect("a list")
        .iter()
        .map(|j| {
            (
                j["job_type"].as_str().unwrap_or_default().to_string(),
                j["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Sends `bytes` to a direct upload's URL the way a client does: with its method and every
/// header it names (`upload` is the answer of `POST /api/v1/files/uploads`).
pub async fn send_to_upload_url(p: &Platform, upload: &Value, bytes: Vec<u8>) -> super::Resp {
    let url = upload["upload_url"].as_str().expect("upload_url");
    let method = upload["upload_method"].as_str().expect("upload_method");
    let headers: Vec<(String, String)> = upload["upload_headers"]
        .as_object()
        .expect("upload_headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    send_bytes(p, method, url, None, &headers, bytes).await
}

/// The bytes stored in `who`'s first storage (the account's default in these tests).
pub async fn used_bytes(p: &Platform, who: &Session) -> i64 {
    let r = p.get("/api/v1/storages", Some(&who.access)).await;
    r.assert_ok(200)[0]["used_bytes"]
        .as_i64()
        .expect("used_bytes")
}
