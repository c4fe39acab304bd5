//! `/api/v1/plans`: preview a change, read it back, apply it.
//!
//! `POST /plans` builds, simulates and dry-runs a plan and keeps it (sealed)
//! for `plan_ttl_minutes`; `POST /plans/{id}/apply` applies it once, with the
//! confirmations its dangers need, answering 409 with the fresh diff when an
//! object moved since the preview.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use model::Lang;
use model::plan::{ApplyRequest, ApplyResult, DiffEntry, Plan, StepStatus};
use model::registry::PlanRequest;
use serde_json::json;

use crate::api::caller::Caller;
use crate::audit::{self, Phase, Record};
use crate::clock;
use crate::cluster::UserClient;
use crate::error::ApiError;
use crate::registry::plan::build::{self, BuildError, Ctx};
use crate::registry::plan::engine::{self, PlanDraft, SimulateError};
use crate::registry::plan::store::{self, StoreError};
use crate::startup::AppState;

pub fn scope() -> actix_web::Scope {
    web::scope("/plans")
        .route("", web::post().to(preview))
        .route("/{id}", web::get().to(get_plan))
        .route("/{id}/apply", web::post().to(apply))
        .route("/{id}/export", web::get().to(export))
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    /// `yaml` (the objects as they will be) or `kustomize` (patches to commit).
    #[serde(default = "default_format")]
    format: String,
}

fn default_format() -> String {
    "yaml".into()
}

#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}/export",
    tag = "plans",
    operation_id = "exportPlan",
    summary = "The plan as files for a GitOps repository",
    description = "The plan as files to commit instead of applying it, for clusters where a controller (e.g. Argo \
        CD) would revert a direct change: `yaml` (the objects as they will be) or `kustomize` (a kustomization with \
        the patches). Secret values are never exported; their keys show a `sha256:` fingerprint. An applied plan \
        cannot be exported (409). The export is audited.",
    params(("id" = String, Path, description = "The plan's id, from `POST /api/v1/plans`."),
        ("format" = Option<String>, Query, description = "`yaml` (default) or `kustomize`."),
    ),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The files, as one YAML stream.", body = String, content_type = "application/yaml"),
        (status = 400, description = "The query string is malformed.", body = model::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or malformed bearer token, or the API server rejected it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plan: it does not exist, has expired, or was made by someone else.", body = model::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The plan was applied; preview the change again.", body = model::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`format` is neither `yaml` nor `kustomize` (`errors[].field` is `format`).", body = model::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The server failed (its log has the cause).", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
/// The plan as files for a GitOps repository instead of an apply: for
/// clusters where a controller (e.g. Argo CD) would revert a direct change.
/// Secret values are never exported; their keys show a fingerprint.
async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let client = &caller.client;
    let stored = store::load(&state.db, &state.plan_seal, client.token_hash(), &id).await?.ok_or_else(|| gone(&id))?;
    if stored.applied {
        return Err(ApiError::State {
            detail: format!("plan {id} was applied; preview the change again to export it"),
        });
    }
    let text = match query.format.as_str() {
        "yaml" => crate::registry::plan::export::objects_yaml(&stored.draft),
        "kustomize" => crate::registry::plan::export::kustomization(&stored.draft),
        other => {
            return Err(ApiError::Invalid {
                findings: vec![
                    model::registry::Finding::error("format", "field.one_of")
                        .with("value", other)
                        .with("allowed", "yaml, kustomize"),
                ],
            });
        }
    };
    record_event(&state, client, &request, "plan.export", &stored.view, json!({"format": query.format})).await?;
    Ok(HttpResponse::Ok().content_type("application/yaml; charset=utf-8").body(text))
}

impl From<BuildError> for ApiError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::Invalid(findings) => ApiError::Invalid { findings },
            BuildError::Cluster(error) => ApiError::Cluster(error),
            BuildError::State(detail) => ApiError::State { detail },
        }
    }
}

impl From<SimulateError> for ApiError {
    fn from(error: SimulateError) -> Self {
        match error {
            SimulateError::Cluster(error) => ApiError::Cluster(error),
            step @ SimulateError::Step { .. } => ApiError::State { detail: step.to_string() },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::internal(error)
    }
}

fn request_id(request: &HttpRequest) -> Option<String> {
    request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// The dry run's honest scope, shown with every plan.
const DRY_RUN_NOTE: &str = "The API server checked each step's schema and admission (dryRun=All) only. Most registry \
     rules are enforced by the image registry operator after apply; the console checked them before this preview, and \
     the registry's conditions show the operator's verdict once applied.";

/// Simulates, dry-runs and stores a draft; the view the user sees.
async fn finish(
    state: &AppState,
    client: &UserClient,
    mut draft: PlanDraft,
    known: &BTreeMap<String, Option<serde_json::Value>>,
) -> Result<Plan, ApiError> {
    engine::simulate(client, &mut draft, known).await?;
    let dry_run = engine::dry_run(client, &draft).await;
    let now = clock::now_unix();
    let expires_at = now + i64::from(state.settings.plan_ttl_minutes) * 60;
    let steps = engine::step_views(&draft);
    let view = Plan {
        id: state.plan_seal.new_id()?,
        kind: draft.kind.clone(),
        summary: draft.summary.clone(),
        commands: steps.iter().map(|step| step.oc.clone()).collect(),
        steps,
        warning_messages: draft.warnings.iter().map(|warning| warning.message(Lang::En)).collect(),
        warnings: draft.warnings.clone(),
        dangers: draft.dangers.clone(),
        dry_run,
        dry_run_note: DRY_RUN_NOTE.to_owned(),
        gitops: draft.gitops.clone(),
        expires_at: clock::rfc3339(expires_at),
        notes: draft.notes.clone(),
    };
    store::save(&state.db, &state.plan_seal, client.token_hash(), &view, &draft, expires_at).await?;
    Ok(view)
}

#[utoipa::path(
    post,
    path = "/api/v1/plans",
    tag = "plans",
    operation_id = "previewPlan",
    summary = "Preview a change: build, simulate and dry-run a plan",
    description = "Turns a change (`kind` says which) into a plan: the steps that write the cluster with a \
        field-level diff, the equivalent `oc` commands, warnings, the `dangers` an apply must confirm, and the API \
        server's dry-run of each step. The dry-run (`dryRun=All`) covers schema and admission only: most registry \
        rules are enforced by the operator after the apply. Nothing is written. The plan is kept, sealed, for the \
        caller until `expiresAt` (`plan_ttl_minutes`); secret values in the request never appear in the answer. \
        The preview is audited.",
    request_body(content = PlanRequest, description = "The change, tagged by `kind`.", content_type = "application/json"),
    security(("bearerAuth" = [])),
    responses(
        (status = 201, description = "The plan; `Location` is its URL.", body = Plan,
            headers(("Location" = String, description = "`/api/v1/plans/{id}`"))),
        (status = 400, description = "The body is not valid JSON or not a known `kind`.", body = model::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or malformed bearer token, or the API server rejected it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API server refused the caller a read or dry-run the plan needs.", body = model::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cluster is not in a state this change can start from.", body = model::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request breaks the registry's rules; `errors` has one entry per field with a stable `code`.", body = model::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The server failed (its log has the cause).", body = model::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The API server could not be reached or answered something unreadable.", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Json<PlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = &caller.client;
    let ctx = Ctx::new(client, clock::now_unix());
    let mut draft = build::build(&ctx, &body).await?;
    draft.kind = body.kind().to_owned();
    let view = finish(&state, client, draft, &ctx.into_read()).await?;
    record_event(&state, client, &request, "plan.preview", &view, json!({"kind": view.kind, "dryRun": view.dry_run}))
        .await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/plans/{}", view.id))).json(view))
}

/// Records a plan event (a preview, an export) in the audit trail.
async fn record_event(
    state: &AppState,
    client: &UserClient,
    request: &HttpRequest,
    action: &str,
    plan: &Plan,
    detail: serde_json::Value,
) -> Result<i64, ApiError> {
    let actor = audit::whoami(client).await.unwrap_or_default();
    let targets: Vec<_> = plan.steps.iter().map(|step| step.target.clone()).collect();
    let correlation = request_id(request);
    let record = Record {
        actor: &actor,
        action,
        phase: Phase::Event,
        intent_id: None,
        plan_id: Some(&plan.id),
        targets: &targets,
        summary: &plan.summary,
        detail: &detail,
        outcome: None,
        correlation_id: correlation.as_deref(),
    };
    audit::append(&state.db, &record).await.map_err(ApiError::internal)
}

fn gone(id: &str) -> ApiError {
    ApiError::not_found(format!("no plan {id}: it does not exist, has expired, or was made by someone else"))
}

#[utoipa::path(
    get,
    path = "/api/v1/plans/{id}",
    tag = "plans",
    operation_id = "getPlan",
    summary = "A previewed plan",
    description = "The plan as previewed, while it has not expired; only its maker (the same token) can read it.",
    params(("id" = String, Path, description = "The plan's id, from `POST /api/v1/plans`.")),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The plan.", body = Plan),
        (status = 401, description = "No or malformed bearer token, or the API server rejected it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plan: it does not exist, has expired, or was made by someone else.", body = model::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The server failed (its log has the cause).", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_plan(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let stored =
        store::load(&state.db, &state.plan_seal, caller.client.token_hash(), &id).await?.ok_or_else(|| gone(&id))?;
    Ok(HttpResponse::Ok().json(stored.view))
}

#[utoipa::path(
    post,
    path = "/api/v1/plans/{id}/apply",
    tag = "plans",
    operation_id = "applyPlan",
    summary = "Apply a previewed plan, once",
    description = "Applies the plan's steps in order (JSON merge patch, optimistic concurrency, field manager \
        `registry-console`), once. `confirm` must hold the `code` of every entry of the plan's `dangers`, else 422 \
        lists the missing ones (`errors[].code` is `plan.confirm.<code>`). When an object changed since the preview \
        nothing is written and 409 carries the fresh `diff` (paths prefixed with the object); preview again. When a \
        step fails after others were applied, the answer (200, `succeeded: false`) names a `revertPlanId` that \
        undoes them and the steps it cannot undo. An audit intent is written before and its outcome after.",
    params(("id" = String, Path, description = "The plan's id, from `POST /api/v1/plans`.")),
    request_body(content = ApplyRequest, description = "The confirmations.", content_type = "application/json"),
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "What happened to each step; `succeeded` is false when one failed.", body = ApplyResult),
        (status = 400, description = "The body is not valid JSON.", body = model::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or malformed bearer token, or the API server rejected it.", body = model::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API server refused the caller a read the apply needs.", body = model::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such plan: it does not exist, has expired, or was made by someone else.", body = model::Problem, content_type = "application/problem+json"),
        (status = 409, description = "An object changed since the preview (`diff` says what; nothing was written), or the plan was already applied.", body = crate::api::openapi::ConflictProblem, content_type = "application/problem+json"),
        (status = 422, description = "Confirmations are missing: one `errors` entry per danger code not in `confirm`.", body = model::Problem, content_type = "application/problem+json"),
        (status = 500, description = "The server failed (its log has the cause).", body = model::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The API server could not be reached or answered something unreadable.", body = model::Problem, content_type = "application/problem+json"),
        (status = 503, description = "No cluster is configured.", body = model::Problem, content_type = "application/problem+json"),
    )
)]
async fn apply(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<ApplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = &caller.client;
    let stored = store::load(&state.db, &state.plan_seal, client.token_hash(), &id).await?.ok_or_else(|| gone(&id))?;
    if stored.applied {
        return Err(ApiError::State { detail: format!("plan {id} was already applied; preview the change again") });
    }
    let missing: Vec<_> = stored.view.dangers.iter().filter(|danger| !body.confirm.contains(&danger.code)).collect();
    if !missing.is_empty() {
        return Err(ApiError::ConfirmationRequired {
            codes: missing.iter().map(|danger| danger.code.clone()).collect(),
            messages: missing.iter().map(|danger| danger.message.clone()).collect(),
        });
    }
    let (conflicts, fresh) = engine::check_conflicts(client, &stored.draft).await?;
    if !conflicts.is_empty() {
        let diff: Vec<DiffEntry> = conflicts
            .iter()
            .flat_map(|conflict| {
                conflict.diff.iter().map(|entry| DiffEntry {
                    path: format!("{}:{}", conflict.target.display(), entry.path),
                    ..entry.clone()
                })
            })
            .collect();
        let targets: Vec<String> = conflicts.iter().map(|conflict| conflict.target.display()).collect();
        return Err(ApiError::Conflict {
            detail: format!(
                "{} changed since the plan was made; nothing was written. Preview the change again.",
                targets.join(", ")
            ),
            diff,
        });
    }
    if !store::mark_applied(&state.db, &id).await? {
        return Err(ApiError::State { detail: format!("plan {id} was already applied; preview the change again") });
    }
    let actor = audit::whoami(client).await?;
    let targets: Vec<_> = stored.view.steps.iter().map(|step| step.target.clone()).collect();
    let correlation = request_id(&request);
    let intent_id = audit::append(
        &state.db,
        &Record {
            actor: &actor,
            action: &format!("plan.apply.{}", stored.view.kind),
            phase: Phase::Intent,
            intent_id: None,
            plan_id: Some(&id),
            targets: &targets,
            summary: &stored.view.summary,
            detail: &json!({"steps": stored.view.steps, "confirmed": body.confirm}),
            outcome: None,
            correlation_id: correlation.as_deref(),
        },
    )
    .await
    .map_err(ApiError::internal)?;
    let results = engine::apply(client, &stored.draft, fresh).await;
    let succeeded = results.iter().all(|result| result.status == StepStatus::Applied);
    let (revert_plan_id, irreversible_steps) = if succeeded {
        (None, Vec::new())
    } else {
        let (steps, irreversible) = engine::revert_steps(&stored.draft, &results);
        let revert_id = if steps.is_empty() {
            None
        } else {
            let draft = PlanDraft {
                kind: "revert".into(),
                summary: format!("Undo the applied steps of plan {id}"),
                steps,
                ..PlanDraft::default()
            };
            match finish(&state, client, draft, &BTreeMap::new()).await {
                Ok(plan) => Some(plan.id),
                Err(error) => {
                    tracing::warn!(%error, plan = %id, "the revert plan could not be made");
                    None
                }
            }
        };
        (revert_id, irreversible)
    };
    let touches_config = stored.draft.steps.iter().any(|step| step.target.kind == "Config");
    let settled =
        if succeeded && touches_config { engine::settled_config(client, Duration::from_secs(3)).await } else { None };
    let outcome = if succeeded { "succeeded" } else { "failed" };
    audit::append(
        &state.db,
        &Record {
            actor: &actor,
            action: &format!("plan.apply.{}", stored.view.kind),
            phase: Phase::Outcome,
            intent_id: Some(intent_id),
            plan_id: Some(&id),
            targets: &targets,
            summary: &stored.view.summary,
            detail: &json!({"results": results, "revertPlanId": revert_plan_id}),
            outcome: Some(outcome),
            correlation_id: correlation.as_deref(),
        },
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(ApplyResult {
        plan_id: id.into_inner(),
        audit_id: intent_id,
        succeeded,
        steps: results,
        revert_plan_id,
        irreversible_steps,
        settled,
    }))
}
