//! `/api/workflows` (list, create, validate, detail, update, delete, run, runs),
//! `/api/workflow-runs/{id}` (detail, cancel, approve/reject a step) and `/api/approvals`.
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use orchestrator::workflows::WorkflowError;
use orchestrator::Workflows;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::error::{ApiError, ErrorBody, ErrorCode};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProblemView {
    /// `invalid_yaml`, `missing_field`, `unknown_step_type`, `duplicate_step_id`,
    /// `invalid_step_id`, `missing_dependency`, `cycle`, `invalid_condition`, `invalid_cron`,
    /// `invalid_branch`, `invalid_value`, `unknown_field`.
    pub code: String,
    pub message: String,
    /// The offending steps (for a cycle: the ids on it, in order).
    pub step_ids: Vec<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn problem_view(p: workflow::Problem) -> ProblemView {
    ProblemView {
        code: serde_json::to_value(p.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        message: p.message,
        step_ids: p.step_ids,
        line: p.line,
        column: p.column,
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        let m = e.to_string();
        match e {
            WorkflowError::Invalid(_) => ApiError::new(ErrorCode::InvalidRequest, m),
            WorkflowError::Problems(ps) => {
                let problems: Vec<ProblemView> = ps.into_iter().map(problem_view).collect();
                ApiError::new(ErrorCode::InvalidRequest, m)
                    .with_details(serde_json::json!({ "problems": problems }))
            }
            WorkflowError::NotFound(_) => ApiError::new(ErrorCode::NotFound, m),
            WorkflowError::Conflict(_) => ApiError::new(ErrorCode::InvalidState, m),
            WorkflowError::Store(s) => ApiError::internal(s),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowView {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// The YAML text.
    pub definition: String,
    pub enabled: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn workflow_view(w: store::WorkflowRecord) -> WorkflowView {
    WorkflowView {
        id: w.id,
        project_id: w.project_id,
        name: w.name,
        definition: w.definition,
        enabled: w.enabled,
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWorkflowRequest {
    pub project_id: String,
    /// Defaults to the definition's `name`.
    pub name: Option<String>,
    /// The YAML text.
    pub definition: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWorkflowRequest {
    pub name: Option<String>,
    pub definition: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateRequest {
    pub definition: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepDefView {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationView {
    pub valid: bool,
    pub problems: Vec<ProblemView>,
    /// The steps: of a valid definition in execution order; of an invalid one as written (best
    /// effort), so a graph can show what is wrong.
    pub steps: Vec<StepDefView>,
}

fn step_defs(w: &workflow::Workflow) -> Vec<StepDefView> {
    let order = w.order();
    order
        .iter()
        .filter_map(|id| w.step(id))
        .map(|s| StepDefView {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: s.kind.type_name().to_string(),
            depends_on: s.depends_on.clone(),
            condition: s.condition.clone(),
        })
        .collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepRunView {
    pub step_id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub depends_on: Vec<String>,
    /// `pending`, `running`, `waiting` (an approval), `succeeded`, `failed`, `skipped` or
    /// `cancelled`.
    pub status: String,
    pub task_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub wait_until: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowRunView {
    pub id: String,
    pub workflow_id: String,
    /// `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    #[schema(value_type = Object)]
    pub trigger: serde_json::Value,
    pub error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub finished_at: Option<String>,
    pub steps: Vec<StepRunView>,
}

fn run_view(
    r: store::WorkflowRunRecord,
    steps: Vec<store::StepRecord>,
    def: Option<workflow::Workflow>,
) -> WorkflowRunView {
    let steps = steps
        .into_iter()
        .map(|s| {
            let d = def.as_ref().and_then(|d| d.step(&s.step_id));
            StepRunView {
                name: d.and_then(|d| d.name.clone()),
                kind: d
                    .map(|d| d.kind.type_name().to_string())
                    .unwrap_or_default(),
                depends_on: d.map(|d| d.depends_on.clone()).unwrap_or_default(),
                step_id: s.step_id,
                status: s.status,
                task_id: s.task_id,
                output: s.output,
                error: s.error,
                wait_until: s.wait_until,
                started_at: s.started_at,
                finished_at: s.finished_at,
            }
        })
        .collect();
    WorkflowRunView {
        id: r.id,
        workflow_id: r.workflow_id,
        status: r.status,
        trigger: r.trigger,
        error: r.error,
        created_at: r.created_at,
        finished_at: r.finished_at,
        steps,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDetailView {
    pub workflow: WorkflowView,
    pub steps: Vec<StepDefView>,
    pub runs: Vec<WorkflowRunView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalView {
    pub run_id: String,
    pub step_id: String,
    pub workflow_id: String,
    pub workflow_name: String,
    pub message: Option<String>,
    pub since: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionRequest {
    pub comment: Option<String>,
}

#[utoipa::path(get, path = "/api/workflows", tag = "workflows", responses((status = 200, body = [WorkflowView])))]
pub async fn list_workflows(
    State(w): State<Arc<Workflows>>,
) -> Result<Json<Vec<WorkflowView>>, ApiError> {
    Ok(Json(
        w.list().await?.into_iter().map(workflow_view).collect(),
    ))
}

#[utoipa::path(post, path = "/api/workflows", tag = "workflows", request_body = CreateWorkflowRequest,
    responses((status = 201, body = WorkflowView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_workflow(
    State(w): State<Arc<Workflows>>,
    ApiJson(req): ApiJson<CreateWorkflowRequest>,
) -> Result<(StatusCode, Json<WorkflowView>), ApiError> {
    let made = w.create(&req.project_id, req.name, &req.definition).await?;
    Ok((StatusCode::CREATED, Json(workflow_view(made))))
}

#[utoipa::path(post, path = "/api/workflows/validate", tag = "workflows", request_body = ValidateRequest,
    responses((status = 200, body = ValidationView)))]
pub async fn validate_workflow(ApiJson(req): ApiJson<ValidateRequest>) -> Json<ValidationView> {
    Json(match Workflows::validate(&req.definition) {
        Ok(def) => ValidationView {
            valid: true,
            problems: vec![],
            steps: step_defs(&def),
        },
        Err(ps) => ValidationView {
            valid: false,
            problems: ps.into_iter().map(problem_view).collect(),
            // The steps as written, so the editor can draw what is wrong (a cycle, say).
            steps: workflow::outline(&req.definition)
                .into_iter()
                .map(|s| StepDefView {
                    id: s.id,
                    name: s.name,
                    kind: s.kind,
                    depends_on: s.depends_on,
                    condition: None,
                })
                .collect(),
        },
    })
}

#[utoipa::path(get, path = "/api/workflows/{id}", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, body = WorkflowDetailView), (status = 404, body = ErrorBody)))]
pub async fn get_workflow(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
) -> Result<Json<WorkflowDetailView>, ApiError> {
    let wf = w.get(&id).await?;
    let steps = Workflows::validate(&wf.definition)
        .map(|d| step_defs(&d))
        .unwrap_or_default();
    let mut runs = Vec::new();
    for r in w.runs(&id).await?.into_iter().take(20) {
        let (r, s, d) = w.run_detail(&r.id).await?;
        runs.push(run_view(r, s, d));
    }
    Ok(Json(WorkflowDetailView {
        workflow: workflow_view(wf),
        steps,
        runs,
    }))
}

#[utoipa::path(put, path = "/api/workflows/{id}", tag = "workflows", params(("id" = String, Path)), request_body = UpdateWorkflowRequest,
    responses((status = 200, body = WorkflowView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_workflow(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateWorkflowRequest>,
) -> Result<Json<WorkflowView>, ApiError> {
    Ok(Json(workflow_view(
        w.update(&id, req.name, req.definition, req.enabled).await?,
    )))
}

#[utoipa::path(delete, path = "/api/workflows/{id}", tag = "workflows", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_workflow(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    w.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/workflows/{id}/run", tag = "workflows", params(("id" = String, Path)),
    responses((status = 201, body = WorkflowRunView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn run_workflow(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<WorkflowRunView>), ApiError> {
    let r = w.run(&id, serde_json::json!({"event": "manual"})).await?;
    let (r, s, d) = w.run_detail(&r.id).await?;
    Ok((StatusCode::CREATED, Json(run_view(r, s, d))))
}

#[utoipa::path(get, path = "/api/workflows/{id}/runs", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, body = [WorkflowRunView]), (status = 404, body = ErrorBody)))]
pub async fn workflow_runs(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<WorkflowRunView>>, ApiError> {
    let mut out = Vec::new();
    for r in w.runs(&id).await? {
        let (r, s, d) = w.run_detail(&r.id).await?;
        out.push(run_view(r, s, d));
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/workflow-runs/{id}", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, body = WorkflowRunView), (status = 404, body = ErrorBody)))]
pub async fn get_workflow_run(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
) -> Result<Json<WorkflowRunView>, ApiError> {
    let (r, s, d) = w.run_detail(&id).await?;
    Ok(Json(run_view(r, s, d)))
}

#[utoipa::path(post, path = "/api/workflow-runs/{id}/cancel", tag = "workflows", params(("id" = String, Path)),
    responses((status = 200, body = WorkflowRunView), (status = 409, body = ErrorBody)))]
pub async fn cancel_workflow_run(
    State(w): State<Arc<Workflows>>,
    Path(id): Path<String>,
) -> Result<Json<WorkflowRunView>, ApiError> {
    w.cancel(&id).await?;
    let (r, s, d) = w.run_detail(&id).await?;
    Ok(Json(run_view(r, s, d)))
}

/// The optional `{comment}` body of an approve/reject (an empty body is fine).
fn decision(body: &[u8]) -> Result<DecisionRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DecisionRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
}

#[utoipa::path(post, path = "/api/workflow-runs/{id}/steps/{step}/approve", tag = "workflows",
    params(("id" = String, Path), ("step" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = WorkflowRunView), (status = 409, body = ErrorBody)))]
pub async fn approve_step(
    State(w): State<Arc<Workflows>>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<WorkflowRunView>, ApiError> {
    let comment = decision(&body)?.comment;
    w.decide(&id, &step, true, comment).await?;
    let (r, s, d) = w.run_detail(&id).await?;
    Ok(Json(run_view(r, s, d)))
}

#[utoipa::path(post, path = "/api/workflow-runs/{id}/steps/{step}/reject", tag = "workflows",
    params(("id" = String, Path), ("step" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = WorkflowRunView), (status = 409, body = ErrorBody)))]
pub async fn reject_step(
    State(w): State<Arc<Workflows>>,
    Path((id, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<WorkflowRunView>, ApiError> {
    let comment = decision(&body)?.comment;
    w.decide(&id, &step, false, comment).await?;
    let (r, s, d) = w.run_detail(&id).await?;
    Ok(Json(run_view(r, s, d)))
}

#[utoipa::path(get, path = "/api/approvals", tag = "workflows", responses((status = 200, body = [ApprovalView])))]
pub async fn list_approvals(
    State(w): State<Arc<Workflows>>,
) -> Result<Json<Vec<ApprovalView>>, ApiError> {
    Ok(Json(
        w.approvals()
            .await?
            .into_iter()
            .map(|a| ApprovalView {
                run_id: a.run_id,
                step_id: a.step_id,
                workflow_id: a.workflow_id,
                workflow_name: a.workflow_name,
                message: a.message,
                since: a.since,
            })
            .collect(),
    ))
}
