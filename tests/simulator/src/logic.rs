//! Pure decisions of the simulated operator: no I/O here.
//!
//! Everything the reconcile loop writes is computed by these functions from the
//! `configs/cluster` spec and the observed state, so the unit tests below can pin
//! the operator's exact reasons and messages (REFERENCE §1.4–§1.6, §2, §4, §5, §6).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, SecretVolumeSource, Service, ServicePort, ServiceSpec,
    Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Namespace of every operand.
pub const NAMESPACE: &str = "openshift-image-registry";
/// Deployment and Service name.
pub const REGISTRY_NAME: &str = "image-registry";
/// Service account of the registry pods.
pub const SERVICE_ACCOUNT: &str = "registry";
/// Pod label of the registry pods.
pub const POD_LABEL: (&str, &str) = ("docker-registry", "default");
/// PVC the operator creates for a blank claim (REFERENCE §1.6).
pub const DEFAULT_PVC: &str = "image-registry-storage";
/// Route made for `defaultRoute: true` (REFERENCE §5).
pub const DEFAULT_ROUTE: &str = "default-route";
/// Annotation on operator-made PVCs and routes.
pub const OWNER_ANNOTATION: &str = "imageregistry.openshift.io";
/// The administrator's credentials secret (REFERENCE §2).
pub const USER_SECRET: &str = "image-registry-private-configuration-user";
/// The cloud credential operator's secret, the fallback (REFERENCE §2).
pub const INSTALLER_SECRET: &str = "installer-cloud-credentials";
/// The secret the operator derives (REFERENCE §2).
pub const PRIVATE_SECRET: &str = "image-registry-private-configuration";
/// Pod annotation hashing the secrets the pod uses (REFERENCE §2).
pub const CHECKSUM_ANNOTATION: &str = "imageregistry.operator.openshift.io/dependencies-checksum";
/// Deployment annotation the ClusterOperator version is read from (REFERENCE §6.1).
pub const VERSION_ANNOTATION: &str = "release.openshift.io/version";
/// The version the simulator reports (OpenShift 4.20, as the seed in tests/seed).
pub const OPERATOR_VERSION: &str = "4.20.0";
/// `images.config` internal hostname while the Service exists (REFERENCE §4).
pub const INTERNAL_HOSTNAME: &str = "image-registry.openshift-image-registry.svc:5000";
/// Image of the registry container (kwok never pulls it).
pub const REGISTRY_IMAGE: &str = "quay.io/openshift/origin-docker-registry:latest";

const TRUE: &str = "True";
const FALSE: &str = "False";
const UNKNOWN: &str = "Unknown";

/// The parts of `configs/cluster` `spec` the operator reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfigSpec {
    pub management_state: String,
    pub replicas: i32,
    pub rollout_strategy: String,
    pub http_secret: String,
    pub default_route: bool,
    pub routes: Vec<RouteSpec>,
    pub storage: Map<String, Value>,
    pub log_level: String,
    pub node_selector: BTreeMap<String, String>,
}

/// One `spec.routes[]` entry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteSpec {
    pub name: String,
    pub hostname: String,
    pub secret_name: String,
}

/// An operator condition (`configs/cluster` and ClusterOperator alike).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

impl Condition {
    pub fn new(type_: &str, status: &str, reason: &str, message: &str) -> Self {
        Self {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            last_transition_time: None,
        }
    }
}

/// An error of the "apply" phase. `reason` set = the operator's `permanentError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyError {
    pub reason: Option<&'static str>,
    pub message: String,
}

impl ApplyError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self { reason: None, message: message.into() }
    }
    pub fn permanent(reason: &'static str, message: impl Into<String>) -> Self {
        Self { reason: Some(reason), message: message.into() }
    }
}

/// The one configured storage provider.
#[derive(Clone, Debug, PartialEq)]
pub enum Storage {
    EmptyDir,
    Pvc { claim: String },
    S3(Value),
    Swift(Value),
    Gcs(Value),
    Azure(Value),
    IbmCos(Value),
}

impl Storage {
    /// The spec key of the provider.
    pub fn key(&self) -> &'static str {
        match self {
            Storage::EmptyDir => "emptyDir",
            Storage::Pvc { .. } => "pvc",
            Storage::S3(_) => "s3",
            Storage::Swift(_) => "swift",
            Storage::Gcs(_) => "gcs",
            Storage::Azure(_) => "azure",
            Storage::IbmCos(_) => "ibmcos",
        }
    }
}

/// Providers in the operator's order, with the names its error message uses.
/// `oss` is absent: its driver was removed in 4.17, so it counts as "not configured".
const PROVIDERS: [(&str, &str); 7] = [
    ("emptyDir", "EmptyDir"),
    ("s3", "S3"),
    ("swift", "Swift"),
    ("gcs", "GCS"),
    ("pvc", "PVC"),
    ("azure", "Azure"),
    ("ibmcos", "IBMCOS"),
];

/// Picks the storage driver (CIRO `storage.NewDriver`, REFERENCE §1.2).
pub fn select_storage(storage: &Map<String, Value>) -> Result<Storage, ApplyError> {
    let present: Vec<(&str, &str)> =
        PROVIDERS.iter().copied().filter(|(key, _)| storage.get(*key).is_some_and(|v| !v.is_null())).collect();
    match present.as_slice() {
        [] => Err(ApplyError::permanent("StorageNotConfigured", "storage backend not configured")),
        [(key, _)] => {
            let block = storage.get(*key).cloned().unwrap_or(Value::Null);
            Ok(match *key {
                "emptyDir" => Storage::EmptyDir,
                "pvc" => Storage::Pvc { claim: block.get("claim").and_then(Value::as_str).unwrap_or("").to_owned() },
                "s3" => Storage::S3(block),
                "swift" => Storage::Swift(block),
                "gcs" => Storage::Gcs(block),
                "azure" => Storage::Azure(block),
                _ => Storage::IbmCos(block),
            })
        }
        many => {
            let names: Vec<&str> = many.iter().map(|(_, name)| *name).collect();
            Err(ApplyError::transient(format!(
                "exactly one storage type should be configured at the same time, got {}: [{}]",
                names.len(),
                names.join(" ")
            )))
        }
    }
}

/// The operator's resource checks (CIRO `verifyResource`, REFERENCE §1.4).
pub fn verify(spec: &ConfigSpec) -> Result<(), ApplyError> {
    if spec.replicas < 0 {
        return Err(ApplyError::permanent("VerificationFailed", "replicas must be greater than or equal to 0"));
    }
    let mut names = vec![DEFAULT_ROUTE];
    for route in &spec.routes {
        if names.contains(&route.name.as_str()) {
            return Err(ApplyError::permanent(
                "VerificationFailed",
                "duplication of names has been detected in the additional routes",
            ));
        }
        names.push(&route.name);
    }
    Ok(())
}

/// What the operator writes back into `spec` (REFERENCE §1.5 "Write-back"):
/// `httpSecret` when empty, `pvc.claim` for a blank claim, `storage.managementState`.
/// Returns a merge patch for `spec`, or `None` when there is nothing to write.
pub fn spec_write_back(spec: &ConfigSpec, storage: &Storage, new_http_secret: &str) -> Option<Value> {
    let mut patch = Map::new();
    if spec.http_secret.is_empty() {
        patch.insert("httpSecret".into(), json!(new_http_secret));
    }
    let current = spec.storage.get("managementState").and_then(Value::as_str).unwrap_or("");
    let mut storage_patch = Map::new();
    match storage {
        Storage::Pvc { claim } if claim.is_empty() => {
            storage_patch.insert("pvc".into(), json!({ "claim": DEFAULT_PVC }));
            if current != "Managed" {
                storage_patch.insert("managementState".into(), json!("Managed"));
            }
        }
        Storage::EmptyDir if current.is_empty() => {
            storage_patch.insert("managementState".into(), json!("Managed"));
        }
        _ if current.is_empty() => {
            storage_patch.insert("managementState".into(), json!("Unmanaged"));
        }
        _ => {}
    }
    if !storage_patch.is_empty() {
        patch.insert("storage".into(), Value::Object(storage_patch));
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

/// What the operator observed about an existing PVC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PvcObs {
    pub owned: bool,
    pub access_modes: Vec<String>,
}

/// The StorageExists condition and error for PVC storage (CIRO `pkg/storage/pvc`,
/// REFERENCE §1.4, §1.6). `claim` is the claim after write-back; `blank` says the
/// user left it blank; `created` says this sync created it.
pub fn pvc_storage_check(
    claim: &str,
    blank: bool,
    pvc: Option<&PvcObs>,
    created: bool,
    replicas: i32,
    rollout_strategy: &str,
) -> (Condition, Result<(), ApplyError>) {
    let cond = |status, reason, message: &str| Condition::new("StorageExists", status, reason, message);
    let Some(pvc) = pvc else {
        let msg = format!("persistentvolumeclaims \"{claim}\" not found");
        return (cond(FALSE, "PVC does not exist", &msg), Err(ApplyError::transient(msg)));
    };
    if blank && !pvc.owned && !created {
        let msg = "could not create default PVC, it already exists and is not owned by the operator";
        return (cond(FALSE, "PVC Already Exists", msg), Err(ApplyError::transient(msg)));
    }
    let has = |mode: &str| pvc.access_modes.iter().any(|m| m == mode);
    let issue = if has("ReadWriteMany") {
        None
    } else if has("ReadWriteOnce") {
        if replicas > 1 {
            Some("cannot use ReadWriteOnce access mode with more than one replica".to_owned())
        } else if rollout_strategy != "Recreate" {
            Some("cannot use ReadWriteOnce access mode with RollingUpdate rollout strategy".to_owned())
        } else {
            None
        }
    } else {
        Some(format!("PVC {claim} does not contain the necessary access modes (ReadWriteMany or ReadWriteOnce)"))
    };
    if let Some(msg) = issue {
        return (cond(FALSE, "PVC Issues Found", &msg), Err(ApplyError::transient(msg)));
    }
    let reason = if created { "PVC Created" } else { "PVC Exists" };
    (cond(TRUE, reason, ""), Ok(()))
}

/// The desired PVC for a blank claim: RWX, 100Gi, no storage class, owner annotation.
pub fn desired_pvc() -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(DEFAULT_PVC.into()),
            namespace: Some(NAMESPACE.into()),
            annotations: Some(BTreeMap::from([(OWNER_ANNOTATION.into(), "true".into())])),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteMany".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".into(), Quantity("100Gi".into()))])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    }
}

/// Derives `image-registry-private-configuration` data (REFERENCE §2) from the
/// user secret, falling back to `installer-cloud-credentials`. Values are strings
/// (the operator's secret keys hold text).
pub fn private_configuration(
    storage: &Storage,
    user: Option<&BTreeMap<String, String>>,
    installer: Option<&BTreeMap<String, String>>,
) -> Result<BTreeMap<String, String>, ApplyError> {
    let missing = |key: &str| {
        ApplyError::transient(format!("secret \"{NAMESPACE}/{USER_SECRET}\" does not contain required key \"{key}\""))
    };
    let required = |data: &BTreeMap<String, String>, key: &str| -> Result<String, ApplyError> {
        data.get(key).cloned().ok_or_else(|| missing(key))
    };
    let no_installer = || ApplyError::transient(format!("secret \"{INSTALLER_SECRET}\" not found"));
    let mut out = BTreeMap::new();
    match storage {
        Storage::EmptyDir | Storage::Pvc { .. } => {}
        Storage::S3(_) => {
            let (id, secret) = if let Some(user) = user {
                (required(user, "REGISTRY_STORAGE_S3_ACCESSKEY")?, required(user, "REGISTRY_STORAGE_S3_SECRETKEY")?)
            } else {
                let installer = installer.ok_or_else(no_installer)?;
                if let Some(ini) = installer.get("credentials") {
                    out.insert("credentials".into(), ini.clone());
                    return Ok(out);
                }
                let get = |k: &str| {
                    installer.get(k).cloned().ok_or_else(|| {
                        ApplyError::transient(format!(
                            "secret \"{NAMESPACE}/{INSTALLER_SECRET}\" does not contain required key \"{k}\""
                        ))
                    })
                };
                (get("aws_access_key_id")?, get("aws_secret_access_key")?)
            };
            out.insert("credentials".into(), aws_credentials(&id, &secret));
        }
        Storage::Gcs(_) => {
            let key = "REGISTRY_STORAGE_GCS_KEYFILE";
            let value = match user {
                Some(user) => required(user, key)?,
                None => installer.ok_or_else(no_installer)?.get("service_account.json").cloned().unwrap_or_default(),
            };
            out.insert(key.into(), value);
        }
        Storage::Azure(_) => {
            let key = "REGISTRY_STORAGE_AZURE_ACCOUNTKEY";
            if let Some(user) = user {
                match user.get(key) {
                    Some(v) if !v.is_empty() => {
                        out.insert(key.into(), v.clone());
                    }
                    _ => return Err(missing(key)),
                }
            }
            // Without the user secret the real operator asks Azure for the account
            // key with the installer's service principal: not simulated.
        }
        Storage::Swift(_) => {
            if let Some(user) = user {
                const SETS: [&[&str]; 3] = [
                    &["USERNAME", "PASSWORD"],
                    &["APPLICATIONCREDENTIALID", "APPLICATIONCREDENTIALNAME", "APPLICATIONCREDENTIALSECRET"],
                    &["TOKENID"],
                ];
                let full = SETS
                    .iter()
                    .find(|set| set.iter().all(|k| user.contains_key(&format!("REGISTRY_STORAGE_SWIFT_{k}"))));
                let Some(set) = full else {
                    return Err(missing("REGISTRY_STORAGE_SWIFT_USERNAME"));
                };
                for k in set.iter() {
                    let key = format!("REGISTRY_STORAGE_SWIFT_{k}");
                    let value = user.get(&key).cloned().unwrap_or_default();
                    out.insert(key, value);
                }
            }
        }
        Storage::IbmCos(_) => {
            if let Some(user) = user {
                required(user, "REGISTRY_STORAGE_IBMCOS_IAMAPIKEY")?;
            }
            // The HMAC `credentials` come from IBM Cloud's API: not simulated.
        }
    }
    Ok(out)
}

/// The AWS shared-credentials file the operator writes for S3 (REFERENCE §2).
pub fn aws_credentials(access_key: &str, secret_key: &str) -> String {
    format!("[default]\naws_access_key_id = {access_key}\naws_secret_access_key = {secret_key}\n")
}

/// RollingUpdate parameters (REFERENCE §6.3): 1/1 at 2 replicas, else replicas−1/25%.
pub fn rollout_strategy(spec: &ConfigSpec) -> DeploymentStrategy {
    if spec.rollout_strategy == "Recreate" {
        return DeploymentStrategy { type_: Some("Recreate".into()), rolling_update: None };
    }
    let (unavailable, surge) = if spec.replicas == 2 {
        (IntOrString::Int(1), IntOrString::Int(1))
    } else {
        (IntOrString::Int((spec.replicas - 1).max(0)), IntOrString::String("25%".into()))
    };
    DeploymentStrategy {
        type_: Some("RollingUpdate".into()),
        rolling_update: Some(RollingUpdateDeployment { max_unavailable: Some(unavailable), max_surge: Some(surge) }),
    }
}

/// Registry log level from `logLevel` (REFERENCE §1.1).
pub fn registry_log_level(log_level: &str) -> &'static str {
    match log_level {
        "Debug" | "Trace" | "TraceAll" => "debug",
        _ => "info",
    }
}

fn pod_labels() -> BTreeMap<String, String> {
    BTreeMap::from([(POD_LABEL.0.to_owned(), POD_LABEL.1.to_owned())])
}

/// The desired Deployment `image-registry` (REFERENCE §0, §6.3).
pub fn desired_deployment(spec: &ConfigSpec, storage: &Storage, checksum: &str) -> Deployment {
    let mut env = vec![
        EnvVar { name: "REGISTRY_HTTP_ADDR".into(), value: Some(":5000".into()), ..EnvVar::default() },
        EnvVar { name: "REGISTRY_HTTP_NET".into(), value: Some("tcp".into()), ..EnvVar::default() },
        EnvVar {
            name: "REGISTRY_LOG_LEVEL".into(),
            value: Some(registry_log_level(&spec.log_level).into()),
            ..EnvVar::default()
        },
    ];
    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    let storage_volume = match storage {
        Storage::Pvc { claim } => Some(Volume {
            name: "registry-storage".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.clone(),
                read_only: None,
            }),
            ..Volume::default()
        }),
        Storage::EmptyDir => {
            Some(Volume { name: "registry-storage".into(), empty_dir: Some(Default::default()), ..Volume::default() })
        }
        _ => None,
    };
    let driver = match storage {
        Storage::EmptyDir | Storage::Pvc { .. } => "filesystem",
        Storage::S3(_) => "s3",
        Storage::Swift(_) => "swift",
        Storage::Gcs(_) => "gcs",
        Storage::Azure(_) => "azure",
        Storage::IbmCos(_) => "s3",
    };
    env.push(EnvVar { name: "REGISTRY_STORAGE".into(), value: Some(driver.into()), ..EnvVar::default() });
    if let Some(volume) = storage_volume {
        env.push(EnvVar {
            name: "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY".into(),
            value: Some("/registry".into()),
            ..EnvVar::default()
        });
        mounts.push(VolumeMount {
            name: volume.name.clone(),
            mount_path: "/registry".into(),
            ..VolumeMount::default()
        });
        volumes.push(volume);
    }
    if matches!(storage, Storage::S3(_)) {
        volumes.push(Volume {
            name: "registry-private-configuration".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(PRIVATE_SECRET.into()),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name: "registry-private-configuration".into(),
            mount_path: "/var/run/secrets/cloud".into(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    Deployment {
        metadata: ObjectMeta {
            name: Some(REGISTRY_NAME.into()),
            namespace: Some(NAMESPACE.into()),
            labels: Some(pod_labels()),
            annotations: Some(BTreeMap::from([(VERSION_ANNOTATION.into(), OPERATOR_VERSION.into())])),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas),
            selector: LabelSelector { match_labels: Some(pod_labels()), match_expressions: None },
            strategy: Some(rollout_strategy(spec)),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels()),
                    annotations: Some(BTreeMap::from([(CHECKSUM_ANNOTATION.into(), checksum.into())])),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(SERVICE_ACCOUNT.into()),
                    node_selector: (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone()),
                    containers: vec![Container {
                        name: "registry".into(),
                        image: Some(REGISTRY_IMAGE.into()),
                        ports: Some(vec![ContainerPort {
                            container_port: 5000,
                            protocol: Some("TCP".into()),
                            ..ContainerPort::default()
                        }]),
                        env: Some(env),
                        volume_mounts: (!mounts.is_empty()).then_some(mounts),
                        ..Container::default()
                    }],
                    volumes: (!volumes.is_empty()).then_some(volumes),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

/// The desired Service `image-registry`: 5000/TCP named `5000-tcp` (REFERENCE §0).
pub fn desired_service() -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some(REGISTRY_NAME.into()),
            namespace: Some(NAMESPACE.into()),
            labels: Some(pod_labels()),
            annotations: Some(BTreeMap::from([(
                "service.beta.openshift.io/serving-cert-secret-name".into(),
                "image-registry-tls".into(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(pod_labels()),
            ports: Some(vec![ServicePort {
                name: Some("5000-tcp".into()),
                port: 5000,
                protocol: Some("TCP".into()),
                target_port: Some(IntOrString::Int(5000)),
                ..ServicePort::default()
            }]),
            type_: Some("ClusterIP".into()),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

/// The routes the operator wants: `default-route` first when `defaultRoute`, then `routes[]`.
pub fn wanted_routes(spec: &ConfigSpec) -> Vec<RouteSpec> {
    let mut out = Vec::new();
    if spec.default_route {
        out.push(RouteSpec { name: DEFAULT_ROUTE.into(), ..RouteSpec::default() });
    }
    out.extend(spec.routes.iter().cloned());
    out
}

/// A route's host: `hostname`, else `<name>-openshift-image-registry.<domain>` (REFERENCE §5).
/// On OpenShift the route API fills the empty host; this cluster has none, so the
/// simulator writes it.
pub fn route_host(route: &RouteSpec, domain: Option<&str>) -> Option<String> {
    if !route.hostname.is_empty() {
        return Some(route.hostname.clone());
    }
    domain.filter(|d| !d.is_empty()).map(|d| format!("{}-{NAMESPACE}.{d}", route.name))
}

/// The desired Route object (REFERENCE §5): reencrypt to Service `image-registry`,
/// owner annotation, TLS material copied from the named secret's data.
pub fn desired_route(route: &RouteSpec, domain: Option<&str>, secret: Option<&BTreeMap<String, String>>) -> Value {
    let mut tls = Map::new();
    tls.insert("termination".into(), json!("reencrypt"));
    if let Some(data) = secret {
        for (key, field) in [("tls.crt", "certificate"), ("tls.key", "key"), ("tls.cacrt", "caCertificate")] {
            if let Some(v) = data.get(key) {
                tls.insert(field.into(), json!(v));
            }
        }
    }
    let mut spec = Map::new();
    if let Some(host) = route_host(route, domain) {
        spec.insert("host".into(), json!(host));
    }
    spec.insert("to".into(), json!({"kind": "Service", "name": REGISTRY_NAME, "weight": 100}));
    spec.insert("tls".into(), Value::Object(tls));
    json!({
        "apiVersion": "route.openshift.io/v1",
        "kind": "Route",
        "metadata": {
            "name": route.name,
            "namespace": NAMESPACE,
            "annotations": { OWNER_ANNOTATION: "true" },
        },
        "spec": spec,
    })
}

/// `status.externalRegistryHostnames` of `images.config` (REFERENCE §4): hosts from the
/// operator's routes' `status.ingress[].host`, default route first, the rest sorted and
/// de-duplicated. `routes` are (name, route JSON).
pub fn external_hostnames(routes: &[(String, Value)]) -> Vec<String> {
    let hosts = |route: &Value| -> Vec<String> {
        route
            .pointer("/status/ingress")
            .and_then(Value::as_array)
            .map(|ings| {
                ings.iter()
                    .filter_map(|i| i.get("host").and_then(Value::as_str))
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut first = Vec::new();
    let mut rest = Vec::new();
    for (name, route) in routes {
        if name == DEFAULT_ROUTE {
            first.extend(hosts(route));
        } else {
            rest.extend(hosts(route));
        }
    }
    rest.sort();
    rest.dedup();
    let mut out = first;
    for host in rest {
        if !out.contains(&host) {
            out.push(host);
        }
    }
    out
}

/// RouteDegraded message (CIRO `checkRoutesStatus`, REFERENCE §5): every `Admitted`
/// condition that is not True.
pub fn route_admission_error(routes: &[(String, Value)]) -> Option<String> {
    let mut errs = Vec::new();
    for (name, route) in routes {
        let ingresses = route.pointer("/status/ingress").and_then(Value::as_array);
        for ingress in ingresses.into_iter().flatten() {
            let conditions = ingress.get("conditions").and_then(Value::as_array);
            for cond in conditions.into_iter().flatten() {
                let field = |k: &str| cond.get(k).and_then(Value::as_str).unwrap_or("");
                if field("type") != "Admitted" || field("status") == TRUE {
                    continue;
                }
                let text = |k: &str| ingress.get(k).and_then(Value::as_str).unwrap_or("");
                errs.push(format!(
                    "route {name} (host {}, router {}) not admitted: {}",
                    text("host"),
                    text("routerName"),
                    field("message")
                ));
            }
        }
    }
    (!errs.is_empty()).then(|| errs.join(","))
}

/// What the status computation needs to know about the Deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentObs {
    pub deleting: bool,
    pub available_replicas: i32,
    pub ready_replicas: i32,
    /// updated = replicas = available = spec.replicas and observedGeneration ≥ generation
    pub complete: bool,
    /// message of a Progressing condition with reason ProgressDeadlineExceeded
    pub progress_deadline_exceeded: Option<String>,
}

impl DeploymentObs {
    pub fn from_deployment(d: &Deployment) -> Self {
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = d.status.clone().unwrap_or_default();
        let generation = d.metadata.generation.unwrap_or(0);
        let complete = st.updated_replicas.unwrap_or(0) == want
            && st.replicas.unwrap_or(0) == want
            && st.available_replicas.unwrap_or(0) == want
            && st.observed_generation.unwrap_or(0) >= generation;
        let progress_deadline_exceeded = st
            .conditions
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "Progressing")
            .filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
            .map(|c| c.message.unwrap_or_default());
        Self {
            deleting: d.metadata.deletion_timestamp.is_some(),
            available_replicas: st.available_replicas.unwrap_or(0),
            ready_replicas: st.ready_replicas.unwrap_or(0),
            complete,
            progress_deadline_exceeded,
        }
    }
}

/// Inputs of the operator's `syncStatus`.
#[derive(Clone, Debug, Default)]
pub struct StatusInput<'a> {
    pub management_state: &'a str,
    pub deployment: Option<&'a DeploymentObs>,
    pub apply_error: Option<&'a ApplyError>,
    pub route_error: Option<&'a str>,
    /// true when Available has not been True for more than 5 minutes (REFERENCE §6.2)
    pub unavailable_too_long: bool,
    /// error of the Removed teardown
    pub remove_error: Option<&'a str>,
}

/// The Available, Progressing, Degraded and Removed conditions of `configs/cluster`
/// (CIRO `syncStatus`, REFERENCE §1.5, §6.2).
pub fn registry_conditions(input: &StatusInput<'_>) -> [Condition; 4] {
    const UNMANAGED_MSG: &str = "The registry configuration is set to unmanaged mode";
    const REMOVED_MSG: &str = "The registry is removed";
    let state = input.management_state;
    let deploy = input.deployment;
    let permanent = input.apply_error.and_then(|e| e.reason.map(|r| (r, e)));

    let available = if state == "Unmanaged" {
        Condition::new("Available", TRUE, "Unmanaged", UNMANAGED_MSG)
    } else if let Some(d) = deploy {
        if d.deleting {
            Condition::new("Available", FALSE, "DeploymentDeleted", "The deployment is being deleted")
        } else if d.available_replicas <= 0 {
            Condition::new("Available", FALSE, "NoReplicasAvailable", "The deployment does not have available replicas")
        } else if !d.complete {
            Condition::new("Available", TRUE, "MinimumAvailability", "The registry has minimum availability")
        } else {
            Condition::new("Available", TRUE, "Ready", "The registry is ready")
        }
    } else if let Some((reason, e)) = permanent {
        Condition::new("Available", FALSE, reason, &format!("Error: {}", e.message))
    } else if state == "Removed" {
        Condition::new("Available", TRUE, "Removed", REMOVED_MSG)
    } else {
        Condition::new("Available", FALSE, "DeploymentNotFound", "The deployment does not exist")
    };

    let progressing = if state == "Unmanaged" {
        Condition::new("Progressing", FALSE, "Unmanaged", UNMANAGED_MSG)
    } else if state == "Removed" {
        if deploy.is_some() {
            Condition::new("Progressing", TRUE, "DeletingDeployment", "The deployment is being removed")
        } else {
            Condition::new("Progressing", FALSE, "Removed", "All registry resources are removed")
        }
    } else if let Some(e) = input.apply_error {
        let msg = format!("Unable to apply resources: {}", e.message);
        match e.reason {
            Some(reason) => Condition::new("Progressing", FALSE, reason, &msg),
            None => Condition::new("Progressing", TRUE, "Error", &msg),
        }
    } else if let Some(d) = deploy {
        if d.deleting {
            Condition::new("Progressing", TRUE, "FinalizingDeployment", "The deployment is being deleted")
        } else if !d.complete {
            Condition::new("Progressing", TRUE, "DeploymentNotCompleted", "The deployment has not completed")
        } else {
            Condition::new("Progressing", FALSE, "Ready", "The registry is ready")
        }
    } else {
        Condition::new(
            "Progressing",
            TRUE,
            "WaitingForDeployment",
            "All resources are successfully applied, but the deployment does not exist",
        )
    };

    let degraded = if state == "Unmanaged" {
        Condition::new("Degraded", FALSE, "Unmanaged", UNMANAGED_MSG)
    } else if let Some((reason, e)) = permanent {
        Condition::new("Degraded", TRUE, reason, &format!("Error: {}", e.message))
    } else if let Some(e) = input.remove_error.filter(|_| state == "Removed") {
        Condition::new("Degraded", TRUE, "RemoveFailed", &format!("Unable to remove registry: {e}"))
    } else if state == "Removed" {
        Condition::new("Degraded", FALSE, "Removed", REMOVED_MSG)
    } else if available.status != TRUE {
        if input.unavailable_too_long {
            Condition::new("Degraded", TRUE, "Unavailable", &available.message)
        } else {
            Condition::new("Degraded", FALSE, "", "")
        }
    } else if let Some(msg) = deploy.filter(|d| !d.complete).and_then(|d| d.progress_deadline_exceeded.as_ref()) {
        Condition::new(
            "Degraded",
            TRUE,
            "ProgressDeadlineExceeded",
            &format!("Registry deployment has timed out progressing: {msg}"),
        )
    } else if let Some(msg) = input.route_error {
        Condition::new("Degraded", TRUE, "RouteDegraded", msg)
    } else {
        Condition::new("Degraded", FALSE, "", "")
    };

    let removed = if state == "Removed" {
        Condition::new("Removed", TRUE, "Removed", REMOVED_MSG)
    } else {
        Condition::new("Removed", FALSE, "", "")
    };
    [available, progressing, degraded, removed]
}

/// Applies condition updates the way the operator's `updateCondition` does: the
/// transition time changes only when the status does; new types are appended.
pub fn merge_conditions(old: &[Condition], updates: &[Condition], now: &str) -> Vec<Condition> {
    let mut out = old.to_vec();
    for update in updates {
        match out.iter_mut().find(|c| c.type_ == update.type_) {
            Some(existing) => {
                if existing.status != update.status || existing.last_transition_time.is_none() {
                    existing.last_transition_time = Some(now.to_owned());
                }
                existing.status = update.status.clone();
                existing.reason = update.reason.clone();
                existing.message = update.message.clone();
            }
            None => {
                let mut c = update.clone();
                c.last_transition_time = Some(now.to_owned());
                out.push(c);
            }
        }
    }
    out
}

/// library-go `UnionCondition` (REFERENCE §6.1): the ClusterOperator condition
/// `cond_type` from every condition whose type ends with it.
pub fn union_condition(cond_type: &str, default_status: &str, all: &[Condition]) -> Condition {
    let interesting: Vec<&Condition> = all.iter().filter(|c| c.type_.ends_with(cond_type)).collect();
    if interesting.is_empty() {
        return Condition::new(cond_type, UNKNOWN, "NoData", "");
    }
    let opposite = if default_status == TRUE { FALSE } else { TRUE };
    let bad: Vec<&Condition> = interesting.iter().copied().filter(|c| c.status != default_status).collect();
    let message = |conds: &[&Condition]| {
        conds
            .iter()
            .filter(|c| !c.message.is_empty())
            .flat_map(|c| c.message.split('\n').map(move |m| format!("{}: {m}", c.type_)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if bad.is_empty() {
        return Condition::new(cond_type, default_status, "AsExpected", &message(&interesting));
    }
    let status = if bad.iter().any(|c| c.status == opposite) { opposite } else { UNKNOWN };
    let mut reasons: Vec<String> =
        bad.iter().map(|c| format!("{}{}", c.type_.strip_suffix(cond_type).unwrap_or(""), c.reason)).collect();
    reasons.sort();
    Condition::new(cond_type, status, &reasons.join("::"), &message(&bad))
}

/// The ClusterOperator conditions from the `configs/cluster` conditions (REFERENCE §6.1).
pub fn cluster_operator_conditions(config_conditions: &[Condition]) -> [Condition; 3] {
    [
        union_condition("Available", TRUE, config_conditions),
        union_condition("Progressing", FALSE, config_conditions),
        union_condition("Degraded", FALSE, config_conditions),
    ]
}

/// ClusterOperator `status.relatedObjects` (REFERENCE §6.1).
pub fn related_objects() -> Value {
    json!([
        {"group": "imageregistry.operator.openshift.io", "resource": "configs", "name": "cluster"},
        {"group": "imageregistry.operator.openshift.io", "resource": "imagepruners", "name": "cluster"},
        {"group": "rbac.authorization.k8s.io", "resource": "clusterroles", "name": "system:registry"},
        {"group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings", "name": "registry-registry-role"},
        {"group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings", "name": "openshift-image-registry-pruner"},
        {"group": "", "resource": "namespaces", "name": NAMESPACE},
    ])
}

/// A merge patch turning object `old` into `new` at the top level (keys of `old`
/// missing from `new` become `null`), so a merge patch replaces the whole map.
pub fn replace_patch(old: Option<&Value>, new: &Value) -> Value {
    let mut patch = new.as_object().cloned().unwrap_or_default();
    if let Some(old) = old.and_then(Value::as_object) {
        for key in old.keys() {
            patch.entry(key.clone()).or_insert(Value::Null);
        }
    }
    Value::Object(patch)
}

/// The merge patch for `configs/cluster` `status` (REFERENCE §1.3), or `None` when
/// nothing changed. `storage` is the applied storage and `storageManaged`, or `None`
/// to keep them (Unmanaged, or an apply error); the required fields are always set.
pub fn config_status_patch(
    old: Option<&Value>,
    conditions: &[Condition],
    generation: i64,
    ready_replicas: i32,
    storage: Option<(&Value, bool)>,
) -> Option<Value> {
    let old_field = |k: &str| old.and_then(|s| s.get(k));
    let old_conditions: Vec<Condition> =
        old_field("conditions").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let mut patch = Map::new();
    patch.insert("conditions".into(), serde_json::to_value(conditions).unwrap_or_default());
    patch.insert("observedGeneration".into(), json!(generation));
    patch.insert("readyReplicas".into(), json!(ready_replicas));
    let mut changed = old_conditions != conditions
        || old_field("observedGeneration") != Some(&json!(generation))
        || old_field("readyReplicas") != Some(&json!(ready_replicas));
    match storage {
        Some((storage, managed)) => {
            changed |= old_field("storage") != Some(storage) || old_field("storageManaged") != Some(&json!(managed));
            patch.insert("storage".into(), replace_patch(old_field("storage"), storage));
            patch.insert("storageManaged".into(), json!(managed));
        }
        None => {
            if old_field("storage").is_none() {
                changed = true;
                patch.insert("storage".into(), json!({}));
            }
            if old_field("storageManaged").is_none() {
                changed = true;
                patch.insert("storageManaged".into(), json!(false));
            }
        }
    }
    changed.then_some(Value::Object(patch))
}

/// A stable checksum of secret data (FNV-1a 64, hex), for the pod annotation.
pub fn checksum(parts: &[&BTreeMap<String, String>]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for (k, v) in part.iter() {
            for b in k.bytes().chain([0]).chain(v.bytes()).chain([0]) {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests;
