//! The rules a plan input must pass before the server builds a plan, shared
//! with the browser so a wizard shows the same findings as it is filled in.
//! Each rule names its source in REFERENCE.md. Errors refuse the change;
//! warnings tell the user what it will do.
//!
//! Field paths are JSON paths in the request as sent, without the `kind`
//! tag: `replicas`, `provider.bucket`, `routes[1].tls.key`, and for map
//! entries `nodeSelector["disktype"]`. A finding about the request as a
//! whole (such as a node rollout) has the empty path.

use std::collections::BTreeSet;

use super::finding::Finding;
use super::input::*;
use super::rules::dns::{is_host_or_ip, is_ipv4, is_label_value, is_qualified_name};
use super::rules::refs::{
    RefProblem, check_registry_ref, has_certificate_block, has_private_key_block, is_host_port, is_resource_key_crn,
    is_service_instance_crn, parse_http_url,
};
use crate::Msg;

pub use super::rules::cron::{next_cron_runs, validate_cron};
pub use super::rules::dns::{is_dns_label, is_dns_subdomain, is_hostname};
pub use super::rules::duration::parse_go_duration;
pub use super::rules::quantity::parse_quantity_bytes;

/// Facts from the live cluster that some rules need; all optional/default when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryFacts {
    /// Current `spec.managementState`; empty when unknown.
    pub management_state: String,
    /// Current `spec.replicas`.
    pub replicas: Option<i32>,
    /// Current `spec.rolloutStrategy` (`""` = RollingUpdate).
    pub rollout_strategy: String,
    /// Keys currently under `spec.storage` (excluding `managementState`).
    pub storage_providers: Vec<String>,
    /// Current `spec.storage.managementState`.
    pub storage_management_state: String,
    /// Current `spec.routes[].name`.
    pub route_names: Vec<String>,
    /// Access modes of the existing claim a pvc request names (for other
    /// requests: the claim the registry uses now), if it exists.
    pub claim_access_modes: Option<Vec<String>>,
}

/// Every code `validate` can emit; each has the key `validation.<code>` in
/// both locale files (a test checks it).
pub const CODES: &[&str] = &[
    "field.required",
    "field.dns_subdomain",
    "field.dns_label",
    "field.negative",
    "field.one_of",
    "field.duration_invalid",
    "field.quantity_invalid",
    "field.url_invalid",
    "field.host_invalid",
    "field.host_port_invalid",
    "field.port_invalid",
    "field.registry_invalid",
    "field.registry_tag",
    "field.registry_digest",
    "field.certificate_pem_missing",
    "field.private_key_pem_missing",
    "field.username_colon",
    "pull_secret.password_and_token",
    "management.state_invalid",
    "management.state_force",
    "management.replicas_zero",
    "management.label_key_invalid",
    "management.label_value_invalid",
    "management.toleration_key_required",
    "management.toleration_key_invalid",
    "management.toleration_exists_value",
    "management.toleration_seconds_effect",
    "management.keep_storage_required",
    "management.removed_deletes_storage",
    "management.removed_effects",
    "management.unmanaged_effects",
    "management.no_storage",
    "management.read_only",
    "storage.empty_dir_replicas",
    "storage.empty_dir_not_production",
    "storage.rwo_replicas",
    "storage.rwo_rolling_update",
    "storage.provider_switch",
    "storage.claim_default",
    "storage.claim_required_to_create",
    "storage.claim_reserved_name",
    "storage.create_and_nfs",
    "storage.size_small",
    "storage.access_mode_rwop_only",
    "storage.access_modes_unwritable",
    "storage.nfs_path_not_absolute",
    "storage.nfs_no_wdelay",
    "storage.nfs_rhel",
    "storage.s3.keys_together",
    "storage.s3.bucket_invalid",
    "storage.s3.endpoint_port",
    "storage.s3.key_id_ignored",
    "storage.s3.chunk_size_range",
    "storage.gcs.bucket_invalid",
    "storage.gcs.keyfile_invalid",
    "storage.gcs.keyfile_not_service_account",
    "storage.azure.account_name_invalid",
    "storage.azure.container_invalid",
    "storage.swift.credentials_together",
    "storage.ibmcos.resource_key_crn_invalid",
    "storage.ibmcos.service_instance_crn_invalid",
    "routes.name_reserved",
    "routes.name_duplicate",
    "routes.generated_host_label_long",
    "routes.hostname_invalid",
    "routes.hostname_wildcard",
    "routes.hostname_duplicate",
    "routes.key_visible_in_route",
    "routes.ca_pair_together",
    "routes.days_range",
    "routes.days_without_ca",
    "routes.csr_pending",
    "routes.route_removed",
    "trusted_ca.host_has_port",
    "trusted_ca.default_port",
    "registry_sources.allowed_and_blocked",
    "registry_sources.too_many",
    "registry_sources.entry_length",
    "registry_sources.entry_duplicate",
    "registry_sources.allowed_missing_defaults",
    "registry_sources.insecure_not_allowed",
    "registry_sources.import_domain_invalid",
    "registry_sources.node_rollout",
    "mirror_set.no_entries",
    "mirror_set.no_mirrors",
    "mirror_set.node_rollout",
    "pruner.schedule_invalid",
    "pruner.suspended",
    "pruner.metadata_only",
    "image.tag_invalid",
    "image.digest_invalid",
];

/// The findings for `request`, errors and warnings in the order of the
/// request's fields; empty when everything is fine.
pub fn validate(request: &PlanRequest, facts: &RegistryFacts) -> Vec<Finding> {
    let mut check = Check::default();
    match request {
        PlanRequest::Management(input) => management(&mut check, input, facts),
        PlanRequest::Storage(input) => storage(&mut check, input, facts),
        PlanRequest::DefaultStorageClass(input) => check.subdomain("name", &input.name),
        PlanRequest::Routes(input) => routes(&mut check, input, facts),
        PlanRequest::TrustedCa(input) => trusted_ca(&mut check, input),
        PlanRequest::TrustIngressCa(input) => {
            if !input.host.is_empty() {
                check.ca_host("host", &input.host);
            }
            check.optional_subdomain("configMap", &input.config_map);
        }
        PlanRequest::RegistrySources(input) => registry_sources(&mut check, input),
        PlanRequest::MirrorSet(input) => mirror_set(&mut check, input),
        PlanRequest::GlobalPullSecret(input) => global_pull_secret(&mut check, input),
        PlanRequest::Pruner(input) => pruner(&mut check, input, facts),
        PlanRequest::PruneNow(_) => pruner_metadata_only(&mut check, facts),
        PlanRequest::RoleGrant(input) => {
            check.one_of("role", &input.role, ROLES);
            check.label("namespace", &input.namespace);
            subject(&mut check, &input.subject);
        }
        PlanRequest::MetricsAccess(input) => subject(&mut check, &input.subject),
        PlanRequest::PullSecret(input) => pull_secret(&mut check, input),
        PlanRequest::DeleteImageTag(input) => {
            check.label("namespace", &input.namespace);
            check.subdomain("imageStream", &input.image_stream);
            if !is_image_tag(&input.tag) {
                check.error_value("tag", "image.tag_invalid", &input.tag);
            }
        }
        PlanRequest::DeleteImage(input) => {
            if !is_image_digest(&input.name) {
                check.error_value("name", "image.digest_invalid", &input.name);
            }
        }
    }
    check.findings
}

/// Collects findings, with one helper per kind of field.
#[derive(Default)]
struct Check {
    findings: Vec<Finding>,
}

impl Check {
    fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn error(&mut self, field: impl Into<String>, code: &str) {
        self.push(Finding::error(field, code));
    }

    fn warning(&mut self, field: impl Into<String>, code: &str) {
        self.push(Finding::warning(field, code));
    }

    fn error_value(&mut self, field: impl Into<String>, code: &str, value: impl ToString) {
        self.push(Finding::error(field, code).with("value", value));
    }

    /// Non-empty (after trimming); reports `field.required` otherwise.
    fn required(&mut self, field: impl Into<String>, value: &str) -> bool {
        if value.trim().is_empty() {
            self.error(field, "field.required");
            false
        } else {
            true
        }
    }

    /// A required object name (DNS-1123 subdomain).
    fn subdomain(&mut self, field: impl Into<String>, value: &str) {
        let field = field.into();
        if self.required(field.clone(), value) && !is_dns_subdomain(value) {
            self.error_value(field, "field.dns_subdomain", value);
        }
    }

    /// An object name that may be empty.
    fn optional_subdomain(&mut self, field: impl Into<String>, value: &str) {
        if !value.is_empty() && !is_dns_subdomain(value) {
            self.error_value(field, "field.dns_subdomain", value);
        }
    }

    /// A required namespace name (DNS-1123 label).
    fn label(&mut self, field: impl Into<String>, value: &str) {
        let field = field.into();
        if self.required(field.clone(), value) && !is_dns_label(value) {
            self.error_value(field, "field.dns_label", value);
        }
    }

    /// One of `allowed` (case-sensitive, as the API is); empty is
    /// `field.required` unless `allowed` lists `""`.
    fn one_of(&mut self, field: impl Into<String>, value: &str, allowed: &[&str]) {
        if value.is_empty() && !allowed.contains(&"") {
            self.error(field, "field.required");
        } else if !allowed.contains(&value) {
            let shown: Vec<&str> = allowed.iter().copied().filter(|a| !a.is_empty()).collect();
            self.push(Finding::error(field, "field.one_of").with("value", value).with("allowed", shown.join(", ")));
        }
    }

    fn non_negative(&mut self, field: impl Into<String>, value: Option<i64>) {
        if let Some(value) = value.filter(|v| *v < 0) {
            self.error_value(field, "field.negative", value);
        }
    }

    /// A Go duration, not negative.
    fn duration(&mut self, field: impl Into<String>, value: &str) {
        if !parse_go_duration(value).is_some_and(|seconds| seconds >= 0.0) {
            self.error_value(field, "field.duration_invalid", value);
        }
    }

    /// A required size; returns the bytes when valid.
    fn quantity(&mut self, field: impl Into<String>, value: &str) -> Option<u128> {
        let field = field.into();
        if !self.required(field.clone(), value) {
            return None;
        }
        let bytes = parse_quantity_bytes(value).filter(|bytes| *bytes > 0);
        if bytes.is_none() {
            self.error_value(field, "field.quantity_invalid", value);
        }
        bytes
    }

    /// An `http`/`https` URL that may be empty.
    fn optional_url(&mut self, field: impl Into<String>, value: &str) {
        if !value.is_empty() && parse_http_url(value).is_none() {
            self.error_value(field, "field.url_invalid", value);
        }
    }

    /// `host[:port][/path]`, or `*.domain` with `wildcard` (REFERENCE §4).
    fn registry_ref(&mut self, field: impl Into<String>, value: &str, wildcard: bool) {
        let code = match check_registry_ref(value, wildcard) {
            Ok(()) => return,
            Err(RefProblem::Invalid) => "field.registry_invalid",
            Err(RefProblem::Tag) => "field.registry_tag",
            Err(RefProblem::Digest) => "field.registry_digest",
        };
        self.error_value(field, code, value);
    }

    /// A user name for a registry login: required, and without `:`, which
    /// breaks `podman login` and the `auth` field (REFERENCE §7.4).
    fn username(&mut self, field: impl Into<String>, value: &str) {
        let field = field.into();
        if self.required(field.clone(), value) && value.contains(':') {
            self.error(field, "field.username_colon");
        }
    }

    /// A CA's registry host: a host name or IP address, the port apart.
    fn ca_host(&mut self, field: &str, value: &str) {
        if value.contains(':') && !value.contains("::") && is_host_port(value) {
            // REFERENCE §4: the port goes into the key as `..port`.
            self.error_value(field, "trusted_ca.host_has_port", value);
        } else if !is_host_or_ip(value) {
            self.error_value(field, "field.host_invalid", value);
        }
    }
}

const MANAGEMENT_STATES: &[&str] = &["Managed", "Unmanaged", "Removed"];
const ROLLOUT_STRATEGIES: &[&str] = &["RollingUpdate", "Recreate"];
/// REFERENCE §1.1, §3: `""` means `Normal`.
const LOG_LEVELS: &[&str] = &["", "Normal", "Debug", "Trace", "TraceAll"];
const TOLERATION_OPERATORS: &[&str] = &["", "Exists", "Equal"];
const TOLERATION_EFFECTS: &[&str] = &["", "NoSchedule", "PreferNoSchedule", "NoExecute"];
const ACCESS_MODES: &[&str] = &["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteOncePod"];
const AZURE_CLOUDS: &[&str] =
    &["", "AzurePublicCloud", "AzureUSGovernmentCloud", "AzureChinaCloud", "AzureGermanCloud"];
const ROLES: &[&str] = &[
    "registry-viewer",
    "registry-editor",
    "registry-admin",
    "system:image-builder",
    "system:image-puller",
    "system:image-pusher",
];
const SUBJECT_KINDS: &[&str] = &["User", "Group", "ServiceAccount"];
const MIRROR_SOURCE_POLICIES: &[&str] = &["", "AllowContactingSource", "NeverContactSource"];
/// The registries the docs say an `allowedRegistries` list needs (REFERENCE §4).
const DEFAULT_ALLOWED: &[&str] = &["quay.io", "registry.redhat.io"];
/// REFERENCE §1.6: the size the operator itself gives a claim.
const ADVISED_CLAIM_BYTES: u128 = 100 << 30;
/// REFERENCE §4: `registrySources` lists (4.23 CEL).
const MAX_SOURCES: usize = 1024;
const MAX_SOURCE_LEN: usize = 256;
/// Longest validity a browser accepts for a TLS server certificate.
const MAX_CERT_DAYS: u32 = 825;

/// REFERENCE §1.1, §1.4: `managementState` is `Managed`, `Unmanaged` or
/// `Removed`; the schema also accepts `Force`, which the operator ignores.
fn management_state(check: &mut Check, value: &str) {
    if value == "Force" {
        check.error("managementState", "management.state_force");
    } else if !MANAGEMENT_STATES.contains(&value) {
        check.error_value("managementState", "management.state_invalid", value);
    }
}

/// REFERENCE §1.1: `replicas ≥ 0` (the operator refuses negatives) and `rolloutStrategy`'s pattern.
fn replicas_and_rollout(check: &mut Check, replicas: Option<i32>, rollout: Option<&str>) {
    check.non_negative("replicas", replicas.map(i64::from));
    if let Some(rollout) = rollout {
        check.one_of("rolloutStrategy", rollout, ROLLOUT_STRATEGIES);
    }
}

/// Whether a claim with these access modes is ReadWriteOnce only (REFERENCE §1.4).
fn rwo_only(modes: &[String]) -> bool {
    modes.iter().any(|m| m == "ReadWriteOnce") && !modes.iter().any(|m| m == "ReadWriteMany")
}

/// REFERENCE §1.4: a claim that is only ReadWriteOnce needs one replica and `Recreate`.
/// `replicas` and `rollout` are the values the registry will have.
fn rwo_rules(check: &mut Check, replicas: Option<i32>, rollout: Option<&str>) {
    if replicas.is_some_and(|r| r > 1) {
        check.push(Finding::error("replicas", "storage.rwo_replicas").with("value", replicas.unwrap_or_default()));
    }
    if rollout.is_some_and(|rollout| rollout != "Recreate") {
        check.error("rolloutStrategy", "storage.rwo_rolling_update");
    }
}

/// `""` means RollingUpdate (REFERENCE §1.1).
fn effective_rollout<'a>(requested: Option<&'a str>, facts: &'a RegistryFacts) -> &'a str {
    match requested.unwrap_or(&facts.rollout_strategy) {
        "" => "RollingUpdate",
        other => other,
    }
}

fn management(check: &mut Check, input: &ManagementInput, facts: &RegistryFacts) {
    if let Some(state) = &input.management_state {
        management_state(check, state);
        removal_and_storage(check, state, input.keep_storage, facts);
    }
    replicas_and_rollout(check, input.replicas, input.rollout_strategy.as_deref());
    // Scaling to zero stops every pull and push.
    if input.replicas == Some(0) {
        check.warning("replicas", "management.replicas_zero");
    }
    // REFERENCE §1.1: log level enums.
    if let Some(level) = &input.log_level {
        check.one_of("logLevel", level, LOG_LEVELS);
    }
    if let Some(level) = &input.operator_log_level {
        check.one_of("operatorLogLevel", level, LOG_LEVELS);
    }
    // REFERENCE §1.1: request limits are non-negative; maxWaitInQueue is a duration.
    if let Some(requests) = &input.requests {
        for (name, limits) in [("read", &requests.read), ("write", &requests.write)] {
            let Some(limits) = limits else { continue };
            check.non_negative(format!("requests.{name}.maxRunning"), limits.max_running);
            check.non_negative(format!("requests.{name}.maxInQueue"), limits.max_in_queue);
            if let Some(wait) = &limits.max_wait_in_queue {
                check.duration(format!("requests.{name}.maxWaitInQueue"), wait);
            }
        }
    }
    // REFERENCE §1.1: proxy URLs.
    if let Some(proxy) = &input.proxy {
        check.optional_url("proxy.http", &proxy.http);
        check.optional_url("proxy.https", &proxy.https);
    }
    // Kubernetes label syntax for the node selector.
    if let Some(selector) = &input.node_selector {
        for (key, value) in selector {
            let field = format!("nodeSelector[{key:?}]");
            if !is_qualified_name(key) {
                check.push(Finding::error(field.clone(), "management.label_key_invalid").with("key", key));
            }
            if !is_label_value(value) {
                check.error_value(field, "management.label_value_invalid", value);
            }
        }
    }
    if let Some(tolerations) = &input.tolerations {
        for (i, toleration) in tolerations.iter().enumerate() {
            tolerate(check, i, toleration);
        }
    }
    // The values the registry will have: the request's, else the current ones.
    let replicas = input.replicas.or(facts.replicas);
    // REFERENCE §1.2, §1.4: per-pod emptyDir storage allows one replica.
    let on_empty_dir = facts.storage_providers.iter().any(|p| p == "emptyDir");
    if on_empty_dir && replicas.is_some_and(|r| r > 1) {
        check.error_value("replicas", "storage.empty_dir_replicas", replicas.unwrap_or_default());
    }
    // REFERENCE §1.4: the current claim is ReadWriteOnce only.
    if facts.claim_access_modes.as_deref().is_some_and(rwo_only) {
        rwo_rules(check, replicas, Some(effective_rollout(input.rollout_strategy.as_deref(), facts)));
    }
    // REFERENCE §1.1: `readOnly` refuses pushes and deletes.
    if input.read_only == Some(true) {
        check.warning("readOnly", "management.read_only");
    }
}

/// REFERENCE §1.5: Removed deletes storage the operator manages, Unmanaged
/// stops reconciling, and Managed without storage is a permanent error.
fn removal_and_storage(check: &mut Check, state: &str, keep_storage: Option<bool>, facts: &RegistryFacts) {
    match state {
        "Removed" if facts.management_state != "Removed" => {
            check.warning("managementState", "management.removed_effects");
            if facts.storage_management_state == "Managed" {
                match keep_storage {
                    None => check.error("keepStorage", "management.keep_storage_required"),
                    Some(false) => check.warning("managementState", "management.removed_deletes_storage"),
                    Some(true) => {}
                }
            }
        }
        "Unmanaged" if facts.management_state != "Unmanaged" => {
            check.warning("managementState", "management.unmanaged_effects");
        }
        // OSS alone counts as "not configured" since 4.17.
        "Managed" if !facts.management_state.is_empty() && facts.storage_providers.iter().all(|p| p == "oss") => {
            check.warning("managementState", "management.no_storage");
        }
        _ => {}
    }
}

/// Kubernetes toleration rules: operator and effect enums, a value only
/// with `Equal`, a key unless `Exists`, `tolerationSeconds` only with `NoExecute`.
fn tolerate(check: &mut Check, i: usize, toleration: &Toleration) {
    let base = format!("tolerations[{i}]");
    check.one_of(format!("{base}.operator"), &toleration.operator, TOLERATION_OPERATORS);
    check.one_of(format!("{base}.effect"), &toleration.effect, TOLERATION_EFFECTS);
    if toleration.operator == "Exists" && !toleration.value.is_empty() {
        check.error(format!("{base}.value"), "management.toleration_exists_value");
    }
    if toleration.key.is_empty() {
        if toleration.operator != "Exists" {
            check.error(format!("{base}.key"), "management.toleration_key_required");
        }
    } else if !is_qualified_name(&toleration.key) {
        check.error_value(format!("{base}.key"), "management.toleration_key_invalid", &toleration.key);
    }
    if toleration.toleration_seconds.is_some() && toleration.effect != "NoExecute" {
        check.error(format!("{base}.tolerationSeconds"), "management.toleration_seconds_effect");
    }
}

fn storage(check: &mut Check, input: &StorageInput, facts: &RegistryFacts) {
    if let Some(state) = &input.management_state {
        management_state(check, state);
    }
    replicas_and_rollout(check, input.replicas, input.rollout_strategy.as_deref());
    let replicas = input.replicas.or(facts.replicas);
    let rollout = effective_rollout(input.rollout_strategy.as_deref(), facts);
    // REFERENCE §1.2: switching provider leaves the images in the old storage.
    let key = input.provider.key();
    let others: Vec<&str> =
        facts.storage_providers.iter().map(String::as_str).filter(|p| *p != key && *p != "oss").collect();
    if !others.is_empty() {
        check.push(
            Finding::warning("provider", "storage.provider_switch").with("from", others.join(", ")).with("to", key),
        );
    }
    match &input.provider {
        StorageProvider::Pvc(pvc) => pvc_storage(check, pvc, replicas, rollout, facts),
        StorageProvider::EmptyDir => {
            // REFERENCE §1.2, §1.6: ephemeral, one replica, labs only.
            check.warning("provider", "storage.empty_dir_not_production");
            if replicas.is_some_and(|r| r > 1) {
                check.error_value("replicas", "storage.empty_dir_replicas", replicas.unwrap_or_default());
            }
        }
        StorageProvider::S3(s3) => s3_storage(check, s3),
        StorageProvider::Gcs(gcs) => gcs_storage(check, gcs),
        StorageProvider::Azure(azure) => azure_storage(check, azure),
        StorageProvider::Swift(swift) => swift_storage(check, swift),
        StorageProvider::IbmCos(cos) => ibmcos_storage(check, cos),
    }
}

fn pvc_storage(check: &mut Check, pvc: &PvcStorage, replicas: Option<i32>, rollout: &str, facts: &RegistryFacts) {
    let creates = pvc.create.is_some() || pvc.nfs.is_some();
    if pvc.claim.is_empty() {
        if creates {
            check.error("provider.claim", "storage.claim_required_to_create");
        } else {
            // REFERENCE §1.6: the operator creates `image-registry-storage`, RWX, 100Gi, default class.
            check.warning("provider.claim", "storage.claim_default");
        }
    } else if !is_dns_subdomain(&pvc.claim) {
        check.error_value("provider.claim", "field.dns_subdomain", &pvc.claim);
    } else if creates && pvc.claim == "image-registry-storage" {
        // REFERENCE §1.6: an unannotated claim of that name is "not owned by the operator".
        check.error("provider.claim", "storage.claim_reserved_name");
    }
    if pvc.create.is_some() && pvc.nfs.is_some() {
        check.error("provider.nfs", "storage.create_and_nfs");
    }
    if let Some(create) = &pvc.create {
        size(check, "provider.create.size", &create.size);
        access_modes(check, &create.access_modes);
        if let Some(class) = &create.storage_class_name {
            check.optional_subdomain("provider.create.storageClassName", class);
        }
        if rwo_only(&create.access_modes) {
            rwo_rules(check, replicas, Some(rollout));
        }
    } else if let Some(nfs) = &pvc.nfs {
        nfs_volume(check, nfs, replicas);
    } else if let Some(modes) = &facts.claim_access_modes {
        // REFERENCE §1.4: the existing claim needs RWX or RWO.
        if !modes.iter().any(|m| m == "ReadWriteMany" || m == "ReadWriteOnce") {
            check.push(
                Finding::error("provider.claim", "storage.access_modes_unwritable").with("modes", modes.join(", ")),
            );
        } else if rwo_only(modes) {
            rwo_rules(check, replicas, Some(rollout));
        }
    }
}

/// A claim or volume size; below 100Gi is allowed but advised against (REFERENCE §1.6).
fn size(check: &mut Check, field: &str, value: &str) {
    if check.quantity(field, value).is_some_and(|bytes| bytes < ADVISED_CLAIM_BYTES) {
        check.push(Finding::warning(field, "storage.size_small").with("value", value));
    }
}

/// REFERENCE §1.4: access modes must include RWX or RWO; RWOP alone fails.
fn access_modes(check: &mut Check, modes: &[String]) {
    if modes.is_empty() {
        check.error("provider.create.accessModes", "field.required");
        return;
    }
    for (i, mode) in modes.iter().enumerate() {
        check.one_of(format!("provider.create.accessModes[{i}]"), mode, ACCESS_MODES);
    }
    if modes.iter().any(|m| m == "ReadWriteMany" || m == "ReadWriteOnce")
        || !modes.iter().all(|m| ACCESS_MODES.contains(&m.as_str()))
    {
        return;
    }
    if modes.iter().any(|m| m == "ReadWriteOncePod") {
        check.error("provider.create.accessModes", "storage.access_mode_rwop_only");
    } else {
        check.push(
            Finding::error("provider.create.accessModes", "storage.access_modes_unwritable")
                .with("modes", modes.join(", ")),
        );
    }
}

/// REFERENCE §1.6: a static NFS volume (seeds 001, 004) and its warnings.
fn nfs_volume(check: &mut Check, nfs: &NfsVolume, replicas: Option<i32>) {
    check.subdomain("provider.nfs.volumeName", &nfs.volume_name);
    if check.required("provider.nfs.server", &nfs.server) && !is_host_or_ip(&nfs.server) {
        check.error_value("provider.nfs.server", "field.host_invalid", &nfs.server);
    }
    if check.required("provider.nfs.path", &nfs.path) && !nfs.path.starts_with('/') {
        check.error_value("provider.nfs.path", "storage.nfs_path_not_absolute", &nfs.path);
    }
    size(check, "provider.nfs.size", &nfs.size);
    check.optional_subdomain("provider.nfs.storageClassName", &nfs.storage_class_name);
    if replicas.is_some_and(|r| r > 1) {
        check.warning("provider.nfs", "storage.nfs_no_wdelay");
    }
    check.warning("provider.nfs.server", "storage.nfs_rhel");
}

/// REFERENCE §1.2 (`s3`), §2 (S3 keys).
fn s3_storage(check: &mut Check, s3: &S3Storage) {
    if let Some(credentials) = &s3.credentials {
        for (field, value) in [
            ("provider.credentials.accessKey", &credentials.access_key),
            ("provider.credentials.secretKey", &credentials.secret_key),
        ] {
            if value.is_empty() {
                check.error(field, "storage.s3.keys_together");
            }
        }
    }
    if !s3.bucket.is_empty() && !is_s3_bucket(&s3.bucket) {
        check.error_value("provider.bucket", "storage.s3.bucket_invalid", &s3.bucket);
    }
    if !s3.region_endpoint.is_empty() {
        match parse_http_url(&s3.region_endpoint) {
            None => check.error_value("provider.regionEndpoint", "field.url_invalid", &s3.region_endpoint),
            Some(url) if url.port.is_none() && !url.host.to_ascii_lowercase().ends_with("amazonaws.com") => {
                check.error_value("provider.regionEndpoint", "storage.s3.endpoint_port", &s3.region_endpoint)
            }
            Some(_) => {}
        }
    }
    if !s3.key_id.is_empty() && !s3.encrypt {
        check.warning("provider.keyID", "storage.s3.key_id_ignored");
    }
    // `trustedCA.name`: max 253 and the DNS-subdomain pattern.
    check.optional_subdomain("provider.trustedCA", &s3.trusted_ca);
    if let Some(chunk) = s3.chunk_size_mib.filter(|c| !(5..=5120).contains(c)) {
        check.error_value("provider.chunkSizeMiB", "storage.s3.chunk_size_range", chunk);
    }
}

/// AWS bucket names: 3–63 lowercase letters, digits, `.` and `-`, starting
/// and ending with a letter or digit, no `..`, not an IPv4 address.
fn is_s3_bucket(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("..")
        && !is_ipv4(name)
}

/// Google bucket names: 3–63 characters (up to 222 with dots, each part at
/// most 63) of lowercase letters, digits, `-`, `_` and `.`, starting and
/// ending with a letter or digit, not an IPv4 address, no `goog` prefix and
/// no `google`.
fn is_gcs_bucket(name: &str) -> bool {
    let bytes = name.as_bytes();
    let max = if name.contains('.') { 222 } else { 63 };
    (3..=max).contains(&bytes.len())
        && name.split('.').all(|part| !part.is_empty() && part.len() <= 63)
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !is_ipv4(name)
        && !name.starts_with("goog")
        && !name.contains("google")
}

/// REFERENCE §1.2 (`gcs`), §2 (the key file is the JSON itself).
fn gcs_storage(check: &mut Check, gcs: &GcsStorage) {
    if !gcs.bucket.is_empty() && !is_gcs_bucket(&gcs.bucket) {
        check.error_value("provider.bucket", "storage.gcs.bucket_invalid", &gcs.bucket);
    }
    if let Some(keyfile) = &gcs.keyfile
        && check.required("provider.keyfile", keyfile)
    {
        match serde_json::from_str::<serde_json::Value>(keyfile) {
            Ok(serde_json::Value::Object(map)) => {
                if map.get("type").and_then(serde_json::Value::as_str) != Some("service_account") {
                    check.error("provider.keyfile", "storage.gcs.keyfile_not_service_account");
                }
            }
            _ => check.error("provider.keyfile", "storage.gcs.keyfile_invalid"),
        }
    }
}

/// REFERENCE §1.2 (`azure`), §2 (the account key is non-empty).
fn azure_storage(check: &mut Check, azure: &AzureStorage) {
    if !azure.account_name.is_empty() && !is_azure_account(&azure.account_name) {
        check.error_value("provider.accountName", "storage.azure.account_name_invalid", &azure.account_name);
    }
    if !azure.container.is_empty() && !is_azure_container(&azure.container) {
        check.error_value("provider.container", "storage.azure.container_invalid", &azure.container);
    }
    check.one_of("provider.cloudName", &azure.cloud_name, AZURE_CLOUDS);
    if let Some(key) = &azure.account_key {
        check.required("provider.accountKey", key);
    }
}

/// 3–24 lowercase letters and digits.
fn is_azure_account(name: &str) -> bool {
    (3..=24).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// 3–63 characters, `^[0-9a-z]+(-[0-9a-z]+)*$`.
fn is_azure_container(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// REFERENCE §1.2 (`swift`), §2 (user name and password as a set).
fn swift_storage(check: &mut Check, swift: &SwiftStorage) {
    check.optional_url("provider.authURL", &swift.auth_url);
    check.required("provider.container", &swift.container);
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    if given(&swift.username) != given(&swift.password) {
        let missing = if given(&swift.username) { "provider.password" } else { "provider.username" };
        check.error(missing, "storage.swift.credentials_together");
    }
}

/// REFERENCE §1.2 (`ibmcos` CRN patterns), §2 (the IAM API key).
fn ibmcos_storage(check: &mut Check, cos: &IbmCosStorage) {
    check.required("provider.bucket", &cos.bucket);
    if !cos.resource_key_crn.is_empty() && !is_resource_key_crn(&cos.resource_key_crn) {
        check.error_value("provider.resourceKeyCRN", "storage.ibmcos.resource_key_crn_invalid", &cos.resource_key_crn);
    }
    if !cos.service_instance_crn.is_empty() && !is_service_instance_crn(&cos.service_instance_crn) {
        check.error_value(
            "provider.serviceInstanceCRN",
            "storage.ibmcos.service_instance_crn_invalid",
            &cos.service_instance_crn,
        );
    }
    if let Some(key) = &cos.iam_api_key {
        check.required("provider.iamApiKey", key);
    }
}

/// The suffix of a route's generated host, `<name>-openshift-image-registry.<domain>` (REFERENCE §5).
const ROUTE_HOST_SUFFIX: &str = "-openshift-image-registry";

/// REFERENCE §1.4, §5: route names, hosts and TLS material.
fn routes(check: &mut Check, input: &RoutesInput, facts: &RegistryFacts) {
    let Some(routes) = &input.routes else { return };
    // The list is replaced whole; the operator deletes the routes it no longer lists.
    for name in &facts.route_names {
        if !routes.iter().any(|r| &r.name == name) {
            check.push(Finding::warning("routes", "routes.route_removed").with("name", name));
        }
    }
    let mut names = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    for (i, route) in routes.iter().enumerate() {
        let base = format!("routes[{i}]");
        let name_field = format!("{base}.name");
        check.subdomain(name_field.clone(), &route.name);
        if route.name == "default-route" {
            // Reserved even when `defaultRoute` is false (Degraded VerificationFailed).
            check.error(name_field.clone(), "routes.name_reserved");
        } else if !route.name.is_empty() && !names.insert(route.name.as_str()) {
            check.push(Finding::error(name_field.clone(), "routes.name_duplicate").with("name", &route.name));
        }
        if route.hostname.is_empty() {
            // The generated host's first label must fit in 63 characters.
            let generated = format!("{}{ROUTE_HOST_SUFFIX}", route.name);
            if is_dns_subdomain(&route.name) && generated.split('.').any(|label| label.len() > 63) {
                check.push(
                    Finding::warning(name_field, "routes.generated_host_label_long")
                        .with("max", 63 - ROUTE_HOST_SUFFIX.len()),
                );
            }
        } else {
            route_hostname(check, &format!("{base}.hostname"), &route.hostname, &mut hosts);
        }
        check.optional_subdomain(format!("{base}.secretName"), &route.secret_name);
        if let Some(tls) = &route.tls {
            route_tls(check, &base, tls);
        }
        if route.tls.is_some() || !route.secret_name.is_empty() {
            // The operator copies the key into the Route object.
            check.warning(format!("{base}.secretName"), "routes.key_visible_in_route");
        }
    }
}

/// A Route's `spec.host`: max 253, lowercase DNS labels of at most 63, no wildcard, unique.
fn route_hostname<'a>(check: &mut Check, field: &str, host: &'a str, hosts: &mut BTreeSet<&'a str>) {
    if host.starts_with("*.") {
        check.error(field, "routes.hostname_wildcard");
    } else if !(is_dns_subdomain(host) && is_hostname(host)) {
        check.error_value(field, "routes.hostname_invalid", host);
    } else if !hosts.insert(host) {
        check.push(Finding::error(field, "routes.hostname_duplicate").with("host", host));
    }
}

fn route_tls(check: &mut Check, base: &str, tls: &RouteTls) {
    match tls {
        RouteTls::Upload { certificate, key, ca_certificate } => {
            if !has_certificate_block(certificate) {
                check.error(format!("{base}.tls.certificate"), "field.certificate_pem_missing");
            }
            // An empty key uploads the certificate for a key generated earlier.
            if !key.is_empty() && !has_private_key_block(key) {
                check.error(format!("{base}.tls.key"), "field.private_key_pem_missing");
            }
            if !ca_certificate.is_empty() && !has_certificate_block(ca_certificate) {
                check.error(format!("{base}.tls.caCertificate"), "field.certificate_pem_missing");
            }
        }
        RouteTls::Generate { ca_certificate, ca_key, days } => {
            match (ca_certificate.is_empty(), ca_key.is_empty()) {
                (true, false) => check.error(format!("{base}.tls.caCertificate"), "routes.ca_pair_together"),
                (false, true) => check.error(format!("{base}.tls.caKey"), "routes.ca_pair_together"),
                (true, true) => check.warning(format!("{base}.tls"), "routes.csr_pending"),
                (false, false) => {}
            }
            if !ca_certificate.is_empty() && !has_certificate_block(ca_certificate) {
                check.error(format!("{base}.tls.caCertificate"), "field.certificate_pem_missing");
            }
            if !ca_key.is_empty() && !has_private_key_block(ca_key) {
                check.error(format!("{base}.tls.caKey"), "field.private_key_pem_missing");
            }
            if let Some(days) = days {
                if !(1..=MAX_CERT_DAYS).contains(days) {
                    check.push(
                        Finding::error(format!("{base}.tls.days"), "routes.days_range")
                            .with("min", 1)
                            .with("max", MAX_CERT_DAYS),
                    );
                } else if ca_certificate.is_empty() {
                    check.warning(format!("{base}.tls.days"), "routes.days_without_ca");
                }
            }
        }
    }
}

/// REFERENCE §4: a CA for one registry, keyed `host` or `host..port`.
fn trusted_ca(check: &mut Check, input: &TrustedCaInput) {
    if check.required("host", &input.host) {
        check.ca_host("host", &input.host);
    }
    match input.port {
        Some(0) => check.error_value("port", "field.port_invalid", 0),
        // node-ca writes `certs.d/<host>:443`, which image names without a port never use.
        Some(443) => check.warning("port", "trusted_ca.default_port"),
        _ => {}
    }
    if !has_certificate_block(&input.certificate) {
        check.error("certificate", "field.certificate_pem_missing");
    }
    check.optional_subdomain("configMap", &input.config_map);
}

/// REFERENCE §4: `registrySources` and `allowedRegistriesForImport`.
fn registry_sources(check: &mut Check, input: &RegistrySourcesInput) {
    if !input.allowed_registries.is_empty() && !input.blocked_registries.is_empty() {
        // CEL 4.18+: the two lists are mutually exclusive.
        check.error("blockedRegistries", "registry_sources.allowed_and_blocked");
    }
    for (field, list) in [
        ("allowedRegistries", &input.allowed_registries),
        ("blockedRegistries", &input.blocked_registries),
        ("insecureRegistries", &input.insecure_registries),
    ] {
        if list.len() > MAX_SOURCES {
            check.push(Finding::error(field, "registry_sources.too_many").with("max", MAX_SOURCES));
        }
        let mut seen = BTreeSet::new();
        for (i, entry) in list.iter().enumerate() {
            let item = format!("{field}[{i}]");
            if entry.is_empty() || entry.len() > MAX_SOURCE_LEN {
                check.push(Finding::error(item, "registry_sources.entry_length").with("max", MAX_SOURCE_LEN));
                continue;
            }
            check.registry_ref(item.clone(), entry, true);
            if !seen.insert(entry.as_str()) {
                check.error_value(item, "registry_sources.entry_duplicate", entry);
            }
        }
    }
    if !input.allowed_registries.is_empty() {
        // Everything not listed is blocked, including Red Hat's own images.
        let missing: Vec<&str> =
            DEFAULT_ALLOWED.iter().copied().filter(|d| !input.allowed_registries.iter().any(|a| a == d)).collect();
        if !missing.is_empty() {
            check.push(
                Finding::warning("allowedRegistries", "registry_sources.allowed_missing_defaults")
                    .with("missing", missing.join(", ")),
            );
        }
        for (i, insecure) in input.insecure_registries.iter().enumerate() {
            if !input.allowed_registries.contains(insecure) {
                check.push(
                    Finding::warning(format!("insecureRegistries[{i}]"), "registry_sources.insecure_not_allowed")
                        .with("value", insecure),
                );
            }
        }
    }
    for (i, import) in input.allowed_registries_for_import.iter().enumerate() {
        let field = format!("allowedRegistriesForImport[{i}].domainName");
        if check.required(field.clone(), &import.domain_name) && !is_import_domain(&import.domain_name) {
            check.error_value(field, "registry_sources.import_domain_invalid", &import.domain_name);
        }
    }
    // Changes reach every node through the Machine Config Operator.
    check.warning("", "registry_sources.node_rollout");
}

/// `host[:port]`, where the host may start with `*.` or be `*`.
fn is_import_domain(value: &str) -> bool {
    let (host, port) = match value.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (value, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    (host == "*" || is_hostname(host)) && port.is_none_or(|port| super::rules::refs::parse_port(port).is_some())
}

/// `ImageDigestMirrorSet` / `ImageTagMirrorSet` entries.
fn mirror_set(check: &mut Check, input: &MirrorSetInput) {
    check.one_of("by", &input.by, &["digest", "tag"]);
    check.subdomain("name", &input.name);
    if input.mirrors.is_empty() {
        check.error("mirrors", "mirror_set.no_entries");
    }
    for (i, entry) in input.mirrors.iter().enumerate() {
        let base = format!("mirrors[{i}]");
        if check.required(format!("{base}.source"), &entry.source) {
            check.registry_ref(format!("{base}.source"), &entry.source, true);
        }
        if entry.mirrors.is_empty() {
            check.error(format!("{base}.mirrors"), "mirror_set.no_mirrors");
        }
        for (j, mirror) in entry.mirrors.iter().enumerate() {
            let field = format!("{base}.mirrors[{j}]");
            if check.required(field.clone(), mirror) {
                check.registry_ref(field, mirror, false);
            }
        }
        check.one_of(format!("{base}.mirrorSourcePolicy"), &entry.mirror_source_policy, MIRROR_SOURCE_POLICIES);
    }
    // Like registrySources, mirror sets roll out to every node.
    check.warning("", "mirror_set.node_rollout");
}

/// REFERENCE §7.3, §7.4: an entry of the cluster's pull secret.
fn global_pull_secret(check: &mut Check, input: &GlobalPullSecretInput) {
    if check.required("registry", &input.registry) {
        check.registry_ref("registry", &input.registry, false);
    }
    if !input.remove {
        check.username("username", &input.username);
        check.required("password", &input.password);
    }
}

/// REFERENCE §3: `imagepruners/cluster`.
fn pruner(check: &mut Check, input: &PrunerInput, facts: &RegistryFacts) {
    if let Some(schedule) = &input.schedule
        && validate_cron(schedule).is_err()
    {
        check.error_value("schedule", "pruner.schedule_invalid", schedule);
    }
    if input.suspend == Some(true) {
        check.warning("suspend", "pruner.suspended");
    }
    check.non_negative("keepTagRevisions", input.keep_tag_revisions.map(i64::from));
    if let Some(duration) = &input.keep_younger_than_duration {
        check.duration("keepYoungerThanDuration", duration);
    }
    check.non_negative("successfulJobsHistoryLimit", input.successful_jobs_history_limit.map(i64::from));
    check.non_negative("failedJobsHistoryLimit", input.failed_jobs_history_limit.map(i64::from));
    if let Some(level) = &input.log_level {
        check.one_of("logLevel", level, LOG_LEVELS);
    }
    pruner_metadata_only(check, facts);
}

/// REFERENCE §3: without the registry's Service (state Removed) the pruner
/// cleans only image metadata; blobs stay in storage.
fn pruner_metadata_only(check: &mut Check, facts: &RegistryFacts) {
    if facts.management_state == "Removed" {
        check.warning("", "pruner.metadata_only");
    }
}

/// REFERENCE §7.2: a RoleBinding subject.
fn subject(check: &mut Check, subject: &SubjectInput) {
    check.one_of("subject.kind", &subject.kind, SUBJECT_KINDS);
    if subject.kind == "ServiceAccount" {
        check.subdomain("subject.name", &subject.name);
        check.label("subject.namespace", &subject.namespace);
    } else {
        check.required("subject.name", &subject.name);
    }
}

/// REFERENCE §7.3: a docker-registry secret in a project.
fn pull_secret(check: &mut Check, input: &PullSecretInput) {
    check.label("namespace", &input.namespace);
    check.subdomain("name", &input.name);
    if check.required("registry", &input.registry) && !is_host_port(&input.registry) {
        check.error_value("registry", "field.host_port_invalid", &input.registry);
    }
    check.username("username", &input.username);
    if input.token_service_account.is_empty() {
        check.required("password", &input.password);
    } else if !input.password.is_empty() {
        check.error("password", "pull_secret.password_and_token");
    }
    check.optional_subdomain("serviceAccount", &input.service_account);
    check.optional_subdomain("tokenServiceAccount", &input.token_service_account);
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, the image tag grammar.
fn is_image_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    bytes.first().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && bytes.len() <= 128
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `sha256:` and 64 lowercase hexadecimal digits, an `Image` object's name (REFERENCE §7.5).
fn is_image_digest(name: &str) -> bool {
    name.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// The key of a registry's CA in the `additionalTrustedCA` ConfigMap:
/// `host`, or `host..port` (REFERENCE §4).
pub fn ca_configmap_key(host: &str, port: Option<u16>) -> String {
    match port {
        Some(port) => format!("{host}..{port}"),
        None => host.to_owned(),
    }
}

/// A plain explanation of an operator condition's reason (REFERENCE §6.2 for
/// `configs/cluster`, §3 for the pruner, which the ClusterOperator shows with
/// the prefix `ImagePruner`, and `AsExpected`). `None` for reasons we do not
/// know, such as those library-go controllers add.
pub fn explain_reason(condition_type: &str, reason: &str) -> Option<Msg> {
    let (pruner_type, reason) = match reason.strip_prefix("ImagePruner") {
        Some(rest) => (true, rest),
        None => (condition_type.starts_with("ImagePruner"), reason),
    };
    let condition_type = condition_type.strip_prefix("ImagePruner").unwrap_or(condition_type);
    let pruner = pruner_type || matches!(condition_type, "Scheduled" | "Failed");
    if pruner {
        return Some(match (condition_type, reason) {
            (_, "AsExpected") => Msg::ReasonAsExpected,
            (_, "Error") => Msg::ReasonPrunerError,
            (_, "Scheduled") => Msg::ReasonPrunerScheduled,
            (_, "Suspended") => Msg::ReasonPrunerSuspended,
            (_, "Complete") => Msg::ReasonPrunerComplete,
            (_, "SyncError") => Msg::ReasonPrunerSyncError,
            (_, "JobFailed") => Msg::ReasonPrunerJobFailed,
            // `Failed` carries the failed Job's own reason.
            ("Failed", _) => Msg::ReasonPrunerJobFailed,
            _ => return None,
        });
    }
    Some(match reason {
        "AsExpected" => Msg::ReasonAsExpected,
        "Ready" => Msg::ReasonReady,
        "MinimumAvailability" => Msg::ReasonMinimumAvailability,
        "NoReplicasAvailable" => Msg::ReasonNoReplicasAvailable,
        "DeploymentNotFound" => Msg::ReasonDeploymentNotFound,
        "DeploymentDeleted" => Msg::ReasonDeploymentDeleted,
        "Removed" => Msg::ReasonRemoved,
        "Unmanaged" => Msg::ReasonUnmanaged,
        "StorageNotConfigured" => Msg::ReasonStorageNotConfigured,
        "VerificationFailed" => Msg::ReasonVerificationFailed,
        "DeploymentNotCompleted" => Msg::ReasonDeploymentNotCompleted,
        "WaitingForDeployment" => Msg::ReasonWaitingForDeployment,
        "FinalizingDeployment" => Msg::ReasonFinalizingDeployment,
        "Error" => Msg::ReasonError,
        "DeletingDeployment" => Msg::ReasonDeletingDeployment,
        "Removing" => Msg::ReasonRemoving,
        "Unavailable" => Msg::ReasonUnavailable,
        "ProgressDeadlineExceeded" => Msg::ReasonProgressDeadlineExceeded,
        "RouteDegraded" => Msg::ReasonRouteDegraded,
        "RemoveFailed" => Msg::ReasonRemoveFailed,
        "PVC Exists" => Msg::ReasonPvcExists,
        "PVC Created" => Msg::ReasonPvcCreated,
        "PVC does not exist" => Msg::ReasonPvcDoesNotExist,
        "PVC Issues Found" => Msg::ReasonPvcIssuesFound,
        "PVC Already Exists" => Msg::ReasonPvcAlreadyExists,
        "Creation Successful" => Msg::ReasonCreationSuccessful,
        _ => return None,
    })
}

/// Ready-made settings for S3-compatible stores, for the S3 wizard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S3Preset {
    pub id: &'static str,
    pub name: &'static str,
    /// An example `regionEndpoint`; empty where the endpoint comes from the region.
    pub region_endpoint_example: &'static str,
    pub region: &'static str,
    pub virtual_hosted_style: bool,
    /// The endpoint's certificate is usually signed by a private CA, so
    /// `trustedCA` must name a ConfigMap with it.
    pub needs_trusted_ca: bool,
}

const S3_PRESETS: &[S3Preset] = &[
    S3Preset {
        id: "aws",
        name: "Amazon S3",
        region_endpoint_example: "",
        region: "us-east-1",
        virtual_hosted_style: false,
        needs_trusted_ca: false,
    },
    S3Preset {
        id: "minio",
        name: "MinIO",
        region_endpoint_example: "https://minio.example.com:9000",
        region: "us-east-1",
        virtual_hosted_style: false,
        needs_trusted_ca: false,
    },
    // REFERENCE §1.2: Ceph RGW needs an explicit port.
    S3Preset {
        id: "ceph-rgw",
        name: "Ceph Object Gateway (RGW)",
        region_endpoint_example: "https://rgw.example.com:8080",
        region: "us-east-1",
        virtual_hosted_style: false,
        needs_trusted_ca: true,
    },
];

/// The S3 presets: `aws`, `minio` and `ceph-rgw`.
pub fn s3_presets() -> &'static [S3Preset] {
    S3_PRESETS
}

#[cfg(test)]
mod tests;

/// The table of cases for every rule (for the end-to-end tests: feature `cases`).
#[cfg(any(test, feature = "cases"))]
#[doc(hidden)]
pub mod cases;
