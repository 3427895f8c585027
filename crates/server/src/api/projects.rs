//! Projects, branches, a project sandbox's Git work (status, diff, files, commit, push), pull
//! requests, the GitHub connection and the forge webhook. Thin: parse, call `Projects`, map.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use orchestrator::projects::{ImportRequest, NewPr, ProjectSandbox};
use orchestrator::{ProjectError, Projects};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::error::{ApiError, ErrorBody, ErrorCode};

impl From<ProjectError> for ApiError {
    fn from(e: ProjectError) -> Self {
        let m = e.to_string();
        match e {
            ProjectError::Invalid(_) => ApiError::new(ErrorCode::InvalidRequest, m),
            ProjectError::NotFound(_) => ApiError::new(ErrorCode::NotFound, m),
            ProjectError::Conflict(_) => ApiError::new(ErrorCode::Conflict, m),
            ProjectError::AccessDenied(_) => ApiError::new(ErrorCode::ForgeAccessDenied, m),
            ProjectError::Unavailable(_) => ApiError::new(ErrorCode::ForgeUnavailable, m),
            ProjectError::Rejected(_) => ApiError::new(ErrorCode::Rejected, m),
            ProjectError::NotConfigured(_) => ApiError::new(ErrorCode::NotConfigured, m),
            ProjectError::RateLimited(_) => ApiError::new(ErrorCode::ForgeRateLimited, m),
            ProjectError::Fleet(f) => f.into(),
            ProjectError::Store(s) => ApiError::internal(s),
            ProjectError::Internal(_) => ApiError::new(ErrorCode::Internal, m),
        }
    }
}

// ---------- DTOs ----------

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectTypeView {
    pub languages: Vec<String>,
    pub package_managers: Vec<String>,
    /// The repository's own setup file (`.anycode/setup.sh`), if it has one.
    pub setup_file: Option<String>,
    /// Detected default setup commands, used when there is no setup file.
    pub setup_commands: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    pub id: String,
    /// `owner/repo` on the forge, else the repository's name.
    pub name: String,
    /// `forge`, `url` or `local`.
    pub kind: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub clone_url: String,
    pub default_branch: String,
    pub private: bool,
    pub shallow: bool,
    /// `importing` or `ready`.
    pub status: String,
    pub detected: Option<ProjectTypeView>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

pub fn project_view(p: store::ProjectRecord) -> ProjectView {
    let detected = p.detected.as_ref().map(|d| {
        let strs = |k: &str| -> Vec<String> {
            d[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        ProjectTypeView {
            languages: strs("languages"),
            package_managers: strs("packageManagers"),
            setup_file: d["setupFile"].as_str().map(str::to_string),
            setup_commands: strs("setupCommands"),
        }
    });
    ProjectView {
        id: p.id,
        name: p.name,
        kind: p.kind,
        owner: p.owner,
        repo: p.repo,
        clone_url: p.clone_url,
        default_branch: p.default_branch,
        private: p.private,
        shallow: p.shallow,
        status: p.status,
        detected,
        created_at: p.created_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSandboxRef {
    pub id: String,
    pub branch: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDetailView {
    pub project: ProjectView,
    pub sandboxes: Vec<ProjectSandboxRef>,
    pub pulls: Vec<PullView>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequestBody {
    /// `owner/repo`, a GitHub URL, any Git URL (`https`, `ssh`, `file://`) or a local path.
    pub repository: String,
    /// Import only this branch (it becomes the default).
    pub branch: Option<String>,
    /// Fetch only the latest commit.
    #[serde(default)]
    pub shallow: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchView {
    pub name: String,
    pub sha: String,
    pub subject: String,
    pub committed_at: String,
}

fn branch_view(b: gitops::BranchInfo) -> BranchView {
    BranchView {
        name: b.name,
        sha: b.sha,
        subject: b.subject,
        committed_at: b.committed_at.to_string(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBranchRequest {
    pub name: String,
    /// Branch or commit to start from; default the project's default branch.
    pub from: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BranchesQuery {
    /// Fetch from the origin first.
    pub refresh: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileStatView {
    pub path: String,
    pub old_path: Option<String>,
    /// `added`, `modified`, `deleted`, `renamed`, `copied` or `typechange`.
    pub status: String,
    pub additions: u32,
    pub deletions: u32,
    pub binary: bool,
}

fn status_str<T: Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn file_stat_view(f: gitops::diff::FileStat) -> FileStatView {
    FileStatView {
        status: status_str(&f.status),
        path: f.path,
        old_path: f.old_path,
        additions: f.additions,
        deletions: f.deletions,
        binary: f.binary,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiffPageView {
    pub base: String,
    pub files: Vec<FileStatView>,
    pub total_files: usize,
    pub additions: u64,
    pub deletions: u64,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    pub offset: Option<usize>,
    /// Files per page (1–500, default 100).
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PathQuery {
    /// A path relative to the workspace.
    pub path: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiffLineView {
    /// `context`, `add` or `delete`.
    pub kind: String,
    pub old_no: Option<u32>,
    pub new_no: Option<u32>,
    pub text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HunkView {
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<DiffLineView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileDiffView {
    pub path: String,
    pub old_path: Option<String>,
    pub status: String,
    pub binary: bool,
    pub hunks: Vec<HunkView>,
    /// The diff was cut at the line limit.
    pub truncated: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkStatusView {
    pub branch: String,
    pub head: String,
    /// Commits on top of the base.
    pub ahead: u32,
    /// Commits of the base not in the sandbox's branch.
    pub behind: u32,
    /// Changed, added or deleted files not committed yet (untracked included).
    pub dirty: u32,
    pub untracked: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesView {
    pub files: Vec<String>,
    pub truncated: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileContentView {
    pub path: String,
    pub content: String,
    pub truncated: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitRequest {
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitView {
    pub sha: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushView {
    pub sha: String,
    pub branch: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfoView {
    pub sha: String,
    pub subject: String,
    pub author_name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrDraftView {
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub commits: Vec<CommitInfoView>,
    pub files: Vec<FileStatView>,
    /// Files that conflict with the latest base (`git merge-tree`).
    pub conflicts: Vec<String>,
    pub uncommitted: u32,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftQuery {
    pub base: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreatePrRequest {
    /// The project; or give `repository` as `owner/repo`.
    pub project_id: Option<String>,
    pub repository: Option<String>,
    /// Open the PR for this sandbox's branch: pending work is committed and pushed first, and
    /// whatever is left out is drafted from the commits and the diffstat.
    pub sandbox_id: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub head: Option<String>,
    pub base: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChecksView {
    pub total: u32,
    pub passed: u32,
    pub failed: u32,
    pub pending: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullView {
    pub project_id: String,
    pub number: i64,
    pub sandbox_id: Option<String>,
    pub title: String,
    pub url: String,
    pub head: String,
    pub base: String,
    pub head_sha: Option<String>,
    /// `open`, `closed` or `merged`.
    pub state: String,
    pub draft: bool,
    pub mergeable: Option<bool>,
    /// Files that conflict with the latest base.
    pub conflicts: Vec<String>,
    pub checks: Option<ChecksView>,
    pub merge_sha: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

pub fn pull_view(p: store::PullRecord) -> PullView {
    let checks = p.checks.as_ref().map(|c| ChecksView {
        total: c["total"].as_u64().unwrap_or(0) as u32,
        passed: c["passed"].as_u64().unwrap_or(0) as u32,
        failed: c["failed"].as_u64().unwrap_or(0) as u32,
        pending: c["pending"].as_u64().unwrap_or(0) as u32,
    });
    PullView {
        project_id: p.project_id,
        number: p.number,
        sandbox_id: p.sandbox_id,
        title: p.title,
        url: p.url,
        head: p.head,
        base: p.base,
        head_sha: p.head_sha,
        state: p.state,
        draft: p.draft,
        mergeable: p.mergeable,
        conflicts: p.conflicts,
        checks,
        merge_sha: p.merge_sha,
        updated_at: p.updated_at,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct PullsQuery {
    pub project_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeRequestBody {
    pub project_id: Option<String>,
    pub repository: Option<String>,
    /// `merge`, `squash` or `rebase` (default `merge`).
    #[serde(alias = "merge_method")]
    pub merge_method: Option<String>,
    #[serde(alias = "commit_title")]
    pub commit_title: Option<String>,
    #[serde(alias = "delete_branch", default)]
    pub delete_branch: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub user_code: String,
    pub verification_uri: String,
    /// `pending`, `succeeded`, `expired`, `denied` or `failed`.
    pub status: String,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GithubAuthView {
    pub connected: bool,
    /// `device`, `pat`, `env` or `gh`.
    pub source: Option<String>,
    pub login: Option<String>,
    /// The first characters of the token, never more.
    pub prefix: Option<String>,
    pub device_flow_available: bool,
    pub device: Option<DeviceView>,
    /// Where the forge's API lives (GitHub, GitHub Enterprise, or a test forge).
    pub api_url: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    /// A personal access token.
    pub token: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepoView {
    pub full_name: String,
    pub private: bool,
    pub default_branch: String,
    pub html_url: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
}

fn device_view(d: orchestrator::projects::DeviceState) -> DeviceView {
    DeviceView {
        user_code: d.user_code,
        verification_uri: d.verification_uri,
        status: d.status,
        error: d.error,
    }
}

fn auth_view(a: orchestrator::projects::GithubAuth, api_url: &str) -> GithubAuthView {
    GithubAuthView {
        connected: a.connected,
        source: a.source,
        login: a.login,
        prefix: a.prefix,
        device_flow_available: a.device_flow_available,
        device: a.device.map(device_view),
        api_url: api_url.to_string(),
    }
}

// ---------- handlers: projects ----------

#[utoipa::path(get, path = "/api/projects", tag = "projects", responses((status = 200, body = [ProjectView])))]
pub async fn list_projects(
    State(p): State<Arc<Projects>>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    Ok(Json(
        p.list().await?.into_iter().map(project_view).collect(),
    ))
}

#[utoipa::path(post, path = "/api/github/import", tag = "projects", request_body = ImportRequestBody,
    responses((status = 201, body = ProjectView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn import_project(
    State(p): State<Arc<Projects>>,
    ApiJson(req): ApiJson<ImportRequestBody>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let made = p
        .import(ImportRequest {
            repository: req.repository,
            branch: req.branch,
            shallow: req.shallow,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(project_view(made))))
}

#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects", params(("id" = String, Path)),
    responses((status = 200, body = ProjectDetailView), (status = 404, body = ErrorBody)))]
pub async fn get_project(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
) -> Result<Json<ProjectDetailView>, ApiError> {
    let project = p.get(&id).await?;
    let sandboxes = p
        .project_sandboxes(&id)
        .await?
        .into_iter()
        .map(|(id, branch)| ProjectSandboxRef { id, branch })
        .collect();
    let pulls = p
        .pulls(Some(&id))
        .await?
        .into_iter()
        .map(pull_view)
        .collect();
    Ok(Json(ProjectDetailView {
        project: project_view(project),
        sandboxes,
        pulls,
    }))
}

#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_project(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/projects/{id}/branches", tag = "projects", params(("id" = String, Path), BranchesQuery),
    responses((status = 200, body = [BranchView]), (status = 404, body = ErrorBody)))]
pub async fn list_branches(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    Query(q): Query<BranchesQuery>,
) -> Result<Json<Vec<BranchView>>, ApiError> {
    Ok(Json(
        p.branches(&id, q.refresh.unwrap_or(false))
            .await?
            .into_iter()
            .map(branch_view)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/projects/{id}/branches", tag = "projects", params(("id" = String, Path)), request_body = CreateBranchRequest,
    responses((status = 201, body = BranchView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_branch(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CreateBranchRequest>,
) -> Result<(StatusCode, Json<BranchView>), ApiError> {
    let b = p.create_branch(&id, &req.name, req.from.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(branch_view(b))))
}

/// Called by `POST /api/sandboxes` when the request names a project.
pub async fn create_project_sandbox(
    p: &Arc<Projects>,
    req: ProjectSandbox,
) -> Result<orchestrator::fleet::SandboxSnapshot, ApiError> {
    Ok(p.create_sandbox(req).await?)
}

// ---------- handlers: a sandbox's Git work ----------

#[utoipa::path(get, path = "/api/sandboxes/{id}/git/status", tag = "git", params(("id" = String, Path)),
    responses((status = 200, body = WorkStatusView), (status = 400, body = ErrorBody)))]
pub async fn git_status(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
) -> Result<Json<WorkStatusView>, ApiError> {
    let s = p.status(&id).await?;
    Ok(Json(WorkStatusView {
        branch: s.branch.unwrap_or_default(),
        head: s.head.unwrap_or_default(),
        ahead: s.ahead,
        behind: s.behind,
        dirty: s.dirty_files,
        untracked: s.untracked_files,
    }))
}

#[utoipa::path(get, path = "/api/sandboxes/{id}/diff", tag = "git", params(("id" = String, Path), DiffQuery),
    responses((status = 200, body = DiffPageView), (status = 400, body = ErrorBody)))]
pub async fn sandbox_diff(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffPageView>, ApiError> {
    let d = p
        .diff(&id, q.offset.unwrap_or(0), q.limit.unwrap_or(100))
        .await?;
    Ok(Json(DiffPageView {
        base: d.base,
        files: d.files.into_iter().map(file_stat_view).collect(),
        total_files: d.total_files,
        additions: d.additions,
        deletions: d.deletions,
        offset: d.offset,
        limit: d.limit,
    }))
}

#[utoipa::path(get, path = "/api/sandboxes/{id}/diff/file", tag = "git", params(("id" = String, Path), PathQuery),
    responses((status = 200, body = FileDiffView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sandbox_diff_file(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    Query(q): Query<PathQuery>,
) -> Result<Json<FileDiffView>, ApiError> {
    let f = p.diff_file(&id, &q.path).await?;
    Ok(Json(FileDiffView {
        status: status_str(&f.status),
        path: f.path,
        old_path: f.old_path,
        binary: f.binary,
        truncated: f.truncated,
        hunks: f
            .hunks
            .into_iter()
            .map(|h| HunkView {
                header: h.header,
                old_start: h.old_start,
                old_lines: h.old_lines,
                new_start: h.new_start,
                new_lines: h.new_lines,
                lines: h
                    .lines
                    .into_iter()
                    .map(|l| DiffLineView {
                        kind: status_str(&l.kind),
                        old_no: l.old_no,
                        new_no: l.new_no,
                        text: l.text,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/sandboxes/{id}/files", tag = "git", params(("id" = String, Path)),
    responses((status = 200, body = FilesView), (status = 400, body = ErrorBody)))]
pub async fn sandbox_files(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
) -> Result<Json<FilesView>, ApiError> {
    let (files, truncated) = p.files(&id).await?;
    Ok(Json(FilesView { files, truncated }))
}

#[utoipa::path(get, path = "/api/sandboxes/{id}/file", tag = "git", params(("id" = String, Path), PathQuery),
    responses((status = 200, body = FileContentView), (status = 404, body = ErrorBody)))]
pub async fn sandbox_file(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    Query(q): Query<PathQuery>,
) -> Result<Json<FileContentView>, ApiError> {
    let (content, truncated) = p.read_file(&id, &q.path).await?;
    Ok(Json(FileContentView {
        path: q.path,
        content,
        truncated,
    }))
}

#[utoipa::path(post, path = "/api/sandboxes/{id}/commit", tag = "git", params(("id" = String, Path)), request_body = CommitRequest,
    responses((status = 201, body = CommitView), (status = 409, body = ErrorBody)))]
pub async fn sandbox_commit(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CommitRequest>,
) -> Result<(StatusCode, Json<CommitView>), ApiError> {
    let sha = p.commit(&id, &req.message).await?;
    Ok((StatusCode::CREATED, Json(CommitView { sha })))
}

#[utoipa::path(post, path = "/api/sandboxes/{id}/push", tag = "git", params(("id" = String, Path)),
    responses((status = 200, body = PushView), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sandbox_push(
    State(p): State<Arc<Projects>>,
    State(fleet): State<Arc<orchestrator::Fleet>>,
    Path(id): Path<String>,
) -> Result<Json<PushView>, ApiError> {
    let sha = p.push(&id).await?;
    let branch = fleet
        .get(&id)
        .await?
        .git
        .map(|g| g.branch)
        .unwrap_or_default();
    Ok(Json(PushView { sha, branch }))
}

#[utoipa::path(get, path = "/api/sandboxes/{id}/pr-draft", tag = "git", params(("id" = String, Path), DraftQuery),
    responses((status = 200, body = PrDraftView), (status = 400, body = ErrorBody)))]
pub async fn sandbox_pr_draft(
    State(p): State<Arc<Projects>>,
    Path(id): Path<String>,
    Query(q): Query<DraftQuery>,
) -> Result<Json<PrDraftView>, ApiError> {
    let d = p.pr_draft(&id, q.base.as_deref()).await?;
    Ok(Json(PrDraftView {
        title: d.title,
        body: d.body,
        head: d.head,
        base: d.base,
        commits: d
            .commits
            .into_iter()
            .map(|c| CommitInfoView {
                sha: c.sha,
                subject: c.subject,
                author_name: c.author_name,
            })
            .collect(),
        files: d.files.into_iter().map(file_stat_view).collect(),
        conflicts: d.conflicts,
        uncommitted: d.uncommitted,
    }))
}

// ---------- handlers: pull requests ----------

async fn resolve_project(
    p: &Projects,
    project_id: Option<String>,
    repository: Option<String>,
) -> Result<String, ApiError> {
    if let Some(id) = project_id {
        return Ok(id);
    }
    let repo =
        repository.ok_or_else(|| ApiError::invalid("`projectId` or `repository` is required"))?;
    let (owner, name) = repo
        .split_once('/')
        .ok_or_else(|| ApiError::invalid("`repository` must be `owner/repo`"))?;
    p.list()
        .await?
        .into_iter()
        .find(|x| {
            x.owner
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(owner))
                && x.repo
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
        .map(|x| x.id)
        .ok_or_else(|| ApiError::not_found("project for repository", &repo))
}

#[utoipa::path(post, path = "/api/github/pull-requests", tag = "pulls", request_body = CreatePrRequest,
    responses((status = 201, body = PullView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_pull(
    State(p): State<Arc<Projects>>,
    State(fleet): State<Arc<orchestrator::Fleet>>,
    ApiJson(req): ApiJson<CreatePrRequest>,
) -> Result<(StatusCode, Json<PullView>), ApiError> {
    let project_id = match (&req.project_id, &req.repository, &req.sandbox_id) {
        (None, None, Some(sb)) => fleet
            .get(sb)
            .await?
            .git
            .map(|g| g.project_id)
            .ok_or_else(|| ApiError::invalid("the sandbox was not made for a project"))?,
        _ => resolve_project(&p, req.project_id.clone(), req.repository.clone()).await?,
    };
    let pr = p
        .create_pr(NewPr {
            project_id,
            sandbox_id: req.sandbox_id,
            title: req.title,
            body: req.body,
            head: req.head,
            base: req.base,
            draft: req.draft,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(pull_view(pr))))
}

#[utoipa::path(get, path = "/api/github/pull-requests", tag = "pulls", params(PullsQuery),
    responses((status = 200, body = [PullView])))]
pub async fn list_pulls(
    State(p): State<Arc<Projects>>,
    Query(q): Query<PullsQuery>,
) -> Result<Json<Vec<PullView>>, ApiError> {
    Ok(Json(
        p.pulls(q.project_id.as_deref())
            .await?
            .into_iter()
            .map(pull_view)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/github/pull-requests/{number}", tag = "pulls", params(("number" = i64, Path), PullsQuery),
    responses((status = 200, body = PullView), (status = 404, body = ErrorBody)))]
pub async fn get_pull(
    State(p): State<Arc<Projects>>,
    Path(number): Path<i64>,
    Query(q): Query<PullsQuery>,
) -> Result<Json<PullView>, ApiError> {
    let project = resolve_project(&p, q.project_id, None).await?;
    Ok(Json(pull_view(p.refresh_pull(&project, number).await?)))
}

#[utoipa::path(post, path = "/api/github/pull-requests/{number}/merge", tag = "pulls", params(("number" = i64, Path)), request_body = MergeRequestBody,
    responses((status = 200, body = PullView), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn merge_pull(
    State(p): State<Arc<Projects>>,
    Path(number): Path<i64>,
    ApiJson(req): ApiJson<MergeRequestBody>,
) -> Result<Json<PullView>, ApiError> {
    let project = resolve_project(&p, req.project_id, req.repository).await?;
    let method = match req.merge_method.as_deref().unwrap_or("merge") {
        "merge" => forge::MergeMethod::Merge,
        "squash" => forge::MergeMethod::Squash,
        "rebase" => forge::MergeMethod::Rebase,
        other => {
            return Err(ApiError::invalid(format!(
                "`mergeMethod` `{other}` is not one of merge, squash, rebase"
            )))
        }
    };
    let pr = p
        .merge(
            &project,
            number,
            method,
            req.commit_title,
            req.delete_branch,
        )
        .await?;
    Ok(Json(pull_view(pr)))
}

// ---------- handlers: the GitHub connection ----------

#[utoipa::path(get, path = "/api/github/auth", tag = "github", responses((status = 200, body = GithubAuthView)))]
pub async fn github_auth(State(p): State<Arc<Projects>>) -> Json<GithubAuthView> {
    let api = p.forge().api_url().to_string();
    Json(auth_view(p.auth_status().await, &api))
}

#[utoipa::path(post, path = "/api/github/token", tag = "github", request_body = TokenRequest,
    responses((status = 200, body = GithubAuthView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_github_token(
    State(p): State<Arc<Projects>>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<GithubAuthView>, ApiError> {
    let a = p.set_token(&req.token, "pat").await?;
    Ok(Json(auth_view(a, p.forge().api_url())))
}

#[utoipa::path(delete, path = "/api/github/token", tag = "github", responses((status = 204)))]
pub async fn delete_github_token(State(p): State<Arc<Projects>>) -> Result<StatusCode, ApiError> {
    p.remove_token().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/github/device", tag = "github",
    responses((status = 200, body = DeviceView), (status = 400, body = ErrorBody)))]
pub async fn start_device_flow(
    State(p): State<Arc<Projects>>,
) -> Result<Json<DeviceView>, ApiError> {
    Ok(Json(device_view(p.device_start().await?)))
}

#[utoipa::path(get, path = "/api/github/repos", tag = "github", params(PageQuery),
    responses((status = 200, body = [RepoView]), (status = 403, body = ErrorBody)))]
pub async fn github_repos(
    State(p): State<Arc<Projects>>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<RepoView>>, ApiError> {
    Ok(Json(
        p.user_repos(q.page.unwrap_or(1))
            .await?
            .into_iter()
            .map(|r| RepoView {
                full_name: r.full_name,
                private: r.private,
                default_branch: r.default_branch,
                html_url: r.html_url,
                description: r.description,
            })
            .collect(),
    ))
}

/// `POST /api/github/webhook`: public (the forge has no AnyCode token) but every delivery must
/// carry a valid `X-Hub-Signature-256` for the configured secret.
#[utoipa::path(post, path = "/api/github/webhook", tag = "github",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn github_webhook(
    State(p): State<Arc<Projects>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let Some(secret) = p.webhook_secret() else {
        return Err(ApiError::new(
            ErrorCode::NotConfigured,
            "webhooks are off: start AnyCode with --github-webhook-secret",
        ));
    };
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !forge::verify_webhook_signature(secret.as_bytes(), &body, sig) {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the webhook signature (X-Hub-Signature-256) is missing or wrong",
        ));
    }
    let event = headers
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("the webhook body is not JSON: {e}")))?;
    p.webhook(&event, &json).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverlapView {
    pub project_id: String,
    /// The two sandboxes, and their branches, that touch the same files.
    pub sandboxes: Vec<String>,
    pub branches: Vec<String>,
    pub files: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RadarQuery {
    pub project_id: Option<String>,
    /// Scan now instead of returning the last findings.
    pub refresh: Option<bool>,
}

/// The conflict radar: branches of one project that touch the same files, before any PR.
#[utoipa::path(get, path = "/api/radar", tag = "projects", params(RadarQuery), responses((status = 200, body = [OverlapView])))]
pub async fn radar(
    State(p): State<Arc<Projects>>,
    Query(q): Query<RadarQuery>,
) -> Result<Json<Vec<OverlapView>>, ApiError> {
    if q.refresh.unwrap_or(false) {
        let ids = match &q.project_id {
            Some(id) => vec![p.get(id).await?.id],
            None => p.list().await?.into_iter().map(|x| x.id).collect(),
        };
        for id in ids {
            p.scan_radar(&id).await?;
        }
    }
    Ok(Json(
        p.radar(q.project_id.as_deref())
            .into_iter()
            .map(|o| OverlapView {
                project_id: o.project_id,
                sandboxes: o.sandboxes.to_vec(),
                branches: o.branches.to_vec(),
                files: o.files,
            })
            .collect(),
    ))
}
