//! Git plumbing on one bare repository with the host `git` (synchronous: callers run it on a
//! blocking thread). No worktrees: commits are built with a temporary index, merges with
//! `git merge-tree --write-tree`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What the fake's own commits are authored as (when no user is known).
pub const BOT_NAME: &str = "fake-forge";
pub const BOT_EMAIL: &str = "fake-forge@localhost";

pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// A failed git command: the command line and git's stderr.
#[derive(Debug, Clone)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitError {}

pub type Result<T> = std::result::Result<T, GitError>;

/// Who a commit is by: name, email and a date in git's internal format (`<secs> <tz>`).
#[derive(Debug, Clone)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub date: Option<String>,
}

impl Signature {
    pub fn bot() -> Self {
        Signature {
            name: BOT_NAME.to_string(),
            email: BOT_EMAIL.to_string(),
            date: None,
        }
    }

    pub fn user(login: &str) -> Self {
        Signature {
            name: login.to_string(),
            email: format!("{login}@users.noreply.fake-forge"),
            date: None,
        }
    }
}

/// A commit's author and full message.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub author: Signature,
    pub message: String,
}

/// The host `git` with the environment the fake wants: no system or global config (a user's
/// `commit.gpgSign` or hooks path must not leak in), no inherited repository variables.
pub fn command() -> Command {
    let mut cmd = Command::new("git");
    isolate(&mut cmd);
    cmd
}

/// Applies the fake's git environment to any command type with `env`/`env_remove`.
fn isolate(cmd: &mut Command) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0");
}

/// The same environment for `tokio::process` (http-backend).
pub fn isolate_tokio(cmd: &mut tokio::process::Command) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
}

/// One bare repository.
#[derive(Debug, Clone)]
pub struct Bare {
    dir: PathBuf,
}

impl Bare {
    pub fn at(dir: &Path) -> Self {
        Bare {
            dir: dir.to_path_buf(),
        }
    }

    /// `git init --bare` with `default_branch` as HEAD and pushes over HTTP enabled.
    pub fn init(dir: &Path, default_branch: &str) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| GitError(format!("cannot create {}: {e}", dir.display())))?;
        let bare = Bare::at(dir);
        run(command()
            .arg("init")
            .arg("--bare")
            .arg("--quiet")
            .arg(format!("--initial-branch={default_branch}"))
            .arg(dir))?;
        bare.git(&["config", "http.receivepack", "true"])?;
        bare.git(&["config", "receive.denyNonFastForwards", "false"])?;
        Ok(bare)
    }

    fn cmd(&self) -> Command {
        let mut cmd = command();
        cmd.arg("--git-dir").arg(&self.dir);
        cmd
    }

    /// Runs `git <args>`; its trimmed stdout.
    pub fn git(&self, args: &[&str]) -> Result<String> {
        let out = run(self.cmd().args(args))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The commit `rev` names, if any.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        let out = self
            .cmd()
            .args(["rev-parse", "--verify", "--quiet"])
            .arg(format!("{rev}^{{commit}}"))
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    }

    pub fn branch(&self, branch: &str) -> Option<String> {
        self.resolve(&format!("refs/heads/{branch}"))
    }

    /// Every ref (`refs/...`) and the object it points to.
    pub fn refs(&self) -> Result<BTreeMap<String, String>> {
        let out = self.git(&["for-each-ref", "--format=%(refname) %(objectname)"])?;
        Ok(out
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .collect())
    }

    /// Branch names and their commits.
    pub fn branches(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .refs()?
            .into_iter()
            .filter_map(|(r, s)| r.strip_prefix("refs/heads/").map(|b| (b.to_string(), s)))
            .collect())
    }

    pub fn set_head(&self, branch: &str) -> Result<()> {
        self.git(&["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")])
            .map(|_| ())
    }

    /// Commits `files` (path → content) on top of `parent` (or as a root commit) with a
    /// temporary index. Returns the new commit; does not move any ref.
    pub fn commit_files(
        &self,
        parent: Option<&str>,
        files: &[(&str, &str)],
        message: &str,
        author: &Signature,
    ) -> Result<String> {
        let scratch = tempfile::tempdir()
            .map_err(|e| GitError(format!("cannot create a temporary index dir: {e}")))?;
        let index = scratch.path().join("index");
        let with_index = |args: &[&str]| -> Result<String> {
            let out = run(self.cmd().env("GIT_INDEX_FILE", &index).args(args))?;
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        match parent {
            Some(p) => with_index(&["read-tree", p])?,
            None => with_index(&["read-tree", "--empty"])?,
        };
        for (path, content) in files {
            let blob = self.hash_blob(content.as_bytes())?;
            with_index(&[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("100644,{blob},{path}"),
            ])?;
        }
        let tree = with_index(&["write-tree"])?;
        let parents: Vec<&str> = parent.into_iter().collect();
        self.commit_tree(&tree, &parents, message, author, &Signature::bot())
    }

    fn hash_blob(&self, content: &[u8]) -> Result<String> {
        let mut child = self
            .cmd()
            .args(["hash-object", "-w", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| GitError(format!("cannot run git hash-object: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(content)
                .map_err(|e| GitError(format!("git hash-object stdin: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| GitError(format!("git hash-object: {e}")))?;
        check("git hash-object", out).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    }

    /// `git commit-tree` (never signed).
    pub fn commit_tree(
        &self,
        tree: &str,
        parents: &[&str],
        message: &str,
        author: &Signature,
        committer: &Signature,
    ) -> Result<String> {
        let mut cmd = self.cmd();
        cmd.args(["commit-tree", "--no-gpg-sign", tree]);
        for p in parents {
            cmd.args(["-p", p]);
        }
        cmd.args(["-m", message])
            .env("GIT_AUTHOR_NAME", &author.name)
            .env("GIT_AUTHOR_EMAIL", &author.email)
            .env("GIT_COMMITTER_NAME", &committer.name)
            .env("GIT_COMMITTER_EMAIL", &committer.email);
        if let Some(date) = &author.date {
            cmd.env("GIT_AUTHOR_DATE", date);
        }
        let out = run(&mut cmd)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Moves `refname` to `new` if it is still at `old` (`None`: must not exist yet).
    pub fn update_ref(&self, refname: &str, new: &str, old: Option<&str>) -> Result<()> {
        self.git(&["update-ref", refname, new, old.unwrap_or(ZERO_SHA)])
            .map(|_| ())
    }

    pub fn delete_ref(&self, refname: &str, old: &str) -> Result<()> {
        self.git(&["update-ref", "-d", refname, old]).map(|_| ())
    }

    /// The tree of merging `theirs` into `ours` (merge base found by git, or `base` when
    /// given); `None` when it conflicts.
    pub fn merge_tree(
        &self,
        base: Option<&str>,
        ours: &str,
        theirs: &str,
    ) -> Result<Option<String>> {
        let mut cmd = self.cmd();
        cmd.args(["merge-tree", "--write-tree", "--no-messages"]);
        if let Some(base) = base {
            cmd.arg(format!("--merge-base={base}"));
        }
        cmd.args([ours, theirs]);
        let out = cmd
            .output()
            .map_err(|e| GitError(format!("cannot run git merge-tree: {e}")))?;
        let tree = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        match out.status.code() {
            Some(0) => Ok(Some(tree)),
            Some(1) => Ok(None),
            _ => Err(GitError(format!(
                "git merge-tree {ours} {theirs}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))),
        }
    }

    /// Commits in `head` not in `base`, oldest first (merges left out).
    pub fn commits_between(&self, base: &str, head: &str) -> Result<Vec<String>> {
        let out = self.git(&[
            "rev-list",
            "--reverse",
            "--no-merges",
            &format!("{base}..{head}"),
        ])?;
        Ok(out.lines().map(str::to_string).collect())
    }

    /// Whether `head` has commits `base` lacks (merges included).
    pub fn is_ahead(&self, base: &str, head: &str) -> Result<bool> {
        let n = self.git(&["rev-list", "--count", &format!("{base}..{head}")])?;
        Ok(n.trim() != "0")
    }

    pub fn has_merge_base(&self, a: &str, b: &str) -> bool {
        self.cmd()
            .args(["merge-base", a, b])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    pub fn commit_info(&self, sha: &str) -> Result<CommitInfo> {
        let out = self.git(&[
            "log",
            "-1",
            "--date=raw",
            "--format=%an%x00%ae%x00%ad%x00%B",
            sha,
        ])?;
        let mut parts = out.splitn(4, '\0');
        let mut next = || parts.next().unwrap_or_default().to_string();
        let (name, email, date, message) = (next(), next(), next(), next());
        Ok(CommitInfo {
            author: Signature {
                name,
                email,
                date: Some(date),
            },
            message: message.trim_end().to_string(),
        })
    }

    /// The first parent of `sha`, if any.
    pub fn parent(&self, sha: &str) -> Option<String> {
        self.resolve(&format!("{sha}^1"))
    }

    /// The subject line of `sha`.
    pub fn subject(&self, sha: &str) -> Result<String> {
        self.git(&["log", "-1", "--format=%s", sha])
    }
}

fn run(cmd: &mut Command) -> Result<Output> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GitError(format!("cannot run git: {e}")))?;
    check(&format!("{cmd:?}"), out)
}

fn check(what: &str, out: Output) -> Result<Output> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(GitError(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
