//! `/api/v1/registry`: the read model, the redacted object/YAML view of one
//! object, and the live event stream. Everything is read with the caller's
//! own credential.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use model::{FieldError, Problem};
use serde::Deserialize;
use serde_json::json;

use crate::api::caller::Caller;
use crate::cluster::resource::ALL;
use crate::error::{ApiError, problem_response};
use crate::registry::{cache, events, redact, yaml};
use crate::startup::AppState;

pub fn scope() -> actix_web::Scope {
    web::scope("/registry")
        .route("", web::get().to(get_registry))
        .route("/objects", web::get().to(get_object))
        .route("/events", web::get().to(get_events))
        .default_service(web::to(unknown_path))
}

async fn unknown_path(request: HttpRequest) -> HttpResponse {
    problem_response(
        &ApiError::not_found(format!("no API resource at {} {}", request.method(), request.path())).problem(),
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/registry",
    tag = "registry",
    operation_id = "getRegistry",
    summary = "The registry as the caller sees it",
    description = "The registry's config, operator, storage, routes, trusted CAs, pruner, pods and cluster, read \
        with the caller's own credential. A part the caller may not read (or that is missing or fails) is a \
        section with `state` `forbidden`, `absent` or `error`, not an error of the whole call. `readOnly` is true \
        when the provider manages the registry config (e.g. a hosted control plane).",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The read model.", body = model::registry::view::RegistryView),
        (status = 401, description = "No or malformed bearer token, or the API server rejected it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The API server could not be reached or answered something unreadable.", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
/// `GET /api/v1/registry`: the registry as the caller sees it; parts the
/// caller may not read are `forbidden`, not an error of the whole call.
async fn get_registry(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (view, source) = cache::read_view(state.read_cache.as_deref(), &caller.client).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((cache::SOURCE_HEADER, source.as_str()))
        .json(view))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectQuery {
    api_version: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

/// A 400 naming the field, as validation problems do.
fn field_problem(field: &str, code: &str, message: String) -> HttpResponse {
    let mut problem: Problem = ApiError::bad_request(message.clone()).problem();
    problem.errors = vec![FieldError { field: field.into(), code: code.into(), message }];
    problem_response(&problem)
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/objects",
    tag = "registry",
    operation_id = "getRegistryObject",
    summary = "One object as JSON and YAML, secrets redacted",
    description = "One object of a kind the console shows (the registry config, routes, claims, secrets, config \
        maps, …), read with the caller's credential; secret values are redacted in both forms. An unknown kind, an \
        apiVersion that does not serve it, a bad name or a missing namespace of a namespaced kind answer 400 naming \
        the field (`errors[].field`).",
    params(
        ("apiVersion" = String, Query, description = "API version of the kind, e.g. `imageregistry.operator.openshift.io/v1`."),
        ("kind" = String, Query, description = "Kind, e.g. `Config`, `Route`, `PersistentVolumeClaim`."),
        ("namespace" = Option<String>, Query, description = "Namespace; required for namespaced kinds."),
        ("name" = String, Query, description = "Object name."),
    ),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The object, redacted, and the same as YAML.", body = crate::api::openapi::RegistryObject),
        (status = 400, description = "A query parameter is missing or wrong; `errors` names it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or malformed bearer token, or the API server rejected it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API server refused the caller this object.", body = model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The object does not exist.", body = model::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The API server could not be reached or answered something unreadable.", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
/// `GET /api/v1/registry/objects?apiVersion=&kind=&namespace=&name=`: one
/// object of a kind the console knows, as JSON and YAML, secrets redacted.
async fn get_object(caller: Caller, query: web::Query<ObjectQuery>) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let kind = query.kind.unwrap_or_default();
    let api_version = query.api_version.unwrap_or_default();
    let candidates: Vec<_> = ALL.iter().filter(|resource| resource.kind == kind).collect();
    if candidates.is_empty() {
        let known: Vec<&str> = ALL.iter().map(|resource| resource.kind).collect();
        return Ok(field_problem(
            "kind",
            "object.kind_unknown",
            format!("kind {kind:?} is not one the console shows; known kinds: {}", known.join(", ")),
        ));
    }
    let Some(resource) = candidates.iter().find(|resource| resource.api_version == api_version) else {
        let versions: Vec<&str> = candidates.iter().map(|resource| resource.api_version).collect();
        return Ok(field_problem(
            "apiVersion",
            "object.api_version_unknown",
            format!("apiVersion {api_version:?} does not serve kind {kind}; use {}", versions.join(" or ")),
        ));
    };
    let name = query.name.unwrap_or_default();
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Ok(field_problem("name", "object.name_invalid", format!("name {name:?} is not an object name")));
    }
    let namespace = query.namespace.unwrap_or_default();
    if resource.namespaced && (namespace.is_empty() || namespace.contains('/') || namespace == "." || namespace == "..")
    {
        return Ok(field_problem(
            "namespace",
            "object.namespace_required",
            format!("kind {kind} is namespaced: give the namespace"),
        ));
    }
    let object = caller.client.get(&resource.path(&namespace, &name)).await?;
    let object = redact::redact(&object);
    let yaml = yaml::to_yaml(&object);
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(json!({"object": object, "yaml": yaml})))
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/events",
    tag = "registry",
    operation_id = "getRegistryEvents",
    summary = "Live changes of the registry's objects (Server-Sent Events)",
    description = "A `text/event-stream` of the registry's objects as they change, watched with the caller's \
        credential. Events: `ready` (every watch started), `change` (an object changed), `degraded` (a watch the \
        caller may not do, reported once), `resync` (after `410 Gone` a kind was listed afresh: re-read \
        `GET /api/v1/registry`); a `: ping` comment every 15 s. Every event has an `id`; reconnecting with \
        `Last-Event-ID` resumes each watch where it was. The watches end when the client goes away.",
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after a reconnect.")),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The event stream (uncompressed, not cached).", body = String, content_type = "text/event-stream"),
        (status = 401, description = "No or malformed bearer token.", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
/// `GET /api/v1/registry/events`: Server-Sent Events of the registry's objects.
async fn get_events(caller: Caller, request: HttpRequest) -> HttpResponse {
    let last_event_id = request.headers().get("Last-Event-ID").and_then(|value| value.to_str().ok());
    let body = events::stream(&caller.client, last_event_id);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        // Compression would hold events back; `identity` keeps the Compress middleware off.
        .insert_header((CONTENT_ENCODING, "identity"))
        .streaming(body)
}
