//! The test cluster itself: real CRD validation, the seeded state, the users'
//! rights through real RBAC, controllers and kwok, crash recovery.

use std::time::{Duration, Instant};

use e2e::cluster::{Cluster, User};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn registry_configs(client: kube::Client) -> Api<DynamicObject> {
    Api::all_with(client, &resource("imageregistry.operator.openshift.io", "v1", "Config", "configs"))
}

/// The API server's refusal, or a panic naming what unexpectedly succeeded.
fn refusal<T: std::fmt::Debug>(result: Result<T, kube::Error>, what: &str) -> Box<kube::core::Status> {
    match result {
        Err(kube::Error::Api(status)) => status,
        other => panic!("{what}: expected the API server to refuse, got {other:?}"),
    }
}

fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[tokio::test]
async fn crd_validation_refuses_an_invalid_management_state_and_log_level() {
    let cluster = Cluster::shared().await;
    // It reads the singleton's value at the end: no other test may change it meanwhile.
    let _singletons = cluster.singletons().await;
    let configs = registry_configs(cluster.client(User::Admin).await);
    let params = PatchParams::default();

    let bad_state = json!({"spec": {"managementState": "Bogus"}});
    let status = refusal(configs.patch("cluster", &params, &Patch::Merge(&bad_state)).await, "managementState Bogus");
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status.message.contains("spec.managementState")
            && status.message.contains("should match '^(Managed|Unmanaged|Force|Removed)$'"),
        "unexpected message: {}",
        status.message
    );

    let bad_level = json!({"spec": {"logLevel": "Loud"}});
    let status = refusal(configs.patch("cluster", &params, &Patch::Merge(&bad_level)).await, "logLevel Loud");
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status.message.contains("spec.logLevel: Unsupported value: \"Loud\"")
            && status.message.contains("\"Normal\", \"Debug\", \"Trace\", \"TraceAll\""),
        "unexpected message: {}",
        status.message
    );

    let config = configs.get("cluster").await.expect("read configs/cluster");
    assert_eq!(config.data["spec"]["managementState"], "Removed", "a refused patch changed nothing");
}

#[tokio::test]
async fn the_seed_is_a_fresh_bare_metal_install_and_reset_restores_it() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let client = cluster.client(User::Admin).await;

    let configs = registry_configs(client.clone());
    let config = configs.get("cluster").await.expect("read configs/cluster");
    assert_eq!(config.data["spec"]["managementState"], "Removed");
    assert_eq!(config.data["spec"]["replicas"], 1);
    assert!(config.data["spec"].get("storage").is_none(), "no storage: {}", config.data["spec"]);
    assert_eq!(config.data["status"]["storage"], json!({}));

    let infra: Api<DynamicObject> =
        Api::all_with(client.clone(), &resource("config.openshift.io", "v1", "Infrastructure", "infrastructures"));
    let infra = infra.get("cluster").await.expect("read infrastructures/cluster");
    assert_eq!(infra.data["status"]["platformStatus"]["type"], "None");
    assert_eq!(infra.data["status"]["controlPlaneTopology"], "HighlyAvailable");

    let ingress: Api<DynamicObject> =
        Api::all_with(client.clone(), &resource("config.openshift.io", "v1", "Ingress", "ingresses"));
    let ingress = ingress.get("cluster").await.expect("read ingresses.config/cluster");
    assert_eq!(ingress.data["spec"]["domain"], "apps.cluster.example.com");

    let operators: Api<DynamicObject> =
        Api::all_with(client.clone(), &resource("config.openshift.io", "v1", "ClusterOperator", "clusteroperators"));
    let operator = operators.get("image-registry").await.expect("read clusteroperators/image-registry");
    let available = operator.data["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Available"))
        .expect("an Available condition");
    assert_eq!(available["status"], "True", "Removed shows Available=True");

    let pruners: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &resource("imageregistry.operator.openshift.io", "v1", "ImagePruner", "imagepruners"),
    );
    let pruner = pruners.get("cluster").await.expect("read imagepruners/cluster");
    assert_eq!(pruner.data["spec"]["schedule"], "0 0 * * *");

    let classes: Api<StorageClass> = Api::all(client.clone());
    let classes = classes.list(&ListParams::default()).await.expect("list storage classes");
    let defaults: Vec<&str> = classes
        .items
        .iter()
        .filter(|c| {
            c.metadata.annotations.as_ref().and_then(|a| a.get("storageclass.kubernetes.io/is-default-class"))
                == Some(&"true".to_owned())
        })
        .filter_map(|c| c.metadata.name.as_deref())
        .collect();
    assert_eq!(defaults, ["standard"], "exactly one default class");
    assert!(classes.items.iter().any(|c| c.metadata.name.as_deref() == Some("nfs-client")));

    let namespaces: Api<Namespace> = Api::all(client.clone());
    for ns in ["openshift-image-registry", "openshift-config", "openshift-config-managed", "team-a"] {
        namespaces.get(ns).await.unwrap_or_else(|e| panic!("namespace {ns}: {e}"));
    }

    // A test's changes to a seeded singleton are undone by reset().
    let change = json!({"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}, "defaultRoute": true}});
    configs.patch("cluster", &PatchParams::default(), &Patch::Merge(&change)).await.expect("patch configs/cluster");
    cluster.reset().await;
    let config = configs.get("cluster").await.expect("read configs/cluster after reset");
    assert_eq!(config.data["spec"]["managementState"], "Removed");
    assert_eq!(config.data["spec"]["defaultRoute"], false);
    assert!(config.data["spec"].get("storage").is_none(), "reset removes storage: {}", config.data["spec"]);
}

#[tokio::test]
async fn nobody_is_refused_reading_the_registry_config() {
    let cluster = Cluster::shared().await;
    let configs = registry_configs(cluster.client(User::Nobody).await);
    let status = refusal(configs.get("cluster").await, "nobody reads configs/cluster");
    assert_eq!(status.code, 403, "{status:?}");
    assert!(status.message.contains("User \"nobody\" cannot get resource \"configs\""), "{}", status.message);
}

#[tokio::test]
async fn the_auditor_reads_but_cannot_write() {
    let cluster = Cluster::shared().await;
    let client = cluster.client(User::Auditor).await;
    let configs = registry_configs(client.clone());
    let config = configs.get("cluster").await.expect("the auditor reads configs/cluster");
    assert_eq!(config.metadata.name.as_deref(), Some("cluster"));

    let change = json!({"spec": {"managementState": "Managed"}});
    let status = refusal(
        configs.patch("cluster", &PatchParams::default(), &Patch::Merge(&change)).await,
        "the auditor patches configs/cluster",
    );
    assert_eq!(status.code, 403, "{status:?}");

    let pods: Api<Pod> = Api::namespaced(client.clone(), "openshift-image-registry");
    pods.list(&ListParams::default()).await.expect("the auditor lists the registry's pods");
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client, "openshift-image-registry");
    let status = refusal(secrets.list(&ListParams::default()).await, "the auditor lists secrets");
    assert_eq!(status.code, 403, "{status:?}");
}

#[tokio::test]
async fn the_developer_writes_in_team_a_only() {
    let cluster = Cluster::shared().await;
    let client = cluster.client(User::Developer).await;
    let name = unique("dev-cm");
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": name},
        "data": {"hello": "world"},
    }))
    .expect("a ConfigMap");

    let team_a: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
    team_a.create(&PostParams::default(), &cm).await.expect("the developer creates a ConfigMap in team-a");
    team_a.delete(&name, &DeleteParams::default()).await.expect("the developer deletes it again");

    let openshift_config: Api<ConfigMap> = Api::namespaced(client.clone(), "openshift-config");
    let status =
        refusal(openshift_config.create(&PostParams::default(), &cm).await, "the developer writes in openshift-config");
    assert_eq!(status.code, 403, "{status:?}");

    let status = refusal(registry_configs(client).get("cluster").await, "the developer reads configs/cluster");
    assert_eq!(status.code, 403, "{status:?}");
}

#[tokio::test]
async fn a_deployment_gets_running_pods_on_the_kwok_node() {
    let cluster = Cluster::shared().await;
    let client = cluster.client(User::Developer).await;
    let name = unique("web");
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1"}]},
            },
        },
    }))
    .expect("a Deployment");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "team-a");
    deployments.create(&PostParams::default(), &deployment).await.expect("create the Deployment");

    let pods: Api<Pod> = Api::namespaced(client.clone(), "team-a");
    let selector = ListParams::default().labels(&format!("app={name}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let running = loop {
        let list = pods.list(&selector).await.expect("list pods");
        let running: Vec<Pod> = list
            .items
            .into_iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .collect();
        if running.len() == 2 {
            break running;
        }
        assert!(Instant::now() < deadline, "2 Running pods within 60 s; have {}", running.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for pod in &running {
        let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        assert_eq!(node, Some("kwok-node-0"), "scheduled to the kwok node");
    }
    deployments.delete(&name, &DeleteParams::default()).await.expect("delete the Deployment");
}

/// image.openshift.io and oauth.openshift.io are CRDs generated from the
/// openshift/api Go types (stand-ins for OpenShift's aggregated APIs): they
/// store objects and validate them against the types' schema.
#[tokio::test]
async fn image_streams_and_oauth_clients_are_served_by_generated_crds() {
    let cluster = Cluster::shared().await;
    let client = cluster.client(User::Admin).await;

    let streams: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "team-a",
        &resource("image.openshift.io", "v1", "ImageStream", "imagestreams"),
    );
    let stream_name = unique("ruby");
    let stream = DynamicObject::new(&stream_name, &resource("image.openshift.io", "v1", "ImageStream", "imagestreams"))
        .within("team-a")
        .data(json!({"spec": {
            "lookupPolicy": {"local": true},
            "tags": [{
                "name": "latest",
                "from": {"kind": "DockerImage", "name": "quay.io/example/ruby:3.3"},
                "referencePolicy": {"type": "Source"},
            }],
        }}));
    streams.create(&PostParams::default(), &stream).await.expect("create an ImageStream in team-a");
    let got = streams.get(&stream_name).await.expect("read the ImageStream back");
    assert_eq!(got.data["spec"]["tags"][0]["from"]["name"], "quay.io/example/ruby:3.3");
    assert_eq!(got.data["spec"]["lookupPolicy"]["local"], true);
    assert!(got.data.get("status").is_none(), "no server fills the status: {}", got.data);

    let nameless_tag =
        DynamicObject::new(&unique("bad"), &resource("image.openshift.io", "v1", "ImageStream", "imagestreams"))
            .within("team-a")
            .data(json!({"spec": {"tags": [{"from": {"kind": "DockerImage", "name": "quay.io/x:1"}}]}}));
    let status = refusal(streams.create(&PostParams::default(), &nameless_tag).await, "a tag without a name");
    assert_eq!(status.code, 422, "{status:?}");
    assert!(status.message.contains("spec.tags[0].name: Required value"), "unexpected message: {}", status.message);

    let oauth_clients: Api<DynamicObject> =
        Api::all_with(client, &resource("oauth.openshift.io", "v1", "OAuthClient", "oauthclients"));
    let client_name = unique("console");
    let oauth_client =
        DynamicObject::new(&client_name, &resource("oauth.openshift.io", "v1", "OAuthClient", "oauthclients")).data(
            json!({
                "secret": "s3cr3t",
                "redirectURIs": ["https://console.example.com/oauth/callback"],
                "grantMethod": "auto",
            }),
        );
    oauth_clients.create(&PostParams::default(), &oauth_client).await.expect("create an OAuthClient");
    let got = oauth_clients.get(&client_name).await.expect("read the OAuthClient back");
    assert_eq!(got.data["redirectURIs"], json!(["https://console.example.com/oauth/callback"]));
    assert_eq!(got.data["grantMethod"], "auto");

    let bad_client =
        DynamicObject::new(&unique("bad"), &resource("oauth.openshift.io", "v1", "OAuthClient", "oauthclients"))
            .data(json!({"redirectURIs": "not-a-list"}));
    let status = refusal(oauth_clients.create(&PostParams::default(), &bad_client).await, "redirectURIs not a list");
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status.message.contains("redirectURIs in body must be of type array"),
        "unexpected message: {}",
        status.message
    );

    streams.delete(&stream_name, &DeleteParams::default()).await.expect("delete the ImageStream");
    oauth_clients.delete(&client_name, &DeleteParams::default()).await.expect("delete the OAuthClient");
}

/// Kills `up` of a private cluster (the shared one serves the other tests
/// meanwhile) and checks that the next use restarts it with its data.
#[tokio::test]
async fn the_fixture_restarts_the_cluster_after_a_crash() {
    let cluster = Cluster::start_private("crash");
    let before = cluster.endpoint();
    let admin = cluster.client(User::Admin).await;
    let marker: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "survives-a-crash"}})).expect("a ConfigMap");
    let configmaps: Api<ConfigMap> = Api::namespaced(admin, "team-a");
    configmaps.create(&PostParams::default(), &marker).await.expect("create the marker");

    let killed =
        std::process::Command::new("kill").args(["-KILL", &before.pid.to_string()]).status().expect("run kill");
    assert!(killed.success(), "kill -KILL {}", before.pid);
    // Dead once it is a zombie (the fixture reaps it) or gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", before.pid)).unwrap_or_default();
        if stat.is_empty() || stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')) {
            break;
        }
        assert!(Instant::now() < deadline, "`up` still alive 10 s after SIGKILL");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let started = Instant::now();
    let admin = cluster.client(User::Admin).await;
    let after = cluster.endpoint();
    eprintln!("restarted after the crash in {:.1} s", started.elapsed().as_secs_f64());
    assert_ne!(after.pid, before.pid, "a new `up` process");

    let configs = registry_configs(admin.clone());
    let config = configs.get("cluster").await.expect("configs/cluster after the restart");
    assert_eq!(config.data["spec"]["managementState"], "Removed");
    let configmaps: Api<ConfigMap> = Api::namespaced(admin.clone(), "team-a");
    configmaps.get("survives-a-crash").await.expect("etcd data survives the crash");
    let nobody = registry_configs(cluster.client(User::Nobody).await);
    assert_eq!(refusal(nobody.get("cluster").await, "nobody after the restart").code, 403);
}
