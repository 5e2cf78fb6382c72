//! `BackendApiClient`: the worker routes over HTTP, authenticated with a service JWT that the
//! client mints itself from `WORKER_SERVICE_TOKEN` (short-lived, renewed before expiry). The
//! HTTP itself goes through a `Transport`, so the same client runs natively and at the edge.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::ai::{ChatAnswer, ChatRequest, EmbeddingsAnswer, EmbeddingsRequest};
use shared::api::jobs::{
    BatchOutcome, ClaimByIdRequest, ClaimRequest, ClaimedJob, CompleteRequest, Completion, Enqueue,
    EnqueueBatchRequest, EnqueueRequest, FailRequest, Failure, HeartbeatRequest,
    IdempotencyRequest, IdempotencyState, PruneReport, PruneRequest, RelayReport, RescueReport,
    SnoozeRequest,
};
use shared::api::maintenance::{MaintenanceReport, MaintenanceTask};
use shared::api::webhooks::{ReportWebhookEventRequest, WebhookEventDetail};
use shared::retry_policy::is_api_error_status;
use shared::tokens::{ServiceClaims, sign_service};
use uuid::Uuid;

#[cfg(not(target_arch = "wasm32"))]
use crate::breaker::{AI_PROVIDER, CircuitBreaker};
use crate::platform;
use crate::transport::Transport;

/// Lifetime of the service tokens the client mints.
const TOKEN_TTL_SECONDS: i64 = 300;
/// Time a plain call may take (ARCHITECTURE.md: the backend API breaker's call timeout).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Time an LLM proxy call may take (ARCHITECTURE.md: the AI breaker's call timeout).
pub const AI_CALL_TIMEOUT: Duration = Duration::from_secs(600);
/// Time a maintenance task may take: a sweep or a backup walks whole storages.
pub const MAINTENANCE_TIMEOUT: Duration = Duration::from_secs(900);

/// Why a call to the API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error envelope.
    #[error("API answered {status} {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The envelope's `code`.
        code: String,
        /// The envelope's `error`.
        message: String,
    },
    /// No answer: connection refused, reset, timed out.
    #[error("API unreachable: {0}")]
    Transport(String),
    /// An answer that is not the envelope expected.
    #[error("API answer not understood: {0}")]
    Decode(String),
    /// The breaker for the API is open; the call was not made.
    #[error("circuit open for {0}; not calling")]
    CircuitOpen(&'static str),
    /// The service token could not be signed (empty secret).
    #[error("cannot sign the service token: {0}")]
    Token(String),
}

impl ClientError {
    /// Transient: worth retrying, and an "API error" for the backoff policy (408, 429, 5xx
    /// from the API, or no answer at all).
    pub fn is_api_error(&self) -> bool {
        match self {
            ClientError::Api { status, .. } => is_api_error_status(*status),
            ClientError::Transport(_) | ClientError::CircuitOpen(_) => true,
            ClientError::Decode(_) | ClientError::Token(_) => false,
        }
    }
}

/// The API's worker routes.
pub struct BackendApiClient {
    base_url: String,
    transport: Arc<dyn Transport>,
    secret: Vec<u8>,
    service: String,
    token: Mutex<Option<(String, i64)>>,
    /// Guards the LLM proxy calls (600 s each): a proxy whose providers all fail opens it, so
    /// jobs fail fast instead of each waiting out the timeout. Native only: an edge consumer
    /// lives for one delivery, so a breaker of its own would never see a second failure (the
    /// proxy's shared breakers still guard the providers).
    #[cfg(not(target_arch = "wasm32"))]
    ai_breaker: CircuitBreaker,
}

impl BackendApiClient {
    /// A client for the API at `base_url` (e.g. `http://127.0.0.1:8080`), signing as
    /// `service`, over reqwest.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(
        base_url: &str,
        worker_service_token: &[u8],
        service: &str,
    ) -> Result<Self, ClientError> {
        let transport = crate::transport::reqwest::ReqwestTransport::new()?;
        Ok(Self::with_transport(
            base_url,
            worker_service_token,
            service,
            Arc::new(transport),
        ))
    }

    /// A client for the API at `base_url` over the runtime's own HTTP (the edge adapters).
    pub fn with_transport(
        base_url: &str,
        worker_service_token: &[u8],
        service: &str,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            transport,
            secret: worker_service_token.to_vec(),
            service: service.to_string(),
            token: Mutex::new(None),
            #[cfg(not(target_arch = "wasm32"))]
            ai_breaker: CircuitBreaker::new(AI_PROVIDER),
        }
    }

    /// A current service token, for callers that reach worker routes this client has no
    /// method for (the media runner's file transfers).
    pub fn bearer_token(&self) -> Result<String, ClientError> {
        self.token()
    }

    /// The API's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn token(&self) -> Result<String, ClientError> {
        let now = platform::now().timestamp();
        let mut slot = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, exp)) = slot.as_ref()
            && *exp - 60 > now
        {
            return Ok(token.clone());
        }
        let claims = ServiceClaims::new(&self.service, now, TOKEN_TTL_SECONDS);
        let token =
            sign_service(&claims, &self.secret).map_err(|e| ClientError::Token(e.to_string()))?;
        *slot = Some((token.clone(), claims.exp));
        Ok(token)
    }

    /// POSTs `body` to `path` and returns the envelope's `data`.
    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<R, ClientError> {
        let body = serde_json::to_vec(body).map_err(|e| ClientError::Decode(e.to_string()))?;
        let reply = self
            .transport
            .post(
                &format!("{}{path}", self.base_url),
                &self.token()?,
                body,
                timeout,
            )
            .await?;
        decode(reply)
    }

    /// Sends `method` to `path` (with `body` as JSON when given) and returns the envelope's
    /// `data`: the worker routes that are not POSTs.
    pub async fn request<B: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
        timeout: Duration,
    ) -> Result<R, ClientError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let reply = self
            .transport
            .send(
                method,
                &format!("{}{path}", self.base_url),
                &self.token()?,
                body,
                timeout,
            )
            .await?;
        decode(reply)
    }

    /// A chat call through the API's LLM proxy, billed to `account` and recorded against `job`
    /// in the ledger. Not streamed. Guarded by the AI breaker.
    pub async fn ai_chat(
        &self,
        mut req: ChatRequest,
        account: Uuid,
        job: Option<Uuid>,
    ) -> Result<ChatAnswer, ClientError> {
        req.account_id = Some(account);
        req.stream = Some(false);
        if let Some(job) = job {
            let mut metadata = req.metadata.take().unwrap_or_else(|| serde_json::json!({}));
            if let Some(m) = metadata.as_object_mut() {
                m.insert("job_id".into(), serde_json::json!(job));
            }
            req.metadata = Some(metadata);
        }
        self.through_ai_breaker(self.post("/api/v1/worker/ai/chat", &req, AI_CALL_TIMEOUT))
            .await
    }

    /// Embeddings through the API's LLM proxy, billed to `account`. Guarded by the AI breaker.
    pub async fn ai_embeddings(
        &self,
        mut req: EmbeddingsRequest,
        account: Uuid,
    ) -> Result<EmbeddingsAnswer, ClientError> {
        req.account_id = Some(account);
        self.through_ai_breaker(self.post("/api/v1/worker/ai/embeddings", &req, AI_CALL_TIMEOUT))
            .await
    }

    /// Natively, through the AI breaker.
    #[cfg(not(target_arch = "wasm32"))]
    async fn through_ai_breaker<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        self.ai_breaker.call(call).await
    }

    /// At the edge, directly (see `ai_breaker`).
    #[cfg(target_arch = "wasm32")]
    async fn through_ai_breaker<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        call.await
    }

    /// A webhook event with its payload and provider.
    pub async fn webhook_event(&self, id: Uuid) -> Result<WebhookEventDetail, ClientError> {
        self.request::<(), _>(
            "GET",
            &format!("/api/v1/worker/webhooks/events/{id}"),
            None,
            CALL_TIMEOUT,
        )
        .await
    }

    /// Records the outcome of a pending webhook event.
    pub async fn report_webhook_event(
        &self,
        id: Uuid,
        report: &ReportWebhookEventRequest,
    ) -> Result<WebhookEventDetail, ClientError> {
        self.request(
            "PATCH",
            &format!("/api/v1/worker/webhooks/events/{id}"),
            Some(report),
            CALL_TIMEOUT,
        )
        .await
    }

    /// Claims up to `limit` jobs, waiting up to `wait_seconds` for one to arrive.
    pub async fn claim(
        &self,
        worker: &str,
        queues: &[String],
        limit: usize,
        lease_seconds: i64,
        wait_seconds: i64,
    ) -> Result<Vec<ClaimedJob>, ClientError> {
        let body = ClaimRequest {
            queues: Some(queues.to_vec()),
            limit: Some(i64::try_from(limit).unwrap_or(1)),
            lease_seconds: Some(lease_seconds),
            worker_id: Some(worker.to_string()),
            wait_seconds: Some(wait_seconds),
        };
        let timeout = CALL_TIMEOUT.max(Duration::from_secs(
            u64::try_from(wait_seconds).unwrap_or(0) + 30,
        ));
        self.post("/api/v1/worker/queue/claim", &body, timeout)
            .await
    }

    /// Claims one announced job by id; `None` when it is not claimable (taken, finished, not
    /// due, or its queue paused).
    pub async fn claim_by_id(
        &self,
        worker: &str,
        id: Uuid,
        lease_seconds: i64,
    ) -> Result<Option<ClaimedJob>, ClientError> {
        let body = ClaimByIdRequest {
            worker_id: Some(worker.to_string()),
            lease_seconds: Some(lease_seconds),
        };
        self.post(
            &format!("/api/v1/worker/queue/jobs/{id}/claim"),
            &body,
            CALL_TIMEOUT,
        )
        .await
    }

    /// Enqueues platform jobs in one transaction.
    pub async fn enqueue(&self, jobs: Vec<EnqueueRequest>) -> Result<Vec<Enqueue>, ClientError> {
        self.post(
            "/api/v1/worker/queue/enqueue",
            &EnqueueBatchRequest { jobs: Some(jobs) },
            CALL_TIMEOUT,
        )
        .await
    }

    /// `already_processed(key)`: whether an effect guarded by `key` was done.
    pub async fn already_processed(&self, key: &str) -> Result<bool, ClientError> {
        let body = IdempotencyRequest {
            key: Some(key.into()),
            ttl_seconds: None,
        };
        let state: IdempotencyState = self
            .post("/api/v1/worker/idempotency/check", &body, CALL_TIMEOUT)
            .await?;
        Ok(state.processed)
    }

    /// `mark_processed(key)`: records the effect as done; true only for the call that marked it.
    pub async fn mark_processed(&self, key: &str) -> Result<bool, ClientError> {
        let body = IdempotencyRequest {
            key: Some(key.into()),
            ttl_seconds: None,
        };
        let state: IdempotencyState = self
            .post("/api/v1/worker/idempotency/mark", &body, CALL_TIMEOUT)
            .await?;
        Ok(state.processed)
    }

    /// Re-announces jobs a push transport lost.
    pub async fn relay(&self) -> Result<RelayReport, ClientError> {
        self.post(
            "/api/v1/worker/maintenance/relay",
            &serde_json::json!({}),
            CALL_TIMEOUT,
        )
        .await
    }

    /// Runs the lease rescuer.
    pub async fn rescue(&self) -> Result<RescueReport, ClientError> {
        self.post(
            "/api/v1/worker/maintenance/rescue",
            &serde_json::json!({}),
            CALL_TIMEOUT,
        )
        .await
    }

    /// Runs one scheduled maintenance task in the API.
    pub async fn maintenance(
        &self,
        task: MaintenanceTask,
    ) -> Result<MaintenanceReport, ClientError> {
        self.post(
            &format!("/api/v1/worker/maintenance/{}", task.as_str()),
            &serde_json::json!({}),
            MAINTENANCE_TIMEOUT,
        )
        .await
    }

    /// Deletes completed jobs older than `older_than_seconds`.
    pub async fn prune_jobs(
        &self,
        older_than_seconds: Option<i64>,
    ) -> Result<PruneReport, ClientError> {
        self.post(
            "/api/v1/worker/maintenance/prune_jobs",
            &PruneRequest { older_than_seconds },
            CALL_TIMEOUT,
        )
        .await
    }

    /// Extends leases.
    pub async fn heartbeat(
        &self,
        worker: &str,
        ids: Vec<Uuid>,
        lease_seconds: i64,
    ) -> Result<Vec<BatchOutcome>, ClientError> {
        let body = HeartbeatRequest {
            worker_id: Some(worker.into()),
            ids: Some(ids),
            lease_seconds: Some(lease_seconds),
        };
        self.post("/api/v1/worker/queue/heartbeat", &body, CALL_TIMEOUT)
            .await
    }

    /// Completes jobs.
    pub async fn complete(
        &self,
        worker: &str,
        jobs: Vec<Completion>,
    ) -> Result<Vec<BatchOutcome>, ClientError> {
        let body = CompleteRequest {
            worker_id: Some(worker.into()),
            jobs: Some(jobs),
        };
        self.post("/api/v1/worker/queue/complete", &body, CALL_TIMEOUT)
            .await
    }

    /// Fails jobs.
    pub async fn fail(
        &self,
        worker: &str,
        jobs: Vec<Failure>,
    ) -> Result<Vec<BatchOutcome>, ClientError> {
        let body = FailRequest {
            worker_id: Some(worker.into()),
            jobs: Some(jobs),
        };
        self.post("/api/v1/worker/queue/fail", &body, CALL_TIMEOUT)
            .await
    }

    /// Gives jobs back for `seconds` without spending their attempt.
    pub async fn snooze(
        &self,
        worker: &str,
        ids: Vec<Uuid>,
        seconds: i64,
    ) -> Result<Vec<BatchOutcome>, ClientError> {
        let body = SnoozeRequest {
            worker_id: Some(worker.into()),
            ids: Some(ids),
            seconds: Some(seconds),
        };
        self.post("/api/v1/worker/queue/snooze", &body, CALL_TIMEOUT)
            .await
    }
}

/// The envelope's `data`, or its error.
fn decode<R: DeserializeOwned>(reply: crate::transport::HttpReply) -> Result<R, ClientError> {
    let status = reply.status;
    let envelope: serde_json::Value = serde_json::from_slice(&reply.body).map_err(|e| {
        if status >= 500 {
            ClientError::Api {
                status,
                code: "internal".into(),
                message: e.to_string(),
            }
        } else {
            ClientError::Decode(e.to_string())
        }
    })?;
    if envelope["success"] == true {
        serde_json::from_value(envelope["data"].clone())
            .map_err(|e| ClientError::Decode(e.to_string()))
    } else {
        // A 422's field problems are what a job's error log should say, not just "invalid".
        let mut message = envelope["error"].as_str().unwrap_or_default().to_string();
        for d in envelope["details"].as_array().into_iter().flatten() {
            if let (Some(field), Some(why)) = (d["field"].as_str(), d["message"].as_str()) {
                message.push_str(&format!("; {field}: {why}"));
            }
        }
        Err(ClientError::Api {
            status,
            code: envelope["code"].as_str().unwrap_or("unknown").to_string(),
            message,
        })
    }
}
