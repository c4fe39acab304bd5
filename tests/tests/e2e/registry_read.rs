//! The registry read model (`GET /api/v1/registry`), the redacted object and
//! YAML views, and the live event stream, through the real console against
//! the shared test cluster and its operator simulator, as the test users.
//! API only: the console serves no app here.

use std::time::{Duration, Instant};

use e2e::cluster::{Cluster, Endpoint, User};
use e2e::console::Console;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const NS: &str = "openshift-image-registry";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Held by the tests that open event streams as the admin, so that one test
/// can count the API server's open watches.
static ADMIN_STREAMS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn configs(client: kube::Client) -> Api<DynamicObject> {
    Api::all_with(client, &resource("imageregistry.operator.openshift.io", "v1", "Config", "configs"))
}

fn infrastructures(client: kube::Client) -> Api<DynamicObject> {
    Api::all_with(client, &resource("config.openshift.io", "v1", "Infrastructure", "infrastructures"))
}

fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// The console (API only) against the shared cluster.
struct Env {
    console: Console,
    endpoint: Endpoint,
    http: reqwest::Client,
    _web_root: tempfile::TempDir,
}

impl Env {
    async fn start() -> Self {
        let cluster = Cluster::shared().await;
        let endpoint = cluster.endpoint();
        let web_root = tempfile::tempdir().expect("temp dir as an empty web root");
        let console = Console::with_cluster(web_root.path(), &endpoint).await;
        let http = reqwest::Client::builder().build().expect("HTTP client");
        Self { console, endpoint, http, _web_root: web_root }
    }

    fn get(&self, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.http.get(self.console.url(path)).timeout(REQUEST_TIMEOUT);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET path` as `user`: status and JSON body.
    async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Option<String>, Value) {
        let response = self.get(path, token).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let body = response.text().await.unwrap_or_else(|e| panic!("GET {path}: body: {e}"));
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"));
        (status, content_type, json)
    }

    async fn view(&self, user: User) -> Value {
        self.view_with(self.endpoint.token(user)).await
    }

    async fn view_with(&self, token: &str) -> Value {
        let (status, _, view) = self.get_json("/api/v1/registry", Some(token)).await;
        assert_eq!(status, 200, "GET /api/v1/registry: {view:#}");
        view
    }
}

fn state(view: &Value, section: &str) -> String {
    view[section]["state"].as_str().unwrap_or_else(|| panic!("section {section} has no state: {view:#}")).to_owned()
}

fn condition<'a>(conditions: &'a Value, type_: &str) -> &'a Value {
    conditions
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == type_))
        .unwrap_or_else(|| panic!("no condition {type_} in {conditions:#}"))
}

#[tokio::test]
async fn admin_sees_the_seeded_bare_metal_registry() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let view = env.view(User::Admin).await;

    let fetched_at = view["fetchedAt"].as_str().unwrap_or_default();
    assert!(fetched_at.len() == 20 && fetched_at.ends_with('Z') && fetched_at.starts_with("20"), "{fetched_at}");
    assert_eq!(view["readOnly"], false, "{view:#}");

    assert_eq!(state(&view, "config"), "ok", "{view:#}");
    let config = &view["config"]["data"];
    assert_eq!(config["managementState"], "Removed");
    assert_eq!(config["replicas"], 1);
    assert_eq!(config["rolloutStrategy"], "RollingUpdate");
    assert_eq!(config["logLevel"], "Normal");
    assert_eq!(config["defaultRoute"], false);
    assert_eq!(config["storage"]["providers"], json!([]), "no storage: {config:#}");
    assert!(config["storage"].get("provider").is_none(), "{config:#}");
    assert_eq!(config["storage"]["managed"], false);
    let available = condition(&config["conditions"], "Available");
    assert_eq!((&available["status"], &available["reason"]), (&json!("True"), &json!("Removed")), "{available:#}");
    assert_eq!(available["explanation"], "reason.removed");
    assert_eq!(condition(&config["conditions"], "Progressing")["explanation"], "reason.removed");
    assert!(available["lastTransitionTime"].as_str().is_some_and(|time| !time.is_empty()));

    assert_eq!(state(&view, "storage"), "ok");
    assert!(view["storage"]["data"].get("provider").is_none() && view["storage"]["data"].get("claim").is_none());

    assert_eq!(state(&view, "clusterOperator"), "ok");
    let operator = &view["clusterOperator"]["data"];
    let available = condition(&operator["conditions"], "Available");
    assert_eq!(available["status"], "True");
    assert_eq!(available["reasons"], json!([{"reason": "AsExpected", "explanation": "reason.as_expected"}]));
    assert!(
        available["messages"]
            .as_array()
            .is_some_and(|lines| lines.iter().any(|l| l == "Available: The registry is removed")),
        "{available:#}"
    );
    assert_eq!(condition(&operator["conditions"], "Degraded")["status"], "False");
    assert_eq!(operator["versions"], json!([{"name": "operator", "version": "4.20.0"}]));

    assert_eq!(state(&view, "pruner"), "ok");
    let pruner = &view["pruner"]["data"];
    assert_eq!(pruner["schedule"], "0 0 * * *");
    assert_eq!(pruner["timeZone"], "UTC");
    let runs = pruner["nextRunsUtc"].as_array().cloned().unwrap_or_default();
    assert_eq!(runs.len(), 3, "{pruner:#}");
    assert!(runs.iter().all(|run| run.as_str().is_some_and(|run| run.ends_with("T00:00:00Z"))), "{runs:?}");
    assert_eq!((&pruner["suspend"], &pruner["keepTagRevisions"]), (&json!(false), &json!(3)));
    assert_eq!(pruner["keepYoungerThanDuration"], "60m");
    assert_eq!(condition(&pruner["conditions"], "Scheduled")["explanation"], "reason.pruner_scheduled");
    assert_eq!(pruner["cronJob"]["state"], "ok", "the simulator makes CronJob image-pruner: {pruner:#}");

    assert_eq!(state(&view, "cluster"), "ok");
    assert_eq!(view["cluster"]["data"], json!({"platform": "None", "controlPlaneTopology": "HighlyAvailable"}));

    // Removed: no Deployment, no routes, no internal host name, no additional CAs.
    assert_eq!(state(&view, "deployment"), "absent", "{view:#}");
    assert_eq!(state(&view, "pods"), "ok");
    assert_eq!(view["pods"]["data"], json!([]));
    assert_eq!(state(&view, "routes"), "ok");
    assert_eq!(view["routes"]["data"]["hostnames"]["state"], "ok");
    assert!(view["routes"]["data"]["hostnames"]["data"].get("internalRegistryHostname").is_none(), "{view:#}");
    assert_eq!(state(&view, "trustedCas"), "ok");
    assert_eq!(view["trustedCas"]["data"]["entries"], json!([]));
}

#[tokio::test]
async fn nobody_gets_forbidden_parts_and_no_token_gets_401() {
    let env = Env::start().await;
    let view = env.view(User::Nobody).await;
    for section in [
        "config",
        "clusterOperator",
        "storage",
        "routes",
        "trustedCas",
        "pruner",
        "pods",
        "deployment",
        "nodeCa",
        "cluster",
    ] {
        assert_eq!(state(&view, section), "forbidden", "{section}: {view:#}");
        assert!(view[section].get("data").is_none(), "{section}: {view:#}");
        assert!(view[section]["message"].as_str().is_some_and(|m| m.contains("forbidden")), "{section}: {view:#}");
    }

    for path in ["/api/v1/registry", "/api/v1/registry/events", "/api/v1/registry/objects?apiVersion=v1&kind=Pod"] {
        let (status, content_type, problem) = env.get_json(path, None).await;
        assert_eq!(status, 401, "{path}: {problem:#}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{path}");
        assert_eq!(problem["status"], 401, "{path}");
    }
    let (status, _, problem) = env.get_json("/api/v1/registry", Some("not-a-valid-token")).await;
    assert_eq!(status, 401, "a token the API server refuses: {problem:#}");
}

/// A reader of the cluster-scoped registry objects (the auditor's ClusterRole)
/// without any right in `openshift-image-registry`: only the namespaced parts
/// degrade. A service account of team-a, with a minted token.
#[tokio::test]
async fn a_403_on_some_objects_degrades_only_their_parts() {
    let cluster = Cluster::shared().await;
    let env = Env::start().await;
    let admin = cluster.client(User::Admin).await;
    let name = unique("cluster-reader");
    let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), "team-a");
    let account: ServiceAccount = serde_json::from_value(json!({"metadata": {"name": name}})).expect("SA");
    accounts.create(&PostParams::default(), &account).await.expect("create the service account");
    let bindings: Api<ClusterRoleBinding> = Api::all(admin.clone());
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "registry-console-auditor"},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": "team-a"}]
    }))
    .expect("binding");
    bindings.create(&PostParams::default(), &binding).await.expect("bind the auditor's ClusterRole");
    let request = http::Request::post(format!("/api/v1/namespaces/team-a/serviceaccounts/{name}/token"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&json!({"spec": {"expirationSeconds": 600}})).expect("body"))
        .expect("token request");
    let token: Value = admin.request(request).await.expect("mint a token");
    let token = token["status"]["token"].as_str().expect("token in the answer").to_owned();

    // RBAC bindings take effect at once, but give the authorizer's cache a moment.
    let started = Instant::now();
    let view = loop {
        let view = env.view_with(&token).await;
        if state(&view, "config") == "ok" || started.elapsed() > Duration::from_secs(20) {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for section in ["config", "clusterOperator", "storage", "routes", "trustedCas", "pruner", "cluster"] {
        assert_eq!(state(&view, section), "ok", "{section}: {view:#}");
    }
    for section in ["pods", "deployment", "nodeCa"] {
        assert_eq!(state(&view, section), "forbidden", "{section}: {view:#}");
    }
    // Inside a readable part, only the unreadable object degrades.
    assert_eq!(view["pruner"]["data"]["cronJob"]["state"], "forbidden", "{view:#}");
    assert_eq!(view["pruner"]["data"]["schedule"], "0 0 * * *");
    assert!(view["config"]["data"]["managementState"].is_string());

    // The developer may read team-a only: everything is forbidden, still a 200.
    let view = env.view(User::Developer).await;
    assert_eq!(state(&view, "config"), "forbidden", "{view:#}");
    assert_eq!(state(&view, "pods"), "forbidden", "{view:#}");

    let _ = bindings.delete(&name, &DeleteParams::default()).await;
    let _ = accounts.delete(&name, &DeleteParams::default()).await;
}

#[tokio::test]
async fn a_missing_registry_config_is_absent_not_an_error() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let configs = configs(cluster.client(User::Admin).await);
    // The operator's finalizer would keep the object (REFERENCE §1); the simulator adds none, but be sure.
    let config = configs.get("cluster").await.expect("configs/cluster");
    if config.metadata.finalizers.as_ref().is_some_and(|finalizers| !finalizers.is_empty()) {
        let patch = json!({"metadata": {"finalizers": null}});
        configs.patch("cluster", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("drop the finalizers");
    }
    configs.delete("cluster", &DeleteParams::default()).await.expect("delete configs/cluster");
    let started = Instant::now();
    while configs.get_opt("cluster").await.expect("get configs/cluster").is_some() {
        assert!(started.elapsed() < Duration::from_secs(20), "configs/cluster was not deleted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let view = env.view(User::Admin).await;
    assert_eq!(state(&view, "config"), "absent", "{view:#}");
    let message = view["config"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("has not bootstrapped the registry yet"), "{message}");
    assert_eq!(state(&view, "storage"), "absent");
    // The other parts are unaffected.
    assert_eq!(state(&view, "clusterOperator"), "ok");
    assert_eq!(state(&view, "pruner"), "ok");
    assert_eq!(state(&view, "cluster"), "ok");

    cluster.reset().await;
}

#[tokio::test]
async fn an_external_control_plane_makes_the_view_read_only() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let infrastructures = infrastructures(cluster.client(User::Admin).await);
    let patch = json!({"status": {"controlPlaneTopology": "External"}});
    infrastructures
        .patch_status("cluster", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch infrastructures/cluster status");

    let view = env.view(User::Admin).await;
    assert_eq!(view["readOnly"], true, "{view:#}");
    assert_eq!(view["readOnlyReason"], "managed-control-plane");
    assert_eq!(view["cluster"]["data"]["controlPlaneTopology"], "External");
    assert_eq!(state(&view, "config"), "ok");

    cluster.reset().await;
    let view = env.view(User::Admin).await;
    assert_eq!(view["readOnly"], false, "after the reset: {view:#}");
    assert!(view.get("readOnlyReason").is_none());
}

#[tokio::test]
async fn object_views_redact_secrets_and_refuse_unknown_kinds() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let admin = cluster.client(User::Admin).await;
    let token = env.endpoint.token(User::Admin);

    let http_secret = "e2e-http-secret-0123456789abcdef";
    let patch = json!({"spec": {"httpSecret": http_secret}});
    configs(admin.clone())
        .patch("cluster", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("set httpSecret");
    let path = "/api/v1/registry/objects?apiVersion=imageregistry.operator.openshift.io/v1&kind=Config&name=cluster";
    let (status, _, body) = env.get_json(path, Some(token)).await;
    assert_eq!(status, 200, "{body:#}");
    let shown = body["object"]["spec"]["httpSecret"].as_str().unwrap_or_default();
    assert!(shown.starts_with("<redacted sha256:"), "{shown}");
    let yaml = body["yaml"].as_str().unwrap_or_default();
    assert!(yaml.contains("kind: Config\n") && yaml.contains("  managementState: Removed\n"), "{yaml}");
    assert!(
        yaml.contains(&format!("  httpSecret: {shown:?}\n")) || yaml.contains(&format!("  httpSecret: {shown}\n")),
        "{yaml}"
    );
    assert!(!yaml.contains(http_secret) && !body.to_string().contains(http_secret), "the secret leaked: {yaml}");
    assert!(!body.to_string().contains("managedFields"));

    let secret_name = unique("e2e-read-secret");
    let value = "s3cr3t-value-never-shown";
    let secrets: Api<Secret> = Api::namespaced(admin.clone(), NS);
    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": secret_name}, "stringData": {"REGISTRY_STORAGE_S3_SECRETKEY": value}}),
    )
    .expect("secret");
    secrets.create(&PostParams::default(), &secret).await.expect("create the secret");
    let path = format!("/api/v1/registry/objects?apiVersion=v1&kind=Secret&namespace={NS}&name={secret_name}");
    let (status, _, body) = env.get_json(&path, Some(token)).await;
    let _ = secrets.delete(&secret_name, &DeleteParams::default()).await;
    assert_eq!(status, 200, "{body:#}");
    let shown = body["object"]["data"]["REGISTRY_STORAGE_S3_SECRETKEY"].as_str().unwrap_or_default();
    assert!(shown.starts_with("<redacted sha256:") && shown.len() == "<redacted sha256:>".len() + 12, "{shown}");
    let text = body.to_string();
    assert!(!text.contains(value) && !text.contains("czNjcjN0"), "the secret leaked: {text}");
    assert!(body["yaml"].as_str().is_some_and(|yaml| yaml.contains(&format!("name: {secret_name}\n"))), "{body:#}");

    // A Secret the caller may not read is the API server's 403, passed on.
    let (status, content_type, problem) = env.get_json(&path, Some(env.endpoint.token(User::Nobody))).await;
    assert_eq!((status, content_type.as_deref()), (403, Some("application/problem+json")), "{problem:#}");

    let (status, content_type, problem) =
        env.get_json("/api/v1/registry/objects?apiVersion=v1&kind=Banana&name=x", Some(token)).await;
    assert_eq!((status, content_type.as_deref()), (400, Some("application/problem+json")), "{problem:#}");
    assert_eq!(problem["errors"][0]["field"], "kind", "{problem:#}");
    assert!(problem["detail"].as_str().is_some_and(|detail| detail.contains("Banana")), "{problem:#}");

    let (status, _, problem) =
        env.get_json("/api/v1/registry/objects?apiVersion=v1&kind=Secret&name=x", Some(token)).await;
    assert_eq!(status, 400, "{problem:#}");
    assert_eq!(problem["errors"][0]["field"], "namespace", "{problem:#}");
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
struct Event {
    id: Option<String>,
    event: String,
    data: Value,
}

/// Reads an event stream, event by event, with a deadline on every wait.
struct Sse {
    response: reqwest::Response,
    buffer: Vec<u8>,
    seen: Vec<Event>,
}

impl Sse {
    async fn connect(env: &Env, last_event_id: Option<&str>) -> Sse {
        let mut request =
            env.http.get(env.console.url("/api/v1/registry/events")).bearer_auth(env.endpoint.token(User::Admin));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = tokio::time::timeout(REQUEST_TIMEOUT, request.send())
            .await
            .expect("the event stream answers in time")
            .expect("connect to the event stream");
        assert_eq!(response.status().as_u16(), 200);
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("content-type"), "text/event-stream");
        assert_eq!(header("cache-control"), "no-cache");
        assert_eq!(header("x-accel-buffering"), "no");
        Sse { response, buffer: Vec::new(), seen: Vec::new() }
    }

    /// The next event (comments and `retry:` lines skipped).
    async fn next(&mut self, deadline: tokio::time::Instant) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8_lossy(&block).into_owned();
                let mut event = Event { id: None, event: "message".into(), data: Value::Null };
                let mut has_data = false;
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.to_owned());
                    } else if let Some(name) = line.strip_prefix("event: ") {
                        event.event = name.to_owned();
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data = serde_json::from_str(data)
                            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
                        has_data = true;
                    }
                }
                if has_data {
                    self.seen.push(event.clone());
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            let chunk = chunk.expect("read the event stream").expect("the event stream ended");
            self.buffer.extend_from_slice(&chunk);
        }
    }

    async fn wait_for(&mut self, what: &str, matches: impl Fn(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        while let Some(event) = self.next(deadline).await {
            if matches(&event) {
                return event;
            }
        }
        panic!("timed out waiting for {what}; events seen: {:#?}", self.seen);
    }
}

fn rv(event: &Event) -> u64 {
    event.data["resourceVersion"].as_str().and_then(|rv| rv.parse().ok()).unwrap_or_default()
}

fn is_config_change(event: &Event) -> bool {
    event.event == "change" && event.data["kind"] == "Config" && event.data["name"] == "cluster"
}

#[tokio::test]
async fn the_event_stream_reports_changes_and_resumes_from_last_event_id() {
    let _streams = ADMIN_STREAMS.lock().await;
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let configs = configs(cluster.client(User::Admin).await);

    let mut stream = Sse::connect(&env, None).await;
    let ready = stream.wait_for("event: ready", |event| event.event == "ready").await;
    assert!(ready.id.is_some(), "{ready:?}");
    let watched: Vec<&str> = ready.data["watches"]
        .as_array()
        .map(|watches| watches.iter().filter_map(|watch| watch["kind"].as_str()).collect())
        .unwrap_or_default();
    for kind in ["Config", "ClusterOperator", "ImagePruner", "Image", "Pod", "Deployment", "DaemonSet", "Route"] {
        assert!(watched.contains(&kind), "{kind} is not watched: {ready:?}");
    }
    assert_eq!(ready.data["degraded"], json!([]), "the admin may watch everything: {ready:?}");

    let patch = json!({"spec": {"logLevel": "Debug"}});
    let patched =
        configs.patch("cluster", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("patch logLevel");
    let patched_rv: u64 =
        patched.metadata.resource_version.as_deref().and_then(|rv| rv.parse().ok()).unwrap_or_default();
    let first = stream
        .wait_for("the change of configs/cluster", |event| is_config_change(event) && rv(event) >= patched_rv)
        .await;
    assert_eq!(first.data["type"], "MODIFIED", "{first:?}");
    assert!(first.data.get("namespace").is_some(), "{first:?}");
    let first_id = first.id.clone().expect("a change has an id");
    drop(stream);

    // Resume: nothing up to the first change again, and the next change arrives.
    let mut resumed = Sse::connect(&env, Some(&first_id)).await;
    let ready = resumed.wait_for("event: ready after resuming", |event| event.event == "ready").await;
    assert_eq!(ready.data["degraded"], json!([]), "{ready:?}");
    let patch = json!({"spec": {"logLevel": "Trace"}});
    let patched =
        configs.patch("cluster", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("patch logLevel");
    let patched_rv: u64 =
        patched.metadata.resource_version.as_deref().and_then(|rv| rv.parse().ok()).unwrap_or_default();
    let second = resumed
        .wait_for("the second change of configs/cluster", |event| is_config_change(event) && rv(event) >= patched_rv)
        .await;
    assert!(second.id.is_some() && second.id != first.id, "{second:?}");
    let replayed: Vec<&Event> = resumed
        .seen
        .iter()
        .filter(|event| event.event == "change" && rv(event) > 0 && rv(event) <= rv(&first))
        .collect();
    assert!(replayed.is_empty(), "changes up to the Last-Event-ID were sent again: {replayed:#?}");
    assert!(!resumed.seen.iter().any(|event| event.event == "resync"), "{:#?}", resumed.seen);
}

/// A self-signed CA (`CN=registry.example.com, O=E2E`), valid until 2046-11-21T14:15:13Z.
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBrjCCAVWgAwIBAgIUa+xzZ8DzJpudFX0IkvD/AXQntv8wCgYIKoZIzj0EAwIw
LTEdMBsGA1UEAwwUcmVnaXN0cnkuZXhhbXBsZS5jb20xDDAKBgNVBAoMA0UyRTAe
Fw0yNjExMjYxNDE1MTNaFw00NjExMjExNDE1MTNaMC0xHTAbBgNVBAMMFHJlZ2lz
dHJ5LmV4YW1wbGUuY29tMQwwCgYDVQQKDANFMkUwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQtxOzzjykNpLizC2HtnEO/8N9Ga2WPF0DeAUZZncx9IgeGx/G7xZHr
KQls2WZe1FytlrtvRgFrQ3kClKL9WTjQo1MwUTAdBgNVHQ4EFgQUiLgS0C1y5Mph
nhRf8/5/Hjb4ka0wHwYDVR0jBBgwFoAUiLgS0C1y5MphnhRf8/5/Hjb4ka0wDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBpY7yLGH74yTCuoF3OuaCg
fJZUuyQIbZ4H7xxscUny4wIgHW49kQbuK9D9GoQbqeqJJ0FUhMEpKfIJgkdx3Ids
FLs=
-----END CERTIFICATE-----
";

#[tokio::test]
async fn trusted_cas_show_each_registry_with_its_certificate_expiry() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let admin = cluster.client(User::Admin).await;
    let name = unique("e2e-trusted-cas");
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(admin.clone(), "openshift-config");
    let config_map = serde_json::from_value(json!({
        "metadata": {"name": name},
        "data": {"registry.example.com..5000": TEST_CA, "broken.example.com": "not a certificate"}
    }))
    .expect("ConfigMap");
    config_maps.create(&PostParams::default(), &config_map).await.expect("create the CA ConfigMap");
    let images: Api<DynamicObject> =
        Api::all_with(admin.clone(), &resource("config.openshift.io", "v1", "Image", "images"));
    let patch = json!({"spec": {"additionalTrustedCA": {"name": name}}});
    images.patch("cluster", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("point images.config at it");

    let view = env.view(User::Admin).await;
    let _ = config_maps.delete(&name, &DeleteParams::default()).await;
    cluster.reset().await;
    assert_eq!(state(&view, "trustedCas"), "ok", "{view:#}");
    let cas = &view["trustedCas"]["data"];
    assert_eq!(cas["configMap"], json!(name));
    assert_eq!(cas["configMapState"], "ok");
    let entries = cas["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2, "{cas:#}");
    let broken = entries.iter().find(|e| e["key"] == "broken.example.com").expect("the broken entry");
    assert_eq!(broken["hostPort"], "broken.example.com");
    assert!(
        broken["error"].as_str().is_some_and(|e| !e.is_empty()) && broken["certificates"] == json!([]),
        "{broken:#}"
    );
    let good = entries.iter().find(|e| e["key"] == "registry.example.com..5000").expect("the registry's entry");
    assert_eq!(good["hostPort"], "registry.example.com:5000");
    let certificate = &good["certificates"][0];
    assert!(certificate["subject"].as_str().is_some_and(|s| s.contains("CN=registry.example.com")), "{good:#}");
    assert_eq!(certificate["notAfter"], "2046-11-21T14:15:13Z");
    assert!(certificate["daysLeft"].as_i64().is_some_and(|days| (7000..7400).contains(&days)), "{certificate:#}");
}

#[tokio::test]
async fn a_managed_registry_shows_its_claim_routes_and_workloads() {
    let cluster = Cluster::shared().await;
    let _singletons = cluster.singletons().await;
    let env = Env::start().await;
    let configs = configs(cluster.client(User::Admin).await);
    let patch =
        json!({"spec": {"managementState": "Managed", "storage": {"pvc": {"claim": ""}}, "defaultRoute": true}});
    configs.patch("cluster", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("manage the registry");

    let started = Instant::now();
    let ready = |view: &Value| {
        view["storage"]["data"]["claim"]["state"] == "ok"
            && view["deployment"]["state"] == "ok"
            && view["pods"]["data"].as_array().is_some_and(|pods| !pods.is_empty())
            && view["routes"]["data"]["routes"].as_array().is_some_and(|routes| !routes.is_empty())
            && view["routes"]["data"]["hostnames"]["data"]["internalRegistryHostname"].is_string()
    };
    let view = loop {
        let view = env.view(User::Admin).await;
        if ready(&view) {
            break view;
        }
        assert!(started.elapsed() < Duration::from_secs(40), "the managed registry did not show up: {view:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    cluster.reset().await;

    let storage = &view["storage"]["data"];
    assert_eq!(storage["provider"], "pvc", "{storage:#}");
    assert_eq!((&storage["managed"], &storage["managementState"]), (&json!(true), &json!("Managed")), "{storage:#}");
    let claim = &storage["claim"]["data"];
    assert_eq!(claim["name"], "image-registry-storage");
    assert_eq!(claim["accessModes"], json!(["ReadWriteMany"]), "{claim:#}");
    assert_eq!(claim["capacity"], "100Gi", "{claim:#}");
    assert!(claim["phase"].is_string(), "{claim:#}");
    assert_eq!(view["config"]["data"]["storage"]["provider"], "pvc");

    let routes = view["routes"]["data"]["routes"].as_array().cloned().unwrap_or_default();
    let default_route = routes.iter().find(|r| r["name"] == "default-route").expect("default-route");
    assert_eq!(default_route["host"], "default-route-openshift-image-registry.apps.cluster.example.com");
    assert_eq!(
        (&default_route["tlsTermination"], &default_route["operatorOwned"]),
        (&json!("reencrypt"), &json!(true))
    );
    let hostnames = &view["routes"]["data"]["hostnames"]["data"];
    assert_eq!(hostnames["internalRegistryHostname"], "image-registry.openshift-image-registry.svc:5000");

    assert_eq!(view["deployment"]["data"]["desired"], 1, "{view:#}");
    let pods = view["pods"]["data"].as_array().cloned().unwrap_or_default();
    assert!(pods.iter().all(|pod| pod["name"].as_str().is_some_and(|n| n.starts_with("image-registry-"))), "{pods:#?}");
    assert!(pods.iter().all(|pod| pod["phase"].is_string() && pod["restarts"].is_i64()), "{pods:#?}");
}

/// Splits raw event-stream text into blocks (events and comments).
async fn read_blocks(response: &mut reqwest::Response, until: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    let mut text = String::new();
    while !until(&text) {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!("the event stream stopped ({other:?}); so far: {text}"),
        }
    }
    text
}

#[tokio::test]
async fn the_event_stream_reports_refused_watches_once_and_sends_heartbeats() {
    let env = Env::start().await;
    let response = env
        .get("/api/v1/registry/events", Some(env.endpoint.token(User::Nobody)))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("connect as nobody");
    assert_eq!(response.status().as_u16(), 200);
    let mut response = response;
    let text = read_blocks(&mut response, |text| text.contains("\n: ping\n")).await;
    assert_eq!(text.matches("event: ready\n").count(), 1, "{text}");
    assert_eq!(text.matches("event: degraded\n").count(), 8, "each refused watch once: {text}");
    assert!(!text.contains("event: change"), "{text}");
    let ready = text.split("\n\n").find(|block| block.contains("event: ready")).unwrap_or_default();
    assert!(ready.contains("id: ") && ready.contains("\"watches\":[]"), "{ready}");
    assert!(text.find("event: ready") < text.find("event: degraded"), "ready comes first: {text}");
}

#[tokio::test]
async fn a_stale_last_event_id_resyncs_that_watch() {
    let _streams = ADMIN_STREAMS.lock().await;
    let env = Env::start().await;
    // resourceVersion 1 is long gone from the API server's watch cache: 410 Gone.
    let stale = registry_console::registry::events::encode_id(&[("Config".to_owned(), "1".to_owned())].into());
    let mut stream = Sse::connect(&env, Some(&stale)).await;
    let resync = stream.wait_for("event: resync for Config", |event| event.event == "resync").await;
    assert_eq!(resync.data["kind"], "Config", "{resync:?}");
    assert!(rv(&resync) > 1, "{resync:?}");
    assert!(stream.seen.iter().any(|event| event.event == "ready"), "{:#?}", stream.seen);
}

/// Open watches on `configs` (kube-apiserver's `apiserver_longrunning_requests` gauge).
async fn open_config_watches(admin: &kube::Client) -> u64 {
    let request = http::Request::get("/metrics").body(Vec::new()).expect("metrics request");
    let metrics = admin.request_text(request).await.expect("the API server's metrics");
    metrics
        .lines()
        .filter(|line| {
            line.starts_with("apiserver_longrunning_requests{")
                && line.contains("resource=\"configs\"")
                && line.contains("verb=\"WATCH\"")
        })
        .filter_map(|line| line.rsplit(' ').next().and_then(|value| value.parse::<f64>().ok()))
        .map(|value| value as u64)
        .sum()
}

/// The count once it has not moved for a second (the simulator's own watches settled).
async fn settled_config_watches(admin: &kube::Client) -> u64 {
    let mut last = open_config_watches(admin).await;
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = open_config_watches(admin).await;
        if now == last || started.elapsed() > Duration::from_secs(20) {
            return now;
        }
        last = now;
    }
}

/// The console notices a client that left at its next heartbeats (a write to
/// a closed connection fails), then drops the stream and with it the watches.
#[tokio::test]
async fn the_watches_end_when_the_client_goes_away() {
    let _streams = ADMIN_STREAMS.lock().await;
    let cluster = Cluster::shared().await;
    let env = Env::start().await;
    let admin = cluster.client(User::Admin).await;
    let before = settled_config_watches(&admin).await;
    let mut stream = Sse::connect(&env, None).await;
    stream.wait_for("event: ready", |event| event.event == "ready").await;
    let during = open_config_watches(&admin).await;
    assert!(during > before, "the stream's watch of configs is not open ({before} → {during})");
    drop(stream);
    let started = Instant::now();
    loop {
        let after = open_config_watches(&admin).await;
        if after <= before {
            // Not just between two watch requests: still closed a moment later.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let later = open_config_watches(&admin).await;
            assert!(later <= before, "the watch came back after the client left ({before} → {later})");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "the watch stayed open after the client left ({before} → {during} → {after})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("the watches ended {:.1} s after the client left", started.elapsed().as_secs_f64());
}
