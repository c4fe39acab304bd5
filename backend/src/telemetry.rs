//! Log output: compact text for a terminal, JSON lines for collectors.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber. A bad filter falls back to `info` and says so,
/// rather than starting with no logs at all.
pub fn init(settings: &LogSettings) {
    let (filter, filter_error) = match EnvFilter::try_new(&settings.filter) {
        Ok(filter) => (filter, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_span_events(FmtSpan::NONE);
    let installed = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
    if installed.is_err() {
        // Already installed (tests build several apps in one process): keep it.
        return;
    }
    if let Some(error) = filter_error {
        tracing::warn!(filter = %settings.filter, %error, "invalid log filter, using `info`");
    }
}

/// Middleware: returns the request id of the request's root span as
/// `x-request-id`, so a user's report can be matched with the log.
pub async fn request_id_header(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage as _;
    let request_id = request.extensions().get::<tracing_actix_web::RequestId>().copied();
    let mut response = next.call(request).await?;
    if let Some(request_id) = request_id
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&request_id.to_string())
    {
        response.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}
