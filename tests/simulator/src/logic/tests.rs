//! Table-driven tests of the simulator's decisions, with the operator's exact texts.

use super::*;

fn spec(value: Value) -> ConfigSpec {
    serde_json::from_value(value).expect("test spec deserialises")
}

fn storage_map(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("test storage is an object")
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// (type, status, reason, message) of conditions, for compact comparisons.
fn summary(conds: &[Condition]) -> Vec<(String, String, String, String)> {
    conds.iter().map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone(), c.message.clone())).collect()
}

fn expect(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    rows.iter().map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into())).collect()
}

#[test]
fn storage_selection() {
    let cases: Vec<(Value, Result<Storage, ApplyError>)> = vec![
        (json!({}), Err(ApplyError::permanent("StorageNotConfigured", "storage backend not configured"))),
        (
            json!({"managementState": "Managed"}),
            Err(ApplyError::permanent("StorageNotConfigured", "storage backend not configured")),
        ),
        (
            json!({"oss": {"bucket": "b"}}),
            Err(ApplyError::permanent("StorageNotConfigured", "storage backend not configured")),
        ),
        (json!({"emptyDir": {}}), Ok(Storage::EmptyDir)),
        (json!({"pvc": {"claim": ""}}), Ok(Storage::Pvc { claim: String::new() })),
        (json!({"pvc": {}}), Ok(Storage::Pvc { claim: String::new() })),
        (json!({"pvc": {"claim": "nfs"}}), Ok(Storage::Pvc { claim: "nfs".into() })),
        (json!({"s3": {"bucket": "b"}}), Ok(Storage::S3(json!({"bucket": "b"})))),
        (
            json!({"pvc": {"claim": ""}, "emptyDir": {}}),
            Err(ApplyError::transient(
                "exactly one storage type should be configured at the same time, got 2: [EmptyDir PVC]",
            )),
        ),
        (
            json!({"s3": {}, "gcs": {}, "azure": {}}),
            Err(ApplyError::transient(
                "exactly one storage type should be configured at the same time, got 3: [S3 GCS Azure]",
            )),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(select_storage(&storage_map(input.clone())), want, "storage {input}");
    }
}

#[test]
fn verification() {
    let dup = "duplication of names has been detected in the additional routes";
    let cases: Vec<(Value, Result<(), ApplyError>)> = vec![
        (json!({"replicas": 2, "routes": [{"name": "a"}, {"name": "b"}]}), Ok(())),
        (
            json!({"replicas": -1}),
            Err(ApplyError::permanent("VerificationFailed", "replicas must be greater than or equal to 0")),
        ),
        (
            json!({"replicas": 1, "routes": [{"name": "a"}, {"name": "a"}]}),
            Err(ApplyError::permanent("VerificationFailed", dup)),
        ),
        (
            json!({"replicas": 1, "defaultRoute": false, "routes": [{"name": "default-route"}]}),
            Err(ApplyError::permanent("VerificationFailed", dup)),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(verify(&spec(input.clone())), want, "spec {input}");
    }
}

#[test]
fn write_back() {
    let cases: Vec<(Value, Option<Value>)> = vec![
        (
            json!({"httpSecret": "s", "storage": {"pvc": {"claim": ""}}}),
            Some(json!({"storage": {"pvc": {"claim": "image-registry-storage"}, "managementState": "Managed"}})),
        ),
        (
            json!({"storage": {"pvc": {"claim": ""}}}),
            Some(json!({
                "httpSecret": "NEW",
                "storage": {"pvc": {"claim": "image-registry-storage"}, "managementState": "Managed"},
            })),
        ),
        (
            json!({"httpSecret": "s", "storage": {"pvc": {"claim": "nfs"}}}),
            Some(json!({"storage": {"managementState": "Unmanaged"}})),
        ),
        (json!({"httpSecret": "s", "storage": {"pvc": {"claim": "nfs"}, "managementState": "Managed"}}), None),
        (
            json!({"httpSecret": "s", "storage": {"emptyDir": {}}}),
            Some(json!({"storage": {"managementState": "Managed"}})),
        ),
        (json!({"httpSecret": "s", "storage": {"emptyDir": {}, "managementState": "Managed"}}), None),
    ];
    for (input, want) in cases {
        let s = spec(input.clone());
        let storage = select_storage(&s.storage).expect("one provider");
        assert_eq!(spec_write_back(&s, &storage, "NEW"), want, "spec {input}");
    }
}

#[test]
fn pvc_checks() {
    let rwx = PvcObs { owned: false, access_modes: vec!["ReadWriteMany".into()] };
    let rwo = PvcObs { owned: false, access_modes: vec!["ReadWriteOnce".into()] };
    let rwop = PvcObs { owned: false, access_modes: vec!["ReadWriteOncePod".into()] };
    let owned = PvcObs { owned: true, access_modes: vec!["ReadWriteMany".into()] };
    // (claim, blank, pvc, created, replicas, strategy) → (status, reason, message, ok)
    type Expected<'a> = (&'a str, &'a str, &'a str, bool);
    type Case<'a> = (&'a str, bool, Option<&'a PvcObs>, bool, i32, &'a str, Expected<'a>);
    let cases: Vec<Case<'_>> = vec![
        ("image-registry-storage", true, Some(&owned), true, 2, "", ("True", "PVC Created", "", true)),
        ("image-registry-storage", true, Some(&owned), false, 2, "", ("True", "PVC Exists", "", true)),
        (
            "image-registry-storage",
            true,
            Some(&rwx),
            false,
            1,
            "",
            (
                "False",
                "PVC Already Exists",
                "could not create default PVC, it already exists and is not owned by the operator",
                false,
            ),
        ),
        ("nfs", false, Some(&rwx), false, 3, "RollingUpdate", ("True", "PVC Exists", "", true)),
        (
            "nfs",
            false,
            None,
            false,
            1,
            "",
            ("False", "PVC does not exist", "persistentvolumeclaims \"nfs\" not found", false),
        ),
        ("block", false, Some(&rwo), false, 1, "Recreate", ("True", "PVC Exists", "", true)),
        (
            "block",
            false,
            Some(&rwo),
            false,
            2,
            "Recreate",
            ("False", "PVC Issues Found", "cannot use ReadWriteOnce access mode with more than one replica", false),
        ),
        (
            "block",
            false,
            Some(&rwo),
            false,
            1,
            "RollingUpdate",
            (
                "False",
                "PVC Issues Found",
                "cannot use ReadWriteOnce access mode with RollingUpdate rollout strategy",
                false,
            ),
        ),
        (
            "pod",
            false,
            Some(&rwop),
            false,
            1,
            "Recreate",
            (
                "False",
                "PVC Issues Found",
                "PVC pod does not contain the necessary access modes (ReadWriteMany or ReadWriteOnce)",
                false,
            ),
        ),
    ];
    for (claim, blank, pvc, created, replicas, strategy, (status, reason, message, ok)) in cases {
        let (cond, result) = pvc_storage_check(claim, blank, pvc, created, replicas, strategy);
        assert_eq!(
            (cond.type_.as_str(), cond.status.as_str(), cond.reason.as_str(), cond.message.as_str()),
            ("StorageExists", status, reason, message),
            "claim {claim} replicas {replicas} strategy {strategy}"
        );
        assert_eq!(result.is_ok(), ok, "claim {claim}");
        if let Err(e) = result {
            assert_eq!(e.message, message);
        }
    }
}

#[test]
fn desired_pvc_is_rwx_100gi_unclassed_and_annotated() {
    let pvc = desired_pvc();
    assert_eq!(pvc.metadata.name.as_deref(), Some("image-registry-storage"));
    assert_eq!(pvc.metadata.namespace.as_deref(), Some("openshift-image-registry"));
    assert_eq!(
        pvc.metadata.annotations.as_ref().and_then(|a| a.get("imageregistry.openshift.io")).map(String::as_str),
        Some("true")
    );
    let spec = pvc.spec.expect("spec");
    assert_eq!(spec.access_modes, Some(vec!["ReadWriteMany".to_owned()]));
    assert_eq!(spec.storage_class_name, None);
    let requests = spec.resources.and_then(|r| r.requests).expect("requests");
    assert_eq!(requests.get("storage"), Some(&Quantity("100Gi".into())));
}

#[test]
fn private_configuration_derivation() {
    let s3 = Storage::S3(json!({"bucket": "b"}));
    let user_s3 = strings(&[("REGISTRY_STORAGE_S3_ACCESSKEY", "AKIA"), ("REGISTRY_STORAGE_S3_SECRETKEY", "shh")]);
    let missing = |k: &str| {
        Err(ApplyError::transient(format!(
            "secret \"openshift-image-registry/image-registry-private-configuration-user\" does not contain required key \"{k}\""
        )))
    };
    let ini = "[default]\naws_access_key_id = AKIA\naws_secret_access_key = shh\n";
    type Case<'a> = (
        &'a str,
        Storage,
        Option<BTreeMap<String, String>>,
        Option<BTreeMap<String, String>>,
        Result<BTreeMap<String, String>, ApplyError>,
    );
    let cases: Vec<Case<'_>> = vec![
        ("s3 user", s3.clone(), Some(user_s3.clone()), None, Ok(strings(&[("credentials", ini)]))),
        (
            "s3 user wins over installer",
            s3.clone(),
            Some(user_s3.clone()),
            Some(strings(&[("credentials", "OTHER")])),
            Ok(strings(&[("credentials", ini)])),
        ),
        (
            "s3 user lacks secret key",
            s3.clone(),
            Some(strings(&[("REGISTRY_STORAGE_S3_ACCESSKEY", "AKIA")])),
            None,
            missing("REGISTRY_STORAGE_S3_SECRETKEY"),
        ),
        (
            "s3 installer ini",
            s3.clone(),
            None,
            Some(strings(&[("credentials", "INI")])),
            Ok(strings(&[("credentials", "INI")])),
        ),
        (
            "s3 installer keys",
            s3.clone(),
            None,
            Some(strings(&[("aws_access_key_id", "AKIA"), ("aws_secret_access_key", "shh")])),
            Ok(strings(&[("credentials", ini)])),
        ),
        (
            "s3 nothing",
            s3.clone(),
            None,
            None,
            Err(ApplyError::transient("secret \"installer-cloud-credentials\" not found")),
        ),
        (
            "gcs",
            Storage::Gcs(json!({})),
            Some(strings(&[("REGISTRY_STORAGE_GCS_KEYFILE", "{}")])),
            None,
            Ok(strings(&[("REGISTRY_STORAGE_GCS_KEYFILE", "{}")])),
        ),
        (
            "azure",
            Storage::Azure(json!({})),
            Some(strings(&[("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "k")])),
            None,
            Ok(strings(&[("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "k")])),
        ),
        (
            "azure empty key",
            Storage::Azure(json!({})),
            Some(strings(&[("REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "")])),
            None,
            missing("REGISTRY_STORAGE_AZURE_ACCOUNTKEY"),
        ),
        (
            "swift token",
            Storage::Swift(json!({})),
            Some(strings(&[("REGISTRY_STORAGE_SWIFT_TOKENID", "t"), ("OTHER", "x")])),
            None,
            Ok(strings(&[("REGISTRY_STORAGE_SWIFT_TOKENID", "t")])),
        ),
        ("pvc reads nothing", Storage::Pvc { claim: "c".into() }, Some(user_s3.clone()), None, Ok(BTreeMap::new())),
    ];
    for (name, storage, user, installer, want) in cases {
        assert_eq!(private_configuration(&storage, user.as_ref(), installer.as_ref()), want, "{name}");
    }
}

#[test]
fn rollout_strategies() {
    let cases = [
        (json!({"replicas": 2}), "RollingUpdate", Some((IntOrString::Int(1), IntOrString::Int(1)))),
        (json!({"replicas": 1}), "RollingUpdate", Some((IntOrString::Int(0), IntOrString::String("25%".into())))),
        (json!({"replicas": 3}), "RollingUpdate", Some((IntOrString::Int(2), IntOrString::String("25%".into())))),
        (json!({"replicas": 1, "rolloutStrategy": "Recreate"}), "Recreate", None),
    ];
    for (input, kind, params) in cases {
        let s = rollout_strategy(&spec(input.clone()));
        assert_eq!(s.type_.as_deref(), Some(kind), "{input}");
        assert_eq!(
            s.rolling_update.map(|r| (r.max_unavailable.expect("set"), r.max_surge.expect("set"))),
            params,
            "{input}"
        );
    }
}

#[test]
fn deployment_shape() {
    let s = spec(json!({"replicas": 2, "logLevel": "Debug"}));
    let d = desired_deployment(&s, &Storage::Pvc { claim: "image-registry-storage".into() }, "abc");
    assert_eq!(d.metadata.name.as_deref(), Some("image-registry"));
    let ds = d.spec.expect("spec");
    assert_eq!(ds.replicas, Some(2));
    let template = ds.template;
    let labels = template.metadata.as_ref().and_then(|m| m.labels.clone()).expect("labels");
    assert_eq!(labels.get("docker-registry").map(String::as_str), Some("default"));
    let pod = template.spec.expect("pod spec");
    assert_eq!(pod.service_account_name.as_deref(), Some("registry"));
    assert_eq!(pod.containers[0].name, "registry");
    let env = pod.containers[0].env.clone().expect("env");
    assert!(env.iter().any(|e| e.name == "REGISTRY_LOG_LEVEL" && e.value.as_deref() == Some("debug")));
    let volumes = pod.volumes.expect("volumes");
    assert_eq!(
        volumes[0].persistent_volume_claim.as_ref().map(|p| p.claim_name.as_str()),
        Some("image-registry-storage")
    );

    let svc = desired_service();
    let port = &svc.spec.expect("spec").ports.expect("ports")[0];
    assert_eq!((port.name.as_deref(), port.port, port.protocol.as_deref()), (Some("5000-tcp"), 5000, Some("TCP")));
}

#[test]
fn routes_wanted_hosts_and_tls() {
    let s = spec(json!({
        "defaultRoute": true,
        "routes": [{"name": "public", "hostname": "registry.example.com", "secretName": "tls"}, {"name": "plain"}],
    }));
    let wanted = wanted_routes(&s);
    let names: Vec<&str> = wanted.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["default-route", "public", "plain"]);
    let domain = Some("apps.cluster.example.com");
    let hosts: Vec<Option<String>> = wanted.iter().map(|r| route_host(r, domain)).collect();
    assert_eq!(
        hosts,
        [
            Some("default-route-openshift-image-registry.apps.cluster.example.com".to_owned()),
            Some("registry.example.com".to_owned()),
            Some("plain-openshift-image-registry.apps.cluster.example.com".to_owned()),
        ]
    );
    let secret = strings(&[("tls.crt", "CRT"), ("tls.key", "KEY")]);
    let route = desired_route(&wanted[1], domain, Some(&secret));
    assert_eq!(route["spec"]["tls"], json!({"termination": "reencrypt", "certificate": "CRT", "key": "KEY"}));
    assert_eq!(route["metadata"]["annotations"]["imageregistry.openshift.io"], json!("true"));
    assert_eq!(route["spec"]["to"]["name"], json!("image-registry"));
    let plain = desired_route(&wanted[2], domain, None);
    assert_eq!(plain["spec"]["tls"], json!({"termination": "reencrypt"}));
}

#[test]
fn external_hostnames_order_and_admission() {
    let route = |host: &str, admitted: &str| {
        json!({"status": {"ingress": [{"host": host, "routerName": "default",
            "conditions": [{"type": "Admitted", "status": admitted, "message": "taken"}]}]}})
    };
    let routes = vec![
        ("zeta".to_owned(), route("z.example.com", "True")),
        ("default-route".to_owned(), route("d.example.com", "True")),
        ("alpha".to_owned(), route("a.example.com", "False")),
        ("dup".to_owned(), route("a.example.com", "True")),
        ("none".to_owned(), json!({})),
    ];
    assert_eq!(external_hostnames(&routes), ["d.example.com", "a.example.com", "z.example.com"]);
    assert_eq!(
        route_admission_error(&routes).as_deref(),
        Some("route alpha (host a.example.com, router default) not admitted: taken")
    );
    assert_eq!(route_admission_error(&routes[..2]), None);
}

#[test]
fn registry_conditions_table() {
    let storage_missing = ApplyError::permanent("StorageNotConfigured", "storage backend not configured");
    let multi =
        ApplyError::transient("exactly one storage type should be configured at the same time, got 2: [EmptyDir PVC]");
    let ready = DeploymentObs { available_replicas: 2, ready_replicas: 2, complete: true, ..Default::default() };
    let rolling = DeploymentObs { available_replicas: 1, ready_replicas: 1, complete: false, ..Default::default() };
    let none_available = DeploymentObs::default();
    let deadline = DeploymentObs {
        available_replicas: 1,
        progress_deadline_exceeded: Some("ReplicaSet \"x\" has timed out progressing.".into()),
        ..Default::default()
    };
    let negative = ApplyError::permanent("VerificationFailed", "replicas must be greater than or equal to 0");
    let unmanaged = "The registry configuration is set to unmanaged mode";
    let removed = "The registry is removed";
    type Case<'a> = (&'a str, StatusInput<'a>, Vec<(&'a str, &'a str, &'a str, &'a str)>);
    let cases: Vec<Case<'_>> = vec![
        (
            "removed, nothing left",
            StatusInput { management_state: "Removed", ..Default::default() },
            vec![
                ("Available", "True", "Removed", removed),
                ("Progressing", "False", "Removed", "All registry resources are removed"),
                ("Degraded", "False", "Removed", removed),
                ("Removed", "True", "Removed", removed),
            ],
        ),
        (
            "removed, deployment still there",
            StatusInput { management_state: "Removed", deployment: Some(&ready), ..Default::default() },
            vec![
                ("Available", "True", "Ready", "The registry is ready"),
                ("Progressing", "True", "DeletingDeployment", "The deployment is being removed"),
                ("Degraded", "False", "Removed", removed),
                ("Removed", "True", "Removed", removed),
            ],
        ),
        (
            "removal failed",
            StatusInput { management_state: "Removed", remove_error: Some("forbidden"), ..Default::default() },
            vec![
                ("Available", "True", "Removed", removed),
                ("Progressing", "False", "Removed", "All registry resources are removed"),
                ("Degraded", "True", "RemoveFailed", "Unable to remove registry: forbidden"),
                ("Removed", "True", "Removed", removed),
            ],
        ),
        (
            "unmanaged",
            StatusInput { management_state: "Unmanaged", deployment: Some(&none_available), ..Default::default() },
            vec![
                ("Available", "True", "Unmanaged", unmanaged),
                ("Progressing", "False", "Unmanaged", unmanaged),
                ("Degraded", "False", "Unmanaged", unmanaged),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "managed without storage",
            StatusInput { management_state: "Managed", apply_error: Some(&storage_missing), ..Default::default() },
            vec![
                ("Available", "False", "StorageNotConfigured", "Error: storage backend not configured"),
                (
                    "Progressing",
                    "False",
                    "StorageNotConfigured",
                    "Unable to apply resources: storage backend not configured",
                ),
                ("Degraded", "True", "StorageNotConfigured", "Error: storage backend not configured"),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "two providers",
            StatusInput { management_state: "Managed", apply_error: Some(&multi), ..Default::default() },
            vec![
                ("Available", "False", "DeploymentNotFound", "The deployment does not exist"),
                (
                    "Progressing",
                    "True",
                    "Error",
                    "Unable to apply resources: exactly one storage type should be configured at the same time, got 2: [EmptyDir PVC]",
                ),
                ("Degraded", "False", "", ""),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "applied, no deployment yet",
            StatusInput { management_state: "Managed", ..Default::default() },
            vec![
                ("Available", "False", "DeploymentNotFound", "The deployment does not exist"),
                (
                    "Progressing",
                    "True",
                    "WaitingForDeployment",
                    "All resources are successfully applied, but the deployment does not exist",
                ),
                ("Degraded", "False", "", ""),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "no replica available",
            StatusInput { management_state: "Managed", deployment: Some(&none_available), ..Default::default() },
            vec![
                ("Available", "False", "NoReplicasAvailable", "The deployment does not have available replicas"),
                ("Progressing", "True", "DeploymentNotCompleted", "The deployment has not completed"),
                ("Degraded", "False", "", ""),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "unavailable for too long",
            StatusInput {
                management_state: "Managed",
                deployment: Some(&none_available),
                unavailable_too_long: true,
                ..Default::default()
            },
            vec![
                ("Available", "False", "NoReplicasAvailable", "The deployment does not have available replicas"),
                ("Progressing", "True", "DeploymentNotCompleted", "The deployment has not completed"),
                ("Degraded", "True", "Unavailable", "The deployment does not have available replicas"),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "rolling out",
            StatusInput { management_state: "Managed", deployment: Some(&rolling), ..Default::default() },
            vec![
                ("Available", "True", "MinimumAvailability", "The registry has minimum availability"),
                ("Progressing", "True", "DeploymentNotCompleted", "The deployment has not completed"),
                ("Degraded", "False", "", ""),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "progress deadline exceeded",
            StatusInput { management_state: "Managed", deployment: Some(&deadline), ..Default::default() },
            vec![
                ("Available", "True", "MinimumAvailability", "The registry has minimum availability"),
                ("Progressing", "True", "DeploymentNotCompleted", "The deployment has not completed"),
                (
                    "Degraded",
                    "True",
                    "ProgressDeadlineExceeded",
                    "Registry deployment has timed out progressing: ReplicaSet \"x\" has timed out progressing.",
                ),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "ready",
            StatusInput { management_state: "Managed", deployment: Some(&ready), ..Default::default() },
            vec![
                ("Available", "True", "Ready", "The registry is ready"),
                ("Progressing", "False", "Ready", "The registry is ready"),
                ("Degraded", "False", "", ""),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "ready but a route is not admitted",
            StatusInput {
                management_state: "Managed",
                deployment: Some(&ready),
                route_error: Some("route r (host h, router default) not admitted: taken"),
                ..Default::default()
            },
            vec![
                ("Available", "True", "Ready", "The registry is ready"),
                ("Progressing", "False", "Ready", "The registry is ready"),
                ("Degraded", "True", "RouteDegraded", "route r (host h, router default) not admitted: taken"),
                ("Removed", "False", "", ""),
            ],
        ),
        (
            "verification failed",
            StatusInput { management_state: "Managed", apply_error: Some(&negative), ..Default::default() },
            vec![
                ("Available", "False", "VerificationFailed", "Error: replicas must be greater than or equal to 0"),
                (
                    "Progressing",
                    "False",
                    "VerificationFailed",
                    "Unable to apply resources: replicas must be greater than or equal to 0",
                ),
                ("Degraded", "True", "VerificationFailed", "Error: replicas must be greater than or equal to 0"),
                ("Removed", "False", "", ""),
            ],
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(summary(&registry_conditions(&input)), expect(&want), "{name}");
    }
}

#[test]
fn merge_keeps_transition_time_unless_status_changes() {
    let old = vec![
        Condition { last_transition_time: Some("T0".into()), ..Condition::new("Available", "True", "Removed", "m") },
        Condition { last_transition_time: Some("T0".into()), ..Condition::new("Degraded", "False", "", "") },
        Condition { last_transition_time: Some("T0".into()), ..Condition::new("Other", "True", "x", "") },
    ];
    let updates = vec![
        Condition::new("Available", "True", "Ready", "The registry is ready"),
        Condition::new("Degraded", "True", "StorageNotConfigured", "e"),
        Condition::new("Removed", "False", "", ""),
    ];
    let merged = merge_conditions(&old, &updates, "T1");
    let times: Vec<(&str, &str, Option<&str>)> =
        merged.iter().map(|c| (c.type_.as_str(), c.reason.as_str(), c.last_transition_time.as_deref())).collect();
    assert_eq!(
        times,
        [
            ("Available", "Ready", Some("T0")),
            ("Degraded", "StorageNotConfigured", Some("T1")),
            ("Other", "x", Some("T0")),
            ("Removed", "", Some("T1")),
        ]
    );
}

#[test]
fn cluster_operator_union() {
    let c = |t: &str, s: &str, r: &str, m: &str| Condition::new(t, s, r, m);
    type Case<'a> = (&'a str, Vec<Condition>, Vec<(&'a str, &'a str, &'a str, &'a str)>);
    let cases: Vec<Case<'_>> = vec![
        (
            "removed",
            vec![
                c("Available", "True", "Removed", "The registry is removed"),
                c("Progressing", "False", "Removed", "All registry resources are removed"),
                c("Degraded", "False", "Removed", "The registry is removed"),
                c("Removed", "True", "Removed", "The registry is removed"),
            ],
            vec![
                ("Available", "True", "AsExpected", "Available: The registry is removed"),
                ("Progressing", "False", "AsExpected", "Progressing: All registry resources are removed"),
                ("Degraded", "False", "AsExpected", "Degraded: The registry is removed"),
            ],
        ),
        (
            "storage not configured",
            vec![
                c("Available", "False", "StorageNotConfigured", "Error: storage backend not configured"),
                c(
                    "Progressing",
                    "False",
                    "StorageNotConfigured",
                    "Unable to apply resources: storage backend not configured",
                ),
                c("Degraded", "True", "StorageNotConfigured", "Error: storage backend not configured"),
            ],
            vec![
                ("Available", "False", "StorageNotConfigured", "Available: Error: storage backend not configured"),
                (
                    "Progressing",
                    "False",
                    "AsExpected",
                    "Progressing: Unable to apply resources: storage backend not configured",
                ),
                ("Degraded", "True", "StorageNotConfigured", "Degraded: Error: storage backend not configured"),
            ],
        ),
        (
            "prefixed members, sorted reasons, unknown",
            vec![
                c("Available", "True", "Ready", "The registry is ready"),
                c("NodeCADaemonAvailable", "False", "NoAvailableReplicas", "none"),
                c("Progressing", "Unknown", "Odd", ""),
                c("ImagePrunerDegraded", "True", "JobFailed", "job\nfailed"),
                c("Degraded", "True", "RouteDegraded", "route"),
            ],
            vec![
                ("Available", "False", "NodeCADaemonNoAvailableReplicas", "NodeCADaemonAvailable: none"),
                ("Progressing", "Unknown", "Odd", ""),
                (
                    "Degraded",
                    "True",
                    "ImagePrunerJobFailed::RouteDegraded",
                    "ImagePrunerDegraded: job\nImagePrunerDegraded: failed\nDegraded: route",
                ),
            ],
        ),
        (
            "no data",
            vec![],
            vec![
                ("Available", "Unknown", "NoData", ""),
                ("Progressing", "Unknown", "NoData", ""),
                ("Degraded", "Unknown", "NoData", ""),
            ],
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(summary(&cluster_operator_conditions(&input)), expect(&want), "{name}");
    }
}

#[test]
fn replace_patch_nulls_dropped_keys() {
    let old = json!({"pvc": {"claim": "c"}, "managementState": "Managed"});
    assert_eq!(replace_patch(Some(&old), &json!({})), json!({"pvc": null, "managementState": null}));
    assert_eq!(
        replace_patch(Some(&old), &json!({"emptyDir": {}, "managementState": "Managed"})),
        json!({"pvc": null, "emptyDir": {}, "managementState": "Managed"})
    );
    assert_eq!(replace_patch(None, &json!({"emptyDir": {}})), json!({"emptyDir": {}}));
}

#[test]
fn checksum_changes_with_data() {
    let a = strings(&[("credentials", "x")]);
    let b = strings(&[("credentials", "y")]);
    assert_eq!(checksum(&[&a]), checksum(&[&a.clone()]));
    assert_ne!(checksum(&[&a]), checksum(&[&b]));
    assert_eq!(checksum(&[&a]).len(), 16);
}

#[test]
fn config_status_patches() {
    let conds = vec![Condition {
        last_transition_time: Some("T".into()),
        ..Condition::new("Removed", "True", "Removed", "The registry is removed")
    }];
    let current = json!({
        "conditions": conds, "observedGeneration": 2, "readyReplicas": 0,
        "storage": {"pvc": {"claim": "c"}, "managementState": "Managed"}, "storageManaged": true,
    });
    let pvc = json!({"pvc": {"claim": "c"}, "managementState": "Managed"});
    // Nothing changed.
    assert_eq!(config_status_patch(Some(&current), &conds, 2, 0, Some((&pvc, true))), None);
    assert_eq!(config_status_patch(Some(&current), &conds, 2, 0, None), None);
    // Removed: storage cleared with nulls, storageManaged false.
    let patch = config_status_patch(Some(&current), &conds, 3, 0, Some((&json!({}), false))).expect("a patch");
    assert_eq!(patch["storage"], json!({"pvc": null, "managementState": null}));
    assert_eq!(patch["storageManaged"], json!(false));
    assert_eq!(patch["observedGeneration"], json!(3));
    // No status yet: the required fields are filled.
    let patch = config_status_patch(None, &conds, 1, 0, None).expect("a patch");
    assert_eq!((patch["storage"].clone(), patch["storageManaged"].clone()), (json!({}), json!(false)));
}
