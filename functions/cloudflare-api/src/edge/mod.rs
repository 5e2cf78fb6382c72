//! The Workers side: the fetch entry point and the ports bound to Workers APIs.

mod db;
mod fetch;
mod outbound;
mod platform;
// Both Workers announce jobs and read stored files (the AI Worker for agents' `read_file_text`).
mod queue_push;
mod r2;
mod s3;
mod storage;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use powernode_api::error::ApiError;
use powernode_api::http::{BodySlot, render_error};
use powernode_api::metrics::Metrics;
use powernode_api::ports::storage::StorageError;
use powernode_api::ports::{JobPush, NoJobPush, NoJobSignal};
use powernode_api::service::credentials::CredentialKey;
use powernode_api::service::passwords::InlineArgon2;
use powernode_api::{Api, ApiConfig, ApiRequest, ApiResponse, Ports, ResponseBody, RunawayPolicy};
use shared::ErrorCode;
use worker::{Context, Env, Headers, Request, Response, console_error, event};

use crate::upstash::UpstashCache;

/// Request counts of this isolate. An `Api` is built per request (its database connection
/// belongs to the request), so the metrics live here, beside it.
static METRICS: OnceLock<Arc<Metrics>> = OnceLock::new();

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    // The API Worker hands the AI section to the AI Worker, unread (bodies and streams pass
    // through the binding as they are).
    #[cfg(not(feature = "ai-worker"))]
    if req
        .url()
        .is_ok_and(|u| powernode_api::routes::is_ai_path(u.path()))
    {
        return match env.service("AI") {
            Ok(ai) => ai.fetch_request(req).await,
            Err(_) => {
                console_error!("the AI service binding is missing: AI routes answer 503");
                to_worker_response(render_error(&ApiError::unavailable(
                    "the AI Worker",
                    "no AI service binding",
                )))
            }
        };
    }
    let response = match Settings::from_env(&env) {
        Ok(settings) => serve(req, &env, ctx, settings).await,
        Err(missing) => {
            // Names only: a value never reaches the log.
            console_error!("the Worker is not configured: {missing} is not set");
            render_error(&ApiError::unavailable("the API configuration", missing))
        }
    };
    to_worker_response(response)
}

/// What the Worker reads from its vars and secrets.
struct Settings {
    config: ApiConfig,
    upstash_url: String,
    upstash_token: String,
    redis_prefix: String,
    db_tls: bool,
    /// Queues never announced on the `JOBS` queue: their consumers poll (the media runner).
    polled_queues: Vec<String>,
}

impl Settings {
    /// Fails with the name of the first missing secret or var.
    fn from_env(env: &Env) -> Result<Self, &'static str> {
        let secret = |name: &'static str| {
            env.secret(name)
                .map(|s| s.to_string())
                .ok()
                .filter(|s| !s.is_empty())
                .ok_or(name)
        };
        let var = |name: &str| {
            env.var(name)
                .map(|v| v.to_string())
                .ok()
                .filter(|v| !v.is_empty())
        };
        let mut config = ApiConfig::new(
            secret("JWT_SECRET")?.into_bytes(),
            secret("WORKER_SERVICE_TOKEN")?.into_bytes(),
        );
        config.max_upload_bytes =
            number(var("POWERNODE_MAX_UPLOAD_BYTES"), config.max_upload_bytes);
        if let Some(url) = var("POWERNODE_PUBLIC_URL") {
            config.public_url = url.trim().trim_end_matches('/').to_string();
        }
        config.allow_private_upstreams =
            var("POWERNODE_ALLOW_PRIVATE_UPSTREAMS").is_some_and(|v| v == "1" || v == "true");
        config.ai_breaker_cooldown_ms = number(
            var("POWERNODE_AI_BREAKER_COOLDOWN_MS"),
            config.ai_breaker_cooldown_ms,
        );
        config.encryption_key = secret("POWERNODE_ENCRYPTION_KEY")
            .ok()
            .map(|k| CredentialKey::from_secret(k.as_bytes()));
        // As natively (functions/host/src/config.rs); an unparsable value keeps the default.
        let defaults = RunawayPolicy::default();
        config.runaway = RunawayPolicy {
            max_runs: number(var("POWERNODE_RUNAWAY_MAX_RUNS"), defaults.max_runs),
            window_seconds: number(
                var("POWERNODE_RUNAWAY_WINDOW_SECONDS"),
                defaults.window_seconds,
            ),
            disable_seconds: number(
                var("POWERNODE_RUNAWAY_DISABLE_SECONDS"),
                defaults.disable_seconds,
            ),
        };
        Ok(Self {
            config,
            upstash_url: secret("UPSTASH_REDIS_REST_URL")?,
            upstash_token: secret("UPSTASH_REDIS_REST_TOKEN")?,
            redis_prefix: var("POWERNODE_REDIS_PREFIX").unwrap_or_else(|| "pn:".into()),
            // Hyperdrive speaks TLS (StartTLS) in production; local dev points at a plain
            // loopback Postgres and sets "off".
            db_tls: var("POWERNODE_DB_TLS").is_none_or(|v| v != "off"),
            polled_queues: polled_queues(var("POWERNODE_POLLED_QUEUES")),
        })
    }
}

/// `POWERNODE_POLLED_QUEUES` (default `file_processing,email`), always with the queues only
/// native consumers run (`email`: SMTP needs a TCP client the consumer Worker lacks), so a
/// narrower setting cannot hand an email job to a consumer that would kill it.
fn polled_queues(setting: Option<String>) -> Vec<String> {
    let mut queues: Vec<String> = setting
        .unwrap_or_else(|| "file_processing,email".into())
        .split(',')
        .map(|q| q.trim().to_string())
        .filter(|q| !q.is_empty())
        .collect();
    for q in shared::job::NATIVE_QUEUES {
        if !queues.iter().any(|have| have == q) {
            queues.push((*q).to_string());
        }
    }
    queues
}

fn number<T: std::str::FromStr>(value: Option<String>, default: T) -> T {
    value.and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn serve(req: Request, env: &Env, ctx: Context, settings: Settings) -> ApiResponse {
    let db = match db::HyperdriveDb::from_env(env, settings.db_tls) {
        Ok(db) => db,
        Err(e) => {
            console_error!("the HYPERDRIVE binding is unusable: {e}");
            return render_error(&ApiError::unavailable("the database", e.to_string()));
        }
    };
    let cache = UpstashCache::new(
        fetch::FetchTransport::new(&settings.upstash_url, &settings.upstash_token),
        &settings.redis_prefix,
    );
    // Without a `JOBS` queue binding nothing is pushed and consumers poll, as natively. Both
    // Workers enqueue (the AI Worker: knowledge ingestion), so both announce on `JOBS`.
    let ctx = Arc::new(ctx);
    let job_push: Arc<dyn JobPush> = match env.queue("JOBS") {
        Ok(queue) => Arc::new(queue_push::QueuePush::new(
            queue,
            ctx.clone(),
            settings.polled_queues,
        )),
        Err(_) => Arc::new(NoJobPush),
    };
    // The AI Worker finishes an answered call's books after its response (ctx.wait_until).
    #[cfg(feature = "ai-worker")]
    let background: Arc<dyn powernode_api::ports::background::Background> =
        Arc::new(platform::WaitUntil(ctx));
    #[cfg(not(feature = "ai-worker"))]
    let background: Arc<dyn powernode_api::ports::background::Background> =
        Arc::new(powernode_api::ports::background::Inline);
    let storage: Arc<dyn powernode_api::ports::storage::StorageProviders> =
        Arc::new(storage::EdgeProviders::new(env.clone()));
    // Workers are single-threaded: Arc is only the type Ports asks for, not shared across threads.
    #[allow(clippy::arc_with_non_send_sync)]
    let ports = Ports {
        db: Arc::new(db),
        cache: Arc::new(cache),
        clock: Arc::new(platform::JsClock),
        rng: Arc::new(platform::JsRng),
        passwords: Arc::new(InlineArgon2),
        job_signal: Arc::new(NoJobSignal),
        job_push,
        storage,
        outbound: Arc::new(outbound::FetchOutbound {
            allow_private: settings.config.allow_private_upstreams,
        }),
        background,
    };
    let metrics = METRICS.get_or_init(Arc::default).clone();
    #[cfg(not(feature = "ai-worker"))]
    let part = powernode_api::routes::WITHOUT_AI;
    #[cfg(feature = "ai-worker")]
    let part = powernode_api::routes::AI_ONLY;
    let api = Api::with_part(settings.config, ports, metrics, part);
    let request = match to_api_request(req, &api).await {
        Ok(r) => r,
        Err(e) => return render_error(&e),
    };
    api.handle(request).await
}

async fn to_api_request(mut req: Request, api: &Api) -> Result<ApiRequest, ApiError> {
    let limit = api.config().max_body_bytes;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is over the {limit}-byte limit"),
        )
    };
    let method = Method::from_bytes(req.method().as_ref().as_bytes())
        .map_err(|_| ApiError::bad_request("unknown method"))?;
    let url = req
        .url()
        .map_err(|_| ApiError::bad_request("the URL could not be read"))?;
    let mut headers = HeaderMap::new();
    for (name, value) in req.headers().entries() {
        // A header http cannot represent is one no handler reads; dropping it is safe.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    let client_ip = headers
        .get("cf-connecting-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    // An upload route gets the body as it arrives (its handler enforces the upload limit).
    if api.streams_body(&method, url.path()) {
        let chunks = req
            .stream()
            .map_err(|_| ApiError::bad_request("the body could not be read"))?
            .map(|chunk| {
                chunk
                    .map(Bytes::from)
                    .map_err(|e| StorageError::Body(e.to_string()))
            });
        return Ok(ApiRequest {
            method,
            path: url.path().to_string(),
            query: url.query().map(str::to_string),
            headers,
            body: Bytes::new(),
            stream: BodySlot::new(Box::pin(chunks)),
            client_ip,
        });
    }
    // Refuse a declared oversize body before reading it.
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| ApiError::bad_request("the body could not be read"))?;
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(ApiRequest {
        method,
        path: url.path().to_string(),
        query: url.query().map(str::to_string),
        headers,
        body: Bytes::from(body),
        stream: BodySlot::default(),
        client_ip,
    })
}

fn to_worker_response(response: ApiResponse) -> worker::Result<Response> {
    let (parts, body) = response.into_parts();
    let headers = Headers::new();
    for (name, value) in &parts.headers {
        // The core only writes ASCII header values.
        if let Ok(v) = value.to_str() {
            headers.append(name.as_str(), v)?;
        }
    }
    let response = match body {
        ResponseBody::Full(bytes) => Response::from_bytes(bytes.to_vec())?,
        ResponseBody::Stream(chunks) => Response::from_stream(chunks.map(|chunk| {
            chunk
                .map(|b| b.to_vec())
                .map_err(|e| worker::Error::RustError(e.to_string()))
        }))?,
    };
    Ok(response
        .with_status(parts.status.as_u16())
        .with_headers(headers))
}
