//! `Mirror`: clone, fetch, branches, push, merge-tree, log, diffs, files.

use std::time::Duration;

use gitops::{CloneOptions, FileStatus, GitError, Mirror};

use crate::support::{commit_all, file_url, git, new_repo, write};

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[tokio::test]
async fn clone_from_a_file_url() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    git(&up, &["branch", "feature"]);
    git(&up, &["tag", "-a", "v1", "-m", "v1"]);
    let head = git(&up, &["rev-parse", "HEAD"]);
    let dest = tmp.path().join("mirrors").join("up.git");

    let mirror = Mirror::clone_from(&file_url(&up), &dest, None, &CloneOptions::default())
        .await
        .unwrap();

    assert_eq!(mirror.path(), dest);
    assert_eq!(mirror.default_branch().await.unwrap(), "main");
    let names: Vec<String> = mirror
        .branches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"main".to_owned()) && names.contains(&"feature".to_owned()));
    let main = mirror
        .branches()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.name == "main")
        .unwrap();
    assert_eq!(main.sha, head);
    assert_eq!(main.subject, "initial");
    assert!(main.committed_at > 1_600_000_000);
    assert_eq!(mirror.resolve("main").await.unwrap(), Some(head.clone()));
    assert_eq!(
        mirror.resolve("v1").await.unwrap(),
        Some(head.clone()),
        "tags peel to commits"
    );
    assert_eq!(mirror.resolve("nope").await.unwrap(), None);
    assert_eq!(git(&dest, &["config", "gc.auto"]), "0");
    assert_eq!(git(&dest, &["config", "remote.origin.url"]), file_url(&up));
    assert_eq!(git(&dest, &["rev-parse", "--is-bare-repository"]), "true");
    assert!(
        leftovers(dest.parent().unwrap()).is_empty(),
        "temporary directories were removed"
    );
    // Readable by a sandbox user (mounted read-only): the mirror is not private to us.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dest).unwrap().permissions().mode();
    assert_eq!(mode & 0o005, 0o005, "mode {mode:o}");

    let again = Mirror::clone_from(&file_url(&up), &dest, None, &CloneOptions::default()).await;
    assert!(
        matches!(again, Err(GitError::AlreadyExists(_))),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_missing_repository_is_not_found_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("m.git");
    for url in [
        file_url(&tmp.path().join("nope")),
        tmp.path().join("nope").display().to_string(),
    ] {
        let err = Mirror::clone_from(&url, &dest, None, &CloneOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, GitError::NotFound(_)), "{url}: {err:?}");
        assert!(!dest.exists());
        assert!(leftovers(tmp.path()).is_empty());
    }
}

#[tokio::test]
async fn an_unreachable_remote_is_a_network_error_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dest = tmp.path().join("m.git");
    let url = format!("http://127.0.0.1:{port}/o/r.git");
    let err = Mirror::clone_from(&url, &dest, None, &CloneOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::Network(_)), "{err:?}");
    assert!(!dest.exists());
    assert!(leftovers(tmp.path()).is_empty());
}

#[tokio::test]
async fn a_timed_out_clone_is_a_network_error_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let dest = tmp.path().join("m.git");
    let opts = CloneOptions {
        timeout: Duration::from_millis(500),
        ..CloneOptions::default()
    };
    let err = Mirror::clone_from(
        &format!("http://127.0.0.1:{port}/o/r.git"),
        &dest,
        None,
        &opts,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, GitError::Network(m) if m.contains("timed out")),
        "{err:?}"
    );
    assert!(!dest.exists());
    assert!(leftovers(tmp.path()).is_empty());
    server.abort();
}

#[tokio::test]
async fn clone_one_branch_shallow() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    write(&up, "a.txt", "1");
    commit_all(&up, "second");
    git(&up, &["checkout", "-q", "-b", "feature"]);
    write(&up, "b.txt", "2");
    let feature = commit_all(&up, "third");
    git(&up, &["checkout", "-q", "main"]);

    let dest = tmp.path().join("m.git");
    let opts = CloneOptions {
        branch: Some("feature".into()),
        depth: Some(1),
        ..CloneOptions::default()
    };
    let mirror = Mirror::clone_from(&file_url(&up), &dest, None, &opts)
        .await
        .unwrap();
    let names: Vec<String> = mirror
        .branches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, vec!["feature"]);
    assert_eq!(mirror.default_branch().await.unwrap(), "feature");
    assert_eq!(mirror.resolve("feature").await.unwrap(), Some(feature));
    assert_eq!(git(&dest, &["rev-list", "--count", "feature"]), "1");
    assert!(dest.join("shallow").exists());

    // Fetch keeps to the one branch.
    write(&up, "c.txt", "3");
    commit_all(&up, "on main");
    mirror.fetch(None).await.unwrap();
    let names: Vec<String> = mirror
        .branches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, vec!["feature"]);

    // Depth over every branch.
    let dest2 = tmp.path().join("m2.git");
    let opts = CloneOptions {
        depth: Some(1),
        ..CloneOptions::default()
    };
    let all = Mirror::clone_from(&file_url(&up), &dest2, None, &opts)
        .await
        .unwrap();
    assert_eq!(all.branches().await.unwrap().len(), 2);
    assert_eq!(git(&dest2, &["rev-list", "--count", "main"]), "1");

    let bad = CloneOptions {
        branch: Some("no such".into()),
        ..CloneOptions::default()
    };
    let err = Mirror::clone_from(&file_url(&up), &tmp.path().join("m3.git"), None, &bad).await;
    assert!(matches!(err, Err(GitError::InvalidRef(_))), "{err:?}");
    let missing = CloneOptions {
        branch: Some("missing".into()),
        ..CloneOptions::default()
    };
    let err = Mirror::clone_from(&file_url(&up), &tmp.path().join("m3.git"), None, &missing).await;
    assert!(matches!(err, Err(GitError::InvalidRef(_))), "{err:?}");
    assert!(!tmp.path().join("m3.git").exists());
}

#[tokio::test]
async fn fetch_adds_and_never_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    git(&up, &["branch", "old"]);
    let dest = tmp.path().join("m.git");
    let mirror = Mirror::clone_from(&file_url(&up), &dest, None, &CloneOptions::default())
        .await
        .unwrap();
    let harvested = mirror.resolve("main").await.unwrap().unwrap();
    git(
        &dest,
        &["update-ref", "refs/anycode/sandboxes/x", &harvested],
    );

    write(&up, "new.txt", "new");
    let new_main = commit_all(&up, "new");
    git(&up, &["branch", "-D", "old"]);
    git(&up, &["branch", "fresh"]);
    git(&up, &["tag", "v2"]);
    // Upstream that also has refs/anycode/* must not clobber ours.
    git(&up, &["update-ref", "refs/anycode/sandboxes/x", &new_main]);

    mirror.fetch(None).await.unwrap();

    assert_eq!(
        mirror.resolve("main").await.unwrap(),
        Some(new_main.clone())
    );
    assert_eq!(
        mirror.resolve("fresh").await.unwrap(),
        Some(new_main.clone())
    );
    assert_eq!(
        mirror.resolve("refs/tags/v2").await.unwrap(),
        Some(new_main.clone())
    );
    assert!(
        mirror.resolve("old").await.unwrap().is_some(),
        "upstream-deleted branches stay"
    );
    assert_eq!(
        mirror.resolve("refs/anycode/sandboxes/x").await.unwrap(),
        Some(harvested),
        "refs/anycode/* untouched"
    );

    // Forced updates are taken (the mirror follows upstream's branches).
    git(&up, &["reset", "-q", "--hard", "HEAD~1"]);
    mirror.fetch(None).await.unwrap();
    assert_ne!(mirror.resolve("main").await.unwrap(), Some(new_main));
}

#[tokio::test]
async fn create_branch_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    let mirror = Mirror::clone_from(
        &file_url(&up),
        &tmp.path().join("m.git"),
        None,
        &Default::default(),
    )
    .await
    .unwrap();
    let head = mirror.resolve("main").await.unwrap().unwrap();
    assert_eq!(
        mirror
            .create_branch("anycode/task-1", "main")
            .await
            .unwrap(),
        head
    );
    assert_eq!(mirror.resolve("anycode/task-1").await.unwrap(), Some(head));
    let err = mirror
        .create_branch("anycode/task-1", "main")
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::AlreadyExists(_)), "{err:?}");
    let err = mirror.create_branch("bad..name", "main").await.unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
    let err = mirror.create_branch("ok", "no-such-rev").await.unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
    let err = mirror
        .create_branch("ok", "--upload-pack=x")
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
}

#[tokio::test]
async fn push_and_non_fast_forward() {
    let tmp = tempfile::tempdir().unwrap();
    let work = new_repo(tmp.path(), "work");
    let upstream = tmp.path().join("up.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            upstream.to_str().unwrap(),
        ],
    );
    let dest = tmp.path().join("m.git");
    let mirror = Mirror::clone_from(&file_url(&upstream), &dest, None, &Default::default())
        .await
        .unwrap();

    // Sandbox work, harvested (here made directly in a clone and imported as a ref).
    write(&work, "feature.txt", "x");
    let ours = commit_all(&work, "ours");
    git(
        &work,
        &[
            "push",
            "-q",
            dest.to_str().unwrap(),
            "HEAD:refs/anycode/sandboxes/s1",
        ],
    );

    mirror
        .push("refs/anycode/sandboxes/s1", "anycode/s1", None, false)
        .await
        .unwrap();
    assert_eq!(
        git(&upstream, &["rev-parse", "refs/heads/anycode/s1"]),
        ours
    );

    // Upstream main moves on; pushing our commit onto main is not a fast-forward.
    let other = tmp.path().join("other");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            upstream.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    write(&other, "theirs.txt", "y");
    commit_all(&other, "theirs");
    git(&other, &["push", "-q", "origin", "main"]);
    let err = mirror
        .push("refs/anycode/sandboxes/s1", "main", None, false)
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::NonFastForward(_)), "{err:?}");
    mirror
        .push("refs/anycode/sandboxes/s1", "main", None, true)
        .await
        .unwrap();
    assert_eq!(git(&upstream, &["rev-parse", "refs/heads/main"]), ours);

    let err = mirror
        .push("refs/anycode/sandboxes/nope", "x", None, false)
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
    let err = mirror
        .push("refs/anycode/sandboxes/s1", "bad name", None, false)
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
}

#[tokio::test]
async fn merge_check_log_and_diffs() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    write(&up, "shared.txt", "a\nb\nc\n");
    write(&up, "moved.txt", "line 1\nline 2\nline 3\nline 4\nline 5\n");
    write(&up, "gone.txt", "bye\n");
    let base = commit_all(&up, "base");

    git(&up, &["checkout", "-q", "-b", "clean"]);
    write(&up, "feature.txt", "new\n");
    std::fs::remove_file(up.join("gone.txt")).unwrap();
    std::fs::create_dir_all(up.join("dir with space")).unwrap();
    git(&up, &["mv", "moved.txt", "dir with space/moved é.txt"]);
    write(&up, "bin.dat", "\0\u{1}\u{2}binary");
    let clean = commit_all(&up, "clean change\n\nWith a body.\nTwo lines.");

    git(&up, &["checkout", "-q", "-b", "conflict", &base]);
    write(&up, "shared.txt", "a\nB (conflict)\nc\n");
    let conflict = commit_all(&up, "conflicting change");

    git(&up, &["checkout", "-q", "main"]);
    write(&up, "shared.txt", "a\nB (main)\nc\n");
    commit_all(&up, "main moves");

    let mirror = Mirror::clone_from(
        &file_url(&up),
        &tmp.path().join("m.git"),
        None,
        &Default::default(),
    )
    .await
    .unwrap();

    let ok = mirror.merge_check("main", "clean").await.unwrap();
    assert!(ok.clean && ok.conflicts.is_empty(), "{ok:?}");
    let bad = mirror.merge_check("main", "conflict").await.unwrap();
    assert!(!bad.clean);
    assert_eq!(bad.conflicts, vec!["shared.txt"]);
    let err = mirror.merge_check("main", "nope").await.unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");

    let log = mirror.log(&base, "clean", 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].sha, clean);
    assert_eq!(log[0].subject, "clean change");
    assert_eq!(log[0].body, "With a body.\nTwo lines.");
    assert_eq!(log[0].author_name, "Test");
    assert_eq!(log[0].author_email, "test@example.com");
    assert!(log[0].committed_at > 1_600_000_000);
    let two = mirror.log("HEAD~2", "main", 1).await.unwrap();
    assert_eq!(two.len(), 1, "max is honoured");
    assert_eq!(mirror.log("main", "main", 10).await.unwrap(), vec![]);
    let _ = conflict;

    // Three-dot: what `clean` changed since it forked, whatever main did since.
    let files = mirror.diff_files("main", "clean").await.unwrap();
    let find = |p: &str| {
        files
            .iter()
            .find(|f| f.path == p)
            .unwrap_or_else(|| panic!("{p} in {files:?}"))
    };
    assert_eq!(find("feature.txt").status, FileStatus::Added);
    assert_eq!(find("feature.txt").additions, 1);
    assert_eq!(find("gone.txt").status, FileStatus::Deleted);
    let moved = find("dir with space/moved é.txt");
    assert_eq!(moved.status, FileStatus::Renamed);
    assert_eq!(moved.old_path.as_deref(), Some("moved.txt"));
    assert!(find("bin.dat").binary);
    assert!(
        !files.iter().any(|f| f.path == "shared.txt"),
        "main's own change is not ours"
    );

    let diff = mirror
        .diff_file("main", "clean", "feature.txt", 100)
        .await
        .unwrap();
    assert_eq!(diff.status, FileStatus::Added);
    assert_eq!(diff.hunks.len(), 1);
    assert_eq!(diff.hunks[0].lines[0].text, "new");
    let diff = mirror
        .diff_file("main", "clean", "dir with space/moved é.txt", 100)
        .await
        .unwrap();
    assert_eq!(diff.status, FileStatus::Renamed);
    assert_eq!(diff.old_path.as_deref(), Some("moved.txt"));
    let diff = mirror
        .diff_file("main", "clean", "bin.dat", 100)
        .await
        .unwrap();
    assert!(diff.binary);
    let diff = mirror
        .diff_file("main", "clean", "README.md", 100)
        .await
        .unwrap();
    assert!(diff.hunks.is_empty(), "unchanged file");
    let err = mirror
        .diff_file("main", "clean", "../x", 100)
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)));

    // Truncation.
    write(&up, "big.txt", &"x\n".repeat(50));
    commit_all(&up, "big");
    mirror.fetch(None).await.unwrap();
    let diff = mirror
        .diff_file("HEAD~1", "main", "big.txt", 10)
        .await
        .unwrap();
    assert!(diff.truncated);
    assert_eq!(diff.hunks[0].lines.len(), 10);

    let mut files = mirror.list_files("clean", 1000).await.unwrap();
    files.sort();
    assert_eq!(
        files,
        vec![
            "README.md",
            "bin.dat",
            "dir with space/moved é.txt",
            "feature.txt",
            "shared.txt",
            "src/lib.rs"
        ]
    );
    assert_eq!(mirror.list_files("clean", 2).await.unwrap().len(), 2);

    assert_eq!(
        mirror
            .read_file("clean", "src/lib.rs", 1000)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"pub fn one() -> u32 {\n    1\n}\n"[..])
    );
    assert_eq!(
        mirror
            .read_file("clean", "src/lib.rs", 3)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"pub"[..])
    );
    assert_eq!(
        mirror.read_file("clean", "nope.txt", 10).await.unwrap(),
        None
    );
    assert_eq!(
        mirror.read_file("clean", "src", 10).await.unwrap(),
        None,
        "a directory"
    );
    assert_eq!(
        mirror
            .read_file("clean", "dir with space/moved é.txt", 6)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"line 1"[..])
    );
}

#[tokio::test]
async fn operations_on_a_missing_mirror_are_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = Mirror::at(tmp.path().join("nope.git"));
    let err = mirror.branches().await.unwrap_err();
    assert!(matches!(err, GitError::NotFound(_)), "{err:?}");
    let err = mirror.resolve("main").await.unwrap_err();
    assert!(matches!(err, GitError::NotFound(_)), "{err:?}");
}

/// Writes a raw object into `repo` (no validation) and returns its sha.
fn raw_object(repo: &std::path::Path, kind: &str, content: &str) -> String {
    use std::io::Write;
    let mut child = crate::support::git_cmd(
        repo,
        &["hash-object", "-t", kind, "-w", "--literally", "--stdin"],
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn upstream_objects_are_fscked_with_leniency_for_cosmetic_issues() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    let parent = git(&up, &["rev-parse", "HEAD"]);
    let tree = git(&up, &["rev-parse", "HEAD^{tree}"]);
    // An old-tool commit with a malformed time zone: accepted.
    let tz = raw_object(
        &up,
        "commit",
        &format!("tree {tree}\nparent {parent}\nauthor A <a@b> 1234567890 +01\ncommitter A <a@b> 1234567890 +01\n\nold tool\n"),
    );
    git(&up, &["update-ref", "refs/heads/old-tool", &tz]);
    let dest = tmp.path().join("m.git");
    let mirror = Mirror::clone_from(&file_url(&up), &dest, None, &CloneOptions::default())
        .await
        .unwrap();
    assert_eq!(mirror.resolve("old-tool").await.unwrap(), Some(tz));

    // A tree with a `.git` entry (would write into the repository on checkout): refused.
    let blob = git(&up, &["rev-parse", "HEAD:README.md"]);
    let mut mktree = crate::support::git_cmd(&up, &["mktree"]);
    let evil_tree = {
        use std::io::Write;
        let mut child = mktree
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("100644 blob {blob}\t.git\n").as_bytes())
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let evil = git(
        &up,
        &["commit-tree", &evil_tree, "-p", &parent, "-m", "evil"],
    );
    git(&up, &["update-ref", "refs/heads/evil", &evil]);
    let err = mirror.fetch(None).await.unwrap_err();
    assert!(format!("{err}").contains("hasDotgit"), "{err:?}");
    assert_eq!(mirror.resolve("evil").await.unwrap(), None);
}
