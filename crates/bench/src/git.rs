//! **git** — what importing a repository and preparing a sandbox checkout cost, on a generated
//! repository (`--git-files` files, `--git-commits` commits, each commit after the first
//! touching a few files), made once with `git fast-import` and cached in `--git-repo-dir`.
//!
//! Each of `--git-runs` rounds measures, on the same machine and file system:
//! - **import** — `gitops::Mirror::clone_from(file://…)` against plain `git clone --bare
//!   --no-local file://…` (same transfer; ours adds fsck and configuration) and against a full
//!   `git clone --no-local` (what importing without a mirror would cost);
//! - **new sandbox checkout** — `gitops::prepare_checkout` from that mirror against a fresh full
//!   `git clone --no-local file://…` (what a sandbox would cost without a mirror) and against
//!   `git clone --shared` from the mirror (the cheapest git-native way to share objects, which
//!   `prepare_checkout` should match), and the checkout's `.git` size against the full clone's.
//!
//! Every step starts after a `sync`. Medians are reported. Baseline git runs with `GIT_CONFIG_GLOBAL=/dev/null` and
//! `GIT_CONFIG_NOSYSTEM=1`, like gitops' own runner, so the user's config does not skew them.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use serde_json::{json, Value};

use crate::report::{check, cpus, load_average, percentile, row, table, targets_json, Row};

pub struct Options<'a> {
    pub repo_dir: &'a Path,
    pub files: usize,
    pub commits: usize,
    pub runs: usize,
}

pub struct GitReport {
    load: (f64, f64),
    files: usize,
    commits: usize,
    source_bytes: u64,
    generated_s: Option<f64>,
    bare_clone: Vec<f64>,
    import: Vec<f64>,
    full_clone: Vec<f64>,
    shared_clone: Vec<f64>,
    checkout: Vec<f64>,
    full_git_bytes: u64,
    checkout_git_bytes: u64,
    checkout_objects: usize,
    mirror_bytes: u64,
}

pub async fn run(opts: &Options<'_>) -> anyhow::Result<GitReport> {
    ensure!(
        opts.files > 0 && opts.commits > 0 && opts.runs > 0,
        "--git-files, --git-commits and --git-runs must be positive"
    );
    let load_before = load_average();
    eprintln!(
        "git: {} (git {})",
        opts.repo_dir.display(),
        gitops::version().await?
    );
    let (source, generated_s) = source_repo(opts.repo_dir, opts.files, opts.commits)?;
    let url = format!("file://{}", source.display());
    let source_bytes = dir_bytes(&source);

    let mut report = GitReport {
        load: (load_before, f64::NAN),
        files: opts.files,
        commits: opts.commits,
        source_bytes,
        generated_s,
        bare_clone: Vec::new(),
        import: Vec::new(),
        full_clone: Vec::new(),
        shared_clone: Vec::new(),
        checkout: Vec::new(),
        full_git_bytes: 0,
        checkout_git_bytes: 0,
        checkout_objects: 0,
        mirror_bytes: 0,
    };
    for round in 1..=opts.runs {
        eprintln!("git: round {round}/{}…", opts.runs);
        let scratch = tempfile::Builder::new()
            .prefix("round-")
            .tempdir_in(opts.repo_dir)
            .context("scratch directory")?;
        let dir = scratch.path();

        settle();
        let started = Instant::now();
        git(
            dir,
            &["clone", "-q", "--bare", "--no-local", &url, "bare.git"],
        )?;
        report.bare_clone.push(secs(started.elapsed()));

        let mirror_path = dir.join("data").join("mirror.git");
        settle();
        let started = Instant::now();
        let mirror =
            gitops::Mirror::clone_from(&url, &mirror_path, None, &gitops::CloneOptions::default())
                .await
                .context("Mirror::clone_from")?;
        report.import.push(secs(started.elapsed()));

        settle();
        let started = Instant::now();
        git(dir, &["clone", "-q", "--no-local", &url, "full"])?;
        report.full_clone.push(secs(started.elapsed()));

        settle();
        let started = Instant::now();
        let mirror_arg = mirror_path.to_str().context("path")?;
        git(dir, &["clone", "-q", "--shared", mirror_arg, "shared"])?;
        report.shared_clone.push(secs(started.elapsed()));

        let sandbox = dir.join("sb");
        std::fs::create_dir_all(&sandbox)?;
        std::os::unix::fs::symlink(&mirror_path, sandbox.join("mirror.git"))?;
        let workspace = sandbox.join("workspace");
        settle();
        let started = Instant::now();
        gitops::prepare_checkout(
            &mirror,
            &workspace,
            "main",
            "anycode/bench",
            &gitops::CheckoutOptions::default(),
        )
        .await
        .context("prepare_checkout")?;
        report.checkout.push(secs(started.elapsed()));

        // Same work tree, same history reachable (through the relative alternates).
        let count = |repo: &Path| git(repo, &["rev-list", "--count", "HEAD"]);
        ensure!(
            count(&workspace)? == count(&dir.join("full"))?,
            "the checkout's history differs from the clone's"
        );
        report.full_git_bytes = dir_bytes(&dir.join("full").join(".git"));
        report.checkout_git_bytes = dir_bytes(&workspace.join(".git"));
        report.checkout_objects = object_files(&workspace.join(".git").join("objects"));
        report.mirror_bytes = dir_bytes(&mirror_path);
    }
    report.load.1 = load_average();
    Ok(report)
}

/// Flushes dirty pages (`sync`) so that one step's writes are not paid by the next: each
/// round writes hundreds of MB and write-back would otherwise land on whatever runs next.
fn settle() {
    let _ = Command::new("sync").status();
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn median(samples: &[f64]) -> f64 {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 50.0)
}

/// Runs baseline git (no system or global config) in `dir`; returns trimmed stdout.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("git {args:?}"))?;
    if !out.status.success() {
        bail!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The cached source repository (bare) for these parameters, generated if missing. Returns
/// its path and, when generated now, how long that took.
fn source_repo(dir: &Path, files: usize, commits: usize) -> anyhow::Result<(PathBuf, Option<f64>)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = std::fs::canonicalize(dir)?;
    // Bump the version when the generated content changes: the cache is keyed by the name.
    let name = format!("source-v2-{files}f-{commits}c.git");
    let path = dir.join(&name);
    if path.join("bench-complete").exists() {
        return Ok((path, None));
    }
    eprintln!("git: generating {files} files, {commits} commits with git fast-import (once)…");
    let started = Instant::now();
    let staging = tempfile::Builder::new().prefix("gen-").tempdir_in(&dir)?;
    let repo = staging.path().join(&name);
    git(
        staging.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            repo.to_str().context("path")?,
        ],
    )?;
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(&repo)
        .args(["fast-import", "--quiet"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .spawn()
        .context("git fast-import")?;
    {
        let stdin = child.stdin.take().context("fast-import stdin")?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, stdin);
        write_history(&mut w, files, commits)?;
        w.flush()?;
    }
    ensure!(child.wait()?.success(), "git fast-import failed");
    // Like a hosted repository: one well-deltified pack.
    git(&repo, &["repack", "-a", "-d", "-q"])?;
    std::fs::write(
        repo.join("bench-complete"),
        format!("files={files} commits={commits}\n"),
    )?;
    if path.exists() {
        std::fs::remove_dir_all(&path)?;
    }
    std::fs::rename(&repo, &path)?;
    Ok((path, Some(secs(started.elapsed()))))
}

fn file_path(i: usize) -> String {
    format!("src/m{:03}/d{:02}/file_{i:05}.txt", i / 1000, (i / 50) % 20)
}

/// About 3 KB of source-like text (60 lines of random identifiers, compressing about as well as
/// code does). Revision `rev` rewrites a few lines of revision 0, so history deltifies.
fn file_content(i: usize, rev: usize) -> String {
    const LINES: usize = 60;
    let mut s = String::with_capacity(LINES * 52);
    for line in 0..LINES {
        let changed = rev > 0 && (line * 7 + rev) % LINES < 3;
        let mut x =
            ((i as u64) << 20 | (line as u64) << 8 | if changed { rev as u64 & 0xff } else { 0 })
                ^ 0x9e37_79b9_7f4a_7c15;
        let mut word = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
            let alphabet = b"abcdefghijklmnopqrstuvwxyz_0123456789";
            (0..8)
                .map(|k| alphabet[((x >> (k * 6)) % alphabet.len() as u64) as usize] as char)
                .collect::<String>()
        };
        let (a, b, c, d) = (word(), word(), word(), word());
        s.push_str(&format!("    let {a} = {b}.{c}({d}, {line});\n"));
    }
    s
}

/// The fast-import stream: one commit adding every file, then commits touching 3 files each.
fn write_history(w: &mut impl Write, files: usize, commits: usize) -> anyhow::Result<()> {
    let mut revs = vec![0usize; files];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for c in 0..commits {
        let message = if c == 0 {
            "initial import".to_owned()
        } else {
            format!("change {c}")
        };
        writeln!(w, "commit refs/heads/main")?;
        writeln!(w, "mark :{}", c + 1)?;
        writeln!(
            w,
            "committer Bench <bench@example.com> {} +0000",
            1_600_000_000 + c * 60
        )?;
        writeln!(w, "data {}\n{message}", message.len())?;
        if c > 0 {
            writeln!(w, "from :{c}")?;
        }
        let touched: Vec<usize> = if c == 0 {
            (0..files).collect()
        } else {
            (0..3).map(|_| next() % files).collect()
        };
        for i in touched {
            if c > 0 {
                revs[i] += 1;
            }
            let content = file_content(i, revs[i]);
            writeln!(w, "M 100644 inline {}", file_path(i))?;
            writeln!(w, "data {}\n{content}", content.len())?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Apparent size of the files under `dir` (symlinks not followed).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// Loose objects and packs under an `objects` directory.
fn object_files(objects: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(objects) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name() != "info")
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                std::fs::read_dir(&p).map(|d| d.count()).unwrap_or(0)
            } else {
                1
            }
        })
        .sum()
}

impl GitReport {
    fn rows(&self) -> Vec<Row> {
        let s = |v: f64| format!("{v:.2} s");
        let mb = |b: u64| format!("{:.2} MB", b as f64 / 1e6);
        let pct = |v: f64| format!("{:.0} %", v * 100.0);
        let (bare, import, full, checkout) = (
            median(&self.bare_clone),
            median(&self.import),
            median(&self.full_clone),
            median(&self.checkout),
        );
        let shared = median(&self.shared_clone);
        let size_ratio = self.checkout_git_bytes as f64 / self.full_git_bytes.max(1) as f64;
        vec![
            row("git clone --bare --no-local (median)", s(bare)),
            row("Mirror::clone_from (median)", s(import)),
            check(
                "import / git clone --bare",
                pct(import / bare),
                "<= 150 %",
                import / bare <= 1.5,
            ),
            row("git clone --no-local, full (median)", s(full)),
            row("import / full git clone", pct(import / full)),
            row("git clone --shared from the mirror (median)", s(shared)),
            row("prepare_checkout (median)", s(checkout)),
            check(
                "checkout / full git clone",
                pct(checkout / full),
                "< 100 %",
                checkout < full,
            ),
            check(
                "checkout / git clone --shared",
                pct(checkout / shared),
                "<= 120 %",
                checkout / shared <= 1.2,
            ),
            row("full clone .git", mb(self.full_git_bytes)),
            row("checkout .git", mb(self.checkout_git_bytes)),
            check(
                "checkout .git / full clone .git",
                pct(size_ratio),
                "<= 10 %",
                size_ratio <= 0.1,
            ),
            check(
                "object files in the checkout",
                self.checkout_objects.to_string(),
                "0",
                self.checkout_objects == 0,
            ),
            row("mirror size", mb(self.mirror_bytes)),
        ]
    }

    pub fn table(&self) -> String {
        let generated = match self.generated_s {
            Some(s) => format!("generated in {s:.1} s"),
            None => "cached".to_owned(),
        };
        let header = format!(
            "AnyCode git bench ({} CPUs, load average {:.2} before / {:.2} after; MB = 10^6 bytes)\n  repository: {} files, {} commits, {:.1} MB packed ({generated}); {} rounds, medians",
            cpus(),
            self.load.0,
            self.load.1,
            self.files,
            self.commits,
            self.source_bytes as f64 / 1e6,
            self.bare_clone.len(),
        );
        table(&header, &self.rows())
    }

    pub fn to_json(&self) -> Value {
        json!({
            "cpus": cpus(),
            "load_average": [self.load.0, self.load.1],
            "repository": {
                "files": self.files,
                "commits": self.commits,
                "bytes": self.source_bytes,
                "generated_s": self.generated_s,
            },
            "seconds": {
                "git_clone_bare": self.bare_clone,
                "mirror_clone_from": self.import,
                "git_clone_full": self.full_clone,
                "git_clone_shared": self.shared_clone,
                "prepare_checkout": self.checkout,
            },
            "medians_s": {
                "git_clone_bare": median(&self.bare_clone),
                "mirror_clone_from": median(&self.import),
                "git_clone_full": median(&self.full_clone),
                "git_clone_shared": median(&self.shared_clone),
                "prepare_checkout": median(&self.checkout),
            },
            "bytes": {
                "full_clone_git": self.full_git_bytes,
                "checkout_git": self.checkout_git_bytes,
                "mirror": self.mirror_bytes,
            },
            "checkout_object_files": self.checkout_objects,
            "targets": targets_json(&self.rows()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_history_imports() {
        let tmp = tempfile::tempdir().unwrap();
        let (repo, generated) = source_repo(tmp.path(), 40, 10).unwrap();
        assert!(generated.is_some());
        assert_eq!(git(&repo, &["rev-list", "--count", "main"]).unwrap(), "10");
        assert_eq!(
            git(&repo, &["ls-tree", "-r", "--name-only", "main"])
                .unwrap()
                .lines()
                .count(),
            40
        );
        let (again, generated) = source_repo(tmp.path(), 40, 10).unwrap();
        assert_eq!(again, repo);
        assert!(generated.is_none(), "cached");
    }
}
