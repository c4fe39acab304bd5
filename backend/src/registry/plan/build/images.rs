//! Plans on `image.config.openshift.io/cluster` and its ConfigMap of trusted
//! CAs (REFERENCE §4), mirror sets, and image deletion (§7.5).

use model::registry::{
    DeleteImageInput, DeleteImageTagInput, Finding, MirrorSetInput, RegistrySourcesInput, TrustIngressCaInput,
    TrustedCaInput, ca_configmap_key,
};
use serde_json::{Value, json};

use super::{BuildError, CONFIG_NAMESPACE, Ctx, NAMESPACE, apps_domain, create_step, danger, patch_step};
use crate::cluster::resource;
use crate::pki;
use crate::registry::plan::engine::{Op, PlanDraft, PlannedStep, gitops_tracking};
use crate::registry::plan::oc;

/// The ConfigMap trusted CAs go to when none is referenced yet.
const DEFAULT_CA_CONFIG_MAP: &str = "registry-trusted-cas";

async fn image_config(ctx: &Ctx<'_>) -> Result<Value, BuildError> {
    ctx.get(resource::IMAGE_CONFIG, "", "cluster")
        .await?
        .ok_or_else(|| BuildError::State("images.config.openshift.io/cluster does not exist".into()))
}

/// Adds `key: pem` to the CA ConfigMap (creating it) and points
/// `additionalTrustedCA` at it, keeping the other keys.
async fn trust(
    ctx: &Ctx<'_>,
    draft: &mut PlanDraft,
    field: &str,
    key: &str,
    pem: &str,
    requested_map: &str,
) -> Result<(), BuildError> {
    let (_, findings) = pki::check_ca_bundle(field, pem, ctx.now);
    if findings.iter().any(Finding::is_error) {
        return Err(BuildError::Invalid(findings));
    }
    draft.warnings.extend(findings);
    let image = image_config(ctx).await?;
    let referenced =
        image.pointer("/spec/additionalTrustedCA/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let map = [requested_map, referenced.as_str(), DEFAULT_CA_CONFIG_MAP]
        .into_iter()
        .find(|name| !name.is_empty())
        .unwrap_or(DEFAULT_CA_CONFIG_MAP)
        .to_owned();
    match ctx.get(resource::CONFIG_MAP, CONFIG_NAMESPACE, &map).await? {
        Some(existing) => {
            if existing.pointer(&format!("/data/{}", super::escape_pointer(key))).is_some() {
                draft
                    .warnings
                    .push(Finding::warning(field, "trusted_ca.replaces_key").with("key", key).with("configMap", &map));
            }
            draft.steps.push(patch_step(
                resource::CONFIG_MAP,
                CONFIG_NAMESPACE,
                &map,
                json!({"data": {key: pem}}),
                format!("Add {key} to ConfigMap {map}"),
            ));
        }
        None => {
            let body = json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": map, "namespace": CONFIG_NAMESPACE},
                "data": {key: pem},
            });
            let line = oc::command([
                "oc",
                "create",
                "configmap",
                &map,
                "-n",
                CONFIG_NAMESPACE,
                &format!("--from-literal={key}={pem}"),
            ]);
            draft.steps.push(PlannedStep::new(
                resource::CONFIG_MAP.object_ref(CONFIG_NAMESPACE, &map),
                Op::create(body),
                format!("Create ConfigMap {map} with {key}"),
                line,
            ));
        }
    }
    if referenced != map {
        let index = draft.steps.len();
        draft.steps.push(patch_step(
            resource::IMAGE_CONFIG,
            "",
            "cluster",
            json!({"spec": {"additionalTrustedCA": {"name": map}}}),
            format!("Trust the CAs in ConfigMap {map}"),
        ));
        if !referenced.is_empty() {
            draft.dangers.push(danger("trusted-ca-reference-replaced", vec![index], format!("additionalTrustedCA now names {map} instead of {referenced}: the CAs in {referenced} are no longer trusted.")));
        }
    }
    draft.gitops.extend(gitops_tracking(&image).map(|tracking| format!("images.config/cluster: {tracking}")));
    Ok(())
}

pub async fn trusted_ca(ctx: &Ctx<'_>, input: &TrustedCaInput) -> Result<PlanDraft, BuildError> {
    let key = ca_configmap_key(&input.host, input.port);
    let mut draft = PlanDraft { summary: format!("Trust the CA of {key}"), ..PlanDraft::default() };
    trust(ctx, &mut draft, "certificate", &key, &input.certificate, &input.config_map).await?;
    Ok(draft)
}

pub async fn trust_ingress_ca(ctx: &Ctx<'_>, input: &TrustIngressCaInput) -> Result<PlanDraft, BuildError> {
    let mut ca = None;
    for (namespace, name) in
        [("openshift-ingress-operator", "router-ca"), ("openshift-ingress", "router-certs-default")]
    {
        if let Some(secret) = ctx.get(resource::SECRET, namespace, name).await?
            && let Some(pem) = secret
                .pointer("/data/tls.crt")
                .and_then(Value::as_str)
                .and_then(|encoded| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok())
        {
            ca = Some((format!("{namespace}/{name}"), pem));
            break;
        }
    }
    let Some((source, pem)) = ca else {
        return Err(BuildError::State(
            "no ingress CA found: neither openshift-ingress-operator/router-ca nor openshift-ingress/router-certs-default has tls.crt; clients must use --tls-verify=false or a CA from your PKI".into(),
        ));
    };
    let host = if input.host.is_empty() {
        let route = ctx.get(resource::ROUTE, NAMESPACE, "default-route").await?;
        let from_route = route.and_then(|route| {
            route.pointer("/status/ingress/0/host").or_else(|| route.pointer("/spec/host"))?.as_str().map(str::to_owned)
        });
        match from_route {
            Some(host) if !host.is_empty() => host,
            _ => format!("default-route-{NAMESPACE}.{}", apps_domain(ctx).await?),
        }
    } else {
        input.host.clone()
    };
    let mut draft = PlanDraft { summary: format!("Trust the ingress CA for {host}"), ..PlanDraft::default() };
    trust(ctx, &mut draft, "host", &host, &pem, &input.config_map).await?;
    draft.notes = Some(json!({
        "caSource": source,
        "caCertificate": pem,
        "host": host,
        "clientSteps": [
            format!("sudo mkdir -p /etc/containers/certs.d/{host}"),
            format!("sudo cp ca.crt /etc/containers/certs.d/{host}/ca.crt"),
            format!("podman login {host} -u unused -p \"$(oc whoami -t)\""),
            format!("sudo mkdir -p /etc/docker/certs.d/{host} && sudo cp ca.crt /etc/docker/certs.d/{host}/ca.crt"),
        ],
    }));
    Ok(draft)
}

fn list_or_null(items: &[String]) -> Value {
    if items.is_empty() { Value::Null } else { json!(items) }
}

pub async fn registry_sources(ctx: &Ctx<'_>, input: &RegistrySourcesInput) -> Result<PlanDraft, BuildError> {
    let image = image_config(ctx).await?;
    let import: Vec<Value> = input
        .allowed_registries_for_import
        .iter()
        .map(|entry| {
            let mut item = json!({"domainName": entry.domain_name});
            if entry.insecure {
                item["insecure"] = json!(true);
            }
            item
        })
        .collect();
    let patch = json!({"spec": {
        "registrySources": {
            "allowedRegistries": list_or_null(&input.allowed_registries),
            "blockedRegistries": list_or_null(&input.blocked_registries),
            "insecureRegistries": list_or_null(&input.insecure_registries),
        },
        "allowedRegistriesForImport": if import.is_empty() { Value::Null } else { Value::Array(import) },
    }});
    let mut draft = PlanDraft { summary: "Change the registry sources".into(), ..PlanDraft::default() };
    draft.steps.push(patch_step(
        resource::IMAGE_CONFIG,
        "",
        "cluster",
        patch,
        "Set registrySources and allowedRegistriesForImport",
    ));
    draft.dangers.push(danger("node-rollout", vec![0], "Registry sources roll out to every node through the Machine Config Operator: nodes are drained and updated one pool at a time."));
    draft.gitops.extend(gitops_tracking(&image).map(|tracking| format!("images.config/cluster: {tracking}")));
    Ok(draft)
}

pub async fn mirror_set(ctx: &Ctx<'_>, input: &MirrorSetInput) -> Result<PlanDraft, BuildError> {
    let (kind, field) =
        if input.by == "tag" { (resource::ITMS, "imageTagMirrors") } else { (resource::IDMS, "imageDigestMirrors") };
    let mirrors: Vec<Value> = input
        .mirrors
        .iter()
        .map(|mirror| {
            let mut item = json!({"source": mirror.source, "mirrors": mirror.mirrors});
            if !mirror.mirror_source_policy.is_empty() {
                item["mirrorSourcePolicy"] = json!(mirror.mirror_source_policy);
            }
            item
        })
        .collect();
    let mut draft =
        PlanDraft { summary: format!("Mirror images through {} {}", kind.kind, input.name), ..PlanDraft::default() };
    let step = match ctx.get(kind, "", &input.name).await? {
        Some(_) => patch_step(
            kind,
            "",
            &input.name,
            json!({"spec": {field: mirrors}}),
            format!("Replace the mirrors of {}", input.name),
        ),
        None => create_step(
            kind,
            json!({"apiVersion": kind.api_version, "kind": kind.kind, "metadata": {"name": input.name}, "spec": {field: mirrors}}),
            format!("Create {} {}", kind.kind, input.name),
        ),
    };
    draft.steps.push(step);
    draft.dangers.push(danger(
        "node-rollout",
        vec![0],
        "Mirror sets roll out to every node through the Machine Config Operator: nodes are updated one pool at a time.",
    ));
    Ok(draft)
}

pub fn delete_image_tag(input: &DeleteImageTagInput) -> PlanDraft {
    let name = format!("{}:{}", input.image_stream, input.tag);
    let step = PlannedStep::new(
        resource::IMAGE_STREAM_TAG.object_ref(&input.namespace, &name),
        Op::Delete,
        format!("Delete tag {name}"),
        oc::command(["oc", "tag", "-d", &name, "-n", &input.namespace]),
    )
    .irreversible();
    PlanDraft {
        summary: format!("Delete image stream tag {name} in {}", input.namespace),
        steps: vec![step],
        ..PlanDraft::default()
    }
}

pub fn delete_image(input: &DeleteImageInput) -> PlanDraft {
    let step = PlannedStep::new(
        resource::IMAGE.object_ref("", &input.name),
        Op::Delete,
        format!("Delete image {}", input.name),
        oc::command(["oc", "delete", "images", &input.name]),
    )
    .irreversible();
    let mut draft =
        PlanDraft { summary: format!("Delete image {}", input.name), steps: vec![step], ..PlanDraft::default() };
    draft.warnings.push(Finding::warning("name", "image.delete_metadata_only"));
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_an_image_is_one_irreversible_step_with_its_oc_line() {
        let digest = format!("sha256:{}", "b".repeat(64));
        let draft = delete_image(&DeleteImageInput { name: digest.clone() });
        assert_eq!(draft.steps.len(), 1);
        assert!(draft.steps[0].irreversible);
        assert_eq!(draft.steps[0].target.name, digest);
        assert_eq!(draft.steps[0].oc, format!("oc delete images {digest}"));
        assert_eq!(draft.warnings[0].code, "image.delete_metadata_only");
        let tag = delete_image_tag(&DeleteImageTagInput {
            namespace: "team-a".into(),
            image_stream: "app".into(),
            tag: "v1".into(),
        });
        assert_eq!(tag.steps[0].target.name, "app:v1");
        assert_eq!(tag.steps[0].oc, "oc tag -d app:v1 -n team-a");
    }
}
