//! Plans that grant access: role bindings as `oc policy` makes them
//! (REFERENCE §7.2), the metrics scraper role, pull secrets linked to a
//! service account (§7.3), and one registry's entry in the global pull secret.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use model::registry::{
    Finding, GlobalPullSecretInput, MetricsAccessInput, PullSecretInput, RoleGrantInput, SubjectInput,
};
use serde_json::{Value, json};

use super::{BuildError, CONFIG_NAMESPACE, Ctx, create_step, secret_step};
use crate::cluster::resource;
use crate::registry::plan::engine::{Edit, FromToken, Op, PlanDraft, PlannedStep, docker_entry};
use crate::registry::plan::oc;

/// The docker config entry of one registry, as `oc create secret docker-registry` writes it.
fn docker_auth(username: &str, password: &str, email: &str) -> Value {
    let mut entry = json!({
        "username": username,
        "password": password,
        "auth": STANDARD.encode(format!("{username}:{password}")),
    });
    if !email.is_empty() {
        entry["email"] = json!(email);
    }
    entry
}

pub async fn global_pull_secret(ctx: &Ctx<'_>, input: &GlobalPullSecretInput) -> Result<PlanDraft, BuildError> {
    let existing = ctx.get(resource::SECRET, CONFIG_NAMESPACE, "pull-secret").await?;
    let mut draft = PlanDraft {
        summary: format!("Set the credentials of {} in the global pull secret", input.registry),
        ..PlanDraft::default()
    };
    let entry = (!input.remove).then(|| docker_auth(&input.username, &input.password, &input.email));
    let lines = [
        oc::command([
            "oc",
            "get",
            "secret/pull-secret",
            "-n",
            CONFIG_NAMESPACE,
            "--template={{index .data \".dockerconfigjson\" | base64decode}}",
        ]) + " > pull-secret.json",
        if input.remove {
            format!("# remove \"{}\" from .auths in pull-secret.json", input.registry)
        } else {
            format!(
                "{} --auth-basic={}:<file:password> --to=pull-secret.json",
                oc::command(["oc", "registry", "login", &format!("--registry={}", input.registry)]),
                oc::quote(&input.username)
            )
        },
        oc::command([
            "oc",
            "set",
            "data",
            "secret/pull-secret",
            "-n",
            CONFIG_NAMESPACE,
            "--from-file=.dockerconfigjson=pull-secret.json",
        ]),
    ];
    let replaced = existing.as_ref().is_some_and(|secret| docker_entry(secret, &input.registry).is_some());
    let step = match existing {
        Some(_) => PlannedStep::new(
            resource::SECRET.object_ref(CONFIG_NAMESPACE, "pull-secret"),
            Op::Edit { edit: Edit::DockerAuth { registry: input.registry.clone(), entry } },
            format!(
                "{} {} in openshift-config/pull-secret, keeping the other registries",
                if input.remove { "Remove" } else { "Write" },
                input.registry
            ),
            lines.join("\n"),
        ),
        None if input.remove => return Err(BuildError::State("openshift-config/pull-secret does not exist".into())),
        None => {
            let config = json!({"auths": {&input.registry: entry}});
            let data = BTreeMap::from([(".dockerconfigjson".to_owned(), config.to_string().into_bytes())]);
            secret_step(
                CONFIG_NAMESPACE,
                "pull-secret",
                "kubernetes.io/dockerconfigjson",
                &data,
                &[],
                None,
                "Create the global pull secret",
            )
        }
    };
    // The console never kept the old credential: overwriting it cannot be undone.
    draft.steps.push(if replaced { step.irreversible() } else { step });
    draft.warnings.push(Finding::warning("registry", "pull_secret.global_rollout"));
    Ok(draft)
}

fn subject(input: &SubjectInput) -> Value {
    match input.kind.as_str() {
        "ServiceAccount" => json!({"kind": "ServiceAccount", "name": input.name, "namespace": input.namespace}),
        kind => json!({"kind": kind, "apiGroup": "rbac.authorization.k8s.io", "name": input.name}),
    }
}

/// `add-role-to-user U`, `add-role-to-group G` or `add-role-to-user -z SA`.
fn policy_words(input: &SubjectInput) -> Vec<String> {
    match input.kind.as_str() {
        "Group" => vec!["add-role-to-group".into(), input.name.clone()],
        "ServiceAccount" => vec!["add-role-to-user".into(), "-z".into(), input.name.clone()],
        _ => vec!["add-role-to-user".into(), input.name.clone()],
    }
}

fn holds(binding: &Value, role: &str, wanted: &Value) -> bool {
    binding.pointer("/roleRef/name").and_then(Value::as_str) == Some(role)
        && binding.get("subjects").and_then(Value::as_array).is_some_and(|subjects| {
            subjects.iter().any(|s| {
                s.get("kind") == wanted.get("kind")
                    && s.get("name") == wanted.get("name")
                    && s.get("namespace").and_then(Value::as_str).unwrap_or_default()
                        == wanted.get("namespace").and_then(Value::as_str).unwrap_or_default()
            })
        })
}

/// `ROLE`, then `ROLE-0` … `ROLE-99`, as `oc policy` names new bindings.
fn free_name(role: &str, taken: &[String]) -> String {
    std::iter::once(role.to_owned())
        .chain((0..100).map(|n| format!("{role}-{n}")))
        .find(|name| !taken.contains(name))
        .unwrap_or_else(|| format!("{role}-{}", taken.len()))
}

pub async fn role_grant(ctx: &Ctx<'_>, input: &RoleGrantInput) -> Result<PlanDraft, BuildError> {
    let wanted = subject(&input.subject);
    let bindings = ctx.list(resource::ROLE_BINDING, &input.namespace).await?;
    let mut draft = PlanDraft {
        summary: format!(
            "Grant {} to {} {} in {}",
            input.role, input.subject.kind, input.subject.name, input.namespace
        ),
        ..PlanDraft::default()
    };
    if bindings.iter().any(|binding| holds(binding, &input.role, &wanted)) {
        draft.warnings.push(Finding::warning("subject.name", "access.already_granted").with("role", &input.role));
        return Ok(draft);
    }
    let taken: Vec<String> =
        bindings.iter().filter_map(|b| b.pointer("/metadata/name")?.as_str().map(str::to_owned)).collect();
    let name = free_name(&input.role, &taken);
    let body = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": input.namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": input.role},
        "subjects": [wanted],
    });
    let mut words = vec!["oc".to_owned(), "policy".into()];
    words.extend(policy_words(&input.subject).into_iter().take(1));
    words.push(input.role.clone());
    words.extend(policy_words(&input.subject).into_iter().skip(1));
    words.extend(["-n".into(), input.namespace.clone(), format!("--rolebinding-name={name}")]);
    let line = oc::command(words);
    draft.steps.push(PlannedStep::new(
        resource::ROLE_BINDING.object_ref(&input.namespace, &name),
        Op::create(body),
        format!("Create RoleBinding {name}"),
        line,
    ));
    if input.subject.kind == "Group" && input.subject.name.starts_with("system:serviceaccounts:") {
        draft
            .warnings
            .push(Finding::warning("subject.name", "access.cross_project_pull").with("namespace", &input.namespace));
    }
    Ok(draft)
}

pub async fn metrics_access(ctx: &Ctx<'_>, input: &MetricsAccessInput) -> Result<PlanDraft, BuildError> {
    const ROLE: &str = "prometheus-scraper";
    let mut draft = PlanDraft {
        summary: format!("Let {} {} read the registry's metrics", input.subject.kind, input.subject.name),
        ..PlanDraft::default()
    };
    if ctx.get(resource::CLUSTER_ROLE, "", ROLE).await?.is_none() {
        let role = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": ROLE},
            "rules": [{"apiGroups": ["image.openshift.io"], "resources": ["registry/metrics"], "verbs": ["get"]}],
        });
        draft.steps.push(create_step(resource::CLUSTER_ROLE, role, "Create ClusterRole prometheus-scraper"));
    }
    let wanted = subject(&input.subject);
    let bindings = ctx.list(resource::CLUSTER_ROLE_BINDING, "").await?;
    if bindings.iter().any(|binding| holds(binding, ROLE, &wanted)) {
        draft.warnings.push(Finding::warning("subject.name", "access.already_granted").with("role", ROLE));
        return Ok(draft);
    }
    let taken: Vec<String> =
        bindings.iter().filter_map(|b| b.pointer("/metadata/name")?.as_str().map(str::to_owned)).collect();
    let name = free_name(ROLE, &taken);
    let body = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ROLE},
        "subjects": [wanted],
    });
    let who = policy_words(&input.subject);
    let verb = who[0].replace("add-role", "add-cluster-role");
    let mut words = vec!["oc".to_owned(), "adm".into(), "policy".into(), verb, ROLE.into()];
    words.extend(who.into_iter().skip(1));
    if input.subject.kind == "ServiceAccount" {
        words.extend(["-n".into(), input.subject.namespace.clone()]);
    }
    words.push(format!("--rolebinding-name={name}"));
    draft.steps.push(PlannedStep::new(
        resource::CLUSTER_ROLE_BINDING.object_ref("", &name),
        Op::create(body),
        format!("Create ClusterRoleBinding {name}"),
        oc::command(words),
    ));
    Ok(draft)
}

pub async fn pull_secret(ctx: &Ctx<'_>, input: &PullSecretInput) -> Result<PlanDraft, BuildError> {
    let mut draft = PlanDraft {
        summary: format!("Create pull secret {} in {}", input.name, input.namespace),
        ..PlanDraft::default()
    };
    if ctx.get(resource::SECRET, &input.namespace, &input.name).await?.is_some() {
        return Err(BuildError::Invalid(vec![Finding::error("name", "pull_secret.exists").with("name", &input.name)]));
    }
    let mut body = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": input.name, "namespace": input.namespace},
        "type": "kubernetes.io/dockerconfigjson",
    });
    let mut words = vec![
        "oc".to_owned(),
        "create".into(),
        "secret".into(),
        "docker-registry".into(),
        input.name.clone(),
        "-n".into(),
        input.namespace.clone(),
        format!("--docker-server={}", input.registry),
        format!("--docker-username={}", input.username),
    ];
    if !input.email.is_empty() {
        words.push(format!("--docker-email={}", input.email));
    }
    let op = if input.token_service_account.is_empty() {
        let config = json!({"auths": {&input.registry: docker_auth(&input.username, &input.password, &input.email)}});
        body["data"] = json!({".dockerconfigjson": STANDARD.encode(config.to_string())});
        Op::create(body)
    } else {
        // A long-lived token made for this purpose: the token controller fills
        // the secret; the pull secret is made from it at apply time.
        let account = &input.token_service_account;
        if ctx.get(resource::SERVICE_ACCOUNT, &input.namespace, account).await?.is_none() {
            return Err(BuildError::Invalid(vec![
                Finding::error("tokenServiceAccount", "pull_secret.service_account_not_found").with("name", account),
            ]));
        }
        let token_secret = format!("{}-token", input.name);
        let token = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": token_secret, "namespace": input.namespace,
                "annotations": {"kubernetes.io/service-account.name": account}},
            "type": "kubernetes.io/service-account-token",
        });
        draft.steps.push(create_step(
            resource::SECRET,
            token,
            format!("Create a long-lived token of service account {account}"),
        ));
        draft.warnings.push(
            Finding::warning("tokenServiceAccount", "pull_secret.long_lived_token").with("secret", &token_secret),
        );
        Op::Create {
            body,
            from_token: Some(FromToken {
                secret: token_secret,
                registry: input.registry.clone(),
                username: input.username.clone(),
                email: input.email.clone(),
            }),
        }
    };
    let password = match &op {
        Op::Create { from_token: Some(from), .. } => format!(
            "\"$({} | base64 -d)\"",
            oc::command(["oc", "get", "secret", &from.secret, "-n", &input.namespace, "-o", "jsonpath={.data.token}"])
        ),
        _ => "\"$(cat <file:password>)\"".to_owned(),
    };
    let line = format!("{} --docker-password={password}", oc::command(words));
    draft.steps.push(PlannedStep::new(
        resource::SECRET.object_ref(&input.namespace, &input.name),
        op,
        format!("Create pull secret {}", input.name),
        line,
    ));
    if !input.service_account.is_empty() {
        if ctx.get(resource::SERVICE_ACCOUNT, &input.namespace, &input.service_account).await?.is_none() {
            return Err(BuildError::Invalid(vec![
                Finding::error("serviceAccount", "pull_secret.service_account_not_found")
                    .with("name", &input.service_account),
            ]));
        }
        draft.steps.push(PlannedStep::new(
            resource::SERVICE_ACCOUNT.object_ref(&input.namespace, &input.service_account),
            Op::Edit { edit: Edit::LinkPullSecret { secret: input.name.clone() } },
            format!("Link {} to service account {} for pull", input.name, input.service_account),
            oc::command([
                "oc",
                "secrets",
                "link",
                &input.service_account,
                &input.name,
                "--for=pull",
                "-n",
                &input.namespace,
            ]),
        ));
    }
    Ok(draft)
}
