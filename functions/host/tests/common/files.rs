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
