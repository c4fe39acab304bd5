//! The image registry operator simulator (`tests/simulator`, REFERENCE §11)
//! against the shared test cluster, where the fixture runs it (see
//! `e2e::cluster`). Tests change `configs/cluster`, so each holds the
//! singletons lock; the fixture's reset leaves the registry settled in Removed.

use std::future::Future;
use std::time::{Duration, Instant};

use e2e::cluster::{Cluster, Singletons, User};
use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service, ServiceAccount};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use simulator::{
    cluster_operator_resource, config_resource, image_config_resource, image_pruner_resource, route_resource,
};

const NS: &str = "openshift-image-registry";
const DOMAIN: &str = "apps.cluster.example.com";
const TIMEOUT: Duration = Duration::from_secs(40);

/// The singletons lock (the seed restored, the registry settled in Removed),
/// an admin client, and no leftovers of earlier tests that neither the seed
/// nor the simulator own.
async fn setup() -> (Client, Singletons) {
    let cluster = Cluster::shared().await;
    let guard = cluster.singletons().await;
    let client = cluster.client(User::Admin).await;
    let secrets: &Api<Secret> = &Api::namespaced(client.clone(), NS);
    for name in ["image-registry-private-configuration-user", "route-tls"] {
        let _ = secrets.delete(name, &DeleteParams::default()).await;
    }
    let routes: &Api<DynamicObject> = &Api::namespaced_with(client.clone(), NS, &route_resource());
    let _ = routes.delete_collection(&DeleteParams::default(), &ListParams::default()).await;
    let pvcs: &Api<PersistentVolumeClaim> = &Api::namespaced(client.clone(), NS);
    let _ = pvcs.delete_collection(&DeleteParams::default(), &ListParams::default()).await;
    wait_until("no PVC left", || async move { Ok(pvcs.list(&ListParams::default()).await?.items.is_empty()) }).await;
    (client, guard)
}

/// Polls `check` until it yields a value; fails the test after [`TIMEOUT`].
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let start = Instant::now();
    let mut last;
    loop {
        match check().await {
            Ok(Some(value)) => return value,
            Ok(None) => last = "not yet".into(),
            Err(e) => last = format!("{e:#}"),
        }
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what} ({last})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    wait_for(what, || {
        let fut = check();
        async move { Ok(fut.await?.then_some(())) }
    })
    .await
}

async fn get_json(client: &Client, resource: kube::api::ApiResource, name: &str) -> Value {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    serde_json::to_value(api.get(name).await.expect("get object")).expect("object as JSON")
}

async fn config(client: &Client) -> Value {
    get_json(client, config_resource(), "cluster").await
}

async fn patch_spec(client: &Client, spec: Value) {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &config_resource());
    api.patch("cluster", &PatchParams::default(), &Patch::Merge(json!({ "spec": spec })))
        .await
        .expect("patch configs/cluster spec");
}

/// (status, reason, message) of condition `type_` in `obj.status.conditions`.
fn cond(obj: &Value, type_: &str) -> (String, String, String) {
    let conditions = obj["status"]["conditions"].as_array().cloned().unwrap_or_default();
    let c = conditions.iter().find(|c| c["type"] == json!(type_)).cloned().unwrap_or(Value::Null);
    let s = |k: &str| c[k].as_str().unwrap_or("").to_owned();
    (s("status"), s("reason"), s("message"))
}

fn owned(t: (&str, &str, &str)) -> (String, String, String) {
    (t.0.into(), t.1.into(), t.2.into())
}

async fn wait_cond(client: &Client, type_: &str, want: (&str, &str, &str)) -> Value {
    let want = &owned(want);
    wait_for(&format!("configs/cluster {type_} = {want:?}"), || async move {
        let seen = config(client).await;
        Ok((cond(&seen, type_) == *want).then_some(seen))
    })
    .await
}

async fn wait_co(client: &Client, type_: &str, want: (&str, &str, &str)) -> Value {
    let want = &owned(want);
    wait_for(&format!("clusteroperators/image-registry {type_} = {want:?}"), || async move {
        let co = get_json(client, cluster_operator_resource(), "image-registry").await;
        Ok((cond(&co, type_) == *want).then_some(co))
    })
    .await
}

/// Waits until the ClusterOperator satisfies `check`.
async fn wait_co_where(client: &Client, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let check = &check;
    wait_for(what, || async move {
        let co = get_json(client, cluster_operator_resource(), "image-registry").await;
        Ok(check(&co).then_some(co))
    })
    .await
}

#[tokio::test]
async fn removed_reports_removed_conditions_and_cluster_operator() {
    let (client, _guard) = setup().await;
    let client = &client;
    let config = wait_cond(client, "Available", ("True", "Removed", "The registry is removed")).await;
    assert_eq!(cond(&config, "Progressing"), owned(("False", "Removed", "All registry resources are removed")));
    assert_eq!(cond(&config, "Degraded"), owned(("False", "Removed", "The registry is removed")));
    assert_eq!(cond(&config, "Removed"), owned(("True", "Removed", "The registry is removed")));
    assert_eq!(config["status"]["storageManaged"], json!(false));
    assert_eq!(config["status"]["observedGeneration"], config["metadata"]["generation"]);

    let co = wait_co(
        client,
        "Available",
        (
            "True",
            "AsExpected",
            "Available: The registry is removed\nImagePrunerAvailable: Pruner CronJob has been created",
        ),
    )
    .await;
    assert_eq!(
        cond(&co, "Available"),
        owned((
            "True",
            "AsExpected",
            "Available: The registry is removed\nImagePrunerAvailable: Pruner CronJob has been created"
        ))
    );
    assert_eq!(
        cond(&co, "Progressing"),
        owned(("False", "AsExpected", "Progressing: All registry resources are removed"))
    );
    assert_eq!(cond(&co, "Degraded").0, "False");
    assert_eq!(co["status"]["versions"], json!([{"name": "operator", "version": "4.20.0"}]));
    let related = co["status"]["relatedObjects"].as_array().cloned().unwrap_or_default();
    assert!(
        related.contains(
            &json!({"group": "imageregistry.operator.openshift.io", "resource": "configs", "name": "cluster"})
        )
    );
    assert!(related.contains(&json!({"group": "", "resource": "namespaces", "name": NS})));

    wait_until("no Service, no internalRegistryHostname", || async move {
        let image = get_json(client, image_config_resource(), "cluster").await;
        Ok(image["status"].get("internalRegistryHostname").is_none())
    })
    .await;
}

#[tokio::test]
async fn managed_without_storage_is_degraded_storage_not_configured() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed"})).await;
    let error = "Error: storage backend not configured";
    let config = wait_cond(client, "Degraded", ("True", "StorageNotConfigured", error)).await;
    assert_eq!(cond(&config, "Available"), owned(("False", "StorageNotConfigured", error)));
    assert_eq!(
        cond(&config, "Progressing"),
        owned(("False", "StorageNotConfigured", "Unable to apply resources: storage backend not configured"))
    );
    assert_eq!(cond(&config, "Removed").0, "False");
    let co = wait_co(
        client,
        "Degraded",
        ("True", "StorageNotConfigured", "Degraded: Error: storage backend not configured"),
    )
    .await;
    assert_eq!(
        cond(&co, "Degraded"),
        owned(("True", "StorageNotConfigured", "Degraded: Error: storage backend not configured"))
    );
    assert_eq!(cond(&co, "Available").0, "False");
    let deployment = Api::<Deployment>::namespaced(client.clone(), NS).get_opt("image-registry").await;
    assert!(deployment.expect("get deployment").is_none());
}

#[tokio::test]
async fn two_storage_providers_is_an_apply_error() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"emptyDir": {}, "pvc": {"claim": ""}}})).await;
    let config = wait_cond(
        client,
        "Progressing",
        (
            "True",
            "Error",
            "Unable to apply resources: exactly one storage type should be configured at the same time, got 2: [EmptyDir PVC]",
        ),
    )
    .await;
    assert_eq!(cond(&config, "Available"), owned(("False", "DeploymentNotFound", "The deployment does not exist")));
}

#[tokio::test]
async fn blank_pvc_claim_creates_the_pvc_and_writes_the_claim_back() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"pvc": {"claim": ""}}})).await;
    let pvcs: &Api<PersistentVolumeClaim> = &Api::namespaced(client.clone(), NS);
    let pvc =
        wait_for("PVC image-registry-storage", || async move { Ok(pvcs.get_opt("image-registry-storage").await?) })
            .await;
    assert_eq!(
        pvc.metadata.annotations.as_ref().and_then(|a| a.get("imageregistry.openshift.io")).map(String::as_str),
        Some("true")
    );
    let spec = pvc.spec.expect("PVC spec");
    assert_eq!(spec.access_modes, Some(vec!["ReadWriteMany".to_owned()]));
    assert_eq!(
        spec.resources.and_then(|r| r.requests).and_then(|r| r.get("storage").cloned()).map(|q| q.0),
        Some("100Gi".to_owned())
    );

    let config = wait_for("write-back and status.storage", || async move {
        let config = config(client).await;
        Ok((config["status"]["storage"]["pvc"]["claim"] == json!("image-registry-storage")
            && config["status"]["observedGeneration"] == config["metadata"]["generation"])
            .then_some(config))
    })
    .await;
    assert_eq!(
        config["spec"]["storage"],
        json!({"pvc": {"claim": "image-registry-storage"}, "managementState": "Managed"})
    );
    let http_secret = config["spec"]["httpSecret"].as_str().unwrap_or("");
    assert_eq!(http_secret.len(), 128, "httpSecret is 64 random bytes in hex");
    assert!(http_secret.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(config["status"]["storageManaged"], json!(true));
    assert_eq!(cond(&config, "StorageExists").0, "True");
    // No PV provisioner here: the claim stays Pending, so no replica becomes available.
    wait_cond(client, "Available", ("False", "NoReplicasAvailable", "The deployment does not have available replicas"))
        .await;
}

#[tokio::test]
async fn named_claim_must_exist_and_an_unowned_default_pvc_is_refused() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"pvc": {"claim": "missing"}}})).await;
    let config = wait_cond(
        client,
        "StorageExists",
        ("False", "PVC does not exist", "persistentvolumeclaims \"missing\" not found"),
    )
    .await;
    assert_eq!(cond(&config, "Progressing").1, "Error");
    // Storage failed, so nothing is written back yet.
    assert_eq!(config["spec"]["storage"].get("managementState"), None);

    let pvcs: &Api<PersistentVolumeClaim> = &Api::namespaced(client.clone(), NS);
    let unowned: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "image-registry-storage"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }))
    .expect("PVC");
    pvcs.create(&PostParams::default(), &unowned).await.expect("create unowned PVC");
    patch_spec(client, json!({"storage": {"pvc": {"claim": ""}, "managementState": null}})).await;
    wait_cond(
        client,
        "StorageExists",
        (
            "False",
            "PVC Already Exists",
            "could not create default PVC, it already exists and is not owned by the operator",
        ),
    )
    .await;
}

#[tokio::test]
async fn deployment_follows_replicas_and_rollout_strategy() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(
        client,
        json!({"managementState": "Managed", "storage": {"emptyDir": {}}, "replicas": 2, "rolloutStrategy": "Recreate"}),
    )
    .await;
    let config = wait_cond(client, "Available", ("True", "Ready", "The registry is ready")).await;
    assert_eq!(cond(&config, "Progressing"), owned(("False", "Ready", "The registry is ready")));
    assert_eq!(cond(&config, "Degraded").0, "False");
    assert_eq!(config["status"]["readyReplicas"], json!(2));
    assert_eq!(config["spec"]["storage"]["managementState"], json!("Managed"));

    let deployments: &Api<Deployment> = &Api::namespaced(client.clone(), NS);
    let d = deployments.get("image-registry").await.expect("deployment");
    let spec = d.spec.expect("deployment spec");
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.strategy.and_then(|s| s.type_).as_deref(), Some("Recreate"));
    let labels = spec.template.metadata.and_then(|m| m.labels).expect("pod labels");
    assert_eq!(labels.get("docker-registry").map(String::as_str), Some("default"));
    let pod = spec.template.spec.expect("pod spec");
    assert_eq!(pod.service_account_name.as_deref(), Some("registry"));
    assert_eq!(pod.containers[0].name, "registry");
    Api::<ServiceAccount>::namespaced(client.clone(), NS).get("registry").await.expect("SA registry");

    patch_spec(client, json!({"replicas": 1, "rolloutStrategy": "RollingUpdate"})).await;
    wait_until("RollingUpdate with 1 replica", || async move {
        let spec = deployments.get("image-registry").await?.spec.expect("spec");
        Ok(spec.replicas == Some(1) && spec.strategy.and_then(|s| s.type_).as_deref() == Some("RollingUpdate"))
    })
    .await;
    let co = wait_co_where(client, "ClusterOperator versions", |co| co["status"]["versions"].is_array()).await;
    assert_eq!(co["status"]["versions"][0]["name"], json!("operator"));
}

#[tokio::test]
async fn service_on_5000_and_internal_hostname() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"emptyDir": {}}})).await;
    let services: &Api<Service> = &Api::namespaced(client.clone(), NS);
    let svc = wait_for("Service image-registry", || async move { Ok(services.get_opt("image-registry").await?) }).await;
    let ports = Some(svc).and_then(|s| s.spec).and_then(|s| s.ports).expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!((ports[0].name.as_deref(), ports[0].port), (Some("5000-tcp"), 5000));
    wait_until("images.config internalRegistryHostname", || async move {
        let image = get_json(client, image_config_resource(), "cluster").await;
        Ok(image["status"]["internalRegistryHostname"] == json!("image-registry.openshift-image-registry.svc:5000"))
    })
    .await;
}

#[tokio::test]
async fn default_route_follows_default_route_flag() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"emptyDir": {}}, "defaultRoute": true})).await;
    let routes: &Api<DynamicObject> = &Api::namespaced_with(client.clone(), NS, &route_resource());
    let host = &format!("default-route-openshift-image-registry.{DOMAIN}");
    let route = wait_for("default-route", || async move { Ok(routes.get_opt("default-route").await?) }).await;
    let route = serde_json::to_value(route).expect("route JSON");
    assert_eq!(route["spec"]["host"], json!(host));
    assert_eq!(route["spec"]["tls"]["termination"], json!("reencrypt"));
    assert_eq!(route["spec"]["to"]["name"], json!("image-registry"));
    assert_eq!(route["metadata"]["annotations"]["imageregistry.openshift.io"], json!("true"));
    wait_until("externalRegistryHostnames", || async move {
        let image = get_json(client, image_config_resource(), "cluster").await;
        Ok(image["status"]["externalRegistryHostnames"] == json!([host]))
    })
    .await;

    patch_spec(client, json!({"defaultRoute": false})).await;
    wait_until("default-route deleted", || async move { Ok(routes.get_opt("default-route").await?.is_none()) }).await;
}

#[tokio::test]
async fn custom_routes_copy_their_secret_and_unowned_routes_stay() {
    let (client, _guard) = setup().await;
    let client = &client;
    let secrets: &Api<Secret> = &Api::namespaced(client.clone(), NS);
    let tls = Secret {
        metadata: kube::api::ObjectMeta { name: Some("route-tls".into()), ..Default::default() },
        type_: Some("kubernetes.io/tls".into()),
        data: Some(
            [("tls.crt", "CERT"), ("tls.key", "KEY"), ("tls.cacrt", "CA")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    secrets.create(&PostParams::default(), &tls).await.expect("create TLS secret");
    let routes: &Api<DynamicObject> = &Api::namespaced_with(client.clone(), NS, &route_resource());
    let foreign: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "route.openshift.io/v1", "kind": "Route",
        "metadata": {"name": "someone-elses"},
        "spec": {"host": "other.example.com", "to": {"kind": "Service", "name": "image-registry"}},
    }))
    .expect("route");
    routes.create(&PostParams::default(), &foreign).await.expect("create foreign route");

    patch_spec(
        client,
        json!({"managementState": "Managed", "storage": {"emptyDir": {}},
               "routes": [{"name": "public", "hostname": "registry.example.com", "secretName": "route-tls"},
                          {"name": "plain"}]}),
    )
    .await;
    let public = wait_for("routes public and plain", || async move {
        let public = routes.get_opt("public").await?;
        Ok(if routes.get_opt("plain").await?.is_some() { public } else { None })
    })
    .await;
    let public = serde_json::to_value(public).expect("route JSON");
    assert_eq!(public["spec"]["host"], json!("registry.example.com"));
    assert_eq!(
        public["spec"]["tls"],
        json!({"termination": "reencrypt", "certificate": "CERT", "key": "KEY", "caCertificate": "CA"})
    );
    let plain = serde_json::to_value(routes.get("plain").await.expect("plain")).expect("JSON");
    assert_eq!(plain["spec"]["host"], json!(format!("plain-openshift-image-registry.{DOMAIN}")));
    assert_eq!(plain["spec"]["tls"], json!({"termination": "reencrypt"}));

    patch_spec(client, json!({"routes": [{"name": "plain"}]})).await;
    wait_until("route public deleted", || async move { Ok(routes.get_opt("public").await?.is_none()) }).await;
    assert!(routes.get_opt("someone-elses").await.expect("get").is_some(), "unannotated routes are never deleted");

    patch_spec(client, json!({"routes": [{"name": "default-route"}]})).await;
    wait_cond(
        client,
        "Degraded",
        ("True", "VerificationFailed", "Error: duplication of names has been detected in the additional routes"),
    )
    .await;
}

#[tokio::test]
async fn s3_credentials_become_an_aws_credentials_file() {
    let (client, _guard) = setup().await;
    let client = &client;
    let secrets: &Api<Secret> = &Api::namespaced(client.clone(), NS);
    let user = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("image-registry-private-configuration-user".into()),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(
            [("REGISTRY_STORAGE_S3_ACCESSKEY", "AKIAEXAMPLE")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    secrets.create(&PostParams::default(), &user).await.expect("create user secret");
    patch_spec(
        client,
        json!({"managementState": "Managed", "storage": {"s3": {"bucket": "b", "region": "us-east-1"}}}),
    )
    .await;
    wait_cond(
        client,
        "Progressing",
        (
            "True",
            "Error",
            "Unable to apply resources: secret \"openshift-image-registry/image-registry-private-configuration-user\" does not contain required key \"REGISTRY_STORAGE_S3_SECRETKEY\"",
        ),
    )
    .await;

    secrets
        .patch(
            "image-registry-private-configuration-user",
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData": {"REGISTRY_STORAGE_S3_SECRETKEY": "s3cr3t"}})),
        )
        .await
        .expect("add the secret key");
    let data = wait_for("image-registry-private-configuration", || async move {
        let derived = secrets.get_opt("image-registry-private-configuration").await?;
        Ok(derived.and_then(|s| s.data).filter(|d| d.contains_key("credentials")))
    })
    .await;
    assert_eq!(data.keys().collect::<Vec<_>>(), ["credentials"], "derived, not copied");
    assert_eq!(
        String::from_utf8_lossy(&data["credentials"].0),
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n"
    );
    let config = wait_for("status.storage.s3", || async move {
        let config = config(client).await;
        Ok((config["status"]["storage"]["s3"]["bucket"] == json!("b")).then_some(config))
    })
    .await;
    assert_eq!(config["spec"]["storage"]["managementState"], json!("Unmanaged"));
    assert_eq!(config["status"]["storage"]["s3"]["bucket"], json!("b"));
}

#[tokio::test]
async fn removed_tears_down_and_deletes_only_managed_storage() {
    let (client, _guard) = setup().await;
    let client = &client;
    let pvcs: &Api<PersistentVolumeClaim> = &Api::namespaced(client.clone(), NS);
    patch_spec(client, json!({"managementState": "Managed", "storage": {"pvc": {"claim": ""}}, "defaultRoute": true}))
        .await;
    wait_until("managed PVC in status.storage", || async move {
        let config = config(client).await;
        Ok(config["status"]["storage"]["pvc"]["claim"] == json!("image-registry-storage")
            && Api::<DynamicObject>::namespaced_with(client.clone(), NS, &route_resource())
                .get_opt("default-route")
                .await?
                .is_some())
    })
    .await;

    patch_spec(client, json!({"managementState": "Removed"})).await;
    let removed = wait_cond(client, "Progressing", ("False", "Removed", "All registry resources are removed")).await;
    assert_eq!(removed["status"]["storage"], json!({}));
    assert_eq!(removed["status"]["storageManaged"], json!(false));
    assert!(Api::<Service>::namespaced(client.clone(), NS).get_opt("image-registry").await.expect("get").is_none());
    let routes: &Api<DynamicObject> = &Api::namespaced_with(client.clone(), NS, &route_resource());
    assert!(routes.get_opt("default-route").await.expect("get").is_none());
    wait_until("managed PVC deleted", || async move { Ok(pvcs.get_opt("image-registry-storage").await?.is_none()) })
        .await;

    // The user's own PVC, named and Unmanaged, survives Removed.
    let mine: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "nfs-claim"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }))
    .expect("PVC");
    pvcs.create(&PostParams::default(), &mine).await.expect("create user PVC");
    patch_spec(
        client,
        json!({"managementState": "Managed", "storage": {"pvc": {"claim": "nfs-claim"}, "managementState": null}}),
    )
    .await;
    let applied = wait_for("named claim applied", || async move {
        let config = config(client).await;
        Ok((config["status"]["storage"]["pvc"]["claim"] == json!("nfs-claim")).then_some(config))
    })
    .await;
    // A named claim is the user's: the operator writes storage.managementState Unmanaged.
    assert_eq!(applied["spec"]["storage"]["managementState"], json!("Unmanaged"));
    assert_eq!(applied["status"]["storageManaged"], json!(false));
    patch_spec(client, json!({"managementState": "Removed"})).await;
    wait_cond(client, "Progressing", ("False", "Removed", "All registry resources are removed")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(pvcs.get_opt("nfs-claim").await.expect("get").is_some(), "Unmanaged storage is kept");
}

#[tokio::test]
async fn unmanaged_leaves_resources_alone() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"emptyDir": {}}, "replicas": 1})).await;
    wait_cond(client, "Available", ("True", "Ready", "The registry is ready")).await;
    patch_spec(client, json!({"managementState": "Unmanaged", "replicas": 2})).await;
    let message = "The registry configuration is set to unmanaged mode";
    let config = wait_cond(client, "Available", ("True", "Unmanaged", message)).await;
    assert_eq!(cond(&config, "Progressing"), owned(("False", "Unmanaged", message)));
    assert_eq!(cond(&config, "Degraded"), owned(("False", "Unmanaged", message)));

    let deployments: &Api<Deployment> = &Api::namespaced(client.clone(), NS);
    deployments
        .patch("image-registry", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 3}})))
        .await
        .expect("edit the deployment by hand");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let d = deployments.get("image-registry").await.expect("deployment");
    assert_eq!(d.spec.and_then(|s| s.replicas), Some(3), "neither spec.replicas nor the hand edit is reconciled");
}

#[tokio::test]
async fn pruner_cronjob_follows_imagepruner_and_registry_hostname() {
    let (client, _guard) = setup().await;
    let client = &client;
    let cronjobs: &Api<CronJob> = &Api::namespaced(client.clone(), NS);
    let args = |cj: &CronJob| -> Vec<String> {
        cj.spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.template.spec.as_ref())
            .and_then(|p| p.containers[0].args.clone())
            .unwrap_or_default()
    };
    // Removed: no Service, no internalRegistryHostname, so blobs are not pruned.
    let cj = wait_for("CronJob image-pruner without blob pruning", || async move {
        Ok(cronjobs.get_opt("image-pruner").await?.filter(|cj| args(cj).contains(&"--prune-registry=false".to_owned())))
    })
    .await;
    let spec = cj.spec.clone().expect("spec");
    assert_eq!(spec.schedule, "0 0 * * *");
    assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"));
    assert!(args(&cj).contains(&"--keep-tag-revisions=3".to_owned()));
    let pruner = get_json(client, image_pruner_resource(), "cluster").await;
    assert_eq!(cond(&pruner, "Available"), owned(("True", "AsExpected", "Pruner CronJob has been created")));
    assert_eq!(cond(&pruner, "Scheduled"), owned(("True", "Scheduled", "The pruner job has been scheduled")));
    assert_eq!(cond(&pruner, "Degraded"), owned(("False", "AsExpected", "")));
    let co = wait_co_where(client, "pruner conditions in the ClusterOperator", |co| {
        cond(co, "Available").2.contains("ImagePrunerAvailable: Pruner CronJob has been created")
    })
    .await;
    assert!(
        cond(&co, "Available").2.contains("ImagePrunerAvailable: Pruner CronJob has been created"),
        "pruner conditions join the ClusterOperator: {:?}",
        cond(&co, "Available")
    );

    let pruners: Api<DynamicObject> = Api::all_with(client.clone(), &image_pruner_resource());
    pruners
        .patch(
            "cluster",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"suspend": true, "schedule": "*/5 * * * *", "keepTagRevisions": 5}})),
        )
        .await
        .expect("patch imagepruners/cluster");
    let cj = wait_for("suspended CronJob", || async move {
        Ok(cronjobs.get_opt("image-pruner").await?.filter(|cj| cj.spec.as_ref().and_then(|s| s.suspend) == Some(true)))
    })
    .await;
    assert_eq!(cj.spec.as_ref().map(|s| s.schedule.as_str()), Some("*/5 * * * *"));
    assert!(args(&cj).contains(&"--keep-tag-revisions=5".to_owned()));
    wait_until("Scheduled=False Suspended", || async move {
        let pruner = get_json(client, image_pruner_resource(), "cluster").await;
        Ok(cond(&pruner, "Scheduled") == owned(("False", "Suspended", "The pruner job has been suspended")))
    })
    .await;

    // With the Service, images.config has the internal hostname and blobs are pruned.
    patch_spec(client, json!({"managementState": "Managed", "storage": {"emptyDir": {}}})).await;
    wait_until("blob pruning against the internal registry", || async move {
        let cj = cronjobs.get("image-pruner").await?;
        let args = args(&cj);
        Ok(args.contains(&"--prune-registry=true".to_owned())
            && args.contains(&"--registry-url=https://image-registry.openshift-image-registry.svc:5000".to_owned()))
    })
    .await;
}

#[tokio::test]
async fn a_route_not_admitted_degrades_the_registry() {
    let (client, _guard) = setup().await;
    let client = &client;
    patch_spec(client, json!({"managementState": "Managed", "storage": {"emptyDir": {}}, "defaultRoute": true})).await;
    wait_cond(client, "Available", ("True", "Ready", "The registry is ready")).await;
    let routes: &Api<DynamicObject> = &Api::namespaced_with(client.clone(), NS, &route_resource());
    wait_until("default-route admitted by the router stand-in", || async move {
        let route = serde_json::to_value(routes.get("default-route").await?)?;
        Ok(route["status"]["ingress"][0]["conditions"][0]["status"] == json!("True"))
    })
    .await;
    // What a router writes when another route already holds the host.
    let host = format!("default-route-openshift-image-registry.{DOMAIN}");
    routes
        .patch_status(
            "default-route",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"ingress": [{
                "host": host, "routerName": "default", "wildcardPolicy": "None",
                "conditions": [{"type": "Admitted", "status": "False", "reason": "HostAlreadyClaimed",
                                "message": "route b already exposes this host",
                                "lastTransitionTime": "2026-01-01T00:00:00Z"}],
            }]}})),
        )
        .await
        .expect("patch route status");
    let message =
        format!("route default-route (host {host}, router default) not admitted: route b already exposes this host");
    wait_cond(client, "Degraded", ("True", "RouteDegraded", &message)).await;
    wait_co(client, "Degraded", ("True", "RouteDegraded", &format!("Degraded: {message}"))).await;
}
