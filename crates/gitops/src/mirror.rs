//! [`Mirror`]: the host's bare copy of one repository.
//!
//! A mirror is created by [`Mirror::clone_from`] and only ever grows: [`Mirror::fetch`] updates
//! `refs/heads/*` and `refs/tags/*` from origin without pruning, harvested sandbox work lands in
//! `refs/anycode/*` ([`Mirror::fetch_bundle`]), and gc is off — sandbox checkouts borrow its
//! objects through alternates, so nothing may ever be deleted from it. Sandboxes see it mounted
//! read-only; only the host writes it, and only through [`crate::runner`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::HttpAuth;
use crate::bundle;
use crate::diff::{parse_patch, parse_raw_numstat, FileDiff, FileStat, FileStatus};
use crate::error::{classify, trim_message, GitError};
use crate::inside::is_sha;
use crate::refname::{validate_branch_name, validate_full_ref};
use crate::runner::Git;

/// Default timeout of [`Mirror::fetch`] and [`Mirror::push`].
pub const DEFAULT_NETWORK_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Options of [`Mirror::clone_from`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneOptions {
    /// Only this branch (HEAD points to it); `None`: every branch, HEAD as on the remote.
    pub branch: Option<String>,
    /// Shallow: this many commits of history per branch.
    pub depth: Option<u32>,
    /// The whole clone, network included.
    pub timeout: Duration,
}

impl Default for CloneOptions {
    fn default() -> Self {
        CloneOptions {
            branch: None,
            depth: None,
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// A branch of the mirror.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BranchInfo {
    pub name: String,
    pub sha: String,
    pub subject: String,
    /// Committer date, Unix seconds.
    pub committed_at: i64,
}

/// One commit of [`Mirror::log`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    pub sha: String,
    pub subject: String,
    pub body: String,
    pub author_name: String,
    pub author_email: String,
    /// Committer date, Unix seconds.
    pub committed_at: i64,
}

/// The result of [`Mirror::merge_check`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MergeCheck {
    /// `head` merges into `base` without conflicts.
    pub clean: bool,
    /// Paths with conflicts (empty when clean).
    pub conflicts: Vec<String>,
}

/// A bare mirror repository on the host.
#[derive(Debug, Clone)]
pub struct Mirror {
    path: PathBuf,
    network_timeout: Duration,
}

/// fsck findings in upstream history that are cosmetic (old tools wrote such commits; GitHub
/// hosts repositories that have them): warnings, not refusals, when cloning or fetching from
/// origin. Everything else — `.gitmodules` and `.git` path tricks included — stays an error.
/// Bundles from sandboxes get no such leniency.
const UPSTREAM_FSCK_LENIENCY: &[&str] = &[
    "fetch.fsck.badTimezone=warn",
    "fetch.fsck.badDate=warn",
    "fetch.fsck.zeroPaddedDate=warn",
    "fetch.fsck.missingSpaceBeforeDate=warn",
    "fetch.fsck.missingSpaceBeforeEmail=warn",
    "fetch.fsck.missingEmail=warn",
    "fetch.fsck.badEmail=warn",
    "fetch.fsck.missingNameBeforeEmail=warn",
    "fetch.fsck.zeroPaddedFilemode=ignore",
    "fetch.fsck.badFilemode=warn",
];

const REFS_HEADS: &str = "+refs/heads/*:refs/heads/*";
const REFS_TAGS: &str = "+refs/tags/*:refs/tags/*";
/// Longest commit body kept by [`Mirror::log`].
const MAX_BODY: usize = 64 * 1024;

impl Mirror {
    /// The mirror at `path` (not checked; operations fail with [`GitError::NotFound`] if there
    /// is none).
    pub fn at(path: impl Into<PathBuf>) -> Mirror {
        Mirror {
            path: path.into(),
            network_timeout: DEFAULT_NETWORK_TIMEOUT,
        }
    }

    /// The timeout of [`Mirror::fetch`] and [`Mirror::push`].
    pub fn with_network_timeout(mut self, timeout: Duration) -> Mirror {
        self.network_timeout = timeout;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn git(&self, op: &'static str) -> Git<'static> {
        Git::new(op).git_dir(&self.path)
    }

    /// Clones `url` into a new mirror at `dest` (which must not exist): a bare clone into a
    /// private temporary directory beside `dest`, configured, then renamed into place — a failed
    /// or interrupted clone leaves nothing at `dest`. `auth` is used for this command only and
    /// never stored; a password in `url` is not stored either (the recorded origin has it
    /// removed). gc is disabled in the mirror for good.
    pub async fn clone_from(
        url: &str,
        dest: &Path,
        auth: Option<&HttpAuth>,
        opts: &CloneOptions,
    ) -> Result<Mirror, GitError> {
        check_url(url)?;
        if let Some(branch) = &opts.branch {
            validate_branch_name(branch)?;
        }
        if opts.depth == Some(0) {
            return Err(GitError::failed("clone", "depth must be at least 1"));
        }
        if tokio::fs::symlink_metadata(dest).await.is_ok() {
            return Err(GitError::AlreadyExists(format!(
                "{} already exists",
                dest.display()
            )));
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| GitError::io(format!("cannot create {}", parent.display()), e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".mirror-clone-")
            .tempdir_in(&parent)
            .map_err(|e| {
                GitError::io(
                    format!(
                        "cannot create a temporary directory in {}",
                        parent.display()
                    ),
                    e,
                )
            })?;
        let staged = tmp.path().join("mirror.git");

        let mut clone = Git::new("clone")
            .configs(UPSTREAM_FSCK_LENIENCY)
            .network()
            .timeout(opts.timeout)
            .auth(auth, url)
            .args(["clone", "--bare", "--quiet", "--template="]);
        if let Some(branch) = &opts.branch {
            clone = clone.args(["--single-branch", "--branch", branch]);
        } else if opts.depth.is_some() {
            clone = clone.arg("--no-single-branch");
        }
        if let Some(depth) = opts.depth {
            clone = clone.arg(format!("--depth={depth}"));
        }
        clone.arg("--").arg(url).arg(&staged).run().await?;

        let staged_mirror = Mirror::at(&staged);
        let fetch_spec = match &opts.branch {
            Some(b) => format!("+refs/heads/{b}:refs/heads/{b}"),
            None => REFS_HEADS.to_owned(),
        };
        let stored_url = without_password(url);
        for (key, value) in [
            ("remote.origin.url", stored_url.as_str()),
            ("remote.origin.fetch", fetch_spec.as_str()),
            ("remote.origin.prune", "false"),
            ("remote.origin.mirror", "false"),
            ("gc.auto", "0"),
            ("gc.pruneExpire", "never"),
            ("gc.reflogExpire", "never"),
            ("maintenance.auto", "false"),
            ("receive.autogc", "false"),
            ("fetch.prune", "false"),
            ("core.logAllRefUpdates", "false"),
        ] {
            staged_mirror.set_config(key, value).await?;
        }
        if let Some(branch) = &opts.branch {
            staged_mirror
                .git("symbolic-ref")
                .args(["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")])
                .run()
                .await?;
        }
        tokio::fs::rename(&staged, dest).await.map_err(|e| {
            GitError::io(
                format!("cannot move the new mirror to {}", dest.display()),
                e,
            )
        })?;
        drop(tmp);
        Ok(Mirror::at(dest))
    }

    async fn set_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        self.git("config")
            .args(["config", "--replace-all", key, value])
            .run()
            .await?;
        Ok(())
    }

    async fn get_config_all(&self, key: &str) -> Result<Vec<String>, GitError> {
        let out = self
            .git("config")
            .args(["config", "--get-all", key])
            .output()
            .await?;
        match out.code {
            Some(0) => Ok(out.stdout_lossy().lines().map(str::to_owned).collect()),
            Some(1) => Ok(Vec::new()), // not set
            _ => Err(classify("config", &out.stderr)),
        }
    }

    async fn origin_url(&self) -> Result<String, GitError> {
        self.get_config_all("remote.origin.url")
            .await?
            .pop()
            .ok_or_else(|| GitError::failed("fetch", "the mirror has no origin URL"))
    }

    /// Fetches branches and tags from origin into `refs/heads/*` and `refs/tags/*`
    /// (force-updated, never pruned: branches deleted upstream stay). `refs/anycode/*` is never
    /// touched. A single-branch mirror fetches its branch and the tags on it.
    pub async fn fetch(&self, auth: Option<&HttpAuth>) -> Result<(), GitError> {
        let url = self.origin_url().await?;
        let mut specs: Vec<String> = self
            .get_config_all("remote.origin.fetch")
            .await?
            .into_iter()
            .filter(|spec| {
                let dst = spec.rsplit(':').next().unwrap_or("");
                dst.starts_with("refs/heads/") || dst.starts_with("refs/tags/")
            })
            .collect();
        if specs.is_empty() {
            specs.push(REFS_HEADS.to_owned());
        }
        if specs.iter().any(|s| s == REFS_HEADS) {
            specs.push(REFS_TAGS.to_owned());
        }
        self.git("fetch")
            .configs(UPSTREAM_FSCK_LENIENCY)
            .network()
            .timeout(self.network_timeout)
            .auth(auth, &url)
            .args([
                "fetch",
                "--quiet",
                "--no-prune",
                "--update-head-ok",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "origin",
            ])
            .args(&specs)
            .run()
            .await?;
        Ok(())
    }

    /// The branch HEAD points to (the remote's default branch at clone time).
    pub async fn default_branch(&self) -> Result<String, GitError> {
        let out = self
            .git("symbolic-ref")
            .args(["symbolic-ref", "-q", "HEAD"])
            .run()
            .await?;
        let full = out.stdout_lossy();
        let full = full.trim();
        Ok(full.strip_prefix("refs/heads/").unwrap_or(full).to_owned())
    }

    /// Branches (`refs/heads/*`), most recently committed first.
    pub async fn branches(&self) -> Result<Vec<BranchInfo>, GitError> {
        let out = self
            .git("for-each-ref")
            .args([
                "for-each-ref",
                "--sort=-committerdate",
                "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(contents:subject)%00",
                "refs/heads/",
            ])
            .run()
            .await?;
        let text = out.stdout_lossy();
        let mut fields = text.split('\0');
        let mut branches = Vec::new();
        while let (Some(name), Some(sha), Some(date), Some(subject)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        {
            let name = name.trim_start_matches('\n');
            let Some(short) = name.strip_prefix("refs/heads/") else {
                continue;
            };
            branches.push(BranchInfo {
                name: short.to_owned(),
                sha: sha.to_owned(),
                subject: subject.to_owned(),
                committed_at: date.trim().parse().unwrap_or(0),
            });
        }
        Ok(branches)
    }

    /// The full sha of the commit `rev` names, `None` if there is none.
    pub async fn resolve(&self, rev: &str) -> Result<Option<String>, GitError> {
        check_rev(rev)?;
        let out = self
            .git("rev-parse")
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{rev}^{{commit}}"))
            .output()
            .await?;
        if out.success() {
            let sha = out.stdout_lossy().trim().to_owned();
            return Ok(is_sha(&sha).then_some(sha));
        }
        if out.stderr.trim().is_empty() {
            Ok(None)
        } else {
            Err(classify("rev-parse", &out.stderr))
        }
    }

    async fn resolve_required(&self, rev: &str) -> Result<String, GitError> {
        self.resolve(rev)
            .await?
            .ok_or_else(|| GitError::InvalidRef(format!("unknown revision `{}`", shown(rev))))
    }

    /// Creates `refs/heads/<name>` at the commit `from` names and returns its sha.
    /// [`GitError::InvalidRef`] if the name is invalid or `from` unknown,
    /// [`GitError::AlreadyExists`] if the branch exists.
    pub async fn create_branch(&self, name: &str, from: &str) -> Result<String, GitError> {
        validate_branch_name(name)?;
        let sha = self.resolve_required(from).await?;
        let refname = format!("refs/heads/{name}");
        let out = self
            .git("update-ref")
            .args([
                "update-ref",
                "-m",
                "anycode: create branch",
                &refname,
                &sha,
                "",
            ])
            .output()
            .await?;
        if out.success() {
            return Ok(sha);
        }
        if out.stderr.contains("already exists") || out.stderr.contains("exists; cannot create") {
            return Err(GitError::AlreadyExists(format!(
                "branch `{name}` already exists"
            )));
        }
        Err(classify("update-ref", &out.stderr))
    }

    /// Pushes the mirror's `src_ref` (e.g. `refs/anycode/sandboxes/<id>`, or a sha) to origin
    /// as `refs/heads/<branch>`. [`GitError::NonFastForward`] when rejected and not `force`.
    pub async fn push(
        &self,
        src_ref: &str,
        branch: &str,
        auth: Option<&HttpAuth>,
        force: bool,
    ) -> Result<(), GitError> {
        validate_branch_name(branch)?;
        if src_ref.contains(':') || src_ref.starts_with('+') {
            return Err(GitError::InvalidRef(format!(
                "`{}` is not a ref",
                shown(src_ref)
            )));
        }
        self.resolve_required(src_ref).await?;
        let url = self.origin_url().await?;
        let spec = format!(
            "{}{src_ref}:refs/heads/{branch}",
            if force { "+" } else { "" }
        );
        let out = self
            .git("push")
            .network()
            .timeout(self.network_timeout)
            .auth(auth, &url)
            .args([
                "push",
                "--porcelain",
                "--no-verify",
                "--no-signed",
                "--no-recurse-submodules",
                "origin",
            ])
            .arg(&spec)
            .output()
            .await?;
        if out.success() {
            return Ok(());
        }
        // `--porcelain` puts the per-ref verdict (`!  src:dst  [rejected] (fetch first)`) on
        // stdout; the hints are on stderr.
        let text = format!("{}\n{}", out.stdout_lossy(), out.stderr);
        Err(classify("push", &text))
    }

    /// Imports the commits of a bundle a sandbox wrote (see [`crate::inside::bundle`]) as
    /// `target_ref` (e.g. `refs/anycode/sandboxes/<id>`) and returns its sha.
    ///
    /// The bundle is untrusted: it is opened without following a symlink (last path component;
    /// keep it directly in a directory the sandbox cannot swap, such as the workspace root or
    /// its `.git`), must be a regular file under the size cap, and is copied into a private
    /// temporary file first; then its header is checked (signature, no filter, a `HEAD` ref),
    /// `git bundle verify` checks its prerequisites against the mirror, its pack is indexed in a
    /// quarantine directory with `--strict` (fsck + connectivity), and only then is it fetched
    /// as `+HEAD:<target_ref>`.
    pub async fn fetch_bundle(&self, bundle: &Path, target_ref: &str) -> Result<String, GitError> {
        validate_full_ref(target_ref)?;
        let parent = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".bundle-")
            .tempdir_in(parent)
            .map_err(|e| GitError::io("cannot create a temporary directory", e))?;
        let copy = tmp.path().join("incoming.bundle");
        bundle::copy_untrusted(bundle, &copy).await?;
        let header = bundle::read_header(&copy).await?;
        let head = header
            .head()
            .ok_or_else(|| GitError::failed("bundle", "the bundle has no HEAD ref"))?
            .to_owned();

        let verify = self
            .git("bundle verify")
            .args(["bundle", "verify", "--quiet"])
            .arg(&copy)
            .output()
            .await?;
        if !verify.success() {
            return Err(GitError::failed(
                "bundle verify",
                trim_message(&verify.stderr),
            ));
        }

        // fsck in quarantine: the pack is indexed into a throw-away object directory that
        // borrows the mirror's objects (to complete the thin pack), with --strict.
        let quarantine = tmp.path().join("objects");
        tokio::fs::create_dir_all(quarantine.join("pack"))
            .await
            .map_err(|e| GitError::io("cannot create the quarantine", e))?;
        let mut pack = std::fs::File::open(&copy)
            .map_err(|e| GitError::io("cannot open the bundle copy", e))?;
        std::io::Seek::seek(&mut pack, std::io::SeekFrom::Start(header.pack_offset))
            .map_err(|e| GitError::io("cannot read the bundle copy", e))?;
        let objects = std::path::absolute(self.path.join("objects"))
            .map_err(|e| GitError::io("cannot resolve the mirror's path", e))?;
        let index = self
            .git("index-pack")
            .env("GIT_OBJECT_DIRECTORY", &quarantine)
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &objects)
            .args(["index-pack", "--stdin", "--fix-thin", "--strict"])
            .stdin_file(pack)
            .timeout(Duration::from_secs(30 * 60))
            .output()
            .await?;
        if !index.success() {
            return Err(GitError::failed("index-pack", trim_message(&index.stderr)));
        }

        self.git("fetch")
            .timeout(Duration::from_secs(30 * 60))
            .args([
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
            ])
            .arg(&copy)
            .arg(format!("+HEAD:{target_ref}"))
            .run()
            .await?;
        let got = self.resolve_required(target_ref).await?;
        if got != head {
            return Err(GitError::failed(
                "fetch",
                format!("{target_ref} is at {got}, the bundle's HEAD is {head}"),
            ));
        }
        Ok(got)
    }

    /// Would `head` merge cleanly into `base`? `git merge-tree --write-tree` (no work tree; the
    /// result tree is written into the mirror and otherwise ignored).
    pub async fn merge_check(&self, base: &str, head: &str) -> Result<MergeCheck, GitError> {
        let base = self.resolve_required(base).await?;
        let head = self.resolve_required(head).await?;
        let out = self
            .git("merge-tree")
            .args([
                "merge-tree",
                "--write-tree",
                "--name-only",
                "--no-messages",
                "-z",
                &base,
                &head,
            ])
            .output()
            .await?;
        match out.code {
            Some(0) => Ok(MergeCheck {
                clean: true,
                conflicts: Vec::new(),
            }),
            Some(1) => {
                let text = out.stdout_lossy();
                let mut conflicts: Vec<String> = Vec::new();
                // `<tree>\0<path>\0<path>\0…` (then an empty informational section).
                for path in text.split('\0').skip(1).filter(|p| !p.is_empty()) {
                    if !conflicts.iter().any(|c| c == path) {
                        conflicts.push(path.to_owned());
                    }
                }
                Ok(MergeCheck {
                    clean: false,
                    conflicts,
                })
            }
            _ => Err(classify("merge-tree", &out.stderr)),
        }
    }

    /// Commits in `head` not in `base` (`base..head`), newest first, at most `max`.
    pub async fn log(
        &self,
        base: &str,
        head: &str,
        max: usize,
    ) -> Result<Vec<CommitInfo>, GitError> {
        let base = self.resolve_required(base).await?;
        let head = self.resolve_required(head).await?;
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .git("log")
            .args([
                "log",
                "-z",
                "--no-decorate",
                "--no-color",
                "--format=%H%x00%an%x00%ae%x00%ct%x00%s%x00%b",
                &format!("--max-count={max}"),
                "--end-of-options",
                &format!("{base}..{head}"),
                "--",
            ])
            .run()
            .await?;
        let text = out.stdout_lossy();
        let tokens: Vec<&str> = text.split('\0').collect();
        let mut commits = Vec::new();
        let mut i = 0;
        while i + 6 <= tokens.len() && commits.len() < max {
            let sha = tokens[i].trim_start_matches('\n');
            if !is_sha(sha) {
                i += 1; // a NUL inside a message: resynchronise on the next sha
                continue;
            }
            let mut body = tokens[i + 5].trim_end().to_owned();
            if body.len() > MAX_BODY {
                let mut end = MAX_BODY;
                while !body.is_char_boundary(end) {
                    end -= 1;
                }
                body.truncate(end);
            }
            commits.push(CommitInfo {
                sha: sha.to_owned(),
                author_name: tokens[i + 1].to_owned(),
                author_email: tokens[i + 2].to_owned(),
                committed_at: tokens[i + 3].parse().unwrap_or(0),
                subject: tokens[i + 4].to_owned(),
                body,
            });
            i += 6;
        }
        Ok(commits)
    }

    /// Files changed on `head` since it forked from `base` (`base...head`: against their merge
    /// base), with line counts and rename detection.
    pub async fn diff_files(&self, base: &str, head: &str) -> Result<Vec<FileStat>, GitError> {
        let range = self.three_dot(base, head).await?;
        let out = self
            .git("diff")
            .args([
                "diff",
                "--raw",
                "--numstat",
                "-z",
                "-M",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
            ])
            .args(["--end-of-options", &range, "--"])
            .run()
            .await?;
        if out.truncated {
            return Err(GitError::failed("diff", "too many changed files"));
        }
        Ok(parse_raw_numstat(&out.stdout_lossy()))
    }

    /// The patch of one file of [`Mirror::diff_files`] (`path` is its new path, or its old one),
    /// at most `max_lines` lines (`truncated` then). A file that did not change gives a diff
    /// without hunks.
    pub async fn diff_file(
        &self,
        base: &str,
        head: &str,
        path: &str,
        max_lines: usize,
    ) -> Result<FileDiff, GitError> {
        check_path(path)?;
        let range = self.three_dot(base, head).await?;
        let files = self.diff_files(base, head).await?;
        let Some(stat) = files
            .iter()
            .find(|f| f.path == path || f.old_path.as_deref() == Some(path))
        else {
            return Ok(FileDiff {
                path: path.to_owned(),
                old_path: None,
                status: FileStatus::Modified,
                binary: false,
                hunks: Vec::new(),
                truncated: false,
            });
        };
        let mut paths = vec![stat.path.clone()];
        paths.extend(stat.old_path.clone());
        let cap = max_lines
            .saturating_mul(1024)
            .saturating_add(1024 * 1024)
            .min(64 * 1024 * 1024);
        let out = self
            .git("diff")
            .args([
                "diff",
                "-M",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                "--end-of-options",
                &range,
                "--",
            ])
            .args(&paths)
            .max_stdout(cap)
            .run()
            .await?;
        let parsed = parse_patch(&out.stdout_lossy(), max_lines);
        let mut diff = parsed
            .into_iter()
            .find(|f| f.path == stat.path)
            .unwrap_or_else(|| FileDiff {
                path: stat.path.clone(),
                old_path: stat.old_path.clone(),
                status: stat.status,
                binary: stat.binary,
                hunks: Vec::new(),
                truncated: false,
            });
        diff.truncated |= out.truncated;
        Ok(diff)
    }

    async fn three_dot(&self, base: &str, head: &str) -> Result<String, GitError> {
        let base = self.resolve_required(base).await?;
        let head = self.resolve_required(head).await?;
        Ok(format!("{base}...{head}"))
    }

    /// Paths of the files in the tree of `rev` (`ls-tree -r`), at most `max`.
    pub async fn list_files(&self, rev: &str, max: usize) -> Result<Vec<String>, GitError> {
        let sha = self.resolve_required(rev).await?;
        let cap = max.saturating_mul(4097).clamp(4097, 512 * 1024 * 1024);
        let out = self
            .git("ls-tree")
            .args(["ls-tree", "-r", "-z", "--name-only", "--full-tree", &sha])
            .max_stdout(cap)
            .run()
            .await?;
        let text = out.stdout_lossy();
        let mut parts: Vec<&str> = text.split('\0').collect();
        parts.pop(); // after the last NUL: empty, or a path cut by the cap
        Ok(parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .take(max)
            .map(str::to_owned)
            .collect())
    }

    /// The content of `path` at `rev`, at most `max_bytes` (longer files are cut); `None` if
    /// there is no such file (or it is a directory).
    pub async fn read_file(
        &self,
        rev: &str,
        path: &str,
        max_bytes: usize,
    ) -> Result<Option<Vec<u8>>, GitError> {
        check_path(path)?;
        let sha = self.resolve_required(rev).await?;
        let out = self
            .git("cat-file")
            .args(["cat-file", "--batch"])
            .stdin(format!("{sha}:{path}\n").into_bytes())
            .max_stdout(max_bytes.saturating_add(256))
            .run()
            .await?;
        let stdout = out.stdout;
        let Some(nl) = stdout.iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let header = String::from_utf8_lossy(&stdout[..nl]);
        let mut fields = header.split(' ');
        let (Some(_oid), Some(kind), Some(size)) = (fields.next(), fields.next(), fields.next())
        else {
            return Ok(None); // `<spec> missing`
        };
        if kind != "blob" {
            return Ok(None);
        }
        let size: usize = size.parse().unwrap_or(0);
        let body = &stdout[nl + 1..];
        let len = size.min(max_bytes).min(body.len());
        Ok(Some(body[..len].to_vec()))
    }
}

/// A URL git may be given: not empty, not an option, no control characters, no
/// remote-helper syntax (`ext::…`).
fn check_url(url: &str) -> Result<(), GitError> {
    if url.is_empty()
        || url.starts_with('-')
        || url.chars().any(|c| c.is_control())
        || url.contains("::")
    {
        return Err(GitError::InvalidSource(format!(
            "`{}` is not a URL git may clone",
            shown(url)
        )));
    }
    Ok(())
}

/// `url` without the secret part of its user info: `https://user:pw@h/x` → `https://user@h/x`,
/// `https://token@h/x` → `https://h/x` (GitHub accepts a token as the user name);
/// `ssh://git@h/x` is kept.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let keep = match userinfo.split_once(':') {
        Some((user, _)) => Some(user),
        None if scheme.contains("ssh") || userinfo == "git" => Some(userinfo),
        None => None,
    };
    match keep {
        Some(user) => format!("{scheme}://{user}@{host}{path}"),
        None => format!("{scheme}://{host}{path}"),
    }
}

/// A revision git may be given: not an option, no control characters, bounded.
fn check_rev(rev: &str) -> Result<(), GitError> {
    if rev.is_empty()
        || rev.starts_with('-')
        || rev.len() > 1024
        || rev.chars().any(|c| c.is_control())
    {
        return Err(GitError::InvalidRef(format!(
            "`{}` is not a revision",
            shown(rev)
        )));
    }
    Ok(())
}

/// A repository path: relative, no NUL or newline, no `..`/`.` components.
fn check_path(path: &str) -> Result<(), GitError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains(['\0', '\n'])
        || path
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty());
    if bad {
        return Err(GitError::InvalidRef(format!(
            "`{}` is not a repository path",
            shown(path)
        )));
    }
    Ok(())
}

fn shown(text: &str) -> String {
    let escaped: String = text.chars().flat_map(char::escape_default).collect();
    match escaped.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &escaped[..at]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_urls_carry_no_password() {
        let cases = [
            (
                "https://x-access-token:ghp_1@github.com/a/b.git",
                "https://x-access-token@github.com/a/b.git",
            ),
            (
                "https://ghp_1@github.com/a/b.git",
                "https://github.com/a/b.git",
            ),
            ("https://github.com/a/b.git", "https://github.com/a/b.git"),
            ("ssh://git@host/x.git", "ssh://git@host/x.git"),
            ("git@github.com:a/b.git", "git@github.com:a/b.git"),
            ("/srv/x.git", "/srv/x.git"),
        ];
        for (url, want) in cases {
            assert_eq!(without_password(url), want);
        }
    }

    #[test]
    fn inputs_that_could_be_options_are_refused() {
        assert!(check_url("--upload-pack=touch /tmp/x").is_err());
        assert!(check_url("ext::sh -c touch% /tmp/x").is_err());
        assert!(check_rev("--output=/tmp/x").is_err());
        assert!(check_rev("main\n").is_err());
        assert!(check_rev("a\u{0}b").is_err());
        assert!(check_rev("HEAD~2").is_ok());
        assert!(check_path("../etc/passwd").is_err());
        assert!(check_path("/etc/passwd").is_err());
        assert!(check_path("a//b").is_err());
        assert!(check_path("src/main.rs").is_ok());
    }
}
