//! Plans through the REST API against the real API server and the operator
//! simulator: every seed procedure previewed and applied, validation,
//! confirmations, conflicts, failures with their revert plan, permissions,
//! and secrets kept out of every answer and out of the database.

use std::future::Future;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use e2e::api::ApiClient;
use e2e::cluster::{Cluster, Singletons, User};
use e2e::console::Console;
use serde_json::{Value, json};

const NS: &str = "openshift-image-registry";
const CONFIG: &str = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster";
const TIMEOUT: Duration = Duration::from_secs(40);

/// The world of one test: the singletons lock (seed restored, registry
/// settled in Removed), a console wired to the cluster, and the admin's
/// kube client for checks.
struct World {
    console: Console,
    kube: kube::Client,
    endpoint: e2e::cluster::Endpoint,
    _guard: Singletons,
}

impl World {
    async fn new() -> Self {
        let cluster = Cluster::shared().await;
        let guard = cluster.singletons().await;
        let kube = cluster.client(User::Admin).await;
        let endpoint = cluster.endpoint();
        // Leftovers the seed does not own.
        for path in [
            format!("/api/v1/namespaces/{NS}/secrets/image-registry-private-configuration-user"),
            format!("/api/v1/namespaces/{NS}/secrets/registry-tls"),
            "/api/v1/namespaces/openshift-config/secrets/pull-secret".to_owned(),
            "/api/v1/namespaces/openshift-config/configmaps/registry-cas".to_owned(),
            "/api/v1/namespaces/openshift-ingress-operator/secrets/router-ca".to_owned(),
            "/api/v1/persistentvolumes/nfs01".to_owned(),
            format!("/api/v1/namespaces/{NS}/resourcequotas/no-claims"),
        ] {
            let _ = delete(&kube, &path).await;
        }
        let _ = delete(&kube, &format!("/api/v1/namespaces/{NS}/persistentvolumeclaims")).await;
        let world =
            Self { console: Console::with_cluster(&web_root(), &endpoint).await, kube, endpoint, _guard: guard };
        world
            .wait("no claim left in openshift-image-registry", |w| async move {
                Ok(w.get(&format!("/api/v1/namespaces/{NS}/persistentvolumeclaims")).await?["items"]
                    .as_array()
                    .is_some_and(Vec::is_empty))
            })
            .await;
        world
    }

    fn api(&self, user: User) -> ApiClient {
        ApiClient::new(&self.console, &self.endpoint, user)
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let request = http::Request::get(path).body(Vec::new())?;
        Ok(self.kube.request::<Value>(request).await?)
    }

    async fn must_get(&self, path: &str) -> Value {
        self.get(path).await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    async fn send(&self, method: &str, path: &str, content_type: &str, body: &Value) -> Value {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", content_type)
            .body(serde_json::to_vec(body).expect("json"))
            .expect("request");
        self.kube.request::<Value>(request).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn wait<'a, F, Fut>(&'a self, what: &str, check: F)
    where
        F: Fn(&'a World) -> Fut,
        Fut: Future<Output = anyhow::Result<bool>> + 'a,
    {
        let start = Instant::now();
        loop {
            let last = match check(self).await {
                Ok(true) => return,
                Ok(false) => "not yet".to_owned(),
                Err(e) => format!("{e:#}"),
            };
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what} ({last})");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn config(&self) -> Value {
        self.must_get(CONFIG).await
    }
}

async fn delete(kube: &kube::Client, path: &str) -> anyhow::Result<()> {
    let request = http::Request::delete(path).body(Vec::new())?;
    kube.request_text(request).await?;
    Ok(())
}

fn web_root() -> std::path::PathBuf {
    std::env::var_os("E2E_WEB_ROOT").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

fn condition<'a>(object: &'a Value, kind: &str) -> &'a Value {
    object["status"]["conditions"]
        .as_array()
        .and_then(|conditions| conditions.iter().find(|c| c["type"] == kind))
        .unwrap_or(&Value::Null)
}

fn codes(plan: &Value, key: &str) -> Vec<String> {
    plan[key]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["code"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn bare_metal_storage_first_then_managed_gets_the_operator_claim() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let (plan, result) =
        admin.preview_and_apply(json!({"kind": "storage", "provider": {"type": "pvc", "claim": ""}})).await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(1), "{plan:#}");
    assert!(
        plan["commands"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("oc patch configs.imageregistry.operator.openshift.io cluster --type merge"),
        "{plan:#}"
    );
    assert!(plan["dryRun"][0]["ok"].as_bool().unwrap_or(false), "{plan:#}");
    assert!(codes(&plan, "warnings").contains(&"storage.claim_default".to_owned()), "{plan:#}");
    assert!(result["auditId"].as_i64().is_some(), "{result:#}");

    let (_, result) = admin.preview_and_apply(json!({"kind": "management", "managementState": "Managed"})).await;
    assert_eq!(result["steps"][0]["status"], "applied");
    world
        // No provisioner here: the claim stays Pending, so the operator reports no
        // available replica; the storage itself is in place.
        .wait("the operator's claim image-registry-storage", |w| async move {
            let config = w.config().await;
            Ok(config["spec"]["storage"]["pvc"]["claim"] == "image-registry-storage"
                && config["spec"]["storage"]["managementState"] == "Managed"
                && condition(&config, "StorageExists")["status"] == "True"
                && condition(&config, "Available")["reason"] == "NoReplicasAvailable")
        })
        .await;
    let claim = world.must_get(&format!("/api/v1/namespaces/{NS}/persistentvolumeclaims/image-registry-storage")).await;
    assert_eq!(claim["spec"]["accessModes"], json!(["ReadWriteMany"]));

    // Removed now would delete the operator's claim with every image: refused without confirmation.
    let plan = admin
        .preview(json!({"kind": "management", "managementState": "Removed", "keepStorage": false}))
        .await
        .expect(201);
    assert_eq!(codes(&plan, "dangers"), ["removed-deletes-storage"]);
    assert_eq!(plan["steps"][0]["irreversible"], true);
    let refused = admin.apply(plan["id"].as_str().unwrap_or_default(), &[]).await;
    assert_eq!(refused.status.as_u16(), 422, "{:#}", refused.body);
    assert_eq!(refused.field_errors(), [("confirm".to_owned(), "plan.confirm.removed-deletes-storage".to_owned())]);
    assert_eq!(world.config().await["spec"]["managementState"], "Managed", "a refused apply changed the registry");
    // Without a choice about the storage, the request itself is refused.
    let unsure = admin.preview(json!({"kind": "management", "managementState": "Removed"})).await;
    assert_eq!(unsure.status.as_u16(), 422, "{:#}", unsure.body);
    assert_eq!(unsure.field_errors(), [("keepStorage".to_owned(), "management.keep_storage_required".to_owned())]);
    // Keeping the storage: it is marked Unmanaged in the same write, and the claim stays.
    let (plan, _) =
        admin.preview_and_apply(json!({"kind": "management", "managementState": "Removed", "keepStorage": true})).await;
    assert!(codes(&plan, "dangers").is_empty(), "{plan:#}");
    world
        .wait("Removed with the storage kept", |w| async move {
            let config = w.config().await;
            Ok(condition(&config, "Available")["reason"] == "Removed"
                && config["spec"]["storage"]["managementState"] == "Unmanaged")
        })
        .await;
    world.must_get(&format!("/api/v1/namespaces/{NS}/persistentvolumeclaims/image-registry-storage")).await;
}

#[tokio::test]
async fn static_nfs_volume_and_claim_bind_without_the_default_class() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let request = json!({
        "kind": "storage",
        "managementState": "Managed",
        "provider": {"type": "pvc", "claim": "image-registry-pvc", "nfs": {
            "volumeName": "nfs01", "server": "nfs.example.com", "path": "/exports/registry", "size": "200Gi", "storageClassName": ""
        }}
    });
    let (plan, _) = admin.preview_and_apply(request).await;
    let kinds: Vec<&str> =
        plan["steps"].as_array().into_iter().flatten().filter_map(|s| s["target"]["kind"].as_str()).collect();
    assert_eq!(kinds, ["PersistentVolume", "PersistentVolumeClaim", "Config"]);
    let claim = world.must_get(&format!("/api/v1/namespaces/{NS}/persistentvolumeclaims/image-registry-pvc")).await;
    assert_eq!(claim["spec"]["storageClassName"], "", "the claim must not take the default class");
    world
        .wait("the NFS claim bound to nfs01", |w| async move {
            let claim = w.get(&format!("/api/v1/namespaces/{NS}/persistentvolumeclaims/image-registry-pvc")).await?;
            Ok(claim["status"]["phase"] == "Bound" && claim["spec"]["volumeName"] == "nfs01")
        })
        .await;
    assert_eq!(world.config().await["spec"]["storage"]["pvc"]["claim"], "image-registry-pvc");
    let _ = delete(&world.kube, "/api/v1/persistentvolumes/nfs01").await;
}

#[tokio::test]
async fn s3_credentials_reach_the_cluster_and_nowhere_else() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let secret_key = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    let request = json!({
        "kind": "storage",
        "managementState": "Managed",
        "replicas": 2,
        "provider": {"type": "s3", "bucket": "registry", "region": "us-east-1",
            "regionEndpoint": "https://rgw.example.com:8080", "virtualHostedStyle": false,
            "credentials": {"accessKey": "AKIAEXAMPLE", "secretKey": secret_key}}
    });
    let plan = admin.preview(request).await.expect(201);
    let plan_text = plan.to_string();
    assert!(
        !plan_text.contains(secret_key) && !plan_text.contains(&STANDARD.encode(secret_key)),
        "the plan shows the secret: {plan:#}"
    );
    assert!(plan_text.contains("REGISTRY_STORAGE_S3_SECRETKEY=<file:REGISTRY_STORAGE_S3_SECRETKEY>"), "{plan:#}");
    let id = plan["id"].as_str().unwrap_or_default().to_owned();
    let stored = admin.get(&format!("/plans/{id}")).await.expect(200);
    assert!(!stored.to_string().contains(secret_key));
    let result = admin.apply(&id, &[]).await.expect(200);
    assert!(!result.to_string().contains(secret_key), "{result:#}");

    let secret =
        world.must_get(&format!("/api/v1/namespaces/{NS}/secrets/image-registry-private-configuration-user")).await;
    assert_eq!(secret["data"]["REGISTRY_STORAGE_S3_SECRETKEY"], STANDARD.encode(secret_key));
    let config = world.config().await;
    assert_eq!(config["spec"]["storage"]["s3"]["regionEndpoint"], "https://rgw.example.com:8080");
    assert_eq!(config["spec"]["storage"]["s3"]["bucket"], "registry");

    // Neither the console's database nor its YAML view holds the value in clear.
    let database = std::fs::read(world.console.database_path()).expect("read the console database");
    let wal = std::fs::read(world.console.database_path().with_extension("db-wal")).unwrap_or_default();
    for bytes in [&database, &wal] {
        assert!(
            !contains(bytes, secret_key.as_bytes()) && !contains(bytes, STANDARD.encode(secret_key).as_bytes()),
            "the database holds the secret"
        );
    }
    let view = admin
        .get(&format!(
            "/registry/objects?apiVersion=v1&kind=Secret&namespace={NS}&name=image-registry-private-configuration-user"
        ))
        .await;
    if view.status.as_u16() != 404 {
        assert!(
            !view.body.to_string().contains(secret_key)
                && !view.body.to_string().contains(&STANDARD.encode(secret_key)),
            "{:#}",
            view.body
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[tokio::test]
async fn empty_dir_is_for_labs_and_one_replica() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let before = world.config().await;
    let refused = admin.preview(json!({"kind": "storage", "replicas": 2, "provider": {"type": "emptyDir"}})).await;
    assert_eq!(refused.status.as_u16(), 422, "{:#}", refused.body);
    assert!(
        refused.field_errors().contains(&("replicas".to_owned(), "storage.empty_dir_replicas".to_owned())),
        "{:#}",
        refused.body
    );
    assert_eq!(
        world.config().await["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"],
        "a refused plan wrote"
    );
    let (plan, _) = admin
        .preview_and_apply(
            json!({"kind": "storage", "replicas": 1, "provider": {"type": "emptyDir"}, "managementState": "Managed"}),
        )
        .await;
    assert!(codes(&plan, "warnings").contains(&"storage.empty_dir_not_production".to_owned()), "{plan:#}");
    assert_eq!(world.config().await["spec"]["storage"]["emptyDir"], json!({}));
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field_and_changes_nothing() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let before = world.config().await;
    let cases = [
        (json!({"kind": "management", "managementState": "Force"}), "managementState", "management.state_force"),
        (json!({"kind": "management", "replicas": -1}), "replicas", "field.negative"),
        (json!({"kind": "management", "rolloutStrategy": "Rolling"}), "rolloutStrategy", "field.one_of"),
        (
            json!({"kind": "storage", "provider": {"type": "s3", "bucket": "Bad_Bucket", "credentials": {"accessKey": "a", "secretKey": "b"}}}),
            "provider.bucket",
            "storage.s3.bucket_invalid",
        ),
        (
            json!({"kind": "storage", "provider": {"type": "s3", "regionEndpoint": "https://rgw.example.com", "credentials": {"accessKey": "a", "secretKey": "b"}}}),
            "provider.regionEndpoint",
            "storage.s3.endpoint_port",
        ),
        (
            json!({"kind": "storage", "provider": {"type": "pvc", "claim": "x", "create": {"size": "100Gi", "accessModes": ["ReadWriteOncePod"]}}}),
            "provider.create.accessModes",
            "storage.access_mode_rwop_only",
        ),
        (json!({"kind": "routes", "routes": [{"name": "default-route"}]}), "routes[0].name", "routes.name_reserved"),
        (
            json!({"kind": "routes", "routes": [{"name": "a", "hostname": "not a host"}]}),
            "routes[0].hostname",
            "routes.hostname_invalid",
        ),
        (json!({"kind": "pruner", "schedule": "0 0 * *"}), "schedule", "pruner.schedule_invalid"),
        (
            json!({"kind": "registry-sources", "allowedRegistries": ["quay.io"], "blockedRegistries": ["docker.io"]}),
            "blockedRegistries",
            "registry_sources.allowed_and_blocked",
        ),
        (
            json!({"kind": "pull-secret", "namespace": "team-a", "name": "s", "registry": "r.example.com", "username": "kube:admin", "password": "p"}),
            "username",
            "field.username_colon",
        ),
        (json!({"kind": "delete-image", "name": "sha256:xyz"}), "name", "image.digest_invalid"),
    ];
    for (request, field, code) in cases {
        let answer = admin.preview(request.clone()).await;
        assert_eq!(answer.status.as_u16(), 422, "{request}: {:#}", answer.body);
        assert_eq!(answer.body["type"], "https://registry-console.dev/problems/validation");
        assert!(
            answer.field_errors().contains(&(field.to_owned(), code.to_owned())),
            "{request}: expected {field} {code}, got {:?}",
            answer.field_errors()
        );
    }
    // A request that is not even the right shape is a 400 naming the problem.
    let malformed = admin.preview(json!({"kind": "no-such-kind"})).await;
    assert_eq!(malformed.status.as_u16(), 400, "{:#}", malformed.body);
    assert!(malformed.body["detail"].as_str().unwrap_or("").contains("no-such-kind"), "{:#}", malformed.body);
    assert_eq!(
        world.config().await["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"],
        "a refused plan wrote"
    );
}

#[tokio::test]
async fn the_api_servers_refusals_are_passed_on() {
    let world = World::new().await;
    let nobody = world.api(User::Nobody);
    let answer = nobody.preview(json!({"kind": "management", "replicas": 1})).await;
    assert_eq!(answer.status.as_u16(), 403, "{:#}", answer.body);
    assert!(answer.body["detail"].as_str().unwrap_or("").contains("forbidden"), "{:#}", answer.body);
    let anonymous = reqwest::Client::new()
        .post(world.console.url("/api/v1/plans"))
        .json(&json!({"kind": "prune-now"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(anonymous.headers()["content-type"], "application/problem+json");
}
