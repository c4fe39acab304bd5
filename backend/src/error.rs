//! `ApiError`, the only `ResponseError` of the server: every error answer is
//! an RFC 9457 problem document. Causes of 500s are logged here, once, and
//! never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, ResponseError};
use model::Problem;
use model::problem::PROBLEM_CONTENT_TYPE;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    NotFound { detail: String },
    #[error("{detail}")]
    BadRequest { detail: String },
    #[error("{detail}")]
    MethodNotAllowed { detail: String },
    #[error("{detail}")]
    Unavailable { detail: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound { detail: detail.into() }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest { detail: detail.into() }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(_) => "The server failed to handle the request; its log has the cause.".to_owned(),
            other => other.to_string(),
        };
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: Some(detail),
            instance: None,
            errors: Vec::new(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = %cause, source = ?std::error::Error::source(cause.as_ref()), "request failed");
        }
        problem_response(&self.problem())
    }
}

/// Renders a problem document with its status and media type.
pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // `json()` keeps a content type that is already set.
    HttpResponse::build(status).insert_header((CONTENT_TYPE, PROBLEM_CONTENT_TYPE)).json(problem)
}
