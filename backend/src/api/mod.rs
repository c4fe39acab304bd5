//! The REST API under `/api/v1` and the probes. Handlers are thin: extract,
//! call, map the error. Each area has its own file with a `scope()`.

pub mod caller;
pub mod health;
pub mod openapi;
pub mod plans;
pub mod registry;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, problem_response};

/// Everything under `/api`.
pub fn scope() -> actix_web::Scope {
    web::scope("/api")
        .route("/openapi.json", web::get().to(openapi::get_openapi))
        // A nested scope does not inherit its parent's default service.
        .service(
            web::scope("/v1")
                .service(health::scope())
                .service(registry::scope())
                .service(plans::scope())
                .default_service(web::to(unknown_api_path)),
        )
        .default_service(web::to(unknown_api_path))
}

/// Unknown API paths answer a problem document, never the app's HTML.
async fn unknown_api_path(request: HttpRequest) -> HttpResponse {
    problem_response(
        &ApiError::not_found(format!("no API resource at {} {}", request.method(), request.path())).problem(),
    )
}

/// Malformed JSON bodies answer 400 with what is wrong, as problem+json.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(1024 * 1024).error_handler(|error, _request| {
        let detail = format!("the request body is not valid: {error}");
        actix_web::error::InternalError::from_response(
            error,
            problem_response(&ApiError::bad_request(detail).problem()),
        )
        .into()
    })
}

/// Malformed query strings answer 400 as problem+json.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _request| {
        let detail = format!("the query string is not valid: {error}");
        actix_web::error::InternalError::from_response(
            error,
            problem_response(&ApiError::bad_request(detail).problem()),
        )
        .into()
    })
}
