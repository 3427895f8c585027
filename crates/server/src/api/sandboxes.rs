//! `/api/sandboxes`: list, create, inspect, start, stop, delete, exec.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use orchestrator::fleet::{ExecOutput, SandboxSnapshot};
use orchestrator::{Fleet, FleetError, NewSandbox};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::error::{ApiError, ErrorBody, ErrorCode};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NetworkModeView {
    /// No network interface; egress only through the allowlisting proxy.
    None,
    /// The engine's bridge network (explicit opt-in).
    Bridge,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSandboxRequest {
    /// 1–63 characters: letters, digits, `-`, `_`, `.`; unique among live sandboxes.
    pub name: String,
    /// Defaults to the configured sandbox image.
    pub image: Option<String>,
    #[schema(minimum = 0.1)]
    pub cpus: Option<f64>,
    #[schema(minimum = 128, maximum = 1048576)]
    pub memory_mb: Option<u64>,
    #[schema(minimum = 32, maximum = 65536)]
    pub pids: Option<u32>,
    pub network: Option<NetworkModeView>,
    /// Make the sandbox for this project: its own checkout on a new branch.
    pub project_id: Option<String>,
    /// The new branch (validated as a Git ref). Defaults to `anycode/<name>`.
    pub branch: Option<String>,
    /// The branch or commit to start from. Defaults to the project's default branch.
    pub base: Option<String>,
    /// Run the project's setup (its `.anycode/setup.sh`, else detected defaults) in a terminal
    /// named `setup`. Default true.
    pub setup: Option<bool>,
    /// `proxy` (the default unless the server says otherwise) keeps the real credential out of
    /// the sandbox; `direct` puts it into the environment of every process started in it.
    pub credential_mode: Option<CredentialModeView>,
}

/// The project and branch a sandbox works on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxGitView {
    pub project_id: String,
    pub branch: String,
    pub base_ref: String,
    pub base_sha: String,
}

/// How a sandbox's processes reach the model.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialModeView {
    /// Through AnyCode's model proxy with a per-sandbox token; the credential stays on the host.
    Proxy,
    /// The real credential in each process's environment (never on disk); the sandbox can read it.
    Direct,
}

impl From<orchestrator::CredentialMode> for CredentialModeView {
    fn from(m: orchestrator::CredentialMode) -> Self {
        match m {
            orchestrator::CredentialMode::Proxy => Self::Proxy,
            orchestrator::CredentialMode::Direct => Self::Direct,
        }
    }
}

impl From<CredentialModeView> for orchestrator::CredentialMode {
    fn from(m: CredentialModeView) -> Self {
        match m {
            CredentialModeView::Proxy => Self::Proxy,
            CredentialModeView::Direct => Self::Direct,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxLimitsView {
    pub cpus: f64,
    pub memory_mb: i64,
    pub pids: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStatsView {
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SandboxStatus {
    Pending,
    Creating,
    Ready,
    Running,
    Paused,
    Stopped,
    Destroyed,
    Failed,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxView {
    pub id: String,
    pub name: String,
    pub status: SandboxStatus,
    /// Why it failed or stopped, when AnyCode knows.
    pub reason: Option<String>,
    /// `docker` or `local`.
    pub driver: String,
    pub image: String,
    pub limits: SandboxLimitsView,
    pub network: NetworkModeView,
    pub stats: Option<SandboxStatsView>,
    pub terminals: usize,
    pub agent_connected: bool,
    pub git: Option<SandboxGitView>,
    pub credential_mode: CredentialModeView,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

pub fn view(s: SandboxSnapshot) -> SandboxView {
    use orchestrator::SandboxState as S;
    let status = match s.state {
        S::Pending => SandboxStatus::Pending,
        S::Creating => SandboxStatus::Creating,
        S::Ready => SandboxStatus::Ready,
        S::Running => SandboxStatus::Running,
        S::Paused => SandboxStatus::Paused,
        S::Stopped => SandboxStatus::Stopped,
        S::Destroyed => SandboxStatus::Destroyed,
        S::Failed => SandboxStatus::Failed,
    };
    let r = s.record;
    SandboxView {
        id: r.id,
        name: r.name,
        status,
        reason: r.failure_reason,
        driver: r.driver,
        image: r.image,
        limits: SandboxLimitsView {
            cpus: r.cpus,
            memory_mb: r.memory_mb,
            pids: r.pids,
        },
        network: if r.network == "bridge" {
            NetworkModeView::Bridge
        } else {
            NetworkModeView::None
        },
        stats: s.stats.map(|st| SandboxStatsView {
            cpu_percent: st.cpu_percent,
            memory_bytes: st.memory_bytes,
            memory_limit_bytes: st.memory_limit_bytes,
        }),
        terminals: s.terminals,
        git: s.git.map(|g| SandboxGitView {
            project_id: g.project_id,
            branch: g.branch,
            base_ref: g.base_ref,
            base_sha: g.base_sha,
        }),
        agent_connected: s.agent_connected,
        credential_mode: s.credential_mode.into(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

impl From<FleetError> for ApiError {
    fn from(e: FleetError) -> Self {
        match e {
            FleetError::NotFound(id) => ApiError::not_found("sandbox", &id),
            FleetError::Invalid(m) => ApiError::invalid(m),
            e @ FleetError::Duplicate(_) => ApiError::new(ErrorCode::Conflict, e.to_string()),
            e @ FleetError::ImageMissing(_) => {
                ApiError::new(ErrorCode::ImageMissing, e.to_string())
            }
            e @ FleetError::EngineUnavailable(_) => {
                ApiError::new(ErrorCode::EngineUnavailable, e.to_string())
            }
            e @ FleetError::WrongState { .. } => {
                ApiError::new(ErrorCode::InvalidState, e.to_string())
            }
            e @ FleetError::Agent(_) => ApiError::new(ErrorCode::AgentUnavailable, e.to_string()),
            e @ FleetError::Failed(_) => ApiError::new(ErrorCode::SandboxFailed, e.to_string()),
            FleetError::Hub(h) => h.into(),
            FleetError::Store(s) => ApiError::internal(s),
        }
    }
}

#[utoipa::path(get, path = "/api/sandboxes", tag = "sandboxes", responses((status = 200, body = [SandboxView])))]
pub async fn list_sandboxes(
    State(fleet): State<Arc<Fleet>>,
) -> Result<Json<Vec<SandboxView>>, ApiError> {
    Ok(Json(fleet.list().await?.into_iter().map(view).collect()))
}

#[utoipa::path(post, path = "/api/sandboxes", tag = "sandboxes", request_body = CreateSandboxRequest,
    responses((status = 201, body = SandboxView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create_sandbox(
    State(fleet): State<Arc<Fleet>>,
    State(projects): State<Arc<orchestrator::Projects>>,
    ApiJson(req): ApiJson<CreateSandboxRequest>,
) -> Result<(StatusCode, Json<SandboxView>), ApiError> {
    let new = NewSandbox {
        name: req.name,
        image: req.image,
        cpus: req.cpus,
        memory_mb: req.memory_mb,
        pids: req.pids,
        network: req.network.map(|n| match n {
            NetworkModeView::None => sandbox::NetworkMode::None,
            NetworkModeView::Bridge => sandbox::NetworkMode::Bridge,
        }),
        checkout: None,
        credential_mode: req.credential_mode.map(Into::into),
    };
    let made = match req.project_id {
        Some(project_id) => {
            crate::api::projects::create_project_sandbox(
                &projects,
                orchestrator::projects::ProjectSandbox {
                    project_id,
                    sandbox: new,
                    branch: req.branch,
                    base: req.base,
                    setup: req.setup.unwrap_or(true),
                },
            )
            .await?
        }
        None => {
            if req.branch.is_some() || req.base.is_some() {
                return Err(ApiError::invalid("`branch` and `base` need a `projectId`"));
            }
            fleet.create(new).await?
        }
    };
    Ok((StatusCode::CREATED, Json(view(made))))
}

#[utoipa::path(get, path = "/api/sandboxes/{id}", tag = "sandboxes", params(("id" = String, Path)),
    responses((status = 200, body = SandboxView), (status = 404, body = ErrorBody)))]
pub async fn get_sandbox(
    State(fleet): State<Arc<Fleet>>,
    Path(id): Path<String>,
) -> Result<Json<SandboxView>, ApiError> {
    Ok(Json(view(fleet.get(&id).await?)))
}

#[utoipa::path(post, path = "/api/sandboxes/{id}/start", tag = "sandboxes", params(("id" = String, Path)),
    responses((status = 200, body = SandboxView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start_sandbox(
    State(fleet): State<Arc<Fleet>>,
    Path(id): Path<String>,
) -> Result<Json<SandboxView>, ApiError> {
    Ok(Json(view(fleet.start_sandbox(&id).await?)))
}

#[utoipa::path(post, path = "/api/sandboxes/{id}/stop", tag = "sandboxes", params(("id" = String, Path)),
    responses((status = 200, body = SandboxView), (status = 404, body = ErrorBody)))]
pub async fn stop_sandbox(
    State(fleet): State<Arc<Fleet>>,
    Path(id): Path<String>,
) -> Result<Json<SandboxView>, ApiError> {
    Ok(Json(view(fleet.stop(&id).await?)))
}

#[utoipa::path(delete, path = "/api/sandboxes/{id}", tag = "sandboxes", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_sandbox(
    State(fleet): State<Arc<Fleet>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    fleet.destroy(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecRequest {
    /// argv, run without a shell.
    pub command: Vec<String>,
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Default 60 000; at most 3 600 000.
    #[schema(minimum = 1, maximum = 3600000)]
    pub timeout_ms: Option<u64>,
    pub stdin: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecResponse {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// stdout or stderr exceeded 1 MiB and was cut.
    pub truncated: bool,
    pub duration_ms: u64,
}

impl From<ExecOutput> for ExecResponse {
    fn from(o: ExecOutput) -> Self {
        Self {
            exit_code: o.exit_code,
            signal: o.signal,
            stdout: o.stdout,
            stderr: o.stderr,
            timed_out: o.timed_out,
            truncated: o.truncated,
            duration_ms: o.duration_ms,
        }
    }
}

#[utoipa::path(post, path = "/api/sandboxes/{id}/exec", tag = "sandboxes", params(("id" = String, Path)), request_body = ExecRequest,
    responses((status = 200, body = ExecResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn exec_in_sandbox(
    State(fleet): State<Arc<Fleet>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ExecRequest>,
) -> Result<Json<ExecResponse>, ApiError> {
    let timeout = req.timeout_ms.unwrap_or(60_000);
    if !(1..=3_600_000).contains(&timeout) {
        return Err(ApiError::invalid(
            "`timeoutMs` must be between 1 and 3600000",
        ));
    }
    let out = fleet
        .exec(
            &id,
            req.command,
            req.cwd,
            req.env,
            Duration::from_millis(timeout),
            req.stdin,
        )
        .await?;
    Ok(Json(out.into()))
}
