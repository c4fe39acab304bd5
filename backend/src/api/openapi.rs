//! The OpenAPI 3.1 document of the whole HTTP API, served at
//! `GET /api/openapi.json`. Operations come from the `#[utoipa::path]`
//! attributes on the handlers, schemas from `model`'s DTOs (its `openapi`
//! feature); `/metrics`, whose handler lives outside `api/`, is added here.
//!
//! [`ROUTES`] lists every route the server registers; `tests/api/openapi.rs`
//! checks it against the document, the route table in the sources and the
//! running server, so a route added without documentation fails the tests.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Discriminator, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, RefOr};
use utoipa::{Modify, OpenApi};

use crate::api::{health, plans, registry};
use crate::error::ApiError;

/// Every route the server registers, as `(method, path)` with path
/// parameters in braces: `startup.rs` and the `scope()`s under `api/`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
    ("get", "/api/v1/health"),
    ("get", "/api/v1/registry"),
    ("get", "/api/v1/registry/objects"),
    ("get", "/api/v1/registry/events"),
    ("post", "/api/v1/plans"),
    ("get", "/api/v1/plans/{id}"),
    ("post", "/api/v1/plans/{id}/apply"),
    ("get", "/api/v1/plans/{id}/export"),
];

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearerAuth";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Registry Console API",
        description = "Read and change the OpenShift image registry. Every change is a plan: `POST /api/v1/plans` \
            previews it (diff, `oc` commands, dangers, the API server's dry-run), `POST /api/v1/plans/{id}/apply` \
            applies it with the confirmations its dangers need. Calls under `/api/v1/registry` and \
            `/api/v1/plans` act with the caller's own cluster credential, sent as `Authorization: Bearer <token>` \
            (e.g. `oc whoami -t`) and passed through to the API server, whose refusals (403, 404, 409, 422) are \
            passed on. Every error is an RFC 9457 problem document (`application/problem+json`); unknown paths \
            under `/api` answer a 404 problem."
    ),
    paths(
        health::get_healthz,
        health::get_readyz,
        health::get_health,
        registry::get_registry,
        registry::get_object,
        registry::get_events,
        plans::preview,
        plans::get_plan,
        plans::apply,
        plans::export,
        get_openapi,
    ),
    components(schemas(model::Problem, model::FieldError)),
    modifiers(&Additions),
    tags(
        (name = "probes", description = "Liveness, readiness, health and metrics; no credential needed."),
        (name = "registry", description = "The registry as the caller sees it, one object at a time, and live changes."),
        (name = "plans", description = "Preview a change as a plan, read it back, export it for GitOps, apply it."),
        (name = "meta", description = "This document."),
    )
)]
struct ApiDoc;

/// The body of `GET /api/v1/registry/objects`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes a `json!` answer; never built.
pub struct RegistryObject {
    /// The object as the API server returned it, secret values redacted.
    #[schema(value_type = Object)]
    object: serde_json::Value,
    /// The same object as YAML.
    yaml: String,
}

/// A 409 problem of an apply. When an object changed since the preview,
/// `diff` has every changed field, its path prefixed with the object
/// (`Kind/namespace/name:path`); a plan already applied has no `diff`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes `ApiError::Conflict`'s problem; never built.
pub struct ConflictProblem {
    #[serde(flatten)]
    problem: model::Problem,
    #[serde(default)]
    diff: Vec<model::plan::DiffEntry>,
}

/// What the attributes cannot say: the bearer scheme, `/metrics`, the
/// version, and the tag property of the tagged unions.
struct Additions;

impl Modify for Additions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.version = model::VERSION.into();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The caller's cluster token (`oc whoami -t`, a service account token), passed through to \
                         the Kubernetes API server: every cluster read and write is done as the caller.",
                    ))
                    .build(),
            ),
        );
        for (schema, property) in [("PlanRequest", "kind"), ("StorageProvider", "type"), ("RouteTls", "source")] {
            if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(schema) {
                one_of.discriminator = Some(Discriminator::new(property));
            }
        }
        openapi.paths.add_path_operation(
            "/metrics",
            vec![HttpMethod::Get],
            OperationBuilder::new()
                .tag("probes")
                .operation_id(Some("getMetrics"))
                .summary(Some("Prometheus metrics (OpenMetrics text)"))
                .description(Some(
                    "The server's metrics in the OpenMetrics text format, prefixed `registry_console_`: HTTP \
                     requests counted by route pattern, method and status and timed by route, and the requests made \
                     to the Kubernetes API server as a user, by verb. Needs no credential.",
                ))
                .response(
                    "200",
                    ResponseBuilder::new().description("The metrics.").content(
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::String))).build(),
                    ),
                )
                .response(
                    "500",
                    ResponseBuilder::new().description("The metrics could not be rendered.").content(
                        model::problem::PROBLEM_CONTENT_TYPE,
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))))
                            .build(),
                    ),
                ),
        );
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);
    &DOCUMENT
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    operation_id = "getOpenApi",
    summary = "This OpenAPI 3.1 document",
    description = "The whole HTTP API described in OpenAPI 3.1. Needs no credential.",
    responses((status = 200, description = "The document.", body = Object, content_type = "application/json"))
)]
pub async fn get_openapi() -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(document()).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(body))
}
