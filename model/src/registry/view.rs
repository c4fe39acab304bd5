//! The registry read model (`GET /api/v1/registry`), shared with the browser.
//!
//! Every part is a [`Section`]: one object the caller may not read (managed
//! clusters such as ROSA let only `dedicated-admin` read some of them), or one
//! that is missing or fails, degrades that part only. Explanations of
//! condition reasons are translation keys (`reason.…`) the app looks up.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why the view is read-only: the provider manages the registry config
/// (`infrastructures/cluster` `status.controlPlaneTopology: External`).
pub const READ_ONLY_MANAGED_CONTROL_PLANE: &str = "managed-control-plane";

/// How reading one part went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum SectionState {
    #[default]
    Ok,
    /// The API server answered 403 for the caller.
    Forbidden,
    /// The object does not exist (404).
    Absent,
    /// Any other failure; `message` has the API server's words.
    Error,
}

/// One part of the view: `data` when `state` is `ok`, else `message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Section<T> {
    pub state: SectionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Self { state: SectionState::Ok, data: None, message: None }
    }
}

impl<T> Section<T> {
    pub fn ok(data: T) -> Self {
        Self { state: SectionState::Ok, data: Some(data), message: None }
    }

    pub fn failed(state: SectionState, message: impl Into<String>) -> Self {
        Self { state, data: None, message: Some(message.into()) }
    }

    pub fn is_ok(&self) -> bool {
        self.state == SectionState::Ok
    }
}

/// The whole registry as one caller sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistryView {
    /// When the server read the cluster, RFC 3339 UTC.
    pub fetched_at: String,
    /// True when the console must not offer changes (see `read_only_reason`).
    pub read_only: bool,
    /// A stable code, e.g. [`READ_ONLY_MANAGED_CONTROL_PLANE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_reason: Option<String>,
    pub config: Section<ConfigView>,
    pub cluster_operator: Section<ClusterOperatorView>,
    pub storage: Section<StorageView>,
    pub routes: Section<RoutesView>,
    pub trusted_cas: Section<TrustedCasView>,
    pub pruner: Section<PrunerView>,
    pub pods: Section<Vec<PodView>>,
    pub deployment: Section<DeploymentView>,
    pub node_ca: Section<NodeCaView>,
    pub cluster: Section<ClusterView>,
}

/// A condition of `configs/cluster` or `imagepruners/cluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConditionView {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: String,
    /// Translation key explaining the reason, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// `spec` and `status` of `configs.imageregistry.operator.openshift.io/cluster`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConfigView {
    pub management_state: String,
    pub replicas: Option<i64>,
    /// `""` means RollingUpdate.
    pub rollout_strategy: String,
    pub log_level: String,
    pub operator_log_level: String,
    pub read_only: bool,
    pub disable_redirect: bool,
    pub default_route: bool,
    pub routes: Vec<ConfigRouteView>,
    pub storage: StorageSpecView,
    pub node_selector: bool,
    pub tolerations: bool,
    pub conditions: Vec<ConditionView>,
    pub ready_replicas: Option<i64>,
    pub generation: Option<i64>,
    pub observed_generation: Option<i64>,
    /// `status.storage`: the storage the operator applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub status_storage: Option<Value>,
}

/// One entry of `spec.routes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConfigRouteView {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

/// `spec.storage`: the provider key and its fields (no secret values).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageSpecView {
    /// The provider key (`pvc`, `s3`, …); `None` when none is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Every provider key present: more than one is an operator error.
    pub providers: Vec<String>,
    /// The provider's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub fields: Option<Value>,
    /// `spec.storage.managementState` (`Managed`: the operator created the storage and deletes it on Removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_state: Option<String>,
    pub managed: bool,
}

/// One reason of a ClusterOperator condition (`::`-separated in the API).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReasonView {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorConditionView {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reasons: Vec<ReasonView>,
    /// The message's lines (`<Type>: <message>` each).
    pub messages: Vec<String>,
    pub last_transition_time: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    pub name: String,
    pub version: String,
}

/// `clusteroperators/image-registry`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClusterOperatorView {
    pub conditions: Vec<OperatorConditionView>,
    pub versions: Vec<VersionView>,
}

/// The storage in use, with the PVC when the provider is `pvc`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub managed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Section<ClaimView>>,
}

/// A PersistentVolumeClaim of `openshift-image-registry`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClaimView {
    pub name: String,
    pub phase: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
    pub access_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_name: Option<String>,
}

/// Routes in `openshift-image-registry` and the registry's host names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoutesView {
    pub routes: Vec<RouteView>,
    /// From `images.config.openshift.io/cluster` status.
    pub hostnames: Section<RegistryHostnames>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RouteView {
    pub name: String,
    /// `status.ingress[0].host`, else `spec.host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_termination: Option<String>,
    /// `None` when no router has reported on it yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admitted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admitted_message: Option<String>,
    /// Annotation `imageregistry.openshift.io: "true"`: made by the operator.
    pub operator_owned: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistryHostnames {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_registry_hostname: Option<String>,
    pub external_registry_hostnames: Vec<String>,
}

/// `images.config` `spec.additionalTrustedCA` and its ConfigMap in `openshift-config`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TrustedCasView {
    /// The ConfigMap's name; `None` when no additional CA is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<String>,
    /// Set when the ConfigMap cannot be read (`forbidden`, `absent`, `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_state: Option<SectionState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_message: Option<String>,
    pub entries: Vec<TrustedCaEntry>,
}

/// One key of the CA ConfigMap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TrustedCaEntry {
    pub key: String,
    /// `host` or `host:port` (the key's `..` read as `:`).
    pub host_port: String,
    pub certificates: Vec<CertificateSummary>,
    /// Why the PEM could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CertificateSummary {
    pub subject: String,
    /// RFC 3339 UTC.
    pub not_after: String,
    /// Negative once expired.
    pub days_left: i64,
}

/// `imagepruners/cluster`, its CronJob and its last Job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PrunerView {
    /// Cron expression; `0 0 * * *` when unset.
    pub schedule: String,
    /// Always `UTC`: the CronJob has no time zone.
    pub time_zone: String,
    /// The next runs (RFC 3339 UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_runs_utc: Option<Vec<String>>,
    pub suspend: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_tag_revisions: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_younger_than_duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i64>,
    pub conditions: Vec<ConditionView>,
    pub cron_job: Section<CronJobView>,
    /// The newest Job of the CronJob; `None` when none ran (or they cannot be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_job: Option<JobView>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CronJobView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_time: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub name: String,
    /// `succeeded`, `failed` or `running`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A registry pod (label `docker-registry=default`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PodView {
    pub name: String,
    pub phase: String,
    pub ready: bool,
    pub restarts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
}

/// Deployment `image-registry`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeploymentView {
    pub desired: i64,
    pub ready: i64,
    pub updated: i64,
    pub available: i64,
}

/// DaemonSet `node-ca`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NodeCaView {
    pub desired: i64,
    pub current: i64,
    pub updated: i64,
    pub available: i64,
}

/// `infrastructures.config.openshift.io/cluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClusterView {
    /// `status.platformStatus.type` (else `status.platform`).
    pub platform: String,
    pub control_plane_topology: String,
}

/// The key of a trusted-CA ConfigMap entry as `host[:port]`: the last `..` is the port separator.
pub fn ca_key_host_port(key: &str) -> String {
    match key.rsplit_once("..") {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => format!("{host}:{port}"),
        _ => key.to_owned(),
    }
}

/// RFC 3339 UTC (`2026-01-01T00:00:00Z`) of Unix seconds.
pub fn rfc3339_utc(unix_secs: i64) -> String {
    let (year, month, day) = crate::registry::rules::cron::civil_from_days(unix_secs.div_euclid(86_400));
    let secs = unix_secs.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_civil_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_767_225_599), "2025-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(1_767_225_600 + 3661), "2026-01-01T01:01:01Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn ca_keys_read_as_host_and_port() {
        assert_eq!(ca_key_host_port("registry.example.com..5000"), "registry.example.com:5000");
        assert_eq!(ca_key_host_port("registry.example.com"), "registry.example.com");
        assert_eq!(ca_key_host_port("weird..name"), "weird..name");
    }

    #[test]
    fn sections_serialise_their_state() {
        let forbidden: Section<ClusterView> = Section::failed(SectionState::Forbidden, "no");
        assert_eq!(
            serde_json::to_value(&forbidden).ok(),
            Some(serde_json::json!({"state": "forbidden", "message": "no"}))
        );
        let ok = Section::ok(DeploymentView { desired: 1, ..DeploymentView::default() });
        assert_eq!(
            serde_json::to_value(&ok).ok(),
            Some(serde_json::json!({"state": "ok", "data": {"desired": 1, "ready": 0, "updated": 0, "available": 0}}))
        );
    }
}
