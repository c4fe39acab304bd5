//! The image pruner (REFERENCE §3): its settings, and a run now.

use model::registry::{Finding, PrunerInput};
use serde_json::{Map, Value, json};

use super::{BuildError, Ctx, NAMESPACE, patch_step};
use crate::cluster::resource;
use crate::registry::plan::engine::{Op, PlanDraft, PlannedStep};
use crate::registry::plan::oc;

pub async fn pruner(ctx: &Ctx<'_>, input: &PrunerInput) -> Result<PlanDraft, BuildError> {
    if ctx.get(resource::IMAGE_PRUNER, "", "cluster").await?.is_none() {
        return Err(BuildError::State(
            "imagepruners.imageregistry.operator.openshift.io/cluster does not exist".into(),
        ));
    }
    let mut spec = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            spec.insert(key.to_owned(), value);
        }
    };
    put("schedule", input.schedule.as_ref().map(|v| json!(v)));
    put("suspend", input.suspend.map(|v| json!(v)));
    put("keepTagRevisions", input.keep_tag_revisions.map(|v| json!(v)));
    put("keepYoungerThanDuration", input.keep_younger_than_duration.as_ref().map(|v| json!(v)));
    put("successfulJobsHistoryLimit", input.successful_jobs_history_limit.map(|v| json!(v)));
    put("failedJobsHistoryLimit", input.failed_jobs_history_limit.map(|v| json!(v)));
    put("ignoreInvalidImageReferences", input.ignore_invalid_image_references.map(|v| json!(v)));
    put("logLevel", input.log_level.as_ref().map(|v| json!(v)));
    let mut draft = PlanDraft { summary: "Change the image pruner".into(), ..PlanDraft::default() };
    draft.steps.push(patch_step(
        resource::IMAGE_PRUNER,
        "",
        "cluster",
        json!({"spec": spec}),
        "Patch imagepruners/cluster spec",
    ));
    if input.schedule.is_some() {
        draft.warnings.push(Finding::warning("schedule", "pruner.schedule_utc"));
    }
    Ok(draft)
}

pub async fn prune_now(ctx: &Ctx<'_>) -> Result<PlanDraft, BuildError> {
    let Some(cron_job) = ctx.get(resource::CRON_JOB, NAMESPACE, "image-pruner").await? else {
        return Err(BuildError::State(
            "CronJob openshift-image-registry/image-pruner does not exist: the operator creates it from imagepruners/cluster".into(),
        ));
    };
    let job_spec = cron_job.pointer("/spec/jobTemplate/spec").cloned().unwrap_or_else(|| json!({}));
    let labels = cron_job.pointer("/spec/jobTemplate/metadata/labels").cloned().unwrap_or_else(|| json!({}));
    let name = format!("image-pruner-manual-{}", ctx.now);
    let mut metadata = json!({
        "name": name,
        "namespace": NAMESPACE,
        "labels": labels,
        "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
    });
    if let (Some(uid), Some(owner)) = (cron_job.pointer("/metadata/uid"), cron_job.pointer("/metadata/name")) {
        metadata["ownerReferences"] = json!([{
            "apiVersion": "batch/v1", "kind": "CronJob", "name": owner, "uid": uid, "controller": true, "blockOwnerDeletion": true
        }]);
    }
    let body = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": job_spec});
    let line = oc::command(["oc", "create", "job", "--from=cronjob/image-pruner", &name, "-n", NAMESPACE]);
    let mut draft = PlanDraft { summary: "Run the image pruner now".into(), ..PlanDraft::default() };
    draft.steps.push(PlannedStep::new(
        resource::JOB.object_ref(NAMESPACE, &name),
        Op::create(body),
        format!("Create Job {name} from CronJob image-pruner"),
        line,
    ));
    Ok(draft)
}
