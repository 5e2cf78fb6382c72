//! The route table: every route's method, path, who may call it, and its documentation. The
//! router, the permission checks and the OpenAPI document are all built from this one list;
//! `dispatch` maps each route to its handler.

use http::Method;
use shared::Permission;

use crate::context::Ctx;
use crate::error::ApiResult;
use crate::handlers;
use crate::http::Outcome;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A signed-in user, holding the permission if one is named.
    User(Option<Permission>),
    /// A consumer with the service token only.
    Service,
    /// An account API key (`pn_...`): the OpenAI-compatible surface.
    ApiKey,
}

/// Names every route, so dispatch is an exhaustive `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum RouteId {
    Health,
    Ready,
    Metrics,
    OpenApi,
    AuthRegister,
    AuthLogin,
    AuthRefresh,
    AuthLogout,
    AuthMe,
    UsersList,
    UsersCreate,
    UsersUpdate,
    UsersDelete,
    FilesUpload,
    FilesUploadCreate,
    FilesUploadContent,
    FilesUploadComplete,
    FilesThumbnail,
    FilesPoster,
    FilesList,
    FilesGet,
    FilesDownload,
    FilesUpdate,
    FilesDelete,
    FilesRestore,
    FilesReprocess,
    FilesProcessingJobs,
    FilesAddTags,
    FilesRemoveTag,
    TagsList,
    FilesVersionCreate,
    FilesVersionList,
    FilesVersionDownload,
    FilesVersionRestore,
    FilesSignedUrl,
    FilesSignedContent,
    SharesCreate,
    SharesList,
    SharesRevoke,
    ShareDownload,
    StoragesList,
    StoragesCreate,
    StoragesUpdate,
    StoragesDelete,
    StoragesTest,
    AdminQueues,
    AdminQueueHistory,
    AdminQueuePause,
    AdminQueueResume,
    AdminJobsList,
    AdminJobsEnqueue,
    AdminJobGet,
    AdminJobRetry,
    AdminJobDiscard,
    AdminJobTypeRuns,
    WebhookEndpointsCreate,
    WebhookEndpointsList,
    WebhookEndpointsDelete,
    WebhookEventsList,
    WebhookEventGet,
    WebhookEventReplay,
    WebhookReceive,
    WorkerClaim,
    WorkerClaimById,
    WorkerHeartbeat,
    WorkerComplete,
    WorkerFail,
    WorkerSnooze,
    WorkerEnqueue,
    WorkerRescue,
    WorkerRelay,
    WorkerPrune,
    WorkerMaintenance,
    WorkerIdempotencyCheck,
    WorkerIdempotencyMark,
    WorkerFileGet,
    WorkerFileContent,
    WorkerFileThumbnail,
    WorkerFilePoster,
    WorkerFileMetadata,
    WorkerFileProcessingJob,
    WorkerWebhookEventGet,
    WorkerWebhookEventReport,
    AiProvidersList,
    AiProvidersCreate,
    AiProvidersUpdate,
    AiProvidersDelete,
    AiProvidersTest,
    AiChat,
    AiEmbeddings,
    WorkerAiChat,
    WorkerAiEmbeddings,
    AiKeysCreate,
    AiKeysList,
    AiKeysDelete,
    AiUsage,
    AiRequests,
    AiBudgetGet,
    AiBudgetPut,
    OpenAiChatCompletions,
    OpenAiEmbeddings,
    OpenAiModels,
    KnowledgeBasesCreate,
    KnowledgeBasesList,
    KnowledgeBasesGet,
    KnowledgeBasesDelete,
    KnowledgeDocumentsAdd,
    KnowledgeDocumentsList,
    KnowledgeDocumentsGet,
    KnowledgeDocumentsDelete,
    KnowledgeSearch,
    WorkerKnowledgeSearch,
    WorkerKnowledgeSource,
    WorkerKnowledgeChunks,
    WorkerKnowledgeEmbeddings,
    WorkerKnowledgeReady,
    WorkerKnowledgeFailed,
    WorkerKnowledgeText,
    AgentsCreate,
    AgentsList,
    AgentsGet,
    AgentsUpdate,
    AgentsDelete,
    AgentRunsStart,
    RunsList,
    RunsGet,
    RunsCancel,
    RunsEvents,
    WorkerRunStart,
    WorkerRunTool,
    WorkerRunFinish,
}

impl RouteId {
    /// The AI section's routes (API.md "AI"): the LLM proxy and what it keeps. A deployment can
    /// serve them apart from the rest (the Cloudflare API Worker hands them to the AI Worker).
    pub fn is_ai(self) -> bool {
        use RouteId as R;
        matches!(
            self,
            R::AiProvidersList
                | R::AiProvidersCreate
                | R::AiProvidersUpdate
                | R::AiProvidersDelete
                | R::AiProvidersTest
                | R::AiChat
                | R::AiEmbeddings
                | R::WorkerAiChat
                | R::WorkerAiEmbeddings
                | R::AiKeysCreate
                | R::AiKeysList
                | R::AiKeysDelete
                | R::AiUsage
                | R::AiRequests
                | R::AiBudgetGet
                | R::AiBudgetPut
                | R::OpenAiChatCompletions
                | R::OpenAiEmbeddings
                | R::OpenAiModels
                | R::KnowledgeBasesCreate
                | R::KnowledgeBasesList
                | R::KnowledgeBasesGet
                | R::KnowledgeBasesDelete
                | R::KnowledgeDocumentsAdd
                | R::KnowledgeDocumentsList
                | R::KnowledgeDocumentsGet
                | R::KnowledgeDocumentsDelete
                | R::KnowledgeSearch
                | R::WorkerKnowledgeSearch
                | R::WorkerKnowledgeSource
                | R::WorkerKnowledgeChunks
                | R::WorkerKnowledgeEmbeddings
                | R::WorkerKnowledgeReady
                | R::WorkerKnowledgeFailed
                | R::WorkerKnowledgeText
                | R::AgentsCreate
                | R::AgentsList
                | R::AgentsGet
                | R::AgentsUpdate
                | R::AgentsDelete
                | R::AgentRunsStart
                | R::RunsList
                | R::RunsGet
                | R::RunsCancel
                | R::RunsEvents
                | R::WorkerRunStart
                | R::WorkerRunTool
                | R::WorkerRunFinish
        )
    }

    /// Routes every part serves (health and readiness, so each deployment is checked alike).
    fn is_shared(self) -> bool {
        matches!(self, RouteId::Health | RouteId::Ready)
    }
}

/// Whether `path` is one of the AI section's (what a deployment split in two forwards to
/// its AI half).
pub fn is_ai_path(path: &str) -> bool {
    [
        "/v1/",
        "/api/v1/ai/",
        "/api/v1/worker/ai/",
        "/api/v1/knowledge/",
        "/api/v1/worker/knowledge/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

/// A future of a handler's outcome (`Send` natively, where axum spawns it).
#[cfg(not(target_arch = "wasm32"))]
pub type Handling<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = ApiResult<Outcome>> + Send + 'a>>;
/// A future of a handler's outcome.
#[cfg(target_arch = "wasm32")]
pub type Handling<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = ApiResult<Outcome>> + 'a>>;

/// Which routes an `Api` serves, and the dispatch that reaches only their handlers. A part's
/// dispatch names only its own handlers, so a build that uses one part links no other part's
/// code (the Workers split the API this way to stay under the 1 MiB bundle limit).
#[derive(Clone, Copy)]
pub struct RoutePart {
    /// Whether a route belongs to the part.
    pub serves: fn(RouteId) -> bool,
    /// Runs a route of the part.
    pub dispatch: for<'a, 'b> fn(RouteId, &'a Ctx<'b>) -> Handling<'a>,
}

/// Every route (the native host, Spin).
pub const ALL: RoutePart = RoutePart {
    serves: |_| true,
    dispatch: |id, ctx| Box::pin(dispatch(id, ctx)),
};

/// Everything but the AI section.
pub const WITHOUT_AI: RoutePart = RoutePart {
    serves: |id| !id.is_ai(),
    dispatch: |id, ctx| Box::pin(dispatch_core(id, ctx)),
};

/// The AI section only (with health and readiness).
pub const AI_ONLY: RoutePart = RoutePart {
    serves: |id| id.is_ai() || id.is_shared(),
    dispatch: |id, ctx| Box::pin(dispatch_ai(id, ctx)),
};

/// One route.
#[derive(Debug, Clone)]
pub struct RouteDef {
    /// Which handler.
    pub id: RouteId,
    /// Method.
    pub method: Method,
    /// Path template; `{name}` marks a parameter (the same syntax as OpenAPI).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// One line for the API reference.
    pub summary: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// Schema name of the JSON body, if any.
    pub request: Option<&'static str>,
    /// Success status.
    pub status: u16,
    /// Schema name of `data` on success (`None`: null or non-JSON).
    pub response: Option<&'static str>,
    /// Whether `data` is a list of `response`.
    pub list: bool,
    /// The body is an upload: adapters hand it over as a stream, and the handler enforces
    /// the upload size limit while reading it.
    pub streams_body: bool,
}

const fn route(
    id: RouteId,
    method: Method,
    path: &'static str,
    access: Access,
    summary: &'static str,
) -> RouteDef {
    RouteDef {
        id,
        method,
        path,
        access,
        summary,
        tag: "",
        request: None,
        status: 200,
        response: None,
        list: false,
        streams_body: false,
    }
}

impl RouteDef {
    const fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }
    const fn request(mut self, schema: &'static str) -> Self {
        self.request = Some(schema);
        self
    }
    const fn responds(mut self, status: u16, schema: &'static str) -> Self {
        self.status = status;
        self.response = Some(schema);
        self
    }
    const fn list_of(mut self, schema: &'static str) -> Self {
        self.response = Some(schema);
        self.list = true;
        self
    }
    /// Answers 202 (the work is queued) instead of 200.
    const fn accepted(mut self) -> Self {
        self.status = 202;
        self
    }
    const fn streaming_upload(mut self) -> Self {
        self.streams_body = true;
        self
    }
}

use Access::{ApiKey, Public, Service, User};
use RouteId as R;

/// Every route the API serves.
pub static ROUTES: &[RouteDef] = &[
    route(
        R::Health,
        Method::GET,
        "/health",
        Public,
        "The process is alive",
    )
    .tag("operations")
    .responds(200, "Health"),
    route(
        R::Ready,
        Method::GET,
        "/ready",
        Public,
        "Postgres and Redis answer (503 when not)",
    )
    .tag("operations")
    .responds(200, "Health"),
    route(
        R::Metrics,
        Method::GET,
        "/metrics",
        Public,
        "Prometheus metrics (text)",
    )
    .tag("operations"),
    route(
        R::OpenApi,
        Method::GET,
        "/api/v1/openapi.json",
        Public,
        "This document",
    )
    .tag("operations"),
    route(
        R::AuthRegister,
        Method::POST,
        "/api/v1/auth/register",
        Public,
        "Create an account and its owner",
    )
    .tag("auth")
    .request("RegisterRequest")
    .responds(201, "AuthResponse"),
    route(
        R::AuthLogin,
        Method::POST,
        "/api/v1/auth/login",
        Public,
        "Sign in (429 after repeated failures)",
    )
    .tag("auth")
    .request("LoginRequest")
    .responds(200, "AuthResponse"),
    route(
        R::AuthRefresh,
        Method::POST,
        "/api/v1/auth/refresh",
        Public,
        "Rotate a refresh token",
    )
    .tag("auth")
    .request("RefreshRequest")
    .responds(200, "TokenResponse"),
    route(
        R::AuthLogout,
        Method::POST,
        "/api/v1/auth/logout",
        User(None),
        "Revoke this session's tokens",
    )
    .tag("auth"),
    route(
        R::AuthMe,
        Method::GET,
        "/api/v1/auth/me",
        User(None),
        "The signed-in user",
    )
    .tag("auth")
    .responds(200, "Me"),
    route(
        R::UsersList,
        Method::GET,
        "/api/v1/users",
        User(Some(Permission::UsersRead)),
        "The account's users",
    )
    .tag("users")
    .list_of("User"),
    route(
        R::UsersCreate,
        Method::POST,
        "/api/v1/users",
        User(Some(Permission::UsersCreate)),
        "Add a user to the account",
    )
    .tag("users")
    .request("CreateUserRequest")
    .responds(201, "User"),
    route(
        R::UsersUpdate,
        Method::PATCH,
        "/api/v1/users/{id}",
        User(Some(Permission::UsersUpdate)),
        "Rename or change the role (the last owner cannot be demoted)",
    )
    .tag("users")
    .request("UpdateUserRequest")
    .responds(200, "User"),
    route(
        R::UsersDelete,
        Method::DELETE,
        "/api/v1/users/{id}",
        User(Some(Permission::UsersDelete)),
        "Deactivate a user; their tokens stop working at once",
    )
    .tag("users")
    .responds(200, "User"),
    route(
        R::FilesUpload,
        Method::POST,
        "/api/v1/files/upload",
        User(Some(Permission::FilesCreate)),
        "Upload a file (multipart: file, category, visibility, tags, metadata); processing is queued with it",
    )
    .tag("files")
    .streaming_upload()
    .responds(201, "File"),
    route(
        R::FilesUploadCreate,
        Method::POST,
        "/api/v1/files/uploads",
        User(Some(Permission::FilesCreate)),
        "Start a direct-to-storage upload: the URL to PUT the bytes to, and until when",
    )
    .tag("files")
    .request("CreateUploadRequest")
    .responds(201, "DirectUpload"),
    route(
        R::FilesUploadContent,
        Method::PUT,
        "/api/v1/files/uploads/{id}/content",
        Public,
        "This API's own upload URL (expires, signature), for providers without presigned URLs",
    )
    .tag("files")
    .streaming_upload(),
    route(
        R::FilesUploadComplete,
        Method::POST,
        "/api/v1/files/uploads/{id}/complete",
        User(Some(Permission::FilesCreate)),
        "Verify the uploaded object; then as an upload (201 file, processing queued)",
    )
    .tag("files")
    .responds(201, "File"),
    route(
        R::FilesList,
        Method::GET,
        "/api/v1/files",
        User(Some(Permission::FilesRead)),
        "The account's files: page, per_page, category, tag, q, content_type, include_deleted",
    )
    .tag("files")
    .list_of("File"),
    route(
        R::FilesGet,
        Method::GET,
        "/api/v1/files/{id}",
        User(Some(Permission::FilesRead)),
        "A file",
    )
    .tag("files")
    .responds(200, "File"),
    route(
        R::FilesDownload,
        Method::GET,
        "/api/v1/files/{id}/download",
        User(Some(Permission::FilesDownload)),
        "The file's bytes (Range, ETag, If-None-Match)",
    )
    .tag("files"),
    route(
        R::FilesThumbnail,
        Method::GET,
        "/api/v1/files/{id}/thumbnails/{size}",
        User(Some(Permission::FilesRead)),
        "A thumbnail (150, 300 or 600 px box, aspect kept); 404 until made",
    )
    .tag("files"),
    route(
        R::FilesPoster,
        Method::GET,
        "/api/v1/files/{id}/poster",
        User(Some(Permission::FilesRead)),
        "A video's poster frame; 404 until made",
    )
    .tag("files"),
    route(
        R::FilesUpdate,
        Method::PATCH,
        "/api/v1/files/{id}",
        User(Some(Permission::FilesUpdate)),
        "Rename, recategorize, change visibility; metadata is merged",
    )
    .tag("files")
    .request("UpdateFileRequest")
    .responds(200, "File"),
    route(
        R::FilesDelete,
        Method::DELETE,
        "/api/v1/files/{id}",
        User(Some(Permission::FilesDelete)),
        "Soft delete; ?permanent=true also removes the stored bytes",
    )
    .tag("files")
    .responds(200, "File"),
    route(
        R::FilesRestore,
        Method::POST,
        "/api/v1/files/{id}/restore",
        User(Some(Permission::FilesDelete)),
        "Undo a soft delete",
    )
    .tag("files")
    .responds(200, "File"),
    route(
        R::FilesReprocess,
        Method::POST,
        "/api/v1/files/{id}/reprocess",
        User(Some(Permission::FilesUpdate)),
        "Queue the newest version's processing again",
    )
    .tag("files")
    .list_of("ProcessingJob")
    .accepted(),
    route(
        R::FilesProcessingJobs,
        Method::GET,
        "/api/v1/files/{id}/processing_jobs",
        User(Some(Permission::FilesRead)),
        "The file's processing jobs",
    )
    .tag("files")
    .list_of("ProcessingJob"),
    route(
        R::FilesAddTags,
        Method::POST,
        "/api/v1/files/{id}/tags",
        User(Some(Permission::FilesTag)),
        "Tag a file",
    )
    .tag("files")
    .request("AddTagsRequest")
    .responds(200, "File"),
    route(
        R::FilesRemoveTag,
        Method::DELETE,
        "/api/v1/files/{id}/tags/{tag}",
        User(Some(Permission::FilesTag)),
        "Untag a file",
    )
    .tag("files")
    .responds(200, "File"),
    route(
        R::FilesVersionCreate,
        Method::POST,
        "/api/v1/files/{id}/versions",
        User(Some(Permission::FilesVersion)),
        "Upload a new version (multipart: file, change_description); downloads serve the newest",
    )
    .tag("files")
    .streaming_upload()
    .responds(201, "FileVersion"),
    route(
        R::FilesVersionList,
        Method::GET,
        "/api/v1/files/{id}/versions",
        User(Some(Permission::FilesRead)),
        "The file's versions, newest first",
    )
    .tag("files")
    .list_of("FileVersion"),
    route(
        R::FilesVersionDownload,
        Method::GET,
        "/api/v1/files/{id}/versions/{n}/download",
        User(Some(Permission::FilesDownload)),
        "That version's bytes (Range, ETag)",
    )
    .tag("files"),
    route(
        R::FilesVersionRestore,
        Method::POST,
        "/api/v1/files/{id}/versions/{n}/restore",
        User(Some(Permission::FilesVersion)),
        "A new version with version n's bytes",
    )
    .tag("files")
    .responds(201, "FileVersion"),
    route(
        R::FilesSignedUrl,
        Method::GET,
        "/api/v1/files/{id}/url",
        User(Some(Permission::FilesDownload)),
        "A signed download URL (?expires_in=SECONDS, default 3600, at most 7 days)",
    )
    .tag("files"),
    route(
        R::FilesSignedContent,
        Method::GET,
        "/api/v1/files/{id}/content",
        Public,
        "Download through a signed URL (version, expires, signature); any change gives 403",
    )
    .tag("files"),
    route(
        R::SharesCreate,
        Method::POST,
        "/api/v1/files/{id}/shares",
        User(Some(Permission::FilesShare)),
        "Create a share link (expires_at, max_downloads, password)",
    )
    .tag("files")
    .request("CreateShareRequest")
    .responds(201, "Share"),
    route(
        R::SharesList,
        Method::GET,
        "/api/v1/files/{id}/shares",
        User(Some(Permission::FilesShare)),
        "The file's share links (never their passwords)",
    )
    .tag("files")
    .list_of("Share"),
    route(
        R::SharesRevoke,
        Method::DELETE,
        "/api/v1/shares/{id}",
        User(Some(Permission::FilesShare)),
        "Revoke a share link; its URL gives 404",
    )
    .tag("files"),
    route(
        R::ShareDownload,
        Method::GET,
        "/s/{token}",
        Public,
        "Download through a share link; password in X-Share-Password (401, counts nothing); expired or used up 410",
    )
    .tag("files"),
    route(
        R::TagsList,
        Method::GET,
        "/api/v1/tags",
        User(Some(Permission::FilesRead)),
        "The account's tags with their live file counts",
    )
    .tag("files")
    .list_of("Tag"),
    route(
        R::StoragesList,
        Method::GET,
        "/api/v1/storages",
        User(Some(Permission::StorageRead)),
        "The account's storage backends (credentials redacted)",
    )
    .tag("storages")
    .list_of("Storage"),
    route(
        R::StoragesCreate,
        Method::POST,
        "/api/v1/storages",
        User(Some(Permission::StorageCreate)),
        "Add a storage backend; secrets are encrypted at rest",
    )
    .tag("storages")
    .request("CreateStorageRequest")
    .responds(201, "Storage"),
    route(
        R::StoragesUpdate,
        Method::PATCH,
        "/api/v1/storages/{id}",
        User(Some(Permission::StorageUpdate)),
        "Edit a storage backend",
    )
    .tag("storages")
    .request("UpdateStorageRequest")
    .responds(200, "Storage"),
    route(
        R::StoragesDelete,
        Method::DELETE,
        "/api/v1/storages/{id}",
        User(Some(Permission::StorageDelete)),
        "Delete a storage backend that holds no files (409 otherwise)",
    )
    .tag("storages")
    .responds(200, "Storage"),
    route(
        R::StoragesTest,
        Method::POST,
        "/api/v1/storages/{id}/test",
        User(Some(Permission::StorageTest)),
        "Write, read back and delete a probe object; reports latency",
    )
    .tag("storages")
    .responds(200, "StorageTestReport"),
    route(
        R::AdminQueues,
        Method::GET,
        "/api/v1/admin/queues",
        User(Some(Permission::JobsRead)),
        "Queues with counts by state, latency and throughput",
    )
    .tag("queue")
    .list_of("QueueSummary"),
    route(
        R::AdminQueueHistory,
        Method::GET,
        "/api/v1/admin/queues/{name}/history",
        User(Some(Permission::JobsRead)),
        "Throughput and latency per minute, oldest first (`minutes` 1 to 1440, default 60)",
    )
    .tag("queue")
    .list_of("QueueHistoryPoint"),
    route(
        R::AdminQueuePause,
        Method::POST,
        "/api/v1/admin/queues/{name}/pause",
        User(Some(Permission::Admin)),
        "Stop claims from a queue (platform admins)",
    )
    .tag("queue")
    .responds(200, "QueueSummary"),
    route(
        R::AdminQueueResume,
        Method::POST,
        "/api/v1/admin/queues/{name}/resume",
        User(Some(Permission::Admin)),
        "Resume claims from a queue (platform admins)",
    )
    .tag("queue")
    .responds(200, "QueueSummary"),
    route(
        R::AdminJobsList,
        Method::GET,
        "/api/v1/admin/jobs",
        User(Some(Permission::JobsRead)),
        "Jobs by queue and state, newest first",
    )
    .tag("queue")
    .list_of("Job"),
    route(
        R::AdminJobsEnqueue,
        Method::POST,
        "/api/v1/admin/jobs",
        User(Some(Permission::JobsManage)),
        "Enqueue a registered job type (200 with the existing job for a replayed idempotency key)",
    )
    .tag("queue")
    .request("EnqueueRequest")
    .responds(201, "Job"),
    route(
        R::AdminJobGet,
        Method::GET,
        "/api/v1/admin/jobs/{id}",
        User(Some(Permission::JobsRead)),
        "A job with its error history",
    )
    .tag("queue")
    .responds(200, "Job"),
    route(
        R::AdminJobRetry,
        Method::POST,
        "/api/v1/admin/jobs/{id}/retry",
        User(Some(Permission::JobsManage)),
        "Run a dead or retryable job now",
    )
    .tag("queue")
    .responds(200, "Job"),
    route(
        R::AdminJobDiscard,
        Method::POST,
        "/api/v1/admin/jobs/{id}/discard",
        User(Some(Permission::JobsManage)),
        "Move a waiting job to dead",
    )
    .tag("queue")
    .responds(200, "Job"),
    route(
        R::AdminJobTypeRuns,
        Method::GET,
        "/api/v1/admin/job_types/{job_type}/runs",
        User(Some(Permission::JobsRead)),
        "The newest 20 runs of a job type: start, duration, outcome (execution tracking)",
    )
    .tag("queue")
    .list_of("JobRun"),
    route(
        R::WebhookEndpointsCreate,
        Method::POST,
        "/api/v1/webhooks/endpoints",
        User(Some(Permission::WebhooksManage)),
        "Add a webhook endpoint (generic, github or stripe); its signing secret is in this answer only",
    )
    .tag("webhooks")
    .request("CreateWebhookEndpointRequest")
    .responds(201, "CreatedWebhookEndpoint"),
    route(
        R::WebhookEndpointsList,
        Method::GET,
        "/api/v1/webhooks/endpoints",
        User(Some(Permission::WebhooksRead)),
        "The account's webhook endpoints, newest first (never their secrets): page, per_page",
    )
    .tag("webhooks")
    .list_of("WebhookEndpoint"),
    route(
        R::WebhookEndpointsDelete,
        Method::DELETE,
        "/api/v1/webhooks/endpoints/{id}",
        User(Some(Permission::WebhooksManage)),
        "Delete a webhook endpoint and its events; its URL answers 404",
    )
    .tag("webhooks")
    .responds(200, "WebhookEndpoint"),
    route(
        R::WebhookEventsList,
        Method::GET,
        "/api/v1/webhooks/events",
        User(Some(Permission::WebhooksRead)),
        "Received events, newest first: endpoint_id, state (pending, processed, failed), page, per_page",
    )
    .tag("webhooks")
    .list_of("WebhookEvent"),
    route(
        R::WebhookEventGet,
        Method::GET,
        "/api/v1/webhooks/events/{id}",
        User(Some(Permission::WebhooksRead)),
        "An event with its payload",
    )
    .tag("webhooks")
    .responds(200, "WebhookEventDetail"),
    route(
        R::WebhookEventReplay,
        Method::POST,
        "/api/v1/webhooks/events/{id}/replay",
        User(Some(Permission::WebhooksManage)),
        "Set an event back to pending and queue its processing again",
    )
    .tag("webhooks")
    .responds(200, "WebhookEventDetail"),
    route(
        R::WebhookReceive,
        Method::POST,
        "/webhooks/{endpoint_id}",
        Public,
        "Receive a delivery: signature checked (401), 1 MiB at most (413), stored and queued once per delivery id (202); 503 with Retry-After when the database is down",
    )
    .tag("webhooks")
    .responds(202, "WebhookReceipt"),
    route(
        R::WorkerClaim,
        Method::POST,
        "/api/v1/worker/queue/claim",
        Service,
        "Claim due jobs under a lease",
    )
    .tag("worker")
    .request("ClaimRequest")
    .list_of("ClaimedJob"),
    route(
        R::WorkerClaimById,
        Method::POST,
        "/api/v1/worker/queue/jobs/{id}/claim",
        Service,
        "Claim one job by id (push transports); null when not claimable",
    )
    .tag("worker")
    .request("ClaimByIdRequest")
    .responds(200, "ClaimedJob"),
    route(
        R::WorkerHeartbeat,
        Method::POST,
        "/api/v1/worker/queue/heartbeat",
        Service,
        "Extend the leases of held jobs",
    )
    .tag("worker")
    .request("HeartbeatRequest")
    .list_of("BatchOutcome"),
    route(
        R::WorkerComplete,
        Method::POST,
        "/api/v1/worker/queue/complete",
        Service,
        "Complete held jobs",
    )
    .tag("worker")
    .request("CompleteRequest")
    .list_of("BatchOutcome"),
    route(
        R::WorkerFail,
        Method::POST,
        "/api/v1/worker/queue/fail",
        Service,
        "Fail held jobs; the API schedules the retry or marks them dead",
    )
    .tag("worker")
    .request("FailRequest")
    .list_of("BatchOutcome"),
    route(
        R::WorkerSnooze,
        Method::POST,
        "/api/v1/worker/queue/snooze",
        Service,
        "Put held jobs back for later without spending the attempt",
    )
    .tag("worker")
    .request("SnoozeRequest")
    .list_of("BatchOutcome"),
    route(
        R::WorkerEnqueue,
        Method::POST,
        "/api/v1/worker/queue/enqueue",
        Service,
        "Enqueue a batch of platform jobs in one transaction (idempotency keys dedupe)",
    )
    .tag("worker")
    .request("EnqueueBatchRequest")
    .list_of("Enqueue"),
    route(
        R::WorkerRescue,
        Method::POST,
        "/api/v1/worker/maintenance/rescue",
        Service,
        "Re-deliver jobs whose lease expired",
    )
    .tag("worker")
    .responds(200, "RescueReport"),
    route(
        R::WorkerRelay,
        Method::POST,
        "/api/v1/worker/maintenance/relay",
        Service,
        "Re-announce jobs left unclaimed for a minute to the push transport (none natively)",
    )
    .tag("worker")
    .responds(200, "RelayReport"),
    route(
        R::WorkerPrune,
        Method::POST,
        "/api/v1/worker/maintenance/prune_jobs",
        Service,
        "Delete completed jobs past retention",
    )
    .tag("worker")
    .request("PruneRequest")
    .responds(200, "PruneReport"),
    route(
        R::WorkerMaintenance,
        Method::POST,
        "/api/v1/worker/maintenance/{task}",
        Service,
        "Run one scheduled maintenance task (sweeps, health checks, retention, backup); 404 for an unknown task",
    )
    .tag("worker")
    .responds(200, "MaintenanceReport"),
    route(
        R::WorkerIdempotencyCheck,
        Method::POST,
        "/api/v1/worker/idempotency/check",
        Service,
        "Whether an effect's key was marked done",
    )
    .tag("worker")
    .request("IdempotencyRequest")
    .responds(200, "IdempotencyState"),
    route(
        R::WorkerIdempotencyMark,
        Method::POST,
        "/api/v1/worker/idempotency/mark",
        Service,
        "Mark an effect's key done (processed: true for the one call that marked it)",
    )
    .tag("worker")
    .request("IdempotencyRequest")
    .responds(200, "IdempotencyState"),
    route(
        R::WorkerFileGet,
        Method::GET,
        "/api/v1/worker/files/{id}",
        Service,
        "Any account's file (deleted ones too)",
    )
    .tag("worker")
    .responds(200, "File"),
    route(
        R::WorkerFileContent,
        Method::GET,
        "/api/v1/worker/files/{id}/content",
        Service,
        "A file's bytes (`version`, else the newest), with Range",
    )
    .tag("worker"),
    route(
        R::WorkerFileThumbnail,
        Method::PUT,
        "/api/v1/worker/files/{id}/versions/{n}/thumbnails/{size}",
        Service,
        "Store a thumbnail of version n (body: image/jpeg, png or webp); 409 if n is no longer the newest",
    )
    .tag("worker")
    .streaming_upload()
    .responds(200, "File"),
    route(
        R::WorkerFilePoster,
        Method::PUT,
        "/api/v1/worker/files/{id}/versions/{n}/poster",
        Service,
        "Store the poster frame of version n; 409 if n is no longer the newest",
    )
    .tag("worker")
    .streaming_upload()
    .responds(200, "File"),
    route(
        R::WorkerFileMetadata,
        Method::POST,
        "/api/v1/worker/files/{id}/metadata",
        Service,
        "Merge processing results into the file's metadata",
    )
    .tag("worker")
    .request("MergeMetadataRequest")
    .responds(200, "File"),
    route(
        R::WorkerFileProcessingJob,
        Method::PATCH,
        "/api/v1/worker/files/{id}/processing_jobs/{job_id}",
        Service,
        "Report on a processing job (processing, completed, failed); the file's status follows",
    )
    .tag("worker")
    .request("UpdateProcessingJobRequest")
    .responds(200, "ProcessingJob"),
    route(
        R::WorkerWebhookEventGet,
        Method::GET,
        "/api/v1/worker/webhooks/events/{id}",
        Service,
        "Any account's webhook event with its payload and provider",
    )
    .tag("worker")
    .responds(200, "WebhookEventDetail"),
    route(
        R::WorkerWebhookEventReport,
        Method::PATCH,
        "/api/v1/worker/webhooks/events/{id}",
        Service,
        "Record the outcome of a pending webhook event (processed, or failed with an error); 409 when not pending",
    )
    .tag("worker")
    .request("ReportWebhookEventRequest")
    .responds(200, "WebhookEventDetail"),
    route(
        R::AiProvidersList,
        Method::GET,
        "/api/v1/ai/providers",
        User(Some(Permission::AiRead)),
        "The account's AI providers with live breaker state and latency",
    )
    .tag("ai")
    .list_of("Provider"),
    route(
        R::AiProvidersCreate,
        Method::POST,
        "/api/v1/ai/providers",
        User(Some(Permission::AiManage)),
        "Add an AI provider (openai: any OpenAI-compatible server; anthropic: the Messages API); its key is write-only",
    )
    .tag("ai")
    .request("ProviderRequest")
    .responds(201, "Provider"),
    route(
        R::AiProvidersUpdate,
        Method::PATCH,
        "/api/v1/ai/providers/{id}",
        User(Some(Permission::AiManage)),
        "Change a provider (api_key: null removes the key)",
    )
    .tag("ai")
    .request("ProviderRequest")
    .responds(200, "Provider"),
    route(
        R::AiProvidersDelete,
        Method::DELETE,
        "/api/v1/ai/providers/{id}",
        User(Some(Permission::AiManage)),
        "Remove a provider (its ledger rows stay)",
    )
    .tag("ai")
    .responds(200, "Provider"),
    route(
        R::AiProvidersTest,
        Method::POST,
        "/api/v1/ai/providers/{id}/test",
        User(Some(Permission::AiManage)),
        "One real minimal call per model",
    )
    .tag("ai")
    .list_of("ProviderTestResult"),
    route(
        R::AiChat,
        Method::POST,
        "/api/v1/ai/chat",
        User(Some(Permission::AiUse)),
        "Call a chat model through the proxy (routing, failover, breakers, metering, budget); stream: true answers text/event-stream",
    )
    .tag("ai")
    .request("ChatRequest")
    .responds(200, "ChatAnswer"),
    route(
        R::AiEmbeddings,
        Method::POST,
        "/api/v1/ai/embeddings",
        User(Some(Permission::AiUse)),
        "Embed texts through the proxy",
    )
    .tag("ai")
    .request("EmbeddingsRequest")
    .responds(200, "EmbeddingsAnswer"),
    route(
        R::WorkerAiChat,
        Method::POST,
        "/api/v1/worker/ai/chat",
        Service,
        "The chat proxy for consumers (the body names account_id)",
    )
    .tag("worker")
    .request("ChatRequest")
    .responds(200, "ChatAnswer"),
    route(
        R::WorkerAiEmbeddings,
        Method::POST,
        "/api/v1/worker/ai/embeddings",
        Service,
        "The embeddings proxy for consumers (the body names account_id)",
    )
    .tag("worker")
    .request("EmbeddingsRequest")
    .responds(200, "EmbeddingsAnswer"),
    route(
        R::AiKeysCreate,
        Method::POST,
        "/api/v1/ai/keys",
        User(Some(Permission::AiManage)),
        "Create an API key for /v1 (shown once)",
    )
    .tag("ai")
    .request("CreateApiKeyRequest")
    .responds(201, "CreatedApiKey"),
    route(
        R::AiKeysList,
        Method::GET,
        "/api/v1/ai/keys",
        User(Some(Permission::AiManage)),
        "The account's API keys (never their secrets)",
    )
    .tag("ai")
    .list_of("ApiKey"),
    route(
        R::AiKeysDelete,
        Method::DELETE,
        "/api/v1/ai/keys/{id}",
        User(Some(Permission::AiManage)),
        "Revoke an API key",
    )
    .tag("ai")
    .responds(200, "ApiKey"),
    route(
        R::AiUsage,
        Method::GET,
        "/api/v1/ai/usage",
        User(Some(Permission::AiRead)),
        "Usage grouped by day, provider or model (from, to: dates or RFC 3339; default this month); totals in meta",
    )
    .tag("ai")
    .list_of("UsageRow"),
    route(
        R::AiRequests,
        Method::GET,
        "/api/v1/ai/requests",
        User(Some(Permission::AiRead)),
        "The ledger, one row per attempt, newest first (filters: status, model)",
    )
    .tag("ai")
    .list_of("LedgerRow"),
    route(
        R::AiBudgetGet,
        Method::GET,
        "/api/v1/ai/budget",
        User(Some(Permission::AiRead)),
        "The monthly budget, this month's spend and what calls in flight hold",
    )
    .tag("ai")
    .responds(200, "Budget"),
    route(
        R::AiBudgetPut,
        Method::PUT,
        "/api/v1/ai/budget",
        User(Some(Permission::AiManage)),
        "Set the monthly budget in USD (null removes it)",
    )
    .tag("ai")
    .request("BudgetRequest")
    .responds(200, "Budget"),
    route(
        R::OpenAiChatCompletions,
        Method::POST,
        "/v1/chat/completions",
        ApiKey,
        "OpenAI-compatible chat completions (OpenAI's bodies, streams and errors; Bearer pn_...)",
    )
    .tag("openai"),
    route(
        R::OpenAiEmbeddings,
        Method::POST,
        "/v1/embeddings",
        ApiKey,
        "OpenAI-compatible embeddings",
    )
    .tag("openai"),
    route(
        R::OpenAiModels,
        Method::GET,
        "/v1/models",
        ApiKey,
        "OpenAI-compatible model list: the account's enabled models",
    )
    .tag("openai"),
    route(
        R::KnowledgeBasesCreate,
        Method::POST,
        "/api/v1/knowledge/bases",
        User(Some(Permission::AiManage)),
        "Create a knowledge base for an embedding model the account's providers offer",
    )
    .tag("knowledge")
    .request("CreateKnowledgeBaseRequest")
    .responds(201, "KnowledgeBase"),
    route(
        R::KnowledgeBasesList,
        Method::GET,
        "/api/v1/knowledge/bases",
        User(Some(Permission::AiRead)),
        "The account's knowledge bases with their document and chunk counts",
    )
    .tag("knowledge")
    .list_of("KnowledgeBase"),
    route(
        R::KnowledgeBasesGet,
        Method::GET,
        "/api/v1/knowledge/bases/{id}",
        User(Some(Permission::AiRead)),
        "One knowledge base",
    )
    .tag("knowledge")
    .responds(200, "KnowledgeBase"),
    route(
        R::KnowledgeBasesDelete,
        Method::DELETE,
        "/api/v1/knowledge/bases/{id}",
        User(Some(Permission::AiManage)),
        "Delete a knowledge base with its documents and chunks",
    )
    .tag("knowledge")
    .responds(200, "KnowledgeBase"),
    route(
        R::KnowledgeDocumentsAdd,
        Method::POST,
        "/api/v1/knowledge/bases/{id}/documents",
        User(Some(Permission::AiManage)),
        "Add a text ({title, text}) or a stored file ({file_id, title?}); chunking and embedding run as queue jobs; the same content again changes nothing",
    )
    .tag("knowledge")
    .request("AddDocumentRequest")
    .responds(202, "KnowledgeDocument"),
    route(
        R::KnowledgeDocumentsList,
        Method::GET,
        "/api/v1/knowledge/bases/{id}/documents",
        User(Some(Permission::AiRead)),
        "A base's documents, newest first, with their status",
    )
    .tag("knowledge")
    .list_of("KnowledgeDocument"),
    route(
        R::KnowledgeDocumentsGet,
        Method::GET,
        "/api/v1/knowledge/bases/{id}/documents/{doc_id}",
        User(Some(Permission::AiRead)),
        "One document",
    )
    .tag("knowledge")
    .responds(200, "KnowledgeDocument"),
    route(
        R::KnowledgeDocumentsDelete,
        Method::DELETE,
        "/api/v1/knowledge/bases/{id}/documents/{doc_id}",
        User(Some(Permission::AiManage)),
        "Delete a document and its chunks",
    )
    .tag("knowledge")
    .responds(200, "KnowledgeDocument"),
    route(
        R::KnowledgeSearch,
        Method::POST,
        "/api/v1/knowledge/bases/{id}/search",
        User(Some(Permission::AiUse)),
        "Search a base: hybrid (default; reciprocal rank fusion of vector and full text), vector or text",
    )
    .tag("knowledge")
    .request("SearchRequest")
    .list_of("SearchHit"),
    route(
        R::WorkerKnowledgeSearch,
        Method::POST,
        "/api/v1/worker/knowledge/bases/{id}/search",
        Service,
        "Search for consumers (the body names account_id)",
    )
    .tag("worker")
    .request("SearchRequest")
    .list_of("SearchHit"),
    route(
        R::WorkerKnowledgeSource,
        Method::GET,
        "/api/v1/worker/knowledge/documents/{id}",
        Service,
        "A document's text, its hash and its base's chunking settings and model",
    )
    .tag("worker")
    .responds(200, "IngestionSource"),
    route(
        R::WorkerKnowledgeChunks,
        Method::PUT,
        "/api/v1/worker/knowledge/documents/{id}/chunks",
        Service,
        "Set a document's chunks: unchanged ones keep their vectors; answers the ones to embed (409 if the text changed since)",
    )
    .tag("worker")
    .request("PutChunksRequest")
    .responds(200, "ChunkPlan"),
    route(
        R::WorkerKnowledgeEmbeddings,
        Method::PUT,
        "/api/v1/worker/knowledge/documents/{id}/embeddings",
        Service,
        "Store chunks' vectors (the base's first fixes its dimension)",
    )
    .tag("worker")
    .request("PutEmbeddingsRequest")
    .responds(200, "KnowledgeDocument"),
    route(
        R::WorkerKnowledgeReady,
        Method::POST,
        "/api/v1/worker/knowledge/documents/{id}/ready",
        Service,
        "Mark a document ready (409 unless every chunk of that text has its vector)",
    )
    .tag("worker")
    .request("DocumentReadyRequest")
    .responds(200, "KnowledgeDocument"),
    route(
        R::WorkerKnowledgeFailed,
        Method::POST,
        "/api/v1/worker/knowledge/documents/{id}/failed",
        Service,
        "Mark a document failed, saying why",
    )
    .tag("worker")
    .request("DocumentFailedRequest")
    .responds(200, "KnowledgeDocument"),
    route(
        R::WorkerKnowledgeText,
        Method::PUT,
        "/api/v1/worker/knowledge/documents/{id}/text",
        Service,
        "A file document's text, read by the media runner; new text queues the ingestion",
    )
    .tag("worker")
    .request("DocumentTextRequest")
    .responds(200, "KnowledgeDocument"),
    route(
        R::AgentsCreate,
        Method::POST,
        "/api/v1/ai/agents",
        User(Some(Permission::AiManage)),
        "Create an agent: a chat model the account's providers offer, a system prompt, built-in tools and limits",
    )
    .tag("agents")
    .request("AgentRequest")
    .responds(201, "Agent"),
    route(
        R::AgentsList,
        Method::GET,
        "/api/v1/ai/agents",
        User(Some(Permission::AiRead)),
        "The fleet: every agent with its runs of the last 24 h (counts by status, success rate, p50 duration, cost)",
    )
    .tag("agents")
    .list_of("Agent"),
    route(
        R::AgentsGet,
        Method::GET,
        "/api/v1/ai/agents/{id}",
        User(Some(Permission::AiRead)),
        "One agent",
    )
    .tag("agents")
    .responds(200, "Agent"),
    route(
        R::AgentsUpdate,
        Method::PATCH,
        "/api/v1/ai/agents/{id}",
        User(Some(Permission::AiManage)),
        "Change an agent (the fields named)",
    )
    .tag("agents")
    .request("AgentRequest")
    .responds(200, "Agent"),
    route(
        R::AgentsDelete,
        Method::DELETE,
        "/api/v1/ai/agents/{id}",
        User(Some(Permission::AiManage)),
        "Delete an agent with its runs",
    )
    .tag("agents")
    .responds(200, "Agent"),
    route(
        R::AgentRunsStart,
        Method::POST,
        "/api/v1/ai/agents/{id}/runs",
        User(Some(Permission::AiUse)),
        "Start a run: queued, executed as an ai.agent_run job on the ai queue",
    )
    .tag("agents")
    .request("StartRunRequest")
    .responds(202, "Run"),
    route(
        R::RunsList,
        Method::GET,
        "/api/v1/ai/runs",
        User(Some(Permission::AiRead)),
        "Runs, newest first, without their steps (filters: agent_id, status)",
    )
    .tag("agents")
    .list_of("Run"),
    route(
        R::RunsGet,
        Method::GET,
        "/api/v1/ai/runs/{id}",
        User(Some(Permission::AiRead)),
        "A run with its steps, usage and cost",
    )
    .tag("agents")
    .responds(200, "Run"),
    route(
        R::RunsCancel,
        Method::POST,
        "/api/v1/ai/runs/{id}/cancel",
        User(Some(Permission::AiUse)),
        "Cancel a queued or running run: it stops before its next step",
    )
    .tag("agents")
    .responds(200, "Run"),
    route(
        R::RunsEvents,
        Method::GET,
        "/api/v1/ai/runs/{id}/events",
        User(Some(Permission::AiRead)),
        "A run's live progress as server-sent events (run, then each step as it lands; after: the last step held); 503 where the runtime cannot hold a stream",
    )
    .tag("agents"),
    route(
        R::WorkerRunStart,
        Method::POST,
        "/api/v1/worker/ai/runs/{id}/start",
        Service,
        "Start or resume a run: the run with its steps so far, its agent and the tools' definitions",
    )
    .tag("worker")
    .responds(200, "RunWork"),
    route(
        R::WorkerRunTool,
        Method::POST,
        "/api/v1/worker/ai/runs/{id}/tools",
        Service,
        "Run one tool call with the run's account and record it as step n (a recorded step answers as it was)",
    )
    .tag("worker")
    .request("ToolCallRequest")
    .responds(200, "RunStep"),
    route(
        R::WorkerRunFinish,
        Method::POST,
        "/api/v1/worker/ai/runs/{id}/finish",
        Service,
        "End a run: completed with its output, or failed with the reason",
    )
    .tag("worker")
    .request("FinishRunRequest")
    .responds(200, "Run"),
];

/// Runs any route.
pub(crate) async fn dispatch(id: RouteId, ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    if id.is_ai() {
        dispatch_ai(id, ctx).await
    } else {
        dispatch_core(id, ctx).await
    }
}

/// Runs a route outside the AI section.
async fn dispatch_core(id: RouteId, ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    use handlers::{auth, files, jobs, ops, storages, users, webhooks, worker, worker_files};
    match id {
        R::Health => ops::health(ctx).await,
        R::Ready => ops::ready(ctx).await,
        R::Metrics => ops::metrics(ctx).await,
        R::OpenApi => ops::openapi(ctx).await,
        R::AuthRegister => auth::register(ctx).await,
        R::AuthLogin => auth::login(ctx).await,
        R::AuthRefresh => auth::refresh(ctx).await,
        R::AuthLogout => auth::logout(ctx).await,
        R::AuthMe => auth::me(ctx).await,
        R::UsersList => users::list(ctx).await,
        R::UsersCreate => users::create(ctx).await,
        R::UsersUpdate => users::update(ctx).await,
        R::UsersDelete => users::delete(ctx).await,
        R::FilesUpload => files::upload(ctx).await,
        R::FilesList => files::list(ctx).await,
        R::FilesGet => files::get(ctx).await,
        R::FilesDownload => files::download(ctx).await,
        R::FilesUpdate => files::update(ctx).await,
        R::FilesDelete => files::delete(ctx).await,
        R::FilesRestore => files::restore(ctx).await,
        R::FilesReprocess => files::reprocess(ctx).await,
        R::FilesProcessingJobs => files::processing_jobs(ctx).await,
        R::FilesUploadCreate => files::create_upload(ctx).await,
        R::FilesUploadContent => files::upload_content(ctx).await,
        R::FilesUploadComplete => files::complete_upload(ctx).await,
        R::FilesThumbnail => files::thumbnail(ctx).await,
        R::FilesPoster => files::poster(ctx).await,
        R::FilesAddTags => files::add_tags(ctx).await,
        R::FilesRemoveTag => files::remove_tag(ctx).await,
        R::TagsList => files::tags(ctx).await,
        R::FilesVersionCreate => files::create_version(ctx).await,
        R::FilesVersionList => files::versions(ctx).await,
        R::FilesVersionDownload => files::download_version(ctx).await,
        R::FilesVersionRestore => files::restore_version(ctx).await,
        R::FilesSignedUrl => files::signed_url(ctx).await,
        R::FilesSignedContent => files::signed_content(ctx).await,
        R::SharesCreate => files::create_share(ctx).await,
        R::SharesList => files::shares(ctx).await,
        R::SharesRevoke => files::revoke_share(ctx).await,
        R::ShareDownload => files::share_download(ctx).await,
        R::StoragesList => storages::list(ctx).await,
        R::StoragesCreate => storages::create(ctx).await,
        R::StoragesUpdate => storages::update(ctx).await,
        R::StoragesDelete => storages::delete(ctx).await,
        R::StoragesTest => storages::test(ctx).await,
        R::AdminQueues => jobs::queues(ctx).await,
        R::AdminQueueHistory => jobs::history(ctx).await,
        R::AdminQueuePause => jobs::pause(ctx).await,
        R::AdminQueueResume => jobs::resume(ctx).await,
        R::AdminJobsList => jobs::list(ctx).await,
        R::AdminJobsEnqueue => jobs::enqueue(ctx).await,
        R::AdminJobGet => jobs::get(ctx).await,
        R::AdminJobRetry => jobs::retry(ctx).await,
        R::AdminJobDiscard => jobs::discard(ctx).await,
        R::AdminJobTypeRuns => jobs::runs(ctx).await,
        R::WebhookEndpointsCreate => webhooks::create_endpoint(ctx).await,
        R::WebhookEndpointsList => webhooks::list_endpoints(ctx).await,
        R::WebhookEndpointsDelete => webhooks::delete_endpoint(ctx).await,
        R::WebhookEventsList => webhooks::list_events(ctx).await,
        R::WebhookEventGet => webhooks::get_event(ctx).await,
        R::WebhookEventReplay => webhooks::replay_event(ctx).await,
        R::WebhookReceive => webhooks::receive(ctx).await,
        R::WorkerClaim => worker::claim(ctx).await,
        R::WorkerClaimById => worker::claim_by_id(ctx).await,
        R::WorkerHeartbeat => worker::heartbeat(ctx).await,
        R::WorkerComplete => worker::complete(ctx).await,
        R::WorkerFail => worker::fail(ctx).await,
        R::WorkerSnooze => worker::snooze(ctx).await,
        R::WorkerEnqueue => worker::enqueue(ctx).await,
        R::WorkerRescue => worker::rescue(ctx).await,
        R::WorkerRelay => worker::relay(ctx).await,
        R::WorkerPrune => worker::prune(ctx).await,
        R::WorkerMaintenance => worker::maintenance(ctx).await,
        R::WorkerIdempotencyCheck => worker::idempotency_check(ctx).await,
        R::WorkerIdempotencyMark => worker::idempotency_mark(ctx).await,
        R::WorkerFileGet => worker_files::file(ctx).await,
        R::WorkerFileContent => worker_files::content(ctx).await,
        R::WorkerFileThumbnail => worker_files::put_thumbnail(ctx).await,
        R::WorkerFilePoster => worker_files::put_poster(ctx).await,
        R::WorkerFileMetadata => worker_files::merge_metadata(ctx).await,
        R::WorkerFileProcessingJob => worker_files::report(ctx).await,
        R::WorkerWebhookEventGet => webhooks::worker_get_event(ctx).await,
        R::WorkerWebhookEventReport => webhooks::worker_report_event(ctx).await,
        // Never routed here: the part's router holds none of them.
        _ => Err(crate::error::ApiError::not_found("route")),
    }
}

/// Runs a route of the AI section (and health and readiness).
async fn dispatch_ai(id: RouteId, ctx: &Ctx<'_>) -> ApiResult<Outcome> {
    use handlers::{agents, ai, knowledge, openai_compat, ops};
    match id {
        R::Health => ops::health(ctx).await,
        R::Ready => ops::ready(ctx).await,
        R::AiProvidersList => ai::list_providers(ctx).await,
        R::AiProvidersCreate => ai::create_provider(ctx).await,
        R::AiProvidersUpdate => ai::update_provider(ctx).await,
        R::AiProvidersDelete => ai::delete_provider(ctx).await,
        R::AiProvidersTest => ai::test_provider(ctx).await,
        R::AiChat => ai::chat(ctx).await,
        R::AiEmbeddings => ai::embeddings(ctx).await,
        R::WorkerAiChat => ai::chat(ctx).await,
        R::WorkerAiEmbeddings => ai::embeddings(ctx).await,
        R::AiKeysCreate => ai::create_key(ctx).await,
        R::AiKeysList => ai::list_keys(ctx).await,
        R::AiKeysDelete => ai::delete_key(ctx).await,
        R::AiUsage => ai::usage(ctx).await,
        R::AiRequests => ai::requests(ctx).await,
        R::AiBudgetGet => ai::budget(ctx).await,
        R::AiBudgetPut => ai::set_budget(ctx).await,
        R::OpenAiChatCompletions => openai_compat::chat_completions(ctx).await,
        R::OpenAiEmbeddings => openai_compat::embeddings(ctx).await,
        R::OpenAiModels => openai_compat::models(ctx).await,
        R::KnowledgeBasesCreate => knowledge::create_base(ctx).await,
        R::KnowledgeBasesList => knowledge::list_bases(ctx).await,
        R::KnowledgeBasesGet => knowledge::get_base(ctx).await,
        R::KnowledgeBasesDelete => knowledge::delete_base(ctx).await,
        R::KnowledgeDocumentsAdd => knowledge::add_document(ctx).await,
        R::KnowledgeDocumentsList => knowledge::list_documents(ctx).await,
        R::KnowledgeDocumentsGet => knowledge::get_document(ctx).await,
        R::KnowledgeDocumentsDelete => knowledge::delete_document(ctx).await,
        R::KnowledgeSearch | R::WorkerKnowledgeSearch => knowledge::search(ctx).await,
        R::WorkerKnowledgeSource => knowledge::worker_source(ctx).await,
        R::WorkerKnowledgeChunks => knowledge::worker_put_chunks(ctx).await,
        R::WorkerKnowledgeEmbeddings => knowledge::worker_put_embeddings(ctx).await,
        R::WorkerKnowledgeReady => knowledge::worker_ready(ctx).await,
        R::WorkerKnowledgeFailed => knowledge::worker_failed(ctx).await,
        R::WorkerKnowledgeText => knowledge::worker_put_text(ctx).await,
        R::AgentsCreate => agents::create_agent(ctx).await,
        R::AgentsList => agents::list_agents(ctx).await,
        R::AgentsGet => agents::get_agent(ctx).await,
        R::AgentsUpdate => agents::update_agent(ctx).await,
        R::AgentsDelete => agents::delete_agent(ctx).await,
        R::AgentRunsStart => agents::start_run(ctx).await,
        R::RunsList => agents::list_runs(ctx).await,
        R::RunsGet => agents::get_run(ctx).await,
        R::RunsCancel => agents::cancel_run(ctx).await,
        R::RunsEvents => agents::run_events(ctx).await,
        R::WorkerRunStart => agents::worker_start_run(ctx).await,
        R::WorkerRunTool => agents::worker_tool_step(ctx).await,
        R::WorkerRunFinish => agents::worker_finish_run(ctx).await,
        _ => Err(crate::error::ApiError::not_found("route")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ai_paths_are_exactly_the_ai_routes() {
        for def in super::ROUTES {
            let sample = def
                .path
                .replace("{id}", "0190d5a8-0000-7000-8000-000000000000");
            assert_eq!(
                super::is_ai_path(&sample),
                def.id.is_ai(),
                "{} {}",
                def.method,
                def.path
            );
        }
    }
}
