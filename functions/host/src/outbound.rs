//! The native outbound HTTP port: one pooled reqwest client. Unless private upstreams are
//! allowed, its resolver drops every inward address a name resolves to, so a provider's host
//! that resolves to loopback or a metadata address is refused at connect time, not only when
//! its URL was saved.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use powernode_api::maybe_async_trait;
use powernode_api::ports::outbound::{Outbound, OutboundError, OutboundRequest, OutboundResponse};
use powernode_api::service::upstream_address::{check_base_url, ip_is_public};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Outbound HTTP over reqwest.
pub struct ReqwestOutbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl ReqwestOutbound {
    /// A client; `allow_private` is `POWERNODE_ALLOW_PRIVATE_UPSTREAMS`.
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            // Redirects would take a request somewhere the saved URL did not say.
            .redirect(reqwest::redirect::Policy::none());
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build()?,
            allow_private,
        })
    }
}

/// Resolves names to their public addresses only.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                all.into_iter().filter(|a| ip_is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback, private, link-local or metadata addresses"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

maybe_async_trait! {
impl Outbound for ReqwestOutbound {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        // IP literals never reach the resolver: check the URL itself too.
        check_base_url(&request.url, self.allow_private).map_err(OutboundError::Blocked)?;
        let mut builder = self
            .client
            .request(request.method, &request.url)
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let call = builder.send();
        let response = match tokio::time::timeout(request.connect_timeout, call).await {
            Ok(Ok(response)) => response,
            // The error's text names the URL, never a header.
            Ok(Err(e)) => return Err(connect_error(&e)),
            Err(_) => {
                return Err(OutboundError::Connect(format!(
                    "no answer within {} ms",
                    request.connect_timeout.as_millis()
                )));
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(|e| OutboundError::Body(e.to_string())));
        Ok(OutboundResponse {
            status,
            headers,
            body: Box::pin(body),
        })
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
}

fn connect_error(e: &reqwest::Error) -> OutboundError {
    // reqwest's Display stops at the outer error; the resolver's refusal is in the chain.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    if text.contains("resolves only to loopback") {
        OutboundError::Blocked(text)
    } else {
        OutboundError::Connect(text)
    }
}
