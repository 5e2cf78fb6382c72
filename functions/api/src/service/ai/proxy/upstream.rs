//! A provider as the proxy calls it: its row with the key opened and the models' prices as
//! integers, and the HTTP request each kind expects.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use shared::api::ai::{ProviderModel, ProviderTimeouts};
use uuid::Uuid;

use super::wire::ChatCall;
use super::{anthropic, openai};
use crate::ports::outbound::OutboundRequest;
use crate::service::ai::money::price_to_micro;
use crate::store::ai::{PriceMicro, ProviderRow};

/// Defaults of the four deadlines (API.md leaves them to us; README documents them).
pub const DEFAULT_CONNECT_MS: u64 = 10_000;
pub const DEFAULT_FIRST_TOKEN_MS: u64 = 60_000;
pub const DEFAULT_IDLE_MS: u64 = 30_000;
pub const DEFAULT_TOTAL_MS: u64 = 600_000;

/// The provider's API dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OpenAi,
    Anthropic,
}

impl Kind {
    /// Parses the stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "openai" => Some(Self::OpenAi),
            "anthropic" => Some(Self::Anthropic),
            _ => None,
        }
    }
}

/// A model with its prices as integers.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub kind: String,
    pub price: PriceMicro,
}

/// Deadlines of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub connect: Duration,
    pub first_token: Duration,
    pub idle: Duration,
    pub total: Duration,
}

impl Deadlines {
    /// The provider's overrides over the defaults.
    pub fn from(t: &ProviderTimeouts) -> Self {
        let ms = |v: Option<u64>, d: u64| Duration::from_millis(v.unwrap_or(d));
        Self {
            connect: ms(t.connect_ms, DEFAULT_CONNECT_MS),
            first_token: ms(t.first_token_ms, DEFAULT_FIRST_TOKEN_MS),
            idle: ms(t.idle_ms, DEFAULT_IDLE_MS),
            total: ms(t.total_ms, DEFAULT_TOTAL_MS),
        }
    }
}

/// A provider ready to call. `Debug` leaves the key out.
#[derive(Clone)]
pub struct Upstream {
    pub id: Uuid,
    pub kind: Kind,
    pub base_url: String,
    /// Opened; never logged.
    pub api_key: Option<String>,
    pub weight: i32,
    pub priority: i32,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
    pub enabled: bool,
    pub deadlines: Deadlines,
    pub models: Vec<Model>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("has_api_key", &self.api_key.is_some())
            .finish_non_exhaustive()
    }
}

/// The stored models of a row.
pub fn models_of(row: &ProviderRow) -> Vec<ProviderModel> {
    serde_json::from_value(row.models.clone()).unwrap_or_default()
}

/// The stored timeouts of a row.
pub fn timeouts_of(row: &ProviderRow) -> ProviderTimeouts {
    serde_json::from_value(row.timeouts.clone()).unwrap_or_default()
}

impl Upstream {
    /// Builds from a row and its opened key.
    pub fn from_row(row: &ProviderRow, api_key: Option<String>) -> Option<Self> {
        let models = models_of(row)
            .into_iter()
            .filter_map(|m| {
                Some(Model {
                    price: PriceMicro {
                        input: price_to_micro(m.input_usd_per_mtok)?,
                        output: price_to_micro(m.output_usd_per_mtok)?,
                        cached_input: match m.cached_input_usd_per_mtok {
                            Some(p) => Some(price_to_micro(p)?),
                            None => None,
                        },
                    },
                    name: m.name,
                    kind: m.kind,
                })
            })
            .collect();
        Some(Self {
            id: row.id,
            kind: Kind::parse(&row.kind)?,
            base_url: row.base_url.trim_end_matches('/').to_string(),
            api_key,
            weight: row.weight,
            priority: row.priority,
            rpm_limit: row.rpm_limit,
            tpm_limit: row.tpm_limit,
            enabled: row.enabled,
            deadlines: Deadlines::from(&timeouts_of(row)),
            models,
        })
    }

    /// The model of that name and kind, if offered.
    pub fn model(&self, name: &str, kind: &str) -> Option<&Model> {
        self.models
            .iter()
            .find(|m| m.name == name && m.kind == kind)
    }

    fn request(&self, path: &str, body: &Value) -> OutboundRequest {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        match (self.kind, &self.api_key) {
            (Kind::OpenAi, Some(key)) => {
                headers.push(("authorization".into(), format!("Bearer {key}")))
            }
            (Kind::Anthropic, Some(key)) => headers.push(("x-api-key".into(), key.clone())),
            (_, None) => {}
        }
        if self.kind == Kind::Anthropic {
            headers.push(("anthropic-version".into(), anthropic::VERSION.into()));
        }
        OutboundRequest {
            method: http::Method::POST,
            url: format!("{}{path}", self.base_url),
            headers,
            body: Bytes::from(body.to_string()),
            connect_timeout: self.deadlines.connect,
        }
    }

    /// A chat call to `model`.
    pub fn chat_request(&self, model: &str, call: &ChatCall, stream: bool) -> OutboundRequest {
        match self.kind {
            Kind::OpenAi => {
                self.request("/chat/completions", &openai::chat_body(model, call, stream))
            }
            Kind::Anthropic => {
                self.request("/messages", &anthropic::chat_body(model, call, stream))
            }
        }
    }

    /// An embeddings call (the `openai` kind only; validation keeps embedding models off
    /// `anthropic` providers).
    pub fn embeddings_request(&self, model: &str, input: &[String]) -> OutboundRequest {
        self.request("/embeddings", &openai::embeddings_body(model, input))
    }
}
