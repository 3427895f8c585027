//! A local fake GitHub for tests: a real HTTP server on `127.0.0.1:<port>` speaking the REST
//! subset AnyCode uses, the OAuth device flow, webhooks, and **real Git over smart HTTP**
//! (`git http-backend`), all on one origin, with GitHub's token rules.
//!
//! - [`FakeForge::start`] serves on its own thread and tokio runtime (so a test may block on
//!   `std::process::Command::new("git")` without starving it); dropping the handle stops it.
//!   Bare repositories live under the root as `{root}/{owner}/{name}.git`.
//! - `rest` — routing and authentication (`Authorization: Bearer|token <t>`, or Basic with the
//!   token as password): `/user`, `/user/repos`, `/repos/{o}/{r}` (+ `branches`, `pulls`,
//!   `pulls/{n}`, `pulls/{n}/merge`, `git/refs/heads/{b}`, `commits/{sha}/check-runs`),
//!   `/login/device/code`, `/login/oauth/access_token`. Private repositories are 404 to those
//!   who cannot see them; writes need the owner or a collaborator ([`FakeForge::grant`]).
//! - `core` — the state and the operations on it (sync; git runs as child processes): users,
//!   repositories, commits, ref changes and their webhooks, the request log, faults.
//! - `pulls` — the REST operations on repositories: JSON views, branches, pull requests
//!   (mergeability, merge / squash / rebase), check runs.
//! - `device` — the OAuth device flow.
//! - `git` — plumbing on bare repositories (temporary-index commits, merge trees).
//! - `http_backend` — `git http-backend` as CGI, streamed both ways; 401 with
//!   `WWW-Authenticate` when a token is needed; push webhooks after `git-receive-pack`.
//! - `webhook` — signed, in-order, best-effort deliveries (`X-GitHub-Event`,
//!   `X-GitHub-Delivery`, `X-Hub-Signature-256`).
//! - `control` — `/_fake/*`, the same test controls over HTTP for the `anycode-fake-forge`
//!   binary (browser tests).
//! - `render` — GitHub's JSON shapes.
//!
//! Git clients in tests should run with `GIT_TERMINAL_PROMPT=0` (a 401 would otherwise prompt)
//! and pass the token as `-c http.extraHeader=Authorization: Basic …` ([`basic_auth`]).
//!
//! The device flow advertises `interval: 1` but does not answer `slow_down` unless
//! [`FakeForge::set_device_interval`] is called, so tests can poll back to back.

mod control;
mod core;
mod device;
mod git;
mod http_backend;
mod pulls;
mod render;
mod rest;
mod webhook;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::core::Inner;

/// How long stopping waits for in-flight work (git processes are killed after it).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// One REST (or `/login/*`) request the fake received. Git traffic is not recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Whose token it carried (`None`: no token or an unknown one).
    pub auth_login: Option<String>,
    /// The JSON body, or a form body as a JSON object of strings.
    pub body: Option<serde_json::Value>,
}

/// A fault to inject, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The next `git-upload-pack` response (clone/fetch) longer than `after_bytes` is cut
    /// there: the connection drops mid-body.
    CutUploadPack { after_bytes: usize },
    /// The next REST request whose path starts with `path_prefix` gets `status` (with a
    /// GitHub-style `{"message"}`; `retry-after: 1` on 429).
    Status { path_prefix: String, status: u16 },
}

/// `Basic base64(x-access-token:<token>)`: the `Authorization` value git sends for a token,
/// e.g. `git -c http.extraHeader="Authorization: $(basic_auth(t))" clone …`.
pub fn basic_auth(token: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    format!("Basic {encoded}")
}

/// A running fake GitHub. Stops (and kills its git processes) on drop.
pub struct FakeForge {
    inner: Arc<Inner>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeForge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeForge")
            .field("url", &self.inner.url)
            .field("root", &self.inner.root)
            .finish()
    }
}

impl FakeForge {
    /// Serves on `127.0.0.1:<random port>` with bare repositories under `root` (created).
    pub async fn start(root: &Path) -> io::Result<FakeForge> {
        Self::start_on(root, 0).await
    }

    /// [`start`](Self::start) on a given port (0: any).
    pub async fn start_on(root: &Path, port: u16) -> io::Result<FakeForge> {
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-forge")
            .enable_all()
            .build()?;
        let (hooks, queue) = mpsc::channel(webhook::QUEUE);
        let inner = Arc::new(Inner::new(root, url, hooks));
        let app = Router::new()
            .fallback(rest::handle)
            .with_state(inner.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-forge".into())
            .spawn(move || {
                rt.block_on(async move {
                    tokio::spawn(webhook::deliver(queue));
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "fake-forge: cannot listen");
                            return;
                        }
                    };
                    tokio::select! {
                        served = axum::serve(listener, app) => {
                            if let Err(e) = served {
                                tracing::error!(error = %e, "fake-forge: server failed");
                            }
                        }
                        _ = stopped => {}
                    }
                });
                rt.shutdown_timeout(SHUTDOWN_GRACE);
            })?;
        Ok(FakeForge {
            inner,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: the REST API, `/login/*` and git, all on one origin.
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// Where the bare repositories live.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// `{url}/{owner}/{name}.git`.
    pub fn clone_url(&self, owner: &str, name: &str) -> String {
        format!("{}/{owner}/{name}.git", self.inner.url)
    }

    /// The bare repository's path (whether or not it exists).
    pub fn repo_path(&self, owner: &str, name: &str) -> PathBuf {
        self.inner.bare_path(owner, name)
    }

    /// Maps `token` to `login` (creating the user). A user may have several tokens.
    pub fn add_user(&self, login: &str, token: &str) {
        self.inner.add_user(login, token);
    }

    /// The user's display name (`GET /user`'s `name`).
    pub fn set_user_name(&self, login: &str, name: Option<&str>) {
        self.inner.set_user_name(login, name);
    }

    /// An empty bare repository owned by `owner` (who, with any of its tokens, may push).
    /// Creating an existing one returns its path and changes nothing.
    ///
    /// # Panics
    /// On an invalid name or when `git init` fails.
    pub fn create_repo(
        &self,
        owner: &str,
        name: &str,
        private: bool,
        default_branch: &str,
    ) -> PathBuf {
        self.inner
            .create_repo(owner, name, private, default_branch)
            .unwrap_or_else(|e| panic!("fake-forge: create_repo {owner}/{name}: {e}"))
    }

    /// Sets the repository's description (`GET /repos/..`'s `description`).
    pub fn set_description(&self, owner: &str, name: &str, description: Option<&str>) {
        self.inner.set_description(owner, name, description);
    }

    /// Points the repository's default branch (and `HEAD`) at `branch`.
    ///
    /// # Panics
    /// If the repository does not exist.
    pub fn set_default_branch(&self, owner: &str, name: &str, branch: &str) {
        self.inner
            .set_default_branch(owner, name, branch)
            .unwrap_or_else(|e| panic!("fake-forge: set_default_branch: {e}"));
    }

    /// Commits files on a branch directly in the bare repository (plumbing with a temporary
    /// index: no worktree), creating the branch if missing (from the default branch, or as a
    /// root commit in an empty repository). Sends `push` (and `synchronize`) webhooks like a
    /// push would. Returns the new commit.
    ///
    /// # Panics
    /// If the repository does not exist or git fails.
    pub fn commit_files(
        &self,
        owner: &str,
        name: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
    ) -> String {
        self.inner
            .commit_files(owner, name, branch, files, message)
            .unwrap_or_else(|e| panic!("fake-forge: commit_files {owner}/{name}@{branch}: {e}"))
    }

    /// The commit `branch` points to.
    pub fn branch_sha(&self, owner: &str, name: &str, branch: &str) -> Option<String> {
        self.inner.branch_sha(owner, name, branch)
    }

    /// Collaborator (write) access for `login`.
    ///
    /// # Panics
    /// If the repository does not exist.
    pub fn grant(&self, owner: &str, name: &str, login: &str) {
        self.inner
            .grant(owner, name, login)
            .unwrap_or_else(|e| panic!("fake-forge: grant: {e}"));
    }

    /// Webhook deliveries for every repository go to `url`, signed with `secret`. An empty
    /// `url` turns them off.
    pub fn set_webhook(&self, url: &str, secret: &str) {
        self.inner.set_webhook(url, secret);
    }

    /// Every REST and `/login/*` request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.requests()
    }

    /// The repository's pull requests (oldest first), as [`forge`] parses them, with
    /// `mergeable` computed for open ones.
    pub fn pulls(&self, owner: &str, name: &str) -> Vec<forge::Pull> {
        self.inner.pulls(owner, name)
    }

    /// The check runs of `sha`: `(name, status: queued|in_progress|completed, conclusion)`.
    ///
    /// # Panics
    /// If the repository does not exist.
    pub fn set_checks(
        &self,
        owner: &str,
        name: &str,
        sha: &str,
        checks: Vec<(String, String, Option<String>)>,
    ) {
        self.inner
            .set_checks(owner, name, sha, checks)
            .unwrap_or_else(|e| panic!("fake-forge: set_checks: {e}"));
    }

    /// Device flow: the next poll for the code shown as `user_code` returns a token of `login`
    /// (one is made if the login has none). False if no such pending code.
    pub fn approve_device(&self, user_code: &str, login: &str) -> bool {
        self.inner.approve_device(user_code, login)
    }

    /// Device flow: the next poll answers `access_denied`. False if no such pending code.
    pub fn deny_device(&self, user_code: &str) -> bool {
        self.inner.deny_device(user_code)
    }

    /// Device flow: the code expires now (polls answer `expired_token`).
    pub fn expire_device(&self, user_code: &str) -> bool {
        self.inner.expire_device(user_code)
    }

    /// Device flow: advertise `secs` as the interval and answer `slow_down` (interval + 5) to
    /// polls closer together than that. Applies to codes started afterwards.
    pub fn set_device_interval(&self, secs: u64) {
        self.inner.set_device_interval(secs);
    }

    /// Arms (or with `None` clears) a one-shot fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.inner.set_fault(fault);
    }
}

impl Drop for FakeForge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// For the binary's `--seed`: pushes every branch and tag of the local repository at `local`
/// into the fake's `owner/name` (which must exist) and makes the local current branch the
/// default when the repository's default branch is missing.
pub fn seed(forge: &FakeForge, owner: &str, name: &str, local: &Path) -> Result<(), String> {
    let bare = forge.repo_path(owner, name);
    core::push_all(local, &bare)?;
    let default_missing = forge
        .inner
        .default_branch(owner, name)
        .is_some_and(|b| forge.branch_sha(owner, name, &b).is_none());
    if default_missing {
        if let Some(branch) = core::local_head_branch(local) {
            forge.inner.set_default_branch(owner, name, &branch)?;
        }
    }
    Ok(())
}
