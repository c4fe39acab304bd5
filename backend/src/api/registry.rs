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
use crate::registry::{events, read, redact, yaml};

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

/// `GET /api/v1/registry`: the registry as the caller sees it; parts the
/// caller may not read are `forbidden`, not an error of the whole call.
async fn get_registry(caller: Caller) -> Result<HttpResponse, ApiError> {
    let view = read::read_view(&caller.client).await?;
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, "no-store")).json(view))
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
