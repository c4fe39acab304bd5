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
            "/api/v1/namespaces/openshift-config/configmaps/registry-trusted-cas".to_owned(),
            "/api/v1/namespaces/team-a/secrets/registry-pull".to_owned(),
            "/api/v1/namespaces/team-a/secrets/other-pull".to_owned(),
            "/api/v1/namespaces/team-a/secrets/registry-pull-token".to_owned(),
            "/apis/config.openshift.io/v1/imagedigestmirrorsets/disconnected".to_owned(),
            "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/registry-viewer".to_owned(),
            "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/system:image-puller".to_owned(),
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/prometheus-scraper".to_owned(),
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/prometheus-scraper".to_owned(),
            format!("/apis/image.openshift.io/v1/images/sha256:{}", "a".repeat(64)),
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
        e2e::cluster::send_json(&self.kube, method, path, content_type, body).await
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
    assert!(plan["dryRunNote"].as_str().unwrap_or("").contains("schema and admission"), "{plan:#}");
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
    e2e::logs::capture();
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
    // Nor any log line of the server or its cluster client (captured at debug level).
    let logs = e2e::logs::contents();
    assert!(logs.contains("log capture started") && logs.contains("/api/v1/plans"), "the log capture saw nothing");
    assert!(!logs.contains(secret_key) && !logs.contains(&STANDARD.encode(secret_key)), "a log line holds the secret");
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

/// A CA (certificate PEM, key PEM) made for a test.
fn test_ca() -> (String, String) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Registry Console test CA");
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let key = rcgen::KeyPair::generate().expect("CA key");
    let certificate = params.self_signed(&key).expect("self-signed CA");
    (certificate.pem(), key.serialize_pem())
}

/// A server certificate for `host` signed by the CA, and its key.
fn leaf(host: &str, ca: &(String, String)) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let params = rcgen::CertificateParams::new(vec![host.to_owned()]).expect("leaf params");
    let ca_key = rcgen::KeyPair::from_pem(&ca.1).expect("CA key");
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.0, ca_key).expect("issuer");
    (params.signed_by(&key, &issuer).expect("signed leaf").pem(), key.serialize_pem())
}

#[tokio::test]
async fn custom_route_with_an_uploaded_certificate_and_the_default_route() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let ca = test_ca();
    let (certificate, key) = leaf("registry.example.com", &ca);
    // The wrong host is refused before anything is written.
    let (other_cert, other_key) = leaf("elsewhere.example.com", &ca);
    let refused = admin
        .preview(json!({"kind": "routes", "routes": [{"name": "public", "hostname": "registry.example.com",
            "tls": {"source": "upload", "certificate": other_cert, "key": other_key, "caCertificate": ca.0}}]}))
        .await;
    assert_eq!(refused.status.as_u16(), 422, "{:#}", refused.body);
    assert!(refused.field_errors().contains(&("routes[0].tls.certificate".into(), "tls.hostname_not_covered".into())));
    // A key that is not the certificate's.
    let mismatched = admin
        .preview(json!({"kind": "routes", "routes": [{"name": "public", "hostname": "registry.example.com",
            "tls": {"source": "upload", "certificate": certificate, "key": other_key}}]}))
        .await;
    assert!(
        mismatched.field_errors().contains(&("routes[0].tls.key".into(), "tls.key_mismatch".into())),
        "{:#}",
        mismatched.body
    );

    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "routes", "defaultRoute": true, "routes": [{"name": "public", "hostname": "registry.example.com",
            "secretName": "registry-tls", "tls": {"source": "upload", "certificate": certificate, "key": key, "caCertificate": ca.0}}]}))
        .await;
    assert_eq!(codes(&plan, "dangers"), ["route-key-copied"]);
    assert!(!plan.to_string().contains("PRIVATE KEY"), "the plan shows the key");
    let secret = world.must_get(&format!("/api/v1/namespaces/{NS}/secrets/registry-tls")).await;
    assert_eq!(secret["type"], "kubernetes.io/tls");
    assert_eq!(secret["data"]["tls.cacrt"], STANDARD.encode(&ca.0), "the CA goes under tls.cacrt");
    let config = world.config().await;
    assert_eq!(
        config["spec"]["routes"],
        json!([{"name": "public", "hostname": "registry.example.com", "secretName": "registry-tls"}])
    );
    assert_eq!(config["spec"]["defaultRoute"], true);
}

#[tokio::test]
async fn a_server_generated_key_waits_for_its_signed_certificate() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "routes", "routes": [{"name": "public", "hostname": "registry.example.com",
            "secretName": "registry-tls", "tls": {"source": "generate"}}]}))
        .await;
    let csr =
        plan["notes"]["certificateSigningRequests"][0]["csr"].as_str().expect("a CSR in the plan's notes").to_owned();
    assert!(csr.contains("BEGIN CERTIFICATE REQUEST"));
    assert!(!plan.to_string().contains("PRIVATE KEY"), "the key must never be shown");
    let secret = world.must_get(&format!("/api/v1/namespaces/{NS}/secrets/registry-tls")).await;
    assert!(secret["data"]["tls.key"].is_string() && secret["data"].get("tls.crt").is_none());
    // Until the certificate comes back the route has no secret (the router's default certificate).
    assert_eq!(world.config().await["spec"]["routes"], json!([{"name": "public", "hostname": "registry.example.com"}]));

    // The CA signs the CSR; the certificate alone is uploaded and matched against the kept key.
    let ca = test_ca();
    let ca_key = rcgen::KeyPair::from_pem(&ca.1).expect("CA key");
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca.0, ca_key).expect("issuer");
    let signed =
        rcgen::CertificateSigningRequestParams::from_pem(&csr).expect("CSR").signed_by(&issuer).expect("sign").pem();
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "routes", "routes": [{"name": "public", "hostname": "registry.example.com",
            "secretName": "registry-tls", "tls": {"source": "upload", "certificate": signed, "key": "", "caCertificate": ca.0}}]}))
        .await;
    assert!(
        !plan["steps"][0]["irreversible"].as_bool().unwrap_or(true),
        "adding a certificate overwrites nothing: {plan:#}"
    );
    let secret = world.must_get(&format!("/api/v1/namespaces/{NS}/secrets/registry-tls")).await;
    assert_eq!(secret["data"]["tls.crt"], STANDARD.encode(&signed));
    assert_eq!(world.config().await["spec"]["routes"][0]["secretName"], "registry-tls");
    // A certificate for another key is refused.
    let (foreign, _) = leaf("registry.example.com", &ca);
    let refused = admin
        .preview(json!({"kind": "routes", "routes": [{"name": "public", "hostname": "registry.example.com",
            "secretName": "registry-tls", "tls": {"source": "upload", "certificate": foreign, "key": ""}}]}))
        .await;
    assert!(
        refused.field_errors().contains(&("routes[0].tls.key".into(), "tls.key_mismatch".into())),
        "{:#}",
        refused.body
    );
}

#[tokio::test]
async fn a_trusted_ca_is_merged_into_the_existing_config_map() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let other = test_ca();
    world
        .send("POST", "/api/v1/namespaces/openshift-config/configmaps", "application/json",
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "registry-cas"}, "data": {"quay.example.com": other.0}}))
        .await;
    world
        .send(
            "PATCH",
            "/apis/config.openshift.io/v1/images/cluster",
            "application/merge-patch+json",
            &json!({"spec": {"additionalTrustedCA": {"name": "registry-cas"}}}),
        )
        .await;
    let ca = test_ca();
    let (plan, _) = admin
        .preview_and_apply(
            json!({"kind": "trusted-ca", "host": "registry.example.com", "port": 5000, "certificate": ca.0}),
        )
        .await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(1), "the reference is already right: {plan:#}");
    let map = world.must_get("/api/v1/namespaces/openshift-config/configmaps/registry-cas").await;
    assert_eq!(map["data"]["registry.example.com..5000"], ca.0.as_str());
    assert_eq!(map["data"]["quay.example.com"], other.0.as_str(), "the other CA was lost");
    let image = world.must_get("/apis/config.openshift.io/v1/images/cluster").await;
    assert_eq!(image["spec"]["additionalTrustedCA"]["name"], "registry-cas");
    // A leaf certificate is not a CA.
    let (leaf_cert, _) = leaf("registry.example.com", &ca);
    let refused = admin.preview(json!({"kind": "trusted-ca", "host": "r.example.com", "certificate": leaf_cert})).await;
    assert_eq!(refused.status.as_u16(), 422, "{:#}", refused.body);
    assert!(
        refused.field_errors().iter().any(|(field, code)| field == "certificate" && code == "ca.not_ca"),
        "{:#}",
        refused.body
    );
}

#[tokio::test]
async fn the_global_pull_secret_keeps_the_other_registries() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let existing = json!({"auths": {"quay.io": {"auth": STANDARD.encode("q:qpass"), "email": "q@example.com"},
        "registry.redhat.io": {"auth": STANDARD.encode("r:rpass")}}});
    world
        .send("POST", "/api/v1/namespaces/openshift-config/secrets", "application/json", &json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pull-secret"}, "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": STANDARD.encode(existing.to_string())}}))
        .await;
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "global-pull-secret", "registry": "registry.example.com:5000", "username": "svc", "password": "s3cret-pw"}))
        .await;
    assert!(!plan.to_string().contains("s3cret-pw") && !plan.to_string().contains("qpass"), "{plan:#}");
    let secret = world.must_get("/api/v1/namespaces/openshift-config/secrets/pull-secret").await;
    let config: Value = serde_json::from_slice(
        &STANDARD.decode(secret["data"][".dockerconfigjson"].as_str().unwrap_or("")).expect("base64"),
    )
    .expect("json");
    assert_eq!(config["auths"]["quay.io"], existing["auths"]["quay.io"]);
    assert_eq!(config["auths"]["registry.redhat.io"], existing["auths"]["registry.redhat.io"]);
    assert_eq!(config["auths"]["registry.example.com:5000"]["auth"], STANDARD.encode("svc:s3cret-pw"));
}

#[tokio::test]
async fn two_pull_secrets_linked_at_once_are_both_kept() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let before = world.must_get("/api/v1/namespaces/team-a/serviceaccounts/default").await;
    let request = |name: &str| {
        json!({"kind": "pull-secret", "namespace": "team-a", "name": name, "registry": "registry.example.com",
        "username": "puller", "password": format!("{name}-token"), "serviceAccount": "default"})
    };
    let first = admin.preview(request("registry-pull")).await.expect(201);
    let second = admin.preview(request("other-pull")).await.expect(201);
    assert!(
        first["commands"][1].as_str().unwrap_or("").starts_with("oc secrets link default registry-pull --for=pull"),
        "{first:#}"
    );
    let (a, b) = tokio::join!(
        admin.apply(first["id"].as_str().unwrap_or_default(), &[]),
        admin.apply(second["id"].as_str().unwrap_or_default(), &[])
    );
    assert_eq!(a.expect(200)["succeeded"], true);
    assert_eq!(b.expect(200)["succeeded"], true);
    let account = world.must_get("/api/v1/namespaces/team-a/serviceaccounts/default").await;
    let names: Vec<&str> =
        account["imagePullSecrets"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert!(names.contains(&"registry-pull") && names.contains(&"other-pull"), "{names:?}");
    for old in before["imagePullSecrets"].as_array().into_iter().flatten() {
        assert!(names.contains(&old["name"].as_str().unwrap_or("")), "an earlier entry was dropped: {names:?}");
    }
    let secret = world.must_get("/api/v1/namespaces/team-a/secrets/registry-pull").await;
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    // Restore the account for the next test.
    world
        .send("PUT", "/api/v1/namespaces/team-a/serviceaccounts/default", "application/json", &{
            let mut account = account.clone();
            account["imagePullSecrets"] = before["imagePullSecrets"].clone();
            if account["imagePullSecrets"].is_null() {
                account.as_object_mut().map(|a| a.remove("imagePullSecrets"));
            }
            account
        })
        .await;
}

#[tokio::test]
async fn pruner_schedule_change_and_prune_now() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let (plan, _) =
        admin.preview_and_apply(json!({"kind": "pruner", "schedule": "30 2 * * 0", "keepTagRevisions": 5})).await;
    assert!(codes(&plan, "warnings").contains(&"pruner.schedule_utc".to_owned()), "{plan:#}");
    let pruner = world.must_get("/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster").await;
    assert_eq!(pruner["spec"]["schedule"], "30 2 * * 0");
    assert_eq!(pruner["spec"]["keepTagRevisions"], 5);
    world
        .wait("the CronJob follows the schedule", |w| async move {
            Ok(w.get(&format!("/apis/batch/v1/namespaces/{NS}/cronjobs/image-pruner")).await?["spec"]["schedule"]
                == "30 2 * * 0")
        })
        .await;
    let (plan, result) = admin.preview_and_apply(json!({"kind": "prune-now"})).await;
    assert!(
        plan["commands"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("oc create job --from=cronjob/image-pruner image-pruner-manual-"),
        "{plan:#}"
    );
    let name = plan["steps"][0]["target"]["name"].as_str().unwrap_or_default();
    let job = world.must_get(&format!("/apis/batch/v1/namespaces/{NS}/jobs/{name}")).await;
    assert_eq!(job["metadata"]["ownerReferences"][0]["name"], "image-pruner");
    assert_eq!(result["steps"][0]["status"], "applied");
    let _ =
        delete(&world.kube, &format!("/apis/batch/v1/namespaces/{NS}/jobs/{name}?propagationPolicy=Background")).await;
}

#[tokio::test]
async fn plans_from_the_same_base_conflict_but_status_updates_do_not() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let first = admin.preview(json!({"kind": "management", "logLevel": "Debug"})).await.expect(201);
    let second = admin.preview(json!({"kind": "management", "operatorLogLevel": "Trace"})).await.expect(201);
    let third = admin.preview(json!({"kind": "management", "readOnly": true})).await.expect(201);
    // A status-only write (as the operator makes) is not a conflict.
    let config = world.config().await;
    let mut status = config["status"].clone();
    status["readyReplicas"] = json!(0);
    world
        .send("PATCH", &format!("{CONFIG}/status"), "application/merge-patch+json",
            &json!({"status": {"conditions": status["conditions"], "observedGeneration": status["observedGeneration"], "readyReplicas": 0, "storageManaged": false, "storage": status["storage"]}}))
        .await;
    admin.apply(first["id"].as_str().unwrap_or_default(), &[]).await.expect(200);
    let conflict = admin.apply(second["id"].as_str().unwrap_or_default(), &[]).await;
    assert_eq!(conflict.status.as_u16(), 409, "{:#}", conflict.body);
    assert_eq!(conflict.body["type"], "https://registry-console.dev/problems/conflict");
    let diff = conflict.body["diff"].as_array().cloned().unwrap_or_default();
    assert!(
        diff.iter().any(|entry| entry["path"] == "Config/cluster:spec.logLevel" && entry["after"] == "Debug"),
        "{:#}",
        conflict.body
    );
    assert_ne!(world.config().await["spec"]["operatorLogLevel"], "Trace", "the conflicting plan wrote");
    // A plan applies once.
    let again = admin.apply(first["id"].as_str().unwrap_or_default(), &[]).await;
    assert_eq!(again.status.as_u16(), 409, "{:#}", again.body);
    // Another user cannot apply someone's plan.
    let stranger = world.api(User::Auditor).apply(third["id"].as_str().unwrap_or_default(), &[]).await;
    assert_eq!(stranger.status.as_u16(), 404, "{:#}", stranger.body);
}

#[tokio::test]
async fn a_failed_step_reports_what_was_applied_and_its_revert_plan_works() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    // No claims may be created in the registry's namespace: the plan's second step will fail.
    world
        .send("POST", &format!("/api/v1/namespaces/{NS}/resourcequotas"), "application/json",
            &json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "no-claims"}, "spec": {"hard": {"persistentvolumeclaims": "0"}}}))
        .await;
    world
        .wait("the quota is in force", |w| async move {
            Ok(w.get(&format!("/api/v1/namespaces/{NS}/resourcequotas/no-claims")).await?["status"]["hard"].is_object())
        })
        .await;
    let plan = admin
        .preview(json!({"kind": "storage", "provider": {"type": "pvc", "claim": "image-registry-pvc", "nfs": {
            "volumeName": "nfs01", "server": "nfs.example.com", "path": "/exports/registry", "size": "200Gi", "storageClassName": ""}}}))
        .await
        .expect(201);
    let result = admin.apply(plan["id"].as_str().unwrap_or_default(), &[]).await.expect(200);
    assert_eq!(result["succeeded"], false);
    let statuses: Vec<&str> =
        result["steps"].as_array().into_iter().flatten().filter_map(|s| s["status"].as_str()).collect();
    assert_eq!(statuses, ["applied", "failed", "skipped"]);
    assert_eq!(result["steps"][1]["httpStatus"], 403);
    world.must_get("/api/v1/persistentvolumes/nfs01").await;
    let revert = result["revertPlanId"].as_str().expect("a revert plan").to_owned();
    let revert_plan = admin.get(&format!("/plans/{revert}")).await.expect(200);
    assert_eq!(revert_plan["steps"][0]["action"], "delete");
    admin.apply(&revert, &[]).await.expect(200);
    // One read: the volume is gone, or being deleted (its protection finalizer).
    let volume = world.get("/api/v1/persistentvolumes/nfs01").await;
    assert!(
        volume.as_ref().map_or(true, |pv| pv["metadata"]["deletionTimestamp"].is_string()),
        "the revert plan left the volume: {volume:?}"
    );
    assert!(world.config().await["spec"]["storage"].get("pvc").is_none(), "the skipped step wrote");
    let _ = delete(&world.kube, &format!("/api/v1/namespaces/{NS}/resourcequotas/no-claims")).await;
}

#[tokio::test]
async fn the_rendered_oc_commands_make_the_same_objects_as_the_apply() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let ca = test_ca();
    let trust = json!({"kind": "trusted-ca", "host": "registry.example.com", "port": 5000, "certificate": ca.0});
    let nfs = json!({"kind": "storage", "provider": {"type": "pvc", "claim": "image-registry-pvc", "nfs": {
        "volumeName": "nfs01", "server": "nfs.example.com", "path": "/exports/registry", "size": "200Gi", "storageClassName": ""}},
        "replicas": 1});
    let s3 = json!({"kind": "storage", "provider": {"type": "s3", "bucket": "registry", "region": "us-east-1",
        "regionEndpoint": "https://minio.example.com:9000", "credentials": {"accessKey": "AKIAEXAMPLE", "secretKey": "s3-secret"}}});
    let objects = [
        "/api/v1/namespaces/openshift-config/configmaps/registry-trusted-cas",
        "/apis/config.openshift.io/v1/images/cluster",
        "/api/v1/persistentvolumes/nfs01",
        "/api/v1/namespaces/openshift-image-registry/persistentvolumeclaims/image-registry-pvc",
        "/api/v1/namespaces/openshift-image-registry/secrets/image-registry-private-configuration-user",
        CONFIG,
    ];
    // The values the placeholders stand for, as files.
    let files = tempfile::tempdir().expect("temp dir");
    for (key, value) in
        [("REGISTRY_STORAGE_S3_ACCESSKEY", "AKIAEXAMPLE"), ("REGISTRY_STORAGE_S3_SECRETKEY", "s3-secret")]
    {
        std::fs::write(files.path().join(key), value).expect("write value file");
    }
    std::fs::write(
        files.path().join("oc"),
        format!("#!/bin/sh\nexec {} kubectl \"$@\"\n", Cluster::shared().await.bin().display()),
    )
    .expect("oc shim");
    std::fs::set_permissions(files.path().join("oc"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");

    let mut by_commands = Vec::new();
    for request in [&trust, &nfs, &s3] {
        let plan = admin.preview(request.clone()).await.expect(201);
        for command in plan["commands"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            let mut line = command.to_owned();
            for key in ["REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"] {
                line = line.replace(&format!("<file:{key}>"), &files.path().join(key).display().to_string());
            }
            assert!(!line.contains("<file:"), "a placeholder is left: {line}");
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(&line)
                .env("PATH", format!("{}:{}", files.path().display(), std::env::var("PATH").unwrap_or_default()))
                .env("KUBECONFIG", &world.endpoint.kubeconfig)
                .output()
                .expect("run sh");
            assert!(output.status.success(), "{line}\nfailed: {}", String::from_utf8_lossy(&output.stderr));
        }
    }
    for path in objects {
        by_commands.push(essence(&world.must_get(path).await));
    }
    // Back to the seed, then the same plans through the console.
    for path in &objects[2..5] {
        let _ = delete(&world.kube, path).await;
    }
    let _ = delete(&world.kube, objects[0]).await;
    Cluster::shared().await.reset().await;
    world
        .wait("the claim and volume are gone", |w| async move {
            Ok(w.get("/api/v1/persistentvolumes/nfs01").await.is_err()
                && w.get(&format!("/api/v1/namespaces/{NS}/persistentvolumeclaims/image-registry-pvc")).await.is_err())
        })
        .await;
    for request in [trust, nfs, s3] {
        admin.preview_and_apply(request).await;
    }
    for (path, expected) in objects.iter().zip(by_commands) {
        assert_eq!(essence(&world.must_get(path).await), expected, "{path} differs between oc and the console");
    }
    let _ = delete(&world.kube, "/api/v1/persistentvolumes/nfs01").await;
}

/// What a user wrote into an object: `spec`/`data`/`type`, labels and
/// annotations, without what servers or the operator add.
fn essence(object: &Value) -> Value {
    let mut spec = object.get("spec").cloned().unwrap_or(Value::Null);
    if let Some(spec) = spec.as_object_mut() {
        for key in ["httpSecret", "observedConfig", "volumeMode", "claimRef"] {
            spec.remove(key);
        }
        if let Some(storage) = spec.get_mut("storage").and_then(Value::as_object_mut) {
            storage.remove("managementState");
        }
    }
    json!({"spec": spec, "data": object.get("data"), "type": object.get("type")})
}

#[tokio::test]
async fn gitops_tracked_objects_are_flagged_and_plans_export_as_files() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    world
        .send("PATCH", CONFIG, "application/merge-patch+json",
            &json!({"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "registry:imageregistry.operator.openshift.io/Config:/cluster"}}}))
        .await;
    let plan = admin
        .preview(json!({"kind": "storage", "provider": {"type": "s3", "bucket": "registry", "region": "us-east-1",
            "credentials": {"accessKey": "AKIAEXAMPLE", "secretKey": "export-secret"}}}))
        .await
        .expect(201);
    assert_eq!(plan["gitops"].as_array().map(Vec::len), Some(1), "{plan:#}");
    assert!(plan["gitops"][0].as_str().unwrap_or("").contains("argocd.argoproj.io/tracking-id"), "{plan:#}");
    let id = plan["id"].as_str().unwrap_or_default();
    for format in ["kustomize", "yaml"] {
        let response = reqwest::Client::new()
            .get(world.console.url(&format!("/api/v1/plans/{id}/export?format={format}")))
            .bearer_auth(world.endpoint.token(User::Admin))
            .send()
            .await
            .expect("export answers");
        assert_eq!(response.status().as_u16(), 200);
        let text = response.text().await.expect("export text");
        assert!(!text.contains("export-secret") && !text.contains(&STANDARD.encode("export-secret")), "{text}");
        assert!(text.contains("REGISTRY_STORAGE_S3_SECRETKEY"), "{text}");
        if format == "kustomize" {
            assert!(text.contains("kind: Kustomization") && text.contains("bucket: registry"), "{text}");
        }
    }
    let bad = admin.get(&format!("/plans/{id}/export?format=helm")).await;
    assert_eq!(bad.status.as_u16(), 422);
    assert_eq!(bad.field_errors(), [("format".to_owned(), "field.one_of".to_owned())]);
    // Nothing was applied.
    assert!(world.config().await["spec"]["storage"].get("s3").is_none());
}

#[tokio::test]
async fn the_default_storage_class_moves_and_the_old_default_is_cleared_first() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    const MARK: &str = "storageclass.kubernetes.io/is-default-class";
    let (plan, _) = admin.preview_and_apply(json!({"kind": "default-storage-class", "name": "nfs-client"})).await;
    let targets: Vec<&str> =
        plan["steps"].as_array().into_iter().flatten().filter_map(|s| s["target"]["name"].as_str()).collect();
    assert_eq!(targets, ["standard", "nfs-client"], "the old default is cleared first");
    assert_eq!(codes(&plan, "dangers"), ["cluster-wide-default-class"]);
    let class = |name: &str| format!("/apis/storage.k8s.io/v1/storageclasses/{name}");
    assert_eq!(world.must_get(&class("nfs-client")).await["metadata"]["annotations"][MARK], "true");
    assert_eq!(world.must_get(&class("standard")).await["metadata"]["annotations"][MARK], "false");
    let missing = admin.preview(json!({"kind": "default-storage-class", "name": "gold"})).await;
    assert_eq!(missing.field_errors(), [("name".to_owned(), "storage_class.not_found".to_owned())]);
    // Put the seed's default back for the other tests.
    admin.preview_and_apply(json!({"kind": "default-storage-class", "name": "standard"})).await;
}

#[tokio::test]
async fn trusting_the_registrys_own_route_uses_the_ingress_ca() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let absent = admin.preview(json!({"kind": "trust-ingress-ca"})).await;
    assert_eq!(absent.status.as_u16(), 409, "{:#}", absent.body);
    let ca = test_ca();
    if world.get("/api/v1/namespaces/openshift-ingress-operator").await.is_err() {
        world
            .send(
                "POST",
                "/api/v1/namespaces",
                "application/json",
                &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-ingress-operator"}}),
            )
            .await;
    }
    let router_ca = json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "router-ca"}, "type": "kubernetes.io/tls",
        "data": {"tls.crt": STANDARD.encode(&ca.0), "tls.key": STANDARD.encode(&ca.1)}});
    // A namespace just made may not be known to admission for a moment.
    let router_ca = &router_ca;
    world
        .wait("the ingress CA secret is created", |w| async move {
            let request = http::Request::post("/api/v1/namespaces/openshift-ingress-operator/secrets")
                .header("content-type", "application/json")
                .body(serde_json::to_vec(router_ca)?)?;
            Ok(w.kube.request::<Value>(request).await.is_ok())
        })
        .await;
    let (plan, _) = admin.preview_and_apply(json!({"kind": "trust-ingress-ca"})).await;
    let host = "default-route-openshift-image-registry.apps.cluster.example.com";
    assert_eq!(plan["notes"]["host"], host, "{plan:#}");
    assert_eq!(plan["notes"]["caCertificate"], ca.0.as_str());
    assert!(
        plan["notes"]["clientSteps"][0].as_str().unwrap_or("").contains(&format!("/etc/containers/certs.d/{host}"))
    );
    assert!(!plan.to_string().contains("PRIVATE KEY"), "the ingress CA's key leaked: {plan:#}");
    let map = world.must_get("/api/v1/namespaces/openshift-config/configmaps/registry-trusted-cas").await;
    assert_eq!(map["data"][host], ca.0.as_str());
    let image = world.must_get("/apis/config.openshift.io/v1/images/cluster").await;
    assert_eq!(image["spec"]["additionalTrustedCA"]["name"], "registry-trusted-cas");
}

#[tokio::test]
async fn registry_sources_and_mirror_sets_roll_out_to_nodes_with_confirmation() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let plan = admin
        .preview(json!({"kind": "registry-sources", "allowedRegistries": ["quay.io", "registry.redhat.io", "registry.example.com:5000"],
            "insecureRegistries": ["registry.example.com:5000"], "allowedRegistriesForImport": [{"domainName": "registry.example.com:5000", "insecure": true}]}))
        .await
        .expect(201);
    assert_eq!(codes(&plan, "dangers"), ["node-rollout"]);
    let refused = admin.apply(plan["id"].as_str().unwrap_or_default(), &[]).await;
    assert_eq!(refused.status.as_u16(), 422);
    admin.apply(plan["id"].as_str().unwrap_or_default(), &["node-rollout"]).await.expect(200);
    let image = world.must_get("/apis/config.openshift.io/v1/images/cluster").await;
    assert_eq!(
        image["spec"]["registrySources"]["allowedRegistries"],
        json!(["quay.io", "registry.redhat.io", "registry.example.com:5000"])
    );
    assert_eq!(
        image["spec"]["allowedRegistriesForImport"],
        json!([{"domainName": "registry.example.com:5000", "insecure": true}])
    );
    assert!(image["spec"]["registrySources"].get("blockedRegistries").is_none());

    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "mirror-set", "by": "digest", "name": "disconnected", "mirrors": [
            {"source": "quay.io/openshift-release-dev", "mirrors": ["mirror.example.com:8443/openshift-release-dev"]}]}))
        .await;
    assert_eq!(plan["steps"][0]["action"], "create");
    let set = world.must_get("/apis/config.openshift.io/v1/imagedigestmirrorsets/disconnected").await;
    assert_eq!(
        set["spec"]["imageDigestMirrors"][0]["mirrors"],
        json!(["mirror.example.com:8443/openshift-release-dev"])
    );
    // The same name again replaces the mirrors.
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "mirror-set", "by": "digest", "name": "disconnected", "mirrors": [
            {"source": "registry.redhat.io", "mirrors": ["mirror.example.com:8443/redhat"], "mirrorSourcePolicy": "NeverContactSource"}]}))
        .await;
    assert_eq!(plan["steps"][0]["action"], "patch");
    let set = world.must_get("/apis/config.openshift.io/v1/imagedigestmirrorsets/disconnected").await;
    assert_eq!(set["spec"]["imageDigestMirrors"].as_array().map(Vec::len), Some(1));
    assert_eq!(set["spec"]["imageDigestMirrors"][0]["mirrorSourcePolicy"], "NeverContactSource");
}

#[tokio::test]
async fn roles_are_granted_as_oc_policy_grants_them() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "role-grant", "role": "registry-viewer", "namespace": "team-a", "subject": {"kind": "User", "name": "auditor"}}))
        .await;
    assert!(
        plan["commands"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("oc policy add-role-to-user registry-viewer auditor -n team-a"),
        "{plan:#}"
    );
    let binding =
        world.must_get("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/registry-viewer").await;
    assert_eq!(binding["roleRef"]["name"], "registry-viewer");
    assert_eq!(
        binding["subjects"],
        json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "auditor"}])
    );
    // The same grant again does nothing.
    let again = admin
        .preview(json!({"kind": "role-grant", "role": "registry-viewer", "namespace": "team-a", "subject": {"kind": "User", "name": "auditor"}}))
        .await
        .expect(201);
    assert_eq!(again["steps"].as_array().map(Vec::len), Some(0));
    assert!(codes(&again, "warnings").contains(&"access.already_granted".to_owned()));
    // Pulling across projects: every service account of team-b pulls from team-a.
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "role-grant", "role": "system:image-puller", "namespace": "team-a",
            "subject": {"kind": "Group", "name": "system:serviceaccounts:team-b"}}))
        .await;
    assert!(codes(&plan, "warnings").contains(&"access.cross_project_pull".to_owned()));
    world.must_get("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/system:image-puller").await;
    // The metrics scraper role of seeds 000/001.
    let (plan, _) = admin
        .preview_and_apply(json!({"kind": "metrics-access", "subject": {"kind": "ServiceAccount", "name": "prometheus-k8s", "namespace": "openshift-monitoring"}}))
        .await;
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(2));
    let role = world.must_get("/apis/rbac.authorization.k8s.io/v1/clusterroles/prometheus-scraper").await;
    assert_eq!(role["rules"][0]["resources"], json!(["registry/metrics"]));
    let binding = world.must_get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/prometheus-scraper").await;
    assert_eq!(binding["subjects"][0]["namespace"], "openshift-monitoring");
    // A developer may not grant in a namespace it does not administer: the API server says so.
    let developer = world.api(User::Developer);
    let refused = developer
        .preview(json!({"kind": "role-grant", "role": "registry-viewer", "namespace": "openshift-image-registry", "subject": {"kind": "User", "name": "developer"}}))
        .await;
    assert_eq!(refused.status.as_u16(), 403, "{:#}", refused.body);
}

#[tokio::test]
async fn deleting_an_image_that_is_not_there_is_refused_before_any_write() {
    // The test cluster serves images from a CRD stand-in, which cannot hold
    // OpenShift's `sha256:<digest>` names (a CRD object name has no colon):
    // only the refusal is checked here; the plan's shape is checked in the
    // server's unit tests.
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let digest = format!("sha256:{}", "a".repeat(64));
    let gone = admin.preview(json!({"kind": "delete-image", "name": digest})).await;
    assert_eq!(gone.status.as_u16(), 409, "{:#}", gone.body);
    assert!(gone.body["detail"].as_str().unwrap_or("").contains("does not exist"), "{:#}", gone.body);
    let tag = admin
        .preview(json!({"kind": "delete-image-tag", "namespace": "team-a", "imageStream": "app", "tag": "v1"}))
        .await;
    assert_eq!(tag.status.as_u16(), 409, "{:#}", tag.body);
}

/// Whether a case's facts are the live registry's (`cloud`: the state
/// [`every_rule_refuses_its_bad_input_through_the_api_and_nothing_changes`]
/// sets up; else the seeded bare-metal state).
fn facts_match(facts: &model::registry::RegistryFacts, cloud: bool) -> bool {
    let (state, replicas, providers, storage_state) =
        if cloud { ("Managed", 2, vec!["s3".to_owned()], "Managed") } else { ("Removed", 1, vec![], "") };
    facts.management_state == state
        && facts.replicas == Some(replicas)
        && matches!(facts.rollout_strategy.as_str(), "" | "RollingUpdate")
        && facts.storage_providers == providers
        && facts.storage_management_state == storage_state
        && facts.route_names.is_empty()
        && facts.claim_access_modes.is_none()
}

/// What a refused plan must not have changed: the specs of the singletons.
async fn specs(world: &World) -> Vec<Value> {
    let mut specs = Vec::new();
    for path in [
        CONFIG,
        "/apis/config.openshift.io/v1/images/cluster",
        "/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster",
    ] {
        let mut spec = world.must_get(path).await["spec"].clone();
        if let Some(spec) = spec.as_object_mut() {
            spec.remove("httpSecret");
        }
        specs.push(spec);
    }
    specs
}

#[tokio::test]
async fn every_rule_refuses_its_bad_input_through_the_api_and_nothing_changes() {
    use model::registry::Severity;
    use model::registry::validate::cases;
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let (mut checked, mut failures) = (0, Vec::new());
    let mut codes_checked = std::collections::BTreeSet::new();
    for cloud in [false, true] {
        if cloud {
            // A running registry on S3 with two replicas, as the cloud cases assume.
            world
                .send(
                    "PATCH",
                    CONFIG,
                    "application/merge-patch+json",
                    &json!({"spec": {"managementState": "Managed", "replicas": 2,
                    "storage": {"s3": {"bucket": "registry", "region": "us-east-1"}, "managementState": "Managed"}}}),
                )
                .await;
        }
        let before = specs(&world).await;
        for case in cases::cases()
            .into_iter()
            .filter(|case| case.severity == Severity::Error && facts_match(&case.facts, cloud))
        {
            let request = serde_json::to_value(&case.request).expect("request as JSON");
            let answer = admin.preview(request.clone()).await;
            let wanted = (case.field.to_owned(), case.code.to_owned());
            if answer.status.as_u16() != 422 || !answer.field_errors().contains(&wanted) {
                failures.push(format!(
                    "{request}: wanted 422 {wanted:?}, got {} {:?}",
                    answer.status,
                    answer.field_errors()
                ));
            }
            checked += 1;
            codes_checked.insert(case.code);
        }
        assert_eq!(specs(&world).await, before, "a refused plan changed the registry");
    }
    assert!(failures.is_empty(), "{} of {checked} cases failed:\n{}", failures.len(), failures.join("\n"));
    let all: std::collections::BTreeSet<_> =
        cases::cases().into_iter().filter(|c| c.severity == Severity::Error).map(|c| c.code).collect();
    eprintln!("{checked} bad inputs, {} of {} error codes, refused through the API", codes_checked.len(), all.len());
    assert!(
        codes_checked.len() * 10 >= all.len() * 9,
        "fewer than 90% of the rules were checked through the API: {:?}",
        all.difference(&codes_checked).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_pull_secret_can_use_a_long_lived_service_account_token_it_never_shows() {
    let world = World::new().await;
    let admin = world.api(User::Admin);
    let (plan, result) = admin
        .preview_and_apply(json!({"kind": "pull-secret", "namespace": "team-a", "name": "registry-pull",
            "registry": "default-route-openshift-image-registry.apps.cluster.example.com", "username": "serviceaccount",
            "tokenServiceAccount": "default"}))
        .await;
    let kinds: Vec<&str> =
        plan["steps"].as_array().into_iter().flatten().filter_map(|s| s["summary"].as_str()).collect();
    assert_eq!(kinds.len(), 2, "{plan:#}");
    assert!(codes(&plan, "warnings").contains(&"pull_secret.long_lived_token".to_owned()), "{plan:#}");
    assert!(
        plan["commands"][1]
            .as_str()
            .unwrap_or("")
            .contains("oc get secret registry-pull-token -n team-a -o 'jsonpath={.data.token}'"),
        "{plan:#}"
    );
    let token_secret = world.must_get("/api/v1/namespaces/team-a/secrets/registry-pull-token").await;
    assert_eq!(token_secret["type"], "kubernetes.io/service-account-token");
    let token =
        String::from_utf8(STANDARD.decode(token_secret["data"]["token"].as_str().unwrap_or("")).expect("base64"))
            .expect("utf-8");
    assert!(token.len() > 100, "the token controller filled no token");
    let secret = world.must_get("/api/v1/namespaces/team-a/secrets/registry-pull").await;
    let config: Value = serde_json::from_slice(
        &STANDARD.decode(secret["data"][".dockerconfigjson"].as_str().unwrap_or("")).expect("base64"),
    )
    .expect("json");
    let entry = &config["auths"]["default-route-openshift-image-registry.apps.cluster.example.com"];
    assert_eq!(entry["password"], token.as_str());
    assert_eq!(entry["auth"], STANDARD.encode(format!("serviceaccount:{token}")));
    assert!(!plan.to_string().contains(&token) && !result.to_string().contains(&token), "the token was shown");
    // The token authenticates as the service account.
    let review = world
        .send(
            "POST",
            "/apis/authentication.k8s.io/v1/tokenreviews",
            "application/json",
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}),
        )
        .await;
    assert_eq!(review["status"]["user"]["username"], "system:serviceaccount:team-a:default", "{review:#}");
    let both = admin
        .preview(json!({"kind": "pull-secret", "namespace": "team-a", "name": "x", "registry": "r.example.com",
        "username": "u", "password": "p", "tokenServiceAccount": "default"}))
        .await;
    assert_eq!(both.field_errors(), [("password".to_owned(), "pull_secret.password_and_token".to_owned())]);
}
