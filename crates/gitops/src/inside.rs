//! Git run **inside** a sandbox: argv builders and parsers of their output.
//!
//! The caller runs an argv through the sandbox's exec API (which returns stdout, stderr and an
//! exit code) in the sandbox checkout. Each argv is `["sh", "-c", SCRIPT, "anycode", args…]`:
//! user values (messages, names, paths, revisions) are positional parameters, never part of the
//! script text. Scripts `cd` to the top of the work tree first and never touch the user's
//! index except [`commit`] (which is meant to).
//!
//! Everything a sandbox prints is untrusted: the parsers never panic, cap what they keep, and
//! treat the markers below as claims to check (a harvested sha is checked when its bundle is
//! fetched into the mirror).

use serde::{Deserialize, Serialize};

use crate::diff::{parse_raw_numstat, FileStat, MAX_FILES};
use crate::error::{trim_message, GitError};

/// Exit code of [`commit`] with nothing to commit and of [`bundle`] with no new commits.
pub const EXIT_NOTHING: i32 = 3;
/// Printed by [`commit`] when there is nothing to commit.
pub const NOTHING_TO_COMMIT: &str = "anycode:nothing-to-commit";
/// Printed by [`bundle`] when HEAD has no commits beyond the base.
pub const NO_NEW_COMMITS: &str = "anycode:no-new-commits";
/// Prefix of the line carrying the HEAD sha.
pub const HEAD_MARKER: &str = "anycode:head ";
/// Most bytes of file list [`list_files`] prints.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

const TOP: &str = r#"set -u
top=$(git rev-parse --show-toplevel) || exit 1
cd "$top" || exit 1
"#;

/// Copies the user's index to a private temporary one (`GIT_INDEX_FILE`), removed on exit.
const TEMP_INDEX: &str = r#"tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
idx=$(git rev-parse --git-path index) || exit 1
if [ -f "$idx" ]; then cp "$idx" "$tmp/index" || exit 1; fi
GIT_INDEX_FILE="$tmp/index"
export GIT_INDEX_FILE
"#;

/// Options that keep `git diff` output parseable whatever the sandbox's config says.
const DIFF_OPTS: &str =
    "-M --no-color --no-ext-diff --no-textconv --no-relative --src-prefix=a/ --dst-prefix=b/";

fn argv(script: String, args: &[&str]) -> Vec<String> {
    let mut v = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        script,
        "anycode".to_owned(),
    ];
    v.extend(args.iter().map(|a| (*a).to_owned()));
    v
}

/// Stages everything (`git add -A`) and commits it with `message` as `author_name
/// <author_email>` (also the committer when the checkout has no `user.email`), skipping hooks.
/// Prints `anycode:head <sha>`; with nothing to commit prints [`NOTHING_TO_COMMIT`] and exits
/// [`EXIT_NOTHING`]. Parse with [`parse_commit`].
pub fn commit(message: &str, author_name: &str, author_email: &str) -> Vec<String> {
    let script = format!(
        r#"{TOP}git add -A || exit 1
if git diff --cached --quiet --no-ext-diff; then
  echo '{NOTHING_TO_COMMIT}'
  exit {EXIT_NOTHING}
fi
GIT_AUTHOR_NAME=$2 GIT_AUTHOR_EMAIL=$3
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL
if ! git config user.email >/dev/null 2>&1; then
  GIT_COMMITTER_NAME=$2 GIT_COMMITTER_EMAIL=$3
  export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
fi
git commit -q --no-verify --no-gpg-sign --cleanup=verbatim -m "$1" || exit 1
printf '{HEAD_MARKER}%s\n' "$(git rev-parse HEAD)"
"#
    );
    argv(script, &[message, author_name, author_email])
}

/// Writes `git bundle create <out_path> <base>..HEAD` (ref `HEAD`), through a temporary file
/// renamed into place, and prints `anycode:head <sha>`. With no commits beyond `base` prints
/// [`NO_NEW_COMMITS`] and exits [`EXIT_NOTHING`]. Parse with [`parse_bundle`]; import with
/// [`crate::Mirror::fetch_bundle`].
pub fn bundle(base: &str, out_path: &str) -> Vec<String> {
    let script = format!(
        r#"{TOP}base=$(git rev-parse --verify -q --end-of-options "$1^{{commit}}") || {{ echo "anycode: unknown base $1" >&2; exit 2; }}
head=$(git rev-parse --verify -q HEAD) || {{ echo 'anycode: no HEAD commit' >&2; exit 2; }}
if [ "$(git rev-list --count "$base..$head")" = 0 ]; then
  echo '{NO_NEW_COMMITS}'
  exit {EXIT_NOTHING}
fi
rm -f "$2.tmp"
git bundle create -q "$2.tmp" "$base..HEAD" || exit 1
mv -f "$2.tmp" "$2" || exit 1
printf '{HEAD_MARKER}%s\n' "$head"
"#
    );
    argv(script, &[base, out_path])
}

/// Prints `git diff --raw --numstat -z` of the whole working tree (committed, staged,
/// unstaged and untracked-not-ignored changes) against `base`, with rename detection, computed
/// in a temporary copy of the index so the user's index is untouched. Parse with
/// [`parse_files`].
pub fn diff_files(base: &str) -> Vec<String> {
    let script = format!(
        r#"{TOP}{TEMP_INDEX}git add -A || exit 1
git diff --cached --raw --numstat -z {DIFF_OPTS} --end-of-options "$1" --
"#
    );
    argv(script, &[base])
}

/// Prints the unified patch of the working tree against `base` for `paths` only (pass both
/// sides of a rename), like [`diff_files`]. Parse with [`crate::diff::parse_patch`].
pub fn diff_patch(base: &str, paths: &[String]) -> Vec<String> {
    let script = format!(
        r#"{TOP}{TEMP_INDEX}base=$1
shift
if [ "$#" -gt 0 ]; then
  git add -A -- "$@" 2>/dev/null || git add -A || exit 1
else
  git add -A || exit 1
fi
git diff --cached {DIFF_OPTS} --end-of-options "$base" -- "$@"
"#
    );
    let mut args = vec![base];
    args.extend(paths.iter().map(String::as_str));
    argv(script, &args)
}

/// Prints the branch, HEAD, commits behind/ahead of `base`, and the changed files
/// (`git status --porcelain -z`, without taking the index lock). Parse with [`parse_status`].
pub fn status(base: &str) -> Vec<String> {
    let script = format!(
        r#"{TOP}echo 'anycode:status'
if b=$(git symbolic-ref -q --short HEAD); then printf 'branch %s\n' "$b"; fi
if h=$(git rev-parse -q --verify HEAD); then printf 'head %s\n' "$h"; fi
if base=$(git rev-parse -q --verify --end-of-options "$1^{{commit}}") && [ -n "${{h:-}}" ]; then
  printf 'counts %s\n' "$(git rev-list --left-right --count "$base...$h")"
fi
echo 'changes'
git --no-optional-locks status --porcelain=v1 -z --untracked-files=all
"#
    );
    argv(script, &[base])
}

/// Prints tracked and untracked-not-ignored files, NUL-separated, at most [`MAX_LIST_BYTES`].
/// Parse with [`parse_list`].
pub fn list_files() -> Vec<String> {
    let script = format!(
        r#"{TOP}git ls-files -z --cached --others --exclude-standard --deduplicate | head -c {MAX_LIST_BYTES}
"#
    );
    argv(script, &[])
}

/// The output of [`diff_files`].
pub fn parse_files(stdout: &str) -> Result<Vec<FileStat>, GitError> {
    if stdout.is_empty() {
        return Ok(Vec::new());
    }
    if !stdout.starts_with(':') {
        return Err(GitError::failed(
            "diff",
            format!(
                "unexpected output: {}",
                trim_message(&stdout.replace('\0', " "))
            ),
        ));
    }
    Ok(parse_raw_numstat(stdout))
}

/// The sandbox's working state.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkStatus {
    /// The checked-out branch (`None`: detached HEAD).
    pub branch: Option<String>,
    pub head: Option<String>,
    /// Commits on HEAD not in the base.
    pub ahead: u32,
    /// Commits in the base not on HEAD.
    pub behind: u32,
    /// Files with uncommitted changes, untracked ones included.
    pub dirty_files: u32,
    /// Of which untracked.
    pub untracked_files: u32,
}

/// The output of [`status`].
pub fn parse_status(stdout: &str) -> Result<WorkStatus, GitError> {
    let Some(start) = stdout.find("anycode:status\n") else {
        return Err(GitError::failed(
            "status",
            format!("unexpected output: {}", trim_message(stdout)),
        ));
    };
    let body = &stdout[start + "anycode:status\n".len()..];
    let (head_part, changes) = match body.find("changes\n") {
        Some(at) => (&body[..at], &body[at + "changes\n".len()..]),
        None => (body, ""),
    };
    let mut status = WorkStatus::default();
    for line in head_part.lines() {
        if let Some(b) = line.strip_prefix("branch ") {
            status.branch = Some(cap(b, 1024));
        } else if let Some(h) = line.strip_prefix("head ") {
            if is_sha(h) {
                status.head = Some(h.to_owned());
            }
        } else if let Some(counts) = line.strip_prefix("counts ") {
            let mut it = counts
                .split_whitespace()
                .map(|n| n.parse::<u32>().unwrap_or(0));
            status.behind = it.next().unwrap_or(0);
            status.ahead = it.next().unwrap_or(0);
        }
    }
    let mut entries = changes.split('\0');
    while let Some(entry) = entries.next() {
        if entry.len() < 4 {
            continue;
        }
        let xy = &entry.as_bytes()[..2];
        status.dirty_files = status.dirty_files.saturating_add(1);
        if xy == b"??" {
            status.untracked_files = status.untracked_files.saturating_add(1);
        }
        if xy.contains(&b'R') || xy.contains(&b'C') {
            entries.next(); // the original path
        }
    }
    Ok(status)
}

/// The output of [`list_files`]: paths, at most [`MAX_FILES`]; a path cut by the size cap is
/// dropped.
pub fn parse_list(stdout: &str) -> Vec<String> {
    let mut parts: Vec<&str> = stdout.split('\0').collect();
    parts.pop(); // after the last NUL: empty, or a cut path
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .take(MAX_FILES)
        .map(str::to_owned)
        .collect()
}

/// The result of [`commit`]: the new HEAD sha, [`GitError::NothingToCommit`], or the failure.
pub fn parse_commit(exit_code: i32, stdout: &str, stderr: &str) -> Result<String, GitError> {
    parse_head(
        "commit",
        exit_code,
        stdout,
        stderr,
        NOTHING_TO_COMMIT,
        GitError::NothingToCommit,
    )
}

/// The result of [`bundle`]: HEAD's sha, [`GitError::NoNewCommits`], or the failure.
pub fn parse_bundle(exit_code: i32, stdout: &str, stderr: &str) -> Result<String, GitError> {
    parse_head(
        "bundle",
        exit_code,
        stdout,
        stderr,
        NO_NEW_COMMITS,
        GitError::NoNewCommits,
    )
}

fn parse_head(
    op: &str,
    exit_code: i32,
    stdout: &str,
    stderr: &str,
    nothing_marker: &str,
    nothing: GitError,
) -> Result<String, GitError> {
    if exit_code == EXIT_NOTHING && stdout.lines().any(|l| l == nothing_marker) {
        return Err(nothing);
    }
    if exit_code == 0 {
        if let Some(sha) = stdout
            .lines()
            .filter_map(|l| l.strip_prefix(HEAD_MARKER))
            .find(|s| is_sha(s))
        {
            return Ok(sha.to_owned());
        }
    }
    let message = if stderr.trim().is_empty() {
        format!("exit code {exit_code}: {}", trim_message(stdout))
    } else {
        trim_message(stderr)
    };
    Err(GitError::failed(op, message))
}

pub(crate) fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn cap(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_values_are_positional_never_in_the_script() {
        let evil = "$(touch /tmp/pwned) `x` ' \" ; rm -rf /";
        for argv in [
            commit(evil, evil, evil),
            bundle(evil, evil),
            diff_files(evil),
            diff_patch(evil, &[evil.to_owned()]),
            status(evil),
        ] {
            assert_eq!(&argv[..2], ["sh", "-c"]);
            assert!(!argv[2].contains(evil), "{}", argv[2]);
            assert_eq!(argv[3], "anycode");
            assert!(argv[4..].iter().all(|a| a == evil));
        }
    }

    #[test]
    fn status_parsing() {
        let sha = "a".repeat(40);
        let out = format!(
            "noise\nanycode:status\nbranch feat/x\nhead {sha}\ncounts 2\t5\nchanges\n M src/a.rs\0?? new.txt\0R  b.rs\0a.rs\0 D gone\0"
        );
        let got = parse_status(&out).unwrap();
        assert_eq!(
            got,
            WorkStatus {
                branch: Some("feat/x".into()),
                head: Some(sha),
                ahead: 5,
                behind: 2,
                dirty_files: 4,
                untracked_files: 1,
            }
        );
        assert!(parse_status("garbage").is_err());
        let clean = parse_status("anycode:status\nhead zz\nchanges\n").unwrap();
        assert_eq!(clean, WorkStatus::default());
    }

    #[test]
    fn commit_and_bundle_results() {
        let sha = "b".repeat(40);
        assert_eq!(
            parse_commit(0, &format!("x\nanycode:head {sha}\n"), ""),
            Ok(sha.clone())
        );
        assert_eq!(
            parse_commit(3, "anycode:nothing-to-commit\n", ""),
            Err(GitError::NothingToCommit)
        );
        assert_eq!(
            parse_bundle(3, "anycode:no-new-commits\n", ""),
            Err(GitError::NoNewCommits)
        );
        assert!(matches!(
            parse_bundle(0, "anycode:head nope\n", ""),
            Err(GitError::Failed { .. })
        ));
        let err = parse_commit(1, "", "fatal: oops\n").unwrap_err();
        assert_eq!(err.to_string(), "git commit failed: fatal: oops");
    }

    #[test]
    fn list_parsing_drops_a_cut_path() {
        assert_eq!(parse_list("a\0b c\0d/e\0"), vec!["a", "b c", "d/e"]);
        assert_eq!(parse_list("a\0b\0cu"), vec!["a", "b"]);
        assert!(parse_list("").is_empty());
    }

    #[test]
    fn files_parsing_rejects_junk() {
        assert!(parse_files("").unwrap().is_empty());
        assert!(parse_files("fatal: not a git repository").is_err());
    }
}
