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
    use shared::api::{auth, files, jobs, ops, storages, users, webhooks};
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
        .schema_from::<files::Tag>()
        .schema_from::<files::FileVersion>()
        .schema_from::<files::CreateShareRequest>()
        .schema_from::<files::Share>()
        .schema_from::<files::ProcessingJob>()
        .schema_from::<files::CreateUploadRequest>()
        .schema_from::<files::DirectUpload>()
        .schema_from::<files::UpdateProcessingJobRequest>()
        .schema_from::<files::MergeMetadataRequest>()
        .schema_from::<storages::Storage>()
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
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(
                        Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Uuid,
                        )),
                    ))),
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
        op = op.response(def.status.to_string(), success_response(def));
        op = op.response(
            "default",
            ResponseBuilder::new()
                .description("Error envelope")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                ),
        );
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
    doc
}

fn success_response(def: &crate::routes::RouteDef) -> utoipa::openapi::Response {
    let (content_type, data): (&str, RefOr<Schema>) = match def.response {
        Some(name) if def.list => (
            "application/json",
            ArrayBuilder::new()
                .items(Ref::from_schema_name(name))
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
