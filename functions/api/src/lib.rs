//! The Powernode HTTP API, written once for every runtime.
//!
//! A runtime adapter (the native host in `functions/host`, the Workers and Spin shims later)
//! builds an [`Api`] from an [`ApiConfig`] and its [`Ports`], turns each incoming request into an
//! [`ApiRequest`], and writes out the [`ApiResponse`] that [`Api::handle`] returns. Everything
//! else (routing, authentication, permissions, validation, business rules, SQL) lives here and
//! compiles for `wasm32-unknown-unknown` as well as natively.
//!
//! Layout: `routes.rs` is the table of every route; `handlers/` parse and answer (one file per
//! resource); `service/` holds the rules; `store/` the data access, with its SQL in `src/sql/`.

pub mod config;
pub mod context;
pub mod db;
pub mod error;
mod handlers;
pub mod http;
pub mod metrics;
pub mod migrate;
pub mod openapi;
pub mod ports;
pub mod queue;
pub mod routes;
pub mod service;
pub mod store;

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use shared::tokens;
use uuid::Uuid;

pub use crate::config::{ApiConfig, RunawayPolicy};
use crate::context::{Ctx, Principal};
use crate::error::{ApiError, ApiResult};
pub use crate::http::{ApiRequest, ApiResponse, ResponseBody};
use crate::http::{Outcome, render_error, render_raw, render_success};
use crate::metrics::Metrics;
use crate::ports::outbound::Outbound;
use crate::ports::storage::StorageProviders;
use crate::ports::{Cache, Clock, Db, JobPush, JobSignal, PasswordHasher, Rng};
use crate::routes::{Access, ROUTES, RouteDef, RoutePart};
pub use shared::maybe_async_trait;

/// What a runtime provides.
#[derive(Clone)]
pub struct Ports {
    /// Postgres.
    pub db: Arc<dyn Db>,
    /// Redis.
    pub cache: Arc<dyn Cache>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub rng: Arc<dyn Rng>,
    /// Password hashing.
    pub passwords: Arc<dyn PasswordHasher>,
    /// Wakes long-polling claimers.
    pub job_signal: Arc<dyn JobSignal>,
    /// Announces new jobs to push transports.
    pub job_push: Arc<dyn JobPush>,
    /// Builds object stores for storage rows (files).
    pub storage: Arc<dyn StorageProviders>,
    /// Outbound HTTP (AI providers).
    pub outbound: Arc<dyn Outbound>,
    /// Work finished after the response (an answered AI call's ledger row).
    pub background: Arc<dyn crate::ports::background::Background>,
}

/// The API: construct once per process (or isolate), then `handle` every request.
pub struct Api {
    config: ApiConfig,
    ports: Ports,
    router: matchit::Router<usize>,
    /// For each matchit entry, the indexes into `ROUTES` that share that path.
    paths: Vec<Vec<usize>>,
    /// Shared so an adapter that builds an `Api` per request (Workers: a socket belongs to the
    /// request that opened it, so the database port cannot outlive the request) still counts
    /// every request of its isolate in one place.
    metrics: Arc<Metrics>,
    /// The routes this `Api` serves and their dispatch.
    part: RoutePart,
    /// What the AI proxy keeps in memory between calls (keys, providers, budgets).
    ai_cache: service::ai::cache::AiCache,
    #[cfg(not(feature = "prebuilt-openapi"))]
    openapi: std::sync::OnceLock<Bytes>,
}

impl Api {
    /// Builds the API. The route table is static and tested, so a bad entry is a programming
    /// error caught by the unit tests, not a runtime condition.
    pub fn new(config: ApiConfig, ports: Ports) -> Self {
        Self::with_metrics(config, ports, Arc::default())
    }

    /// Builds the API recording into `metrics`, which outlives this `Api`.
    pub fn with_metrics(config: ApiConfig, ports: Ports, metrics: Arc<Metrics>) -> Self {
        Self::with_part(config, ports, metrics, routes::ALL)
    }

    /// Builds an API serving only `part` of the routes (the others answer 404, as unknown
    /// paths do); only that part's handlers are linked into a build that names no other part.
    pub fn with_part(
        config: ApiConfig,
        ports: Ports,
        metrics: Arc<Metrics>,
        part: RoutePart,
    ) -> Self {
        let mut router = matchit::Router::new();
        let mut paths: Vec<Vec<usize>> = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        for (idx, def) in ROUTES.iter().enumerate() {
            if !(part.serves)(def.id) {
                continue;
            }
            if let Some(slot) = seen.iter().position(|p| *p == def.path) {
                paths[slot].push(idx);
            } else {
                router
                    .insert(def.path, paths.len())
                    .expect("the route table has valid, distinct paths");
                seen.push(def.path);
                paths.push(vec![idx]);
            }
        }
        Self {
            config,
            ports,
            router,
            paths,
            metrics,
            part,
            ai_cache: service::ai::cache::AiCache::default(),
            #[cfg(not(feature = "prebuilt-openapi"))]
            openapi: std::sync::OnceLock::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// The ports.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// The database.
    pub fn db(&self) -> &dyn Db {
        &*self.ports.db
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.ports.clock.now()
    }

    /// `N` random bytes.
    pub fn random<const N: usize>(&self) -> [u8; N] {
        let mut buf = [0u8; N];
        self.ports.rng.fill(&mut buf);
        buf
    }

    /// A fresh UUIDv7.
    pub fn new_id(&self) -> Uuid {
        let millis = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        shared::ids::uuid_v7(millis, self.random())
    }

    /// The OpenAPI document as JSON: with the `prebuilt-openapi` feature (the Worker) the
    /// committed `openapi.json`, else built on first use rather than at start-up.
    #[cfg(feature = "prebuilt-openapi")]
    pub fn openapi_json(&self) -> ApiResult<Bytes> {
        Ok(Bytes::from_static(openapi::PREBUILT))
    }

    /// The OpenAPI document as JSON: with the `prebuilt-openapi` feature (the Worker) the
    /// committed `openapi.json`, else built on first use rather than at start-up.
    #[cfg(not(feature = "prebuilt-openapi"))]
    pub fn openapi_json(&self) -> ApiResult<Bytes> {
        if let Some(doc) = self.openapi.get() {
            return Ok(doc.clone());
        }
        let json = openapi::document()
            .to_json()
            .map_err(|e| ApiError::internal(format!("openapi: {e}")))?;
        Ok(self.openapi.get_or_init(|| Bytes::from(json)).clone())
    }

    /// The AI proxy's in-memory caches.
    pub fn ai_cache(&self) -> &service::ai::cache::AiCache {
        &self.ai_cache
    }

    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether the route at `method` and `path` takes its body as a stream (uploads). Adapters
    /// ask before reading a body: such a body goes into `ApiRequest::stream` unread, where the
    /// handler enforces the upload limit; any other body is read whole, up to
    /// `max_body_bytes`.
    pub fn streams_body(&self, method: &::http::Method, path: &str) -> bool {
        self.router.at(path).is_ok_and(|m| {
            self.paths[*m.value]
                .iter()
                .any(|i| ROUTES[*i].method == *method && ROUTES[*i].streams_body)
        })
    }

    /// Whether `path` is one of the API's routes (with any method). The native host serves the
    /// web UI for the paths that are not.
    pub fn serves_path(&self, path: &str) -> bool {
        path.starts_with("/api/") || self.router.at(path).is_ok()
    }

    /// Answers one request. Never panics on input and never returns a 5xx for a client mistake.
    pub async fn handle(&self, req: ApiRequest) -> ApiResponse {
        let started = self.now();
        let resolved = req.refuse_nul_text().and_then(|()| self.resolve(&req));
        let (route, result) = match resolved {
            Ok((def, params)) => (def.path, self.run(def, &req, params).await),
            Err(e) => ("unmatched", Err(e)),
        };
        let response = match result {
            Ok(Outcome::Json(reply)) => render_success(reply),
            Ok(Outcome::Raw {
                status,
                content_type,
                body,
            }) => render_raw(status, content_type, body),
            Ok(Outcome::Stream {
                status,
                headers,
                body,
            }) => {
                let mut response = ::http::Response::new(body);
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                response
            }
            Err(e) => {
                log_error(&req, route, &e);
                // The OpenAI-compatible surface answers in OpenAI's error shape, so its SDKs
                // read the message.
                if req.path.starts_with("/v1/") {
                    handlers::openai_compat::render_error(&e)
                } else {
                    render_error(&e)
                }
            }
        };
        let elapsed = (self.now() - started).num_microseconds().unwrap_or(0) as f64 / 1e6;
        let status = response.status().as_u16();
        self.metrics
            .record(route, req.method.as_str(), status, elapsed);
        tracing::info!(method = %req.method, route, status, duration_ms = elapsed * 1e3, "request");
        response
    }

    fn resolve(&self, req: &ApiRequest) -> ApiResult<(&'static RouteDef, Vec<(String, String)>)> {
        let matched = self
            .router
            .at(&req.path)
            .map_err(|_| ApiError::not_found("route"))?;
        let candidates = &self.paths[*matched.value];
        let def = candidates
            .iter()
            .map(|i| &ROUTES[*i])
            .find(|d| d.method == req.method)
            .ok_or_else(|| {
                let allowed: Vec<&str> = candidates
                    .iter()
                    .map(|i| ROUTES[*i].method.as_str())
                    .collect();
                ApiError::new(
                    shared::ErrorCode::MethodNotAllowed,
                    format!(
                        "method {} is not allowed here; allowed: {}",
                        req.method,
                        allowed.join(", ")
                    ),
                )
            })?;
        let params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok((def, params))
    }

    async fn run(
        &self,
        def: &'static RouteDef,
        req: &ApiRequest,
        params: Vec<(String, String)>,
    ) -> ApiResult<Outcome> {
        let principal = self.authenticate(def.access, req).await?;
        let ctx = Ctx {
            api: self,
            req,
            params,
            principal,
        };
        (self.part.dispatch)(def.id, &ctx).await
    }

    async fn authenticate(&self, access: Access, req: &ApiRequest) -> ApiResult<Principal> {
        let now = self.now().timestamp();
        match access {
            Access::Public => Ok(Principal::Anonymous),
            Access::Service => {
                let token = req.bearer_token().ok_or_else(ApiError::unauthorized)?;
                let claims = tokens::verify_service(token, &self.config.worker_service_token, now)
                    .map_err(|e| refused("service", e))?;
                Ok(Principal::Service(claims))
            }
            Access::ApiKey => {
                let token = req.bearer_token().ok_or_else(ApiError::unauthorized)?;
                let (key_id, account_id) = service::ai::keys::authenticate(self, token)
                    .await?
                    .ok_or_else(|| ApiError::unauthorized_because("the API key is not valid"))?;
                Ok(Principal::ApiKey { key_id, account_id })
            }
            Access::User(permission) => {
                let token = req.bearer_token().ok_or_else(ApiError::unauthorized)?;
                let claims = tokens::verify_access(token, &self.config.jwt_secret, now)
                    .map_err(|e| refused("access", e))?;
                let user = store::users::principal(self.db(), claims.sub, claims.sid)
                    .await?
                    .filter(|u| u.account_id == claims.acc)
                    .ok_or_else(|| {
                        tracing::debug!(user = %claims.sub, "token of a deactivated user or revoked session");
                        ApiError::unauthorized()
                    })?;
                if let Some(p) = permission
                    && !user.can(p.as_str())
                {
                    return Err(ApiError::forbidden(p.as_str()));
                }
                Ok(Principal::User(user))
            }
        }
    }
}

fn refused(kind: &str, e: tokens::TokenError) -> ApiError {
    tracing::debug!(kind, reason = %e, "token refused");
    ApiError::unauthorized()
}

fn log_error(req: &ApiRequest, route: &str, e: &ApiError) {
    if let Some(internal) = &e.internal {
        if e.code.status() >= 500 {
            tracing::error!(method = %req.method, route, code = e.code.as_str(), detail = %internal, "request failed");
        } else {
            tracing::warn!(method = %req.method, route, code = e.code.as_str(), detail = %internal, "request refused");
        }
    }
}
