//! Simulation, dry-run, conflict checks and apply of a plan's steps.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use model::plan::{Action, Danger, DiffEntry, DryRun, ObjectRef, Step, StepResult, StepStatus};
use model::registry::Finding;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::json::{comparable, diff, merge_patch};
use crate::cluster::resource::{self, Resource, resource_for};
use crate::cluster::{ClusterError, UserClient, WriteOptions};
use crate::registry::redact::redact;

/// How a step writes its object.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "op")]
pub enum Op {
    Create {
        body: Value,
        /// A pull secret whose password is a service account's token, read
        /// at apply time from the token secret the token controller fills.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_token: Option<FromToken>,
    },
    Patch {
        patch: Value,
        guard: Guard,
    },
    Delete,
    Edit {
        edit: Edit,
    },
}

impl Op {
    pub fn create(body: Value) -> Self {
        Op::Create { body, from_token: None }
    }
}

/// The docker config entry a pull secret gets from a service account token.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FromToken {
    /// The `kubernetes.io/service-account-token` secret, same namespace.
    pub secret: String,
    pub registry: String,
    pub username: String,
    #[serde(default)]
    pub email: String,
}

/// How long an apply waits for the token controller to fill a token secret.
const TOKEN_WAIT: Duration = Duration::from_secs(15);

/// `body` with its `.dockerconfigjson` for `registry`, the password `token`.
pub fn with_docker_config(body: &Value, from: &FromToken, token: &str) -> Value {
    let mut entry = json!({
        "username": from.username,
        "password": token,
        "auth": STANDARD.encode(format!("{}:{token}", from.username)),
    });
    if !from.email.is_empty() {
        entry["email"] = json!(from.email);
    }
    let config = json!({"auths": {&from.registry: entry}});
    let mut body = body.clone();
    body["data"] = json!({".dockerconfigjson": STANDARD.encode(config.to_string())});
    body
}

/// Waits until the token controller has written the token, and returns it.
async fn service_account_token(client: &UserClient, namespace: &str, secret: &str) -> Result<String, ClusterError> {
    let path = resource::SECRET.path(namespace, secret);
    let deadline = tokio::time::Instant::now() + TOKEN_WAIT;
    loop {
        let object = client.get(&path).await?;
        if let Some(token) = object
            .pointer("/data/token")
            .and_then(Value::as_str)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|token| !token.is_empty())
        {
            return Ok(token);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ClusterError::Api {
                status: 504,
                reason: "Timeout".into(),
                message: format!(
                    "the token controller did not fill secret {namespace}/{secret} within {} s",
                    TOKEN_WAIT.as_secs()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What must not have moved since the plan was made for a step to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Guard {
    /// The whole `spec`, except what the operator writes back itself
    /// (`httpSecret`, `observedConfig`, `storage.managementState`, generated names).
    Spec,
    /// Only the fields the patch writes.
    Touched,
}

/// A read-modify-write, recomputed from the object as it is at apply time.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "edit")]
pub enum Edit {
    /// Append `{name}` to a service account's `imagePullSecrets` (as `oc secrets link --for=pull`).
    LinkPullSecret { secret: String },
    /// Remove it again (the revert of a link).
    UnlinkPullSecret { secret: String },
    /// Set (or with `None` remove) one registry's entry in a
    /// `kubernetes.io/dockerconfigjson` secret, keeping the others.
    DockerAuth { registry: String, entry: Option<Value> },
}

/// One step as planned, with the object as it was when planned.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedStep {
    pub target: ObjectRef,
    pub op: Op,
    pub summary: String,
    pub oc: String,
    #[serde(default)]
    pub irreversible: bool,
    /// Filled by [`simulate`]: the object before this step (after the earlier ones).
    #[serde(default)]
    pub before: Option<Value>,
    /// Filled by [`simulate`]: the object after this step.
    #[serde(default)]
    pub after: Option<Value>,
}

impl PlannedStep {
    pub fn new(target: ObjectRef, op: Op, summary: impl Into<String>, oc: impl Into<String>) -> Self {
        Self { target, op, summary: summary.into(), oc: oc.into(), irreversible: false, before: None, after: None }
    }

    pub fn irreversible(mut self) -> Self {
        self.irreversible = true;
        self
    }

    pub fn action(&self) -> Action {
        match self.op {
            Op::Create { .. } => Action::Create,
            Op::Patch { .. } => Action::Patch,
            Op::Delete => Action::Delete,
            Op::Edit { .. } => Action::Replace,
        }
    }

    fn resource(&self) -> Result<Resource, ClusterError> {
        resource_for(&self.target.api_version, &self.target.kind)
            .ok_or_else(|| ClusterError::Decode(format!("unknown kind {}", self.target.kind)))
    }
}

/// A plan before it is stored: what the builders produce.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDraft {
    pub kind: String,
    pub summary: String,
    pub steps: Vec<PlannedStep>,
    pub warnings: Vec<Finding>,
    pub dangers: Vec<Danger>,
    pub notes: Option<Value>,
    /// Objects that carry GitOps tracking labels or annotations.
    pub gitops: Vec<String>,
}

/// Applies `op` to `current` in memory: what the object will be after the step.
pub fn after_op(op: &Op, current: Option<&Value>) -> Result<Option<Value>, String> {
    match op {
        Op::Create { body, from_token: Some(from) } => {
            Ok(Some(with_docker_config(body, from, &format!("<the token in secret {}>", from.secret))))
        }
        Op::Create { body, .. } => Ok(Some(body.clone())),
        Op::Patch { patch, .. } => {
            let mut object = current.cloned().ok_or("the object to patch does not exist")?;
            let mut patch = patch.clone();
            if let Some(metadata) = patch.get_mut("metadata").and_then(Value::as_object_mut) {
                metadata.remove("resourceVersion");
            }
            merge_patch(&mut object, &patch);
            Ok(Some(object))
        }
        Op::Delete => Ok(None),
        Op::Edit { edit } => {
            let object = current.ok_or("the object to edit does not exist")?;
            edited(edit, object).map(Some)
        }
    }
}

/// The object after a read-modify-write edit.
pub fn edited(edit: &Edit, object: &Value) -> Result<Value, String> {
    let mut object = object.clone();
    match edit {
        Edit::LinkPullSecret { secret } | Edit::UnlinkPullSecret { secret } => {
            let mut list: Vec<Value> =
                object.get("imagePullSecrets").and_then(Value::as_array).cloned().unwrap_or_default();
            let present = list.iter().any(|item| item.get("name").and_then(Value::as_str) == Some(secret));
            match edit {
                Edit::LinkPullSecret { .. } if !present => list.push(json!({ "name": secret })),
                Edit::UnlinkPullSecret { .. } => {
                    list.retain(|item| item.get("name").and_then(Value::as_str) != Some(secret))
                }
                _ => {}
            }
            object["imagePullSecrets"] = Value::Array(list);
        }
        Edit::DockerAuth { registry, entry } => {
            let encoded = object.pointer("/data/.dockerconfigjson").and_then(Value::as_str).unwrap_or_default();
            let mut config: Value = if encoded.is_empty() {
                json!({ "auths": {} })
            } else {
                let bytes = STANDARD.decode(encoded).map_err(|_| "the pull secret is not valid base64")?;
                serde_json::from_slice(&bytes).map_err(|_| "the pull secret is not a docker config (JSON)")?
            };
            if !config.get("auths").is_some_and(Value::is_object) {
                config["auths"] = json!({});
            }
            if let Some(auths) = config.get_mut("auths").and_then(Value::as_object_mut) {
                match entry {
                    Some(entry) => {
                        auths.insert(registry.clone(), entry.clone());
                    }
                    None => {
                        auths.remove(registry);
                    }
                }
            }
            let text = serde_json::to_string(&config).map_err(|error| error.to_string())?;
            object["data"][".dockerconfigjson"] = Value::String(STANDARD.encode(text));
        }
    }
    Ok(object)
}

/// Reads the objects the steps touch and fills each step's `before` and
/// `after`, in order, so later steps see earlier ones.
/// `known` holds objects the builder has just read, by REST path: they are
/// not read again.
pub async fn simulate(
    client: &UserClient,
    draft: &mut PlanDraft,
    known: &BTreeMap<String, Option<Value>>,
) -> Result<(), SimulateError> {
    let mut state: BTreeMap<ObjectRef, Option<Value>> = BTreeMap::new();
    for (index, step) in draft.steps.iter_mut().enumerate() {
        if !state.contains_key(&step.target) {
            let resource = step.resource()?;
            let path = resource.path(&step.target.namespace, &step.target.name);
            let current = match known.get(&path) {
                Some(object) => object.clone(),
                None => client.get_opt(&path).await?,
            };
            state.insert(step.target.clone(), current);
        }
        let current = state.get(&step.target).cloned().flatten();
        if matches!(step.op, Op::Delete) && current.is_none() {
            return Err(SimulateError::Step { index, message: format!("{} does not exist", step.target.display()) });
        }
        if matches!(step.op, Op::Create { .. }) && current.is_some() {
            return Err(SimulateError::Step { index, message: format!("{} already exists", step.target.display()) });
        }
        let after = after_op(&step.op, current.as_ref()).map_err(|message| SimulateError::Step {
            index,
            message: format!("{}: {message}", step.target.display()),
        })?;
        step.before = current;
        step.after = after.clone();
        state.insert(step.target.clone(), after);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("step {index}: {message}")]
    Step { index: usize, message: String },
}

/// The steps as shown: diffs and results with secrets redacted.
pub fn step_views(draft: &PlanDraft) -> Vec<Step> {
    draft
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let before = step.before.as_ref().map(redact);
            let after = step.after.as_ref().map(redact);
            Step {
                index,
                action: step.action(),
                target: step.target.clone(),
                summary: step.summary.clone(),
                diff: diff(before.as_ref(), after.as_ref()),
                oc: step.oc.clone(),
                irreversible: step.irreversible,
                after,
            }
        })
        .collect()
}

/// `dryRun=All` for every step: schema and admission checks only.
/// Each step is checked on its own (a dry run stores nothing), so all at once.
pub async fn dry_run(client: &UserClient, draft: &PlanDraft) -> Vec<DryRun> {
    let checks = draft.steps.iter().enumerate().map(|(index, step)| async move {
        let created_earlier = draft.steps[..index]
            .iter()
            .position(|earlier| earlier.target == step.target && matches!(earlier.op, Op::Create { .. }));
        match created_earlier {
            Some(earlier) if !matches!(step.op, Op::Create { .. }) => DryRun {
                step: index,
                ok: true,
                status: None,
                message: Some(format!("not checked on its own: step {earlier} creates the object")),
            },
            _ => match write(client, step, None, WriteOptions { dry_run: true }).await {
                Ok(_) => DryRun { step: index, ok: true, status: None, message: None },
                Err(error) => {
                    DryRun { step: index, ok: false, status: error.status(), message: Some(api_message(&error)) }
                }
            },
        }
    });
    futures_util::future::join_all(checks).await
}

fn api_message(error: &ClusterError) -> String {
    match error {
        ClusterError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// One write of a step; `fresh` is the object as just read (for patches
/// with `resourceVersion` and for edits).
async fn write(
    client: &UserClient,
    step: &PlannedStep,
    fresh: Option<&Value>,
    options: WriteOptions,
) -> Result<Value, ClusterError> {
    let resource = step.resource()?;
    let path = resource.path(&step.target.namespace, &step.target.name);
    match &step.op {
        Op::Create { body, from_token: Some(from) } => {
            let token = if options.dry_run {
                "dry-run".to_owned()
            } else {
                service_account_token(client, &step.target.namespace, &from.secret).await?
            };
            let body = with_docker_config(body, from, &token);
            client.create(&resource.collection(&step.target.namespace), &body, options).await
        }
        Op::Create { body, .. } => client.create(&resource.collection(&step.target.namespace), body, options).await,
        Op::Patch { patch, .. } => {
            let mut patch = patch.clone();
            if let Some(version) = fresh.and_then(|object| object.pointer("/metadata/resourceVersion")).cloned() {
                patch["metadata"]["resourceVersion"] = version;
            }
            client.merge_patch(&path, &patch, options).await
        }
        Op::Delete => client.delete(&path, options).await,
        Op::Edit { edit } => {
            let current = match fresh {
                Some(object) => object.clone(),
                None => step.before.clone().ok_or_else(|| ClusterError::Decode("nothing to edit".into()))?,
            };
            let body = edited(edit, &current).map_err(ClusterError::Decode)?;
            client.replace(&path, &body, options).await
        }
    }
}

/// The fields of `object` a guard compares, with the operator's own
/// write-back (REFERENCE §1.5) taken as it is in `base`.
fn guarded(guard: Guard, op: &Op, base: &Value, object: &Value) -> Value {
    match guard {
        Guard::Spec => {
            let mut spec = object.get("spec").cloned().unwrap_or(Value::Null);
            let base_spec = base.get("spec").cloned().unwrap_or(Value::Null);
            if let Some(map) = spec.as_object_mut() {
                map.remove("httpSecret");
                map.remove("observedConfig");
                if let Some(storage) = map.get_mut("storage").and_then(Value::as_object_mut) {
                    storage.remove("managementState");
                    // Generated names (`pvc.claim`, a bucket) fill fields that were empty.
                    for (provider, fields) in storage.iter_mut() {
                        if let Some(fields) = fields.as_object_mut() {
                            for (field, value) in fields.iter_mut() {
                                let before = base_spec.pointer(&format!("/storage/{provider}/{field}"));
                                if before.is_none_or(|before| before.as_str() == Some("")) && value.is_string() {
                                    *value = before.cloned().unwrap_or(Value::String(String::new()));
                                }
                            }
                        }
                    }
                }
            }
            spec
        }
        Guard::Touched => {
            let Op::Patch { patch, .. } = op else { return comparable(object) };
            touched(patch, object)
        }
    }
}

/// The parts of `object` at the paths `patch` writes.
fn touched(patch: &Value, object: &Value) -> Value {
    match patch {
        Value::Object(patch) => Value::Object(
            patch
                .iter()
                .filter(|(key, _)| key.as_str() != "resourceVersion")
                .map(|(key, value)| (key.clone(), touched(value, object.get(key).unwrap_or(&Value::Null))))
                .collect(),
        ),
        _ => object.clone(),
    }
}

/// Objects as read by the conflict check, by target: the first write on
/// each uses them instead of reading again.
pub type Fresh = BTreeMap<ObjectRef, Option<Value>>;

/// A step whose object moved since the plan was made.
#[derive(Debug)]
pub struct Conflict {
    pub step: usize,
    pub target: ObjectRef,
    pub diff: Vec<DiffEntry>,
}

/// Compares each step's base with a fresh read. Steps that follow a create
/// or edit of the same object in this plan are checked by that step.
pub async fn check_conflicts(client: &UserClient, draft: &PlanDraft) -> Result<(Vec<Conflict>, Fresh), ClusterError> {
    let mut conflicts = Vec::new();
    let mut reads = Fresh::new();
    let mut seen = Vec::new();
    for (index, step) in draft.steps.iter().enumerate() {
        if seen.contains(&step.target) {
            continue;
        }
        seen.push(step.target.clone());
        let resource = step.resource()?;
        let fresh = client.get_opt(&resource.path(&step.target.namespace, &step.target.name)).await?;
        reads.insert(step.target.clone(), fresh.clone());
        let moved = match (&step.op, &step.before, &fresh) {
            (Op::Create { .. }, None, None) => None,
            (Op::Create { .. }, _, Some(fresh)) => Some(diff(None, Some(&redact(fresh)))),
            (Op::Patch { guard, .. }, Some(base), Some(fresh)) => {
                let (base_view, fresh_view) =
                    (guarded(*guard, &step.op, base, base), guarded(*guard, &step.op, base, fresh));
                (base_view != fresh_view).then(|| diff(Some(&redact(base)), Some(&redact(fresh))))
            }
            (Op::Delete, Some(base), Some(fresh)) => {
                (comparable(base) != comparable(fresh)).then(|| diff(Some(&redact(base)), Some(&redact(fresh))))
            }
            // Edits are recomputed from the fresh object; only its absence matters.
            (Op::Edit { .. }, _, Some(_)) => None,
            (_, Some(base), None) => Some(diff(Some(&redact(base)), None)),
            (_, None, _) => None,
        };
        if let Some(diff) = moved {
            conflicts.push(Conflict { step: index, target: step.target.clone(), diff });
        }
    }
    Ok((conflicts, reads))
}

/// Writes the steps in order; stops at the first failure. A patch or edit
/// that meets a newer `resourceVersion` (the operator updating status) is
/// re-read and retried; a guarded field that moved in between fails the step.
pub async fn apply(client: &UserClient, draft: &PlanDraft, mut fresh: Fresh) -> Vec<StepResult> {
    let mut results: Vec<StepResult> = Vec::new();
    let mut failed = false;
    for (index, step) in draft.steps.iter().enumerate() {
        if failed {
            results.push(StepResult {
                index,
                status: StepStatus::Skipped,
                http_status: None,
                message: None,
                resource_version: None,
            });
            continue;
        }
        let known = fresh.remove(&step.target).flatten();
        let result = apply_step(client, draft, index, step, known).await;
        let entry = match result {
            Ok(object) => StepResult {
                index,
                status: StepStatus::Applied,
                http_status: None,
                message: None,
                resource_version: object
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
            Err(error) => {
                failed = true;
                StepResult {
                    index,
                    status: StepStatus::Failed,
                    http_status: error.status(),
                    message: Some(api_message(&error)),
                    resource_version: None,
                }
            }
        };
        results.push(entry);
    }
    results
}

const WRITE_ATTEMPTS: usize = 4;

async fn apply_step(
    client: &UserClient,
    draft: &PlanDraft,
    index: usize,
    step: &PlannedStep,
    mut known: Option<Value>,
) -> Result<Value, ClusterError> {
    let resource = step.resource()?;
    let path = resource.path(&step.target.namespace, &step.target.name);
    // The first step on an object carries its guard; later ones build on it.
    let first_on_target = !draft.steps[..index].iter().any(|earlier| earlier.target == step.target);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let fresh = match (&step.op, known.take()) {
            (Op::Create { .. } | Op::Delete, _) => None,
            (_, Some(object)) => Some(object),
            _ => Some(client.get(&path).await?),
        };
        if let (Op::Patch { guard, .. }, Some(base), Some(fresh), true) =
            (&step.op, &step.before, &fresh, first_on_target)
            && guarded(*guard, &step.op, base, base) != guarded(*guard, &step.op, base, fresh)
        {
            return Err(ClusterError::Api {
                status: 409,
                reason: "Conflict".into(),
                message: format!(
                    "{} changed while this plan was being applied; preview it again",
                    step.target.display()
                ),
            });
        }
        match write(client, step, fresh.as_ref(), WriteOptions::default()).await {
            Err(ClusterError::Api { status: 409, .. }) if attempt < WRITE_ATTEMPTS && fresh.is_some() => {
                tokio::time::sleep(Duration::from_millis(50 * attempt as u64)).await;
            }
            other => return other,
        }
    }
}

/// The steps that undo the applied ones, newest first, and the indexes of
/// applied steps that cannot be undone.
pub fn revert_steps(draft: &PlanDraft, results: &[StepResult]) -> (Vec<PlannedStep>, Vec<usize>) {
    let mut steps = Vec::new();
    let mut irreversible = Vec::new();
    for result in results.iter().rev().filter(|result| result.status == StepStatus::Applied) {
        let Some(step) = draft.steps.get(result.index) else { continue };
        if step.irreversible {
            irreversible.push(result.index);
            continue;
        }
        let undo = match (&step.op, &step.before) {
            (Op::Create { .. }, _) => Some(Op::Delete),
            (Op::Patch { patch, .. }, Some(before)) => {
                Some(Op::Patch { patch: revert_patch(patch, before), guard: Guard::Touched })
            }
            (Op::Edit { edit: Edit::LinkPullSecret { secret } }, _) => {
                Some(Op::Edit { edit: Edit::UnlinkPullSecret { secret: secret.clone() } })
            }
            (Op::Edit { edit: Edit::DockerAuth { registry, .. } }, Some(before)) => {
                let entry = docker_entry(before, registry);
                Some(Op::Edit { edit: Edit::DockerAuth { registry: registry.clone(), entry } })
            }
            _ => None,
        };
        match undo {
            Some(op) => steps.push(PlannedStep::new(
                step.target.clone(),
                op,
                format!("Undo: {}", step.summary),
                format!("# undo step {}: {}", result.index, step.summary),
            )),
            None => irreversible.push(result.index),
        }
    }
    (steps, irreversible)
}

/// A merge patch that puts back what `patch` changed.
pub fn revert_patch(patch: &Value, before: &Value) -> Value {
    match patch {
        Value::Object(patch) => Value::Object(
            patch
                .iter()
                .filter(|(key, _)| key.as_str() != "resourceVersion")
                .map(|(key, value)| {
                    let old = before.get(key);
                    let undo = match (value, old) {
                        (Value::Object(_), Some(old @ Value::Object(_))) => revert_patch(value, old),
                        (_, Some(old)) => old.clone(),
                        (_, None) => Value::Null,
                    };
                    (key.clone(), undo)
                })
                .collect(),
        ),
        _ => before.clone(),
    }
}

/// One registry's entry of a dockerconfigjson secret.
pub fn docker_entry(secret: &Value, registry: &str) -> Option<Value> {
    let encoded = secret.pointer("/data/.dockerconfigjson")?.as_str()?;
    let config: Value = serde_json::from_slice(&STANDARD.decode(encoded).ok()?).ok()?;
    config.get("auths")?.get(registry).cloned()
}

/// Reads `configs/cluster`, then watches it until the operator has observed
/// the latest generation (or `wait` passes): the settled spec after an apply.
/// A watch answers as soon as the operator writes its status, without polling.
pub async fn settled_config(client: &UserClient, wait: Duration) -> Option<Value> {
    let object = client.get(&resource::CONFIG.path("", "cluster")).await.ok()?;
    if observed_latest(&object) {
        return redact(&object).get("spec").cloned();
    }
    let version = object.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default().to_owned();
    let watched = tokio::time::timeout(wait, watch_until_observed(client, &version)).await.ok().flatten();
    redact(watched.as_ref().unwrap_or(&object)).get("spec").cloned()
}

fn observed_latest(object: &Value) -> bool {
    let generation = object.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0);
    let observed = object.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(-1);
    observed >= generation
}

async fn watch_until_observed(client: &UserClient, version: &str) -> Option<Value> {
    use futures_util::TryStreamExt as _;
    use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, WatchEvent, WatchParams};
    let (group, api_version) = resource::CONFIG.api_version.split_once('/')?;
    let gvk = GroupVersionKind::gvk(group, api_version, resource::CONFIG.kind);
    let api: Api<DynamicObject> =
        Api::all_with(client.kube().clone(), &ApiResource::from_gvk_with_plural(&gvk, resource::CONFIG.plural));
    crate::cluster::count_request(&http::Method::GET);
    let params = WatchParams::default().fields("metadata.name=cluster").timeout(30);
    let mut events = std::pin::pin!(api.watch(&params, version).await.ok()?);
    while let Ok(Some(event)) = events.try_next().await {
        if let WatchEvent::Modified(object) | WatchEvent::Added(object) = event {
            let object = serde_json::to_value(object).ok()?;
            if observed_latest(&object) {
                return Some(object);
            }
        }
    }
    None
}

/// GitOps tracking an object carries, e.g. Argo CD's.
pub fn gitops_tracking(object: &Value) -> Option<String> {
    const KEYS: [&str; 4] = [
        "argocd.argoproj.io/tracking-id",
        "app.kubernetes.io/instance",
        "kustomize.toolkit.fluxcd.io/name",
        "helm.toolkit.fluxcd.io/name",
    ];
    let metadata = object.get("metadata")?;
    for map in ["annotations", "labels"] {
        if let Some(values) = metadata.get(map).and_then(Value::as_object) {
            for key in KEYS {
                if let Some(value) = values.get(key).and_then(Value::as_str) {
                    return Some(format!("{key}={value}"));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_operator_write_back_is_not_a_spec_change() {
        let base = json!({"spec": {"storage": {"pvc": {"claim": ""}}, "replicas": 1}});
        let fresh = json!({"spec": {"storage": {"pvc": {"claim": "image-registry-storage"}, "managementState": "Managed"}, "httpSecret": "x", "replicas": 1}});
        let op = Op::Patch { patch: json!({}), guard: Guard::Spec };
        assert_eq!(guarded(Guard::Spec, &op, &base, &base), guarded(Guard::Spec, &op, &base, &fresh));
        let moved = json!({"spec": {"storage": {"pvc": {"claim": ""}}, "replicas": 2}});
        assert_ne!(guarded(Guard::Spec, &op, &base, &base), guarded(Guard::Spec, &op, &base, &moved));
    }

    #[test]
    fn touched_guards_compare_only_patched_fields() {
        let op = Op::Patch { patch: json!({"data": {"a..5000": "pem"}}), guard: Guard::Touched };
        let base = json!({"data": {"other": "1"}});
        let fresh = json!({"data": {"other": "2"}});
        assert_eq!(guarded(Guard::Touched, &op, &base, &base), guarded(Guard::Touched, &op, &base, &fresh));
    }

    #[test]
    fn revert_patches_restore_old_values_and_remove_new_keys() {
        let patch = json!({"spec": {"storage": {"pvc": {"claim": "x"}, "emptyDir": null}, "replicas": 1}});
        let before = json!({"spec": {"storage": {"emptyDir": {}}, "replicas": 2}});
        assert_eq!(
            revert_patch(&patch, &before),
            json!({"spec": {"storage": {"pvc": null, "emptyDir": {}}, "replicas": 2}})
        );
    }

    #[test]
    fn links_keep_other_pull_secrets_and_do_not_duplicate() {
        let sa = json!({"imagePullSecrets": [{"name": "default-dockercfg-abc"}]});
        let linked = edited(&Edit::LinkPullSecret { secret: "s".into() }, &sa).expect("edit");
        assert_eq!(linked["imagePullSecrets"], json!([{"name": "default-dockercfg-abc"}, {"name": "s"}]));
        let again = edited(&Edit::LinkPullSecret { secret: "s".into() }, &linked).expect("edit");
        assert_eq!(again, linked);
    }

    #[test]
    fn docker_auth_edits_keep_other_registries() {
        let config = json!({"auths": {"quay.io": {"auth": "a"}}});
        let secret = json!({"data": {".dockerconfigjson": STANDARD.encode(config.to_string())}});
        let entry = json!({"auth": "b"});
        let edited =
            edited(&Edit::DockerAuth { registry: "r.example.com".into(), entry: Some(entry.clone()) }, &secret)
                .expect("edit");
        assert_eq!(docker_entry(&edited, "quay.io"), Some(json!({"auth": "a"})));
        assert_eq!(docker_entry(&edited, "r.example.com"), Some(entry));
    }
}
