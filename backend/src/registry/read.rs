//! The registry read model: every object the Overview shows, read with the
//! caller's own credential, all at once. A 403 on one object makes its part
//! `forbidden`, a 404 `absent`, any other failure `error` with the API
//! server's message; only a 401 (the credential itself is refused) fails the
//! whole read.

use std::time::{SystemTime, UNIX_EPOCH};

use model::registry::view::{
    CertificateSummary, ClaimView, ClusterOperatorView, ClusterView, ConditionView, ConfigRouteView, ConfigView,
    CronJobView, DeploymentView, JobView, NodeCaView, OperatorConditionView, PodView, PrunerView,
    READ_ONLY_MANAGED_CONTROL_PLANE, ReasonView, RegistryHostnames, RegistryView, RouteView, RoutesView, Section,
    SectionState, StorageSpecView, StorageView, TrustedCaEntry, TrustedCasView, VersionView, ca_key_host_port,
    rfc3339_utc,
};
use serde_json::Value;

use crate::cluster::resource::{
    CLUSTER_OPERATOR, CONFIG, CONFIG_MAP, CRON_JOB, DAEMON_SET, DEPLOYMENT, IMAGE_CONFIG, IMAGE_PRUNER, INFRASTRUCTURE,
    JOB, POD, PVC, ROUTE,
};
use crate::cluster::{ClusterError, UserClient};

/// The registry's namespace.
pub const NAMESPACE: &str = "openshift-image-registry";
/// Where `images.config` `spec.additionalTrustedCA` ConfigMaps live.
pub const CONFIG_NAMESPACE: &str = "openshift-config";
/// The claim the operator creates for a blank `pvc.claim`.
const DEFAULT_CLAIM: &str = "image-registry-storage";
/// The pruner's schedule when unset (REFERENCE §3).
const DEFAULT_PRUNER_SCHEDULE: &str = "0 0 * * *";

/// The outcome of one GET, with the 401 already taken out.
pub(crate) enum Fetch {
    Found(Value),
    Missing { state: SectionState, message: String },
}

impl Fetch {
    pub(crate) fn classify(result: Result<Value, ClusterError>) -> Result<Self, ClusterError> {
        let error = match result {
            Ok(value) => return Ok(Fetch::Found(value)),
            Err(error) if error.status() == Some(401) => return Err(error),
            Err(error) => error,
        };
        let state = match error.status() {
            Some(403) => SectionState::Forbidden,
            Some(404) => SectionState::Absent,
            _ => SectionState::Error,
        };
        let message = match &error {
            ClusterError::Api { message, .. } if !message.is_empty() => message.clone(),
            other => other.to_string(),
        };
        Ok(Fetch::Missing { state, message })
    }

    pub(crate) fn value(&self) -> Option<&Value> {
        match self {
            Fetch::Found(value) => Some(value),
            Fetch::Missing { .. } => None,
        }
    }

    /// The section of this object: `build` on success, else its state and message.
    fn section<T>(&self, build: impl FnOnce(&Value) -> T) -> Section<T> {
        match self {
            Fetch::Found(value) => Section::ok(build(value)),
            Fetch::Missing { state, message } => Section::failed(*state, message.clone()),
        }
    }
}

/// Reads the registry as the holder of `client`'s token sees it.
pub async fn read_view(client: &UserClient) -> Result<RegistryView, ClusterError> {
    let now = now_unix();
    Ok(assemble(fetch(client).await?, now))
}

/// Every object the view is made of, each as its GET came out. The direct
/// read and the watch-fed cache (`registry::cache`) both fill it.
pub(crate) struct Objects {
    pub config: Fetch,
    pub operator: Fetch,
    pub pruner: Fetch,
    pub image: Fetch,
    pub infrastructure: Fetch,
    /// A list (`{"items": […]}`), like `routes` and `jobs`.
    pub pods: Fetch,
    pub deployment: Fetch,
    pub node_ca: Fetch,
    pub routes: Fetch,
    pub cron_job: Fetch,
    pub jobs: Fetch,
    /// The claim `config` names ([`claim_name`]), if the provider is `pvc`.
    pub claim: Option<Fetch>,
    /// The ConfigMap `image` names ([`trusted_ca_name`]), if any.
    pub ca_map: Option<Fetch>,
}

/// The claim to read for `config`: the one it names when the provider is `pvc`.
pub(crate) fn claim_name(config: &Value) -> Option<String> {
    claim_of(config)
}

/// The `spec.additionalTrustedCA` ConfigMap of `images.config/cluster`, if one is named.
pub(crate) fn trusted_ca_name(image: &Value) -> Option<String> {
    opt_str(&image["spec"]["additionalTrustedCA"]["name"])
}

/// The objects, read with concurrent GETs as the holder of `client`'s token.
async fn fetch(client: &UserClient) -> Result<Objects, ClusterError> {
    let paths = [
        CONFIG.path("", "cluster"),
        CLUSTER_OPERATOR.path("", "image-registry"),
        IMAGE_PRUNER.path("", "cluster"),
        IMAGE_CONFIG.path("", "cluster"),
        INFRASTRUCTURE.path("", "cluster"),
        format!("{}?labelSelector=docker-registry%3Ddefault", POD.collection(NAMESPACE)),
        DEPLOYMENT.path(NAMESPACE, "image-registry"),
        DAEMON_SET.path(NAMESPACE, "node-ca"),
        ROUTE.collection(NAMESPACE),
        CRON_JOB.path(NAMESPACE, "image-pruner"),
        format!("{}?labelSelector=created-by%3Dimage-pruner", JOB.collection(NAMESPACE)),
    ];
    let [config, operator, pruner, image, infrastructure, pods, deployment, node_ca, routes, cron_job, jobs] = &paths;
    let (config, operator, pruner, image, infrastructure, pods, deployment, node_ca, routes, cron_job, jobs) = tokio::join!(
        client.get(config),
        client.get(operator),
        client.get(pruner),
        client.get(image),
        client.get(infrastructure),
        client.get(pods),
        client.get(deployment),
        client.get(node_ca),
        client.get(routes),
        client.get(cron_job),
        client.get(jobs),
    );
    let config = Fetch::classify(config)?;
    let operator = Fetch::classify(operator)?;
    let pruner = Fetch::classify(pruner)?;
    let image = Fetch::classify(image)?;
    let infrastructure = Fetch::classify(infrastructure)?;
    let pods = Fetch::classify(pods)?;
    let deployment = Fetch::classify(deployment)?;
    let node_ca = Fetch::classify(node_ca)?;
    let routes = Fetch::classify(routes)?;
    let cron_job = Fetch::classify(cron_job)?;
    let jobs = Fetch::classify(jobs)?;

    // Second round: the objects the first round names.
    let claim_name = config.value().and_then(claim_of);
    let ca_name = image.value().map(|image| str_at(&image["spec"]["additionalTrustedCA"]["name"]));
    let (claim, ca_map) = tokio::join!(
        async {
            match &claim_name {
                Some(name) => Some(client.get(&PVC.path(NAMESPACE, name)).await),
                None => None,
            }
        },
        async {
            match ca_name.as_deref() {
                Some(name) if !name.is_empty() => Some(client.get(&CONFIG_MAP.path(CONFIG_NAMESPACE, name)).await),
                _ => None,
            }
        },
    );
    let claim = claim.map(Fetch::classify).transpose()?;
    let ca_map = ca_map.map(Fetch::classify).transpose()?;
    Ok(Objects {
        config,
        operator,
        pruner,
        image,
        infrastructure,
        pods,
        deployment,
        node_ca,
        routes,
        cron_job,
        jobs,
        claim,
        ca_map,
    })
}

/// The view of `objects`, at `now` (Unix seconds).
pub(crate) fn assemble(objects: Objects, now: i64) -> RegistryView {
    let Objects {
        config,
        operator,
        pruner,
        image,
        infrastructure,
        pods,
        deployment,
        node_ca,
        routes,
        cron_job,
        jobs,
        claim,
        ca_map,
    } = objects;
    let claim_name = config.value().and_then(claim_of);
    let cluster = infrastructure.section(cluster_view);
    let managed_control_plane =
        cluster.data.as_ref().is_some_and(|cluster| cluster.control_plane_topology == "External");

    let mut config_section = config.section(config_view);
    if config_section.state == SectionState::Absent {
        config_section.message = Some(
            "configs.imageregistry.operator.openshift.io/cluster does not exist: the image registry operator has not \
             bootstrapped the registry yet (or the ImageRegistry capability is disabled)"
                .into(),
        );
    }
    // The storage part follows the config: no config, no storage to show.
    let storage = match &config_section.data {
        Some(view) => Section::ok(storage_view(view, claim_name.as_deref(), claim.as_ref())),
        None => Section { state: config_section.state, data: None, message: config_section.message.clone() },
    };

    RegistryView {
        fetched_at: rfc3339_utc(now),
        read_only: managed_control_plane,
        read_only_reason: managed_control_plane.then(|| READ_ONLY_MANAGED_CONTROL_PLANE.to_owned()),
        config: config_section,
        cluster_operator: operator.section(cluster_operator_view),
        storage,
        routes: routes.section(|list| RoutesView {
            routes: items(list).iter().map(route_view).collect(),
            hostnames: image.section(hostnames_view),
        }),
        trusted_cas: image.section(|image| trusted_cas_view(image, ca_map.as_ref(), now)),
        pruner: pruner.section(|pruner| pruner_view(pruner, &cron_job, &jobs, now)),
        pods: pods.section(|list| items(list).iter().map(pod_view).collect()),
        deployment: deployment.section(deployment_view),
        node_ca: node_ca.section(node_ca_view),
        cluster,
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
        .try_into()
        .unwrap_or(i64::MAX)
}

fn str_at(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn opt_str(value: &Value) -> Option<String> {
    value.as_str().filter(|text| !text.is_empty()).map(str::to_owned)
}

fn items(list: &Value) -> &[Value] {
    list["items"].as_array().map(Vec::as_slice).unwrap_or_default()
}

fn conditions(status: &Value) -> Vec<ConditionView> {
    let Some(conditions) = status["conditions"].as_array() else { return Vec::new() };
    conditions
        .iter()
        .map(|condition| {
            let type_ = str_at(&condition["type"]);
            let reason = str_at(&condition["reason"]);
            ConditionView {
                explanation: explanation(&type_, &reason),
                type_,
                status: str_at(&condition["status"]),
                reason,
                message: str_at(&condition["message"]),
                last_transition_time: str_at(&condition["lastTransitionTime"]),
            }
        })
        .collect()
}

fn explanation(condition_type: &str, reason: &str) -> Option<String> {
    if reason.is_empty() {
        return None;
    }
    model::registry::explain_reason(condition_type, reason).map(|msg| msg.key().to_owned())
}

/// The provider keys of a `storage` block.
fn providers(storage: &Value) -> Vec<String> {
    storage
        .as_object()
        .map(|storage| storage.keys().filter(|key| *key != "managementState").cloned().collect())
        .unwrap_or_default()
}

/// Keys of a storage provider block that must never be shown, should a
/// future API add one (today credentials live in Secrets).
fn is_secret_field(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secretkey", "accesskey", "accountkey", "token", "apikey"].iter().any(|word| key.contains(word))
}

fn without_secrets(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !is_secret_field(key))
                .map(|(key, value)| (key.clone(), without_secrets(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_secrets).collect()),
        other => other.clone(),
    }
}

fn config_view(config: &Value) -> ConfigView {
    let spec = &config["spec"];
    let status = &config["status"];
    let storage = &spec["storage"];
    let providers = providers(storage);
    let provider = (providers.len() == 1).then(|| providers[0].clone());
    let storage_management_state = opt_str(&storage["managementState"]);
    ConfigView {
        management_state: str_at(&spec["managementState"]),
        replicas: spec["replicas"].as_i64(),
        rollout_strategy: str_at(&spec["rolloutStrategy"]),
        log_level: str_at(&spec["logLevel"]),
        operator_log_level: str_at(&spec["operatorLogLevel"]),
        read_only: spec["readOnly"].as_bool().unwrap_or(false),
        disable_redirect: spec["disableRedirect"].as_bool().unwrap_or(false),
        default_route: spec["defaultRoute"].as_bool().unwrap_or(false),
        routes: spec["routes"]
            .as_array()
            .map(|routes| {
                routes
                    .iter()
                    .map(|route| ConfigRouteView {
                        name: str_at(&route["name"]),
                        hostname: opt_str(&route["hostname"]),
                        secret_name: opt_str(&route["secretName"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        storage: StorageSpecView {
            fields: provider.as_ref().map(|key| without_secrets(&storage[key.as_str()])),
            provider,
            providers,
            managed: storage_management_state.as_deref() == Some("Managed"),
            management_state: storage_management_state,
        },
        node_selector: spec["nodeSelector"].as_object().is_some_and(|map| !map.is_empty()),
        tolerations: spec["tolerations"].as_array().is_some_and(|list| !list.is_empty()),
        conditions: conditions(status),
        ready_replicas: status["readyReplicas"].as_i64(),
        generation: config["metadata"]["generation"].as_i64(),
        observed_generation: status["observedGeneration"].as_i64(),
        status_storage: status.get("storage").filter(|storage| !storage.is_null()).map(without_secrets),
    }
}

/// The claim the registry uses when the provider is `pvc`.
fn claim_of(config: &Value) -> Option<String> {
    let spec_pvc = config["spec"]["storage"].get("pvc")?;
    let named = opt_str(&spec_pvc["claim"]).or_else(|| opt_str(&config["status"]["storage"]["pvc"]["claim"]));
    Some(named.unwrap_or_else(|| DEFAULT_CLAIM.to_owned()))
}

fn storage_view(config: &ConfigView, claim_name: Option<&str>, claim: Option<&Fetch>) -> StorageView {
    StorageView {
        provider: config.storage.provider.clone(),
        managed: config.storage.managed,
        management_state: config.storage.management_state.clone(),
        claim: claim_name.zip(claim).map(|(name, claim)| {
            claim.section(|pvc| ClaimView {
                name: name.to_owned(),
                phase: str_at(&pvc["status"]["phase"]),
                capacity: opt_str(&pvc["status"]["capacity"]["storage"])
                    .or_else(|| opt_str(&pvc["spec"]["resources"]["requests"]["storage"])),
                access_modes: pvc["spec"]["accessModes"]
                    .as_array()
                    .map(|modes| modes.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
                storage_class: opt_str(&pvc["spec"]["storageClassName"]),
                volume_name: opt_str(&pvc["spec"]["volumeName"]),
            })
        }),
    }
}

fn cluster_operator_view(operator: &Value) -> ClusterOperatorView {
    let status = &operator["status"];
    ClusterOperatorView {
        conditions: status["conditions"]
            .as_array()
            .map(|conditions| {
                conditions
                    .iter()
                    .map(|condition| {
                        let type_ = str_at(&condition["type"]);
                        OperatorConditionView {
                            reasons: str_at(&condition["reason"])
                                .split("::")
                                .filter(|reason| !reason.is_empty())
                                .map(|reason| ReasonView {
                                    reason: reason.to_owned(),
                                    explanation: explanation(&type_, reason),
                                })
                                .collect(),
                            messages: str_at(&condition["message"])
                                .lines()
                                .filter(|line| !line.trim().is_empty())
                                .map(str::to_owned)
                                .collect(),
                            status: str_at(&condition["status"]),
                            last_transition_time: str_at(&condition["lastTransitionTime"]),
                            type_,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        versions: status["versions"]
            .as_array()
            .map(|versions| {
                versions
                    .iter()
                    .map(|version| VersionView { name: str_at(&version["name"]), version: str_at(&version["version"]) })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn route_view(route: &Value) -> RouteView {
    let ingress = &route["status"]["ingress"][0];
    let admitted = ingress["conditions"]
        .as_array()
        .and_then(|conditions| conditions.iter().find(|condition| condition["type"] == "Admitted"));
    RouteView {
        name: str_at(&route["metadata"]["name"]),
        host: opt_str(&ingress["host"]).or_else(|| opt_str(&route["spec"]["host"])),
        tls_termination: opt_str(&route["spec"]["tls"]["termination"]),
        admitted: admitted.map(|condition| condition["status"] == "True"),
        admitted_message: admitted.and_then(|condition| opt_str(&condition["message"])),
        operator_owned: route["metadata"]["annotations"]["imageregistry.openshift.io"] == "true",
    }
}

fn hostnames_view(image: &Value) -> RegistryHostnames {
    let status = &image["status"];
    RegistryHostnames {
        internal_registry_hostname: opt_str(&status["internalRegistryHostname"]),
        external_registry_hostnames: status["externalRegistryHostnames"]
            .as_array()
            .map(|hosts| hosts.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
    }
}

fn trusted_cas_view(image: &Value, config_map: Option<&Fetch>, now: i64) -> TrustedCasView {
    let name = opt_str(&image["spec"]["additionalTrustedCA"]["name"]);
    let mut view = TrustedCasView { config_map: name, ..TrustedCasView::default() };
    match config_map {
        None => {}
        Some(Fetch::Missing { state, message }) => {
            view.config_map_state = Some(*state);
            view.config_map_message = Some(message.clone());
        }
        Some(Fetch::Found(config_map)) => {
            view.config_map_state = Some(SectionState::Ok);
            if let Some(data) = config_map["data"].as_object() {
                view.entries = data
                    .iter()
                    .map(|(key, pem)| {
                        let mut entry = TrustedCaEntry {
                            key: key.clone(),
                            host_port: ca_key_host_port(key),
                            ..TrustedCaEntry::default()
                        };
                        match crate::pki::parse_certificates(pem.as_str().unwrap_or_default()) {
                            Ok(certificates) => {
                                entry.certificates = certificates
                                    .iter()
                                    .map(|certificate| CertificateSummary {
                                        subject: certificate.subject.clone(),
                                        not_after: rfc3339_utc(certificate.not_after),
                                        days_left: (certificate.not_after - now).div_euclid(86_400),
                                    })
                                    .collect();
                            }
                            Err(error) => entry.error = Some(error.to_string()),
                        }
                        entry
                    })
                    .collect();
            }
        }
    }
    view
}

fn pruner_view(pruner: &Value, cron_job: &Fetch, jobs: &Fetch, now: i64) -> PrunerView {
    let spec = &pruner["spec"];
    let schedule = opt_str(&spec["schedule"]).unwrap_or_else(|| DEFAULT_PRUNER_SCHEDULE.to_owned());
    let next_runs: Vec<String> =
        model::registry::next_cron_runs(&schedule, now, 3).into_iter().map(rfc3339_utc).collect();
    PrunerView {
        time_zone: "UTC".into(),
        next_runs_utc: (!next_runs.is_empty()).then_some(next_runs),
        suspend: spec["suspend"].as_bool().unwrap_or(false),
        keep_tag_revisions: spec["keepTagRevisions"].as_i64(),
        keep_younger_than_duration: opt_str(&spec["keepYoungerThanDuration"]),
        successful_jobs_history_limit: spec["successfulJobsHistoryLimit"].as_i64(),
        failed_jobs_history_limit: spec["failedJobsHistoryLimit"].as_i64(),
        conditions: conditions(&pruner["status"]),
        cron_job: cron_job.section(|cron_job| CronJobView {
            last_schedule_time: opt_str(&cron_job["status"]["lastScheduleTime"]),
            last_successful_time: opt_str(&cron_job["status"]["lastSuccessfulTime"]),
        }),
        last_job: jobs.value().and_then(last_job),
        schedule,
    }
}

fn last_job(list: &Value) -> Option<JobView> {
    let job = items(list).iter().max_by_key(|job| str_at(&job["metadata"]["creationTimestamp"]))?;
    let status = &job["status"];
    let condition = |type_: &str| {
        status["conditions"].as_array().and_then(|conditions| {
            conditions.iter().find(|condition| condition["type"] == type_ && condition["status"] == "True")
        })
    };
    let (outcome, message) = if let Some(failed) = condition("Failed") {
        ("failed", opt_str(&failed["message"]).or_else(|| opt_str(&failed["reason"])))
    } else if condition("Complete").is_some() {
        ("succeeded", None)
    } else {
        ("running", None)
    };
    Some(JobView {
        name: str_at(&job["metadata"]["name"]),
        outcome: outcome.into(),
        start_time: opt_str(&status["startTime"]),
        completion_time: opt_str(&status["completionTime"]),
        message,
    })
}

fn pod_view(pod: &Value) -> PodView {
    let status = &pod["status"];
    PodView {
        name: str_at(&pod["metadata"]["name"]),
        phase: str_at(&status["phase"]),
        ready: status["conditions"].as_array().is_some_and(|conditions| {
            conditions.iter().any(|condition| condition["type"] == "Ready" && condition["status"] == "True")
        }),
        restarts: status["containerStatuses"]
            .as_array()
            .map(|containers| containers.iter().filter_map(|container| container["restartCount"].as_i64()).sum())
            .unwrap_or(0),
        node: opt_str(&pod["spec"]["nodeName"]),
        start_time: opt_str(&status["startTime"]),
    }
}

fn deployment_view(deployment: &Value) -> DeploymentView {
    let status = &deployment["status"];
    DeploymentView {
        desired: deployment["spec"]["replicas"].as_i64().unwrap_or(1),
        ready: status["readyReplicas"].as_i64().unwrap_or(0),
        updated: status["updatedReplicas"].as_i64().unwrap_or(0),
        available: status["availableReplicas"].as_i64().unwrap_or(0),
    }
}

fn node_ca_view(daemon_set: &Value) -> NodeCaView {
    let status = &daemon_set["status"];
    NodeCaView {
        desired: status["desiredNumberScheduled"].as_i64().unwrap_or(0),
        current: status["currentNumberScheduled"].as_i64().unwrap_or(0),
        updated: status["updatedNumberScheduled"].as_i64().unwrap_or(0),
        available: status["numberAvailable"].as_i64().unwrap_or(0),
    }
}

fn cluster_view(infrastructure: &Value) -> ClusterView {
    let status = &infrastructure["status"];
    ClusterView {
        platform: opt_str(&status["platformStatus"]["type"]).unwrap_or_else(|| str_at(&status["platform"])),
        control_plane_topology: str_at(&status["controlPlaneTopology"]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn config_view_summarises_spec_and_status() {
        let config = json!({
            "metadata": {"generation": 3},
            "spec": {
                "managementState": "Managed", "replicas": 2, "logLevel": "Debug",
                "storage": {"managementState": "Managed", "s3": {"bucket": "b", "region": "r"}},
                "routes": [{"name": "public", "hostname": "r.example.com", "secretName": "tls"}],
                "nodeSelector": {"a": "b"}
            },
            "status": {
                "observedGeneration": 2, "readyReplicas": 1,
                "conditions": [{"type": "Available", "status": "True", "reason": "Ready", "message": "ok"}]
            }
        });
        let view = config_view(&config);
        assert_eq!(view.storage.provider.as_deref(), Some("s3"));
        assert_eq!(view.storage.fields, Some(json!({"bucket": "b", "region": "r"})));
        assert!(view.storage.managed && view.node_selector && !view.tolerations);
        assert_eq!((view.generation, view.observed_generation, view.ready_replicas), (Some(3), Some(2), Some(1)));
        assert_eq!(view.routes[0].secret_name.as_deref(), Some("tls"));
        assert_eq!(view.conditions[0].explanation.as_deref(), Some("reason.ready"));
    }

    #[test]
    fn blank_claims_name_the_operator_default() {
        assert_eq!(claim_of(&json!({"spec": {"storage": {"pvc": {"claim": ""}}}})).as_deref(), Some(DEFAULT_CLAIM));
        assert_eq!(claim_of(&json!({"spec": {"storage": {"pvc": {"claim": "mine"}}}})).as_deref(), Some("mine"));
        assert_eq!(claim_of(&json!({"spec": {"storage": {"emptyDir": {}}}})), None);
    }

    #[test]
    fn operator_reasons_are_split_and_explained() {
        let operator = json!({"status": {"conditions": [{
            "type": "Degraded", "status": "True", "reason": "ImagePrunerJobFailed::StorageNotConfigured",
            "message": "Degraded: bad\nImagePrunerDegraded: job failed"
        }], "versions": [{"name": "operator", "version": "4.20.0"}]}});
        let view = cluster_operator_view(&operator);
        let degraded = &view.conditions[0];
        assert_eq!(degraded.reasons.len(), 2);
        assert!(degraded.reasons.iter().all(|reason| reason.explanation.is_some()), "{degraded:?}");
        assert_eq!(degraded.messages.len(), 2);
        assert_eq!(view.versions[0].version, "4.20.0");
    }

    #[test]
    fn routes_prefer_the_admitted_host() {
        let route = json!({
            "metadata": {"name": "default-route", "annotations": {"imageregistry.openshift.io": "true"}},
            "spec": {"host": "spec.example.com", "tls": {"termination": "reencrypt"}},
            "status": {"ingress": [{"host": "ingress.example.com", "conditions": [{"type": "Admitted", "status": "False", "message": "taken"}]}]}
        });
        let view = route_view(&route);
        assert_eq!(view.host.as_deref(), Some("ingress.example.com"));
        assert_eq!((view.admitted, view.admitted_message.as_deref()), (Some(false), Some("taken")));
        assert!(view.operator_owned);
        assert_eq!(route_view(&json!({"spec": {"host": "h"}})).host.as_deref(), Some("h"));
    }

    #[test]
    fn the_newest_job_gives_the_outcome() {
        let jobs = json!({"items": [
            {"metadata": {"name": "old", "creationTimestamp": "2026-01-01T00:00:00Z"}, "status": {"conditions": [{"type": "Complete", "status": "True"}]}},
            {"metadata": {"name": "new", "creationTimestamp": "2026-01-02T00:00:00Z"}, "status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}}
        ]});
        let job = last_job(&jobs);
        assert_eq!(job.as_ref().map(|job| (job.name.as_str(), job.outcome.as_str())), Some(("new", "failed")));
        assert_eq!(job.and_then(|job| job.message).as_deref(), Some("BackoffLimitExceeded"));
    }
}
