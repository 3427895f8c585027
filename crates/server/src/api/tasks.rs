//! `/api/tasks` (list, create, detail, cancel, complete, logs) and `/api/scheduler`.
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use orchestrator::tasks::{Limits, NewTask, TaskError};
use orchestrator::Tasks;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::error::{ApiError, ErrorBody, ErrorCode};

impl From<TaskError> for ApiError {
    fn from(e: TaskError) -> Self {
        let m = e.to_string();
        match e {
            TaskError::Invalid(_) => ApiError::new(ErrorCode::InvalidRequest, m),
            TaskError::NotFound(_) => ApiError::new(ErrorCode::NotFound, m),
            TaskError::Conflict(_) => ApiError::new(ErrorCode::InvalidState, m),
            TaskError::Project(p) => p.into(),
            TaskError::Store(s) => ApiError::internal(s),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskType {
    Feature,
    Bugfix,
    Refactor,
    Review,
    Custom,
}

impl TaskType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Feature => "feature",
            Self::Bugfix => "bugfix",
            Self::Refactor => "refactor",
            Self::Review => "review",
            Self::Custom => "custom",
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTaskRequest {
    pub project_id: String,
    #[serde(rename = "type")]
    pub kind: Option<TaskType>,
    /// Defaults to the prompt's first line.
    pub title: Option<String>,
    pub prompt: String,
    /// Defaults to the project's default branch.
    pub base_branch: Option<String>,
    /// The task's own branch; defaults to `anycode/task-<id>`.
    pub target_branch: Option<String>,
    /// Open a pull request when the work is pushed.
    #[serde(default, rename = "autoPR", alias = "autoPr")]
    pub auto_pr: bool,
    /// Open `claude` with the prompt in a terminal instead of a headless run; the user marks
    /// the task done.
    #[serde(default)]
    pub interactive: bool,
    /// Higher runs first (-100..100, default 0).
    #[serde(default)]
    pub priority: i64,
    /// Seconds before the task fails as timed out (default one hour).
    pub timeout_secs: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskView {
    pub id: String,
    pub project_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub prompt: String,
    pub base_branch: String,
    pub target_branch: String,
    #[serde(rename = "autoPR")]
    pub auto_pr: bool,
    /// `headless` or `interactive`.
    pub mode: String,
    pub priority: i64,
    /// `pending`, `queued`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// `sandbox`, `setup`, `claude`, `waiting_for_user`, `commit`, `push` or `pr`.
    pub phase: Option<String>,
    pub progress: i64,
    /// Why a queued task waits (the scheduler's hold, a limit, a retry's backoff).
    pub wait_reason: Option<String>,
    pub sandbox_id: Option<String>,
    pub run_id: Option<String>,
    pub session_id: Option<String>,
    pub attempt: i64,
    pub max_attempts: i64,
    pub timeout_secs: i64,
    pub not_before: Option<String>,
    pub error: Option<String>,
    /// `rate_limited`, `model_unavailable`, `sandbox_lost`, `timeout`, `setup_failed`, `git`,
    /// `task_failed`.
    pub error_class: Option<String>,
    /// `{branch, sandboxId, commits: [{sha, subject}], prUrl?, prNumber?, note?}`.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub workflow_run_id: Option<String>,
    pub step_id: Option<String>,
    /// Model tokens the task's sandbox used (metered by the model proxy).
    pub usage: Option<TaskUsageView>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the task last changed (the UI keeps the newest of the views it receives).
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskUsageView {
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_creation_tokens: i64,
    pub cache_read_tokens: i64,
}

/// The view with the task's metered usage.
pub async fn task_view_with_usage(store: &store::Store, t: store::TaskRecord) -> TaskView {
    let usage = match &t.sandbox_id {
        Some(sb) => store.sandbox_usage(sb).await.ok().map(|u| TaskUsageView {
            requests: u.requests,
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_creation_tokens: u.cache_creation_tokens,
            cache_read_tokens: u.cache_read_tokens,
        }),
        None => None,
    };
    let mut v = task_view(t);
    v.usage = usage;
    v
}

pub fn task_view(t: store::TaskRecord) -> TaskView {
    TaskView {
        usage: None,
        id: t.id,
        project_id: t.project_id,
        kind: t.kind,
        title: t.title,
        prompt: t.prompt,
        base_branch: t.base_branch,
        target_branch: t.target_branch,
        auto_pr: t.auto_pr,
        mode: t.mode,
        priority: t.priority,
        status: t.status,
        phase: t.phase,
        progress: t.progress,
        wait_reason: t.wait_reason,
        sandbox_id: t.sandbox_id,
        run_id: t.run_id,
        session_id: t.session_id,
        attempt: t.attempt,
        max_attempts: t.max_attempts,
        timeout_secs: t.timeout_secs,
        not_before: t.not_before,
        error: t.error,
        error_class: t.error_class,
        result: t.result,
        workflow_run_id: t.workflow_run_id,
        step_id: t.step_id,
        created_at: t.created_at,
        updated_at: t.updated_at,
        started_at: t.started_at,
        finished_at: t.finished_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskLogView {
    pub seq: i64,
    pub at: String,
    /// `info`, `warn` or `error`.
    pub level: String,
    pub message: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TasksQuery {
    pub status: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerLimitsView {
    pub max_running: usize,
    pub max_per_project: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerView {
    pub limits: SchedulerLimitsView,
    pub running: usize,
    pub queued: usize,
    /// Why new work is held (the model API's rate limit), and until when.
    pub hold_reason: Option<String>,
    pub hold_until: Option<String>,
}

#[utoipa::path(get, path = "/api/tasks", tag = "tasks", params(TasksQuery), responses((status = 200, body = [TaskView])))]
pub async fn list_tasks(
    State(t): State<Arc<Tasks>>,
    Query(q): Query<TasksQuery>,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let mut out = Vec::new();
    for task in t.list(q.status.as_deref()).await? {
        out.push(task_view_with_usage(t.store(), task).await);
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/tasks", tag = "tasks", request_body = CreateTaskRequest,
    responses((status = 201, body = TaskView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_task(
    State(t): State<Arc<Tasks>>,
    ApiJson(req): ApiJson<CreateTaskRequest>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let made = t
        .create(NewTask {
            project_id: req.project_id,
            kind: req.kind.map(|k| k.as_str().to_string()),
            title: req.title,
            prompt: req.prompt,
            base_branch: req.base_branch,
            target_branch: req.target_branch,
            auto_pr: req.auto_pr,
            interactive: req.interactive,
            priority: req.priority,
            timeout_secs: req.timeout_secs,
            ..Default::default()
        })
        .await?;
    Ok((StatusCode::CREATED, Json(task_view(made))))
}

#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(t): State<Arc<Tasks>>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let task = t.get(&id).await?;
    Ok(Json(task_view_with_usage(t.store(), task).await))
}

#[utoipa::path(post, path = "/api/tasks/{id}/cancel", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_task(
    State(t): State<Arc<Tasks>>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(task_view(t.cancel(&id).await?)))
}

#[utoipa::path(post, path = "/api/tasks/{id}/complete", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = TaskView), (status = 409, body = ErrorBody)))]
pub async fn complete_task(
    State(t): State<Arc<Tasks>>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(task_view(t.complete(&id).await?)))
}

#[utoipa::path(get, path = "/api/tasks/{id}/logs", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = [TaskLogView]), (status = 404, body = ErrorBody)))]
pub async fn task_logs(
    State(t): State<Arc<Tasks>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<TaskLogView>>, ApiError> {
    Ok(Json(
        t.logs(&id)
            .await?
            .into_iter()
            .map(|l| TaskLogView {
                seq: l.seq,
                at: l.at,
                level: l.level,
                message: l.message,
            })
            .collect(),
    ))
}

pub async fn scheduler_view(t: &Tasks) -> Result<SchedulerView, ApiError> {
    let s = t.status().await?;
    Ok(SchedulerView {
        limits: SchedulerLimitsView {
            max_running: s.limits.max_running,
            max_per_project: s.limits.max_per_project,
        },
        running: s.running,
        queued: s.queued,
        hold_reason: s.hold_reason,
        hold_until: s.hold_until,
    })
}

#[utoipa::path(get, path = "/api/scheduler", tag = "tasks", responses((status = 200, body = SchedulerView)))]
pub async fn get_scheduler(State(t): State<Arc<Tasks>>) -> Result<Json<SchedulerView>, ApiError> {
    Ok(Json(scheduler_view(&t).await?))
}

#[utoipa::path(put, path = "/api/scheduler", tag = "tasks", request_body = SchedulerLimitsView,
    responses((status = 200, body = SchedulerView), (status = 400, body = ErrorBody)))]
pub async fn set_scheduler(
    State(t): State<Arc<Tasks>>,
    ApiJson(req): ApiJson<SchedulerLimitsView>,
) -> Result<Json<SchedulerView>, ApiError> {
    t.set_limits(Limits {
        max_running: req.max_running,
        max_per_project: req.max_per_project,
    })?;
    Ok(Json(scheduler_view(&t).await?))
}
