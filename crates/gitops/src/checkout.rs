//! [`prepare_checkout`]: a new sandbox checkout that borrows the mirror's objects.
//!
//! Layout this is built for (the defaults of [`CheckoutOptions`]):
//!
//! ```text
//! host                                   sandbox
//! <sb>/workspace      (read-write)  ──►  /workspace
//! <data>/mirror.git   (read-only)   ──►  /mirror.git
//! <sb>/workspace/.git/objects/info/alternates = ../../../mirror.git/objects
//! ```
//!
//! The alternates path is **relative**, so it resolves inside the sandbox (`/workspace/.git/
//! objects/../../../mirror.git/objects` = `/mirror.git/objects`). On the host it resolves to
//! `<sb>/mirror.git/objects`: a caller that wants it to resolve there too places a symlink
//! `<sb>/mirror.git → <data>/mirror.git` — this crate never needs it, because the host-side
//! checkout runs with the mirror's **absolute** objects path and the relative one is written
//! last. No object is copied: a checkout's `.git` holds an index, refs and config, whatever the
//! history's size.
//!
//! Host git runs in the workspace only here, before any sandbox has had access to it. Changing
//! ownership to the sandbox's user is the caller's job.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::GitError;
use crate::mirror::Mirror;
use crate::refname::validate_branch_name;
use crate::runner::Git;

/// Options of [`prepare_checkout`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutOptions {
    /// Path from `<workspace>/.git/objects` to the mirror's `objects` directory as seen inside
    /// the sandbox; must be relative. Default `../../../mirror.git/objects`.
    pub alternates_rel: String,
    /// `remote.origin.url` inside the sandbox (the read-only mirror). Default `/mirror.git`.
    pub origin_url_in_sandbox: String,
    /// `user.name` / `user.email` of the checkout (committer of the sandbox's commits).
    pub user_name: String,
    pub user_email: String,
    /// The whole preparation (the checkout writes every file).
    pub timeout: Duration,
}

impl Default for CheckoutOptions {
    fn default() -> Self {
        CheckoutOptions {
            alternates_rel: "../../../mirror.git/objects".into(),
            origin_url_in_sandbox: "/mirror.git".into(),
            user_name: "AnyCode".into(),
            user_email: "anycode@localhost".into(),
            timeout: Duration::from_secs(10 * 60),
        }
    }
}

/// Creates a checkout of `base` (any revision of the mirror) on a new branch `branch` at
/// `workspace` (which must not exist, or be an empty directory) and returns `base`'s sha.
///
/// `git init`, alternates to the mirror's objects (absolute while the host works, then
/// `alternates_rel`), the mirror's `shallow` file if any, the mirror's branches as
/// `refs/remotes/origin/*` and its tags (one `packed-refs` file), origin and user config, then
/// `git checkout -b <branch> <sha>`. On failure the workspace is emptied again.
pub async fn prepare_checkout(
    mirror: &Mirror,
    workspace: &Path,
    base: &str,
    branch: &str,
    opts: &CheckoutOptions,
) -> Result<String, GitError> {
    validate_branch_name(branch)?;
    check_options(opts)?;
    let sha = mirror
        .resolve(base)
        .await?
        .ok_or_else(|| GitError::InvalidRef(format!("unknown revision `{base}`")))?;
    let created = claim_workspace(workspace).await?;
    let result = fill(mirror, workspace, &sha, branch, opts).await;
    if result.is_err() {
        let _ = empty_workspace(workspace, created).await;
    }
    result.map(|()| sha)
}

fn check_options(opts: &CheckoutOptions) -> Result<(), GitError> {
    let bad = |what: &str| GitError::failed("checkout", format!("invalid {what}"));
    let rel = &opts.alternates_rel;
    if rel.is_empty() || rel.starts_with('/') || rel.contains(['\n', '\r', '\0']) {
        return Err(bad("alternates path (must be relative)"));
    }
    let origin = &opts.origin_url_in_sandbox;
    if origin.is_empty() || origin.starts_with('-') || origin.chars().any(char::is_control) {
        return Err(bad("origin URL"));
    }
    for (what, value) in [
        ("user name", &opts.user_name),
        ("user email", &opts.user_email),
    ] {
        if value.is_empty() || value.chars().any(char::is_control) || value.contains(['<', '>']) {
            return Err(bad(what));
        }
    }
    Ok(())
}

/// Makes sure `workspace` is an empty directory we may fill; `true` if we created it.
async fn claim_workspace(workspace: &Path) -> Result<bool, GitError> {
    match tokio::fs::symlink_metadata(workspace).await {
        Ok(meta) if meta.is_dir() => {
            let mut entries = tokio::fs::read_dir(workspace)
                .await
                .map_err(|e| GitError::io(format!("cannot read {}", workspace.display()), e))?;
            let first = entries
                .next_entry()
                .await
                .map_err(|e| GitError::io(format!("cannot read {}", workspace.display()), e))?;
            if first.is_some() {
                return Err(GitError::AlreadyExists(format!(
                    "{} is not empty",
                    workspace.display()
                )));
            }
            Ok(false)
        }
        Ok(_) => Err(GitError::AlreadyExists(format!(
            "{} exists and is not a directory",
            workspace.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tokio::fs::create_dir_all(workspace)
                .await
                .map_err(|e| GitError::io(format!("cannot create {}", workspace.display()), e))?;
            Ok(true)
        }
        Err(e) => Err(GitError::io(
            format!("cannot stat {}", workspace.display()),
            e,
        )),
    }
}

async fn empty_workspace(workspace: &Path, created: bool) -> std::io::Result<()> {
    if created {
        return tokio::fs::remove_dir_all(workspace).await;
    }
    let mut entries = tokio::fs::read_dir(workspace).await?;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        if entry.file_type().await?.is_dir() {
            tokio::fs::remove_dir_all(&path).await?;
        } else {
            tokio::fs::remove_file(&path).await?;
        }
    }
    Ok(())
}

async fn fill(
    mirror: &Mirror,
    workspace: &Path,
    sha: &str,
    branch: &str,
    opts: &CheckoutOptions,
) -> Result<(), GitError> {
    let io = |what: &str, e: std::io::Error| GitError::io(what, e);
    let workspace = tokio::fs::canonicalize(workspace)
        .await
        .map_err(|e| io("cannot resolve the workspace path", e))?;
    let mirror_dir = tokio::fs::canonicalize(mirror.path())
        .await
        .map_err(|e| GitError::NotFound(format!("mirror {}: {e}", mirror.path().display())))?;
    let git_dir = workspace.join(".git");

    Git::new("init")
        .args(["init", "--quiet", "--template=", "--initial-branch"])
        .arg(branch)
        .arg("--")
        .arg(&workspace)
        .run()
        .await?;

    let info = git_dir.join("objects").join("info");
    tokio::fs::create_dir_all(&info)
        .await
        .map_err(|e| io("cannot create objects/info", e))?;
    let alternates = info.join("alternates");
    let absolute = format!("{}\n", mirror_dir.join("objects").display());
    tokio::fs::write(&alternates, absolute)
        .await
        .map_err(|e| io("cannot write alternates", e))?;

    let shallow = mirror_dir.join("shallow");
    if tokio::fs::try_exists(&shallow).await.unwrap_or(false) {
        tokio::fs::copy(&shallow, git_dir.join("shallow"))
            .await
            .map_err(|e| io("cannot copy the shallow file", e))?;
    }

    tokio::fs::write(git_dir.join("packed-refs"), packed_refs(mirror).await?)
        .await
        .map_err(|e| io("cannot write packed-refs", e))?;

    for (key, value) in [
        ("remote.origin.url", opts.origin_url_in_sandbox.as_str()),
        ("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"),
        ("user.name", opts.user_name.as_str()),
        ("user.email", opts.user_email.as_str()),
    ] {
        Git::new("config")
            .git_dir(&git_dir)
            .args(["config", "--replace-all", key, value])
            .run()
            .await?;
    }

    Git::new("checkout")
        .git_dir(&git_dir)
        .work_tree(&workspace)
        .timeout(opts.timeout)
        .args(["checkout", "--quiet", "--no-track", "-B", branch, sha, "--"])
        .run()
        .await?;

    tokio::fs::write(&alternates, format!("{}\n", opts.alternates_rel))
        .await
        .map_err(|e| io("cannot write alternates", e))?;
    Ok(())
}

/// The mirror's branches as `refs/remotes/origin/*` and its tags, in `packed-refs` format
/// (sorted, no peeled lines: git peels tags on demand).
async fn packed_refs(mirror: &Mirror) -> Result<String, GitError> {
    let out = Git::new("for-each-ref")
        .git_dir(mirror.path())
        .args([
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "refs/heads/",
            "refs/tags/",
        ])
        .run()
        .await?;
    let text = out.stdout_lossy();
    let mut refs: Vec<(String, &str)> = text
        .lines()
        .filter_map(|line| {
            let (sha, name) = line.split_once(' ')?;
            let name = match name.strip_prefix("refs/heads/") {
                Some(branch) => format!("refs/remotes/origin/{branch}"),
                None => name.to_owned(),
            };
            Some((name, sha))
        })
        .collect();
    refs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut file = String::from("# pack-refs with: sorted \n");
    for (name, sha) in refs {
        file.push_str(sha);
        file.push(' ');
        file.push_str(&name);
        file.push('\n');
    }
    Ok(file)
}

/// The absolute path of `<workspace>/.git/objects/<alternates_rel>` as the host would resolve
/// it: where a caller's symlink must make the mirror appear for host tools (e.g. the bench's
/// `git -C <workspace> log`).
pub fn host_alternates_target(workspace: &Path, opts: &CheckoutOptions) -> PathBuf {
    workspace
        .join(".git")
        .join("objects")
        .join(&opts.alternates_rel)
}
