//! A stand-in for the API's worker routes behind `jobs::transport::Transport`: records every
//! call and answers with a scripted envelope per route.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jobs::client::ClientError;
use jobs::transport::{HttpReply, Transport};
use serde_json::{Value, json};
use shared::maybe_async_trait;

/// One request the client sent.
#[derive(Debug, Clone)]
pub struct Call {
    /// The path after the base URL.
    pub path: String,
    /// The bearer token.
    pub bearer: String,
    /// The JSON body.
    pub body: Value,
}

type Route = dyn Fn(&str, &Value) -> Result<(u16, Value), ClientError> + Send + Sync;

/// Answers through `route(path, body)`.
#[derive(Clone)]
pub struct FakeApi {
    calls: Arc<Mutex<Vec<Call>>>,
    route: Arc<Route>,
}

pub const BASE: &str = "http://api.test";

impl FakeApi {
    pub fn new(
        route: impl Fn(&str, &Value) -> Result<(u16, Value), ClientError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            calls: Arc::default(),
            route: Arc::new(route),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.path).collect()
    }
}

/// The success envelope.
pub fn ok(data: Value) -> Result<(u16, Value), ClientError> {
    Ok((200, json!({ "success": true, "data": data })))
}

/// An error envelope.
pub fn err(status: u16, code: &str) -> Result<(u16, Value), ClientError> {
    Ok((
        status,
        json!({ "success": false, "code": code, "error": "scripted" }),
    ))
}

maybe_async_trait! {
impl Transport for FakeApi {
    async fn post(
        &self,
        url: &str,
        bearer: &str,
        body: Vec<u8>,
        _timeout: Duration,
    ) -> Result<HttpReply, ClientError> {
        let path = url.strip_prefix(BASE).unwrap().to_string();
        let body: Value = serde_json::from_slice(&body).unwrap();
        self.calls.lock().unwrap().push(Call {
            path: path.clone(),
            bearer: bearer.to_string(),
            body: body.clone(),
        });
        let (status, reply) = (self.route)(&path, &body)?;
        Ok(HttpReply {
            status,
            body: serde_json::to_vec(&reply).unwrap(),
        })
    }
}
}
