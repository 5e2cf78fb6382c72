//! No text input on any route carries a NUL character (U+0000) through to Postgres, which
//! cannot store one in `text` or `jsonb` (it used to answer 500). The walk takes every
//! operation of the served OpenAPI document and sends NUL in each of its string inputs: every
//! path parameter, a query parameter (the guard covers any name), every string in a JSON body
//! built valid from the operation's schema, and every text field of the uploads' multipart
//! forms; signed in as the route asks. Every answer must be a 4xx in the error envelope, and
//! no table changes.

use crate::common::files::{multipart, png, post_form, upload_ok};
use crate::common::{Options, Platform, Session};
use reqwest::Method;
use serde_json::{Map, Value, json};

const ADMIN: (&str, &str) = ("walk-admin@example.com", "admin password 1");
/// A well-formed id that names nothing, for the path parameters not under test.
const SOME_ID: &str = "01930000-0000-7000-8000-000000000000";

#[tokio::test]
async fn nul_in_any_text_input_is_refused_with_a_4xx_and_changes_nothing() {
    let p = Platform::start_with(Options {
        admin: Some((ADMIN.0.into(), ADMIN.1.into())),
        ..Options::default()
    })
    .await;
    let owner = p.register("walk-owner@example.com").await;
    let admin = Session::from_auth(p.login(ADMIN.0, ADMIN.1).await.assert_ok(200));
    let service = p.service_token();
    // A real file, so the file routes' own ids exist for the uploads below.
    let file = upload_ok(&p, &owner, "walk.png", &png(64), &[]).await;
    let file_id = file["id"].as_str().expect("file id").to_string();
    let doc = p.get("/api/v1/openapi.json", None).await.body;
    let before = table_counts(&p).await;

    let mut sent = 0;
    let mut failures = Vec::new();
    let paths = doc["paths"].as_object().expect("paths");
    for (template, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let token = if template.starts_with("/api/v1/worker/") {
                service.clone()
            } else if template.starts_with("/api/v1/admin/") {
                admin.access.clone()
            } else {
                owner.access.clone()
            };
            let params = path_params(template);
            let body = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| sample(&Value::Object(s.clone()), &doc, 0));
            let mut cases: Vec<(String, String, Option<Value>)> = Vec::new();
            // Each path parameter in turn holds the NUL; the others a well-formed id.
            for name in &params {
                let path = fill(template, |p| if p == name { "a%00b" } else { SOME_ID });
                cases.push((format!("path `{name}`"), path, body.clone()));
            }
            let path = fill(template, |_| SOME_ID);
            cases.push((
                "query `q`".into(),
                format!("{path}?q=a%00b&page=1"),
                body.clone(),
            ));
            if let Some(body) = &body {
                for at in string_leaves(body, "") {
                    let mut with_nul = body.clone();
                    if let Some(Value::String(s)) = with_nul.pointer_mut(&at) {
                        s.insert(s.len() / 2, '\0');
                    }
                    cases.push((format!("body {at}"), path.clone(), Some(with_nul)));
                }
            }
            for (what, path, body) in cases {
                let r = p.send(method.clone(), &path, Some(&token), body).await;
                sent += 1;
                // The OpenAI-compatible surface answers in OpenAI's error shape instead.
                let envelope = if template.starts_with("/v1/") {
                    r.body["error"]["message"].is_string() && r.body["error"]["type"].is_string()
                } else {
                    r.body["success"] == false && r.body["error"].is_string()
                };
                if !(400..500).contains(&r.status) || !envelope {
                    failures.push(format!(
                        "{method} {template} with NUL in {what}: {} {}",
                        r.status, r.text
                    ));
                }
            }
        }
    }

    // The uploads' multipart text fields (the document gives their bodies no JSON schema).
    for (path, fields) in [
        (
            "/api/v1/files/upload".to_string(),
            &["category", "visibility", "tags", "metadata"][..],
        ),
        (
            format!("/api/v1/files/{file_id}/versions"),
            &["change_description"][..],
        ),
    ] {
        for field in fields {
            let value = if *field == "metadata" {
                "{\"k\":\"a\u{0}b\"}"
            } else {
                "a\u{0}b"
            };
            let bytes = png(64);
            let form = multipart(&[(field, value)], Some(("nul.png", "image/png", &bytes)));
            let (status, answer) = post_form(&p, &owner, &path, form).await;
            sent += 1;
            if !(400..500).contains(&status) || answer["success"] != false {
                failures.push(format!(
                    "POST {path} with NUL in form field `{field}`: {status} {answer}"
                ));
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {sent} requests were not a 4xx envelope:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(sent > 100, "the walk sent only {sent} requests");
    assert_eq!(
        table_counts(&p).await,
        before,
        "refused requests changed the database"
    );
}

/// `{name}` segments of an OpenAPI path template.
fn path_params(template: &str) -> Vec<String> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(String::from)
        .collect()
}

/// The template with each `{name}` replaced by `value(name)`.
fn fill<'a>(template: &str, value: impl Fn(&str) -> &'a str) -> String {
    template
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => value(name).to_string(),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// A value the schema accepts (every property filled, so validation passes and the request
/// reaches as deep as it can): first enum values, formats honoured, minimums met.
fn sample(schema: &Value, doc: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return sample(&doc["components"]["schemas"][name], doc, depth + 1);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[key]
            .as_array()
            .and_then(|v| v.iter().find(|s| s["type"] != "null").or_else(|| v.first()))
        {
            return sample(first, doc, depth + 1);
        }
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ if schema["properties"].is_object() => "object".into(),
        _ => "null".into(),
    };
    match ty.as_str() {
        "string" => Value::String(
            match schema["format"].as_str() {
                Some("uuid") => SOME_ID,
                Some("date-time") => "2030-01-01T00:00:00Z",
                Some("email") => "walk@example.com",
                Some("uri") => "http://127.0.0.1:9/walk",
                _ => "walk-text-value",
            }
            .to_string(),
        ),
        "integer" | "number" => json!(schema["minimum"].as_i64().unwrap_or(1)),
        "boolean" => json!(false),
        "array" => Value::Array(vec![sample(&schema["items"], doc, depth + 1)]),
        "object" => {
            let mut map = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    map.insert(name.clone(), sample(prop, doc, depth + 1));
                }
            }
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

/// JSON pointers to every string in `value`.
fn string_leaves(value: &Value, at: &str) -> Vec<String> {
    match value {
        Value::String(_) => vec![at.to_string()],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, v)| string_leaves(v, &format!("{at}/{i}")))
            .collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                string_leaves(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Rows per table of the schema, to show that refused requests wrote nothing.
async fn table_counts(p: &Platform) -> Vec<(String, i64)> {
    let tables =
        p.db.query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
            &[],
        )
        .await
        .expect("list tables");
    let mut counts = Vec::new();
    for row in tables {
        let table: String = row.get(0);
        let n = p
            .count(&format!("SELECT count(*) FROM \"{table}\""), &[])
            .await;
        counts.push((table, n));
    }
    counts
}
