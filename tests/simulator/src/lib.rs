//! TEST ONLY: a stand-in for the OpenShift image registry operator
//! (cluster-image-registry-operator, "CIRO"), following REFERENCE §11.
//!
//! It is not the operator. It reproduces, against a real API server, the behaviour
//! the console depends on: conditions on `configs/cluster` and
//! `clusteroperators/image-registry`, teardown on `Removed`, storage (PVC creation
//! and write-back), the `image-registry` Deployment and Service, routes,
//! `image-registry-private-configuration`, and `images.config` status hostnames.
//!
//! Layout: [`logic`] holds every decision as a pure function (unit tested); this
//! file reads the cluster, calls those functions and writes the results. A single
//! reconcile of everything runs on each watch event and every few seconds; it is
//! idempotent. Objects are written with server-side apply under the field manager
//! [`FIELD_MANAGER`], and only the fields the operator itself writes.
//!
//! The pruner (REFERENCE §3) is reconciled from `imagepruners/cluster` when it exists:
//! CronJob `image-pruner` and the pruner conditions, which join the ClusterOperator
//! with the prefix `ImagePruner`.
//!
//! Not simulated: bootstrap (creating `configs/cluster` or `imagepruners/cluster`),
//! the finalizer, cloud buckets and containers, node-ca, RBAC objects, PDB, NetworkPolicy,
//! `observedConfig`, the CA ConfigMaps.

pub mod logic;
pub mod pruner;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::logic::{ApplyError, Condition, ConfigSpec, DeploymentObs, NAMESPACE, PvcObs, StatusInput, Storage};

/// Field manager of every write (the real operator's name).
pub const FIELD_MANAGER: &str = "cluster-image-registry-operator";
/// Full resync period, on top of watch events.
pub const RESYNC: Duration = Duration::from_secs(10);
/// Available=False for longer than this → Degraded `Unavailable` (REFERENCE §6.2).
const UNAVAILABLE_AFTER: i64 = 5 * 60;

fn api_resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// `configs.imageregistry.operator.openshift.io/v1`
pub fn config_resource() -> ApiResource {
    api_resource("imageregistry.operator.openshift.io", "v1", "Config", "configs")
}
/// `imagepruners.imageregistry.operator.openshift.io/v1`
pub fn image_pruner_resource() -> ApiResource {
    api_resource("imageregistry.operator.openshift.io", "v1", "ImagePruner", "imagepruners")
}
/// `clusteroperators.config.openshift.io/v1`
pub fn cluster_operator_resource() -> ApiResource {
    api_resource("config.openshift.io", "v1", "ClusterOperator", "clusteroperators")
}
/// `ingresses.config.openshift.io/v1`
pub fn ingress_resource() -> ApiResource {
    api_resource("config.openshift.io", "v1", "Ingress", "ingresses")
}
/// `images.config.openshift.io/v1`
pub fn image_config_resource() -> ApiResource {
    api_resource("config.openshift.io", "v1", "Image", "images")
}
/// `routes.route.openshift.io/v1`
pub fn route_resource() -> ApiResource {
    api_resource("route.openshift.io", "v1", "Route", "routes")
}

/// Runs the simulator until an error or cancellation (dropping the future stops
/// the watches too).
pub async fn run(client: Client) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let mut watches = tokio::task::JoinSet::new();
    let ns = NAMESPACE;
    let cfg = watcher::Config::default;
    macro_rules! watch {
        ($api:expr, $config:expr) => {{
            let tx = tx.clone();
            let stream = watcher($api, $config).default_backoff();
            watches.spawn(async move {
                let mut stream = std::pin::pin!(stream);
                while let Some(event) = stream.next().await {
                    if let Err(e) = &event {
                        debug!("watch error: {e}");
                        continue;
                    }
                    let _ = tx.try_send(());
                }
            });
        }};
    }
    watch!(Api::<DynamicObject>::all_with(client.clone(), &config_resource()), cfg().fields("metadata.name=cluster"));
    watch!(Api::<DynamicObject>::all_with(client.clone(), &ingress_resource()), cfg().fields("metadata.name=cluster"));
    watch!(
        Api::<DynamicObject>::all_with(client.clone(), &image_pruner_resource()),
        cfg().fields("metadata.name=cluster")
    );
    watch!(Api::<CronJob>::namespaced(client.clone(), ns), cfg());
    watch!(
        Api::<Job>::namespaced(client.clone(), ns),
        cfg().labels(&format!("{}={}", pruner::JOB_LABEL.0, pruner::JOB_LABEL.1))
    );
    watch!(Api::<Deployment>::namespaced(client.clone(), ns), cfg());
    watch!(Api::<Service>::namespaced(client.clone(), ns), cfg());
    watch!(Api::<Secret>::namespaced(client.clone(), ns), cfg());
    watch!(Api::<PersistentVolumeClaim>::namespaced(client.clone(), ns), cfg());
    watch!(Api::<DynamicObject>::namespaced_with(client.clone(), ns, &route_resource()), cfg());
    drop(tx);

    let sim = Simulator::new(client);
    info!("registry operator simulator started");
    loop {
        let wait = match sim.reconcile().await {
            Ok(()) => RESYNC,
            Err(e) => {
                warn!("reconcile failed: {e:#}");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            got = rx.recv() => {
                if got.is_none() {
                    anyhow::bail!("all watches ended");
                }
                // Let a burst of events settle, then reconcile once for all of
                // them. Short, like the operator's work queue, which reconciles
                // at once: the console's apply waits for the observed generation.
                tokio::time::sleep(Duration::from_millis(20)).await;
                while rx.try_recv().is_ok() {}
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// The simulated operator: one idempotent [`Simulator::reconcile`].
#[derive(Clone)]
pub struct Simulator {
    client: Client,
}

fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn api_error_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

fn transient(e: kube::Error) -> ApplyError {
    ApplyError::transient(api_error_message(&e))
}

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

fn secret_strings(secret: &Secret) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> =
        secret.data.iter().flatten().map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned())).collect();
    for (k, v) in secret.string_data.iter().flatten() {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// 64 random bytes as 128 hex characters (REFERENCE §1.1 `httpSecret`).
fn random_http_secret() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 64];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // Fall back to the clock: only a test stand-in.
        let seed = Timestamp::now().as_nanosecond() as u64;
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed.rotate_left(i as u32 % 64) >> (i % 8)) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Conditions read from an object's `status.conditions`.
fn conditions_of(obj: &Value) -> Vec<Condition> {
    obj.pointer("/status/conditions").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

impl Simulator {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    fn config_api(&self) -> Api<DynamicObject> {
        Api::all_with(self.client.clone(), &config_resource())
    }
    fn routes_api(&self) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), NAMESPACE, &route_resource())
    }
    fn ns_api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), NAMESPACE)
    }

    /// One full reconcile: operands, `configs/cluster` status, ClusterOperator, images.config.
    pub async fn reconcile(&self) -> anyhow::Result<()> {
        let Some(config) = self.config_api().get_opt("cluster").await? else {
            debug!("configs/cluster does not exist; the simulator does not bootstrap it");
            return Ok(());
        };
        let config_json = serde_json::to_value(&config)?;
        let mut spec: ConfigSpec =
            serde_json::from_value(config.data.get("spec").cloned().unwrap_or(json!({}))).unwrap_or_default();
        let state = spec.management_state.clone();

        let mut storage_conditions = Vec::new();
        // `None` = leave status.storage / storageManaged as they are.
        let mut new_storage: Option<(Value, bool)> = None;
        let mut apply_error = None;
        let mut remove_error = None;
        match state.as_str() {
            "Managed" => match self.apply_managed(&mut spec, &mut storage_conditions).await {
                Ok(()) => {
                    let managed = spec.storage.get("managementState").and_then(Value::as_str) == Some("Managed");
                    new_storage = Some((Value::Object(spec.storage.clone()), managed));
                }
                Err(e) => apply_error = Some(e),
            },
            "Removed" => match self.remove(&spec, &config_json).await {
                Ok(()) => new_storage = Some((json!({}), false)),
                Err(e) => remove_error = Some(format!("{e:#}")),
            },
            "Unmanaged" => {}
            other => warn!("unknown custom resource state: {other}"),
        }

        let deployment = self.ns_api::<Deployment>().get_opt(logic::REGISTRY_NAME).await?;
        let deploy_obs = deployment.as_ref().map(DeploymentObs::from_deployment);
        let routes = self.owned_routes().await?;
        let route_error = logic::route_admission_error(&routes);

        let old_conditions = conditions_of(&config_json);
        let now = now();
        let old_available = old_conditions.iter().find(|c| c.type_ == "Available");
        let input = StatusInput {
            management_state: &state,
            deployment: deploy_obs.as_ref(),
            apply_error: apply_error.as_ref(),
            route_error: route_error.as_deref(),
            unavailable_too_long: false,
            remove_error: remove_error.as_deref(),
        };
        let mut computed = logic::registry_conditions(&input);
        if computed[0].status != "True"
            && old_available.is_some_and(|c| {
                c.status == computed[0].status
                    && c.last_transition_time
                        .as_deref()
                        .and_then(|t| t.parse::<Timestamp>().ok())
                        .is_some_and(|t| Timestamp::now().as_second() - t.as_second() > UNAVAILABLE_AFTER)
            })
        {
            let input = StatusInput { unavailable_too_long: true, ..input };
            computed = logic::registry_conditions(&input);
        }
        let mut updates = storage_conditions;
        updates.extend(computed);
        let conditions = logic::merge_conditions(&old_conditions, &updates, &now);

        let patch = logic::config_status_patch(
            config_json.get("status"),
            &conditions,
            config.metadata.generation.unwrap_or(0),
            deploy_obs.as_ref().map(|d| d.ready_replicas).unwrap_or(0),
            new_storage.as_ref().map(|(storage, managed)| (storage, *managed)),
        );
        if let Some(status) = patch {
            self.config_api()
                .patch_status(
                    "cluster",
                    &PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() },
                    &Patch::Merge(json!({ "status": status })),
                )
                .await?;
        }

        self.sync_image_config(&routes).await?;
        let mut all_conditions = conditions;
        all_conditions.extend(self.sync_pruner(&now).await?);
        self.sync_cluster_operator(&all_conditions, &now).await?;
        Ok(())
    }

    /// Managed: storage, write-back, private configuration, SA, Service, Deployment, routes.
    async fn apply_managed(
        &self,
        spec: &mut ConfigSpec,
        storage_conditions: &mut Vec<Condition>,
    ) -> Result<(), ApplyError> {
        logic::verify(spec)?;
        let original = logic::select_storage(&spec.storage)?;
        let mut storage = original.clone();

        if let Storage::Pvc { claim } = &storage {
            let blank = claim.is_empty();
            let name = if blank { logic::DEFAULT_PVC.to_owned() } else { claim.clone() };
            let pvcs = self.ns_api::<PersistentVolumeClaim>();
            let existing = pvcs.get_opt(&name).await.map_err(transient)?;
            let mut created = false;
            let observed = match existing {
                Some(pvc) => Some(PvcObs {
                    owned: pvc.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(logic::OWNER_ANNOTATION)),
                    access_modes: pvc.spec.and_then(|s| s.access_modes).unwrap_or_default(),
                }),
                None if blank => {
                    pvcs.create(&PostParams::default(), &logic::desired_pvc()).await.map_err(transient)?;
                    info!("created PVC {name}");
                    created = true;
                    Some(PvcObs { owned: true, access_modes: vec!["ReadWriteMany".into()] })
                }
                None => None,
            };
            let (condition, result) = logic::pvc_storage_check(
                &name,
                blank,
                observed.as_ref(),
                created,
                spec.replicas,
                &spec.rollout_strategy,
            );
            storage_conditions.push(condition);
            result?;
            storage = Storage::Pvc { claim: name };
        }
        if storage == Storage::EmptyDir {
            storage_conditions.push(Condition::new("StorageExists", "True", "Creation Successful", ""));
        }

        // The operator's write-back into spec (REFERENCE §1.5).
        if let Some(patch) = logic::spec_write_back(spec, &original, &random_http_secret()) {
            let updated = self
                .config_api()
                .patch(
                    "cluster",
                    &PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() },
                    &Patch::Merge(json!({ "spec": patch })),
                )
                .await
                .map_err(transient)?;
            info!("wrote back spec fields {patch}");
            *spec = serde_json::from_value(updated.data.get("spec").cloned().unwrap_or(json!({}))).unwrap_or_default();
        }

        // image-registry-private-configuration (REFERENCE §2).
        let secrets = self.ns_api::<Secret>();
        let user = secrets.get_opt(logic::USER_SECRET).await.map_err(transient)?;
        let installer = secrets.get_opt(logic::INSTALLER_SECRET).await.map_err(transient)?;
        let data = logic::private_configuration(
            &storage,
            user.as_ref().map(secret_strings).as_ref(),
            installer.as_ref().map(secret_strings).as_ref(),
        )?;
        let private = Secret {
            metadata: ObjectMeta {
                name: Some(logic::PRIVATE_SECRET.into()),
                namespace: Some(NAMESPACE.into()),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".into()),
            data: Some(data.iter().map(|(k, v)| (k.clone(), ByteString(v.clone().into_bytes()))).collect()),
            ..Secret::default()
        };
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        secrets.patch(logic::PRIVATE_SECRET, &apply, &Patch::Apply(&private)).await.map_err(transient)?;

        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(logic::SERVICE_ACCOUNT.into()),
                namespace: Some(NAMESPACE.into()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        self.ns_api::<ServiceAccount>()
            .patch(logic::SERVICE_ACCOUNT, &apply, &Patch::Apply(&sa))
            .await
            .map_err(transient)?;
        self.ns_api::<Service>()
            .patch(logic::REGISTRY_NAME, &apply, &Patch::Apply(&logic::desired_service()))
            .await
            .map_err(transient)?;
        let deployment = logic::desired_deployment(spec, &storage, &logic::checksum(&[&data]));
        self.ns_api::<Deployment>()
            .patch(logic::REGISTRY_NAME, &apply, &Patch::Apply(&deployment))
            .await
            .map_err(transient)?;

        self.apply_routes(spec).await
    }

    /// Routes (REFERENCE §5): apply the wanted ones, delete owned ones no longer wanted.
    async fn apply_routes(&self, spec: &ConfigSpec) -> Result<(), ApplyError> {
        let domain = self.apps_domain().await.map_err(transient)?;
        let wanted = logic::wanted_routes(spec);
        let routes = self.routes_api();
        let secrets = self.ns_api::<Secret>();
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        for route in &wanted {
            let secret = if route.secret_name.is_empty() {
                None
            } else {
                Some(secret_strings(&secrets.get(&route.secret_name).await.map_err(transient)?))
            };
            let desired = logic::desired_route(route, domain.as_deref(), secret.as_ref());
            let applied = routes.patch(&route.name, &apply, &Patch::Apply(&desired)).await.map_err(transient)?;
            self.admit_route(&applied, domain.as_deref()).await.map_err(transient)?;
        }
        for (name, _) in self.owned_routes().await.map_err(|e| ApplyError::transient(e.to_string()))? {
            if !wanted.iter().any(|r| r.name == name) {
                info!("deleting route {name}");
                delete_ignoring_missing(&routes, &name).await.map_err(transient)?;
            }
        }
        Ok(())
    }

    /// ROUTER STAND-IN, not operator behaviour: this cluster has no OpenShift router,
    /// so a route the simulator made and that has no `status.ingress` gets the one a
    /// router would write (Admitted=True). A status set by a test is left alone.
    async fn admit_route(&self, route: &DynamicObject, domain: Option<&str>) -> Result<(), kube::Error> {
        let has_ingress =
            route.data.pointer("/status/ingress").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
        let host = route.data.pointer("/spec/host").and_then(Value::as_str);
        let (Some(host), false) = (host, has_ingress) else {
            return Ok(());
        };
        let mut ingress = json!({
            "host": host,
            "routerName": "default",
            "wildcardPolicy": "None",
            "conditions": [{"type": "Admitted", "status": "True", "lastTransitionTime": now()}],
        });
        if let Some(domain) = domain {
            ingress["routerCanonicalHostname"] = json!(format!("router-default.{domain}"));
        }
        let name = route.metadata.name.clone().unwrap_or_default();
        self.routes_api()
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(json!({"status": {"ingress": [ingress]}})))
            .await?;
        Ok(())
    }

    /// Routes carrying the operator's annotation, as (name, JSON).
    async fn owned_routes(&self) -> anyhow::Result<Vec<(String, Value)>> {
        let list = self.routes_api().list(&ListParams::default()).await?;
        Ok(list
            .items
            .into_iter()
            .filter(|r| {
                r.metadata.annotations.as_ref().and_then(|a| a.get(logic::OWNER_ANNOTATION)).map(String::as_str)
                    == Some("true")
            })
            .filter_map(|r| Some((r.metadata.name.clone()?, serde_json::to_value(&r).ok()?)))
            .collect())
    }

    /// `ingresses.config/cluster` `spec.domain`.
    async fn apps_domain(&self) -> Result<Option<String>, kube::Error> {
        let ingress =
            Api::<DynamicObject>::all_with(self.client.clone(), &ingress_resource()).get_opt("cluster").await?;
        Ok(ingress.and_then(|i| i.data.pointer("/spec/domain").and_then(Value::as_str).map(str::to_owned)))
    }

    /// Removed (REFERENCE §1.5): delete the operands (grace 0); delete the storage too
    /// when `spec.storage.managementState` is `Managed` (the PVC named in `status.storage`).
    async fn remove(&self, spec: &ConfigSpec, config: &Value) -> anyhow::Result<()> {
        delete_ignoring_missing(&self.ns_api::<Deployment>(), logic::REGISTRY_NAME).await?;
        delete_ignoring_missing(&self.ns_api::<Service>(), logic::REGISTRY_NAME).await?;
        for (name, _) in self.owned_routes().await? {
            delete_ignoring_missing(&self.routes_api(), &name).await?;
        }
        delete_ignoring_missing(&self.ns_api::<Secret>(), logic::PRIVATE_SECRET).await?;
        delete_ignoring_missing(&self.ns_api::<ServiceAccount>(), logic::SERVICE_ACCOUNT).await?;
        let storage_managed = spec.storage.get("managementState").and_then(Value::as_str) == Some("Managed");
        let claim = config.pointer("/status/storage/pvc/claim").and_then(Value::as_str).unwrap_or("");
        if storage_managed && !claim.is_empty() {
            let pvcs = self.ns_api::<PersistentVolumeClaim>();
            if pvcs.get_opt(claim).await?.is_some() {
                info!("Removed with managed storage: deleting PVC {claim}");
                delete_ignoring_missing(&pvcs, claim).await?;
            }
        }
        Ok(())
    }

    /// `clusteroperators/image-registry` status (REFERENCE §6.1).
    async fn sync_cluster_operator(&self, config_conditions: &[Condition], now: &str) -> anyhow::Result<()> {
        let api = Api::<DynamicObject>::all_with(self.client.clone(), &cluster_operator_resource());
        let co = match api.get_opt("image-registry").await? {
            Some(co) => co,
            None => {
                let obj = json!({
                    "apiVersion": "config.openshift.io/v1",
                    "kind": "ClusterOperator",
                    "metadata": {"name": "image-registry"},
                    "spec": {},
                });
                api.create(&PostParams::default(), &serde_json::from_value(obj)?).await?
            }
        };
        let co_json = serde_json::to_value(&co)?;
        let old = conditions_of(&co_json);
        let computed = logic::cluster_operator_conditions(config_conditions);
        let conditions = logic::merge_conditions(&old, &computed, now);
        let mut status = json!({
            "conditions": conditions,
            "relatedObjects": logic::related_objects(),
        });
        let settled = computed[0].status == "True" && computed[1].status == "False";
        if settled {
            status["versions"] = json!([{"name": "operator", "version": logic::OPERATOR_VERSION}]);
        }
        let old_status = co_json.get("status");
        let unchanged = old_status.is_some_and(|old| {
            old.get("relatedObjects") == status.get("relatedObjects")
                && conditions_of(&co_json) == conditions
                && (!settled || old.get("versions") == status.get("versions"))
        });
        if !unchanged {
            api.patch_status("image-registry", &PatchParams::default(), &Patch::Merge(json!({ "status": status })))
                .await?;
        }
        Ok(())
    }

    /// `imagepruners/cluster` (REFERENCE §3): CronJob `image-pruner` and the pruner's
    /// conditions. Returns them prefixed `ImagePruner` for the ClusterOperator.
    async fn sync_pruner(&self, now: &str) -> anyhow::Result<Vec<Condition>> {
        let api = Api::<DynamicObject>::all_with(self.client.clone(), &image_pruner_resource());
        let Some(pruner_obj) = api.get_opt("cluster").await? else {
            return Ok(Vec::new());
        };
        let spec: pruner::PrunerSpec =
            serde_json::from_value(pruner_obj.data.get("spec").cloned().unwrap_or(json!({}))).unwrap_or_default();
        let internal = Api::<DynamicObject>::all_with(self.client.clone(), &image_config_resource())
            .get_opt("cluster")
            .await?
            .and_then(|i| {
                i.data.pointer("/status/internalRegistryHostname").and_then(Value::as_str).map(str::to_owned)
            });
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(pruner::SERVICE_ACCOUNT.into()),
                namespace: Some(NAMESPACE.into()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        let cronjobs = self.ns_api::<CronJob>();
        let desired = pruner::desired_cronjob(&spec, internal.as_deref());
        let applied = async {
            self.ns_api::<ServiceAccount>().patch(pruner::SERVICE_ACCOUNT, &apply, &Patch::Apply(&sa)).await?;
            cronjobs.patch(pruner::CRONJOB, &apply, &Patch::Apply(&desired)).await
        }
        .await;
        let apply_error = applied.as_ref().err().map(api_error_message);
        let cronjob_exists = cronjobs.get_opt(pruner::CRONJOB).await?.is_some();

        let jobs = self
            .ns_api::<Job>()
            .list(&ListParams::default().labels(&format!("{}={}", pruner::JOB_LABEL.0, pruner::JOB_LABEL.1)))
            .await?;
        let last_job = jobs.items.into_iter().max_by_key(|j| j.metadata.creation_timestamp.clone().map(|t| t.0));
        let failed = last_job
            .and_then(|j| j.status)
            .and_then(|s| s.conditions)
            .and_then(|cs| cs.into_iter().find(|c| c.type_ == "Failed" && c.status == "True"))
            .map(|c| (c.reason.unwrap_or_default(), c.message.unwrap_or_default()));

        let computed = pruner::pruner_conditions(
            cronjob_exists,
            spec.suspend.unwrap_or(false),
            failed.as_ref().map(|(r, m)| (r.as_str(), m.as_str())),
            apply_error.as_deref(),
        );
        let pruner_json = serde_json::to_value(&pruner_obj)?;
        let old = conditions_of(&pruner_json);
        let conditions = logic::merge_conditions(&old, &computed, now);
        let generation = json!(pruner_obj.metadata.generation.unwrap_or(0));
        if old != conditions || pruner_json.pointer("/status/observedGeneration") != Some(&generation) {
            api.patch_status(
                "cluster",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"conditions": conditions, "observedGeneration": generation}})),
            )
            .await?;
        }
        Ok(pruner::prefixed(&conditions))
    }

    /// `images.config/cluster` status hostnames (REFERENCE §4).
    async fn sync_image_config(&self, routes: &[(String, Value)]) -> anyhow::Result<()> {
        let api = Api::<DynamicObject>::all_with(self.client.clone(), &image_config_resource());
        let Some(image) = api.get_opt("cluster").await? else {
            return Ok(());
        };
        let service = self.ns_api::<Service>().get_opt(logic::REGISTRY_NAME).await?;
        let internal = service.is_some().then_some(logic::INTERNAL_HOSTNAME);
        let external = logic::external_hostnames(routes);
        let current_internal = image.data.pointer("/status/internalRegistryHostname").and_then(Value::as_str);
        let current_external: Vec<String> = image
            .data
            .pointer("/status/externalRegistryHostnames")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        if current_internal.filter(|s| !s.is_empty()) == internal && current_external == external {
            return Ok(());
        }
        let patch = json!({"status": {
            "internalRegistryHostname": internal,
            "externalRegistryHostnames": if external.is_empty() { Value::Null } else { json!(external) },
        }});
        api.patch_status("cluster", &PatchParams::default(), &Patch::Merge(patch)).await?;
        Ok(())
    }
}

async fn delete_ignoring_missing<K>(api: &Api<K>, name: &str) -> Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(name, &DeleteParams::background().grace_period(0)).await {
        Ok(_) => {
            info!("deleted {name}");
            Ok(())
        }
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}
