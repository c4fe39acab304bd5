//! The result of a validation rule: a stable code, the field path it is
//! about, and the values its message needs. Messages come from the
//! translation tables (key `validation.<code>`), so the browser shows them
//! in the user's language and API clients get English.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, Msg};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The change is refused (422) until fixed.
    Error,
    /// The change may go ahead; the user is told what it means.
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    /// JSON path in the request, such as `provider.s3.regionEndpoint` or `routes[1].name`.
    pub field: String,
    /// Stable code, such as `storage.provider_count`.
    pub code: String,
    /// Values for the message's `{placeholders}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Finding {
    pub fn error(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self { severity: Severity::Error, field: field.into(), code: code.into(), params: BTreeMap::new() }
    }

    pub fn warning(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, field: field.into(), code: code.into(), params: BTreeMap::new() }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message in `lang`, placeholders filled; the code itself when no
    /// text exists (a test keeps every code translated).
    pub fn message(&self, lang: Lang) -> String {
        let key = format!("validation.{}", self.code);
        let Some(msg) = Msg::ALL.iter().find(|msg| msg.key() == key) else {
            return self.code.clone();
        };
        fill(lang.text(*msg), &self.params)
    }
}

/// Replaces `{name}` with its value.
pub fn fill(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut text = template.to_owned();
    for (name, value) in params {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}
