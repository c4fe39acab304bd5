//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format
//! (which Prometheus scrapes natively). Routes are labelled by their pattern,
//! never the raw path, so the series count stays bounded.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::error::ApiError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The server's metrics registry and the families the middleware updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("registry_console");
        let requests = Family::<RequestLabels, Counter>::default();
        // 1 ms … ~16 s: API calls, plan previews and slow cluster round trips.
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register(
            "cluster_requests",
            "Requests to the Kubernetes API server made as a user, by verb",
            crate::cluster::CLUSTER_REQUESTS.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to produce the response, by route",
            Unit::Seconds,
            durations.clone(),
        );
        Self { registry, requests, durations }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { method: method.to_owned(), route: route.to_owned(), status })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { method: method.to_owned(), route: route.to_owned() })
            .observe(seconds);
    }

    fn render(&self) -> Result<String, ApiError> {
        let mut text = String::new();
        encode(&mut text, &self.registry).map_err(|error| ApiError::Internal(Box::new(error)))?;
        Ok(text)
    }
}

/// Middleware: counts and times every request.
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    let response = next.call(request).await?;
    if let Some(metrics) = metrics {
        // Unmatched paths (the app's own routes, unknown files) share one label.
        let route = response.request().match_pattern().unwrap_or_else(|| "other".to_owned());
        metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// `GET /metrics`
pub async fn get_metrics(metrics: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(metrics.render()?))
}
