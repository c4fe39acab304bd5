//! `ApiError`, the only `ResponseError` of the server: every error answer is
//! an RFC 9457 problem document. Causes of 500s are logged here, once, and
//! never sent to the client. The API server's own refusals (403, 404, 409,
//! 422, …) are passed on with its status and message.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, ResponseError};
use model::Problem;
use model::plan::DiffEntry;
use model::problem::PROBLEM_CONTENT_TYPE;
use model::registry::Finding;
use model::{FieldError, Lang};

use crate::cluster::ClusterError;

/// Problem types of this API (`type` member); others are `about:blank`.
pub mod types {
    pub const VALIDATION: &str = "https://registry-console.dev/problems/validation";
    pub const CONFLICT: &str = "https://registry-console.dev/problems/conflict";
    pub const CLUSTER: &str = "https://registry-console.dev/problems/cluster";
    pub const CONFIRMATION: &str = "https://registry-console.dev/problems/confirmation-required";
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    NotFound { detail: String },
    #[error("{detail}")]
    BadRequest { detail: String },
    #[error("{detail}")]
    Unauthorized { detail: String },
    #[error("{detail}")]
    MethodNotAllowed { detail: String },
    #[error("{detail}")]
    Unavailable { detail: String },
    /// The request breaks the registry's rules; nothing was changed.
    #[error("the request is not valid: {}", summary(.findings))]
    Invalid { findings: Vec<Finding> },
    /// The plan needs confirmations the request did not give.
    #[error("this plan needs explicit confirmation: {}", .codes.join(", "))]
    ConfirmationRequired { codes: Vec<String>, messages: Vec<String> },
    /// The object moved since the plan was made; `diff` is what changed.
    #[error("{detail}")]
    Conflict { detail: String, diff: Vec<DiffEntry> },
    /// The cluster or the plan is not in a state this request can start from.
    #[error("{detail}")]
    State { detail: String },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .filter(|finding| finding.is_error())
        .map(|finding| format!("{}: {}", finding.field, finding.message(Lang::En)))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound { detail: detail.into() }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest { detail: detail.into() }
    }

    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(error))
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(_) => "The server failed to handle the request; its log has the cause.".to_owned(),
            other => other.to_string(),
        };
        let mut problem = Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: Some(detail),
            instance: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
        };
        match self {
            ApiError::Invalid { findings } => {
                problem.kind = types::VALIDATION.into();
                problem.title = "The request breaks the registry's rules".into();
                problem.errors = findings
                    .iter()
                    .filter(|finding| finding.is_error())
                    .map(|finding| FieldError {
                        field: finding.field.clone(),
                        code: finding.code.clone(),
                        message: finding.message(Lang::En),
                    })
                    .collect();
            }
            ApiError::ConfirmationRequired { codes, messages } => {
                problem.kind = types::CONFIRMATION.into();
                problem.title = "Confirmation required".into();
                problem.errors = codes
                    .iter()
                    .zip(messages)
                    .map(|(code, message)| FieldError {
                        field: "confirm".into(),
                        code: format!("plan.confirm.{code}"),
                        message: message.clone(),
                    })
                    .collect();
            }
            ApiError::Conflict { diff, .. } => {
                problem.kind = types::CONFLICT.into();
                problem.title = "The object changed since the plan was made".into();
                problem.extensions.insert("diff".into(), serde_json::to_value(diff).unwrap_or_default());
            }
            ApiError::Cluster(ClusterError::Api { reason, .. }) => {
                problem.kind = types::CLUSTER.into();
                if !reason.is_empty() {
                    problem.extensions.insert("reason".into(), reason.clone().into());
                }
            }
            _ => {}
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Invalid { .. } | ApiError::ConfirmationRequired { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } | ApiError::State { .. } => StatusCode::CONFLICT,
            ApiError::Cluster(error) => match error {
                ClusterError::Api { status, .. } => StatusCode::from_u16(*status)
                    .ok()
                    .filter(|s| s.is_client_error())
                    .unwrap_or(StatusCode::BAD_GATEWAY),
                ClusterError::NotConfigured | ClusterError::BadSettings(_) => StatusCode::SERVICE_UNAVAILABLE,
                ClusterError::Transport(_) | ClusterError::Decode(_) => StatusCode::BAD_GATEWAY,
            },
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, source = ?std::error::Error::source(cause.as_ref()), "request failed");
            }
            ApiError::Cluster(error) if self.status_code().is_server_error() => {
                tracing::warn!(%error, "cluster request failed");
            }
            _ => {}
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
