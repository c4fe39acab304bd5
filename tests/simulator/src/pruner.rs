//! Pure decisions for `imagepruners/cluster` (REFERENCE §3): the CronJob
//! `image-pruner` and the pruner's status conditions.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde_json::Value;

use crate::logic::{Condition, NAMESPACE};

/// CronJob name.
pub const CRONJOB: &str = "image-pruner";
/// Service account of the pruner pods.
pub const SERVICE_ACCOUNT: &str = "pruner";
/// Label on the pruner's Jobs.
pub const JOB_LABEL: (&str, &str) = ("created-by", "image-pruner");
/// Image of the pruner container (kwok never pulls it).
pub const PRUNER_IMAGE: &str = "quay.io/openshift/origin-cli:latest";

/// The parts of `imagepruners/cluster` `spec` the operator reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrunerSpec {
    pub schedule: String,
    pub suspend: Option<bool>,
    pub keep_tag_revisions: Option<i32>,
    pub keep_younger_than: Option<i64>,
    pub keep_younger_than_duration: Option<String>,
    pub resources: Option<Value>,
    pub successful_jobs_history_limit: Option<i32>,
    pub failed_jobs_history_limit: Option<i32>,
    pub ignore_invalid_image_references: bool,
    pub log_level: String,
    pub node_selector: BTreeMap<String, String>,
}

/// Go's `time.Duration.String()` for whole seconds (`3600s` → `1h0m0s`).
fn go_duration(nanos: i64) -> String {
    let secs = nanos / 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// `logLevel` → `oc --loglevel` (REFERENCE §3).
pub fn oc_log_level(log_level: &str) -> i32 {
    match log_level {
        "Debug" => 4,
        "Trace" => 6,
        "TraceAll" => 8,
        _ => 1,
    }
}

/// The `oc adm prune images` arguments (REFERENCE §3). Blob pruning follows
/// `images.config` `status.internalRegistryHostname`, not managementState.
pub fn pruner_args(spec: &PrunerSpec, internal_hostname: Option<&str>) -> Vec<String> {
    let keep_younger = match (&spec.keep_younger_than_duration, spec.keep_younger_than) {
        (Some(d), _) => d.clone(),
        (None, Some(ns)) => go_duration(ns),
        (None, None) => "60m".to_owned(),
    };
    let mut args = vec![
        "adm".to_owned(),
        "prune".to_owned(),
        "images".to_owned(),
        "--confirm=true".to_owned(),
        format!("--keep-tag-revisions={}", spec.keep_tag_revisions.unwrap_or(3)),
        format!("--keep-younger-than={keep_younger}"),
        format!("--ignore-invalid-refs={}", spec.ignore_invalid_image_references),
        format!("--loglevel={}", oc_log_level(&spec.log_level)),
    ];
    match internal_hostname.filter(|h| !h.is_empty()) {
        Some(host) => {
            args.push("--prune-registry=true".to_owned());
            args.push(format!("--registry-url=https://{host}"));
        }
        None => args.push("--prune-registry=false".to_owned()),
    }
    args
}

/// The desired CronJob `image-pruner` (REFERENCE §3).
pub fn desired_cronjob(spec: &PrunerSpec, internal_hostname: Option<&str>) -> CronJob {
    let resources =
        spec.resources.clone().and_then(|r| serde_json::from_value::<ResourceRequirements>(r).ok()).unwrap_or_else(
            || ResourceRequirements {
                requests: Some(BTreeMap::from([
                    ("cpu".to_owned(), Quantity("100m".into())),
                    ("memory".to_owned(), Quantity("256Mi".into())),
                ])),
                ..ResourceRequirements::default()
            },
        );
    let labels = BTreeMap::from([(JOB_LABEL.0.to_owned(), JOB_LABEL.1.to_owned())]);
    CronJob {
        metadata: ObjectMeta { name: Some(CRONJOB.into()), namespace: Some(NAMESPACE.into()), ..ObjectMeta::default() },
        spec: Some(CronJobSpec {
            schedule: if spec.schedule.is_empty() { "0 0 * * *".into() } else { spec.schedule.clone() },
            suspend: Some(spec.suspend.unwrap_or(false)),
            concurrency_policy: Some("Forbid".into()),
            starting_deadline_seconds: Some(3600),
            successful_jobs_history_limit: Some(spec.successful_jobs_history_limit.unwrap_or(3)),
            failed_jobs_history_limit: Some(spec.failed_jobs_history_limit.unwrap_or(3)),
            job_template: JobTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..ObjectMeta::default() }),
                spec: Some(JobSpec {
                    backoff_limit: Some(0),
                    template: PodTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(BTreeMap::from([("app".to_owned(), "image-pruner".to_owned())])),
                            ..ObjectMeta::default()
                        }),
                        spec: Some(PodSpec {
                            service_account_name: Some(SERVICE_ACCOUNT.into()),
                            restart_policy: Some("Never".into()),
                            node_selector: (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone()),
                            containers: vec![Container {
                                name: "image-pruner".into(),
                                image: Some(PRUNER_IMAGE.into()),
                                command: Some(vec!["oc".into()]),
                                args: Some(pruner_args(spec, internal_hostname)),
                                resources: Some(resources),
                                ..Container::default()
                            }],
                            ..PodSpec::default()
                        }),
                    },
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        status: None,
    }
}

/// The pruner's conditions (CIRO `syncPrunerStatus`): Available, Failed, Scheduled, Degraded.
/// `failed_job` is (reason, message) of the last Job's Failed condition.
pub fn pruner_conditions(
    cronjob_exists: bool,
    suspended: bool,
    failed_job: Option<(&str, &str)>,
    apply_error: Option<&str>,
) -> [Condition; 4] {
    let available = if cronjob_exists {
        Condition::new("Available", "True", "AsExpected", "Pruner CronJob has been created")
    } else {
        Condition::new("Available", "False", "Error", "Pruner CronJob does not exist")
    };
    let failed = match failed_job {
        Some((reason, message)) => Condition::new("Failed", "True", reason, message),
        None => Condition::new("Failed", "False", "Complete", "Pruner completed successfully"),
    };
    let scheduled = if suspended {
        Condition::new("Scheduled", "False", "Suspended", "The pruner job has been suspended")
    } else {
        Condition::new("Scheduled", "True", "Scheduled", "The pruner job has been scheduled")
    };
    let degraded = match (apply_error, failed_job) {
        (Some(e), _) => Condition::new("Degraded", "True", "SyncError", &format!("Error: {e}")),
        (None, Some((_, message))) => Condition::new("Degraded", "True", "JobFailed", message),
        (None, None) => Condition::new("Degraded", "False", "AsExpected", ""),
    };
    [available, failed, scheduled, degraded]
}

/// The pruner conditions as they join the ClusterOperator union: prefixed `ImagePruner`.
pub fn prefixed(conditions: &[Condition]) -> Vec<Condition> {
    conditions.iter().map(|c| Condition { type_: format!("ImagePruner{}", c.type_), ..c.clone() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::cluster_operator_conditions;

    fn spec(v: Value) -> PrunerSpec {
        serde_json::from_value(v).expect("test pruner spec")
    }

    #[test]
    fn arguments() {
        let internal = Some("image-registry.openshift-image-registry.svc:5000");
        let cases = [
            (
                serde_json::json!({}),
                None,
                "adm prune images --confirm=true --keep-tag-revisions=3 --keep-younger-than=60m \
                 --ignore-invalid-refs=false --loglevel=1 --prune-registry=false",
            ),
            (
                serde_json::json!({"keepTagRevisions": 5, "keepYoungerThanDuration": "2h",
                    "ignoreInvalidImageReferences": true, "logLevel": "Debug", "keepYoungerThan": 60_000_000_000i64}),
                internal,
                "adm prune images --confirm=true --keep-tag-revisions=5 --keep-younger-than=2h \
                 --ignore-invalid-refs=true --loglevel=4 --prune-registry=true \
                 --registry-url=https://image-registry.openshift-image-registry.svc:5000",
            ),
            (
                serde_json::json!({"keepYoungerThan": 3_600_000_000_000i64, "logLevel": "TraceAll"}),
                Some(""),
                "adm prune images --confirm=true --keep-tag-revisions=3 --keep-younger-than=1h0m0s \
                 --ignore-invalid-refs=false --loglevel=8 --prune-registry=false",
            ),
        ];
        for (input, host, want) in cases {
            assert_eq!(pruner_args(&spec(input.clone()), host).join(" "), want, "{input}");
        }
    }

    #[test]
    fn cronjob_defaults() {
        let cj = desired_cronjob(&spec(serde_json::json!({})), None);
        let s = cj.spec.expect("spec");
        assert_eq!(s.schedule, "0 0 * * *");
        assert_eq!(s.concurrency_policy.as_deref(), Some("Forbid"));
        assert_eq!(s.starting_deadline_seconds, Some(3600));
        assert_eq!((s.successful_jobs_history_limit, s.failed_jobs_history_limit), (Some(3), Some(3)));
        assert_eq!(s.suspend, Some(false));
        let job = s.job_template.spec.expect("job spec");
        assert_eq!(job.backoff_limit, Some(0));
        let pod = job.template.spec.expect("pod spec");
        assert_eq!(pod.service_account_name.as_deref(), Some("pruner"));
        let requests = pod.containers[0].resources.clone().and_then(|r| r.requests).expect("requests");
        assert_eq!(requests.get("cpu"), Some(&Quantity("100m".into())));
        assert_eq!(requests.get("memory"), Some(&Quantity("256Mi".into())));
        let cj = desired_cronjob(&spec(serde_json::json!({"schedule": "*/5 * * * *", "suspend": true})), None);
        let s = cj.spec.expect("spec");
        assert_eq!((s.schedule.as_str(), s.suspend), ("*/5 * * * *", Some(true)));
    }

    #[test]
    fn conditions_table() {
        type Row<'a> = (&'a str, &'a str, &'a str, &'a str);
        type Case<'a> = (bool, bool, Option<(&'a str, &'a str)>, Option<&'a str>, [Row<'a>; 4]);
        let cases: Vec<Case<'_>> = vec![
            (
                true,
                false,
                None,
                None,
                [
                    ("Available", "True", "AsExpected", "Pruner CronJob has been created"),
                    ("Failed", "False", "Complete", "Pruner completed successfully"),
                    ("Scheduled", "True", "Scheduled", "The pruner job has been scheduled"),
                    ("Degraded", "False", "AsExpected", ""),
                ],
            ),
            (
                true,
                true,
                Some(("BackoffLimitExceeded", "Job has reached the specified backoff limit")),
                None,
                [
                    ("Available", "True", "AsExpected", "Pruner CronJob has been created"),
                    ("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                    ("Scheduled", "False", "Suspended", "The pruner job has been suspended"),
                    ("Degraded", "True", "JobFailed", "Job has reached the specified backoff limit"),
                ],
            ),
            (
                false,
                false,
                None,
                Some("boom"),
                [
                    ("Available", "False", "Error", "Pruner CronJob does not exist"),
                    ("Failed", "False", "Complete", "Pruner completed successfully"),
                    ("Scheduled", "True", "Scheduled", "The pruner job has been scheduled"),
                    ("Degraded", "True", "SyncError", "Error: boom"),
                ],
            ),
        ];
        for (exists, suspended, failed, err, want) in cases {
            let got = pruner_conditions(exists, suspended, failed, err);
            let got: Vec<Row<'_>> = got
                .iter()
                .map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_str(), c.message.as_str()))
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn failed_pruner_degrades_the_cluster_operator() {
        let mut all = vec![
            Condition::new("Available", "True", "Ready", "The registry is ready"),
            Condition::new("Degraded", "False", "", ""),
        ];
        all.extend(prefixed(&pruner_conditions(true, false, Some(("BackoffLimitExceeded", "limit")), None)));
        let [available, _, degraded] = cluster_operator_conditions(&all);
        assert_eq!((available.status.as_str(), available.reason.as_str()), ("True", "AsExpected"));
        assert_eq!(
            (degraded.status.as_str(), degraded.reason.as_str(), degraded.message.as_str()),
            ("True", "ImagePrunerJobFailed", "ImagePrunerDegraded: limit")
        );
    }
}
