//! Plans on `configs/cluster`: management, storage, routes; and the default
//! storage class (seed 002).

use std::collections::BTreeMap;

use model::registry::{Finding, ManagementInput, RouteInput, RouteTls, RoutesInput, StorageInput, StorageProvider};
use serde_json::{Map, Value, json};

use super::{
    BuildError, CREDENTIALS_SECRET, Ctx, NAMESPACE, apps_domain, config_patch, create_step, danger, patch_step,
    secret_step, storage_providers,
};
use crate::cluster::resource;
use crate::pki;
use crate::registry::plan::engine::{PlanDraft, gitops_tracking};

/// What `Removed` does to storage the operator manages (REFERENCE §1.5).
const REMOVED_DELETES_STORAGE: &str = "Removed deletes the registry's storage and every image in it, because \
     spec.storage.managementState is Managed (the operator created it). Set keepStorage to mark the storage \
     Unmanaged first and keep it.";

fn insert_some<T: serde::Serialize>(map: &mut Map<String, Value>, key: &str, value: &Option<T>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), json!(value));
    }
}

pub fn management(input: &ManagementInput, config: &Value) -> PlanDraft {
    let mut spec = Map::new();
    insert_some(&mut spec, "managementState", &input.management_state);
    insert_some(&mut spec, "replicas", &input.replicas);
    insert_some(&mut spec, "rolloutStrategy", &input.rollout_strategy);
    insert_some(&mut spec, "logLevel", &input.log_level);
    insert_some(&mut spec, "operatorLogLevel", &input.operator_log_level);
    insert_some(&mut spec, "readOnly", &input.read_only);
    insert_some(&mut spec, "disableRedirect", &input.disable_redirect);
    insert_some(&mut spec, "requests", &input.requests);
    if let Some(proxy) = &input.proxy {
        spec.insert("proxy".into(), json!({"http": proxy.http, "https": proxy.https, "noProxy": proxy.no_proxy}));
    }
    if let Some(selector) = &input.node_selector {
        spec.insert("nodeSelector".into(), if selector.is_empty() { Value::Null } else { json!(selector) });
    }
    if let Some(tolerations) = &input.tolerations {
        spec.insert("tolerations".into(), if tolerations.is_empty() { Value::Null } else { json!(tolerations) });
    }
    let storage_managed = config.pointer("/spec/storage/managementState").and_then(Value::as_str) == Some("Managed");
    let removing = input.management_state.as_deref() == Some("Removed")
        && config.pointer("/spec/managementState").and_then(Value::as_str) != Some("Removed");
    let mut draft = PlanDraft { summary: "Change the registry's management settings".into(), ..PlanDraft::default() };
    let keep = input.keep_storage == Some(true);
    if removing && storage_managed && keep {
        spec.insert("storage".into(), json!({"managementState": "Unmanaged"}));
    }
    let mut step = config_patch(json!({ "spec": spec }), "Patch configs/cluster spec");
    if removing && storage_managed && !keep {
        step = step.irreversible();
        draft.dangers.push(danger("removed-deletes-storage", vec![0], REMOVED_DELETES_STORAGE));
    }
    draft.gitops.extend(gitops_tracking(config).map(|tracking| format!("configs/cluster: {tracking}")));
    draft.steps.push(step);
    draft
}

/// The provider's block under `spec.storage`, without secrets.
fn provider_block(provider: &StorageProvider) -> Value {
    fn non_empty(map: &mut Map<String, Value>, key: &str, value: &str) {
        if !value.is_empty() {
            map.insert(key.into(), json!(value));
        }
    }
    let mut block = Map::new();
    match provider {
        StorageProvider::Pvc(pvc) => {
            block.insert("claim".into(), json!(pvc.claim));
        }
        StorageProvider::EmptyDir => {}
        StorageProvider::S3(s3) => {
            non_empty(&mut block, "bucket", &s3.bucket);
            non_empty(&mut block, "region", &s3.region);
            non_empty(&mut block, "regionEndpoint", &s3.region_endpoint);
            if s3.virtual_hosted_style {
                block.insert("virtualHostedStyle".into(), json!(true));
            }
            if s3.encrypt {
                block.insert("encrypt".into(), json!(true));
                non_empty(&mut block, "keyID", &s3.key_id);
            }
            if !s3.trusted_ca.is_empty() {
                block.insert("trustedCA".into(), json!({"name": s3.trusted_ca}));
            }
            if let Some(size) = s3.chunk_size_mib {
                block.insert("chunkSizeMiB".into(), json!(size));
            }
        }
        StorageProvider::Gcs(gcs) => {
            non_empty(&mut block, "bucket", &gcs.bucket);
            non_empty(&mut block, "region", &gcs.region);
            non_empty(&mut block, "projectID", &gcs.project_id);
            non_empty(&mut block, "keyID", &gcs.key_id);
        }
        StorageProvider::Azure(azure) => {
            non_empty(&mut block, "accountName", &azure.account_name);
            non_empty(&mut block, "container", &azure.container);
            non_empty(&mut block, "cloudName", &azure.cloud_name);
        }
        StorageProvider::Swift(swift) => {
            non_empty(&mut block, "authURL", &swift.auth_url);
            non_empty(&mut block, "authVersion", &swift.auth_version);
            non_empty(&mut block, "container", &swift.container);
            non_empty(&mut block, "domain", &swift.domain);
            non_empty(&mut block, "domainID", &swift.domain_id);
            non_empty(&mut block, "tenant", &swift.tenant);
            non_empty(&mut block, "tenantID", &swift.tenant_id);
            non_empty(&mut block, "regionName", &swift.region_name);
        }
        StorageProvider::IbmCos(cos) => {
            non_empty(&mut block, "bucket", &cos.bucket);
            non_empty(&mut block, "location", &cos.location);
            non_empty(&mut block, "resourceGroupName", &cos.resource_group_name);
            non_empty(&mut block, "resourceKeyCRN", &cos.resource_key_crn);
            non_empty(&mut block, "serviceInstanceCRN", &cos.service_instance_crn);
        }
    }
    Value::Object(block)
}

/// The credentials secret's keys for the provider (REFERENCE §2), if given.
fn credentials(provider: &StorageProvider) -> Option<BTreeMap<String, Vec<u8>>> {
    let pairs: Vec<(&str, &str)> = match provider {
        StorageProvider::S3(s3) => {
            let c = s3.credentials.as_ref()?;
            vec![("REGISTRY_STORAGE_S3_ACCESSKEY", &c.access_key), ("REGISTRY_STORAGE_S3_SECRETKEY", &c.secret_key)]
        }
        StorageProvider::Gcs(gcs) => vec![("REGISTRY_STORAGE_GCS_KEYFILE", gcs.keyfile.as_deref()?)],
        StorageProvider::Azure(azure) => vec![("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", azure.account_key.as_deref()?)],
        StorageProvider::Swift(swift) => vec![
            ("REGISTRY_STORAGE_SWIFT_USERNAME", swift.username.as_deref()?),
            ("REGISTRY_STORAGE_SWIFT_PASSWORD", swift.password.as_deref()?),
        ],
        StorageProvider::IbmCos(cos) => vec![("REGISTRY_STORAGE_IBMCOS_IAMAPIKEY", cos.iam_api_key.as_deref()?)],
        StorageProvider::Pvc(_) | StorageProvider::EmptyDir => return None,
    };
    Some(pairs.into_iter().map(|(key, value)| (key.to_owned(), value.as_bytes().to_vec())).collect())
}

pub async fn storage(ctx: &Ctx<'_>, input: &StorageInput, config: &Value) -> Result<PlanDraft, BuildError> {
    let mut draft =
        PlanDraft { summary: format!("Use {} storage for the registry", input.provider.key()), ..PlanDraft::default() };
    if let Some(data) = credentials(&input.provider) {
        let existing = ctx.get(resource::SECRET, NAMESPACE, CREDENTIALS_SECRET).await?;
        // One secret serves one provider: keys of another provider go.
        let remove: Vec<String> = existing
            .as_ref()
            .and_then(|secret| secret.get("data")?.as_object().map(|data| data.keys().cloned().collect()))
            .unwrap_or_default();
        let step = secret_step(
            NAMESPACE,
            CREDENTIALS_SECRET,
            "Opaque",
            &data,
            &remove,
            existing.as_ref(),
            "Write the storage credentials",
        );
        draft.steps.push(step);
    }
    if let StorageProvider::Pvc(pvc) = &input.provider {
        if let Some(nfs) = &pvc.nfs {
            let class = &nfs.storage_class_name;
            let volume = json!({
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": nfs.volume_name},
                "spec": {
                    "capacity": {"storage": nfs.size},
                    "accessModes": ["ReadWriteMany"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "storageClassName": class,
                    "nfs": {"server": nfs.server, "path": nfs.path},
                }
            });
            draft.steps.push(create_step(
                resource::PV,
                volume,
                format!("Create NFS PersistentVolume {}", nfs.volume_name),
            ));
            let claim = json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": pvc.claim, "namespace": NAMESPACE},
                "spec": {
                    "accessModes": ["ReadWriteMany"],
                    "resources": {"requests": {"storage": nfs.size}},
                    // Written even when empty: a class-less claim would get the default class.
                    "storageClassName": class,
                    "volumeName": nfs.volume_name,
                }
            });
            draft.steps.push(create_step(
                resource::PVC,
                claim,
                format!("Create claim {} bound to {}", pvc.claim, nfs.volume_name),
            ));
        } else if let Some(create) = &pvc.create {
            let mut spec = json!({
                "accessModes": create.access_modes,
                "resources": {"requests": {"storage": create.size}},
                "volumeMode": "Filesystem",
            });
            if let Some(class) = create.storage_class_name.as_ref().filter(|class| !class.is_empty()) {
                spec["storageClassName"] = json!(class);
            }
            let claim = json!({
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": pvc.claim, "namespace": NAMESPACE},
                "spec": spec,
            });
            draft.steps.push(create_step(resource::PVC, claim, format!("Create claim {}", pvc.claim)));
        } else if !pvc.claim.is_empty() && ctx.get(resource::PVC, NAMESPACE, &pvc.claim).await?.is_none() {
            return Err(BuildError::Invalid(vec![
                Finding::error("provider.claim", "storage.claim_not_found")
                    .with("claim", &pvc.claim)
                    .with("namespace", NAMESPACE),
            ]));
        }
    }
    let spec = &config["spec"];
    let mut storage = Map::new();
    let current = storage_providers(spec);
    for old in current.iter().filter(|old| old.as_str() != input.provider.key()) {
        storage.insert(old.clone(), Value::Null);
    }
    // The new block replaces the old one of the same provider whole.
    if current.iter().any(|old| old == input.provider.key()) {
        let mut replace = Map::new();
        if let Some(old) = spec.pointer(&format!("/storage/{}", input.provider.key())).and_then(Value::as_object) {
            for key in old.keys() {
                replace.insert(key.clone(), Value::Null);
            }
        }
        if let Value::Object(block) = provider_block(&input.provider) {
            replace.extend(block);
        }
        storage.insert(input.provider.key().into(), Value::Object(replace));
    } else {
        storage.insert(input.provider.key().into(), provider_block(&input.provider));
    }
    let mut patch = json!({"spec": {"storage": storage}});
    if let Some(replicas) = input.replicas {
        patch["spec"]["replicas"] = json!(replicas);
    }
    if let Some(strategy) = &input.rollout_strategy {
        patch["spec"]["rolloutStrategy"] = json!(strategy);
    }
    if let Some(state) = &input.management_state {
        patch["spec"]["managementState"] = json!(state);
    }
    let index = draft.steps.len();
    draft.steps.push(config_patch(patch, format!("Point the registry at {} storage", input.provider.key())));
    if current.iter().any(|old| old != input.provider.key()) {
        draft.dangers.push(danger(
            "storage-switch",
            vec![index],
            format!(
                "The registry switches from {} to {} storage. Images are not moved: those in the old storage are no \
                 longer served.",
                current.join(", "),
                input.provider.key()
            ),
        ));
    }
    draft.gitops.extend(gitops_tracking(config).map(|tracking| format!("configs/cluster: {tracking}")));
    Ok(draft)
}

pub async fn routes(ctx: &Ctx<'_>, input: &RoutesInput, config: &Value) -> Result<PlanDraft, BuildError> {
    let mut draft = PlanDraft { summary: "Change the registry's routes".into(), ..PlanDraft::default() };
    let mut spec = Map::new();
    if let Some(default_route) = input.default_route {
        spec.insert("defaultRoute".into(), json!(default_route));
    }
    let domain = apps_domain(ctx).await?;
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    if let Some(routes) = &input.routes {
        let mut entries = Vec::new();
        for (index, route) in routes.iter().enumerate() {
            let field = format!("routes[{index}]");
            let host = if route.hostname.is_empty() {
                format!("{}-{NAMESPACE}.{domain}", route.name)
            } else {
                route.hostname.clone()
            };
            let mut entry = json!({"name": route.name});
            if !route.hostname.is_empty() {
                entry["hostname"] = json!(route.hostname);
            }
            let secret_name = if route.secret_name.is_empty() && route.tls.is_some() {
                format!("{}-tls", route.name)
            } else {
                route.secret_name.clone()
            };
            match &route.tls {
                None => {
                    if !secret_name.is_empty() {
                        entry["secretName"] = json!(secret_name);
                    }
                }
                Some(tls) => {
                    let (reference, note) =
                        route_tls(ctx, &mut draft, &mut findings, &field, route, tls, &host, &secret_name).await?;
                    if reference {
                        entry["secretName"] = json!(secret_name);
                    }
                    notes.extend(note);
                }
            }
            entries.push(entry);
        }
        spec.insert("routes".into(), Value::Array(entries));
    }
    if findings.iter().any(Finding::is_error) {
        return Err(BuildError::Invalid(findings));
    }
    draft.warnings.extend(findings);
    let index = draft.steps.len();
    draft.steps.push(config_patch(json!({"spec": spec}), "Set the registry's routes"));
    if draft.steps.iter().any(|step| step.target.kind == "Secret" && step.summary.contains("private key")) {
        draft.dangers.push(danger(
            "route-key-copied",
            vec![index],
            "The operator copies the TLS private key into the Route object, where anyone who can read routes in \
             openshift-image-registry can see it.",
        ));
    }
    if !notes.is_empty() {
        draft.notes = Some(json!({ "certificateSigningRequests": notes }));
    }
    draft.gitops.extend(gitops_tracking(config).map(|tracking| format!("configs/cluster: {tracking}")));
    Ok(draft)
}

/// Adds the TLS secret step of one route; says whether the route should
/// reference the secret now, and returns a CSR to have signed, if any.
#[allow(clippy::too_many_arguments)]
async fn route_tls(
    ctx: &Ctx<'_>,
    draft: &mut PlanDraft,
    findings: &mut Vec<Finding>,
    field: &str,
    route: &RouteInput,
    tls: &RouteTls,
    host: &str,
    secret_name: &str,
) -> Result<(bool, Option<Value>), BuildError> {
    let existing = ctx.get(resource::SECRET, NAMESPACE, secret_name).await?;
    let tls_field = format!("{field}.tls");
    let mut data = BTreeMap::new();
    match tls {
        RouteTls::Upload { certificate, key, ca_certificate } => {
            // An empty key: the certificate for a key generated earlier, kept in the secret.
            let stored_key = existing
                .as_ref()
                .and_then(|secret| secret.pointer("/data/tls.key")?.as_str())
                .and_then(|encoded| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok());
            let key_pem = if key.is_empty() { stored_key.unwrap_or_default() } else { key.clone() };
            if key_pem.is_empty() {
                findings.push(Finding::error(format!("{tls_field}.key"), "tls.key_invalid"));
                return Ok((false, None));
            }
            let ca = (!ca_certificate.is_empty()).then_some(ca_certificate.as_str());
            let check = pki::check_tls(&tls_field, certificate, &key_pem, ca, Some(host), ctx.now);
            findings.extend(check.findings);
            data.insert("tls.crt".to_owned(), certificate.as_bytes().to_vec());
            if !key.is_empty() {
                data.insert("tls.key".to_owned(), key.as_bytes().to_vec());
            }
            if let Some(ca) = ca {
                data.insert("tls.cacrt".to_owned(), ca.as_bytes().to_vec());
            }
            let kind = if existing.is_some() { "Opaque" } else { "kubernetes.io/tls" };
            let step = secret_step(
                NAMESPACE,
                secret_name,
                kind,
                &data,
                &[],
                existing.as_ref(),
                format!("Write the certificate and private key of route {}", route.name),
            );
            draft.steps.push(step);
            Ok((true, None))
        }
        RouteTls::Generate { ca_certificate, ca_key, days } => {
            if ca_certificate.is_empty() {
                let (key, csr) =
                    pki::generate_key_and_csr(host).map_err(|error| BuildError::State(error.to_string()))?;
                data.insert("tls.key".to_owned(), key.expose().as_bytes().to_vec());
                data.insert("tls.csr".to_owned(), csr.as_bytes().to_vec());
                let step = secret_step(
                    NAMESPACE,
                    secret_name,
                    "Opaque",
                    &data,
                    &[],
                    existing.as_ref(),
                    format!("Store a new private key and CSR for route {}", route.name),
                );
                draft.steps.push(step);
                Ok((false, Some(json!({"route": route.name, "host": host, "secret": secret_name, "csr": csr}))))
            } else {
                let (certificate, key) = pki::issue_with_ca(host, ca_certificate, ca_key, days.unwrap_or(365), ctx.now)
                    .map_err(|error| {
                        BuildError::Invalid(vec![
                            Finding::error(format!("{tls_field}.caKey"), "tls.ca_invalid").with("detail", error),
                        ])
                    })?;
                data.insert("tls.crt".to_owned(), certificate.as_bytes().to_vec());
                data.insert("tls.key".to_owned(), key.expose().as_bytes().to_vec());
                data.insert("tls.cacrt".to_owned(), ca_certificate.as_bytes().to_vec());
                let step = secret_step(
                    NAMESPACE,
                    secret_name,
                    "kubernetes.io/tls",
                    &data,
                    &[],
                    existing.as_ref(),
                    format!("Write a new certificate and private key of route {}", route.name),
                );
                draft.steps.push(step);
                Ok((true, None))
            }
        }
    }
}

pub async fn default_storage_class(
    ctx: &Ctx<'_>,
    input: &model::registry::DefaultStorageClassInput,
) -> Result<PlanDraft, BuildError> {
    const ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
    let classes = ctx.list(resource::STORAGE_CLASS, "").await?;
    if !classes.iter().any(|class| class.pointer("/metadata/name").and_then(Value::as_str) == Some(&input.name)) {
        return Err(BuildError::Invalid(vec![
            Finding::error("name", "storage_class.not_found").with("name", &input.name),
        ]));
    }
    let mut draft =
        PlanDraft { summary: format!("Make {} the default storage class", input.name), ..PlanDraft::default() };
    for class in &classes {
        let name = class.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let is_default =
            class.pointer(&format!("/metadata/annotations/{}", ANNOTATION.replace('/', "~1"))).and_then(Value::as_str)
                == Some("true");
        if is_default && name != input.name {
            draft.steps.push(patch_step(
                resource::STORAGE_CLASS,
                "",
                name,
                json!({"metadata": {"annotations": {ANNOTATION: "false"}}}),
                format!("Clear the default mark of {name}"),
            ));
        }
    }
    draft.steps.push(patch_step(
        resource::STORAGE_CLASS,
        "",
        &input.name,
        json!({"metadata": {"annotations": {ANNOTATION: "true"}}}),
        format!("Mark {} as the default", input.name),
    ));
    let steps = (0..draft.steps.len()).collect();
    draft.dangers.push(danger(
        "cluster-wide-default-class",
        steps,
        "Every claim created later without a storage class, in every namespace, gets this class.",
    ));
    Ok(draft)
}
