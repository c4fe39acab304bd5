//! `validate` against the table of cases (`cases.rs`): a bad input yields
//! exactly that code at that path (errors) or at least that finding
//! (warnings), and the good inputs yield no error. The same table proves
//! every code is translated.

use std::collections::BTreeSet;

use super::cases::{self, *};
use super::*;
use crate::Lang;
use crate::registry::Severity;

fn errors(findings: &[Finding]) -> Vec<(String, String)> {
    findings.iter().filter(|f| f.is_error()).map(|f| (f.field.clone(), f.code.clone())).collect()
}

#[test]
fn good_inputs_have_no_errors() {
    for (name, request, facts) in good() {
        let findings = validate(&request, &facts);
        assert!(errors(&findings).is_empty(), "{name}: {findings:#?}");
    }
}

#[test]
fn each_bad_input_yields_its_code_at_its_field() {
    let mut failures = Vec::new();
    for case in cases() {
        let findings = validate(&case.request, &case.facts);
        let ok = match case.severity {
            Severity::Error => errors(&findings) == vec![(case.field.to_owned(), case.code.to_owned())],
            Severity::Warning => findings.iter().any(|f| !f.is_error() && f.field == case.field && f.code == case.code),
        };
        if !ok {
            failures.push(format!("{:?} {} at {:?}: got {:?}", case.severity, case.code, case.field, findings));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_is_tested_and_translated() {
    let mut emitted = BTreeSet::new();
    let all: Vec<(PlanRequest, RegistryFacts)> = cases()
        .into_iter()
        .map(|c| (c.request, c.facts))
        .chain(good().into_iter().map(|(_, request, facts)| (request, facts)))
        .collect();
    for (request, facts) in &all {
        for finding in validate(request, facts) {
            assert!(CODES.contains(&finding.code.as_str()), "{} is missing from CODES", finding.code);
            for lang in Lang::ALL {
                let message = finding.message(lang);
                assert_ne!(message, finding.code, "{} has no {} text", finding.code, lang.tag());
                assert!(!message.contains('{'), "{} leaves a placeholder in {message:?}", finding.code);
            }
            emitted.insert(finding.code);
        }
    }
    let untested: Vec<&&str> = CODES.iter().filter(|code| !emitted.contains(**code)).collect();
    assert!(untested.is_empty(), "codes no case emits: {untested:?}");
}

#[test]
fn server_certificate_codes_are_translated() {
    for (code, params) in [
        ("tls.certificate_invalid", &[][..]),
        ("tls.key_invalid", &[]),
        ("tls.key_mismatch", &[]),
        ("tls.hostname_not_covered", &["host"]),
        ("tls.expired", &["date"]),
        ("tls.expires_soon", &["days"]),
        ("tls.not_yet_valid", &["date"]),
        ("tls.ca_invalid", &[]),
        ("ca.invalid_pem", &[]),
        ("ca.not_ca", &["subject"]),
        ("ca.expired", &["subject", "date"]),
        ("ca.expires_soon", &["subject", "days"]),
    ] {
        let finding = params.iter().fold(Finding::error("certificate", code), |f, name| f.with(name, "x"));
        for lang in Lang::ALL {
            let message = finding.message(lang);
            assert_ne!(message, code);
            assert!(!message.contains('{'), "{code}: {message}");
        }
    }
}

#[test]
fn findings_come_in_field_order_with_values() {
    let findings = validate(&cases::trusted_ca(|t| t.host = s("bad host")), &cloud_facts());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].params.get("value").map(String::as_str), Some("bad host"));
    assert_eq!(findings[0].message(Lang::En), "“bad host” is not a valid host name or IP address.");
}

#[test]
fn replicas_rules_use_the_current_values_when_unset() {
    // RWO claim, request sets only Recreate: the current 2 replicas are refused.
    let request = cases::storage(
        StorageProvider::Pvc(PvcStorage {
            claim: s("block"),
            create: Some(NewClaim {
                size: s("100Gi"),
                access_modes: vec![s("ReadWriteOnce")],
                storage_class_name: None,
            }),
            nfs: None,
        }),
        |st| st.rollout_strategy = Some(s("Recreate")),
    );
    let facts = RegistryFacts { replicas: Some(2), ..bare_metal_facts() };
    assert_eq!(errors(&validate(&request, &facts)), vec![(s("replicas"), s("storage.rwo_replicas"))]);
    // An existing Recreate strategy counts too.
    let facts = RegistryFacts { replicas: Some(1), rollout_strategy: s("Recreate"), ..bare_metal_facts() };
    assert!(errors(&validate(&request, &facts)).is_empty());
}

#[test]
fn bucket_names() {
    for ok in ["abc", "my.bucket-1", &"a".repeat(63)] {
        assert!(is_s3_bucket(ok), "{ok}");
    }
    for bad in ["ab", &"a".repeat(64), "-abc", "abc-", "a..b", "ABC", "a_b", "10.0.0.1"] {
        assert!(!is_s3_bucket(bad), "{bad}");
    }
    assert!(is_gcs_bucket("my_bucket.example.com"));
    assert!(!is_gcs_bucket("goog-bucket"));
    assert!(!is_gcs_bucket(&"a".repeat(64)));
    assert!(is_gcs_bucket(&format!("{}.{}", "a".repeat(63), "b".repeat(63))));
    assert!(is_azure_container("registry-1"));
    assert!(!is_azure_container("-registry"));
    assert!(!is_azure_container("ab"));
}

#[test]
fn configmap_keys() {
    assert_eq!(ca_configmap_key("registry.example.com", None), "registry.example.com");
    assert_eq!(ca_configmap_key("registry-with-port.example.com", Some(5000)), "registry-with-port.example.com..5000");
}

#[test]
fn reasons_are_explained() {
    let known = [
        ("Available", "Ready"),
        ("Available", "MinimumAvailability"),
        ("Available", "NoReplicasAvailable"),
        ("Available", "DeploymentNotFound"),
        ("Available", "DeploymentDeleted"),
        ("Available", "Removed"),
        ("Available", "Unmanaged"),
        ("Available", "StorageNotConfigured"),
        ("Available", "VerificationFailed"),
        ("Progressing", "DeploymentNotCompleted"),
        ("Progressing", "WaitingForDeployment"),
        ("Progressing", "FinalizingDeployment"),
        ("Progressing", "Error"),
        ("Progressing", "DeletingDeployment"),
        ("Progressing", "Removing"),
        ("Degraded", "Unavailable"),
        ("Degraded", "ProgressDeadlineExceeded"),
        ("Degraded", "RouteDegraded"),
        ("Degraded", "RemoveFailed"),
        ("StorageExists", "PVC Exists"),
        ("StorageExists", "PVC Created"),
        ("StorageExists", "PVC does not exist"),
        ("StorageExists", "PVC Issues Found"),
        ("StorageExists", "PVC Already Exists"),
        ("StorageExists", "Creation Successful"),
        ("Degraded", "AsExpected"),
    ];
    for (condition, reason) in known {
        assert!(explain_reason(condition, reason).is_some(), "{condition} {reason}");
    }
    assert_eq!(explain_reason("Progressing", "Error"), Some(Msg::ReasonError));
    assert_eq!(explain_reason("Available", "Error"), Some(Msg::ReasonError));
    // The pruner's conditions, on imagepruners/cluster and prefixed on the ClusterOperator.
    assert_eq!(explain_reason("Available", "ImagePrunerError"), Some(Msg::ReasonPrunerError));
    assert_eq!(explain_reason("ImagePrunerAvailable", "Error"), Some(Msg::ReasonPrunerError));
    assert_eq!(explain_reason("Scheduled", "Suspended"), Some(Msg::ReasonPrunerSuspended));
    assert_eq!(explain_reason("Scheduled", "Scheduled"), Some(Msg::ReasonPrunerScheduled));
    assert_eq!(explain_reason("Failed", "Complete"), Some(Msg::ReasonPrunerComplete));
    assert_eq!(explain_reason("Failed", "BackoffLimitExceeded"), Some(Msg::ReasonPrunerJobFailed));
    assert_eq!(explain_reason("Degraded", "ImagePrunerJobFailed"), Some(Msg::ReasonPrunerJobFailed));
    assert_eq!(explain_reason("ImagePrunerDegraded", "SyncError"), Some(Msg::ReasonPrunerSyncError));
    assert_eq!(explain_reason("ImagePrunerDegraded", "AsExpected"), Some(Msg::ReasonAsExpected));
    assert_eq!(explain_reason("Available", "SomethingNew"), None);
    // Every reason key is used.
    let reason_keys: Vec<&Msg> = Msg::ALL.iter().filter(|m| m.key().starts_with("reason.")).collect();
    let mut used = BTreeSet::new();
    for (condition, reason) in known.iter().chain(&[
        ("Available", "ImagePrunerError"),
        ("Scheduled", "Suspended"),
        ("Scheduled", "Scheduled"),
        ("Failed", "Complete"),
        ("Degraded", "ImagePrunerJobFailed"),
        ("ImagePrunerDegraded", "SyncError"),
    ]) {
        if let Some(msg) = explain_reason(condition, reason) {
            used.insert(msg.key());
        }
    }
    for msg in reason_keys {
        assert!(used.contains(msg.key()), "{} is never returned", msg.key());
    }
}

#[test]
fn s3_presets_are_usable() {
    let presets = s3_presets();
    let ids: Vec<&str> = presets.iter().map(|p| p.id).collect();
    assert_eq!(ids, ["aws", "minio", "ceph-rgw"]);
    for preset in presets {
        // Each example endpoint passes the S3 rules.
        let request = s3(|b| {
            b.region_endpoint = s(preset.region_endpoint_example);
            b.region = s(preset.region);
            b.virtual_hosted_style = preset.virtual_hosted_style;
        });
        assert!(errors(&validate(&request, &cloud_facts())).is_empty(), "{}", preset.id);
    }
    let ceph = presets.iter().find(|p| p.id == "ceph-rgw");
    assert!(ceph.is_some_and(|p| p.needs_trusted_ca && p.region_endpoint_example.ends_with(":8080")));
}

#[test]
fn findings_serialize_for_the_api() {
    let findings = validate(&cases::management(|m| m.replicas = Some(-3)), &cloud_facts());
    let json = serde_json::to_value(&findings).expect("encode");
    assert_eq!(json[0]["severity"], "error");
    assert_eq!(json[0]["field"], "replicas");
    assert_eq!(json[0]["code"], "field.negative");
    assert_eq!(json[0]["params"]["value"], "-3");
}

/// Splits `routes[1].tls.key` or `nodeSelector["a.b/c"]` into keys and indexes.
fn path_segments(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix("[\"") {
            let end = quoted.find("\"]").unwrap_or(quoted.len());
            segments.push(quoted[..end].to_owned());
            rest = quoted.get(end + 2..).unwrap_or("");
        } else if let Some(index) = rest.strip_prefix('[') {
            let end = index.find(']').unwrap_or(index.len());
            segments.push(index[..end].to_owned());
            rest = index.get(end + 1..).unwrap_or("");
        } else {
            let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
            segments.push(rest_trimmed[..end].to_owned());
            rest = &rest_trimmed[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    segments
}

#[test]
fn field_paths_point_into_the_request_as_sent() {
    assert_eq!(path_segments("routes[1].tls.key"), ["routes", "1", "tls", "key"]);
    assert_eq!(path_segments("nodeSelector[\"a.b/c\"]"), ["nodeSelector", "a.b/c"]);
    for case in cases() {
        let json = serde_json::to_value(&case.request).expect("encode");
        for finding in validate(&case.request, &case.facts) {
            if finding.field.is_empty() {
                continue;
            }
            let segments = path_segments(&finding.field);
            let mut node = &json;
            for (i, segment) in segments.iter().enumerate() {
                let next = match segment.parse::<usize>() {
                    Ok(index) if node.is_array() => node.get(index),
                    _ => node.get(segment.as_str()),
                };
                match next {
                    Some(next) => node = next,
                    // An unset optional field (skipped when serialized) may be the last segment.
                    None => assert!(
                        i + 1 == segments.len() && node.is_object(),
                        "{} is not a path in {json}",
                        finding.field
                    ),
                }
                if next.is_none() {
                    break;
                }
            }
        }
    }
}
