//! The watch-fed read cache of `GET /api/v1/registry`: a console whose own
//! credential is the auditor's token (read-only on everything the view reads)
//! serves the view from its watches, authorised per caller with
//! SelfSubjectAccessReviews remembered for at most 10 s; compared with a console
//! that reads directly, against the shared test cluster.

use std::time::{Duration, Instant};

use e2e::cluster::{Cluster, Endpoint, Singletons, User};
use e2e::console::Console;
use serde_json::{Value, json};

const SOURCE: &str = "x-registry-console-source";
const PRUNER: &str = "/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster";
const CONFIG: &str = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster";
const IMAGE: &str = "/apis/config.openshift.io/v1/images/cluster";
const CA_MAP: &str = "/api/v1/namespaces/openshift-config/configmaps/read-cache-cas";
/// The bound on a permission answer's age, with a second of slack for the request itself.
const PERMISSION_BOUND: Duration = Duration::from_secs(11);

struct World {
    cached: Console,
    direct: Console,
    endpoint: Endpoint,
    kube: kube::Client,
    http: reqwest::Client,
    _web_root: tempfile::TempDir,
    _guard: Singletons,
}

impl World {
    async fn new() -> Self {
        let cluster = Cluster::shared().await;
        let guard = cluster.singletons().await;
        let endpoint = cluster.endpoint();
        let kube = cluster.client(User::Admin).await;
        let web_root = tempfile::tempdir().expect("temp dir as an empty web root");
        let cached =
            Console::with_cluster_and_service_token(web_root.path(), &endpoint, endpoint.token(User::Auditor)).await;
        let direct = Console::with_cluster(web_root.path(), &endpoint).await;
        let world =
            Self { cached, direct, endpoint, kube, http: reqwest::Client::new(), _web_root: web_root, _guard: guard };
        // The watches list everything first: until then the view is read directly.
        let started = Instant::now();
        loop {
            let (source, _) = world.view(&world.cached, User::Admin).await;
            if source == "cache" {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the read cache did not sync within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        world
    }

    /// `(x-registry-console-source, body)` of `GET /api/v1/registry` as `user`; panics unless 200.
    async fn view(&self, console: &Console, user: User) -> (String, Value) {
        let response = self
            .http
            .get(console.url("/api/v1/registry"))
            .bearer_auth(self.endpoint.token(user))
            .send()
            .await
            .expect("the console answers");
        assert_eq!(response.status().as_u16(), 200, "GET /api/v1/registry as {}", user.name());
        let source =
            response.headers().get(SOURCE).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
        let body: Value = response.json().await.expect("a JSON view");
        assert!(body.get("source").is_none(), "the source is a header, not part of the view: {body:#}");
        (source, body)
    }

    /// The cached and the direct view as `user`, without `fetchedAt`, once they agree
    /// (a watch event may trail a change by a moment); panics with both if they never do.
    async fn agreeing_views(&self, user: User) -> Value {
        let started = Instant::now();
        loop {
            let (source, cached) = self.view(&self.cached, user).await;
            let (direct_source, direct) = self.view(&self.direct, user).await;
            assert_eq!((source.as_str(), direct_source.as_str()), ("cache", "direct"));
            let (cached, direct) = (without_time(cached), without_time(direct));
            if cached == direct {
                return cached;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the cached view of {} differs from the direct one\ncached: {cached:#}\ndirect: {direct:#}",
                user.name()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn send(&self, method: &str, path: &str, content_type: &str, body: &Value) -> Value {
        e2e::cluster::send_json(&self.kube, method, path, content_type, body).await
    }

    async fn delete(&self, path: &str) {
        let request = http::Request::delete(path).body(Vec::new()).expect("request");
        let _ = self.kube.request_text(request).await;
    }
}

fn without_time(mut view: Value) -> Value {
    if let Some(view) = view.as_object_mut() {
        view.remove("fetchedAt");
    }
    view
}

fn state(view: &Value, part: &str) -> String {
    view[part]["state"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_cached_view_equals_the_direct_view() {
    let world = World::new().await;
    // The seeded bare-metal registry (absent workloads) …
    let seeded = world.agreeing_views(User::Admin).await;
    assert_eq!(state(&seeded, "config"), "ok", "{seeded:#}");
    // … and one that names a claim that does not exist and a trusted CA ConfigMap that does.
    world
        .send(
            "POST",
            "/api/v1/namespaces/openshift-config/configmaps",
            "application/json",
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "read-cache-cas"},
                "data": {"registry.example.com..5000": "not a certificate"}}),
        )
        .await;
    world
        .send(
            "PATCH",
            IMAGE,
            "application/merge-patch+json",
            &json!({"spec": {"additionalTrustedCA": {"name": "read-cache-cas"}}}),
        )
        .await;
    world
        .send(
            "PATCH",
            CONFIG,
            "application/merge-patch+json",
            &json!({"spec": {"storage": {"pvc": {"claim": "read-cache-missing-claim"}}}}),
        )
        .await;
    let changed = world.agreeing_views(User::Admin).await;
    assert_eq!(changed["trustedCas"]["data"]["configMap"], "read-cache-cas", "{changed:#}");
    assert_eq!(changed["trustedCas"]["data"]["entries"][0]["key"], "registry.example.com..5000", "{changed:#}");
    assert_eq!(changed["storage"]["data"]["claim"]["state"], "absent", "{changed:#}");
    // The auditor sees the same as directly too (no Secrets are involved).
    world.agreeing_views(User::Auditor).await;
    world.delete(CA_MAP).await;

    // A managed registry: the operator's claim, two pods, the deployment, the default route.
    world
        .send(
            "PATCH",
            CONFIG,
            "application/merge-patch+json",
            &json!({"spec": {"managementState": "Managed", "replicas": 2, "storage": {"pvc": {"claim": ""}},
                "defaultRoute": true, "routes": [{"name": "public", "hostname": "registry.example.com"}]}}),
        )
        .await;
    let started = Instant::now();
    loop {
        let (_, view) = world.view(&world.direct, User::Admin).await;
        let settled = view["storage"]["data"]["claim"]["state"] == "ok"
            && view["deployment"]["state"] == "ok"
            && view["pods"]["data"].as_array().is_some_and(|pods| pods.len() == 2)
            && view["routes"]["data"]["routes"].as_array().is_some_and(|routes| routes.len() == 2);
        if settled {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(40), "the managed registry did not show up: {view:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let managed = world.agreeing_views(User::Admin).await;
    assert_eq!(managed["pods"]["data"].as_array().map(Vec::len), Some(2), "{managed:#}");
    world.agreeing_views(User::Auditor).await;
    world.agreeing_views(User::Nobody).await;
}

#[tokio::test]
async fn users_without_rights_get_the_same_forbidden_parts_from_the_cache() {
    let world = World::new().await;
    let nobody = world.agreeing_views(User::Nobody).await;
    for part in ["config", "clusterOperator", "routes", "pruner", "pods", "deployment", "nodeCa", "cluster"] {
        assert_eq!(state(&nobody, part), "forbidden", "{part}: {nobody:#}");
        assert!(
            nobody[part]["message"].as_str().unwrap_or_default().contains("User \"nobody\" cannot"),
            "{part}: the API server's own refusal is expected: {nobody:#}"
        );
    }
    // The developer may read nothing of the registry either; each part is checked, not the user.
    world.agreeing_views(User::Developer).await;
    // A token the API server refuses fails the call, as the direct read does.
    for console in [&world.cached, &world.direct] {
        let response = world
            .http
            .get(console.url("/api/v1/registry"))
            .bearer_auth("not-a-token")
            .send()
            .await
            .expect("the console answers");
        assert_eq!(response.status().as_u16(), 401);
    }
}

#[tokio::test]
async fn a_change_shows_up_in_the_cached_view_within_seconds() {
    let world = World::new().await;
    let (_, before) = world.view(&world.cached, User::Admin).await;
    let revisions = before["pruner"]["data"]["keepTagRevisions"].as_i64().unwrap_or(3) + 4;
    let changed = Instant::now();
    world
        .send("PATCH", PRUNER, "application/merge-patch+json", &json!({"spec": {"keepTagRevisions": revisions}}))
        .await;
    loop {
        let (source, view) = world.view(&world.cached, User::Admin).await;
        assert_eq!(source, "cache");
        if view["pruner"]["data"]["keepTagRevisions"] == revisions {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(5),
            "the cached view did not follow the change within 5 s: {:#}",
            view["pruner"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("the cached view followed the change in {} ms", changed.elapsed().as_millis());
}

#[tokio::test]
async fn a_granted_permission_takes_effect_within_ten_seconds_and_a_revoked_one_too() {
    let world = World::new().await;
    let name = format!("read-cache-nobody-configs-{}", std::process::id());
    let binding_path = format!("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}");
    let role_path = format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}");
    world.delete(&binding_path).await;
    world
        .send(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            "application/json",
            &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
                "rules": [{"apiGroups": ["imageregistry.operator.openshift.io"], "resources": ["configs"],
                    "resourceNames": ["cluster"], "verbs": ["get"]}]}),
        )
        .await;
    // Denied first, and remembered as denied.
    let (_, view) = world.view(&world.cached, User::Nobody).await;
    assert_eq!(state(&view, "config"), "forbidden", "{:#}", view["config"]);

    world
        .send(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            "application/json",
            &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "nobody"}]}),
        )
        .await;
    let granted = Instant::now();
    let expected = world.agreeing_views(User::Admin).await["config"].clone();
    loop {
        let (source, view) = world.view(&world.cached, User::Nobody).await;
        assert_eq!(source, "cache");
        if state(&view, "config") == "ok" {
            assert_eq!(view["config"], expected, "nobody now reads the same config as the admin");
            assert_eq!(state(&view, "pruner"), "forbidden", "only the granted part opens: {view:#}");
            break;
        }
        assert!(granted.elapsed() < PERMISSION_BOUND, "the grant took no effect within 11 s: {:#}", view["config"]);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("the grant took effect after {} ms", granted.elapsed().as_millis());

    // Once the remembered denial has expired, the review allows the part and the store serves it …
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let (source, view) = world.view(&world.cached, User::Nobody).await;
    assert_eq!((source.as_str(), state(&view, "config").as_str()), ("cache", "ok"), "{:#}", view["config"]);
    // … and after a revocation the remembered permission outlives it by at most 10 s.
    world.delete(&binding_path).await;
    let revoked = Instant::now();
    loop {
        let (_, view) = world.view(&world.cached, User::Nobody).await;
        if state(&view, "config") == "forbidden" {
            break;
        }
        assert!(revoked.elapsed() < PERMISSION_BOUND, "the revocation took no effect within 11 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("the revocation took effect after {} ms", revoked.elapsed().as_millis());
    world.delete(&role_path).await;
}
