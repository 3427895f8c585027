//! Projects: imported repositories, their mirrors, the Git work of their sandboxes, and pull
//! requests.
//!
//! The host side of Git keeps one rule (see ARCHITECTURE.md): **the host never runs `git` in a
//! sandbox-writable repository.** Host git (`gitops`) runs only in a project's mirror (bare,
//! mounted read-only into sandboxes) and in a new checkout before its sandbox exists. Everything
//! on a sandbox's checkout — status, diff, commit, bundling its commits — runs *inside* the
//! sandbox through the agent's exec; its commits leave as a bundle that the host fetches into the
//! mirror (`refs/anycode/sandboxes/<id>`) as inert data, and pushes go from the mirror with the
//! host's GitHub token, which no sandbox ever sees.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credentials::{Secret, Vault};
use gitops::{GitError, HttpAuth, Mirror, RepoSource};
use serde::Serialize;
use store::{ProjectRecord, PullRecord, SandboxGit, Store};
use tokio_util::sync::CancellationToken;

use crate::fleet::{Checkout, Fleet, FleetError, FleetEvent, NewSandbox};
use crate::terminals::NewTerminal;

const TOKEN_KEY: &str = "github.token";
const TOKEN_SOURCE_KEY: &str = "github.source";
const GIT_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_DIFF_LINES: usize = 5_000;

#[derive(Debug, Clone)]
pub struct ProjectsConfig {
    /// `<data>/repos`: one folder per project holding `mirror.git`.
    pub repos_dir: PathBuf,
    pub forge: Arc<forge::Forge>,
    /// OAuth app client id for the device flow; none disables it.
    pub github_client_id: Option<String>,
    /// Secret for `POST /api/github/webhook` signatures; none refuses every delivery.
    pub webhook_secret: Option<String>,
    /// A token the host already has (`GITHUB_TOKEN`/`GH_TOKEN`, or `gh auth token`) and where
    /// it came from (`env` or `gh`).
    pub host_token: Option<(String, &'static str)>,
    pub author_name: String,
    pub author_email: String,
    /// How often open pull requests are refreshed (state, checks, conflicts).
    pub poll_every: Duration,
    /// How often the conflict radar looks at every project's live sandboxes.
    pub radar_every: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    NotConfigured(String),
    #[error("{0}")]
    RateLimited(String),
    #[error(transparent)]
    Fleet(#[from] FleetError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<GitError> for ProjectError {
    fn from(e: GitError) -> Self {
        let m = e.to_string();
        match e {
            GitError::NotFound(_) => ProjectError::NotFound(m),
            GitError::Auth(_) => ProjectError::AccessDenied(m),
            GitError::Network(_) => ProjectError::Unavailable(m),
            GitError::InvalidRef(_) => ProjectError::Invalid(m),
            GitError::NonFastForward(_) => ProjectError::Rejected(m),
            GitError::NothingToCommit | GitError::NoNewCommits => ProjectError::Conflict(m),
            _ => ProjectError::Internal(m),
        }
    }
}

impl From<forge::ForgeError> for ProjectError {
    fn from(e: forge::ForgeError) -> Self {
        use forge::ForgeError as F;
        let m = e.to_string();
        match e {
            F::Unauthorized(_) | F::Forbidden(_) => ProjectError::AccessDenied(m),
            F::NotFound(_) => ProjectError::NotFound(m),
            F::Validation(_) => ProjectError::Invalid(m),
            F::NotMergeable(_) | F::Conflict(_) => ProjectError::Rejected(m),
            F::RateLimited { .. } => ProjectError::RateLimited(m),
            F::Network(_) => ProjectError::Unavailable(m),
            F::InvalidUrl(_) => ProjectError::NotConfigured(m),
            _ => ProjectError::Internal(m),
        }
    }
}

type Result<T, E = ProjectError> = std::result::Result<T, E>;

/// What `POST /api/github/import` asks for.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub repository: String,
    pub branch: Option<String>,
    pub shallow: bool,
}

/// A new sandbox for a project.
#[derive(Debug, Clone)]
pub struct ProjectSandbox {
    pub project_id: String,
    pub sandbox: NewSandbox,
    pub branch: Option<String>,
    pub base: Option<String>,
    pub setup: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GithubAuth {
    pub connected: bool,
    /// `device`, `pat`, `env` or `gh`.
    pub source: Option<String>,
    pub login: Option<String>,
    pub prefix: Option<String>,
    pub device_flow_available: bool,
    pub device: Option<DeviceState>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceState {
    pub user_code: String,
    pub verification_uri: String,
    /// `pending`, `succeeded`, `expired`, `denied` or `failed`.
    pub status: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrDraft {
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub commits: Vec<gitops::CommitInfo>,
    pub files: Vec<gitops::diff::FileStat>,
    pub conflicts: Vec<String>,
    /// Changes in the workspace that are not committed yet (they are committed when the PR is
    /// created).
    pub uncommitted: u32,
}

#[derive(Debug, Clone)]
pub struct NewPr {
    pub project_id: String,
    pub sandbox_id: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub head: Option<String>,
    pub base: Option<String>,
    pub draft: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffPage {
    pub base: String,
    pub files: Vec<gitops::diff::FileStat>,
    pub total_files: usize,
    pub additions: u64,
    pub deletions: u64,
    pub offset: usize,
    pub limit: usize,
}

pub struct Projects {
    store: Store,
    fleet: Arc<Fleet>,
    cfg: ProjectsConfig,
    vault: Arc<Vault>,
    device: Mutex<Option<DeviceState>>,
    login: Mutex<Option<String>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The conflict radar's last findings per project.
    radar: Mutex<HashMap<String, Vec<Overlap>>>,
    /// What each sandbox changed when the radar last looked (kept while it is paused).
    radar_files: Mutex<HashMap<String, Vec<String>>>,
    /// Writes PR summaries with the user's model credential, when there is one.
    summarizer: std::sync::OnceLock<Arc<dyn Summarizer>>,
}

/// Something that asks Claude for a short text (the server implements it with the credential
/// broker; the credential never leaves the host). `None` when no model is available.
pub trait Summarizer: Send + Sync {
    fn summarize(
        &self,
        prompt: String,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<String>> + Send + '_>>;
}

/// What Claude is asked for a PR summary: the commits and the diffstat.
pub fn summary_prompt(commits: &[gitops::CommitInfo], files: &[gitops::diff::FileStat]) -> String {
    let mut p = String::from(
        "Write a concise summary (3 to 6 bullet points, no heading) of this pull request for its reviewers. Commits:\n",
    );
    for c in commits.iter().take(50) {
        p.push_str(&format!("- {}\n", c.subject));
    }
    p.push_str("Files changed:\n");
    for f in files.iter().take(100) {
        p.push_str(&format!(
            "- {} (+{} -{})\n",
            f.path, f.additions, f.deletions
        ));
    }
    p
}

/// Two branches of one project that touch the same files, before anyone opens a PR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overlap {
    pub project_id: String,
    pub sandboxes: [String; 2],
    pub branches: [String; 2],
    pub files: Vec<String>,
}

/// Pairs of branches whose changed files intersect (each pair once, files sorted).
pub fn overlaps(project: &str, changed: &[(String, String, Vec<String>)]) -> Vec<Overlap> {
    let mut out = Vec::new();
    for (i, (sa, ba, fa)) in changed.iter().enumerate() {
        for (sb, bb, fb) in &changed[i + 1..] {
            let mut files: Vec<String> = fa.iter().filter(|f| fb.contains(f)).cloned().collect();
            if files.is_empty() {
                continue;
            }
            files.sort();
            files.dedup();
            out.push(Overlap {
                project_id: project.to_string(),
                sandboxes: [sa.clone(), sb.clone()],
                branches: [ba.clone(), bb.clone()],
                files,
            });
        }
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Projects {
    pub fn new(
        store: Store,
        fleet: Arc<Fleet>,
        cfg: ProjectsConfig,
        vault: Arc<Vault>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            fleet,
            cfg,
            vault,
            device: Mutex::new(None),
            login: Mutex::new(None),
            locks: Mutex::new(HashMap::new()),
            radar: Mutex::new(HashMap::new()),
            radar_files: Mutex::new(HashMap::new()),
            summarizer: std::sync::OnceLock::new(),
        })
    }

    /// Lets PR drafts carry a summary written by Claude.
    pub fn set_summarizer(&self, s: Arc<dyn Summarizer>) {
        let _ = self.summarizer.set(s);
    }

    pub fn forge(&self) -> &forge::Forge {
        &self.cfg.forge
    }

    /// Removes imports a dead server left half-done, then keeps open pull requests current.
    pub async fn start(self: &Arc<Self>, shutdown: CancellationToken) -> Result<()> {
        let shutdown_radar = shutdown.clone();
        for id in self.store.unfinished_imports().await? {
            tracing::warn!(project = %id, "removing an import that never finished");
            self.store.delete_project(&id).await?;
            let _ = std::fs::remove_dir_all(self.cfg.repos_dir.join(&id));
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(me.cfg.poll_every) => {}
                }
                if let Err(e) = me.refresh_open_pulls().await {
                    tracing::warn!(error = %e, "refreshing pull requests failed");
                }
            }
        });
        let me = Arc::clone(self);
        let radar_every = self.cfg.radar_every;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown_radar.cancelled() => break,
                    () = tokio::time::sleep(radar_every) => {}
                }
                if let Ok(projects) = me.store.list_projects().await {
                    for p in projects {
                        let _ = me.scan_radar(&p.id).await;
                    }
                }
            }
        });
        Ok(())
    }

    /// The radar's current findings (all projects, or one).
    pub fn radar(&self, project: Option<&str>) -> Vec<Overlap> {
        lock(&self.radar)
            .iter()
            .filter(|(p, _)| project.is_none_or(|x| x == p.as_str()))
            .flat_map(|(_, v)| v.clone())
            .collect()
    }

    /// Looks at what every live sandbox of the project changed (committed or not, inside the
    /// sandbox) and records the branches that touch the same files.
    pub async fn scan_radar(&self, project: &str) -> Result<Vec<Overlap>> {
        let mut changed = Vec::new();
        for (sb, branch) in self.store.project_sandboxes(project).await? {
            let Ok(snap) = self.fleet.get(&sb).await else {
                continue;
            };
            let up = snap.agent_connected
                && matches!(
                    snap.state,
                    crate::SandboxState::Ready | crate::SandboxState::Running
                );
            if !up {
                // Paused or stopped: what it changed last time still counts; it is not woken.
                if let Some(files) = lock(&self.radar_files).get(&sb).cloned() {
                    changed.push((sb, branch, files));
                }
                continue;
            }
            let Ok(Some(g)) = self.store.sandbox_git(&sb).await else {
                continue;
            };
            // An observer: a paused sandbox stays paused and this is not activity.
            let out = self
                .fleet
                .exec_observe(
                    &sb,
                    gitops::inside::diff_files(&g.base_sha),
                    Some(self.fleet.paths(&sb).workspace_inside),
                    Duration::from_secs(20),
                )
                .await;
            if let Some(out) = out.ok().filter(|o| o.exit_code == Some(0)) {
                if let Ok(files) = gitops::inside::parse_files(&out.stdout) {
                    let files: Vec<String> = files.into_iter().map(|f| f.path).collect();
                    lock(&self.radar_files).insert(sb.clone(), files.clone());
                    if !files.is_empty() {
                        changed.push((sb, branch, files));
                    }
                }
            }
        }
        let found = overlaps(project, &changed);
        let before = lock(&self.radar).insert(project.to_string(), found.clone());
        if before.as_ref() != Some(&found) && !(before.is_none() && found.is_empty()) {
            self.emit(FleetEvent::Radar(project.to_string()));
        }
        Ok(found)
    }

    fn emit(&self, e: FleetEvent) {
        let _ = self.fleet.event_sender().send(e);
    }

    fn mirror(&self, project: &str) -> Mirror {
        Mirror::at(self.mirror_dir(project))
    }

    fn mirror_dir(&self, project: &str) -> PathBuf {
        self.cfg.repos_dir.join(project).join("mirror.git")
    }

    fn project_lock(&self, project: &str) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(lock(&self.locks).entry(project.to_string()).or_default())
    }

    // ---------- GitHub auth ----------

    fn token(&self) -> Option<(Secret, String)> {
        if let Some(t) = self.vault.get(TOKEN_KEY) {
            let source = self
                .vault
                .get(TOKEN_SOURCE_KEY)
                .map(|s| s.expose().to_string())
                .unwrap_or_else(|| "pat".into());
            return Some((t, source));
        }
        self.cfg
            .host_token
            .as_ref()
            .map(|(t, s)| (Secret::new(t.as_str()), (*s).to_string()))
    }

    fn token_str(&self) -> Option<String> {
        self.token().map(|(t, _)| t.expose().to_string())
    }

    /// HTTP auth for Git on the forge; other remotes get none (a GitHub token must never be
    /// sent to an arbitrary host).
    fn git_auth(&self, p: &ProjectRecord) -> Option<HttpAuth> {
        if p.kind == "forge" {
            self.token_str().map(|t| HttpAuth::token(&t))
        } else {
            None
        }
    }

    pub async fn auth_status(&self) -> GithubAuth {
        let token = self.token();
        let mut login = lock(&self.login).clone();
        if let (Some((t, _)), None) = (&token, &login) {
            if let Ok(u) = self.cfg.forge.user(t.expose()).await {
                login = Some(u.login.clone());
                *lock(&self.login) = Some(u.login);
            }
        }
        GithubAuth {
            connected: token.is_some(),
            prefix: token.as_ref().map(|(t, _)| t.prefix()),
            source: token.map(|(_, s)| s),
            login,
            device_flow_available: self.cfg.github_client_id.is_some(),
            device: lock(&self.device).clone(),
        }
    }

    /// Stores a pasted personal access token after checking it with the forge.
    pub async fn set_token(&self, token: &str, source: &str) -> Result<GithubAuth> {
        let token = token.trim();
        if token.is_empty() || token.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(ProjectError::Invalid(
                "the token must be non-empty printable ASCII without spaces".into(),
            ));
        }
        let user = self.cfg.forge.user(token).await.map_err(|e| match e {
            forge::ForgeError::Unauthorized(_) => ProjectError::AccessDenied(
                "the forge refused this token (401 Bad credentials)".into(),
            ),
            other => other.into(),
        })?;
        self.vault
            .set(TOKEN_KEY, token)
            .and_then(|()| self.vault.set(TOKEN_SOURCE_KEY, source))
            .map_err(|e| ProjectError::Internal(e.to_string()))?;
        *lock(&self.login) = Some(user.login);
        Ok(self.auth_status().await)
    }

    pub async fn remove_token(&self) -> Result<()> {
        self.vault
            .remove(TOKEN_KEY)
            .and_then(|_| self.vault.remove(TOKEN_SOURCE_KEY))
            .map_err(|e| ProjectError::Internal(e.to_string()))?;
        *lock(&self.login) = None;
        Ok(())
    }

    /// Starts the OAuth device flow; the server polls for the token itself.
    pub async fn device_start(self: &Arc<Self>) -> Result<DeviceState> {
        let client_id = self.cfg.github_client_id.clone().ok_or_else(|| {
            ProjectError::NotConfigured(
                "the device flow needs an OAuth app client id (--github-client-id / ANYCODE_GITHUB_CLIENT_ID); paste a personal access token instead".into(),
            )
        })?;
        let code = self
            .cfg
            .forge
            .device_start(&client_id, "repo read:org")
            .await?;
        let state = DeviceState {
            user_code: code.user_code.clone(),
            verification_uri: code.verification_uri.clone(),
            status: "pending".into(),
            error: None,
        };
        *lock(&self.device) = Some(state.clone());
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let deadline =
                tokio::time::Instant::now() + Duration::from_secs(code.expires_in.max(1));
            let mut interval = code.interval.max(1);
            let finish = |status: &str, error: Option<String>| {
                if let Some(d) = lock(&me.device).as_mut() {
                    if d.user_code == code.user_code {
                        d.status = status.into();
                        d.error = error;
                    }
                }
            };
            loop {
                if tokio::time::Instant::now() >= deadline {
                    finish("expired", None);
                    break;
                }
                tokio::time::sleep(Duration::from_secs(interval)).await;
                match me
                    .cfg
                    .forge
                    .device_poll(&client_id, &code.device_code)
                    .await
                {
                    Ok(forge::DevicePoll::Pending) => {}
                    Ok(forge::DevicePoll::SlowDown { interval: i }) => {
                        interval = i.max(interval + 5)
                    }
                    Ok(forge::DevicePoll::Token(t)) => {
                        match me.set_token(&t, "device").await {
                            Ok(_) => finish("succeeded", None),
                            Err(e) => finish("failed", Some(e.to_string())),
                        }
                        break;
                    }
                    Ok(forge::DevicePoll::Expired) => {
                        finish("expired", None);
                        break;
                    }
                    Ok(forge::DevicePoll::Denied) => {
                        finish("denied", None);
                        break;
                    }
                    Err(e) => {
                        finish("failed", Some(e.to_string()));
                        break;
                    }
                }
            }
            me.emit(FleetEvent::GithubAuth);
        });
        Ok(state)
    }

    pub async fn user_repos(&self, page: u32) -> Result<Vec<forge::Repo>> {
        let token = self.token_str().ok_or_else(|| {
            ProjectError::AccessDenied("connect GitHub first to list your repositories".into())
        })?;
        Ok(self.cfg.forge.user_repos(&token, page.max(1), 50).await?)
    }

    // ---------- projects ----------

    pub async fn list(&self) -> Result<Vec<ProjectRecord>> {
        Ok(self.store.list_projects().await?)
    }

    pub async fn get(&self, id: &str) -> Result<ProjectRecord> {
        self.store
            .get_project(id)
            .await?
            .ok_or_else(|| ProjectError::NotFound(format!("project `{id}` does not exist")))
    }

    /// Imports a repository: checks access, clones the mirror, detects the project type. Either
    /// the project is ready when this returns, or nothing of it remains.
    pub async fn import(&self, req: ImportRequest) -> Result<ProjectRecord> {
        if let Some(b) = &req.branch {
            gitops::validate_branch_name(b)?;
        }
        let source = gitops::parse_source(&req.repository, self.cfg.forge.web_url())
            .map_err(|e| ProjectError::Invalid(e.to_string()))?;
        let (kind, owner, repo, clone_url, name, private) = match &source {
            RepoSource::Forge { owner, repo } => {
                let token = self.token_str();
                let r = self
                    .cfg
                    .forge
                    .repo(token.as_deref(), owner, repo)
                    .await
                    .map_err(|e| match e {
                        forge::ForgeError::NotFound(_) => ProjectError::NotFound(format!(
                            "repository {owner}/{repo} does not exist or is not visible{}",
                            if token.is_some() {
                                " with the connected GitHub account"
                            } else {
                                "; connect GitHub to import private repositories"
                            }
                        )),
                        other => other.into(),
                    })?;
                (
                    "forge",
                    Some(r.owner.clone()),
                    Some(r.name.clone()),
                    r.clone_url.clone(),
                    r.full_name.clone(),
                    r.private,
                )
            }
            RepoSource::Url { url, name } => ("url", None, None, url.clone(), name.clone(), false),
            RepoSource::Local { path, name } => (
                "local",
                None,
                None,
                path.display().to_string(),
                name.clone(),
                false,
            ),
        };
        let now = store::now_rfc3339();
        let id = uuid::Uuid::now_v7().to_string();
        let mut record = ProjectRecord {
            id: id.clone(),
            name,
            kind: kind.into(),
            owner,
            repo,
            clone_url: clone_url.clone(),
            default_branch: req.branch.clone().unwrap_or_default(),
            private,
            shallow: req.shallow,
            status: "importing".into(),
            detected: None,
            created_at: now.clone(),
            updated_at: now,
        };
        if let Err(dup) = self.store.insert_project(&record).await? {
            return Err(ProjectError::Conflict(format!(
                "this repository is already imported (project `{}`)",
                dup.id
            )));
        }
        self.emit(FleetEvent::Project(id.clone()));
        let done = async {
            let dest = self.mirror_dir(&id);
            std::fs::create_dir_all(self.cfg.repos_dir.join(&id)).map_err(|e| {
                ProjectError::Internal(format!("cannot create the repository folder: {e}"))
            })?;
            let opts = gitops::CloneOptions {
                branch: req.branch.clone(),
                depth: req.shallow.then_some(1),
                timeout: Duration::from_secs(3600),
            };
            let mirror =
                Mirror::clone_from(&clone_url, &dest, self.git_auth(&record).as_ref(), &opts)
                    .await?;
            let default_branch = match &req.branch {
                Some(b) => b.clone(),
                None => mirror.default_branch().await?,
            };
            let detected = self.detect(&mirror, &default_branch).await;
            Ok::<_, ProjectError>((default_branch, detected))
        }
        .await;
        match done {
            Ok((default_branch, detected)) => {
                self.store
                    .finish_project_import(&id, &default_branch, &detected)
                    .await?;
                record.status = "ready".into();
                record.default_branch = default_branch;
                record.detected = Some(detected);
                self.emit(FleetEvent::Project(id));
                Ok(record)
            }
            Err(e) => {
                let _ = self.store.delete_project(&id).await;
                let _ = std::fs::remove_dir_all(self.cfg.repos_dir.join(&id));
                self.emit(FleetEvent::ProjectRemoved(id));
                Err(e)
            }
        }
    }

    async fn detect(&self, mirror: &Mirror, rev: &str) -> serde_json::Value {
        let files = mirror.list_files(rev, 100_000).await.unwrap_or_default();
        let mut small = BTreeMap::new();
        for f in ["package.json", "pyproject.toml", ".anycode/setup.sh"] {
            if files.iter().any(|x| x == f) {
                if let Ok(Some(b)) = mirror.read_file(rev, f, 256 * 1024).await {
                    small.insert(f.to_string(), String::from_utf8_lossy(&b).into_owned());
                }
            }
        }
        let t = gitops::detect::detect(&files, &|p: &str| small.get(p).cloned());
        serde_json::to_value(t).unwrap_or(serde_json::Value::Null)
    }

    /// Deletes a project that no live sandbox uses, with its mirror.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.get(id).await?;
        let live = self.store.project_sandboxes(id).await?;
        if !live.is_empty() {
            return Err(ProjectError::Conflict(format!(
                "the project has {} sandbox(es); destroy them first",
                live.len()
            )));
        }
        self.store.delete_project(id).await?;
        let _ = std::fs::remove_dir_all(self.cfg.repos_dir.join(id));
        self.emit(FleetEvent::ProjectRemoved(id.to_string()));
        Ok(())
    }

    pub async fn project_sandboxes(&self, id: &str) -> Result<Vec<(String, String)>> {
        Ok(self.store.project_sandboxes(id).await?)
    }

    /// Brings the mirror up to date with its origin.
    pub async fn fetch(&self, p: &ProjectRecord) -> Result<()> {
        let l = self.project_lock(&p.id);
        let _g = l.lock().await;
        self.mirror(&p.id).fetch(self.git_auth(p).as_ref()).await?;
        Ok(())
    }

    pub async fn branches(&self, id: &str, refresh: bool) -> Result<Vec<gitops::BranchInfo>> {
        let p = self.get(id).await?;
        if refresh {
            self.fetch(&p).await?;
        }
        Ok(self.mirror(id).branches().await?)
    }

    /// Creates a branch on the origin (and in the mirror) from `from` (default: the default
    /// branch). When the push fails nothing is left behind.
    pub async fn create_branch(
        &self,
        id: &str,
        name: &str,
        from: Option<&str>,
    ) -> Result<gitops::BranchInfo> {
        gitops::validate_branch_name(name)?;
        let p = self.get(id).await?;
        self.fetch(&p).await?;
        let m = self.mirror(id);
        if m.resolve(&format!("refs/heads/{name}")).await?.is_some() {
            return Err(ProjectError::Conflict(format!(
                "branch `{name}` already exists"
            )));
        }
        let from = from.unwrap_or(&p.default_branch).to_string();
        let sha = m.resolve(&from).await?.ok_or_else(|| {
            ProjectError::Invalid(format!(
                "`{from}` is not a branch or commit of this repository"
            ))
        })?;
        // Push the commit straight to the new remote branch; the mirror learns it by fetching.
        let l = self.project_lock(id);
        let _g = l.lock().await;
        m.push(&sha, name, self.git_auth(&p).as_ref(), false)
            .await?;
        m.fetch(self.git_auth(&p).as_ref()).await?;
        drop(_g);
        let b = m
            .branches()
            .await?
            .into_iter()
            .find(|b| b.name == name)
            .ok_or_else(|| ProjectError::Internal("the pushed branch is missing".into()))?;
        Ok(b)
    }

    // ---------- sandboxes of a project ----------

    /// Makes a sandbox with its own checkout on a new branch, then runs the project's setup in
    /// a terminal named `setup`.
    pub async fn create_sandbox(
        self: &Arc<Self>,
        req: ProjectSandbox,
    ) -> Result<crate::fleet::SandboxSnapshot> {
        let p = self.get(&req.project_id).await?;
        if p.status != "ready" {
            return Err(ProjectError::Conflict(
                "the project is still importing".into(),
            ));
        }
        let branch = req
            .branch
            .clone()
            .unwrap_or_else(|| format!("anycode/{}", req.sandbox.name.trim()));
        gitops::validate_branch_name(&branch)
            .map_err(|e| ProjectError::Invalid(format!("`branch`: {e}")))?;
        let base_ref = req.base.clone().unwrap_or_else(|| p.default_branch.clone());
        // A fresh base; a forge that cannot be reached leaves the mirror as it was.
        if let Err(e) = self.fetch(&p).await {
            tracing::warn!(project = %p.id, error = %e, "fetch before a new sandbox failed; using the mirror as it is");
        }
        let m = self.mirror(&p.id);
        if m.resolve(&format!("refs/heads/{branch}")).await?.is_some() {
            return Err(ProjectError::Conflict(format!(
                "branch `{branch}` already exists in the repository; pick a new branch name"
            )));
        }
        if self
            .store
            .project_sandboxes(&p.id)
            .await?
            .iter()
            .any(|(_, b)| *b == branch)
        {
            return Err(ProjectError::Conflict(format!(
                "another sandbox of this project works on branch `{branch}`"
            )));
        }
        let base_sha = m.resolve(&base_ref).await?.ok_or_else(|| {
            ProjectError::Invalid(format!(
                "`base`: `{base_ref}` is not a branch or commit of this repository"
            ))
        })?;
        let mut new = req.sandbox.clone();
        new.checkout = Some(Checkout {
            mirror_dir: self.mirror_dir(&p.id),
            base_sha: base_sha.clone(),
            branch: branch.clone(),
            author_name: self.cfg.author_name.clone(),
            author_email: self.cfg.author_email.clone(),
        });
        let made = self.fleet.create(new).await?;
        let id = made.record.id.clone();
        self.store
            .set_sandbox_git(
                &id,
                &SandboxGit {
                    project_id: p.id.clone(),
                    branch,
                    base_ref,
                    base_sha,
                },
            )
            .await?;
        if req.setup {
            if let Some(script) = setup_script(p.detected.as_ref()) {
                self.run_setup(&id, script).await;
            }
        }
        self.emit(FleetEvent::Sandbox(id.clone()));
        Ok(self.fleet.get(&id).await?)
    }

    async fn run_setup(self: &Arc<Self>, sandbox: &str, script: String) {
        let paths = self.fleet.paths(sandbox);
        let req = NewTerminal {
            name: Some("setup".into()),
            command: Some(vec!["/bin/bash".into(), "-lc".into(), script]),
            cwd: Some(paths.workspace_inside),
            env: BTreeMap::new(),
            cols: None,
            rows: None,
        };
        match self.fleet.create_terminal(sandbox, req).await {
            Ok((rec, _)) => {
                self.emit(FleetEvent::Setup {
                    sandbox: sandbox.into(),
                    terminal: rec.id.to_string(),
                    state: "running".into(),
                    exit_code: None,
                });
                let Some(session) = self.fleet.hub().session(rec.id) else {
                    return;
                };
                let me = Arc::clone(self);
                let sandbox = sandbox.to_string();
                tokio::spawn(async move {
                    let mut rx = session.subscribe();
                    loop {
                        if let terminal::ProcessState::Exited(st) = session.info().state {
                            let ok = st.code == Some(0);
                            me.emit(FleetEvent::Setup {
                                sandbox,
                                terminal: rec.id.to_string(),
                                state: if ok { "succeeded" } else { "failed" }.into(),
                                exit_code: st.code,
                            });
                            break;
                        }
                        if rx.changed().await.is_err() {
                            break;
                        }
                    }
                });
            }
            Err(e) => {
                tracing::warn!(sandbox, error = %e, "could not start setup");
                self.emit(FleetEvent::Setup {
                    sandbox: sandbox.into(),
                    terminal: String::new(),
                    state: "failed".into(),
                    exit_code: None,
                });
            }
        }
    }

    async fn sandbox_git(&self, sandbox: &str) -> Result<(SandboxGit, ProjectRecord)> {
        let g = self.store.sandbox_git(sandbox).await?.ok_or_else(|| {
            ProjectError::Invalid(format!("sandbox `{sandbox}` was not made for a project"))
        })?;
        let p = self.get(&g.project_id).await?;
        Ok((g, p))
    }

    /// Runs a git command inside the sandbox (never on the host).
    async fn inside(&self, sandbox: &str, argv: Vec<String>) -> Result<crate::fleet::ExecOutput> {
        let cwd = self.fleet.paths(sandbox).workspace_inside;
        let out = self
            .fleet
            .exec(sandbox, argv, Some(cwd), BTreeMap::new(), GIT_TIMEOUT, None)
            .await?;
        if out.timed_out {
            return Err(ProjectError::Unavailable(
                "git inside the sandbox timed out".into(),
            ));
        }
        Ok(out)
    }

    pub async fn status(&self, sandbox: &str) -> Result<gitops::inside::WorkStatus> {
        let (g, _) = self.sandbox_git(sandbox).await?;
        let out = self
            .inside(sandbox, gitops::inside::status(&g.base_sha))
            .await?;
        if out.exit_code != Some(0) {
            return Err(git_failed("status", &out));
        }
        Ok(gitops::inside::parse_status(&out.stdout)?)
    }

    /// Changed files of the sandbox's work (committed or not) against its base, a page at a time.
    pub async fn diff(&self, sandbox: &str, offset: usize, limit: usize) -> Result<DiffPage> {
        let (g, _) = self.sandbox_git(sandbox).await?;
        let out = self
            .inside(sandbox, gitops::inside::diff_files(&g.base_sha))
            .await?;
        if out.exit_code != Some(0) {
            return Err(git_failed("diff", &out));
        }
        let files = gitops::inside::parse_files(&out.stdout)?;
        let limit = limit.clamp(1, 500);
        Ok(DiffPage {
            base: g.base_sha,
            total_files: files.len(),
            additions: files.iter().map(|f| u64::from(f.additions)).sum(),
            deletions: files.iter().map(|f| u64::from(f.deletions)).sum(),
            files: files.into_iter().skip(offset).take(limit).collect(),
            offset,
            limit,
        })
    }

    /// One file's hunks (capped; `truncated` says when).
    pub async fn diff_file(&self, sandbox: &str, path: &str) -> Result<gitops::diff::FileDiff> {
        let (g, _) = self.sandbox_git(sandbox).await?;
        check_rel_path(path)?;
        let out = self
            .inside(
                sandbox,
                gitops::inside::diff_patch(&g.base_sha, &[path.to_string()]),
            )
            .await?;
        if out.exit_code != Some(0) {
            return Err(git_failed("diff", &out));
        }
        gitops::diff::parse_patch(&out.stdout, MAX_DIFF_LINES)
            .into_iter()
            .find(|f| f.path == path || f.old_path.as_deref() == Some(path))
            .ok_or_else(|| ProjectError::NotFound(format!("`{path}` has no changes")))
    }

    /// The workspace's files (tracked and untracked, not ignored).
    pub async fn files(&self, sandbox: &str) -> Result<(Vec<String>, bool)> {
        self.sandbox_git(sandbox).await?;
        let out = self.inside(sandbox, gitops::inside::list_files()).await?;
        if out.exit_code != Some(0) {
            return Err(git_failed("ls-files", &out));
        }
        let mut files: Vec<String> = out
            .stdout
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        files.sort();
        files.dedup();
        Ok((files, out.truncated))
    }

    /// A file of the workspace, read inside the sandbox (the host never follows a sandbox's
    /// symlinks). Up to 1 MiB.
    pub async fn read_file(&self, sandbox: &str, path: &str) -> Result<(String, bool)> {
        check_rel_path(path)?;
        let argv = vec![
            "sh".into(),
            "-c".into(),
            "test -f \"$1\" || { echo 'not a file' >&2; exit 3; }; head -c 1048577 -- \"$1\""
                .into(),
            "anycode".into(),
            path.to_string(),
        ];
        let out = self.inside(sandbox, argv).await?;
        match out.exit_code {
            Some(0) => {
                let truncated = out.stdout.len() > 1_048_576 || out.truncated;
                Ok((out.stdout, truncated))
            }
            Some(3) => Err(ProjectError::NotFound(format!(
                "`{path}` is not a file in the workspace"
            ))),
            _ => Err(git_failed("read", &out)),
        }
    }

    /// Commits everything in the workspace (inside the sandbox), then brings the commits into
    /// the mirror.
    pub async fn commit(&self, sandbox: &str, message: &str) -> Result<String> {
        let message = message.trim();
        if message.is_empty() {
            return Err(ProjectError::Invalid("`message` must not be empty".into()));
        }
        self.sandbox_git(sandbox).await?;
        let out = self
            .inside(
                sandbox,
                gitops::inside::commit(message, &self.cfg.author_name, &self.cfg.author_email),
            )
            .await?;
        match out.exit_code {
            Some(0) => {}
            Some(3) => return Err(ProjectError::Conflict("there is nothing to commit".into())),
            _ => return Err(git_failed("commit", &out)),
        }
        self.harvest(sandbox).await
    }

    /// Imports the sandbox's commits into the mirror as `refs/anycode/sandboxes/<id>`.
    pub async fn harvest(&self, sandbox: &str) -> Result<String> {
        let (g, _) = self.sandbox_git(sandbox).await?;
        let paths = self.fleet.paths(sandbox);
        let inside_path = format!("{}/work.bundle", paths.state_inside);
        let out = self
            .inside(sandbox, gitops::inside::bundle(&g.base_sha, &inside_path))
            .await?;
        match out.exit_code {
            Some(0) => {}
            Some(3) => {
                return Err(ProjectError::Conflict(
                    "the sandbox has no commits on top of its base yet; commit first".into(),
                ))
            }
            _ => return Err(git_failed("bundle", &out)),
        }
        let host = paths.host_state.join("work.bundle");
        let l = self.project_lock(&g.project_id);
        let _g = l.lock().await;
        let sha = self
            .mirror(&g.project_id)
            .fetch_bundle(&host, &sandbox_ref(sandbox))
            .await?;
        let _ = std::fs::remove_file(&host);
        Ok(sha)
    }

    /// Pushes the sandbox's branch to the origin from the mirror (committing nothing).
    pub async fn push(&self, sandbox: &str) -> Result<String> {
        let sha = self.harvest(sandbox).await?;
        self.push_harvested(sandbox).await?;
        Ok(sha)
    }

    /// Pushes what the last harvest brought into the mirror (no new bundle from the sandbox).
    pub async fn push_harvested(&self, sandbox: &str) -> Result<()> {
        let (g, p) = self.sandbox_git(sandbox).await?;
        let l = self.project_lock(&p.id);
        let _l = l.lock().await;
        let m = self.mirror(&p.id);
        m.push(
            &sandbox_ref(sandbox),
            &g.branch,
            self.git_auth(&p).as_ref(),
            false,
        )
        .await?;
        let _ = m.fetch(self.git_auth(&p).as_ref()).await;
        Ok(())
    }

    /// The sandbox's commits on top of its base, newest first (after bringing them into the
    /// mirror). `Conflict` when there are none.
    pub async fn sandbox_commits(&self, sandbox: &str) -> Result<Vec<gitops::CommitInfo>> {
        let (g, _) = self.sandbox_git(sandbox).await?;
        let head = self.harvest(sandbox).await?;
        Ok(self
            .mirror(&g.project_id)
            .log(&g.base_sha, &head, 500)
            .await?)
    }

    /// Whether the project's mirror has the branch (as of its last fetch).
    pub async fn has_branch(&self, project: &str, branch: &str) -> Result<bool> {
        Ok(self
            .mirror(project)
            .resolve(&format!("refs/heads/{branch}"))
            .await?
            .is_some())
    }

    /// The open PR AnyCode knows for a branch of the project.
    pub async fn pull_for_branch(&self, project: &str, branch: &str) -> Result<Option<PullRecord>> {
        Ok(self
            .store
            .list_pulls(Some(project), true)
            .await?
            .into_iter()
            .find(|p| p.head == branch))
    }

    // ---------- pull requests ----------

    fn forge_coords(p: &ProjectRecord) -> Result<(String, String)> {
        match (&p.owner, &p.repo, p.kind.as_str()) {
            (Some(o), Some(r), "forge") => Ok((o.clone(), r.clone())),
            _ => Err(ProjectError::Invalid(
                "pull requests need a repository on GitHub; this project comes from another Git remote (push its branches instead)".into(),
            )),
        }
    }

    fn need_token(&self) -> Result<String> {
        self.token_str().ok_or_else(|| {
            ProjectError::AccessDenied(
                "connect GitHub (device flow, a personal access token, or gh) to open pull requests".into(),
            )
        })
    }

    /// What a PR for this sandbox would contain, with a drafted description and conflicts
    /// against the latest base.
    pub async fn pr_draft(&self, sandbox: &str, base: Option<&str>) -> Result<PrDraft> {
        let (g, p) = self.sandbox_git(sandbox).await?;
        let st = self.status(sandbox).await?;
        let head_sha = match self.harvest(sandbox).await {
            Ok(s) => Some(s),
            Err(ProjectError::Conflict(_)) => None,
            Err(e) => return Err(e),
        };
        // Uncommitted work is part of what the PR will contain (it is committed when the PR is
        // opened): analyse a preview commit of the whole working tree instead of HEAD.
        let preview = if st.dirty_files > 0 {
            Some(self.preview(sandbox, &g).await?)
        } else {
            None
        };
        if let Err(e) = self.fetch(&p).await {
            tracing::warn!(error = %e, "fetch for a PR draft failed");
        }
        let base = base.unwrap_or(&g.base_ref).to_string();
        let m = self.mirror(&p.id);
        let analysed = preview.clone().or(head_sha.clone());
        let (commits, files, conflicts) = match &analysed {
            Some(h) => {
                let base_rev = format!("refs/heads/{base}");
                let commits = match &head_sha {
                    Some(head) => m.log(&g.base_sha, head, 200).await?,
                    None => vec![],
                };
                let files = m.diff_files(&g.base_sha, h).await?;
                let conflicts = match m.resolve(&base_rev).await? {
                    Some(b) => m.merge_check(&b, h).await?.conflicts,
                    None => vec![],
                };
                (commits, files, conflicts)
            }
            None => (vec![], vec![], vec![]),
        };
        let (title, mut body) = draft_description(&g.branch, &commits, &files);
        let summarizer = self.summarizer.get().cloned();
        if let (Some(sum), false) = (summarizer, files.is_empty()) {
            if let Some(text) = sum.summarize(summary_prompt(&commits, &files)).await {
                body = format!(
                    "## Summary (written by Claude)\n\n{}\n\n{body}",
                    text.trim()
                );
            }
        }
        Ok(PrDraft {
            title,
            body,
            head: g.branch,
            base,
            commits,
            files,
            conflicts,
            uncommitted: st.dirty_files,
        })
    }

    /// A commit of the sandbox's whole working tree on top of its HEAD, made inside the sandbox
    /// without touching its branch, index or HEAD (a temporary index and a throw-away repository
    /// that borrows its objects), brought into the mirror as `refs/anycode/previews/<id>`.
    async fn preview(&self, sandbox: &str, g: &SandboxGit) -> Result<String> {
        let paths = self.fleet.paths(sandbox);
        let out_inside = format!("{}/preview.bundle", paths.state_inside);
        let script = r#"set -e
base=$(git rev-parse --verify -q --end-of-options "$1^{commit}")
idx=$(mktemp); repo=$(mktemp -d); trap 'rm -rf "$idx" "$repo"' EXIT
cp .git/index "$idx" 2>/dev/null || true
tree=$(GIT_INDEX_FILE="$idx" sh -c 'git add -A >/dev/null && git write-tree')
c=$(git -c user.name=AnyCode -c user.email=anycode@localhost commit-tree "$tree" -p HEAD -m "Uncommitted work (preview)")
git init -q "$repo"
echo "$(pwd)/.git/objects" > "$repo/.git/objects/info/alternates"
git -C "$repo" update-ref --no-deref HEAD "$c"
rm -f "$2.tmp"
git -C "$repo" bundle create -q "$2.tmp" "$base..HEAD"
mv -f "$2.tmp" "$2"
echo "$c"
"#;
        let argv = vec![
            "sh".to_string(),
            "-c".to_string(),
            script.to_string(),
            "anycode".to_string(),
            g.base_sha.clone(),
            out_inside,
        ];
        let out = self.inside(sandbox, argv).await?;
        if out.exit_code != Some(0) {
            return Err(git_failed("preview", &out));
        }
        let host = paths.host_state.join("preview.bundle");
        let l = self.project_lock(&g.project_id);
        let _g = l.lock().await;
        let sha = self
            .mirror(&g.project_id)
            .fetch_bundle(&host, &format!("refs/anycode/previews/{sandbox}"))
            .await?;
        let _ = std::fs::remove_file(&host);
        Ok(sha)
    }

    /// Opens a pull request. With a sandbox: commits pending work (if any), pushes its branch,
    /// and drafts what the caller left out.
    pub async fn create_pr(&self, req: NewPr) -> Result<PullRecord> {
        let p = self.get(&req.project_id).await?;
        let (owner, repo) = Self::forge_coords(&p)?;
        let token = self.need_token()?;
        let (head, base, mut title, mut body) = match &req.sandbox_id {
            Some(sb) => {
                let st = self.status(sb).await?;
                if st.dirty_files > 0 {
                    let msg = req
                        .title
                        .clone()
                        .unwrap_or_else(|| "Work from AnyCode".into());
                    self.commit(sb, &msg).await?;
                }
                self.push(sb).await?;
                let d = self.pr_draft(sb, req.base.as_deref()).await?;
                (d.head, d.base, d.title, d.body)
            }
            None => {
                let head = req.head.clone().ok_or_else(|| {
                    ProjectError::Invalid("`head` or `sandboxId` is required".into())
                })?;
                let base = req.base.clone().unwrap_or_else(|| p.default_branch.clone());
                (head.clone(), base, head, String::new())
            }
        };
        if let Some(t) = &req.title {
            title = t.clone();
        }
        if let Some(b) = &req.body {
            body = b.clone();
        }
        if title.trim().is_empty() {
            return Err(ProjectError::Invalid("`title` must not be empty".into()));
        }
        for (what, b) in [("head", &head), ("base", &base)] {
            gitops::validate_branch_name(b)
                .map_err(|e| ProjectError::Invalid(format!("`{what}`: {e}")))?;
        }
        let pull = self
            .cfg
            .forge
            .create_pull(
                &token,
                &owner,
                &repo,
                &forge::NewPull {
                    title,
                    body,
                    head,
                    base,
                    draft: req.draft,
                },
            )
            .await?;
        let mut rec = pull_record(&p.id, req.sandbox_id.clone(), &pull);
        self.check_conflicts(&p, &mut rec).await;
        self.store.upsert_pull(&rec).await?;
        self.emit(FleetEvent::Pull {
            project: p.id.clone(),
            number: rec.number,
        });
        Ok(rec)
    }

    async fn check_conflicts(&self, p: &ProjectRecord, rec: &mut PullRecord) {
        let m = self.mirror(&p.id);
        let base = m
            .resolve(&format!("refs/heads/{}", rec.base))
            .await
            .ok()
            .flatten();
        let head = match &rec.head_sha {
            Some(h) => m.resolve(h).await.ok().flatten(),
            None => None,
        }
        .or(m
            .resolve(&format!("refs/heads/{}", rec.head))
            .await
            .ok()
            .flatten());
        if let (Some(b), Some(h)) = (base, head) {
            if let Ok(c) = m.merge_check(&b, &h).await {
                rec.mergeable = Some(c.clean);
                rec.conflicts = c.conflicts;
            }
        }
    }

    pub async fn pulls(&self, project: Option<&str>) -> Result<Vec<PullRecord>> {
        Ok(self.store.list_pulls(project, false).await?)
    }

    pub async fn pull(&self, project: &str, number: i64) -> Result<PullRecord> {
        self.store.get_pull(project, number).await?.ok_or_else(|| {
            ProjectError::NotFound(format!(
                "pull request #{number} is not known for this project"
            ))
        })
    }

    /// Re-reads one pull request from the forge and recomputes its conflicts.
    pub async fn refresh_pull(&self, project: &str, number: i64) -> Result<PullRecord> {
        let p = self.get(project).await?;
        let (owner, repo) = Self::forge_coords(&p)?;
        let token = self.token_str();
        let pull = self
            .cfg
            .forge
            .pull(token.as_deref(), &owner, &repo, number as u64)
            .await?;
        let mut rec = pull_record(&p.id, None, &pull);
        if rec.state == "open" {
            if let Err(e) = self.fetch(&p).await {
                tracing::warn!(error = %e, "fetch while refreshing a PR failed");
            }
            self.check_conflicts(&p, &mut rec).await;
            if let Ok(c) = self
                .cfg
                .forge
                .checks(token.as_deref(), &owner, &repo, &pull.head_sha)
                .await
            {
                rec.checks = serde_json::to_value(ChecksView::from(c)).ok();
            }
        }
        let before = self.store.get_pull(&p.id, number).await?;
        if let Some(b) = &before {
            rec.created_at = b.created_at.clone();
        }
        self.store.upsert_pull(&rec).await?;
        let after = self.pull(&p.id, number).await?;
        if before
            .as_ref()
            .map(|b| (&b.state, b.mergeable, &b.conflicts, &b.checks, &b.head_sha))
            != Some((
                &after.state,
                after.mergeable,
                &after.conflicts,
                &after.checks,
                &after.head_sha,
            ))
        {
            self.emit(FleetEvent::Pull {
                project: p.id.clone(),
                number,
            });
        }
        Ok(after)
    }

    async fn refresh_open_pulls(&self) -> Result<()> {
        for pr in self.store.list_pulls(None, true).await? {
            if let Err(e) = self.refresh_pull(&pr.project_id, pr.number).await {
                tracing::debug!(project = %pr.project_id, number = pr.number, error = %e, "PR refresh failed");
            }
        }
        Ok(())
    }

    /// Merges on the forge (`merge`, `squash` or `rebase`), optionally deleting the branch.
    pub async fn merge(
        &self,
        project: &str,
        number: i64,
        method: forge::MergeMethod,
        commit_title: Option<String>,
        delete_branch: bool,
    ) -> Result<PullRecord> {
        let p = self.get(project).await?;
        let (owner, repo) = Self::forge_coords(&p)?;
        let token = self.need_token()?;
        let current = self.refresh_pull(project, number).await?;
        if current.state != "open" {
            return Err(ProjectError::Conflict(format!(
                "pull request #{number} is {}",
                current.state
            )));
        }
        if current.mergeable == Some(false) {
            return Err(ProjectError::Rejected(format!(
                "pull request #{number} conflicts with {}: {}",
                current.base,
                current.conflicts.join(", ")
            )));
        }
        self.cfg
            .forge
            .merge_pull(
                &token,
                &owner,
                &repo,
                number as u64,
                &forge::MergeRequest {
                    method,
                    commit_title,
                    commit_message: None,
                    sha: current.head_sha.clone(),
                },
            )
            .await?;
        if delete_branch {
            if let Err(e) = self
                .cfg
                .forge
                .delete_branch(&token, &owner, &repo, &current.head)
                .await
            {
                tracing::warn!(error = %e, "deleting the merged branch failed");
            }
        }
        let _ = self.fetch(&p).await;
        self.refresh_pull(project, number).await
    }

    /// A verified webhook delivery from the forge.
    pub async fn webhook(&self, event: &str, body: &serde_json::Value) -> Result<()> {
        let full = body["repository"]["full_name"].as_str().unwrap_or_default();
        let Some((owner, repo)) = full.split_once('/') else {
            return Ok(());
        };
        let Some(p) = self.store.find_project_by_forge(owner, repo).await? else {
            return Ok(());
        };
        let branch = body["ref"]
            .as_str()
            .map(|r| r.trim_start_matches("refs/heads/").to_string())
            .or_else(|| {
                body["pull_request"]["base"]["ref"]
                    .as_str()
                    .map(str::to_string)
            });
        self.emit(FleetEvent::ForgeEvent {
            project: p.id.clone(),
            event: event.to_string(),
            branch,
        });
        match event {
            "pull_request" => {
                if let Some(n) = body["number"]
                    .as_i64()
                    .or(body["pull_request"]["number"].as_i64())
                {
                    if self.store.get_pull(&p.id, n).await?.is_some() {
                        self.refresh_pull(&p.id, n).await?;
                    }
                }
            }
            "push" => {
                self.fetch(&p).await?;
                for pr in self.store.list_pulls(Some(&p.id), true).await? {
                    let _ = self.refresh_pull(&p.id, pr.number).await;
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub fn webhook_secret(&self) -> Option<&str> {
        self.cfg.webhook_secret.as_deref()
    }
}

#[cfg(test)]
mod radar_tests {
    use super::*;

    #[test]
    fn only_branches_touching_the_same_files_are_paired() {
        let c = |s: &str, f: &[&str]| {
            (
                s.to_string(),
                format!("b-{s}"),
                f.iter().map(|x| x.to_string()).collect(),
            )
        };
        let found = overlaps(
            "p",
            &[
                c("a", &["x.rs", "y.rs"]),
                c("b", &["z.rs"]),
                c("c", &["y.rs", "x.rs", "w.rs"]),
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sandboxes, ["a".to_string(), "c".to_string()]);
        assert_eq!(found[0].files, vec!["x.rs".to_string(), "y.rs".to_string()]);
        assert!(overlaps("p", &[c("a", &["x"])]).is_empty());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ChecksView {
    total: u32,
    passed: u32,
    failed: u32,
    pending: u32,
}

impl From<forge::Checks> for ChecksView {
    fn from(c: forge::Checks) -> Self {
        Self {
            total: c.total,
            passed: c.passed,
            failed: c.failed,
            pending: c.pending,
        }
    }
}

fn sandbox_ref(sandbox: &str) -> String {
    format!("refs/anycode/sandboxes/{sandbox}")
}

fn git_failed(op: &str, out: &crate::fleet::ExecOutput) -> ProjectError {
    let msg: String = out.stderr.trim().chars().take(2000).collect();
    ProjectError::Internal(format!(
        "git {op} in the sandbox failed (exit {}): {msg}",
        out.exit_code.map_or("-".into(), |c| c.to_string())
    ))
}

fn check_rel_path(path: &str) -> Result<()> {
    if path.is_empty()
        || path.starts_with('/')
        || path.contains('\0')
        || path.split('/').any(|c| c == "..")
        || path.len() > 4096
    {
        return Err(ProjectError::Invalid(format!(
            "`{path}` is not a relative path inside the workspace"
        )));
    }
    Ok(())
}

fn pull_record(project: &str, sandbox: Option<String>, p: &forge::Pull) -> PullRecord {
    let now = store::now_rfc3339();
    PullRecord {
        project_id: project.into(),
        number: p.number as i64,
        sandbox_id: sandbox,
        title: p.title.clone(),
        url: p.html_url.clone(),
        head: p.head_ref.clone(),
        base: p.base_ref.clone(),
        head_sha: Some(p.head_sha.clone()),
        state: if p.merged {
            "merged".into()
        } else if p.state == "closed" {
            "closed".into()
        } else {
            "open".into()
        },
        draft: p.draft,
        mergeable: p.mergeable,
        conflicts: vec![],
        checks: None,
        merge_sha: p.merge_commit_sha.clone().filter(|_| p.merged),
        created_at: now.clone(),
        updated_at: now,
    }
}

/// The setup to run in a new sandbox: the repository's own `.anycode/setup.sh`, else the
/// detected defaults. None when there is nothing to do.
pub fn setup_script(detected: Option<&serde_json::Value>) -> Option<String> {
    let d = detected?;
    if let Some(f) = d["setupFile"].as_str() {
        return Some(format!(
            "set -e\necho '# AnyCode: running {f}'\nbash {}\necho '# AnyCode: setup finished'",
            shell_quote(f)
        ));
    }
    let cmds: Vec<&str> = d["setupCommands"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    if cmds.is_empty() {
        return None;
    }
    let mut s = String::from("set -e\n");
    for c in cmds {
        s.push_str(&format!(
            "echo {}\n{c}\n",
            shell_quote(&format!("# AnyCode: {c}"))
        ));
    }
    s.push_str("echo '# AnyCode: setup finished'");
    Some(s)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A PR title and body from the commits and the diffstat.
pub fn draft_description(
    branch: &str,
    commits: &[gitops::CommitInfo],
    files: &[gitops::diff::FileStat],
) -> (String, String) {
    let title = match commits {
        [] => branch
            .rsplit('/')
            .next()
            .unwrap_or(branch)
            .replace(['-', '_'], " "),
        [one] => one.subject.clone(),
        many => many.last().map(|c| c.subject.clone()).unwrap_or_default(),
    };
    let mut body = String::from("## Summary\n\n");
    if commits.is_empty() {
        body.push_str("_No commits yet._\n");
    }
    for c in commits.iter().rev() {
        body.push_str(&format!("- {}\n", c.subject));
    }
    let adds: u64 = files.iter().map(|f| u64::from(f.additions)).sum();
    let dels: u64 = files.iter().map(|f| u64::from(f.deletions)).sum();
    body.push_str(&format!(
        "\n## Changes\n\n{} file(s) changed, {adds} insertion(s), {dels} deletion(s)\n\n",
        files.len()
    ));
    if !files.is_empty() {
        body.push_str("| File | + | - |\n|---|---:|---:|\n");
        for f in files.iter().take(50) {
            body.push_str(&format!(
                "| `{}` | {} | {} |\n",
                f.path, f.additions, f.deletions
            ));
        }
        if files.len() > 50 {
            body.push_str(&format!("| … and {} more | | |\n", files.len() - 50));
        }
    }
    body.push_str("\n_Opened from AnyCode._\n");
    (title, body)
}
