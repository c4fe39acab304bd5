//! What a user asks for: one input type per plan kind. The server turns an
//! input into a plan (the steps that write the cluster); the browser builds
//! the same inputs in its wizards and validates them with `validate` before
//! sending. Enumerations users type or pick (`managementState`, access modes,
//! log levels) are strings here, so a bad value is a field error with a path
//! (422), not a parse error (400).
//!
//! Secret values (`password`, `secretKey`, `key`, …) travel only from the
//! browser to the server and on to the cluster; no response carries them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A change to the registry, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PlanRequest {
    /// `spec` fields of `configs/cluster` outside storage and routes.
    Management(ManagementInput),
    /// One storage provider, its credentials, and the PVC or NFS volume it needs.
    Storage(StorageInput),
    /// Make one StorageClass the cluster default (seed 002), clearing the old default first.
    DefaultStorageClass(DefaultStorageClassInput),
    /// `defaultRoute` and `routes[]`, with TLS secrets.
    Routes(RoutesInput),
    /// Trust an external registry's CA (`image.config` `additionalTrustedCA`).
    TrustedCa(TrustedCaInput),
    /// Trust the registry's own route: the ingress CA under the route's host.
    TrustIngressCa(TrustIngressCaInput),
    /// `image.config` `registrySources` and `allowedRegistriesForImport`.
    RegistrySources(RegistrySourcesInput),
    /// An `ImageDigestMirrorSet` or `ImageTagMirrorSet`.
    MirrorSet(MirrorSetInput),
    /// One registry's entry in `openshift-config/pull-secret`.
    GlobalPullSecret(GlobalPullSecretInput),
    /// `imagepruners/cluster`.
    Pruner(PrunerInput),
    /// A Job from the `image-pruner` CronJob, now.
    PruneNow(PruneNowInput),
    /// A role binding as `oc policy add-role-to-*` makes it.
    RoleGrant(RoleGrantInput),
    /// The `prometheus-scraper` ClusterRole of seeds 000/001 and its binding.
    MetricsAccess(MetricsAccessInput),
    /// A `kubernetes.io/dockerconfigjson` secret, linked to a service account for pull.
    PullSecret(PullSecretInput),
    /// Delete one tag of an image stream.
    DeleteImageTag(DeleteImageTagInput),
    /// Delete one `Image` object (metadata only; blobs stay until pruned).
    DeleteImage(DeleteImageInput),
}

impl PlanRequest {
    /// The `kind` tag, as sent on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            PlanRequest::Management(_) => "management",
            PlanRequest::Storage(_) => "storage",
            PlanRequest::DefaultStorageClass(_) => "default-storage-class",
            PlanRequest::Routes(_) => "routes",
            PlanRequest::TrustedCa(_) => "trusted-ca",
            PlanRequest::TrustIngressCa(_) => "trust-ingress-ca",
            PlanRequest::RegistrySources(_) => "registry-sources",
            PlanRequest::MirrorSet(_) => "mirror-set",
            PlanRequest::GlobalPullSecret(_) => "global-pull-secret",
            PlanRequest::Pruner(_) => "pruner",
            PlanRequest::PruneNow(_) => "prune-now",
            PlanRequest::RoleGrant(_) => "role-grant",
            PlanRequest::MetricsAccess(_) => "metrics-access",
            PlanRequest::PullSecret(_) => "pull-secret",
            PlanRequest::DeleteImageTag(_) => "delete-image-tag",
            PlanRequest::DeleteImage(_) => "delete-image",
        }
    }
}

/// Unset fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ManagementInput {
    /// `Managed`, `Unmanaged` or `Removed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// `RollingUpdate` or `Recreate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_strategy: Option<String>,
    /// `Normal`, `Debug`, `Trace` or `TraceAll`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_log_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_redirect: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestsInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyInput>,
    /// Replaces the whole map; an empty map removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// Replaces the whole list (the field is atomic); an empty list removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    /// Required when `managementState: Removed` would delete operator-managed storage:
    /// set `spec.storage.managementState: Unmanaged` in the same plan, first, so the
    /// storage and its images are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_storage: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RequestsInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<RequestLimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<RequestLimits>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RequestLimits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_running: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_queue: Option<i64>,
    /// A Go duration such as `30s` or `1m30s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wait_in_queue: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ProxyInput {
    pub http: String,
    pub https: String,
    pub no_proxy: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// `Exists` or `Equal` (empty = `Equal`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub operator: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute` or empty for all.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// A storage provider for the registry. The plan removes the provider being
/// replaced (`null` in the merge patch) and writes the credentials secret
/// `image-registry-private-configuration-user` when credentials are given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageInput {
    pub provider: StorageProvider,
    /// Set together with the storage, e.g. 1 for emptyDir or a ReadWriteOnce claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_strategy: Option<String>,
    /// Also set `spec.managementState` (typically `Managed` after storage on bare metal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_state: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum StorageProvider {
    Pvc(PvcStorage),
    EmptyDir,
    S3(S3Storage),
    Gcs(GcsStorage),
    Azure(AzureStorage),
    Swift(SwiftStorage),
    #[serde(rename = "ibmcos")]
    IbmCos(IbmCosStorage),
}

impl StorageProvider {
    /// The key under `spec.storage`.
    pub fn key(&self) -> &'static str {
        match self {
            StorageProvider::Pvc(_) => "pvc",
            StorageProvider::EmptyDir => "emptyDir",
            StorageProvider::S3(_) => "s3",
            StorageProvider::Gcs(_) => "gcs",
            StorageProvider::Azure(_) => "azure",
            StorageProvider::Swift(_) => "swift",
            StorageProvider::IbmCos(_) => "ibmcos",
        }
    }
}

/// `claim` empty: the operator creates `image-registry-storage` (RWX, 100Gi,
/// default class). With `create` or `nfs` the plan creates the claim itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct PvcStorage {
    pub claim: String,
    /// Create the claim `claim` in `openshift-image-registry`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create: Option<NewClaim>,
    /// Create a static NFS PersistentVolume and the claim `claim` bound to it (seeds 001, 004).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nfs: Option<NfsVolume>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct NewClaim {
    /// A Kubernetes quantity such as `100Gi`.
    pub size: String,
    /// `ReadWriteMany` or `ReadWriteOnce` (block volumes).
    pub access_modes: Vec<String>,
    /// Empty: the cluster's default class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct NfsVolume {
    /// Name of the PersistentVolume to create.
    pub volume_name: String,
    /// NFS server host name or address.
    pub server: String,
    /// Exported path, absolute.
    pub path: String,
    /// A Kubernetes quantity such as `200Gi`.
    pub size: String,
    /// Class written on both PV and claim; empty writes `storageClassName: ""`
    /// so the claim does not take the default class.
    pub storage_class_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct S3Storage {
    pub bucket: String,
    pub region: String,
    /// URL with scheme; S3-compatible stores need an explicit port.
    pub region_endpoint: String,
    pub virtual_hosted_style: bool,
    pub encrypt: bool,
    #[serde(rename = "keyID")]
    pub key_id: String,
    /// ConfigMap in `openshift-config` with key `ca-bundle.crt`.
    #[serde(rename = "trustedCA")]
    pub trusted_ca: String,
    #[serde(rename = "chunkSizeMiB", skip_serializing_if = "Option::is_none")]
    pub chunk_size_mib: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<S3Credentials>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct S3Credentials {
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct GcsStorage {
    pub bucket: String,
    pub region: String,
    #[serde(rename = "projectID")]
    pub project_id: String,
    #[serde(rename = "keyID")]
    pub key_id: String,
    /// The service account key file (JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyfile: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct AzureStorage {
    pub account_name: String,
    pub container: String,
    /// Empty: from the infrastructure.
    pub cloud_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_key: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct SwiftStorage {
    #[serde(rename = "authURL")]
    pub auth_url: String,
    pub auth_version: String,
    pub container: String,
    pub domain: String,
    #[serde(rename = "domainID")]
    pub domain_id: String,
    pub tenant: String,
    #[serde(rename = "tenantID")]
    pub tenant_id: String,
    pub region_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct IbmCosStorage {
    pub bucket: String,
    pub location: String,
    pub resource_group_name: String,
    #[serde(rename = "resourceKeyCRN")]
    pub resource_key_crn: String,
    #[serde(rename = "serviceInstanceCRN")]
    pub service_instance_crn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_api_key: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct DefaultStorageClassInput {
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RoutesInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_route: Option<bool>,
    /// Replaces the whole list (the field is atomic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<RouteInput>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RouteInput {
    pub name: String,
    /// Empty: `<name>-openshift-image-registry.<apps domain>`.
    pub hostname: String,
    /// Existing TLS secret in `openshift-image-registry`, or the one `tls` creates.
    pub secret_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<RouteTls>,
}

/// Where the route's certificate comes from. The secret is `secretName`
/// (default `<name>-tls`) in `openshift-image-registry`, keys `tls.crt`,
/// `tls.key` and `tls.cacrt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "source", rename_all = "camelCase")]
pub enum RouteTls {
    /// PEM certificate (chain), private key and optionally the CA.
    #[serde(rename_all = "camelCase")]
    Upload {
        certificate: String,
        key: String,
        #[serde(default)]
        ca_certificate: String,
    },
    /// A key generated on the server, never shown. With `caCertificate` and
    /// `caKey` the server signs the certificate; without, the secret holds
    /// the key and a CSR (`tls.csr`) to have signed, and the route waits for
    /// a later `Upload` of the certificate alone (`key` empty).
    #[serde(rename_all = "camelCase")]
    Generate {
        #[serde(default)]
        ca_certificate: String,
        #[serde(default)]
        ca_key: String,
        /// Validity of a certificate signed here, in days (default 365).
        #[serde(default)]
        days: Option<u32>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct TrustedCaInput {
    /// Registry host name, without port.
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// PEM: one or more CA certificates.
    pub certificate: String,
    /// The ConfigMap in `openshift-config`; empty: the one `additionalTrustedCA`
    /// already names, else `registry-trusted-cas`.
    pub config_map: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct TrustIngressCaInput {
    /// Host to trust; empty: the default route's host.
    pub host: String,
    pub config_map: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrySourcesInput {
    pub allowed_registries: Vec<String>,
    pub blocked_registries: Vec<String>,
    pub insecure_registries: Vec<String>,
    pub allowed_registries_for_import: Vec<AllowedImportRegistry>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct AllowedImportRegistry {
    pub domain_name: String,
    pub insecure: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct MirrorSetInput {
    /// `digest` (`ImageDigestMirrorSet`) or `tag` (`ImageTagMirrorSet`).
    pub by: String,
    pub name: String,
    pub mirrors: Vec<MirrorInput>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct MirrorInput {
    pub source: String,
    pub mirrors: Vec<String>,
    /// `AllowContactingSource` (default) or `NeverContactSource`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mirror_source_policy: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct GlobalPullSecretInput {
    /// `host[:port]` key under `auths`.
    pub registry: String,
    pub username: String,
    pub password: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Remove the registry's entry instead of writing it.
    pub remove: bool,
}

/// Unset fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct PrunerInput {
    /// Five-field cron, in UTC (the CronJob has no time zone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_tag_revisions: Option<i32>,
    /// A Go duration such as `60m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_younger_than_duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_invalid_image_references: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct PruneNowInput {}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RoleGrantInput {
    /// `registry-viewer`, `registry-editor`, `system:image-builder`,
    /// `system:image-puller`, `system:image-pusher` or `registry-admin`.
    pub role: String,
    /// The namespace the role applies in.
    pub namespace: String,
    pub subject: SubjectInput,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct SubjectInput {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// For a group such as `system:serviceaccounts:team-b`, pulls across projects.
    pub name: String,
    /// Service accounts only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct MetricsAccessInput {
    pub subject: SubjectInput,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct PullSecretInput {
    pub namespace: String,
    /// Secret name.
    pub name: String,
    /// `host[:port]`, e.g. the registry route's host.
    pub registry: String,
    /// A long-lived service-account credential's user name (any value without `:`).
    pub username: String,
    /// The credential: a token created for this purpose, not a user's expiring session token.
    /// Empty with `tokenServiceAccount`: the console creates that token.
    pub password: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Link it for pull to this service account (empty: do not link).
    pub service_account: String,
    /// Create a long-lived token of this service account (a `kubernetes.io/service-account-token`
    /// secret `<name>-token`) and use it as the password; it never leaves the cluster.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token_service_account: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteImageTagInput {
    pub namespace: String,
    pub image_stream: String,
    pub tag: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteImageInput {
    /// `sha256:<64 hex>`.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_by_kind_in_kebab_case() {
        let json = serde_json::json!({
            "kind": "storage",
            "provider": {"type": "pvc", "claim": ""},
            "managementState": "Managed"
        });
        let request: PlanRequest = serde_json::from_value(json).expect("decode");
        let PlanRequest::Storage(storage) = &request else { panic!("not storage: {request:?}") };
        assert_eq!(storage.provider.key(), "pvc");
        assert_eq!(request.kind(), "storage");
        let back = serde_json::to_value(&request).expect("encode");
        assert_eq!(back["kind"], "storage");
    }

    #[test]
    fn route_tls_is_tagged_by_source() {
        let tls: RouteTls = serde_json::from_value(serde_json::json!({
            "source": "upload", "certificate": "c", "key": "k"
        }))
        .expect("decode");
        assert_eq!(tls, RouteTls::Upload { certificate: "c".into(), key: "k".into(), ca_certificate: String::new() });
    }
}
