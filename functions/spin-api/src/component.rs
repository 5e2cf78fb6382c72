//! The Spin HTTP entry point (wasm32 only): read the body up to the limit, hand the core an
//! `ApiRequest`, write out its response. Ports are built per request because Spin gives every
//! request a fresh instance.

use std::sync::Arc;

use futures::StreamExt;
use powernode_api::error::ApiError;
use powernode_api::http::render_error;
use powernode_api::ports::outbound::NoOutbound;
use powernode_api::ports::storage::NoStorage;
use powernode_api::ports::{JobPush, NoJobSignal};
use powernode_api::{Api, Ports};
use spin_sdk::http::IncomingRequest;

use crate::http::{BodyReader, api_request, spin_response};
use crate::platform::{InlineArgon2, WasiClock, WasiRng};

#[spin_sdk::http_component]
async fn handle(req: IncomingRequest) -> http::Response<Vec<u8>> {
    init_logging();
    match build_api() {
        Ok(api) => spin_response(serve(&api, req).await).await,
        Err(error) => spin_response(render_error(&error)).await,
    }
}

/// Plain lines on stderr, which Spin keeps as the component's log. Spin gives each request a
/// fresh instance, but a host that reuses one would initialise twice: the second is ignored.
fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

async fn serve(api: &Api, req: IncomingRequest) -> powernode_api::ApiResponse {
    let method = req.method().to_string();
    let path = req.path_with_query().unwrap_or_else(|| "/".into());
    let headers = req.headers().entries();
    let mut body = BodyReader::new(api.config().max_body_bytes);
    let mut stream = req.into_body_stream();
    while let Some(chunk) = stream.next().await {
        let pushed = match chunk {
            Ok(chunk) => body.push(&chunk),
            Err(_) => Err(ApiError::bad_request("the body could not be read")),
        };
        if let Err(error) = pushed {
            return render_error(&error);
        }
    }
    match api_request(&method, &path, headers, body.finish()) {
        Ok(request) => api.handle(request).await,
        Err(error) => render_error(&error),
    }
}

fn common_ports(
    db: Arc<dyn powernode_api::ports::Db>,
    cache: Arc<dyn powernode_api::ports::Cache>,
    job_push: Arc<dyn JobPush>,
) -> Ports {
    Ports {
        db,
        cache,
        clock: Arc::new(WasiClock),
        rng: Arc::new(WasiRng),
        passwords: Arc::new(InlineArgon2),
        job_signal: Arc::new(NoJobSignal),
        job_push,
        storage: Arc::new(NoStorage),
        // Spin's outbound HTTP (and its timers) are not wired yet: AI calls answer 503.
        outbound: Arc::new(NoOutbound),
        background: Arc::new(powernode_api::ports::background::Inline),
    }
}

#[cfg(not(feature = "no-spin-imports"))]
fn build_api() -> Result<Api, ApiError> {
    use crate::config::SpinSettings;
    use crate::pg::{SpinDb, spin::SpinConnector as PgConnector};
    use crate::push::{SpinJobPush, spin::SpinPublisher};
    use crate::redis::{SpinCache, spin::SpinConnector as RedisConnector};

    let settings =
        SpinSettings::from_lookup(|name| spin_sdk::variables::get(name).ok()).map_err(|e| {
            // Names only: ConfigError never carries a value.
            tracing::error!(error = %e, "configuration");
            ApiError::internal(e.to_string())
        })?;
    let db = SpinDb::new(PgConnector {
        address: settings.database_url.clone(),
    });
    let cache = SpinCache::new(
        RedisConnector {
            address: settings.redis_url.clone(),
        },
        &settings.redis_prefix,
    );
    let push = SpinJobPush::new(
        SpinPublisher::new(settings.redis_url.clone()),
        &settings.jobs_channel,
    );
    Ok(Api::new(
        settings.api_config(),
        common_ports(Arc::new(db), Arc::new(cache), Arc::new(push)),
    ))
}

#[cfg(feature = "no-spin-imports")]
fn build_api() -> Result<Api, ApiError> {
    use powernode_api::ApiConfig;
    use powernode_api::ports::{NoJobPush, Rng};

    use crate::unavailable::{NoCache, NoDb};

    // Random per instance: no token can be forged, and none issued here outlives the request.
    let mut jwt = [0u8; 32];
    let mut service = [0u8; 32];
    WasiRng.fill(&mut jwt);
    WasiRng.fill(&mut service);
    let config = ApiConfig::new(jwt.to_vec(), service.to_vec());
    Ok(Api::new(
        config,
        // No Redis to publish on; nothing commits without a database anyway.
        common_ports(Arc::new(NoDb), Arc::new(NoCache), Arc::new(NoJobPush)),
    ))
}
