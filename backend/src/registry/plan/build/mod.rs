//! From a user's input to the steps of a plan. Each kind of input has its
//! builder; they read what they need from the cluster as the caller, run
//! the `model` rules (the same the browser runs) and the server-only checks
//! (certificates), and describe each write with its `oc` equivalent.

mod access;
mod config;
mod images;
mod pruner;

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use model::plan::Danger;
use model::registry::{Finding, PlanRequest, RegistryFacts, validate};
use serde_json::{Map, Value, json};

use super::engine::{Guard, Op, PlanDraft, PlannedStep};
use super::oc;
use crate::cluster::resource::{self, Resource};
use crate::cluster::{ClusterError, UserClient};

/// The registry's namespace.
pub const NAMESPACE: &str = "openshift-image-registry";
/// Where trusted CAs and the global pull secret live.
pub const CONFIG_NAMESPACE: &str = "openshift-config";
/// The administrator's credentials secret for the storage provider (REFERENCE §2).
pub const CREDENTIALS_SECRET: &str = "image-registry-private-configuration-user";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the request breaks the registry's rules")]
    Invalid(Vec<Finding>),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The cluster is not in a state this plan can start from.
    #[error("{0}")]
    State(String),
}

/// What builders share: the caller's client and the time.
pub struct Ctx<'a> {
    pub client: &'a UserClient,
    pub now: i64,
    /// Objects read so far, by REST path: each is read once per plan, and
    /// the simulation starts from them.
    read: std::sync::Mutex<BTreeMap<String, Option<Value>>>,
}

impl<'a> Ctx<'a> {
    pub fn new(client: &'a UserClient, now: i64) -> Self {
        Self { client, now, read: std::sync::Mutex::default() }
    }

    pub async fn get(&self, resource: Resource, namespace: &str, name: &str) -> Result<Option<Value>, ClusterError> {
        let path = resource.path(namespace, name);
        if let Some(object) = self.lock().get(&path) {
            return Ok(object.clone());
        }
        let object = self.client.get_opt(&path).await?;
        self.lock().insert(path, object.clone());
        Ok(object)
    }

    /// What was read while building, for the simulation.
    pub fn into_read(self) -> BTreeMap<String, Option<Value>> {
        self.read.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Option<Value>>> {
        self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub async fn list(&self, resource: Resource, namespace: &str) -> Result<Vec<Value>, ClusterError> {
        let list = self.client.get(&resource.collection(namespace)).await?;
        Ok(list.get("items").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    /// `configs/cluster`, which the operator creates at bootstrap.
    pub async fn registry_config(&self) -> Result<Value, BuildError> {
        self.get(resource::CONFIG, "", "cluster").await?.ok_or_else(|| {
            BuildError::State(
                "configs.imageregistry.operator.openshift.io/cluster does not exist yet: the image registry operator \
                 creates it when it starts; try again once it has"
                    .into(),
            )
        })
    }
}

/// Builds the plan for `request`; nothing is written.
pub async fn build(ctx: &Ctx<'_>, request: &PlanRequest) -> Result<PlanDraft, BuildError> {
    let config = match request {
        PlanRequest::Management(_) | PlanRequest::Storage(_) | PlanRequest::Routes(_) => {
            Some(ctx.registry_config().await?)
        }
        _ => None,
    };
    let mut facts = config.as_ref().map(facts_of).unwrap_or_default();
    if let PlanRequest::Storage(input) = request
        && let model::registry::StorageProvider::Pvc(pvc) = &input.provider
        && !pvc.claim.is_empty()
        && pvc.create.is_none()
        && pvc.nfs.is_none()
        && let Some(claim) = ctx.get(resource::PVC, NAMESPACE, &pvc.claim).await?
    {
        facts.claim_access_modes = Some(strings(claim.pointer("/spec/accessModes")));
    }
    let mut findings = validate(request, &facts);
    if findings.iter().any(Finding::is_error) {
        return Err(BuildError::Invalid(findings));
    }
    let mut draft = match (request, &config) {
        (PlanRequest::Management(input), Some(config)) => config::management(input, config),
        (PlanRequest::Storage(input), Some(config)) => config::storage(ctx, input, config).await?,
        (PlanRequest::Routes(input), Some(config)) => config::routes(ctx, input, config).await?,
        (PlanRequest::DefaultStorageClass(input), _) => config::default_storage_class(ctx, input).await?,
        (PlanRequest::TrustedCa(input), _) => images::trusted_ca(ctx, input).await?,
        (PlanRequest::TrustIngressCa(input), _) => images::trust_ingress_ca(ctx, input).await?,
        (PlanRequest::RegistrySources(input), _) => images::registry_sources(ctx, input).await?,
        (PlanRequest::MirrorSet(input), _) => images::mirror_set(ctx, input).await?,
        (PlanRequest::DeleteImageTag(input), _) => images::delete_image_tag(input),
        (PlanRequest::DeleteImage(input), _) => images::delete_image(input),
        (PlanRequest::GlobalPullSecret(input), _) => access::global_pull_secret(ctx, input).await?,
        (PlanRequest::RoleGrant(input), _) => access::role_grant(ctx, input).await?,
        (PlanRequest::MetricsAccess(input), _) => access::metrics_access(ctx, input).await?,
        (PlanRequest::PullSecret(input), _) => access::pull_secret(ctx, input).await?,
        (PlanRequest::Pruner(input), _) => pruner::pruner(ctx, input).await?,
        (PlanRequest::PruneNow(_), _) => pruner::prune_now(ctx).await?,
        _ => return Err(BuildError::State("the registry config is needed for this plan".into())),
    };
    draft.kind = request.kind().to_owned();
    let unsupported = unsupported_fields(ctx, &draft).await?;
    if !unsupported.is_empty() {
        return Err(BuildError::Invalid(unsupported));
    }
    findings.retain(|finding| !finding.is_error());
    findings.append(&mut draft.warnings);
    draft.warnings = findings;
    Ok(draft)
}

/// Fields the plan writes that this cluster's CRDs do not have (an older
/// OpenShift): refused before anything is written, named by their path in
/// the object.
async fn unsupported_fields(ctx: &Ctx<'_>, draft: &PlanDraft) -> Result<Vec<Finding>, ClusterError> {
    let mut findings = Vec::new();
    let mut schemas: BTreeMap<String, Option<Value>> = BTreeMap::new();
    for step in &draft.steps {
        let body = match &step.op {
            Op::Create { body, .. } => body,
            Op::Patch { patch, .. } => patch,
            _ => continue,
        };
        let Some((group, version)) = step.target.api_version.split_once('/') else { continue };
        if !group.ends_with("openshift.io") {
            continue;
        }
        let Some(resource) = crate::cluster::resource_for(&step.target.api_version, &step.target.kind) else {
            continue;
        };
        let crd = format!("{}.{group}", resource.plural);
        if !schemas.contains_key(&crd) {
            let schema = crate::cluster::schema::crd_schema(ctx.client, &crd, version).await?;
            schemas.insert(crd.clone(), schema);
        }
        if let Some(Some(schema)) = schemas.get(&crd) {
            for path in crate::cluster::schema::unknown_fields(schema, body) {
                findings.push(
                    Finding::error(path, "field.unsupported_by_cluster")
                        .with("kind", &step.target.kind)
                        .with("crd", &crd),
                );
            }
        }
    }
    Ok(findings)
}

/// The facts the model's rules need, from `configs/cluster`.
pub fn facts_of(config: &Value) -> RegistryFacts {
    let spec = config.get("spec").cloned().unwrap_or(Value::Null);
    let text = |pointer: &str| spec.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    RegistryFacts {
        management_state: text("/managementState"),
        replicas: spec.get("replicas").and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()),
        rollout_strategy: text("/rolloutStrategy"),
        storage_providers: storage_providers(&spec),
        storage_management_state: text("/storage/managementState"),
        route_names: spec
            .get("routes")
            .and_then(Value::as_array)
            .map(|routes| routes.iter().filter_map(|r| r.get("name")?.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        claim_access_modes: None,
    }
}

/// The provider keys under `spec.storage`.
pub fn storage_providers(spec: &Value) -> Vec<String> {
    spec.get("storage")
        .and_then(Value::as_object)
        .map(|storage| storage.keys().filter(|key| key.as_str() != "managementState").cloned().collect())
        .unwrap_or_default()
}

pub fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A merge patch of `configs/cluster`, guarded by its whole spec.
pub fn config_patch(patch: Value, summary: impl Into<String>) -> PlannedStep {
    let line = oc::patch(&resource::CONFIG.oc_name(), "", "cluster", &patch);
    PlannedStep::new(resource::CONFIG.object_ref("", "cluster"), Op::Patch { patch, guard: Guard::Spec }, summary, line)
}

/// A merge patch of any object, guarded by the fields it writes.
pub fn patch_step(
    resource: Resource,
    namespace: &str,
    name: &str,
    patch: Value,
    summary: impl Into<String>,
) -> PlannedStep {
    let line = oc::patch(&resource.oc_name(), namespace, name, &patch);
    PlannedStep::new(resource.object_ref(namespace, name), Op::Patch { patch, guard: Guard::Touched }, summary, line)
}

/// A create with `oc create -f -` as its equivalent (objects without secrets).
pub fn create_step(resource: Resource, body: Value, summary: impl Into<String>) -> PlannedStep {
    let namespace = body.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = body.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let line = oc::create_from_stdin(&body);
    PlannedStep::new(resource.object_ref(&namespace, &name), Op::create(body), summary, line)
}

/// Writes a secret's keys: creates the secret, or patches the keys of an
/// existing one (`remove` keys are deleted). Overwriting a value the console
/// never kept cannot be undone: such a step is irreversible.
#[allow(clippy::too_many_arguments)]
pub fn secret_step(
    namespace: &str,
    name: &str,
    secret_type: &str,
    data: &BTreeMap<String, Vec<u8>>,
    remove: &[String],
    existing: Option<&Value>,
    summary: impl Into<String>,
) -> PlannedStep {
    let target = resource::SECRET.object_ref(namespace, name);
    let encoded: Map<String, Value> =
        data.iter().map(|(key, value)| (key.clone(), Value::String(STANDARD.encode(value)))).collect();
    let files: Vec<String> = data.keys().map(|key| oc::from_file(key)).collect();
    match existing {
        None => {
            let body = json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "type": secret_type,
                "data": encoded,
            });
            let mut words = vec!["oc", "create", "secret", "generic", name, "-n", namespace];
            let type_flag = format!("--type={secret_type}");
            if secret_type != "Opaque" {
                words.push(&type_flag);
            }
            let line = format!("{} {}", oc::command(words), files.join(" "));
            PlannedStep::new(target, Op::create(body), summary, line)
        }
        Some(existing) => {
            let mut patch_data = encoded;
            for key in remove {
                if !data.contains_key(key) {
                    patch_data.insert(key.clone(), Value::Null);
                }
            }
            let overwrites =
                data.keys().any(|key| existing.pointer(&format!("/data/{}", escape_pointer(key))).is_some());
            let set_data = oc::command(["oc", "set", "data", &format!("secret/{name}"), "-n", namespace]);
            let mut line = format!("{set_data} {}", files.join(" "));
            let removed: Vec<String> =
                remove.iter().filter(|key| !data.contains_key(*key)).map(|key| oc::quote(&format!("{key}-"))).collect();
            if !removed.is_empty() {
                line.push_str(&format!("\n{set_data} {}", removed.join(" ")));
            }
            let step = PlannedStep::new(
                target,
                Op::Patch { patch: json!({ "data": patch_data }), guard: Guard::Touched },
                summary,
                line,
            );
            if overwrites || !removed.is_empty() { step.irreversible() } else { step }
        }
    }
}

/// RFC 6901 escaping of one JSON pointer segment.
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A danger the user confirms by code.
pub fn danger(code: &str, steps: Vec<usize>, message: impl Into<String>) -> Danger {
    Danger { code: code.to_owned(), steps, message: message.into() }
}

/// The apps domain of the cluster (`ingresses.config/cluster` `spec.domain`).
pub async fn apps_domain(ctx: &Ctx<'_>) -> Result<String, ClusterError> {
    Ok(ctx
        .get(resource::INGRESS_CONFIG, "", "cluster")
        .await?
        .and_then(|ingress| ingress.pointer("/spec/domain")?.as_str().map(str::to_owned))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use model::Lang;
    use model::registry::Finding;

    /// The codes of every `Finding::error(field, "code")` / `warning` in the
    /// server's sources (the model's own codes are checked in the model).
    fn codes_in_sources() -> Vec<String> {
        let mut files = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut codes = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).expect("read dir").filter_map(|e| e.ok().map(|e| e.path())));
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            for start in ["Finding::error(", "Finding::warning("] {
                for (at, _) in text.match_indices(start) {
                    let rest = &text[at + start.len()..];
                    // The second top-level argument, when it is a literal.
                    let mut depth = 0;
                    let mut args = vec![String::new()];
                    for c in rest.chars() {
                        match c {
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' if depth == 0 => break,
                            ')' | ']' | '}' => depth -= 1,
                            ',' if depth == 0 => {
                                args.push(String::new());
                                continue;
                            }
                            _ => {}
                        }
                        if let Some(last) = args.last_mut() {
                            last.push(c);
                        }
                    }
                    if let Some(code) = args.get(1).map(|a| a.trim()).filter(|a| a.starts_with('"')) {
                        let code = code.trim_matches('"');
                        // Codes are dotted names; this scanner's own text is not.
                        if code.contains('.') && code.chars().all(|c| c.is_ascii_lowercase() || "._-".contains(c)) {
                            codes.push(code.to_owned());
                        }
                    }
                }
            }
        }
        codes.sort();
        codes.dedup();
        codes
    }

    #[test]
    fn every_code_the_server_emits_is_translated() {
        let codes = codes_in_sources();
        assert!(codes.len() > 10, "the scan found too few codes: {codes:?}");
        let untranslated: Vec<&String> = codes
            .iter()
            .filter(|code| {
                let finding = Finding::error("x", code.as_str());
                Lang::ALL.iter().any(|lang| finding.message(*lang) == **code)
            })
            .collect();
        assert!(untranslated.is_empty(), "codes without a text in every language: {untranslated:?}");
    }
}
