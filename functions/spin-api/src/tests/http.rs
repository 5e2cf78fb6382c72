use std::net::IpAddr;

use bytes::Bytes;
use http::{Method, StatusCode};
use powernode_api::http::render_error;

use crate::http::{BodyReader, api_request, spin_response};

fn h(name: &str, value: &str) -> (String, Vec<u8>) {
    (name.to_string(), value.as_bytes().to_vec())
}

#[test]
fn request_parts_map_onto_the_core_request() {
    let req = api_request(
        "POST",
        "/api/v1/auth/login?next=%2Fhome&x=1",
        vec![
            h("content-type", "application/json"),
            h("x-multi", "a"),
            h("x-multi", "b"),
            h("spin-client-addr", "203.0.113.7:51234"),
        ],
        Bytes::from_static(b"{}"),
    )
    .unwrap();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/api/v1/auth/login");
    assert_eq!(req.query.as_deref(), Some("next=%2Fhome&x=1"));
    assert_eq!(req.query_param("next").as_deref(), Some("/home"));
    assert_eq!(req.headers.get_all("x-multi").iter().count(), 2);
    assert_eq!(
        req.client_ip,
        Some("203.0.113.7".parse::<IpAddr>().unwrap())
    );
    assert_eq!(&req.body[..], b"{}");
}

#[test]
fn odd_inputs_never_fail_the_mapping() {
    let req = api_request(
        "GET",
        "",
        vec![h("bad header", "x"), ("x-bin".into(), vec![0xff, 0x00])],
        Bytes::new(),
    )
    .unwrap();
    assert_eq!(req.path, "/");
    assert_eq!(req.query, None);
    assert_eq!(req.headers.len(), 0);
    assert_eq!(req.client_ip, None);
}

#[test]
fn client_ip_accepts_bare_and_v6_addresses() {
    for (value, ip) in [
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("198.51.100.2", "198.51.100.2"),
        ("2001:db8::2", "2001:db8::2"),
    ] {
        let req =
            api_request("GET", "/", vec![h("spin-client-addr", value)], Bytes::new()).unwrap();
        assert_eq!(req.client_ip, Some(ip.parse().unwrap()), "{value}");
    }
    let req = api_request(
        "GET",
        "/",
        vec![h("spin-client-addr", "nonsense")],
        Bytes::new(),
    )
    .unwrap();
    assert_eq!(req.client_ip, None);
}

#[test]
fn an_invalid_method_is_a_400() {
    let err = api_request("GE T", "/", vec![], Bytes::new())
        .err()
        .unwrap();
    assert_eq!(render_error(&err).status(), StatusCode::BAD_REQUEST);
}

#[test]
fn the_body_reader_refuses_past_the_limit_with_413() {
    let mut body = BodyReader::new(5);
    body.push(b"abc").unwrap();
    body.push(b"de").unwrap();
    let err = body.push(b"f").err().unwrap();
    assert_eq!(render_error(&err).status(), StatusCode::PAYLOAD_TOO_LARGE);
    let mut body = BodyReader::new(5);
    body.push(b"ab").unwrap();
    body.push(b"").unwrap();
    assert_eq!(&body.finish()[..], b"ab");
}

#[test]
fn responses_keep_status_headers_and_body() {
    let resp = http::Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .header("set-cookie", "a=1")
        .header("set-cookie", "b=2")
        .body(powernode_api::ResponseBody::Full(Bytes::from_static(
            b"{\"success\":true}",
        )))
        .unwrap();
    let out = super::ready(spin_response(resp));
    assert_eq!(out.status(), StatusCode::CREATED);
    assert_eq!(out.headers().get_all("set-cookie").iter().count(), 2);
    assert_eq!(out.body(), b"{\"success\":true}");
}

#[test]
fn the_core_answers_mapped_requests_with_envelopes() {
    use std::sync::Arc;

    use powernode_api::ports::storage::NoStorage;
    use powernode_api::ports::{NoJobPush, NoJobSignal};
    use powernode_api::{Api, ApiConfig, Ports};

    use crate::platform::{InlineArgon2, WasiClock, WasiRng};
    use crate::unavailable::{NoCache, NoDb};

    let api = Api::new(
        ApiConfig::new(b"j".to_vec(), b"s".to_vec()),
        Ports {
            db: Arc::new(NoDb),
            cache: Arc::new(NoCache),
            clock: Arc::new(WasiClock),
            rng: Arc::new(WasiRng),
            passwords: Arc::new(InlineArgon2),
            job_signal: Arc::new(NoJobSignal),
            job_push: Arc::new(NoJobPush),
            storage: Arc::new(NoStorage),
            outbound: Arc::new(powernode_api::ports::outbound::NoOutbound),
            background: Arc::new(powernode_api::ports::background::Inline),
        },
    );
    let run = |method: &str, path: &str| {
        let req = api_request(method, path, vec![], Bytes::new()).unwrap();
        super::ready(spin_response(super::ready(api.handle(req))))
    };
    assert_eq!(run("GET", "/health").status(), StatusCode::OK);
    assert_eq!(run("GET", "/nope").status(), StatusCode::NOT_FOUND);
    assert_eq!(
        run("DELETE", "/health").status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        run("GET", "/ready").status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let openapi = run("GET", "/api/v1/openapi.json");
    assert_eq!(openapi.status(), StatusCode::OK);
    assert!(serde_json::from_slice::<serde_json::Value>(openapi.body()).is_ok());
}
