//! `/api/terminals`: list, create, inspect, rename, resize, delete, recording.
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{TerminalId, TerminalRecord, TerminalStatus};
use terminal::{Info, ProcessState};

use super::ApiJson;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use orchestrator::{HubError, NewTerminal, TerminalHub};

use crate::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTerminalRequest {
    /// Display name; defaults to the program name.
    pub name: Option<String>,
    /// argv; defaults to the user's shell.
    pub command: Option<Vec<String>>,
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[schema(minimum = 1, maximum = 1000)]
    pub cols: Option<u32>,
    #[schema(minimum = 1, maximum = 500)]
    pub rows: Option<u32>,
    /// Run inside this sandbox instead of on the host.
    pub sandbox_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameTerminalRequest {
    pub name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResizeTerminalRequest {
    #[schema(minimum = 1, maximum = 1000)]
    pub cols: u32,
    #[schema(minimum = 1, maximum = 500)]
    pub rows: u32,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TerminalStatusView {
    Running,
    Exited,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalView {
    pub id: String,
    pub name: String,
    pub command: Vec<String>,
    pub cwd: Option<String>,
    pub cols: u16,
    pub rows: u16,
    pub status: TerminalStatusView,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub sandbox_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Oldest offset still replayable byte by byte.
    pub start_offset: u64,
    /// Offset after the newest byte of output.
    pub end_offset: u64,
}

pub fn view((r, info): (TerminalRecord, Option<Info>)) -> TerminalView {
    let (status, exit_code, signal, cols, rows, start, end) = match info {
        Some(i) => match i.state {
            ProcessState::Exited(s) => (
                TerminalStatusView::Exited,
                s.code,
                s.signal,
                i.cols,
                i.rows,
                i.start,
                i.end,
            ),
            _ => (
                TerminalStatusView::Running,
                None,
                None,
                i.cols,
                i.rows,
                i.start,
                i.end,
            ),
        },
        None => {
            let st = match r.status {
                TerminalStatus::Running => TerminalStatusView::Running,
                TerminalStatus::Exited => TerminalStatusView::Exited,
            };
            (st, r.exit_code, r.signal, r.cols, r.rows, 0, 0)
        }
    };
    TerminalView {
        id: r.id.to_string(),
        name: r.name,
        command: r.command,
        cwd: r.cwd,
        cols,
        rows,
        status,
        exit_code,
        signal,
        sandbox_id: r.sandbox_id,
        created_at: r.created_at,
        start_offset: start,
        end_offset: end,
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::NotFound(id) => ApiError::not_found("terminal", &id),
            e @ HubError::InvalidSize { cols, rows } => ApiError::new(ErrorCode::InvalidSize, e.to_string())
                .with_details(serde_json::json!({ "cols": cols, "rows": rows, "maxCols": orchestrator::terminals::MAX_COLS, "maxRows": orchestrator::terminals::MAX_ROWS })),
            HubError::Invalid(m) => ApiError::invalid(m),
            e @ HubError::Spawn(_) => ApiError::new(ErrorCode::SpawnFailed, e.to_string()),
            e @ HubError::Ended => ApiError::new(ErrorCode::TerminalExited, e.to_string()),
            HubError::Store(e) => ApiError::internal(e),
        }
    }
}

pub fn parse_id(raw: &str) -> Result<TerminalId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found("terminal", raw))
}

#[utoipa::path(get, path = "/api/terminals", tag = "terminals",
    responses((status = 200, body = [TerminalView]), (status = 401, body = ErrorBody)))]
pub async fn list_terminals(
    State(hub): State<Arc<TerminalHub>>,
) -> Result<Json<Vec<TerminalView>>, ApiError> {
    Ok(Json(hub.list().await?.into_iter().map(view).collect()))
}

#[utoipa::path(post, path = "/api/terminals", tag = "terminals", request_body = CreateTerminalRequest,
    responses((status = 201, body = TerminalView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_terminal(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateTerminalRequest>,
) -> Result<(StatusCode, Json<TerminalView>), ApiError> {
    let new = NewTerminal {
        name: req.name,
        command: req.command,
        cwd: req.cwd,
        env: req.env,
        cols: req.cols,
        rows: req.rows,
    };
    let created = match req.sandbox_id {
        Some(sb) => state.fleet.create_terminal(&sb, new).await?,
        None => state.hub.create(new).await?,
    };
    Ok((StatusCode::CREATED, Json(view(created))))
}

#[utoipa::path(get, path = "/api/terminals/{id}", tag = "terminals", params(("id" = String, Path)),
    responses((status = 200, body = TerminalView), (status = 404, body = ErrorBody)))]
pub async fn get_terminal(
    State(hub): State<Arc<TerminalHub>>,
    Path(id): Path<String>,
) -> Result<Json<TerminalView>, ApiError> {
    Ok(Json(view(hub.get(parse_id(&id)?).await?)))
}

#[utoipa::path(patch, path = "/api/terminals/{id}", tag = "terminals", params(("id" = String, Path)), request_body = RenameTerminalRequest,
    responses((status = 200, body = TerminalView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rename_terminal(
    State(hub): State<Arc<TerminalHub>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RenameTerminalRequest>,
) -> Result<Json<TerminalView>, ApiError> {
    Ok(Json(view(hub.rename(parse_id(&id)?, &req.name).await?)))
}

#[utoipa::path(post, path = "/api/terminals/{id}/resize", tag = "terminals", params(("id" = String, Path)), request_body = ResizeTerminalRequest,
    responses((status = 200, body = TerminalView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resize_terminal(
    State(hub): State<Arc<TerminalHub>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResizeTerminalRequest>,
) -> Result<Json<TerminalView>, ApiError> {
    Ok(Json(view(
        hub.resize(parse_id(&id)?, req.cols, req.rows).await?,
    )))
}

#[utoipa::path(delete, path = "/api/terminals/{id}", tag = "terminals", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_terminal(
    State(hub): State<Arc<TerminalHub>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    hub.delete(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/terminals/{id}/recording", tag = "terminals", params(("id" = String, Path)),
    responses((status = 200, description = "asciicast v2", content_type = "application/x-asciicast", body = String), (status = 404, body = ErrorBody)))]
pub async fn get_recording(
    State(hub): State<Arc<TerminalHub>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if let Some(s) = hub.session(id) {
        s.flush();
    }
    let sandbox = hub.get(id).await.ok().and_then(|(r, _)| r.sandbox_id);
    let path = hub.recording_path(id, sandbox.as_deref());
    let data = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found("recording", &id.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/x-asciicast")], data).into_response())
}
