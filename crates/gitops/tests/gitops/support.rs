//! Test helpers: temporary repositories driven by plain `git` (test code plays the user and the
//! sandbox; the code under test is the crate).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs test-side git in `dir` with a clean, fixed identity; panics on failure; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir, args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

pub fn git_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    cmd
}

/// A non-bare repository at `dir/name` on branch `main` with one commit (README.md, src/lib.rs).
pub fn new_repo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    git(&path, &["init", "-q", "-b", "main"]);
    write(&path, "README.md", "# hello\n");
    write(&path, "src/lib.rs", "pub fn one() -> u32 {\n    1\n}\n");
    commit_all(&path, "initial");
    path
}

pub fn write(repo: &Path, file: &str, content: &str) {
    let path = repo.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// `git add -A && git commit`; returns the new HEAD sha.
pub fn commit_all(repo: &Path, message: &str) -> String {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "--no-verify", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Sandbox-style layout: `<root>/data/mirror.git` (clone of `upstream`), and a helper to lay
/// out `<root>/<sb>/workspace` + `<root>/<sb>/mirror.git -> <root>/data/mirror.git`.
pub struct Layout {
    pub root: PathBuf,
    pub mirror: gitops::Mirror,
}

impl Layout {
    pub async fn new(root: &Path, upstream_url: &str) -> Layout {
        let dest = root.join("data").join("mirror.git");
        let mirror = gitops::Mirror::clone_from(upstream_url, &dest, None, &Default::default())
            .await
            .unwrap();
        Layout {
            root: root.to_owned(),
            mirror,
        }
    }

    /// A sandbox directory with the symlink that makes relative alternates resolve on the host.
    pub fn sandbox_dir(&self, name: &str) -> PathBuf {
        let sb = self.root.join(name);
        std::fs::create_dir_all(&sb).unwrap();
        std::os::unix::fs::symlink(self.mirror.path(), sb.join("mirror.git")).unwrap();
        sb
    }

    /// A prepared checkout at `<root>/<name>/workspace` on branch `branch` from `base`.
    pub async fn checkout(&self, name: &str, base: &str, branch: &str) -> PathBuf {
        let ws = self.sandbox_dir(name).join("workspace");
        gitops::prepare_checkout(&self.mirror, &ws, base, branch, &Default::default())
            .await
            .unwrap();
        ws
    }
}

/// Runs an `inside::*` argv in `dir` the way a sandbox's exec API would: (exit code, stdout,
/// stderr).
pub fn run_inside(dir: &Path, argv: &[String]) -> (i32, String, String) {
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An executable `sh` script at `path` that touches `marker`.
pub fn marker_script(path: &Path, marker: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\ntouch '{}'\ncat >/dev/null 2>&1 || true\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Files (not directories) under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Markers present in `dir`.
pub fn markers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
