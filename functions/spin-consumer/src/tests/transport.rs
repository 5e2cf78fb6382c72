use jobs::client::ClientError;
use spin_sdk::http::{Method, Response, SendError};

use crate::transport::{reply, request, request_with, send_error};

#[test]
fn the_request_is_an_authenticated_json_post_of_the_body() {
    let r = request(
        "http://api.test/api/v1/worker/queue/complete",
        "tok.en",
        b"{\"a\":1}".to_vec(),
    );
    assert_eq!(*r.method(), Method::Post);
    assert_eq!(r.uri(), "http://api.test/api/v1/worker/queue/complete");
    let header = |name: &str| r.header(name).and_then(|v| v.as_str()).map(str::to_string);
    assert_eq!(header("authorization").as_deref(), Some("Bearer tok.en"));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(header("content-length").as_deref(), Some("7"));
    assert_eq!(r.body(), b"{\"a\":1}");
}

#[test]
fn every_status_is_a_reply_with_its_body() {
    for status in [200u16, 404, 503] {
        let response = Response::builder()
            .status(status)
            .body(format!("body {status}"))
            .build();
        let got = reply(response);
        assert_eq!(got.status, status);
        assert_eq!(got.body, format!("body {status}").into_bytes());
    }
}

#[test]
fn other_methods_carry_the_token_and_a_body_only_when_given() {
    let patch = request_with(
        "PATCH",
        "http://api.test/api/v1/worker/webhooks/events/e",
        "tok.en",
        Some(b"{\"state\":\"processed\"}".to_vec()),
    )
    .expect("PATCH is supported");
    assert_eq!(*patch.method(), Method::Patch);
    let header = |r: &spin_sdk::http::Request, name: &str| {
        r.header(name).and_then(|v| v.as_str()).map(str::to_string)
    };
    assert_eq!(
        header(&patch, "authorization").as_deref(),
        Some("Bearer tok.en")
    );
    assert_eq!(header(&patch, "content-length").as_deref(), Some("21"));
    let get = request_with("GET", "http://api.test/x", "tok.en", None).expect("GET is supported");
    assert_eq!(*get.method(), Method::Get);
    assert!(get.body().is_empty());
    assert_eq!(header(&get, "content-type"), None);
    assert!(matches!(
        request_with("TRACE", "http://api.test/x", "t", None),
        Err(ClientError::Decode(_))
    ));
}

#[test]
fn no_answer_is_a_retryable_transport_error_and_a_bad_request_is_not() {
    let refused = send_error(SendError::Http(
        spin_sdk::http::ErrorCode::ConnectionRefused,
    ));
    assert!(matches!(refused, ClientError::Transport(_)), "{refused:?}");
    assert!(refused.is_api_error(), "retried like an API outage");
    let bad = send_error(SendError::RequestConversion("bad uri".into()));
    assert!(matches!(bad, ClientError::Decode(_)), "{bad:?}");
    assert!(!bad.is_api_error(), "retrying cannot fix it");
}
