//! `/api/credentials` (the user's Claude credentials — never the secret, only a prefix),
//! `/api/inbox` (everything that waits for the user) and `/api/usage` (metered tokens).
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use credentials::{CredError, CredentialInfo, KeyStorageKind, StoredKind};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialStatus {
    /// Whether the proxy has a usable credential now.
    pub configured: bool,
    /// The credential the proxy uses (its id), when there is one.
    pub active: Option<String>,
    /// Why there is none, when there is none.
    pub problem: Option<String>,
    /// Everything found or stored, safe to show.
    pub credentials: Vec<CredentialInfo>,
    /// Where the key of the encrypted credential store is kept.
    pub key_storage: KeyStorageKind,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCredentialRequest {
    /// `api_key` or `oauth_token` (from `claude setup-token`).
    pub kind: StoredKind,
    pub value: String,
}

fn cred_error(e: CredError) -> ApiError {
    // The message never contains the secret (the crate redacts), but be terse anyway.
    ApiError::invalid(e.to_string())
}

#[utoipa::path(get, path = "/api/credentials/status", tag = "credentials", responses((status = 200, body = CredentialStatus)))]
pub async fn credential_status(State(state): State<AppState>) -> Json<CredentialStatus> {
    let broker = &state.claude.broker;
    let (active, problem) = match broker.resolve().await {
        Ok(c) => (Some(c.id), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Json(CredentialStatus {
        configured: active.is_some(),
        active,
        problem,
        credentials: broker.list(),
        key_storage: broker
            .store()
            .map_or(KeyStorageKind::File, |s| s.key_storage()),
    })
}

#[utoipa::path(post, path = "/api/credentials", tag = "credentials", request_body = AddCredentialRequest,
    responses((status = 201, body = CredentialInfo), (status = 400, body = ErrorBody)))]
pub async fn add_credential(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AddCredentialRequest>,
) -> Result<(StatusCode, Json<CredentialInfo>), ApiError> {
    let store = state
        .claude
        .broker
        .store()
        .ok_or_else(|| ApiError::internal("no credential store"))?;
    let info = store.add(req.kind, &req.value).map_err(cred_error)?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[utoipa::path(delete, path = "/api/credentials/{id}", tag = "credentials", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_credential(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = state
        .claude
        .broker
        .store()
        .ok_or_else(|| ApiError::internal("no credential store"))?;
    if !store.list().iter().any(|c| c.id == id) {
        return Err(ApiError::not_found("stored credential", &id));
    }
    store.remove(&id).map_err(cred_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The Claude Code CLI sandboxes run, and how they reach the model.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeStatus {
    /// `docker` or `local`.
    pub driver: String,
    /// The image new sandboxes use.
    pub image: String,
    /// The CLI version new sandboxes get: the image's pinned version (docker) or the host's
    /// (local); absent when unknown (image not built, no CLI on the host).
    pub sandbox_cli_version: Option<String>,
    /// `claude --version` on the server's host, if it has the CLI.
    pub host_cli_version: Option<String>,
    /// The credential mode of sandboxes created without one.
    pub default_credential_mode: crate::api::sandboxes::CredentialModeView,
}

#[utoipa::path(get, path = "/api/claude/status", tag = "agents", responses((status = 200, body = ClaudeStatus)))]
pub async fn claude_status(State(fleet): State<Arc<orchestrator::Fleet>>) -> Json<ClaudeStatus> {
    let cli = fleet.claude_cli().await;
    Json(ClaudeStatus {
        driver: cli.driver.to_string(),
        image: cli.image,
        sandbox_cli_version: cli.sandbox_version,
        host_cli_version: cli.host_version,
        default_credential_mode: fleet.default_credential_mode().into(),
    })
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentStateView {
    Starting,
    Working,
    WaitingForInput,
    Idle,
    Done,
    Error,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatusView {
    pub state: AgentStateView,
    pub reason: Option<String>,
    #[schema(format = DateTime)]
    pub since: String,
    pub session_id: Option<String>,
    /// A turn finished and nobody has looked since.
    pub turn_finished: bool,
}

pub fn agent_view(s: orchestrator::agent_state::AgentStatus) -> AgentStatusView {
    use orchestrator::agent_state::AgentState as A;
    AgentStatusView {
        state: match s.state {
            A::Starting => AgentStateView::Starting,
            A::Working => AgentStateView::Working,
            A::WaitingForInput => AgentStateView::WaitingForInput,
            A::Idle => AgentStateView::Idle,
            A::Done => AgentStateView::Done,
            A::Error => AgentStateView::Error,
        },
        reason: s.reason,
        since: s.since,
        session_id: s.session_id,
        turn_finished: s.turn_finished,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// A permission prompt or a question.
    WaitingForInput,
    /// A turn finished.
    Finished,
    Error,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    pub kind: InboxKind,
    pub terminal_id: String,
    pub terminal_name: Option<String>,
    pub sandbox_id: Option<String>,
    pub sandbox_name: Option<String>,
    pub message: Option<String>,
    #[schema(format = DateTime)]
    pub since: String,
}

#[utoipa::path(get, path = "/api/inbox", tag = "agents", responses((status = 200, body = [InboxItem])))]
pub async fn inbox(State(state): State<AppState>) -> Result<Json<Vec<InboxItem>>, ApiError> {
    let terminals = state.hub.list().await?;
    let sandboxes = state.fleet.list().await?;
    let mut items: Vec<InboxItem> = state
        .fleet
        .agent_statuses()
        .into_iter()
        .filter_map(|(tid, s)| {
            use orchestrator::agent_state::AgentState as A;
            let kind = match s.state {
                A::WaitingForInput => InboxKind::WaitingForInput,
                A::Error => InboxKind::Error,
                A::Idle if s.turn_finished => InboxKind::Finished,
                _ => return None,
            };
            let term = terminals.iter().find(|(r, _)| r.id.to_string() == tid);
            term?;
            let sandbox_name = s
                .sandbox_id
                .as_ref()
                .and_then(|sb| sandboxes.iter().find(|x| &x.record.id == sb))
                .map(|x| x.record.name.clone());
            Some(InboxItem {
                kind,
                terminal_name: term.map(|(r, _)| r.name.clone()),
                terminal_id: tid,
                sandbox_id: s.sandbox_id.clone(),
                sandbox_name,
                message: s.reason,
                since: s.since,
            })
        })
        .collect();
    items.sort_by(|a, b| a.since.cmp(&b.since));
    Ok(Json(items))
}

#[utoipa::path(post, path = "/api/terminals/{id}/seen", tag = "agents", params(("id" = String, Path)), responses((status = 204)))]
pub async fn mark_seen(State(state): State<AppState>, Path(id): Path<String>) -> StatusCode {
    state.fleet.agent_seen(&id);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageRowView {
    pub day: String,
    pub sandbox_id: String,
    pub model: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_creation_tokens: i64,
    pub cache_read_tokens: i64,
}

#[utoipa::path(get, path = "/api/usage", tag = "agents", responses((status = 200, body = [UsageRowView])))]
pub async fn usage(
    State(fleet): State<Arc<orchestrator::Fleet>>,
) -> Result<Json<Vec<UsageRowView>>, ApiError> {
    let rows = fleet.hub().store().usage().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| UsageRowView {
                day: r.day,
                sandbox_id: r.sandbox_id,
                model: r.model,
                requests: r.requests,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
                cache_creation_tokens: r.cache_creation_tokens,
                cache_read_tokens: r.cache_read_tokens,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentEntry {
    pub terminal_id: String,
    pub sandbox_id: Option<String>,
    pub agent: AgentStatusView,
}

/// The state of every Claude agent AnyCode knows (live changes: `agent_state` on `/ws/events`).
#[utoipa::path(get, path = "/api/agents", tag = "agents", responses((status = 200, body = [AgentEntry])))]
pub async fn list_agents(State(fleet): State<Arc<orchestrator::Fleet>>) -> Json<Vec<AgentEntry>> {
    Json(
        fleet
            .agent_statuses()
            .into_iter()
            .map(|(terminal_id, s)| AgentEntry {
                terminal_id,
                sandbox_id: s.sandbox_id.clone(),
                agent: agent_view(s),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRunRequest {
    pub prompt: String,
    pub model: Option<String>,
    #[serde(default)]
    pub allowed_tools: Vec<String>,
    pub max_turns: Option<u32>,
    /// `default`, `acceptEdits`, `bypassPermissions` or `plan`.
    pub permission_mode: Option<String>,
    /// A session id to continue.
    pub resume: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: String,
    pub sandbox_id: String,
    /// The terminal the run is in (watch it live like any terminal).
    pub terminal_id: String,
    pub prompt: String,
    /// `running`, `completed` or `failed`.
    pub status: String,
    pub session_id: Option<String>,
    /// The final `result` event (usage, cost, text), or `{error}`.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunEventView {
    pub seq: i64,
    /// `init`, `assistant_text`, `tool_use`, `tool_result`, `result` or `other`.
    pub kind: String,
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunDetail {
    pub run: RunView,
    pub events: Vec<RunEventView>,
}

fn run_view(r: store::RunRecord) -> RunView {
    RunView {
        id: r.id,
        sandbox_id: r.sandbox_id,
        terminal_id: r.terminal_id,
        prompt: r.prompt,
        status: r.status,
        session_id: r.session_id,
        result: r.result,
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}

#[utoipa::path(post, path = "/api/sandboxes/{id}/runs", tag = "agents", params(("id" = String, Path)), request_body = StartRunRequest,
    responses((status = 201, body = RunView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start_run(
    State(fleet): State<Arc<orchestrator::Fleet>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StartRunRequest>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    let run = fleet
        .start_run(
            &id,
            orchestrator::runs::RunRequest {
                prompt: req.prompt,
                model: req.model,
                allowed_tools: req.allowed_tools,
                max_turns: req.max_turns,
                permission_mode: req.permission_mode,
                resume: req.resume,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(run_view(run))))
}

#[utoipa::path(get, path = "/api/runs", tag = "agents", responses((status = 200, body = [RunView])))]
pub async fn list_runs(
    State(fleet): State<Arc<orchestrator::Fleet>>,
) -> Result<Json<Vec<RunView>>, ApiError> {
    Ok(Json(
        fleet
            .hub()
            .store()
            .list_runs()
            .await?
            .into_iter()
            .map(run_view)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/runs/{id}", tag = "agents", params(("id" = String, Path)),
    responses((status = 200, body = RunDetail), (status = 404, body = ErrorBody)))]
pub async fn get_run(
    State(fleet): State<Arc<orchestrator::Fleet>>,
    Path(id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    let store = fleet.hub().store();
    let run = store
        .get_run(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("run", &id))?;
    let events = store
        .run_events(&id)
        .await?
        .into_iter()
        .map(|e| RunEventView {
            seq: e.seq,
            kind: e.kind,
            event: e.event,
        })
        .collect();
    Ok(Json(RunDetail {
        run: run_view(run),
        events,
    }))
}
