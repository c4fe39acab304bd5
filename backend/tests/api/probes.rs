//! `/healthz`, `/readyz`, `/api/v1/health`, `/metrics`, and problem documents.

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "ok\n");
}

#[tokio::test]
async fn readyz_reports_the_database_and_version() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let health: model::Health = response.json().await.expect("health JSON");
    assert!(health.ready);
    assert_eq!(health.version, model::VERSION);
    let database = health.checks.iter().find(|c| c.name == "database").expect("database check");
    assert!(database.ok, "{database:?}");
}

#[tokio::test]
async fn api_health_is_the_same_document() {
    let app = spawn_app().await;
    let health: model::Health = app.get("/api/v1/health").await.json().await.expect("health JSON");
    assert!(health.ready);
    assert_eq!(health.checks.len(), 1);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/api/v1/nothing-here").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = response.text().await.expect("body");
    assert!(
        text.contains(r#"registry_console_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"status="404""#), "{text}");
    assert!(text.contains("registry_console_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

#[tokio::test]
async fn unknown_api_path_is_a_problem_document() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/no-such-thing").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: model::Problem = response.json().await.expect("problem JSON");
    assert_eq!(problem.status, 404);
    assert_eq!(problem.title, "Not Found");
    assert!(problem.detail.as_deref().is_some_and(|d| d.contains("/api/v1/no-such-thing")), "{problem:?}");
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = spawn_app().await;
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |r: &reqwest::Response| {
        r.headers().get("x-request-id").expect("x-request-id").to_str().expect("ascii").to_owned()
    };
    assert_ne!(id(&first), id(&second));
}
