//! Serving the API with axum. The adapter is thin: read the body (up to the limit), hand an
//! `ApiRequest` to `Api::handle`, write its response. Routing, auth and errors are the core's.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt as _;
use jobs::consumer::{Consumer, ConsumerConfig};
use jobs::job::Registry;
use jobs::schedule::{SCHEDULES, Scheduler};
use powernode_api::error::ApiError;
use powernode_api::http::{BodySlot, render_error};
use powernode_api::ports::storage::StorageError;
use powernode_api::ports::{Cache, CacheError, JobSignal, NoJobPush, NoJobSignal};
use powernode_api::service::admin::{self, AdminSeed};
use powernode_api::service::credentials::CredentialKey;
use powernode_api::{
    Api, ApiConfig, ApiRequest, ApiResponse, Ports, ResponseBody, maybe_async_trait, migrate,
};
use powernode_pg::pool::PgPool;
use powernode_storage::NativeProviders;
use shared::ErrorCode;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::cache::RedisCache;
use crate::config::{ConsumerSettings, HostConfig};
use crate::outbound::ReqwestOutbound;
use crate::platform::{BlockingArgon2, OsRng, SystemClock, TokioBackground};
use crate::web::WebUi;

/// How long in-flight requests may take to finish after a stop signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the API against the configured Postgres and Redis.
pub async fn build_api(config: &HostConfig) -> Result<Arc<Api>> {
    let cache = RedisCache::connect(&config.redis_url, &config.redis_prefix)
        .await
        .context("connecting to Redis")?;
    let signal = powernode_pg::listen::PgJobSignal::spawn(&config.database_url);
    api_with(config, Arc::new(cache), signal)
}

/// Builds the API for commands that need only Postgres (`migrate`, `create-admin`).
pub fn build_api_without_cache(config: &HostConfig) -> Result<Arc<Api>> {
    api_with(config, Arc::new(NoCache), Arc::new(NoJobSignal))
}

fn api_with(
    config: &HostConfig,
    cache: Arc<dyn Cache>,
    job_signal: Arc<dyn JobSignal>,
) -> Result<Arc<Api>> {
    let db = PgPool::new(&config.database_url, config.db_pool_size)
        .context("configuring the Postgres pool")?;
    let ports = Ports {
        db: Arc::new(db),
        cache,
        clock: Arc::new(SystemClock),
        rng: Arc::new(OsRng),
        passwords: Arc::new(BlockingArgon2),
        job_signal,
        job_push: Arc::new(NoJobPush),
        storage: Arc::new(NativeProviders::new(config.data_dir.join("files"))),
        outbound: Arc::new(
            ReqwestOutbound::new(config.allow_private_upstreams)
                .context("building the outbound HTTP client")?,
        ),
        background: Arc::new(TokioBackground),
    };
    let mut api_config = ApiConfig::new(
        config.secrets.jwt_secret.clone().into_bytes(),
        config.secrets.worker_service_token.clone().into_bytes(),
    );
    api_config.runaway = config.runaway;
    api_config.max_upload_bytes = config.max_upload_bytes;
    api_config.public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.http_addr));
    api_config.allow_private_upstreams = config.allow_private_upstreams;
    api_config.ai_breaker_cooldown_ms = config.ai_breaker_cooldown_ms;
    api_config.encryption_key = Some(CredentialKey::from_secret(
        config.secrets.encryption_key.as_bytes(),
    ));
    Ok(Arc::new(Api::new(api_config, ports)))
}

/// Applies migrations and seeds the configured admin.
pub async fn prepare(api: &Api, config: &HostConfig) -> Result<()> {
    let applied = migrate::run(api).await.context("migrating the database")?;
    tracing::info!(applied = applied.len(), "database schema is current");
    if let Some((email, password)) = &config.admin {
        match admin::ensure_platform_admin(api, email, password, Some("Platform admin")).await {
            Ok(AdminSeed::Created) => tracing::info!("platform admin created"),
            Ok(AdminSeed::AlreadyPresent) => tracing::info!("platform admin present"),
            Err(e) => anyhow::bail!("seeding the platform admin: {} {:?}", e.message, e.details),
        }
    }
    Ok(())
}

/// A running server.
pub struct Running {
    /// Where it listens (the real port when configured with port 0).
    pub addr: SocketAddr,
    /// The API it serves.
    pub api: Arc<Api>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    consumers: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (up to `DRAIN_TIMEOUT`), and returns.
    pub async fn stop(self) -> Result<()> {
        // Consumers first: they settle their last jobs through this very server.
        if let Some((stop, task)) = self.consumers {
            let _ = stop.send(true);
            let _ = task.await;
        }
        let _ = self.stop.send(());
        match tokio::time::timeout(DRAIN_TIMEOUT, self.task).await {
            Ok(joined) => joined.context("server task")?.context("server"),
            Err(_) => {
                anyhow::bail!("requests still running after {DRAIN_TIMEOUT:?}; stopped anyway")
            }
        }
    }
}

/// Migrates, seeds, binds and serves in the background.
pub async fn start(config: HostConfig) -> Result<Running> {
    let api = build_api(&config).await?;
    prepare(&api, &config).await?;
    let listener = TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("binding {}", config.http_addr))?;
    let addr = listener.local_addr()?;
    let web = config.web_dir.as_deref().and_then(WebUi::open);
    match (&web, &config.web_dir) {
        (Some(_), Some(dir)) => tracing::info!(dir = %dir.display(), "serving the web UI at /"),
        (None, Some(dir)) => tracing::info!(
            dir = %dir.display(),
            "no web UI build there (scripts/dev builds one); serving the API only"
        ),
        _ => {}
    }
    let state = AppState {
        api: api.clone(),
        trust_proxy: config.trust_proxy,
        web,
    };
    let app = Router::new().fallback(handle).with_state(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    let consumers = match &config.consumers {
        Some(c) => Some(start_consumers(
            &format!("http://{addr}"),
            &config.secrets.worker_service_token,
            c,
        )?),
        None => None,
    };
    Ok(Running {
        addr,
        api,
        stop,
        task,
        consumers,
    })
}

/// Runs the queue consumers and the scheduler beside the API, as separate clients of it: they
/// claim, settle and enqueue over HTTP with the service token, exactly as from another machine
/// (public so the tests can run them against an API on another runtime).
pub fn start_consumers(
    api_url: &str,
    service_token: &str,
    settings: &ConsumerSettings,
) -> Result<(watch::Sender<bool>, JoinHandle<()>)> {
    let url = settings
        .backend_api_url
        .clone()
        .unwrap_or_else(|| api_url.to_string());
    let client =
        jobs::client::BackendApiClient::new(&url, service_token.as_bytes(), jobs::SERVICE_NAME)
            .map_err(|e| anyhow::anyhow!("consumer client: {e}"))?;
    let client = Arc::new(client);
    let mut consumer_config = ConsumerConfig::new(settings.queues.clone());
    consumer_config.concurrency = settings.concurrency;
    let registry = Arc::new(Registry::with_platform_mail(
        client.clone(),
        settings.mail.clone(),
    ));
    let consumer = Consumer::new(client.clone(), registry, consumer_config);
    let scheduler = Scheduler::new(client, SCHEDULES, chrono::Utc::now())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (stop, stopped) = watch::channel(false);
    let scheduler_stopped = stopped.clone();
    let task = tokio::spawn(async move {
        tokio::join!(consumer.run(stopped), scheduler.run(scheduler_stopped));
    });
    Ok((stop, task))
}

#[derive(Clone)]
struct AppState {
    api: Arc<Api>,
    trust_proxy: bool,
    web: Option<WebUi>,
}

async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    if let Some(web) = &state.web
        && matches!(*req.method(), http::Method::GET | http::Method::HEAD)
        && !state.api.serves_path(req.uri().path())
    {
        return web.serve(req).await;
    }
    let (parts, body) = req.into_parts();
    // An upload route gets the body as it arrives (its handler enforces the upload limit);
    // any other body is read whole, up to the limit.
    let (body, stream) = if state.api.streams_body(&parts.method, parts.uri.path()) {
        let chunks = body
            .into_data_stream()
            .map(|chunk| chunk.map_err(|e| StorageError::Body(e.to_string())));
        (Bytes::new(), BodySlot::new(Box::pin(chunks)))
    } else {
        let limit = state.api.config().max_body_bytes;
        match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => (bytes, BodySlot::default()),
            Err(e) => {
                let too_large = std::error::Error::source(&e).is_some_and(|s| {
                    s.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                });
                let error = if too_large {
                    ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("the body is over the {limit}-byte limit"),
                    )
                } else {
                    ApiError::bad_request("the body could not be read")
                };
                return into_axum(render_error(&error));
            }
        }
    };
    let client_ip = if state.trust_proxy {
        forwarded_for(&parts.headers).unwrap_or(peer.ip())
    } else {
        peer.ip()
    };
    let request = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        stream,
        client_ip: Some(client_ip),
    };
    into_axum(state.api.handle(request).await)
}

/// The core's response as axum's: whole bodies as they are, streams chunk by chunk.
fn into_axum(response: ApiResponse) -> Response {
    response.map(|body| match body {
        ResponseBody::Full(bytes) => axum::body::Body::from(bytes),
        ResponseBody::Stream(chunks) => axum::body::Body::from_stream(chunks),
    })
}

fn forwarded_for(headers: &http::HeaderMap) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// The cache for commands that do not serve requests.
struct NoCache;

maybe_async_trait! {
impl Cache for NoCache {
    async fn set_nx_ex(&self, _: &str, _: &str, _: u64) -> Result<bool, CacheError> {
        Err(unconfigured())
    }
    async fn incr_with_ttl(&self, _: &str, _: u64) -> Result<i64, CacheError> { Err(unconfigured()) }
    async fn get(&self, _: &str) -> Result<Option<String>, CacheError> { Err(unconfigured()) }
    async fn ttl(&self, _: &str) -> Result<Option<u64>, CacheError> { Err(unconfigured()) }
    async fn del(&self, _: &str) -> Result<(), CacheError> { Err(unconfigured()) }
    async fn ping(&self) -> Result<(), CacheError> { Err(unconfigured()) }
    async fn incr_many_with_ttl(&self, _: &[(String, i64)], _: u64) -> Result<Vec<i64>, CacheError> {
        Err(unconfigured())
    }
    async fn get_many(&self, _: &[String]) -> Result<Vec<Option<String>>, CacheError> { Err(unconfigured()) }
    async fn set_ex(&self, _: &str, _: &str, _: u64) -> Result<(), CacheError> { Err(unconfigured()) }
    async fn push_capped(&self, _: &[(String, Vec<String>)], _: usize) -> Result<(), CacheError> {
        Err(unconfigured())
    }
    async fn list(&self, _: &str, _: usize) -> Result<Vec<String>, CacheError> { Err(unconfigured()) }
    async fn eval_ints(&self, _: &str, _: &[String], _: &[String]) -> Result<Vec<i64>, CacheError> {
        Err(unconfigured())
    }
}
}

fn unconfigured() -> CacheError {
    CacheError::Unavailable("this command runs without Redis".into())
}
