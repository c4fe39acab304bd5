//! The table of cases for every rule: one bad input per rule (the code and
//! field it must give) and good inputs that give no error. The model's
//! tests check `validate` with it; with feature `cases`, the end-to-end
//! tests send the same inputs through the REST API.

use std::collections::BTreeMap;

use super::*;
use crate::registry::Severity;

pub const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
pub const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";
pub const RESOURCE_KEY_CRN: &str = "crn:v1:bluemix:public:cloud-object-storage:global:a/1f2e:9d8c:resource-key:7b6a";
pub const SERVICE_INSTANCE_CRN: &str = "crn:v1:bluemix:public:cloud-object-storage:global:a/1f2e:9d8c::";

pub fn s(text: &str) -> String {
    text.to_owned()
}

/// A running registry on S3 with two replicas.
pub fn cloud_facts() -> RegistryFacts {
    RegistryFacts {
        management_state: s("Managed"),
        replicas: Some(2),
        rollout_strategy: String::new(),
        storage_providers: vec![s("s3")],
        storage_management_state: s("Managed"),
        route_names: vec![],
        claim_access_modes: None,
    }
}

/// A fresh bare-metal install: Removed, no storage, one replica.
pub fn bare_metal_facts() -> RegistryFacts {
    RegistryFacts {
        management_state: s("Removed"),
        replicas: Some(1),
        rollout_strategy: String::new(),
        storage_providers: vec![],
        storage_management_state: String::new(),
        route_names: vec![],
        claim_access_modes: None,
    }
}

pub fn management(change: impl FnOnce(&mut ManagementInput)) -> PlanRequest {
    let mut input = ManagementInput {
        management_state: Some(s("Managed")),
        replicas: Some(2),
        rollout_strategy: Some(s("RollingUpdate")),
        log_level: Some(s("Debug")),
        operator_log_level: Some(s("Normal")),
        read_only: Some(false),
        disable_redirect: None,
        requests: Some(RequestsInput {
            read: Some(RequestLimits {
                max_running: Some(10),
                max_in_queue: Some(100),
                max_wait_in_queue: Some(s("30s")),
            }),
            write: None,
        }),
        proxy: Some(ProxyInput { http: s("http://proxy.corp:3128"), https: String::new(), no_proxy: s(".corp") }),
        node_selector: Some(BTreeMap::from([(s("node-role.kubernetes.io/infra"), String::new())])),
        tolerations: Some(vec![Toleration {
            key: s("node-role.kubernetes.io/infra"),
            operator: s("Exists"),
            effect: s("NoSchedule"),
            ..Toleration::default()
        }]),
        keep_storage: None,
    };
    change(&mut input);
    PlanRequest::Management(input)
}

pub fn storage(provider: StorageProvider, change: impl FnOnce(&mut StorageInput)) -> PlanRequest {
    let mut input =
        StorageInput { provider, replicas: None, rollout_strategy: None, management_state: Some(s("Managed")) };
    change(&mut input);
    PlanRequest::Storage(input)
}

pub fn pvc(change: impl FnOnce(&mut PvcStorage)) -> PlanRequest {
    let mut pvc = PvcStorage {
        claim: s("registry-claim"),
        create: Some(NewClaim { size: s("100Gi"), access_modes: vec![s("ReadWriteMany")], storage_class_name: None }),
        nfs: None,
    };
    change(&mut pvc);
    storage(StorageProvider::Pvc(pvc), |_| {})
}

pub fn good_nfs() -> NfsVolume {
    NfsVolume {
        volume_name: s("registry-nfs"),
        server: s("nfs01.example.com"),
        path: s("/exports/registry"),
        size: s("200Gi"),
        storage_class_name: String::new(),
    }
}

pub fn nfs(change: impl FnOnce(&mut NfsVolume)) -> PlanRequest {
    let mut nfs = good_nfs();
    change(&mut nfs);
    pvc(|p| {
        p.create = None;
        p.nfs = Some(nfs);
    })
}

pub fn s3(change: impl FnOnce(&mut S3Storage)) -> PlanRequest {
    let mut s3 = S3Storage {
        bucket: s("registry-bucket"),
        region: s("us-east-1"),
        region_endpoint: s("https://rgw.example.com:8080"),
        virtual_hosted_style: false,
        encrypt: true,
        key_id: s("kms-key"),
        trusted_ca: s("rgw-ca"),
        chunk_size_mib: Some(10),
        credentials: Some(S3Credentials { access_key: s("AKIA"), secret_key: s("secret") }),
    };
    change(&mut s3);
    storage(StorageProvider::S3(s3), |_| {})
}

pub fn gcs(change: impl FnOnce(&mut GcsStorage)) -> PlanRequest {
    let mut gcs = GcsStorage {
        bucket: s("registry-gcs"),
        region: s("us-central1"),
        project_id: s("project"),
        key_id: String::new(),
        keyfile: Some(s(r#"{"type": "service_account", "project_id": "project"}"#)),
    };
    change(&mut gcs);
    storage(StorageProvider::Gcs(gcs), |_| {})
}

pub fn azure(change: impl FnOnce(&mut AzureStorage)) -> PlanRequest {
    let mut azure = AzureStorage {
        account_name: s("registrystore1"),
        container: s("registry"),
        cloud_name: s("AzureUSGovernmentCloud"),
        account_key: Some(s("key")),
    };
    change(&mut azure);
    storage(StorageProvider::Azure(azure), |_| {})
}

pub fn swift(change: impl FnOnce(&mut SwiftStorage)) -> PlanRequest {
    let mut swift = SwiftStorage {
        auth_url: s("https://keystone.example.com:5000/v3"),
        container: s("registry"),
        username: Some(s("registry")),
        password: Some(s("secret")),
        ..SwiftStorage::default()
    };
    change(&mut swift);
    storage(StorageProvider::Swift(swift), |_| {})
}

pub fn ibmcos(change: impl FnOnce(&mut IbmCosStorage)) -> PlanRequest {
    let mut cos = IbmCosStorage {
        bucket: s("registry"),
        location: s("us-south"),
        resource_group_name: s("default"),
        resource_key_crn: s(RESOURCE_KEY_CRN),
        service_instance_crn: s(SERVICE_INSTANCE_CRN),
        iam_api_key: Some(s("key")),
    };
    change(&mut cos);
    storage(StorageProvider::IbmCos(cos), |_| {})
}

pub fn good_route() -> RouteInput {
    RouteInput {
        name: s("registry"),
        hostname: s("registry.apps.example.com"),
        secret_name: s("registry-tls"),
        tls: Some(RouteTls::Upload { certificate: s(CERT), key: s(KEY), ca_certificate: String::new() }),
    }
}

pub fn routes(change: impl FnOnce(&mut Vec<RouteInput>)) -> PlanRequest {
    let mut list = vec![good_route()];
    change(&mut list);
    PlanRequest::Routes(RoutesInput { default_route: Some(true), routes: Some(list) })
}

pub fn generate(ca_certificate: &str, ca_key: &str, days: Option<u32>) -> PlanRequest {
    routes(|r| {
        r[0].tls = Some(RouteTls::Generate { ca_certificate: s(ca_certificate), ca_key: s(ca_key), days });
    })
}

pub fn trusted_ca(change: impl FnOnce(&mut TrustedCaInput)) -> PlanRequest {
    let mut input = TrustedCaInput {
        host: s("registry.example.com"),
        port: Some(5000),
        certificate: s(CERT),
        config_map: s("registry-cas"),
    };
    change(&mut input);
    PlanRequest::TrustedCa(input)
}

pub fn sources(change: impl FnOnce(&mut RegistrySourcesInput)) -> PlanRequest {
    let mut input = RegistrySourcesInput {
        allowed_registries: vec![s("quay.io"), s("registry.redhat.io"), s("reg.example.com:5000/team")],
        blocked_registries: vec![],
        insecure_registries: vec![s("reg.example.com:5000/team")],
        allowed_registries_for_import: vec![AllowedImportRegistry { domain_name: s("*.example.com"), insecure: false }],
    };
    change(&mut input);
    PlanRequest::RegistrySources(input)
}

pub fn mirrors(change: impl FnOnce(&mut MirrorSetInput)) -> PlanRequest {
    let mut input = MirrorSetInput {
        by: s("digest"),
        name: s("ubi-mirrors"),
        mirrors: vec![MirrorInput {
            source: s("registry.redhat.io/ubi9"),
            mirrors: vec![s("mirror.example.com:5000/ubi9")],
            mirror_source_policy: s("NeverContactSource"),
        }],
    };
    change(&mut input);
    PlanRequest::MirrorSet(input)
}

pub fn global_pull(change: impl FnOnce(&mut GlobalPullSecretInput)) -> PlanRequest {
    let mut input = GlobalPullSecretInput {
        registry: s("registry.example.com:5000"),
        username: s("user"),
        password: s("secret"),
        email: String::new(),
        remove: false,
    };
    change(&mut input);
    PlanRequest::GlobalPullSecret(input)
}

pub fn pruner(change: impl FnOnce(&mut PrunerInput)) -> PlanRequest {
    let mut input = PrunerInput {
        schedule: Some(s("0 0 * * *")),
        suspend: Some(false),
        keep_tag_revisions: Some(3),
        keep_younger_than_duration: Some(s("60m")),
        successful_jobs_history_limit: Some(3),
        failed_jobs_history_limit: Some(3),
        ignore_invalid_image_references: Some(true),
        log_level: Some(s("Normal")),
    };
    change(&mut input);
    PlanRequest::Pruner(input)
}

pub fn grant(change: impl FnOnce(&mut RoleGrantInput)) -> PlanRequest {
    let mut input = RoleGrantInput {
        role: s("registry-viewer"),
        namespace: s("team-a"),
        subject: SubjectInput { kind: s("User"), name: s("alice"), namespace: String::new() },
    };
    change(&mut input);
    PlanRequest::RoleGrant(input)
}

pub fn service_account_grant(change: impl FnOnce(&mut SubjectInput)) -> PlanRequest {
    grant(|g| {
        g.subject = SubjectInput { kind: s("ServiceAccount"), name: s("builder"), namespace: s("team-b") };
        change(&mut g.subject);
    })
}

pub fn pull_secret(change: impl FnOnce(&mut PullSecretInput)) -> PlanRequest {
    let mut input = PullSecretInput {
        namespace: s("team-a"),
        name: s("registry-pull"),
        registry: s("registry.apps.example.com"),
        username: s("builder"),
        password: s("token"),
        email: String::new(),
        service_account: s("default"),
        token_service_account: String::new(),
    };
    change(&mut input);
    PlanRequest::PullSecret(input)
}

pub fn delete_tag(change: impl FnOnce(&mut DeleteImageTagInput)) -> PlanRequest {
    let mut input = DeleteImageTagInput { namespace: s("team-a"), image_stream: s("app"), tag: s("v1.0") };
    change(&mut input);
    PlanRequest::DeleteImageTag(input)
}

pub fn digest() -> String {
    format!("sha256:{}", "0123456789abcdef".repeat(4))
}

/// Requests and facts that must yield no error.
pub fn good() -> Vec<(&'static str, PlanRequest, RegistryFacts)> {
    let cloud = cloud_facts;
    let bare = bare_metal_facts;
    vec![
        ("management", management(|_| {}), cloud()),
        ("management, minimal", PlanRequest::Management(ManagementInput::default()), RegistryFacts::default()),
        (
            "removed, keeping storage",
            management(|m| {
                m.management_state = Some(s("Removed"));
                m.keep_storage = Some(true);
            }),
            cloud(),
        ),
        ("pvc create rwx", pvc(|_| {}), bare()),
        (
            "pvc create rwo with one replica and Recreate",
            storage(
                StorageProvider::Pvc(PvcStorage {
                    claim: s("registry-block"),
                    create: Some(NewClaim {
                        size: s("100Gi"),
                        access_modes: vec![s("ReadWriteOnce")],
                        storage_class_name: Some(s("thin-csi")),
                    }),
                    nfs: None,
                }),
                |st| {
                    st.replicas = Some(1);
                    st.rollout_strategy = Some(s("Recreate"));
                },
            ),
            bare(),
        ),
        (
            "pvc blank claim",
            pvc(|p| {
                p.claim = String::new();
                p.create = None;
            }),
            bare(),
        ),
        (
            "existing rwx claim",
            pvc(|p| p.create = None),
            RegistryFacts { claim_access_modes: Some(vec![s("ReadWriteMany")]), ..cloud() },
        ),
        ("nfs", nfs(|_| {}), bare()),
        ("emptyDir", storage(StorageProvider::EmptyDir, |st| st.replicas = Some(1)), bare()),
        ("s3", s3(|_| {}), cloud()),
        (
            "s3 generated, aws endpoint",
            s3(|b| {
                b.bucket = String::new();
                b.region_endpoint = s("https://s3.us-east-1.amazonaws.com");
                b.credentials = None;
                b.chunk_size_mib = None;
            }),
            cloud(),
        ),
        ("gcs", gcs(|_| {}), cloud()),
        ("azure", azure(|_| {}), cloud()),
        ("azure generated", azure(|a| *a = AzureStorage::default()), cloud()),
        ("swift", swift(|_| {}), cloud()),
        (
            "swift from clouds.yaml",
            swift(|w| {
                w.username = None;
                w.password = None;
            }),
            cloud(),
        ),
        ("ibmcos", ibmcos(|_| {}), cloud()),
        ("default class", PlanRequest::DefaultStorageClass(DefaultStorageClassInput { name: s("thin-csi") }), cloud()),
        ("routes", routes(|_| {}), cloud()),
        (
            "route with generated host, router certificate",
            routes(|r| {
                r[0].hostname = String::new();
                r[0].secret_name = String::new();
                r[0].tls = None;
            }),
            cloud(),
        ),
        (
            "route certificate for a generated key",
            routes(|r| {
                r[0].tls = Some(RouteTls::Upload { certificate: s(CERT), key: String::new(), ca_certificate: s(CERT) });
            }),
            cloud(),
        ),
        ("route signed here", generate(CERT, KEY, Some(825)), cloud()),
        ("route csr", generate("", "", None), cloud()),
        ("no routes", PlanRequest::Routes(RoutesInput { default_route: Some(false), routes: None }), cloud()),
        ("trusted ca", trusted_ca(|_| {}), cloud()),
        (
            "trusted ca by ip, no port",
            trusted_ca(|t| {
                t.host = s("10.0.0.5");
                t.port = None;
                t.config_map = String::new();
            }),
            cloud(),
        ),
        ("trust ingress ca", PlanRequest::TrustIngressCa(TrustIngressCaInput::default()), cloud()),
        ("registry sources", sources(|_| {}), cloud()),
        (
            "blocked only",
            sources(|r| {
                r.allowed_registries.clear();
                r.blocked_registries = vec![s("*.untrusted.example"), s("docker.io")];
            }),
            cloud(),
        ),
        ("mirror set", mirrors(|_| {}), cloud()),
        (
            "tag mirror set with wildcard source",
            mirrors(|m| {
                m.by = s("tag");
                m.mirrors[0].source = s("*.redhat.io");
                m.mirrors[0].mirror_source_policy = String::new();
            }),
            cloud(),
        ),
        ("global pull secret", global_pull(|_| {}), cloud()),
        (
            "global pull secret removal",
            global_pull(|g| {
                g.username = String::new();
                g.password = String::new();
                g.remove = true;
            }),
            cloud(),
        ),
        ("pruner", pruner(|_| {}), cloud()),
        (
            "pruner partial",
            PlanRequest::Pruner(PrunerInput { schedule: Some(s("@weekly")), ..PrunerInput::default() }),
            cloud(),
        ),
        ("prune now", PlanRequest::PruneNow(PruneNowInput {}), cloud()),
        ("role grant", grant(|_| {}), cloud()),
        (
            "group grant",
            grant(|g| {
                g.role = s("system:image-puller");
                g.subject = SubjectInput {
                    kind: s("Group"),
                    name: s("system:serviceaccounts:team-b"),
                    namespace: String::new(),
                };
            }),
            cloud(),
        ),
        ("service account grant", service_account_grant(|_| {}), cloud()),
        (
            "metrics access",
            PlanRequest::MetricsAccess(MetricsAccessInput {
                subject: SubjectInput { kind: s("User"), name: s("prometheus"), namespace: String::new() },
            }),
            cloud(),
        ),
        ("pull secret", pull_secret(|_| {}), cloud()),
        (
            "pull secret with a service account token",
            pull_secret(|p| {
                p.password.clear();
                p.token_service_account = s("builder");
            }),
            cloud(),
        ),
        (
            "pull secret with port",
            pull_secret(|p| {
                p.registry = s("registry.example.com:5000");
                p.service_account = String::new();
            }),
            cloud(),
        ),
        ("delete tag", delete_tag(|_| {}), cloud()),
        ("delete image", PlanRequest::DeleteImage(DeleteImageInput { name: digest() }), cloud()),
    ]
}

/// One bad input per rule: `(request, facts, field, code, severity)`.
pub struct Case {
    pub request: PlanRequest,
    pub facts: RegistryFacts,
    pub field: &'static str,
    pub code: &'static str,
    pub severity: Severity,
}

pub fn err(request: PlanRequest, facts: RegistryFacts, field: &'static str, code: &'static str) -> Case {
    Case { request, facts, field, code, severity: Severity::Error }
}

pub fn warn(request: PlanRequest, facts: RegistryFacts, field: &'static str, code: &'static str) -> Case {
    Case { request, facts, field, code, severity: Severity::Warning }
}

pub fn cases() -> Vec<Case> {
    let cloud = cloud_facts;
    let bare = bare_metal_facts;
    let rwo = |replicas: i32, rollout: &str| RegistryFacts {
        replicas: Some(replicas),
        rollout_strategy: s(rollout),
        claim_access_modes: Some(vec![s("ReadWriteOnce")]),
        storage_providers: vec![s("pvc")],
        ..cloud_facts()
    };
    let bad_toleration = |change: fn(&mut Toleration)| {
        management(move |m| {
            if let Some(t) = m.tolerations.as_mut() {
                change(&mut t[0]);
            }
        })
    };
    let mut many = vec![s("quay.io"), s("registry.redhat.io")];
    many.extend((0..1023).map(|i| format!("r{i}.example.com")));
    vec![
        // management
        err(
            management(|m| m.management_state = Some(s("Bogus"))),
            cloud(),
            "managementState",
            "management.state_invalid",
        ),
        err(
            management(|m| m.management_state = Some(s("Force"))),
            cloud(),
            "managementState",
            "management.state_force",
        ),
        err(management(|m| m.replicas = Some(-1)), cloud(), "replicas", "field.negative"),
        warn(management(|m| m.replicas = Some(0)), cloud(), "replicas", "management.replicas_zero"),
        err(management(|m| m.rollout_strategy = Some(s("BlueGreen"))), cloud(), "rolloutStrategy", "field.one_of"),
        err(management(|m| m.log_level = Some(s("Verbose"))), cloud(), "logLevel", "field.one_of"),
        err(management(|m| m.operator_log_level = Some(s("debug"))), cloud(), "operatorLogLevel", "field.one_of"),
        err(
            management(|m| {
                if let Some(read) = m.requests.as_mut().and_then(|r| r.read.as_mut()) {
                    read.max_running = Some(-1);
                }
            }),
            cloud(),
            "requests.read.maxRunning",
            "field.negative",
        ),
        err(
            management(|m| {
                m.requests = Some(RequestsInput {
                    read: None,
                    write: Some(RequestLimits { max_in_queue: Some(-5), ..RequestLimits::default() }),
                })
            }),
            cloud(),
            "requests.write.maxInQueue",
            "field.negative",
        ),
        err(
            management(|m| {
                if let Some(read) = m.requests.as_mut().and_then(|r| r.read.as_mut()) {
                    read.max_wait_in_queue = Some(s("30"));
                }
            }),
            cloud(),
            "requests.read.maxWaitInQueue",
            "field.duration_invalid",
        ),
        err(
            management(|m| m.proxy = Some(ProxyInput { https: s("proxy.corp:3128"), ..ProxyInput::default() })),
            cloud(),
            "proxy.https",
            "field.url_invalid",
        ),
        err(
            management(|m| m.node_selector = Some(BTreeMap::from([(s("bad key!"), s("x"))]))),
            cloud(),
            "nodeSelector[\"bad key!\"]",
            "management.label_key_invalid",
        ),
        err(
            management(|m| m.node_selector = Some(BTreeMap::from([(s("disktype"), s("-ssd"))]))),
            cloud(),
            "nodeSelector[\"disktype\"]",
            "management.label_value_invalid",
        ),
        err(bad_toleration(|t| t.operator = s("In")), cloud(), "tolerations[0].operator", "field.one_of"),
        err(bad_toleration(|t| t.effect = s("Sometimes")), cloud(), "tolerations[0].effect", "field.one_of"),
        err(
            bad_toleration(|t| t.value = s("x")),
            cloud(),
            "tolerations[0].value",
            "management.toleration_exists_value",
        ),
        err(
            bad_toleration(|t| {
                t.operator = s("Equal");
                t.key = String::new();
            }),
            cloud(),
            "tolerations[0].key",
            "management.toleration_key_required",
        ),
        err(
            bad_toleration(|t| t.key = s("bad key")),
            cloud(),
            "tolerations[0].key",
            "management.toleration_key_invalid",
        ),
        err(
            bad_toleration(|t| t.toleration_seconds = Some(60)),
            cloud(),
            "tolerations[0].tolerationSeconds",
            "management.toleration_seconds_effect",
        ),
        err(
            management(|m| m.management_state = Some(s("Removed"))),
            cloud(),
            "keepStorage",
            "management.keep_storage_required",
        ),
        warn(
            management(|m| {
                m.management_state = Some(s("Removed"));
                m.keep_storage = Some(false);
            }),
            cloud(),
            "managementState",
            "management.removed_deletes_storage",
        ),
        warn(
            management(|m| {
                m.management_state = Some(s("Removed"));
                m.keep_storage = Some(true);
            }),
            cloud(),
            "managementState",
            "management.removed_effects",
        ),
        warn(
            management(|m| m.management_state = Some(s("Unmanaged"))),
            cloud(),
            "managementState",
            "management.unmanaged_effects",
        ),
        warn(management(|_| {}), bare(), "managementState", "management.no_storage"),
        warn(management(|m| m.read_only = Some(true)), cloud(), "readOnly", "management.read_only"),
        err(
            management(|m| m.replicas = None),
            RegistryFacts { storage_providers: vec![s("emptyDir")], replicas: Some(2), ..cloud() },
            "replicas",
            "storage.empty_dir_replicas",
        ),
        err(
            management(|m| m.replicas = Some(2)),
            RegistryFacts { storage_providers: vec![s("emptyDir")], replicas: Some(1), ..cloud() },
            "replicas",
            "storage.empty_dir_replicas",
        ),
        err(management(|m| m.rollout_strategy = None), rwo(1, "Recreate"), "replicas", "storage.rwo_replicas"),
        err(management(|m| m.replicas = Some(1)), rwo(1, "Recreate"), "rolloutStrategy", "storage.rwo_rolling_update"),
        // storage: common
        err(
            storage(StorageProvider::EmptyDir, |st| st.management_state = Some(s("Force"))),
            bare(),
            "managementState",
            "management.state_force",
        ),
        err(storage(StorageProvider::EmptyDir, |st| st.replicas = Some(-1)), bare(), "replicas", "field.negative"),
        err(
            storage(StorageProvider::EmptyDir, |st| st.rollout_strategy = Some(s("Canary"))),
            bare(),
            "rolloutStrategy",
            "field.one_of",
        ),
        warn(
            pvc(|_| {}),
            RegistryFacts { storage_providers: vec![s("s3")], ..bare() },
            "provider",
            "storage.provider_switch",
        ),
        // storage: pvc
        err(pvc(|p| p.claim = s("Bad_Name")), bare(), "provider.claim", "field.dns_subdomain"),
        err(pvc(|p| p.claim = String::new()), bare(), "provider.claim", "storage.claim_required_to_create"),
        err(pvc(|p| p.claim = s("image-registry-storage")), bare(), "provider.claim", "storage.claim_reserved_name"),
        warn(
            pvc(|p| {
                p.claim = String::new();
                p.create = None;
            }),
            bare(),
            "provider.claim",
            "storage.claim_default",
        ),
        err(pvc(|p| p.nfs = Some(good_nfs())), bare(), "provider.nfs", "storage.create_and_nfs"),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.size = s("big"))),
            bare(),
            "provider.create.size",
            "field.quantity_invalid",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.size = String::new())),
            bare(),
            "provider.create.size",
            "field.required",
        ),
        warn(
            pvc(|p| p.create.iter_mut().for_each(|c| c.size = s("50Gi"))),
            bare(),
            "provider.create.size",
            "storage.size_small",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.access_modes = vec![s("ReadWriteAll")])),
            bare(),
            "provider.create.accessModes[0]",
            "field.one_of",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.access_modes.clear())),
            bare(),
            "provider.create.accessModes",
            "field.required",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.access_modes = vec![s("ReadWriteOncePod")])),
            bare(),
            "provider.create.accessModes",
            "storage.access_mode_rwop_only",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.access_modes = vec![s("ReadOnlyMany")])),
            bare(),
            "provider.create.accessModes",
            "storage.access_modes_unwritable",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.storage_class_name = Some(s("Fast SSD")))),
            bare(),
            "provider.create.storageClassName",
            "field.dns_subdomain",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.access_modes = vec![s("ReadWriteOnce")])),
            RegistryFacts { replicas: Some(2), rollout_strategy: s("Recreate"), ..bare() },
            "replicas",
            "storage.rwo_replicas",
        ),
        err(
            pvc(|p| p.create.iter_mut().for_each(|c| c.access_modes = vec![s("ReadWriteOnce")])),
            bare(),
            "rolloutStrategy",
            "storage.rwo_rolling_update",
        ),
        err(pvc(|p| p.create = None), rwo(2, "Recreate"), "replicas", "storage.rwo_replicas"),
        err(
            pvc(|p| p.create = None),
            RegistryFacts { claim_access_modes: Some(vec![s("ReadOnlyMany")]), ..bare() },
            "provider.claim",
            "storage.access_modes_unwritable",
        ),
        // storage: nfs
        err(nfs(|n| n.volume_name = String::new()), bare(), "provider.nfs.volumeName", "field.required"),
        err(nfs(|n| n.server = s("bad host!")), bare(), "provider.nfs.server", "field.host_invalid"),
        err(nfs(|n| n.path = s("exports/registry")), bare(), "provider.nfs.path", "storage.nfs_path_not_absolute"),
        err(nfs(|n| n.size = s("-1Gi")), bare(), "provider.nfs.size", "field.quantity_invalid"),
        err(nfs(|n| n.storage_class_name = s("NFS")), bare(), "provider.nfs.storageClassName", "field.dns_subdomain"),
        warn(nfs(|_| {}), RegistryFacts { replicas: Some(2), ..bare() }, "provider.nfs", "storage.nfs_no_wdelay"),
        warn(nfs(|_| {}), bare(), "provider.nfs.server", "storage.nfs_rhel"),
        // storage: emptyDir
        warn(storage(StorageProvider::EmptyDir, |_| {}), bare(), "provider", "storage.empty_dir_not_production"),
        err(
            storage(StorageProvider::EmptyDir, |st| st.replicas = Some(2)),
            bare(),
            "replicas",
            "storage.empty_dir_replicas",
        ),
        // storage: s3
        err(
            s3(|b| b.credentials.iter_mut().for_each(|c| c.secret_key.clear())),
            cloud(),
            "provider.credentials.secretKey",
            "storage.s3.keys_together",
        ),
        err(s3(|b| b.bucket = s("My_Bucket")), cloud(), "provider.bucket", "storage.s3.bucket_invalid"),
        err(s3(|b| b.bucket = s("192.168.1.1")), cloud(), "provider.bucket", "storage.s3.bucket_invalid"),
        err(
            s3(|b| b.region_endpoint = s("rgw.example.com:8080")),
            cloud(),
            "provider.regionEndpoint",
            "field.url_invalid",
        ),
        err(
            s3(|b| b.region_endpoint = s("https://rgw.example.com")),
            cloud(),
            "provider.regionEndpoint",
            "storage.s3.endpoint_port",
        ),
        warn(s3(|b| b.encrypt = false), cloud(), "provider.keyID", "storage.s3.key_id_ignored"),
        err(s3(|b| b.trusted_ca = s("Bad CA")), cloud(), "provider.trustedCA", "field.dns_subdomain"),
        err(s3(|b| b.chunk_size_mib = Some(4)), cloud(), "provider.chunkSizeMiB", "storage.s3.chunk_size_range"),
        err(s3(|b| b.chunk_size_mib = Some(5121)), cloud(), "provider.chunkSizeMiB", "storage.s3.chunk_size_range"),
        // storage: gcs
        err(gcs(|g| g.bucket = s("google-registry")), cloud(), "provider.bucket", "storage.gcs.bucket_invalid"),
        err(gcs(|g| g.keyfile = Some(s("not json"))), cloud(), "provider.keyfile", "storage.gcs.keyfile_invalid"),
        err(gcs(|g| g.keyfile = Some(s("[1]"))), cloud(), "provider.keyfile", "storage.gcs.keyfile_invalid"),
        err(
            gcs(|g| g.keyfile = Some(s(r#"{"type": "authorized_user"}"#))),
            cloud(),
            "provider.keyfile",
            "storage.gcs.keyfile_not_service_account",
        ),
        err(gcs(|g| g.keyfile = Some(String::new())), cloud(), "provider.keyfile", "field.required"),
        // storage: azure
        err(
            azure(|a| a.account_name = s("Registry-Store")),
            cloud(),
            "provider.accountName",
            "storage.azure.account_name_invalid",
        ),
        err(azure(|a| a.container = s("reg--istry")), cloud(), "provider.container", "storage.azure.container_invalid"),
        err(azure(|a| a.cloud_name = s("AzureMarsCloud")), cloud(), "provider.cloudName", "field.one_of"),
        err(azure(|a| a.account_key = Some(String::new())), cloud(), "provider.accountKey", "field.required"),
        // storage: swift
        err(swift(|w| w.auth_url = s("keystone")), cloud(), "provider.authURL", "field.url_invalid"),
        err(swift(|w| w.container = String::new()), cloud(), "provider.container", "field.required"),
        err(swift(|w| w.password = None), cloud(), "provider.password", "storage.swift.credentials_together"),
        // storage: ibmcos
        err(ibmcos(|c| c.bucket = String::new()), cloud(), "provider.bucket", "field.required"),
        err(
            ibmcos(|c| c.resource_key_crn = s("crn:bad")),
            cloud(),
            "provider.resourceKeyCRN",
            "storage.ibmcos.resource_key_crn_invalid",
        ),
        err(
            ibmcos(|c| c.service_instance_crn = s(RESOURCE_KEY_CRN)),
            cloud(),
            "provider.serviceInstanceCRN",
            "storage.ibmcos.service_instance_crn_invalid",
        ),
        err(ibmcos(|c| c.iam_api_key = Some(String::new())), cloud(), "provider.iamApiKey", "field.required"),
        // default storage class
        err(
            PlanRequest::DefaultStorageClass(DefaultStorageClassInput { name: s("Thin CSI") }),
            cloud(),
            "name",
            "field.dns_subdomain",
        ),
        // routes
        err(
            routes(|r| r.push(RouteInput { hostname: s("other.apps.example.com"), ..good_route() })),
            cloud(),
            "routes[1].name",
            "routes.name_duplicate",
        ),
        err(routes(|r| r[0].name = s("default-route")), cloud(), "routes[0].name", "routes.name_reserved"),
        err(routes(|r| r[0].name = String::new()), cloud(), "routes[0].name", "field.required"),
        err(routes(|r| r[0].name = s("Registry")), cloud(), "routes[0].name", "field.dns_subdomain"),
        warn(
            routes(|r| {
                r[0].name = "a".repeat(39);
                r[0].hostname = String::new();
            }),
            cloud(),
            "routes[0].name",
            "routes.generated_host_label_long",
        ),
        err(routes(|r| r[0].hostname = s("Registry.Apps")), cloud(), "routes[0].hostname", "routes.hostname_invalid"),
        err(
            routes(|r| r[0].hostname = s("*.apps.example.com")),
            cloud(),
            "routes[0].hostname",
            "routes.hostname_wildcard",
        ),
        err(
            routes(|r| r.push(RouteInput { name: s("second"), ..good_route() })),
            cloud(),
            "routes[1].hostname",
            "routes.hostname_duplicate",
        ),
        err(routes(|r| r[0].secret_name = s("Bad")), cloud(), "routes[0].secretName", "field.dns_subdomain"),
        warn(routes(|_| {}), cloud(), "routes[0].secretName", "routes.key_visible_in_route"),
        err(
            routes(|r| {
                r[0].tls = Some(RouteTls::Upload { certificate: s("junk"), key: s(KEY), ca_certificate: String::new() })
            }),
            cloud(),
            "routes[0].tls.certificate",
            "field.certificate_pem_missing",
        ),
        err(
            routes(|r| {
                r[0].tls =
                    Some(RouteTls::Upload { certificate: s(CERT), key: s("junk"), ca_certificate: String::new() })
            }),
            cloud(),
            "routes[0].tls.key",
            "field.private_key_pem_missing",
        ),
        err(
            routes(|r| {
                r[0].tls = Some(RouteTls::Upload { certificate: s(CERT), key: s(KEY), ca_certificate: s("junk") })
            }),
            cloud(),
            "routes[0].tls.caCertificate",
            "field.certificate_pem_missing",
        ),
        err(generate(CERT, "", None), cloud(), "routes[0].tls.caKey", "routes.ca_pair_together"),
        err(generate("", KEY, None), cloud(), "routes[0].tls.caCertificate", "routes.ca_pair_together"),
        err(generate(CERT, "junk", None), cloud(), "routes[0].tls.caKey", "field.private_key_pem_missing"),
        err(generate(CERT, KEY, Some(0)), cloud(), "routes[0].tls.days", "routes.days_range"),
        err(generate(CERT, KEY, Some(826)), cloud(), "routes[0].tls.days", "routes.days_range"),
        warn(generate("", "", Some(30)), cloud(), "routes[0].tls.days", "routes.days_without_ca"),
        warn(generate("", "", None), cloud(), "routes[0].tls", "routes.csr_pending"),
        warn(
            routes(|_| {}),
            RegistryFacts { route_names: vec![s("registry"), s("old")], ..cloud() },
            "routes",
            "routes.route_removed",
        ),
        // trusted CA
        err(trusted_ca(|t| t.host = String::new()), cloud(), "host", "field.required"),
        err(trusted_ca(|t| t.host = s("registry.example.com:5000")), cloud(), "host", "trusted_ca.host_has_port"),
        err(trusted_ca(|t| t.host = s("bad host")), cloud(), "host", "field.host_invalid"),
        err(trusted_ca(|t| t.port = Some(0)), cloud(), "port", "field.port_invalid"),
        warn(trusted_ca(|t| t.port = Some(443)), cloud(), "port", "trusted_ca.default_port"),
        err(trusted_ca(|t| t.certificate = s("MIIB")), cloud(), "certificate", "field.certificate_pem_missing"),
        err(trusted_ca(|t| t.config_map = s("Bad")), cloud(), "configMap", "field.dns_subdomain"),
        err(
            PlanRequest::TrustIngressCa(TrustIngressCaInput { host: s("x y"), config_map: String::new() }),
            cloud(),
            "host",
            "field.host_invalid",
        ),
        err(
            PlanRequest::TrustIngressCa(TrustIngressCaInput { host: String::new(), config_map: s("A") }),
            cloud(),
            "configMap",
            "field.dns_subdomain",
        ),
        // registry sources
        err(
            sources(|r| r.blocked_registries = vec![s("docker.io")]),
            cloud(),
            "blockedRegistries",
            "registry_sources.allowed_and_blocked",
        ),
        err(sources(move |r| r.allowed_registries = many), cloud(), "allowedRegistries", "registry_sources.too_many"),
        err(
            sources(|r| r.allowed_registries.push(String::new())),
            cloud(),
            "allowedRegistries[3]",
            "registry_sources.entry_length",
        ),
        err(
            sources(|r| r.allowed_registries.push(format!("{}.example.com", "a".repeat(250)))),
            cloud(),
            "allowedRegistries[3]",
            "registry_sources.entry_length",
        ),
        err(
            sources(|r| r.allowed_registries.push(s("quay.io/app:latest"))),
            cloud(),
            "allowedRegistries[3]",
            "field.registry_tag",
        ),
        err(
            sources(|r| {
                r.allowed_registries.clear();
                r.blocked_registries = vec![format!("docker.io/library/app@{}", digest())];
            }),
            RegistryFacts::default(),
            "blockedRegistries[0]",
            "field.registry_digest",
        ),
        err(
            sources(|r| r.insecure_registries = vec![s("https://reg.example.com")]),
            cloud(),
            "insecureRegistries[0]",
            "field.registry_invalid",
        ),
        err(
            sources(|r| r.allowed_registries.push(s("quay.io"))),
            cloud(),
            "allowedRegistries[3]",
            "registry_sources.entry_duplicate",
        ),
        warn(
            sources(|r| r.allowed_registries.retain(|a| a != "registry.redhat.io")),
            cloud(),
            "allowedRegistries",
            "registry_sources.allowed_missing_defaults",
        ),
        warn(
            sources(|r| r.insecure_registries.push(s("other.example.com"))),
            cloud(),
            "insecureRegistries[1]",
            "registry_sources.insecure_not_allowed",
        ),
        err(
            sources(|r| r.allowed_registries_for_import[0].domain_name.clear()),
            cloud(),
            "allowedRegistriesForImport[0].domainName",
            "field.required",
        ),
        err(
            sources(|r| r.allowed_registries_for_import[0].domain_name = s("https://x.example.com")),
            cloud(),
            "allowedRegistriesForImport[0].domainName",
            "registry_sources.import_domain_invalid",
        ),
        warn(sources(|_| {}), cloud(), "", "registry_sources.node_rollout"),
        // mirror sets
        err(mirrors(|m| m.by = s("name")), cloud(), "by", "field.one_of"),
        err(mirrors(|m| m.name = String::new()), cloud(), "name", "field.required"),
        err(mirrors(|m| m.name = s("UBI")), cloud(), "name", "field.dns_subdomain"),
        err(mirrors(|m| m.mirrors.clear()), cloud(), "mirrors", "mirror_set.no_entries"),
        err(mirrors(|m| m.mirrors[0].source.clear()), cloud(), "mirrors[0].source", "field.required"),
        err(mirrors(|m| m.mirrors[0].source = s("quay.io/x:tag")), cloud(), "mirrors[0].source", "field.registry_tag"),
        err(mirrors(|m| m.mirrors[0].mirrors.clear()), cloud(), "mirrors[0].mirrors", "mirror_set.no_mirrors"),
        err(
            mirrors(|m| m.mirrors[0].mirrors.push(format!("mirror.example.com/x@{}", digest()))),
            cloud(),
            "mirrors[0].mirrors[1]",
            "field.registry_digest",
        ),
        err(
            mirrors(|m| m.mirrors[0].mirrors[0] = s("*.example.com")),
            cloud(),
            "mirrors[0].mirrors[0]",
            "field.registry_invalid",
        ),
        err(
            mirrors(|m| m.mirrors[0].mirror_source_policy = s("Sometimes")),
            cloud(),
            "mirrors[0].mirrorSourcePolicy",
            "field.one_of",
        ),
        warn(mirrors(|_| {}), cloud(), "", "mirror_set.node_rollout"),
        // global pull secret
        err(global_pull(|g| g.registry.clear()), cloud(), "registry", "field.required"),
        err(global_pull(|g| g.registry = s("https://reg.example.com")), cloud(), "registry", "field.registry_invalid"),
        err(global_pull(|g| g.username = s("kube:admin")), cloud(), "username", "field.username_colon"),
        err(global_pull(|g| g.username.clear()), cloud(), "username", "field.required"),
        err(global_pull(|g| g.password.clear()), cloud(), "password", "field.required"),
        // pruner
        err(pruner(|p| p.schedule = Some(s("0 0 * *"))), cloud(), "schedule", "pruner.schedule_invalid"),
        err(pruner(|p| p.keep_tag_revisions = Some(-1)), cloud(), "keepTagRevisions", "field.negative"),
        err(
            pruner(|p| p.keep_younger_than_duration = Some(s("1d"))),
            cloud(),
            "keepYoungerThanDuration",
            "field.duration_invalid",
        ),
        err(
            pruner(|p| p.keep_younger_than_duration = Some(s("-1h"))),
            cloud(),
            "keepYoungerThanDuration",
            "field.duration_invalid",
        ),
        err(
            pruner(|p| p.successful_jobs_history_limit = Some(-1)),
            cloud(),
            "successfulJobsHistoryLimit",
            "field.negative",
        ),
        err(pruner(|p| p.failed_jobs_history_limit = Some(-2)), cloud(), "failedJobsHistoryLimit", "field.negative"),
        err(pruner(|p| p.log_level = Some(s("Loud"))), cloud(), "logLevel", "field.one_of"),
        warn(pruner(|p| p.suspend = Some(true)), cloud(), "suspend", "pruner.suspended"),
        warn(pruner(|_| {}), bare(), "", "pruner.metadata_only"),
        warn(PlanRequest::PruneNow(PruneNowInput {}), bare(), "", "pruner.metadata_only"),
        // role grants and metrics access
        err(grant(|g| g.role = s("cluster-admin")), cloud(), "role", "field.one_of"),
        err(grant(|g| g.role.clear()), cloud(), "role", "field.required"),
        err(grant(|g| g.namespace = s("Team_A")), cloud(), "namespace", "field.dns_label"),
        err(grant(|g| g.namespace.clear()), cloud(), "namespace", "field.required"),
        err(grant(|g| g.subject.kind = s("Robot")), cloud(), "subject.kind", "field.one_of"),
        err(grant(|g| g.subject.name.clear()), cloud(), "subject.name", "field.required"),
        err(service_account_grant(|sa| sa.name = s("Builder")), cloud(), "subject.name", "field.dns_subdomain"),
        err(service_account_grant(|sa| sa.namespace.clear()), cloud(), "subject.namespace", "field.required"),
        err(service_account_grant(|sa| sa.namespace = s("a.b")), cloud(), "subject.namespace", "field.dns_label"),
        err(
            PlanRequest::MetricsAccess(MetricsAccessInput {
                subject: SubjectInput { kind: s("ServiceAccount"), name: s("prometheus"), namespace: String::new() },
            }),
            cloud(),
            "subject.namespace",
            "field.required",
        ),
        // pull secrets
        err(pull_secret(|p| p.namespace = s("A")), cloud(), "namespace", "field.dns_label"),
        err(pull_secret(|p| p.name.clear()), cloud(), "name", "field.required"),
        err(
            pull_secret(|p| p.token_service_account = s("builder")),
            cloud(),
            "password",
            "pull_secret.password_and_token",
        ),
        err(
            pull_secret(|p| {
                p.password.clear();
                p.token_service_account = s("Bad_SA");
            }),
            cloud(),
            "tokenServiceAccount",
            "field.dns_subdomain",
        ),
        err(pull_secret(|p| p.registry = s("reg.example.com/team")), cloud(), "registry", "field.host_port_invalid"),
        err(pull_secret(|p| p.username = s("a:b")), cloud(), "username", "field.username_colon"),
        err(pull_secret(|p| p.password.clear()), cloud(), "password", "field.required"),
        err(pull_secret(|p| p.service_account = s("Default")), cloud(), "serviceAccount", "field.dns_subdomain"),
        // images
        err(delete_tag(|d| d.namespace.clear()), cloud(), "namespace", "field.required"),
        err(delete_tag(|d| d.image_stream = s("App")), cloud(), "imageStream", "field.dns_subdomain"),
        err(delete_tag(|d| d.tag = s(".hidden")), cloud(), "tag", "image.tag_invalid"),
        err(delete_tag(|d| d.tag = "a".repeat(129)), cloud(), "tag", "image.tag_invalid"),
        err(delete_tag(|d| d.tag.clear()), cloud(), "tag", "image.tag_invalid"),
        err(
            PlanRequest::DeleteImage(DeleteImageInput { name: digest().to_uppercase() }),
            cloud(),
            "name",
            "image.digest_invalid",
        ),
        err(
            PlanRequest::DeleteImage(DeleteImageInput { name: format!("sha512:{}", "0".repeat(64)) }),
            cloud(),
            "name",
            "image.digest_invalid",
        ),
    ]
}
