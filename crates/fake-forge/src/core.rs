//! The fake's state ([`Inner`]) and the operations on users, repositories, commits and refs;
//! `pulls` and `device` add theirs to the same `impl Inner`. Everything is synchronous (git
//! runs as a child process; async callers use `spawn_blocking`). REST handlers, the git
//! endpoint, the control endpoints and the [`FakeForge`](crate::FakeForge) methods all end up
//! here. Lock order: `git_lock` before `state`, never the other way round.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::device::Device;
use crate::git::{self, Bare, Signature, ZERO_SHA};
use crate::render;
use crate::webhook::Delivery;
use crate::{Fault, RecordedRequest};

const DOCS: &str = "https://docs.github.com/rest";
/// The `interval` advertised by default. Not enforced (no `slow_down`) unless
/// `Inner::set_device_interval` is called, so tests can poll back to back.
const DEFAULT_DEVICE_INTERVAL: u64 = 1;

/// An HTTP answer other than success: status, GitHub-shaped JSON body, extra headers.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl Failure {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Failure {
            status,
            body: json!({"message": message.into(), "documentation_url": DOCS, "status": status.to_string()}),
            headers: Vec::new(),
        }
    }

    pub fn not_found() -> Self {
        Failure::new(404, "Not Found")
    }

    pub fn unauthenticated() -> Self {
        Failure::new(401, "Requires authentication")
    }

    pub fn no_write() -> Self {
        Failure::new(403, "Resource not accessible by personal access token")
    }

    /// 422 with one `errors[]` entry.
    pub fn validation(field: Option<&str>, code: &str, message: impl Into<String>) -> Self {
        let mut error = json!({"resource": "PullRequest", "code": code, "message": message.into()});
        if let Some(field) = field {
            error["field"] = json!(field);
        }
        Failure {
            status: 422,
            body: json!({"message": "Validation Failed", "errors": [error], "documentation_url": DOCS, "status": "422"}),
            headers: Vec::new(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "fake-forge internal error");
        Failure::new(500, format!("fake-forge internal error: {e}"))
    }
}

pub type Outcome<T> = Result<T, Failure>;

#[derive(Debug, Clone)]
pub struct RepoState {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub default_branch: String,
    pub description: Option<String>,
    pub collaborators: BTreeSet<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Orders `GET /user/repos?sort=updated` (timestamps have one-second resolution).
    pub updated_seq: u64,
    pub pulls: Vec<PullState>,
    pub checks: HashMap<String, Vec<CheckRun>>,
}

impl RepoState {
    pub fn can_write(&self, login: &str) -> bool {
        self.owner == login || self.collaborators.contains(login)
    }

    pub fn can_read(&self, login: Option<&str>) -> bool {
        !self.private || login.is_some_and(|l| self.can_write(l))
    }
}

#[derive(Debug, Clone)]
pub struct PullState {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    pub draft: bool,
    pub merged: bool,
    pub merged_at: Option<String>,
    pub merged_by: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub user: String,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub name: Option<String>,
}

#[derive(Debug)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Default)]
pub struct State {
    /// token → login
    pub tokens: HashMap<String, String>,
    pub users: BTreeMap<String, User>,
    pub repos: BTreeMap<(String, String), RepoState>,
    pub webhook: Option<Webhook>,
    pub requests: Vec<RecordedRequest>,
    pub devices: Vec<Device>,
    pub device_interval: u64,
    pub device_enforce: bool,
    pub fault: Option<Fault>,
    pub next_id: u64,
    pub seq: u64,
}

impl State {
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn repo(&self, owner: &str, name: &str) -> Option<&RepoState> {
        self.repos.get(&(owner.to_string(), name.to_string()))
    }

    pub fn repo_mut(&mut self, owner: &str, name: &str) -> Option<&mut RepoState> {
        self.repos.get_mut(&(owner.to_string(), name.to_string()))
    }

    /// The repository if `caller` may see it (GitHub answers 404 for invisible private ones).
    pub fn visible(&self, owner: &str, name: &str, caller: Option<&str>) -> Outcome<&RepoState> {
        self.repo(owner, name)
            .filter(|r| r.can_read(caller))
            .ok_or_else(Failure::not_found)
    }

    pub fn touch(&mut self, owner: &str, name: &str) {
        let seq = self.seq();
        if let Some(r) = self.repo_mut(owner, name) {
            r.updated_seq = seq;
            r.updated_at = render::now();
        }
    }
}

/// A ref that moved: name, old and new commit (`ZERO_SHA` for none).
#[derive(Debug, Clone, PartialEq)]
pub struct RefChange {
    pub refname: String,
    pub before: String,
    pub after: String,
}

/// Refs that differ between two snapshots.
pub fn diff_refs(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<RefChange> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let b = before.get(name).map_or(ZERO_SHA, String::as_str);
            let a = after.get(name).map_or(ZERO_SHA, String::as_str);
            (a != b).then(|| RefChange {
                refname: name.clone(),
                before: b.to_string(),
                after: a.to_string(),
            })
        })
        .collect()
}

/// Shared by the server tasks and the [`FakeForge`](crate::FakeForge) handle.
pub struct Inner {
    pub root: PathBuf,
    pub url: String,
    state: Mutex<State>,
    /// Held across a read-modify-write of refs by the fake itself (commits, merges, deletes).
    git_lock: Mutex<()>,
    hooks: mpsc::Sender<Delivery>,
}

impl Inner {
    pub fn new(root: PathBuf, url: String, hooks: mpsc::Sender<Delivery>) -> Self {
        Inner {
            root,
            url,
            state: Mutex::new(State {
                device_interval: DEFAULT_DEVICE_INTERVAL,
                ..State::default()
            }),
            git_lock: Mutex::new(()),
            hooks,
        }
    }

    pub fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn git_guard(&self) -> MutexGuard<'_, ()> {
        self.git_lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn bare_path(&self, owner: &str, name: &str) -> PathBuf {
        self.root.join(owner).join(format!("{name}.git"))
    }

    pub fn bare(&self, owner: &str, name: &str) -> Bare {
        Bare::at(&self.bare_path(owner, name))
    }

    // ---- users, repositories, knobs ----

    pub fn add_user(&self, login: &str, token: &str) {
        let mut st = self.st();
        if !st.users.contains_key(login) {
            let id = st.id();
            st.users.insert(login.to_string(), User { id, name: None });
        }
        st.tokens.insert(token.to_string(), login.to_string());
    }

    pub fn set_user_name(&self, login: &str, name: Option<&str>) {
        if let Some(u) = self.st().users.get_mut(login) {
            u.name = name.map(str::to_string);
        }
    }

    /// The login a token belongs to: `Ok(None)` without a token, `Err` for an unknown one.
    pub fn login_for(&self, token: Option<&str>) -> Result<Option<String>, ()> {
        match token {
            None => Ok(None),
            Some(t) => self.st().tokens.get(t).cloned().map(Some).ok_or(()),
        }
    }

    pub fn create_repo(
        &self,
        owner: &str,
        name: &str,
        private: bool,
        default_branch: &str,
    ) -> Result<PathBuf, String> {
        valid_name(owner)?;
        valid_name(name)?;
        let path = self.bare_path(owner, name);
        let _git = self.git_guard();
        if self.st().repo(owner, name).is_some() {
            return Ok(path);
        }
        Bare::init(&path, default_branch).map_err(|e| e.to_string())?;
        let mut st = self.st();
        let (id, seq, now) = (st.id(), st.seq(), render::now());
        st.repos.insert(
            (owner.to_string(), name.to_string()),
            RepoState {
                id,
                owner: owner.to_string(),
                name: name.to_string(),
                private,
                default_branch: default_branch.to_string(),
                description: None,
                collaborators: BTreeSet::new(),
                created_at: now.clone(),
                updated_at: now,
                updated_seq: seq,
                pulls: Vec::new(),
                checks: HashMap::new(),
            },
        );
        Ok(path)
    }

    pub fn set_default_branch(&self, owner: &str, name: &str, branch: &str) -> Result<(), String> {
        self.bare(owner, name)
            .set_head(branch)
            .map_err(|e| e.to_string())?;
        let mut st = self.st();
        let repo = st
            .repo_mut(owner, name)
            .ok_or_else(|| no_repo(owner, name))?;
        repo.default_branch = branch.to_string();
        Ok(())
    }

    pub fn default_branch(&self, owner: &str, name: &str) -> Option<String> {
        self.st()
            .repo(owner, name)
            .map(|r| r.default_branch.clone())
    }

    pub fn set_description(&self, owner: &str, name: &str, description: Option<&str>) {
        if let Some(r) = self.st().repo_mut(owner, name) {
            r.description = description.map(str::to_string);
        }
    }

    pub fn grant(&self, owner: &str, name: &str, login: &str) -> Result<(), String> {
        let mut st = self.st();
        let repo = st
            .repo_mut(owner, name)
            .ok_or_else(|| no_repo(owner, name))?;
        repo.collaborators.insert(login.to_string());
        Ok(())
    }

    pub fn set_webhook(&self, url: &str, secret: &str) {
        self.st().webhook = (!url.is_empty()).then(|| Webhook {
            url: url.to_string(),
            secret: secret.to_string(),
        });
    }

    pub fn set_fault(&self, fault: Option<Fault>) {
        self.st().fault = fault;
    }

    /// Takes a `Status` fault whose prefix matches `path`.
    pub fn take_status_fault(&self, path: &str) -> Option<u16> {
        let mut st = self.st();
        match &st.fault {
            Some(Fault::Status {
                path_prefix,
                status,
            }) if path.starts_with(path_prefix.as_str()) => {
                let status = *status;
                st.fault = None;
                Some(status)
            }
            _ => None,
        }
    }

    /// The byte count of an armed `CutUploadPack` fault.
    pub fn cut_upload_pack(&self) -> Option<usize> {
        match &self.st().fault {
            Some(Fault::CutUploadPack { after_bytes }) => Some(*after_bytes),
            _ => None,
        }
    }

    /// Disarms the `CutUploadPack` fault once a response was cut.
    pub fn upload_pack_was_cut(&self) {
        let mut st = self.st();
        if matches!(st.fault, Some(Fault::CutUploadPack { .. })) {
            st.fault = None;
        }
    }

    pub fn record(&self, request: RecordedRequest) {
        self.st().requests.push(request);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.st().requests.clone()
    }

    pub fn set_checks(
        &self,
        owner: &str,
        name: &str,
        sha: &str,
        checks: Vec<(String, String, Option<String>)>,
    ) -> Result<(), String> {
        let mut st = self.st();
        let mut runs = Vec::with_capacity(checks.len());
        for (name, status, conclusion) in checks {
            let id = st.id();
            runs.push(CheckRun {
                id,
                name,
                status,
                conclusion,
            });
        }
        let repo = st
            .repo_mut(owner, name)
            .ok_or_else(|| no_repo(owner, name))?;
        repo.checks.insert(sha.to_string(), runs);
        Ok(())
    }

    /// For the git endpoint: `(readable, writable)` for `login`, `None` if no such repository.
    pub fn git_access(&self, owner: &str, name: &str, login: Option<&str>) -> Option<(bool, bool)> {
        let st = self.st();
        let repo = st.repo(owner, name)?;
        Some((
            repo.can_read(login),
            login.is_some_and(|l| repo.can_write(l)),
        ))
    }

    pub fn branch_sha(&self, owner: &str, name: &str, branch: &str) -> Option<String> {
        self.st().repo(owner, name)?;
        self.bare(owner, name).branch(branch)
    }

    /// Commits `files` on `branch` (created from the default branch, or as a root commit in an
    /// empty repository), moves the branch and announces the push.
    pub fn commit_files(
        &self,
        owner: &str,
        name: &str,
        branch: &str,
        files: &[(&str, &str)],
        message: &str,
    ) -> Result<String, String> {
        let default_branch = self
            .st()
            .repo(owner, name)
            .map(|r| r.default_branch.clone())
            .ok_or_else(|| no_repo(owner, name))?;
        let bare = self.bare(owner, name);
        let change = {
            let _git = self.git_guard();
            let old = bare.branch(branch);
            let parent = old.clone().or_else(|| bare.branch(&default_branch));
            let sha = bare
                .commit_files(parent.as_deref(), files, message, &Signature::bot())
                .map_err(|e| e.to_string())?;
            bare.update_ref(&format!("refs/heads/{branch}"), &sha, old.as_deref())
                .map_err(|e| e.to_string())?;
            RefChange {
                refname: format!("refs/heads/{branch}"),
                before: old.unwrap_or_else(|| ZERO_SHA.to_string()),
                after: sha,
            }
        };
        let sha = change.after.clone();
        self.refs_changed(owner, name, &[change], None);
        Ok(sha)
    }

    /// After refs moved (a push, a commit, a merge, a deletion): `push` webhooks, open pull
    /// requests follow their head (`synchronize`) or close when it is deleted.
    pub fn refs_changed(
        &self,
        owner: &str,
        name: &str,
        changes: &[RefChange],
        pusher: Option<&str>,
    ) {
        if changes.is_empty() {
            return;
        }
        let mut events = Vec::new();
        {
            let mut st = self.st();
            st.touch(owner, name);
            let base = self.url.clone();
            let Some(repo) = st.repo_mut(owner, name) else {
                return;
            };
            let now = render::now();
            for c in changes {
                let repo_json = render::repo(&base, repo, None);
                let sender = pusher.unwrap_or(owner);
                events.push((
                    "push",
                    json!({
                        "ref": c.refname,
                        "before": c.before,
                        "after": c.after,
                        "created": c.before == ZERO_SHA,
                        "deleted": c.after == ZERO_SHA,
                        "forced": false,
                        "commits": [],
                        "head_commit": null,
                        "repository": repo_json,
                        "pusher": {"name": sender, "email": format!("{sender}@users.noreply.fake-forge")},
                        "sender": {"login": sender},
                    }),
                ));
                let Some(branch) = c.refname.strip_prefix("refs/heads/") else {
                    continue;
                };
                let mut touched = Vec::new();
                for p in repo.pulls.iter_mut() {
                    if p.state != "open" || p.head_ref != branch {
                        continue;
                    }
                    p.updated_at = now.clone();
                    if c.after == ZERO_SHA {
                        p.state = "closed".into();
                        p.closed_at = Some(now.clone());
                        touched.push((p.clone(), "closed", None));
                    } else {
                        p.head_sha = c.after.clone();
                        touched.push((p.clone(), "synchronize", Some((&c.before, &c.after))));
                    }
                }
                for (p, action, moved) in touched {
                    let mut payload = pull_event(&base, repo, &p, action, sender);
                    if let Some((before, after)) = moved {
                        payload["before"] = json!(before);
                        payload["after"] = json!(after);
                    }
                    events.push(("pull_request", payload));
                }
            }
        }
        self.send_hooks(events);
    }

    pub fn send_hooks(&self, events: Vec<(&'static str, Value)>) {
        if events.is_empty() {
            return;
        }
        let Some((url, secret)) = self
            .st()
            .webhook
            .as_ref()
            .map(|w| (w.url.clone(), w.secret.clone()))
        else {
            return;
        };
        for (event, payload) in events {
            let delivery = Delivery {
                url: url.clone(),
                secret: secret.clone(),
                event,
                body: payload.to_string().into_bytes(),
            };
            if self.hooks.try_send(delivery).is_err() {
                tracing::warn!(event, "webhook queue full or closed; delivery dropped");
            }
        }
    }
}

pub fn pull_event(
    base: &str,
    repo: &RepoState,
    p: &PullState,
    action: &str,
    sender: &str,
) -> Value {
    json!({
        "action": action,
        "number": p.number,
        "pull_request": render::pull(base, repo, p, None),
        "repository": render::repo(base, repo, None),
        "sender": {"login": sender},
    })
}

pub fn no_repo(owner: &str, name: &str) -> String {
    format!("fake-forge has no repository {owner}/{name}")
}

/// Owner and repository names: what GitHub allows, and nothing that escapes the root.
fn valid_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s != "."
        && s != ".."
        && !s.ends_with(".git")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid owner or repository name {s:?}"))
    }
}

/// Whether `s` is a valid owner or repository name (the git endpoint checks paths with it).
pub fn is_simple_segment(s: &str) -> bool {
    valid_name(s).is_ok()
}

/// Pushes every branch and tag of a local repository into a bare one (the binary's `--seed`).
pub fn push_all(local: &Path, bare: &Path) -> Result<(), String> {
    let out = git::command()
        .arg("-C")
        .arg(local)
        .arg("push")
        .arg("--quiet")
        .arg(bare)
        .arg("refs/heads/*:refs/heads/*")
        .arg("refs/tags/*:refs/tags/*")
        .output()
        .map_err(|e| format!("cannot run git push: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git push from {} failed: {}",
            local.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The current branch of a local repository.
pub fn local_head_branch(local: &Path) -> Option<String> {
    let out = git::command()
        .arg("-C")
        .arg(local)
        .args(["symbolic-ref", "--quiet", "--short", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_the_root() {
        for bad in ["", ".", "..", "a/b", "x.git", "a b", "../x"] {
            assert!(valid_name(bad).is_err(), "{bad}");
        }
        for good in ["alice", "my-repo", "repo_1", "a.b"] {
            assert!(valid_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn ref_diffs() {
        let before: BTreeMap<String, String> = [
            ("refs/heads/a".into(), "1".into()),
            ("refs/heads/b".into(), "2".into()),
        ]
        .into();
        let after: BTreeMap<String, String> = [
            ("refs/heads/a".into(), "3".into()),
            ("refs/heads/c".into(), "4".into()),
        ]
        .into();
        let d = diff_refs(&before, &after);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].after, "3");
        assert_eq!(d[1].after, ZERO_SHA);
        assert_eq!(d[2].before, ZERO_SHA);
    }
}
