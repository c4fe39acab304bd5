//! Liveness, readiness and the health summary the Overview page shows.

use std::time::Instant;

use actix_web::{HttpResponse, web};
use model::{Check, Health};

use crate::db;
use crate::startup::AppState;

pub fn scope() -> actix_web::Resource {
    web::resource("/health").route(web::get().to(get_health))
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "probes",
    operation_id = "getHealthz",
    summary = "Liveness: the process is alive",
    description = "Answers `ok` while the process runs; touches nothing else (no database, no cluster).",
    responses((status = 200, description = "The process is alive.", body = String, content_type = "text/plain", example = "ok\n"))
)]
/// `GET /healthz`: the process is alive; touches nothing else.
pub async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "probes",
    operation_id = "getReadyz",
    summary = "Readiness: every dependency answers",
    description = "200 when every dependency (the database) answers, 503 otherwise; the body is the same as \
        `GET /api/v1/health` and says which check failed.",
    responses(
        (status = 200, description = "Ready: every check passed.", body = Health),
        (status = 503, description = "Not ready: a check failed (`ready: false`).", body = Health),
    )
)]
/// `GET /readyz`: 200 when every dependency answers, 503 otherwise; same body as `/api/v1/health`.
pub async fn get_readyz(state: web::Data<AppState>) -> HttpResponse {
    let health = check_health(&state).await;
    let mut response = if health.ready { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    response.insert_header(("Cache-Control", "no-store")).json(health)
}

#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "probes",
    operation_id = "getHealth",
    summary = "The server's health summary",
    description = "Always 200 (unlike `/readyz`); `ready` and each check's `ok` and `message` say what is wrong. \
        Needs no credential.",
    responses((status = 200, description = "The server's version, uptime and checks.", body = Health))
)]
/// `GET /api/v1/health`: always 200; the body says what is wrong.
pub async fn get_health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(check_health(&state).await)
}

async fn check_health(state: &AppState) -> Health {
    let started = Instant::now();
    let database = db::ping(&state.db).await;
    let database = Check {
        name: "database".into(),
        ok: database.is_ok(),
        message: database.err().map(|error| error.to_string()),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    Health::new(model::VERSION, state.started.elapsed().as_secs(), vec![database])
}
