//! API.md "Knowledge (pgvector)": bases, documents ingested by queue jobs (chunked, embedded
//! through the proxy by the real multilingual-e5-small server that `scripts/test` starts),
//! search by vector, full text and both, and `memory` on chat calls. File documents are read by
//! the real media runner.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::consumer::{Consumer, while_rescuing};
use crate::common::files::upload_ok;
use crate::common::media::Runner;
use crate::common::upstream::Upstream;
use crate::common::{Options, Platform, Session, native_only, runtime_runs_consumers};

fn embed_url() -> String {
    std::env::var("POWERNODE_TEST_EMBED_URL").expect(
        "POWERNODE_TEST_EMBED_URL: run through ./scripts/test, which serves the embedding model",
    )
}

pub(crate) const VOLCANOES: &str = "Volcanoes form where magma from the Earth's mantle reaches the surface. \
    Lava flows, ash clouds and volcanic gases are released during an eruption.\n\n\
    Stratovolcanoes such as Mount Fuji are steep cones built from layers of hardened lava and \
    ash. Shield volcanoes like Mauna Loa have gentle slopes made by runny basalt lava.";
pub(crate) const BREAD: &str = "Sourdough bread rises with a starter of wild yeast and lactic acid \
    bacteria instead of baker's yeast. The dough is mixed from flour, water and salt.\n\n\
    Bakers fold the dough during a long fermentation, shape the loaf, and bake it in a hot \
    oven, often inside a covered pot so the crust stays thin and crackly.";
const RUST: &str = "The Rust borrow checker makes sure references never outlive the data \
    they point to. Every value has one owner, and memory is freed when the owner goes out of \
    scope.\n\n\
    A mutable borrow is exclusive: while it lives, no other reference to the same value may \
    be used, which rules out data races at compile time.";

fn model(name: &str, kind: &str) -> Value {
    json!({"name": name, "kind": kind, "input_usd_per_mtok": 0.02, "output_usd_per_mtok": 0.0})
}

/// The real embedding server as a provider of `who`'s account.
pub(crate) async fn embedder(p: &Platform, who: &Session) -> String {
    p.post(
        "/api/v1/ai/providers",
        Some(&who.access),
        json!({"name": "e5", "kind": "openai", "base_url": embed_url(),
               "models": [model("e5-small", "embedding")]}),
    )
    .await
    .assert_ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string()
}

pub(crate) async fn new_base(p: &Platform, who: &Session, body: Value) -> String {
    p.post("/api/v1/knowledge/bases", Some(&who.access), body)
        .await
        .assert_ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// `GET path` as `who`: the answer's data (asserting 200).
async fn get_ok(p: &Platform, who: &Session, path: &str) -> Value {
    p.get(path, Some(&who.access)).await.assert_ok(200).clone()
}

/// A new account's owner, the real embedding server as its provider, and a base made with `body`.
async fn owner_with_base(p: &Platform, email: &str, body: Value) -> (Session, String) {
    let owner = p.register(email).await;
    embedder(p, &owner).await;
    let base = new_base(p, &owner, body).await;
    (owner, base)
}

pub(crate) async fn add_text(
    p: &Platform,
    who: &Session,
    base: &str,
    title: &str,
    text: &str,
) -> Value {
    p.post(
        &format!("/api/v1/knowledge/bases/{base}/documents"),
        Some(&who.access),
        json!({"title": title, "text": text}),
    )
    .await
    .assert_ok(202)
    .clone()
}

/// The document once its status is `ready` or `failed` (within `limit`).
pub(crate) async fn settled(
    p: &Platform,
    who: &Session,
    base: &str,
    doc: &str,
    limit: Duration,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let d = get_ok(
            p,
            who,
            &format!("/api/v1/knowledge/bases/{base}/documents/{doc}"),
        )
        .await;
        if d["status"] == "ready" || d["status"] == "failed" {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "document {doc} still {} after {limit:?}",
            d["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn search(p: &Platform, who: &Session, base: &str, body: Value) -> Vec<Value> {
    p.post(
        &format!("/api/v1/knowledge/bases/{base}/search"),
        Some(&who.access),
        body,
    )
    .await
    .assert_ok(200)
    .as_array()
    .expect("a list")
    .clone()
}

/// The documents `hits` come from, in order.
fn titles(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|h| h["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A platform whose consumers run the ingestion jobs.
async fn platform() -> Option<Platform> {
    let p = Platform::start_with(Options {
        consumers: true,
        ..Options::default()
    })
    .await;
    runtime_runs_consumers().then_some(p)
}

/// The account's embeddings calls in the ledger: `(calls, input tokens)`.
async fn embedding_calls(p: &Platform, who: &Session) -> (i64, i64) {
    let rows = get_ok(p, who, "/api/v1/ai/requests?per_page=100").await;
    let rows: Vec<&Value> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["endpoint"] == "embeddings" && r["status"] == "ok")
        .collect();
    let tokens = rows
        .iter()
        .map(|r| r["usage"]["input_tokens"].as_i64().unwrap_or(0))
        .sum();
    (rows.len() as i64, tokens)
}

#[tokio::test]
async fn documents_become_searchable_by_vector_text_and_hybrid() {
    let Some(p) = platform().await else { return };
    let (owner, base) = owner_with_base(&p, "kb-search@example.com", json!({"name": "notes", "embedding_model": "e5-small", "chunk_tokens": 48, "chunk_overlap": 8})).await;
    let fresh = get_ok(&p, &owner, &format!("/api/v1/knowledge/bases/{base}")).await;
    assert!(
        fresh["dimensions"].is_null(),
        "learned from the model: {fresh}"
    );
    let mut docs = Vec::new();
    for (title, text) in [("Volcanoes", VOLCANOES), ("Bread", BREAD), ("Rust", RUST)] {
        let d = add_text(&p, &owner, &base, title, text).await;
        assert!(
            d["status"] == "pending" || d["status"] == "embedding",
            "{d}"
        );
        docs.push(d["id"].as_str().expect("id").to_string());
    }
    for d in &docs {
        let done = settled(&p, &owner, &base, d, Duration::from_secs(60)).await;
        assert_eq!(done["status"], "ready", "{done}");
        assert!(done["chunk_count"].as_i64() >= Some(2), "chunked: {done}");
        assert!(
            done["content_sha256"]
                .as_str()
                .is_some_and(|h| h.len() == 64)
        );
    }
    let b = get_ok(&p, &owner, &format!("/api/v1/knowledge/bases/{base}")).await;
    assert_eq!(b["dimensions"], 384, "multilingual-e5-small: {b}");
    assert_eq!(b["document_count"], 3);

    let cases = [
        (
            "How does a baker make a loaf rise with wild yeast?",
            "Bread",
        ),
        (
            "Which mountains are built from layers of lava and ash?",
            "Volcanoes",
        ),
        (
            "What prevents two parts of a program from changing the same value at once?",
            "Rust",
        ),
    ];
    for (query, want) in cases {
        for mode in ["vector", "hybrid"] {
            let hits = search(
                &p,
                &owner,
                &base,
                json!({"query": query, "mode": mode, "top_k": 3}),
            )
            .await;
            assert_eq!(hits.len(), 3, "{mode} {query}: {hits:?}");
            assert_eq!(
                titles(&hits)[0],
                want,
                "{mode} {query}: {:?}",
                titles(&hits)
            );
            let scores: Vec<f64> = hits
                .iter()
                .map(|h| h["score"].as_f64().expect("score"))
                .collect();
            assert!(
                scores.windows(2).all(|w| w[0] >= w[1]),
                "best first: {scores:?}"
            );
            assert!(hits[0]["text"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(hits[0]["chunk_id"].is_string() && hits[0]["document_id"].is_string());
        }
    }
    // Full text stems and matches words: "eruptions" finds "eruption".
    let hits = search(
        &p,
        &owner,
        &base,
        json!({"query": "eruptions of basalt", "mode": "text"}),
    )
    .await;
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h["title"] == "Volcanoes"),
        "{:?}",
        titles(&hits)
    );
    let none = search(
        &p,
        &owner,
        &base,
        json!({"query": "quantum chromodynamics", "mode": "text"}),
    )
    .await;
    assert!(none.is_empty(), "{none:?}");
    // Text that is all stop words, or full of tsquery's operators, is just words.
    for query in [
        "the and of",
        "AT&T's 'lava' | (ash) ! <-> :*",
        "ünïcödé 知识 🌋",
    ] {
        for mode in ["text", "hybrid", "vector"] {
            let r = p
                .post(
                    &format!("/api/v1/knowledge/bases/{base}/search"),
                    Some(&owner.access),
                    json!({"query": query, "mode": mode}),
                )
                .await;
            r.assert_ok(200);
        }
    }
    // The default is hybrid with five results.
    let default = search(&p, &owner, &base, json!({"query": "sourdough starter"})).await;
    assert_eq!(titles(&default)[0], "Bread");
    assert!(default.len() <= 5);
    // Each search embedded its query through the proxy, so the ledger booked it.
    let (calls, tokens) = embedding_calls(&p, &owner).await;
    assert!(calls >= 3 + 7, "{calls} embeddings calls");
    assert!(tokens > 0);
    p.stop().await;
}

#[tokio::test]
async fn adding_again_changes_nothing_and_a_change_embeds_only_the_changed_chunk() {
    let Some(p) = platform().await else { return };
    let (owner, base) = owner_with_base(&p, "kb-idem@example.com", json!({"name": "kb", "embedding_model": "e5-small", "chunk_tokens": 64, "chunk_overlap": 0})).await;
    let paragraphs = [VOLCANOES, BREAD, RUST]
        .iter()
        .flat_map(|t| t.split("\n\n"))
        .collect::<Vec<_>>();
    let text = paragraphs.join("\n\n");
    let first = add_text(&p, &owner, &base, "guide", &text).await;
    let id = first["id"].as_str().expect("id").to_string();
    let done = settled(&p, &owner, &base, &id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "ready", "{done}");
    let chunks = done["chunk_count"].as_i64().expect("count");
    assert!(chunks >= 4, "paragraph-sized chunks: {done}");
    let (calls_before, tokens_before) = embedding_calls(&p, &owner).await;
    assert_eq!(calls_before, 1, "one batch");

    // The same content again: the same document, still ready, no job, no embedding.
    let again = add_text(&p, &owner, &base, "guide", &text).await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["status"], "ready");
    assert_eq!(again["updated_at"], done["updated_at"]);
    let same_under_other_title = add_text(&p, &owner, &base, "copy", &text).await;
    assert_eq!(
        same_under_other_title["id"],
        id.as_str(),
        "content already held"
    );

    // One paragraph changed: only its chunk is embedded again.
    let mut changed = paragraphs.clone();
    changed[3] = "Bakers shape the loaf after a long, cold fermentation and bake it in a \
                  preheated cast-iron pot.";
    let changed = changed.join("\n\n");
    let replaced = add_text(&p, &owner, &base, "guide", &changed).await;
    assert_eq!(replaced["id"], id.as_str(), "known by its title");
    let done = settled(&p, &owner, &base, &id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "ready", "{done}");
    // The shorter paragraph may share a chunk with its neighbour now.
    assert!(
        (chunks - 1..=chunks).contains(&done["chunk_count"].as_i64().unwrap_or(0)),
        "{done}"
    );
    assert_ne!(done["content_sha256"], first["content_sha256"]);
    let (calls_after, tokens_after) = embedding_calls(&p, &owner).await;
    assert_eq!(calls_after, calls_before + 1);
    assert!(
        tokens_after - tokens_before < tokens_before / 3,
        "only the changed chunk: {} tokens then {}",
        tokens_before,
        tokens_after - tokens_before
    );
    let hits = search(
        &p,
        &owner,
        &base,
        json!({"query": "cast-iron pot", "mode": "text"}),
    )
    .await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    let stale = search(
        &p,
        &owner,
        &base,
        json!({"query": "covered pot crackly crust", "mode": "text"}),
    )
    .await;
    assert!(
        stale
            .iter()
            .all(|h| !h["text"].as_str().unwrap_or_default().contains("crackly")),
        "the replaced paragraph is gone: {stale:?}"
    );
    p.stop().await;
}

#[tokio::test]
async fn deletes_cascade_and_other_accounts_get_404() {
    let Some(p) = platform().await else { return };
    let owner = p.register("kb-del@example.com").await;
    let other = p.register("kb-other@example.com").await;
    embedder(&p, &owner).await;
    embedder(&p, &other).await;
    let base = new_base(
        &p,
        &owner,
        json!({"name": "kb", "embedding_model": "e5-small"}),
    )
    .await;
    let a = add_text(&p, &owner, &base, "Bread", BREAD).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let b = add_text(&p, &owner, &base, "Rust", RUST).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    for d in [&a, &b] {
        assert_eq!(
            settled(&p, &owner, &base, d, Duration::from_secs(60)).await["status"],
            "ready"
        );
    }

    // Another account sees none of it, and changes none of it.
    let doc_path = format!("/api/v1/knowledge/bases/{base}/documents/{a}");
    for (method, path, body) in [
        ("GET", format!("/api/v1/knowledge/bases/{base}"), None),
        ("DELETE", format!("/api/v1/knowledge/bases/{base}"), None),
        (
            "GET",
            format!("/api/v1/knowledge/bases/{base}/documents"),
            None,
        ),
        ("GET", doc_path.clone(), None),
        ("DELETE", doc_path.clone(), None),
        (
            "POST",
            format!("/api/v1/knowledge/bases/{base}/documents"),
            Some(json!({"title": "x", "text": "y"})),
        ),
        (
            "POST",
            format!("/api/v1/knowledge/bases/{base}/search"),
            Some(json!({"query": "bread"})),
        ),
    ] {
        let r = p
            .send(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                &path,
                Some(&other.access),
                body,
            )
            .await;
        r.assert_error(404, "not_found");
    }
    let theirs = get_ok(&p, &other, "/api/v1/knowledge/bases").await;
    assert_eq!(theirs, json!([]));
    // Memory from another account's base is not found either.
    let r = p
        .post(
            "/api/v1/ai/chat",
            Some(&other.access),
            json!({"model": "e5-small", "messages": [{"role": "user", "content": "bread?"}],
                   "memory": {"knowledge_base_id": base}}),
        )
        .await;
    assert_eq!(r.status, 404, "{:?}", r.body);

    // Deleting a document takes its chunks; deleting the base takes the rest.
    let deleted = p
        .send(
            reqwest::Method::DELETE,
            &doc_path,
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(deleted.assert_ok(200)["id"], a.as_str());
    p.get(&doc_path, Some(&owner.access))
        .await
        .assert_error(404, "not_found");
    let hits = search(
        &p,
        &owner,
        &base,
        json!({"query": "sourdough bread", "top_k": 50}),
    )
    .await;
    assert!(
        hits.iter().all(|h| h["document_id"] != a.as_str()),
        "{hits:?}"
    );
    let left = get_ok(&p, &owner, &format!("/api/v1/knowledge/bases/{base}")).await;
    assert_eq!(left["document_count"], 1);
    let chunks_of_b = left["chunk_count"].as_i64().expect("count");
    assert!(chunks_of_b >= 1);
    let gone = p
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/knowledge/bases/{base}"),
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(gone.assert_ok(200)["chunk_count"], chunks_of_b);
    p.get(
        &format!("/api/v1/knowledge/bases/{base}"),
        Some(&owner.access),
    )
    .await
    .assert_error(404, "not_found");
    let base_id: uuid::Uuid = base.parse().expect("uuid");
    assert_eq!(
        p.count(
            "SELECT count(*) FROM knowledge_chunks WHERE knowledge_base_id = $1",
            &[&base_id]
        )
        .await,
        0
    );
    p.stop().await;
}

#[tokio::test]
async fn bad_bodies_get_4xx_and_change_nothing() {
    let p = Platform::start().await;
    let owner = p.register("kb-bad@example.com").await;
    embedder(&p, &owner).await;
    let bases = "/api/v1/knowledge/bases";
    for (body, field) in [
        (json!({"embedding_model": "e5-small"}), "name"),
        (json!({"name": "x"}), "embedding_model"),
        (
            json!({"name": "x", "embedding_model": "no-such-model"}),
            "embedding_model",
        ),
        (
            json!({"name": "x", "embedding_model": "e5-small", "chunk_tokens": 8}),
            "chunk_tokens",
        ),
        (
            json!({"name": "x", "embedding_model": "e5-small", "chunk_tokens": 100, "chunk_overlap": 100}),
            "chunk_overlap",
        ),
        (json!({"name": "", "embedding_model": "e5-small"}), "name"),
    ] {
        let r = p.post(bases, Some(&owner.access), body.clone()).await;
        r.assert_error(422, "validation_failed");
        assert!(
            r.detail_fields().contains(&field.to_string()),
            "{body}: {:?}",
            r.body
        );
    }
    let base = new_base(
        &p,
        &owner,
        json!({"name": "kb", "embedding_model": "e5-small"}),
    )
    .await;
    p.post(
        bases,
        Some(&owner.access),
        json!({"name": "kb", "embedding_model": "e5-small"}),
    )
    .await
    .assert_error(409, "conflict");
    let docs = format!("{bases}/{base}/documents");
    for (body, field) in [
        (json!({"title": "t"}), "text"),
        (json!({"text": "words"}), "title"),
        (json!({"title": "t", "text": "   "}), "text"),
        (
            json!({"title": "t", "text": "x", "file_id": uuid::Uuid::new_v4()}),
            "file_id",
        ),
        (json!({"title": "", "text": "x"}), "title"),
    ] {
        let r = p.post(&docs, Some(&owner.access), body.clone()).await;
        r.assert_error(422, "validation_failed");
        assert!(
            r.detail_fields().contains(&field.to_string()),
            "{body}: {:?}",
            r.body
        );
    }
    // NUL is refused where the body is read, for every text field.
    p.post(
        &docs,
        Some(&owner.access),
        json!({"title": "t", "text": "a\u{0}b"}),
    )
    .await
    .assert_error(400, "bad_request");
    // A file that is not the account's.
    p.post(
        &docs,
        Some(&owner.access),
        json!({"file_id": uuid::Uuid::new_v4()}),
    )
    .await
    .assert_error(404, "not_found");
    let search_path = format!("{bases}/{base}/search");
    for (body, field) in [
        (json!({}), "query"),
        (json!({"query": ""}), "query"),
        (json!({"query": "x", "top_k": 0}), "top_k"),
        (json!({"query": "x", "top_k": 51}), "top_k"),
        (json!({"query": "x", "mode": "fuzzy"}), "mode"),
    ] {
        let r = p
            .post(&search_path, Some(&owner.access), body.clone())
            .await;
        r.assert_error(422, "validation_failed");
        assert!(
            r.detail_fields().contains(&field.to_string()),
            "{body}: {:?}",
            r.body
        );
    }
    let broken = p
        .http
        .post(format!("{}{search_path}", p.base))
        .bearer_auth(&owner.access)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(broken.status().as_u16(), 400);
    let r = p
        .post(
            "/api/v1/ai/chat",
            Some(&owner.access),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                   "memory": {"knowledge_base_id": base, "top_k": 99}}),
        )
        .await;
    r.assert_error(422, "validation_failed");
    assert!(
        r.detail_fields().contains(&"memory.top_k".to_string()),
        "{:?}",
        r.body
    );
    // Nothing was stored by any of it.
    let listed = get_ok(&p, &owner, &docs).await;
    assert_eq!(listed, json!([]));
    // A viewer reads but does not write or search.
    let viewer = p.add_user(&owner, "kb-viewer@example.com", "viewer").await;
    p.get(bases, Some(&viewer.access)).await.assert_ok(200);
    p.post(
        &docs,
        Some(&viewer.access),
        json!({"title": "t", "text": "x"}),
    )
    .await
    .assert_error(403, "forbidden");
    p.post(&search_path, Some(&viewer.access), json!({"query": "x"}))
        .await
        .assert_error(403, "forbidden");
    p.stop().await;
}

#[tokio::test]
async fn memory_adds_the_best_chunks_to_the_system_message_and_names_them() {
    let Some(p) = platform().await else { return };
    let owner = p.register("kb-memory@example.com").await;
    embedder(&p, &owner).await;
    let upstream = Upstream::start().await;
    p.post(
        "/api/v1/ai/providers",
        Some(&owner.access),
        json!({"name": "scripted", "kind": "openai", "base_url": upstream.base,
               "models": [model("scripted", "chat")]}),
    )
    .await
    .assert_ok(201);
    let base = new_base(
        &p,
        &owner,
        json!({"name": "kb", "embedding_model": "e5-small"}),
    )
    .await;
    let mut ids = Vec::new();
    for (title, text) in [("Volcanoes", VOLCANOES), ("Bread", BREAD), ("Rust", RUST)] {
        let d = add_text(&p, &owner, &base, title, text).await;
        ids.push(d["id"].as_str().expect("id").to_string());
    }
    for d in &ids {
        assert_eq!(
            settled(&p, &owner, &base, d, Duration::from_secs(60)).await["status"],
            "ready"
        );
    }
    let answer = p
        .post(
            "/api/v1/ai/chat",
            Some(&owner.access),
            json!({"model": "scripted",
                   "messages": [{"role": "system", "content": "You are terse."},
                                {"role": "user", "content": "How is sourdough bread made?"}],
                   "memory": {"knowledge_base_id": base, "top_k": 2, "max_tokens": 400}}),
        )
        .await
        .assert_ok(200)
        .clone();
    let memory = answer["memory"].as_array().expect("memory named").clone();
    assert!(!memory.is_empty() && memory.len() <= 2, "{answer}");
    assert_eq!(
        memory[0]["document_id"],
        ids[1].as_str(),
        "the bread document first"
    );
    // What the provider was sent: the system message with the chunk's text in it.
    let sent = upstream
        .script
        .last
        .lock()
        .expect("lock")
        .clone()
        .expect("a request")
        .1;
    let system = sent["messages"][0]["content"]
        .as_str()
        .expect("system text");
    assert!(system.starts_with("You are terse."), "{system}");
    assert!(
        system.contains("Sourdough") || system.contains("dough"),
        "{system}"
    );
    assert_eq!(sent["messages"].as_array().map(Vec::len), Some(2), "{sent}");
    // The ledger row of the call names the chunks.
    let deadline = Instant::now() + Duration::from_secs(5);
    let row = loop {
        let rows = get_ok(&p, &owner, "/api/v1/ai/requests?model=scripted").await;
        if let Some(r) = rows.as_array().and_then(|r| r.first()) {
            break r.clone();
        }
        assert!(Instant::now() < deadline, "no ledger row");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row["memory_chunks"], memory.len());
    let named: Vec<&Value> = memory.iter().map(|m| &m["chunk_id"]).collect();
    let listed: Vec<&Value> = row["memory_chunk_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .collect();
    assert_eq!(listed, named);
    // A budget of a few tokens fits no excerpt: the call goes on without memory.
    let tight = p
        .post(
            "/api/v1/ai/chat",
            Some(&owner.access),
            json!({"model": "scripted",
                   "messages": [{"role": "user", "content": "How is sourdough bread made?"}],
                   "memory": {"knowledge_base_id": base, "max_tokens": 5}}),
        )
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(tight["memory"], json!([]));
    p.stop().await;
}

#[tokio::test]
async fn an_embedding_model_no_provider_offers_any_more_fails_the_document_clearly() {
    let Some(p) = platform().await else { return };
    let owner = p.register("kb-fail@example.com").await;
    let provider = embedder(&p, &owner).await;
    let base = new_base(
        &p,
        &owner,
        json!({"name": "kb", "embedding_model": "e5-small"}),
    )
    .await;
    p.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/ai/providers/{provider}"),
        Some(&owner.access),
        None,
    )
    .await
    .assert_ok(200);
    let d = add_text(&p, &owner, &base, "Bread", BREAD).await;
    let id = d["id"].as_str().expect("id");
    let done = settled(&p, &owner, &base, id, Duration::from_secs(60)).await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error"].as_str().unwrap_or_default();
    assert!(error.contains("e5-small"), "names the model: {error}");
    let hits = search(&p, &owner, &base, json!({"query": "bread", "mode": "text"})).await;
    assert!(
        hits.is_empty(),
        "a failed document is not half searchable: {hits:?}"
    );
    p.stop().await;
}

#[tokio::test]
async fn pdf_html_and_markdown_files_become_searchable_and_a_broken_pdf_fails() {
    let p = Platform::start_with(Options {
        consumers: true,
        ..Options::default()
    })
    .await;
    if !runtime_runs_consumers() {
        return;
    }
    let owner = p.register("kb-files@example.com").await;
    embedder(&p, &owner).await;
    let runner = Runner::start(&p, 30);
    let base = new_base(
        &p,
        &owner,
        json!({"name": "kb", "embedding_model": "e5-small"}),
    )
    .await;
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../media-runner/tests/fixtures"
    );
    let read = |name: &str| {
        std::fs::read(format!("{fixtures}/{name}"))
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    };
    let mut docs = Vec::new();
    for name in [
        "knowledge.pdf",
        "knowledge.html",
        "knowledge.md",
        "broken.pdf",
    ] {
        let file = upload_ok(&p, &owner, name, &read(name), &[]).await;
        let d = p
            .post(
                &format!("/api/v1/knowledge/bases/{base}/documents"),
                Some(&owner.access),
                json!({"file_id": file["id"]}),
            )
            .await
            .assert_ok(202)
            .clone();
        assert_eq!(d["source"], "file");
        assert_eq!(d["title"], name, "the file's name by default");
        docs.push((
            name,
            file["id"].clone(),
            d["id"].as_str().expect("id").to_string(),
        ));
    }
    for (name, _, id) in &docs {
        let done = settled(&p, &owner, &base, id, Duration::from_secs(90)).await;
        if *name == "broken.pdf" {
            assert_eq!(done["status"], "failed", "{done}\n{}", runner.log_text());
            assert!(
                done["error"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
                    .contains("pdf"),
                "{done}"
            );
        } else {
            assert_eq!(
                done["status"],
                "ready",
                "{name}: {done}\n{}",
                runner.log_text()
            );
        }
    }
    for (query, want) in [
        ("quarterly harbour inspection report", "knowledge.pdf"),
        ("lighthouse keeper logbook", "knowledge.html"),
        ("orchard irrigation schedule", "knowledge.md"),
    ] {
        let hits = search(&p, &owner, &base, json!({"query": query, "mode": "text"})).await;
        assert_eq!(
            titles(&hits).first().map(String::as_str),
            Some(want),
            "{query}: {hits:?}"
        );
        assert!(
            hits.iter()
                .all(|h| !h["text"].as_str().unwrap_or_default().contains('<')),
            "no markup: {hits:?}"
        );
    }
    // The same file again: read again, found unchanged, ready with nothing re-embedded.
    let (calls, _) = embedding_calls(&p, &owner).await;
    let (_, pdf_file, pdf_doc) = &docs[0];
    let again = p
        .post(
            &format!("/api/v1/knowledge/bases/{base}/documents"),
            Some(&owner.access),
            json!({"file_id": pdf_file}),
        )
        .await
        .assert_ok(202)
        .clone();
    assert_eq!(again["id"], pdf_doc.as_str());
    assert_eq!(
        settled(&p, &owner, &base, pdf_doc, Duration::from_secs(60)).await["status"],
        "ready"
    );
    assert_eq!(
        embedding_calls(&p, &owner).await.0,
        calls,
        "no new embedding"
    );
    drop(runner);
    p.stop().await;
}

#[tokio::test]
async fn a_consumer_killed_mid_ingestion_still_ends_ready_with_each_chunk_once() {
    if native_only("it kills a consumer process of its own") {
        return;
    }
    let p = Platform::start().await;
    let (owner, base) = owner_with_base(&p, "kb-kill@example.com", json!({"name": "kb", "embedding_model": "e5-small", "chunk_tokens": 40, "chunk_overlap": 0})).await;
    // Many chunks, so the job is many embeddings batches long.
    let text = (0..400)
        .map(|i| {
            format!(
                "Paragraph {i}: {}",
                [VOLCANOES, BREAD, RUST][i % 3]
                    .split("\n\n")
                    .next()
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let doc = add_text(&p, &owner, &base, "long", &text).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let doc_id: uuid::Uuid = doc.parse().expect("uuid");
    let embedded = || async {
        p.count(
            "SELECT count(*) FROM knowledge_chunks WHERE document_id = $1 AND embedding IS NOT NULL",
            &[&doc_id],
        )
        .await
    };
    let mut first = Consumer::start(&p, "default", 1, 5);
    let deadline = Instant::now() + Duration::from_secs(60);
    while embedded().await == 0 {
        assert!(
            Instant::now() < deadline,
            "the first consumer never embedded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_9();
    let total = p
        .count(
            "SELECT count(*) FROM knowledge_chunks WHERE document_id = $1",
            &[&doc_id],
        )
        .await;
    let before = embedded().await;
    assert!(
        before < total,
        "killed mid-ingestion: {before} of {total} embedded"
    );

    let _second = Consumer::start(&p, "default", 1, 5);
    let done = while_rescuing(
        &p,
        settled(&p, &owner, &base, &doc, Duration::from_secs(120)),
    )
    .await;
    assert_eq!(done["status"], "ready", "{done}");
    // Each chunk once, each embedded, at positions 0..n.
    assert_eq!(done["chunk_count"].as_i64(), Some(total));
    assert_eq!(embedded().await, total);
    assert_eq!(
        p.count(
            "SELECT count(DISTINCT position) FROM knowledge_chunks WHERE document_id = $1 AND position < $2",
            &[&doc_id, &(total as i32)],
        )
        .await,
        total
    );
    // The second run embedded only what was missing: at most the batch in flight at the kill
    // was embedded twice.
    let (calls, _) = embedding_calls(&p, &owner).await;
    let batches = (total + 31) / 32;
    assert!(calls <= batches + 1, "{calls} calls for {batches} batches");
    p.stop().await;
}
