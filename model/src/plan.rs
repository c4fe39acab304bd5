//! What the server answers about a plan: its steps with a field-level diff,
//! the equivalent `oc` commands, warnings, the confirmations it needs, the
//! API server's dry-run result, and after apply what happened to each step.
//! Secret values never appear: a diff shows `sha256:<12 hex>` fingerprints.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::registry::Finding;

/// A Kubernetes object a step writes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    /// `kind/name` or `kind/namespace/name`, for messages.
    pub fn display(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Create,
    /// JSON merge patch (`null` removes a key; lists are replaced whole).
    Patch,
    /// Full replace (PUT) after a read, with its `resourceVersion`: for lists
    /// that have no merge key, such as `imagePullSecrets`.
    Replace,
    Delete,
}

/// One changed field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DiffEntry {
    /// Dotted path, list items as `[i]`, keys with dots quoted: `data["host..5000"]`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// Something a plan does that the user must confirm by code in the apply request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Danger {
    /// Stable code, e.g. `removed-deletes-storage`; sent back in `confirm[]`.
    pub code: String,
    /// Step indexes it concerns.
    pub steps: Vec<usize>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub index: usize,
    pub action: Action,
    pub target: ObjectRef,
    /// English one-line summary.
    pub summary: String,
    pub diff: Vec<DiffEntry>,
    /// The equivalent command, shell-quoted; secret values are `<file>` placeholders.
    pub oc: String,
    /// Cannot be undone by the console (a deleted claim, an overwritten credential it never kept).
    pub irreversible: bool,
    /// The object after the step, secrets redacted (YAML view of the result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<Value>,
}

/// The API server's `dryRun=All` answer for one step: schema and admission
/// checks only. Most registry rules are enforced by the operator after apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    pub step: usize,
    pub ok: bool,
    /// HTTP status of a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A plan as previewed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub steps: Vec<Step>,
    pub warnings: Vec<Finding>,
    /// English texts of `warnings`, same order.
    pub warning_messages: Vec<String>,
    pub dangers: Vec<Danger>,
    pub dry_run: Vec<DryRun>,
    /// What the dry run did and did not check, in English.
    #[serde(default)]
    pub dry_run_note: String,
    /// Every step's `oc` line in order.
    pub commands: Vec<String>,
    /// Objects carrying GitOps tracking (e.g. Argo CD): a controller may revert the change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gitops: Vec<String>,
    /// RFC 3339 UTC.
    pub expires_at: String,
    /// Output that is not a secret but only exists once the plan runs, e.g. a CSR to sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub notes: Option<Value>,
}

/// The body of `POST /api/v1/plans/{id}/apply`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ApplyRequest {
    /// Codes of the plan's `dangers` the user confirms; all are required.
    pub confirm: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Applied,
    Failed,
    /// Not attempted because an earlier step failed.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub index: usize,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `resourceVersion` written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

/// The answer of an apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApplyResult {
    pub plan_id: String,
    /// The audit record of this apply.
    pub audit_id: i64,
    pub succeeded: bool,
    pub steps: Vec<StepResult>,
    /// When a step failed after others were applied: the plan that undoes them
    /// (preview it, then apply it), and the steps it cannot undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert_plan_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub irreversible_steps: Vec<usize>,
    /// The registry config's spec as the operator left it, re-read after the
    /// write (it writes `httpSecret`, `pvc.claim`, `storage.managementState`
    /// itself), secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settled: Option<Value>,
}
