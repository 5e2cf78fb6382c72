//! API.md "Agents and runs": agents, and runs executed as `ai.agent_run` jobs by the
//! runtime's consumers (natively the host's, in workerd the consumer Worker), which reach the
//! model, the tools and the run's record only through the API. Tool calls come from the
//! scripted upstream in OpenAI's and Anthropic's wire formats; a run without tools is answered
//! by the real small model; knowledge is embedded by the real embedding server.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ai::{add_provider, events, model, real_providers};
use crate::common::consumer::{Consumer, while_rescuing};
use crate::common::files::upload_ok;
use crate::common::upstream::Upstream;
use crate::common::{self, Options, Platform, Session, native_only};
use crate::knowledge::{BREAD, VOLCANOES, add_text, embedder, new_base, settled};

const ADMIN: (&str, &str) = ("agents-root@example.com", "admin password 1");

/// A platform whose consumers run agent jobs (and knowledge ingestion), with a platform admin.
async fn platform() -> Option<(Platform, Session)> {
    if !common::runtime_runs_consumers() {
        return None;
    }
    let p = Platform::start_with(Options {
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        // Natively: the host's consumers. An external runtime brings its own.
        consumers: common::runtime() == common::Runtime::Native,
        ..Options::default()
    })
    .await;
    let admin = Session::from_auth(p.login(ADMIN.0, ADMIN.1).await.assert_ok(200));
    Some((p, admin))
}

/// The scripted upstream as a provider of `who`'s account, in `kind`'s wire format, offering
/// the agent scripts.
async fn scripted(p: &Platform, who: &Session, up: &Upstream, kind: &str) -> String {
    add_provider(
        p,
        who,
        json!({"name": format!("scripted-{kind}"), "kind": kind, "base_url": up.base,
               "models": [model("agent", "chat"), model("agent-slow", "chat"),
                          model("agent-loop", "chat")]}),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn new_agent(p: &Platform, who: &Session, body: Value) -> String {
    p.post("/api/v1/ai/agents", Some(&who.access), body)
        .await
        .assert_ok(201)["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn start_run(p: &Platform, who: &Session, agent: &str, input: &str) -> Value {
    let run = p
        .post(
            &format!("/api/v1/ai/agents/{agent}/runs"),
            Some(&who.access),
            json!({ "input": input }),
        )
        .await
        .assert_ok(202)
        .clone();
    assert_eq!(run["status"], "queued", "{run}");
    run
}

async fn run_of(p: &Platform, who: &Session, id: &str) -> Value {
    p.get(&format!("/api/v1/ai/runs/{id}"), Some(&who.access))
        .await
        .assert_ok(200)
        .clone()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// Polls the run until `done` holds (within `limit`).
async fn run_when(
    p: &Platform,
    who: &Session,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let run = run_of(p, who, id).await;
        if done(&run) {
            return run;
        }
        assert!(Instant::now() < deadline, "run after {limit:?}: {run}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ended(run: &Value) -> bool {
    matches!(
        run["status"].as_str(),
        Some("completed" | "failed" | "cancelled")
    )
}

fn kinds(run: &Value) -> Vec<String> {
    run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The run's job, as the queue admin shows it, once the queue is done with it.
async fn job_done(p: &Platform, admin: &Session, job: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let j = p
            .get(&format!("/api/v1/admin/jobs/{job}"), Some(&admin.access))
            .await
            .assert_ok(200)
            .clone();
        if matches!(j["state"].as_str(), Some("completed" | "dead")) {
            return j;
        }
        assert!(Instant::now() < deadline, "job still {}", j["state"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ledger's answered calls for a run: `(run_step, input tokens, output tokens)`.
async fn booked(p: &Platform, who: &Session, run: &str) -> Vec<(i64, i64, i64)> {
    let rows = p
        .get("/api/v1/ai/requests?per_page=100", Some(&who.access))
        .await
        .assert_ok(200)
        .clone();
    let mut out: Vec<(i64, i64, i64)> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["run_id"] == run && r["status"] == "ok")
        .map(|r| {
            (
                r["run_step"].as_i64().unwrap_or(0),
                r["usage"]["input_tokens"].as_i64().unwrap_or(0),
                r["usage"]["output_tokens"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

#[tokio::test]
async fn agents_are_checked_scoped_and_permissioned() {
    let p = Platform::start().await;
    let owner = p.register("agents-crud@example.com").await;
    let up = Upstream::start().await;
    scripted(&p, &owner, &up, "openai").await;
    let bad = |body: Value| {
        let p = &p;
        let owner = &owner;
        async move {
            let r = p.post("/api/v1/ai/agents", Some(&owner.access), body).await;
            assert_eq!(r.status, 422, "{}", r.text);
            r.detail_fields()
        }
    };
    assert_eq!(
        bad(json!({"name": "a", "model": "agent", "tools": ["rm_rf"]})).await,
        ["tools[0]"]
    );
    assert_eq!(
        bad(json!({"name": "a", "model": "gpt-nowhere"})).await,
        ["model"]
    );
    assert_eq!(
        bad(json!({"name": "a", "model": "agent", "tools": ["search_knowledge"]})).await,
        ["knowledge_base_id"]
    );
    let fields = bad(
        json!({"name": "", "model": "agent", "max_steps": 21, "max_tokens": 0,
                            "routing": {"strategy": "random"}}),
    )
    .await;
    for f in ["name", "max_steps", "max_tokens", "routing.strategy"] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    let r = p
        .post(
            "/api/v1/ai/agents",
            Some(&owner.access),
            json!({"name": "a", "model": "agent", "max_steps": "five"}),
        )
        .await;
    assert_eq!(r.status / 100, 4, "{}", r.text);
    assert_eq!(
        p.count("SELECT count(*) FROM ai_agents", &[]).await,
        0,
        "bad bodies store nothing"
    );

    let agent = p
        .post(
            "/api/v1/ai/agents",
            Some(&owner.access),
            json!({"name": "helper", "model": "agent", "system_prompt": "Be brief.",
                   "tools": ["list_files", "read_file_text"]}),
        )
        .await
        .assert_ok(201)
        .clone();
    assert_eq!(agent["max_steps"], 5, "the default: {agent}");
    assert_eq!(agent["tools"], json!(["list_files", "read_file_text"]));
    let id = id_of(&agent);
    let r = p
        .post(
            "/api/v1/ai/agents",
            Some(&owner.access),
            json!({"name": "helper", "model": "agent"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let changed = p
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/ai/agents/{id}"),
            Some(&owner.access),
            Some(json!({"max_steps": 3, "tools": []})),
        )
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(
        (changed["max_steps"].clone(), changed["tools"].clone()),
        (json!(3), json!([]))
    );
    assert_eq!(changed["system_prompt"], "Be brief.", "unnamed fields stay");
    let fleet = p
        .get("/api/v1/ai/agents", Some(&owner.access))
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(fleet[0]["stats"]["runs"]["completed"], 0, "{fleet}");
    assert_eq!(fleet[0]["stats"]["success_rate"], Value::Null);

    // Bad run input changes nothing.
    for body in [json!({}), json!({"input": "  "}), json!({"input": 5})] {
        let r = p
            .post(
                &format!("/api/v1/ai/agents/{id}/runs"),
                Some(&owner.access),
                body,
            )
            .await;
        assert_eq!(r.status / 100, 4, "{}", r.text);
    }
    assert_eq!(p.count("SELECT count(*) FROM ai_runs", &[]).await, 0);
    let r = p
        .get("/api/v1/ai/runs?status=lost", Some(&owner.access))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // Another account sees none of it; a viewer reads but does not change or run.
    let other = p.register("agents-other@example.com").await;
    let run = start_run(&p, &owner, &id, "hello").await;
    let run_id = id_of(&run);
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/ai/agents/{id}")),
        (reqwest::Method::PATCH, format!("/api/v1/ai/agents/{id}")),
        (reqwest::Method::DELETE, format!("/api/v1/ai/agents/{id}")),
        (
            reqwest::Method::POST,
            format!("/api/v1/ai/agents/{id}/runs"),
        ),
        (reqwest::Method::GET, format!("/api/v1/ai/runs/{run_id}")),
        (
            reqwest::Method::POST,
            format!("/api/v1/ai/runs/{run_id}/cancel"),
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/ai/runs/{run_id}/events"),
        ),
    ] {
        let r = p
            .send(
                method.clone(),
                &path,
                Some(&other.access),
                Some(json!({"input": "x", "name": "x"})),
            )
            .await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
    }
    let theirs = p
        .get("/api/v1/ai/runs", Some(&other.access))
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(theirs, json!([]));
    let viewer = p
        .add_user(&owner, "agents-viewer@example.com", "viewer")
        .await;
    p.get("/api/v1/ai/agents", Some(&viewer.access))
        .await
        .assert_ok(200);
    let r = p
        .post(
            &format!("/api/v1/ai/agents/{id}/runs"),
            Some(&viewer.access),
            json!({"input": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = p
        .post(
            "/api/v1/ai/agents",
            Some(&viewer.access),
            json!({"name": "v", "model": "agent"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Deleting the agent takes its runs.
    p.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/ai/agents/{id}"),
        Some(&owner.access),
        None,
    )
    .await
    .assert_ok(200);
    assert_eq!(p.count("SELECT count(*) FROM ai_runs", &[]).await, 0);
}

/// A run that searches knowledge in `kind`'s wire format: `llm, tool, llm`, the real chunk
/// in the tool's answer and in the output, usage summed over the two model steps, and each
/// booked once in the ledger under its step.
async fn knowledge_run(p: &Platform, owner: &Session, up: &Upstream, kind: &str, base: &str) {
    let provider = scripted(p, owner, up, kind).await;
    let agent = new_agent(
        p,
        owner,
        json!({"name": format!("librarian-{kind}"), "model": "agent",
               "routing": {"providers": [provider]},
               "knowledge_base_id": base, "tools": ["search_knowledge"]}),
    )
    .await;
    let run = start_run(
        p,
        owner,
        &agent,
        r#"CALL search_knowledge {"query": "how does sourdough bread rise", "top_k": 1}"#,
    )
    .await;
    let run = run_when(p, owner, &id_of(&run), Duration::from_secs(60), ended).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(kinds(&run), ["llm", "tool", "llm"], "{run}");
    let steps = run["steps"].as_array().expect("steps");
    assert_eq!(
        steps.iter().map(|s| s["n"].as_i64()).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)]
    );
    let tool = &steps[1];
    assert_eq!(tool["tool"], "search_knowledge");
    assert_eq!(tool["arguments"]["query"], "how does sourdough bread rise");
    let passage = tool["result"]["passages"][0]["text"]
        .as_str()
        .expect("a passage");
    assert!(passage.contains("Sourdough"), "{tool}");
    let output = run["output"].as_str().expect("output");
    assert!(
        output.contains("Sourdough"),
        "the model read the chunk: {output}"
    );
    // Usage: the two model steps' sums, and the ledger booked each of them once. Both
    // scripts count 11 in (Anthropic's 9 plus 2 read from its cache) and 3 out.
    let (input, output_tokens) = (11, 3);
    assert_eq!(run["usage"]["input_tokens"], 2 * input, "{run}");
    assert_eq!(run["usage"]["output_tokens"], 2 * output_tokens, "{run}");
    let step_costs: f64 = steps.iter().filter_map(|s| s["cost_usd"].as_f64()).sum();
    let run_cost = run["cost_usd"].as_f64().expect("cost");
    assert!(
        run_cost > 0.0 && (run_cost - step_costs).abs() < 1e-12,
        "{run}"
    );
    assert_eq!(
        booked(p, owner, &id_of(&run)).await,
        [(1, input, output_tokens), (3, input, output_tokens)]
    );
    // The model was given the tool as a function definition.
    let (_, sent) = up
        .script
        .last
        .lock()
        .expect("lock")
        .clone()
        .expect("a request");
    let tools = sent["tools"].to_string();
    assert!(tools.contains("search_knowledge"), "{sent}");
}

#[tokio::test]
async fn a_run_searches_knowledge_and_answers_in_both_wire_formats() {
    let Some((p, _admin)) = platform().await else {
        return;
    };
    let owner = p.register("agents-kb@example.com").await;
    embedder(&p, &owner).await;
    let base = new_base(
        &p,
        &owner,
        json!({"name": "kb", "embedding_model": "e5-small", "chunk_tokens": 200}),
    )
    .await;
    for (title, text) in [("bread", BREAD), ("volcanoes", VOLCANOES)] {
        let doc = add_text(&p, &owner, &base, title, text).await;
        let doc = settled(&p, &owner, &base, &id_of(&doc), Duration::from_secs(60)).await;
        assert_eq!(doc["status"], "ready", "{doc}");
    }
    let up = Upstream::start().await;
    knowledge_run(&p, &owner, &up, "openai", &base).await;
    knowledge_run(&p, &owner, &up, "anthropic", &base).await;
}

#[tokio::test]
async fn file_tools_see_the_runs_account_only() {
    let Some((p, _admin)) = platform().await else {
        return;
    };
    let owner = p.register("agents-files@example.com").await;
    let other = p.register("agents-files-other@example.com").await;
    let mine = upload_ok(
        &p,
        &owner,
        "notes.txt",
        b"The launch code word is heron.",
        &[],
    )
    .await;
    let theirs = upload_ok(&p, &other, "secret.txt", b"Their secret is otter.", &[]).await;
    let up = Upstream::start().await;
    scripted(&p, &owner, &up, "openai").await;
    let agent = new_agent(
        &p,
        &owner,
        json!({"name": "clerk", "model": "agent", "tools": ["list_files", "read_file_text"]}),
    )
    .await;
    let run_tool = |input: String| {
        let (p, owner, agent) = (&p, &owner, &agent);
        async move {
            let run = start_run(p, owner, agent, &input).await;
            let run = run_when(p, owner, &id_of(&run), Duration::from_secs(60), ended).await;
            assert_eq!(run["status"], "completed", "{run}");
            assert_eq!(kinds(&run), ["llm", "tool", "llm"], "{run}");
            run["steps"][1]["result"].clone()
        }
    };
    let read = run_tool(format!(
        r#"CALL read_file_text {{"file_id": "{}"}}"#,
        id_of(&mine)
    ))
    .await;
    assert_eq!(read["text"], "The launch code word is heron.", "{read}");
    let foreign = run_tool(format!(
        r#"CALL read_file_text {{"file_id": "{}"}}"#,
        id_of(&theirs)
    ))
    .await;
    assert_eq!(foreign["error"], "not_found", "{foreign}");
    assert!(!foreign.to_string().contains("otter"), "{foreign}");
    let listed = run_tool(r#"CALL list_files {}"#.into()).await;
    let names: Vec<&str> = listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["filename"].as_str())
        .collect();
    assert_eq!(names, ["notes.txt"], "{listed}");
    // A tool the agent was not given is the model's mistake, answered to it.
    let refused = run_tool(r#"CALL search_knowledge {"query": "x"}"#.into()).await;
    assert_eq!(refused["error"], "unknown_tool", "{refused}");
}

#[tokio::test]
async fn the_real_model_answers_a_run_without_tools() {
    let Some((p, _admin)) = platform().await else {
        return;
    };
    let owner = p.register("agents-real@example.com").await;
    real_providers(&p, &owner).await;
    let agent = new_agent(
        &p,
        &owner,
        json!({"name": "greeter", "model": "smollm2", "max_tokens": 24,
               "system_prompt": "You are a friendly assistant. Answer in one short sentence."}),
    )
    .await;
    let run = start_run(&p, &owner, &agent, "Say hello to Ada.").await;
    let run_id = id_of(&run);
    // Live progress: the stream opens with the run and ends after its last change.
    let r = p
        .http
        .get(format!("{}/api/v1/ai/runs/{run_id}/events", p.base))
        .bearer_auth(&owner.access)
        .send()
        .await
        .expect("events");
    assert_eq!(r.status(), 200);
    let text = tokio::time::timeout(Duration::from_secs(120), r.text())
        .await
        .expect("the stream ends with the run")
        .expect("body");
    let evs = events(&text);
    assert_eq!(evs.first().map(|(n, _)| n.as_str()), Some("run"), "{text}");
    let (last_name, last) = evs.last().expect("events");
    assert_eq!(
        (last_name.as_str(), &last["status"]),
        ("run", &json!("completed")),
        "{text}"
    );
    let streamed: Vec<i64> = evs
        .iter()
        .filter(|(n, _)| n == "step")
        .filter_map(|(_, s)| s["n"].as_i64())
        .chain(
            evs[0].1["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["n"].as_i64()),
        )
        .collect();
    assert_eq!(streamed, [1], "{text}");

    let run = run_of(&p, &owner, &run_id).await;
    assert_eq!(kinds(&run), ["llm"], "{run}");
    let output = run["output"].as_str().unwrap_or_default();
    assert!(!output.trim().is_empty(), "{run}");
    assert_eq!(run["steps"][0]["result"]["content"], output);
    assert!(run["usage"]["output_tokens"].as_i64() > Some(0), "{run}");
    let booked = booked(&p, &owner, &run_id).await;
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(Some(booked[0].2), run["usage"]["output_tokens"].as_i64());
}

#[tokio::test]
async fn a_consumer_killed_between_steps_resumes_each_step_once() {
    if native_only("it kills a consumer process of its own") {
        return;
    }
    let p = Platform::start().await;
    let owner = p.register("agents-kill@example.com").await;
    let up = Upstream::start().await;
    scripted(&p, &owner, &up, "openai").await;
    let agent = new_agent(
        &p,
        &owner,
        json!({"name": "slow", "model": "agent-slow", "tools": ["list_files"]}),
    )
    .await;
    let run = start_run(&p, &owner, &agent, "CALL list_files {}").await;
    let run_id = id_of(&run);
    let mut first = Consumer::start(&p, "ai", 1, 5);
    // Steps 1 (model) and 2 (tool) are recorded; step 3's model call is in flight (3 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    while up.calls() < 2 {
        assert!(
            Instant::now() < deadline,
            "the consumer never reached step 3"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_9();
    let before = run_of(&p, &owner, &run_id).await;
    assert_eq!(before["status"], "running", "{before}");
    assert_eq!(
        kinds(&before),
        ["llm", "tool"],
        "killed during step 3: {before}"
    );

    let _second = Consumer::start(&p, "ai", 1, 5);
    let done = while_rescuing(
        &p,
        run_when(&p, &owner, &run_id, Duration::from_secs(90), ended),
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        kinds(&done),
        ["llm", "tool", "llm"],
        "each step once: {done}"
    );
    assert_eq!(
        p.count(
            "SELECT count(*) FROM ai_run_steps WHERE run_id = $1",
            &[&run_id.parse::<uuid::Uuid>().expect("uuid")],
        )
        .await,
        3
    );
    // Each model step booked once, though step 3 may have been asked twice.
    let booked = booked(&p, &owner, &run_id).await;
    assert_eq!(
        booked.iter().map(|b| b.0).collect::<Vec<_>>(),
        [1, 3],
        "{booked:?}"
    );
    assert_eq!(done["usage"]["input_tokens"], 22, "{done}");
}

#[tokio::test]
async fn a_step_asked_for_twice_at_once_is_booked_once() {
    // The queue is paused: the test takes the run's steps itself, as two consumers holding
    // the same run would (a lease that expired under a slow one).
    let Some((p, admin)) = platform().await else {
        return;
    };
    p.post(
        "/api/v1/admin/queues/ai/pause",
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    let owner = p.register("agents-twice@example.com").await;
    let up = Upstream::start().await;
    scripted(&p, &owner, &up, "openai").await;
    let agent = new_agent(&p, &owner, json!({"name": "twice", "model": "agent"})).await;
    let run = id_of(&start_run(&p, &owner, &agent, "hello").await);
    let service = p.service_token();
    p.post(
        &format!("/api/v1/worker/ai/runs/{run}/start"),
        Some(&service),
        json!({}),
    )
    .await
    .assert_ok(200);
    let step = |n: i64| {
        json!({"model": "agent", "account_id": owner.account_id,
               "messages": [{"role": "user", "content": "hello"}],
               "metadata": {"run_id": run, "run_step": n}})
    };
    let (a, b) = tokio::join!(
        p.post("/api/v1/worker/ai/chat", Some(&service), step(1)),
        p.post("/api/v1/worker/ai/chat", Some(&service), step(1)),
    );
    let (a, b) = (a.assert_ok(200).clone(), b.assert_ok(200).clone());
    assert_eq!(a["id"], b["id"], "both got the one recorded answer");
    // Asked again later (a consumer resuming), it is answered from the record.
    let again = p
        .post("/api/v1/worker/ai/chat", Some(&service), step(1))
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(again["id"], a["id"]);
    assert_eq!(booked(&p, &owner, &run).await, [(1, 11, 3)]);
    assert_eq!(kinds(&run_of(&p, &owner, &run).await), ["llm"]);
    // Another account cannot take the run's steps, and a step past a cancel is refused.
    let other = p.register("agents-twice-other@example.com").await;
    let mut foreign = step(2);
    foreign["account_id"] = json!(other.account_id);
    let r = p
        .post("/api/v1/worker/ai/chat", Some(&service), foreign)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    p.post(
        &format!("/api/v1/ai/runs/{run}/cancel"),
        Some(&owner.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    let r = p
        .post("/api/v1/worker/ai/chat", Some(&service), step(2))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(booked(&p, &owner, &run).await.len(), 1);
    p.post(
        "/api/v1/admin/queues/ai/resume",
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_ok(200);
}

#[tokio::test]
async fn cancel_stops_queued_and_running_runs_and_max_steps_ends_a_loop() {
    let Some((p, admin)) = platform().await else {
        return;
    };
    let owner = p.register("agents-stop@example.com").await;
    let up = Upstream::start().await;
    scripted(&p, &owner, &up, "openai").await;
    let looper = new_agent(
        &p,
        &owner,
        json!({"name": "looper", "model": "agent-loop", "tools": ["list_files"], "max_steps": 20}),
    )
    .await;

    // Queued: the queue is paused, so no consumer has it; it never starts.
    p.post(
        "/api/v1/admin/queues/ai/pause",
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    let queued = start_run(&p, &owner, &looper, "CALL list_files {}").await;
    let cancelled = p
        .post(
            &format!("/api/v1/ai/runs/{}/cancel", id_of(&queued)),
            Some(&owner.access),
            json!({}),
        )
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert!(
        cancelled["error"]
            .as_str()
            .unwrap_or_default()
            .contains("agents-stop@example.com")
    );
    p.post(
        "/api/v1/admin/queues/ai/resume",
        Some(&admin.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    let job = job_done(&p, &admin, queued["job_id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "completed", "{job}");
    let after = run_of(&p, &owner, &id_of(&queued)).await;
    assert_eq!(
        (after["status"].clone(), kinds(&after).len()),
        (json!("cancelled"), 0),
        "{after}"
    );
    let r = p
        .post(
            &format!("/api/v1/ai/runs/{}/cancel", id_of(&queued)),
            Some(&owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "an ended run: {}", r.text);

    // Running: it stops before its next step (one step in flight may still land).
    let running = start_run(&p, &owner, &looper, "CALL list_files {}").await;
    let running_id = id_of(&running);
    run_when(&p, &owner, &running_id, Duration::from_secs(60), |r| {
        r["steps"].as_array().is_some_and(|s| s.len() >= 2)
    })
    .await;
    p.post(
        &format!("/api/v1/ai/runs/{running_id}/cancel"),
        Some(&owner.access),
        json!({}),
    )
    .await
    .assert_ok(200);
    let job = job_done(&p, &admin, running["job_id"].as_str().expect("job")).await;
    assert_eq!(job["state"], "completed", "{job}");
    let stopped = run_of(&p, &owner, &running_id).await;
    assert_eq!(stopped["status"], "cancelled", "{stopped}");
    let finished_at = stopped["finished_at"]
        .as_str()
        .expect("finished_at")
        .to_string();
    let late: Vec<&Value> = stopped["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["created_at"].as_str().unwrap_or_default() > finished_at.as_str())
        .collect();
    assert!(late.len() <= 1, "no step began after the cancel: {stopped}");
    assert!(kinds(&stopped).len() < 20, "{stopped}");

    // max_steps: the loop never answers, so the run fails at its limit, saying so.
    let limited = new_agent(
        &p,
        &owner,
        json!({"name": "limited", "model": "agent-loop", "tools": ["list_files"], "max_steps": 3}),
    )
    .await;
    let run = start_run(&p, &owner, &limited, "CALL list_files {}").await;
    let run = run_when(&p, &owner, &id_of(&run), Duration::from_secs(60), ended).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["error"]
            .as_str()
            .unwrap_or_default()
            .contains("max_steps (3)"),
        "{run}"
    );
    assert_eq!(kinds(&run), ["llm", "tool", "llm"], "{run}");

    // The fleet view counts them over the last 24 h.
    let fleet = p
        .get("/api/v1/ai/agents", Some(&owner.access))
        .await
        .assert_ok(200)
        .clone();
    let stats = |name: &str| {
        fleet
            .as_array()
            .expect("agents")
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["stats"].clone())
            .expect("agent")
    };
    assert_eq!(stats("looper")["runs"]["cancelled"], 2, "{fleet}");
    assert_eq!(stats("limited")["runs"]["failed"], 1, "{fleet}");
    assert_eq!(stats("limited")["success_rate"], 0.0, "{fleet}");
    assert!(
        stats("limited")["p50_duration_ms"].as_i64() > Some(0),
        "{fleet}"
    );
    assert!(stats("limited")["cost_usd"].as_f64() > Some(0.0), "{fleet}");
    // The runs list filters by agent and status.
    let failed = p
        .get(
            &format!("/api/v1/ai/runs?agent_id={limited}&status=failed"),
            Some(&owner.access),
        )
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
    let all = p
        .get(
            &format!("/api/v1/ai/runs?agent_id={looper}"),
            Some(&owner.access),
        )
        .await
        .assert_ok(200)
        .clone();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
}
