//! A plan as files to commit instead of applying it: the objects as they
//! will be (`yaml`), or a kustomization of patches (`kustomize`). Secret
//! values stay out: their keys carry a fingerprint and a note to supply
//! them through the repository's secret management.

use serde_json::{Value, json};

use super::engine::{Op, PlanDraft};
use crate::registry::redact::redact;
use crate::registry::yaml::to_yaml;

const SECRET_NOTE: &str = "# Secret values are not exported: supply them through your secret management\n\
     # (e.g. Sealed Secrets or External Secrets); the fingerprints name the values.\n";

/// Every object the plan creates or changes, as it will be, multi-document YAML.
pub fn objects_yaml(draft: &PlanDraft) -> String {
    let mut out = format!("# {}\n", draft.summary);
    if draft.steps.iter().any(|step| step.target.kind == "Secret") {
        out.push_str(SECRET_NOTE);
    }
    for (index, step) in draft.steps.iter().enumerate() {
        out.push_str(&format!("---\n# step {index}: {}\n", step.summary));
        match (&step.op, &step.after) {
            (Op::Delete, _) => out.push_str(&format!("# delete {}\n", step.target.display())),
            (_, Some(after)) => out.push_str(&to_yaml(&strip(&redact(after)))),
            (_, None) => out.push_str("# (not simulated)\n"),
        }
    }
    out
}

/// A `kustomization.yaml` with the plan's merge patches and created objects inline.
pub fn kustomization(draft: &PlanDraft) -> String {
    let mut patches = Vec::new();
    let mut resources = Vec::new();
    let mut deletes = Vec::new();
    for step in &draft.steps {
        let (group, version) = match step.target.api_version.split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), step.target.api_version.clone()),
        };
        let mut target =
            json!({"group": group, "version": version, "kind": step.target.kind, "name": step.target.name});
        if !step.target.namespace.is_empty() {
            target["namespace"] = json!(step.target.namespace);
        }
        match &step.op {
            Op::Patch { patch, .. } => {
                let mut body = json!({"apiVersion": step.target.api_version, "kind": step.target.kind, "metadata": {"name": step.target.name}});
                if !step.target.namespace.is_empty() {
                    body["metadata"]["namespace"] = json!(step.target.namespace);
                }
                super::json::merge_patch(&mut body, patch);
                patches.push(json!({"target": target, "patch": to_yaml(&redact(&body))}));
            }
            Op::Create { body, .. } => resources.push(strip(&redact(body))),
            Op::Edit { .. } => {
                if let Some(after) = &step.after {
                    resources.push(strip(&redact(after)));
                }
            }
            Op::Delete => deletes.push(step.target.display()),
        }
    }
    let mut out = format!("# {}\n# kustomization.yaml\n", draft.summary);
    if draft.steps.iter().any(|step| step.target.kind == "Secret") {
        out.push_str(SECRET_NOTE);
    }
    for delete in &deletes {
        out.push_str(&format!("# delete {delete} (remove it from your repository)\n"));
    }
    let mut kustomization = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"});
    if !resources.is_empty() {
        kustomization["resources"] = json!(["resources.yaml"]);
    }
    if !patches.is_empty() {
        kustomization["patches"] = Value::Array(patches);
    }
    out.push_str(&to_yaml(&kustomization));
    if !resources.is_empty() {
        out.push_str("---\n# resources.yaml\n");
        for (index, resource) in resources.iter().enumerate() {
            if index > 0 {
                out.push_str("---\n");
            }
            out.push_str(&to_yaml(resource));
        }
    }
    out
}

/// Drops what the server sets, so the file can be committed.
fn strip(object: &Value) -> Value {
    let mut object = super::json::comparable(object);
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    object
}

#[cfg(test)]
mod tests {
    use model::plan::ObjectRef;

    use super::*;
    use crate::registry::plan::engine::{Guard, PlannedStep};

    fn draft() -> PlanDraft {
        let config = ObjectRef {
            api_version: "imageregistry.operator.openshift.io/v1".into(),
            kind: "Config".into(),
            namespace: String::new(),
            name: "cluster".into(),
        };
        let secret =
            ObjectRef { api_version: "v1".into(), kind: "Secret".into(), namespace: "ns".into(), name: "creds".into() };
        let mut create = PlannedStep::new(
            secret,
            Op::create(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "ns"}, "data": {"KEY": "c2VjcmV0"}}),
            ),
            "Write credentials",
            "",
        );
        create.after = match &create.op {
            Op::Create { body, .. } => Some(body.clone()),
            _ => None,
        };
        let mut patch = PlannedStep::new(
            config,
            Op::Patch { patch: json!({"spec": {"replicas": 2}}), guard: Guard::Spec },
            "Patch",
            "",
        );
        patch.after = Some(
            json!({"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "Config", "metadata": {"name": "cluster", "resourceVersion": "9"}, "spec": {"replicas": 2}, "status": {"x": 1}}),
        );
        PlanDraft { summary: "Test".into(), steps: vec![create, patch], ..PlanDraft::default() }
    }

    #[test]
    fn exports_never_hold_secret_values() {
        for text in [objects_yaml(&draft()), kustomization(&draft())] {
            assert!(!text.contains("c2VjcmV0") && !text.contains("secret\n"), "{text}");
            assert!(text.contains("Secret values are not exported"), "{text}");
        }
    }

    #[test]
    fn kustomizations_carry_patches_with_their_targets() {
        let text = kustomization(&draft());
        assert!(text.contains("kind: Kustomization"), "{text}");
        assert!(text.contains("group: imageregistry.operator.openshift.io"), "{text}");
        assert!(text.contains("replicas: 2"), "{text}");
        let objects = objects_yaml(&draft());
        assert!(!objects.contains("resourceVersion") && !objects.contains("status"), "{objects}");
    }
}
