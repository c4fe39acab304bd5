//! RFC 9457 problem documents: the one error format of the API, decoded by
//! the app to show errors in the user's language.

use serde::{Deserialize, Serialize};

/// Media type of every error response.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An error answer of the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short English summary of the kind of problem.
    pub title: String,
    pub status: u16,
    /// English explanation of this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Identifies this occurrence: the request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Every invalid field, with a stable code the app translates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extension members of this kind of problem, e.g. `diff` on a 409.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// One invalid field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON path of the field, such as `spec.storage.s3.bucket`.
    pub field: String,
    /// Stable code; translations are keyed by it, never by the English text.
    pub code: String,
    /// English message, for API clients.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_uses_rfc_9457_member_names() {
        let problem = Problem {
            kind: "about:blank".into(),
            title: "Not Found".into(),
            status: 404,
            detail: None,
            instance: None,
            errors: vec![],
            extensions: serde_json::Map::new(),
        };
        let json = serde_json::to_value(&problem).expect("serialise");
        assert_eq!(json, serde_json::json!({"type": "about:blank", "title": "Not Found", "status": 404}));
    }
}
