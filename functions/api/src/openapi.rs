//! The OpenAPI 3.1 document, generated from the route table and the `shared` DTOs' schemas, so
//! it cannot list a route the API does not serve or miss one it does.

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi,
    OpenApiBuilder, PathsBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};

use crate::routes::{Access, ROUTES};

/// [`document`] as JSON, as committed in `functions/api/openapi.json`; served instead of
/// building it when the `prebuilt-openapi` feature is on. `committed_json_is_current` fails
/// when it falls behind the route table or a schema, and says how to refresh it.
pub const PREBUILT: &[u8] = include_bytes!("../openapi.json");

/// Names of every schema the document defines.
pub fn schema_names() -> Vec<String> {
    components().schemas.keys().cloned().collect()
}

fn components() -> utoipa::openapi::Components {
    use shared::api::{agents, ai, auth, files, jobs, knowledge, ops, storages, users, webhooks};
    ComponentsBuilder::new()
        .schema_from::<shared::ErrorBody>()
        .schema_from::<shared::FieldError>()
        .schema_from::<shared::ErrorCode>()
        .schema_from::<shared::pagination::Pagination>()
        .schema_from::<auth::RegisterRequest>()
        .schema_from::<auth::LoginRequest>()
        .schema_from::<auth::RefreshRequest>()
        .schema_from::<auth::AuthResponse>()
        .schema_from::<auth::TokenResponse>()
        .schema_from::<auth::User>()
        .schema_from::<auth::Account>()
        .schema_from::<auth::Me>()
        .schema_from::<users::CreateUserRequest>()
        .schema_from::<users::UpdateUserRequest>()
        .schema_from::<files::File>()
        .schema_from::<files::UpdateFileRequest>()
        .schema_from::<files::AddTagsRequest>()
        .schema_from::<files::TagName>()
        .schema_from::<files::Tag>()
        .schema_from::<files::FileVersion>()
        .schema_from::<files::CreateShareRequest>()
        .schema_from::<files::SignedUrl>()
        .schema_from::<files::Share>()
        .schema_from::<files::ProcessingJob>()
        .schema_from::<files::CreateUploadRequest>()
        .schema_from::<files::DirectUpload>()
        .schema_from::<files::UpdateProcessingJobRequest>()
        .schema_from::<files::MergeMetadataRequest>()
        .schema_from::<storages::Storage>()
        .schema_from::<storages::StorageHealth>()
        .schema_from::<storages::CreateStorageRequest>()
        .schema_from::<storages::UpdateStorageRequest>()
        .schema_from::<storages::StorageTestReport>()
        .schema_from::<jobs::Job>()
        .schema_from::<jobs::JobError>()
        .schema_from::<jobs::JobRun>()
        .schema_from::<shared::job::JobState>()
        .schema_from::<jobs::EnqueueRequest>()
        .schema_from::<jobs::QueueSummary>()
        .schema_from::<jobs::QueueHistoryPoint>()
        .schema_from::<jobs::ClaimRequest>()
        .schema_from::<jobs::ClaimByIdRequest>()
        .schema_from::<jobs::ClaimedJob>()
        .schema_from::<jobs::HeartbeatRequest>()
        .schema_from::<jobs::Completion>()
        .schema_from::<jobs::CompleteRequest>()
        .schema_from::<jobs::Failure>()
        .schema_from::<jobs::FailRequest>()
        .schema_from::<jobs::SnoozeRequest>()
        .schema_from::<jobs::BatchOutcome>()
        .schema_from::<jobs::EnqueueBatchRequest>()
        .schema_from::<jobs::Enqueue>()
        .schema_from::<jobs::RescueReport>()
        .schema_from::<shared::api::maintenance::MaintenanceReport>()
        .schema_from::<jobs::RelayReport>()
        .schema_from::<jobs::IdempotencyRequest>()
        .schema_from::<jobs::IdempotencyState>()
        .schema_from::<jobs::PruneRequest>()
        .schema_from::<jobs::PruneReport>()
        .schema_from::<webhooks::CreateWebhookEndpointRequest>()
        .schema_from::<webhooks::CreatedWebhookEndpoint>()
        .schema_from::<webhooks::WebhookEndpoint>()
        .schema_from::<webhooks::WebhookEvent>()
        .schema_from::<webhooks::WebhookEventDetail>()
        .schema_from::<webhooks::ReportWebhookEventRequest>()
        .schema_from::<webhooks::WebhookReceipt>()
        .schema_from::<ops::Health>()
        .schema_from::<ops::DependencyCheck>()
        .schema_from::<ai::Provider>()
        .schema_from::<ai::ProviderModel>()
        .schema_from::<ai::ProviderHealth>()
        .schema_from::<ai::ProviderTimeouts>()
        .schema_from::<ai::ProviderRequest>()
        .schema_from::<ai::ProviderTestResult>()
        .schema_from::<ai::Routing>()
        .schema_from::<ai::MemoryRequest>()
        .schema_from::<ai::ChatRequest>()
        .schema_from::<ai::TokenUsage>()
        .schema_from::<ai::Attempt>()
        .schema_from::<ai::ChatAnswer>()
        .schema_from::<ai::EmbeddingsRequest>()
        .schema_from::<ai::EmbeddingsAnswer>()
        .schema_from::<ai::CreateApiKeyRequest>()
        .schema_from::<ai::ApiKey>()
        .schema_from::<ai::CreatedApiKey>()
        .schema_from::<ai::BudgetRequest>()
        .schema_from::<ai::Budget>()
        .schema_from::<ai::UsageRow>()
        .schema_from::<ai::LedgerRow>()
        .schema_from::<agents::Agent>()
        .schema_from::<agents::AgentStats>()
        .schema_from::<agents::RunCounts>()
        .schema_from::<agents::AgentRequest>()
        .schema_from::<agents::StartRunRequest>()
        .schema_from::<agents::RunStep>()
        .schema_from::<agents::Run>()
        .schema_from::<agents::RunWork>()
        .schema_from::<agents::ToolCallRequest>()
        .schema_from::<agents::FinishRunRequest>()
        .schema_from::<knowledge::KnowledgeBase>()
        .schema_from::<knowledge::CreateKnowledgeBaseRequest>()
        .schema_from::<knowledge::KnowledgeDocument>()
        .schema_from::<knowledge::AddDocumentRequest>()
        .schema_from::<knowledge::SearchRequest>()
        .schema_from::<knowledge::SearchHit>()
        .schema_from::<knowledge::MemoryChunk>()
        .schema_from::<knowledge::IngestionSource>()
        .schema_from::<knowledge::NewChunk>()
        .schema_from::<knowledge::PutChunksRequest>()
        .schema_from::<knowledge::PendingChunk>()
        .schema_from::<knowledge::ChunkPlan>()
        .schema_from::<knowledge::ChunkEmbedding>()
        .schema_from::<knowledge::PutEmbeddingsRequest>()
        .schema_from::<knowledge::DocumentReadyRequest>()
        .schema_from::<knowledge::DocumentFailedRequest>()
        .schema_from::<knowledge::DocumentTextRequest>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .build()
}

/// Builds the document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for def in ROUTES {
        let mut op = OperationBuilder::new()
            .summary(Some(def.summary))
            .operation_id(Some(format!("{:?}", def.id)))
            .tag(def.tag);
        for name in path_params(def.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(path_param_schema(name))),
            );
        }
        for (name, required, schema, description) in query_params(def) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(if required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .description(Some(description))
                    .schema(Some(schema)),
            );
        }
        if let Some(request) = def.request {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(request)))
                            .build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        if let Some((content_types, schema)) = upload_body(def) {
            let body = content_types
                .iter()
                .fold(RequestBodyBuilder::new(), |b, content_type| {
                    b.content(
                        *content_type,
                        ContentBuilder::new().schema(Some(schema.clone())).build(),
                    )
                });
            op = op.request_body(Some(body.required(Some(Required::True)).build()));
        }
        op = op.response(def.status.to_string(), success_response(def));
        op = op.response("default", error_response(def));
        match def.access {
            Access::Public => {}
            Access::User(permission) => {
                op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
                if let Some(p) = permission {
                    op = op.description(Some(format!("Requires the `{}` permission.", p.as_str())));
                }
            }
            Access::Service => {
                op = op
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .description(Some("Service token only (`WORKER_SERVICE_TOKEN`)."));
            }
            Access::ApiKey => {
                op = op
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .description(Some(
                        "An account API key (`Bearer pn_...`). Bodies, streams and errors are \
                         OpenAI's wire format, not the envelope.",
                    ));
            }
        }
        paths = paths.path(
            def.path,
            utoipa::openapi::PathItem::new(method(&def.method), op.build()),
        );
    }
    let mut doc = OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Powernode API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "Every response uses the envelope `{success, data, meta}` or `{success: false, error, code, details}`.",
        )))
        .paths(paths.build())
        .components(Some(components()))
        .build();
    doc.openapi = utoipa::openapi::OpenApiVersion::Version31;
    restrict_job_types(&mut doc);
    doc
}

/// `job_type` of an enqueue must be a registered job type: the list lives in `shared::job`,
/// which a derive attribute cannot name, so it is set here.
fn restrict_job_types(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(request))) = components.schemas.get_mut("EnqueueRequest")
        && let Some(RefOr::T(Schema::Object(job_type))) = request.properties.get_mut("job_type")
    {
        job_type.enum_values = Some(
            shared::job::JOB_TYPES
                .iter()
                .map(|t| serde_json::Value::from(*t))
                .collect(),
        );
    }
}

/// The error answer: the envelope, or OpenAI's error shape on the OpenAI-compatible surface.
fn error_response(def: &crate::routes::RouteDef) -> utoipa::openapi::Response {
    if def.access == Access::ApiKey {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let error = ObjectBuilder::new()
            .property("message", text())
            .required("message")
            .property("type", text())
            .required("type")
            .property("code", text())
            .property(
                "param",
                ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ])),
            );
        return ResponseBuilder::new()
            .description("OpenAI's error shape")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(
                        ObjectBuilder::new()
                            .property("error", error)
                            .required("error"),
                    ))
                    .build(),
            )
            .build();
    }
    ResponseBuilder::new()
        .description("Error envelope")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn success_response(def: &crate::routes::RouteDef) -> utoipa::openapi::Response {
    use crate::routes::RouteId as R;
    // OpenAI's own bodies (a completion, a chunk stream, a list), not the envelope.
    if def.access == Access::ApiKey {
        return ResponseBuilder::new()
            .description(def.summary)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                    .build(),
            )
            .content(
                "text/event-stream",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build(),
            )
            .build();
    }
    if is_binary_download(def) {
        return ResponseBuilder::new()
            .description(def.summary)
            .content(
                "*/*",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(
                        Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Binary,
                        )),
                    )))
                    .build(),
            )
            .build();
    }
    // Small answers with no DTO of their own.
    let inline = |fields: &[(&str, Type)]| -> RefOr<Schema> {
        fields
            .iter()
            .fold(ObjectBuilder::new(), |o, (name, ty)| {
                o.property(*name, ObjectBuilder::new().schema_type(ty.clone()))
                    .required(*name)
            })
            .into()
    };
    let (content_type, data): (&str, RefOr<Schema>) = match def.response {
        None if def.id == R::SharesRevoke => {
            ("application/json", inline(&[("revoked", Type::Boolean)]))
        }
        None if def.id == R::FilesSignedUrl => (
            "application/json",
            Ref::from_schema_name("SignedUrl").into(),
        ),
        None if def.id == R::FilesUploadContent => (
            "application/json",
            inline(&[("file_id", Type::String), ("received_bytes", Type::Integer)]),
        ),
        Some(name) if def.list => (
            "application/json",
            ArrayBuilder::new()
                .items(Ref::from_schema_name(name))
                .into(),
        ),
        // Claiming one job by id answers null when there is nothing to claim.
        Some(name) if def.id == R::WorkerClaimById => (
            "application/json",
            utoipa::openapi::OneOfBuilder::new()
                .item(Ref::from_schema_name(name))
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .into(),
        ),
        Some(name) => ("application/json", Ref::from_schema_name(name).into()),
        None if def.path == "/metrics" => (
            "text/plain",
            ObjectBuilder::new().schema_type(Type::String).into(),
        ),
        None if def.path.ends_with("openapi.json") => {
            ("application/json", ObjectBuilder::new().into())
        }
        None => (
            "application/json",
            ObjectBuilder::new().schema_type(Type::Null).into(),
        ),
    };
    let schema: RefOr<Schema> =
        if content_type == "application/json" && !def.path.ends_with("openapi.json") {
            ObjectBuilder::new()
                .property("success", ObjectBuilder::new().schema_type(Type::Boolean))
                .required("success")
                .property("data", data)
                .required("data")
                .property("meta", ObjectBuilder::new())
                .into()
        } else {
            data
        };
    ResponseBuilder::new()
        .description(def.summary)
        .content(
            content_type,
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

/// Routes whose success is the stored bytes themselves, in the file's own media type.
fn is_binary_download(def: &crate::routes::RouteDef) -> bool {
    use crate::routes::RouteId as R;
    matches!(
        def.id,
        R::FilesDownload
            | R::FilesThumbnail
            | R::FilesPoster
            | R::FilesVersionDownload
            | R::FilesSignedContent
            | R::ShareDownload
            | R::WorkerFileContent
    )
}

/// A query parameter: name, required, schema, description.
type QueryParam = (&'static str, bool, Schema, &'static str);

/// The query parameters each route reads, as its handler validates them.
fn query_params(def: &crate::routes::RouteDef) -> Vec<QueryParam> {
    use crate::routes::RouteId as R;
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    let int = |min: i64, max: i64| -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(min))
            .maximum(Some(max))
            .into()
    };
    let text = || -> Schema { ObjectBuilder::new().schema_type(Type::String).into() };
    let uuid = || -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into()
    };
    let max_page = i64::from(shared::pagination::MAX_PER_PAGE);
    let paged = || -> Vec<QueryParam> {
        vec![
            (
                "page",
                false,
                int(1, i64::from(u32::MAX)),
                "Page number, from 1.",
            ),
            (
                "per_page",
                false,
                int(1, max_page),
                "Items per page (default 25).",
            ),
        ]
    };
    let signed = || -> Vec<QueryParam> {
        vec![
            (
                "expires",
                true,
                int(0, i64::MAX),
                "Unix time the link expires (from the signed URL).",
            ),
            (
                "signature",
                true,
                text(),
                "The link's signature (from the signed URL).",
            ),
        ]
    };
    match def.id {
        R::FilesList => {
            let mut p = paged();
            p.extend([
                (
                    "include_deleted",
                    false,
                    one_of(["true", "false"]),
                    "Also list files in the trash.",
                ),
                ("category", false, text(), "Only this category."),
                ("tag", false, text(), "Only files with this tag."),
                ("q", false, text(), "Name contains this text."),
                ("content_type", false, text(), "Only this media type."),
            ]);
            p
        }
        R::FilesDelete => vec![(
            "permanent",
            false,
            one_of(["true", "false"]),
            "Delete for good instead of moving to the trash.",
        )],
        R::FilesSignedUrl => vec![(
            "expires_in",
            false,
            int(
                *crate::service::files::signed::EXPIRES_IN.start(),
                *crate::service::files::signed::EXPIRES_IN.end(),
            ),
            "Seconds the link works (default 3600).",
        )],
        R::FilesSignedContent => {
            let mut p = vec![(
                "version",
                true,
                int(1, i64::from(i32::MAX)),
                "The version the link is for.",
            )];
            p.extend(signed());
            p
        }
        R::FilesUploadContent => signed(),
        R::WorkerFileContent => vec![(
            "version",
            false,
            int(1, i64::from(i32::MAX)),
            "A version number (default: the newest).",
        )],
        R::AdminQueueHistory => vec![(
            "minutes",
            false,
            int(
                i64::from(*crate::service::jobs::HISTORY_MINUTES.start()),
                i64::from(*crate::service::jobs::HISTORY_MINUTES.end()),
            ),
            "How far back, in minutes (default 60).",
        )],
        R::AdminJobsList => {
            let mut p = paged();
            p.push(("queue", false, text(), "Only this queue."));
            p.push((
                "state",
                false,
                one_of(shared::job::JobState::ALL.iter().map(|s| s.as_str())),
                "Only jobs in this state.",
            ));
            p
        }
        R::UsersList => paged(),
        R::WebhookEventsList => {
            let mut p = paged();
            p.push(("endpoint_id", false, uuid(), "Only this endpoint's events."));
            p.push((
                "state",
                false,
                one_of(shared::api::webhooks::EVENT_STATES.iter().copied()),
                "Only events in this state.",
            ));
            p
        }
        _ => Vec::new(),
    }
}

/// A text schema that takes only `values`.
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

/// The body of an upload route: the multipart forms of an upload and of a new version (the
/// text parts as `receive` reads them), and the raw bytes of a direct upload's own URL.
fn upload_body(def: &crate::routes::RouteDef) -> Option<(&'static [&'static str], Schema)> {
    use crate::routes::RouteId as R;
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    let binary = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
    };
    let text = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
    };
    let form = ObjectBuilder::new()
        .property(
            "file",
            binary().description(Some("The file's bytes (one part).")),
        )
        .required("file");
    match def.id {
        R::FilesUpload => Some((
            &["multipart/form-data"],
            form.property(
                "category",
                text("1 to 50 of a-z, 0-9, _ and - (else from the sniffed type).")
                    .pattern(Some("^\\s*([a-z0-9_-]{1,50})?\\s*$")),
            )
            .property(
                "visibility",
                text("`private` (default), `account` or `public`.")
                    .pattern(Some("^\\s*(private|account|public)\\s*$")),
            )
            .property(
                "tags",
                text("Tag names, comma-separated; 1 to 64 characters each, at most 50."),
            )
            .property("metadata", text("A JSON object, as text."))
            .into(),
        )),
        R::FilesVersionCreate => Some((
            &["multipart/form-data"],
            form.property("change_description", text("What changed (optional)."))
                .into(),
        )),
        R::FilesUploadContent => Some((&["application/octet-stream"], binary().into())),
        // The media runner's derivatives, in the formats `derivatives::put` stores.
        R::WorkerFileThumbnail | R::WorkerFilePoster => {
            Some((&["image/jpeg", "image/png", "image/webp"], binary().into()))
        }
        _ => None,
    }
}

/// What a path parameter holds, as its handler parses it: ids are UUIDs, `{n}` a version
/// number from 1, `{size}` one of the thumbnail sizes, `{task}` a maintenance task's name;
/// queue names, tags and job types are text.
fn path_param_schema(name: &str) -> Schema {
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    let text = ObjectBuilder::new().schema_type(Type::String);
    match name {
        "id" | "job_id" => text
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into(),
        "n" => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(1))
            .into(),
        "size" => text
            .enum_values(Some(crate::service::files::THUMBNAIL_SIZES))
            .into(),
        "task" => text
            .enum_values(Some(
                shared::api::maintenance::MaintenanceTask::ALL
                    .iter()
                    .map(|t| t.as_str()),
            ))
            .into(),
        _ => text.min_length(Some(1)).into(),
    }
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn method(m: &http::Method) -> HttpMethod {
    match *m {
        http::Method::POST => HttpMethod::Post,
        http::Method::PUT => HttpMethod::Put,
        http::Method::PATCH => HttpMethod::Patch,
        http::Method::DELETE => HttpMethod::Delete,
        http::Method::HEAD => HttpMethod::Head,
        http::Method::OPTIONS => HttpMethod::Options,
        _ => HttpMethod::Get,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enqueue_names_only_registered_job_types() {
        let doc = serde_json::to_value(document()).expect("document as JSON");
        let listed =
            &doc["components"]["schemas"]["EnqueueRequest"]["properties"]["job_type"]["enum"];
        assert_eq!(listed, &serde_json::json!(shared::job::JOB_TYPES));
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = serde_json::to_value(document()).expect("document as JSON");
        let defined = doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .clone();
        let text = doc.to_string();
        let prefix = "\"#/components/schemas/";
        let missing: Vec<&str> = text
            .match_indices(prefix)
            .filter_map(|(at, _)| text[at + prefix.len()..].split('"').next())
            .filter(|name| !defined.contains_key(*name))
            .collect();
        assert!(
            missing.is_empty(),
            "referenced but not defined: {missing:?}"
        );
    }

    #[test]
    fn every_route_is_documented_with_its_method() {
        let doc = document();
        for def in ROUTES {
            let item = doc
                .paths
                .paths
                .get(def.path)
                .unwrap_or_else(|| panic!("{} missing", def.path));
            let op = match def.method {
                http::Method::GET => &item.get,
                http::Method::POST => &item.post,
                http::Method::PUT => &item.put,
                http::Method::PATCH => &item.patch,
                http::Method::DELETE => &item.delete,
                _ => &None,
            };
            assert!(op.is_some(), "{} {} missing", def.method, def.path);
        }
        let documented: usize = doc
            .paths
            .paths
            .values()
            .map(|i| {
                [&i.get, &i.post, &i.patch, &i.delete, &i.put]
                    .iter()
                    .filter(|o| o.is_some())
                    .count()
            })
            .sum();
        assert_eq!(documented, ROUTES.len(), "no operation without a route");
    }

    #[test]
    fn committed_json_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        let generated = document().to_json().expect("serialises");
        if std::env::var_os("POWERNODE_UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).expect("writes openapi.json");
            return;
        }
        assert!(
            PREBUILT == generated.as_bytes(),
            "functions/api/openapi.json differs from the document the routes and schemas \
             build (the Worker serves that file); refresh it with \
             POWERNODE_UPDATE_OPENAPI=1 cargo test -p powernode-api --lib committed_json_is_current"
        );
    }

    #[test]
    fn every_referenced_schema_exists() {
        let names = schema_names();
        for def in ROUTES {
            for name in def.request.iter().chain(def.response.iter()) {
                assert!(
                    names.iter().any(|n| n == name),
                    "schema {name} of {} is not registered",
                    def.path
                );
            }
        }
    }
}
