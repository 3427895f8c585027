//! `inside::*` scripts run in a checkout as a sandbox would run them, and what the host does
//! with their output (bundles into the mirror).

use gitops::diff::parse_patch;
use gitops::{inside, FileStatus, GitError};

use crate::support::{commit_all, file_url, git, new_repo, run_inside, write, Layout};

async fn setup() -> (tempfile::TempDir, Layout, String) {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    write(&up, "keep.txt", "keep\n");
    write(&up, "edit.txt", "one\ntwo\nthree\n");
    write(&up, "remove.txt", "bye\n");
    write(&up, "rename-me.txt", "a\nb\nc\nd\ne\nf\n");
    write(&up, ".gitignore", "*.log\n");
    let base = commit_all(&up, "base");
    let layout = Layout::new(tmp.path(), &file_url(&up)).await;
    (tmp, layout, base)
}

#[tokio::test]
async fn commit_then_nothing_to_commit() {
    let (_tmp, layout, base) = setup().await;
    let ws = layout.checkout("sb", &base, "work").await;
    write(&ws, "edit.txt", "one\n2\nthree\n");
    write(&ws, "untracked.txt", "new\n");

    let (code, out, err) = run_inside(
        &ws,
        &inside::commit(
            "Agent's change\n\nBody: $(nope) `x`",
            "Ada L",
            "ada@example.com",
        ),
    );
    let sha = inside::parse_commit(code, &out, &err).unwrap();
    assert_eq!(sha, git(&ws, &["rev-parse", "HEAD"]));
    assert_eq!(
        git(&ws, &["log", "-1", "--format=%an <%ae>|%cn|%B"]),
        "Ada L <ada@example.com>|AnyCode|Agent's change\n\nBody: $(nope) `x`"
    );
    assert_eq!(
        git(&ws, &["show", "--name-only", "--format=", "HEAD"]),
        "edit.txt\nuntracked.txt"
    );

    let (code, out, err) = run_inside(&ws, &inside::commit("again", "Ada", "ada@example.com"));
    assert_eq!(
        inside::parse_commit(code, &out, &err),
        Err(GitError::NothingToCommit)
    );
    assert_eq!(code, inside::EXIT_NOTHING);
}

#[tokio::test]
async fn bundle_is_harvested_into_the_mirror() {
    let (_tmp, layout, base) = setup().await;
    let ws = layout.checkout("sb", &base, "work").await;
    let out_path = ws.join(".git").join("anycode.bundle");
    let out_arg = out_path.to_str().unwrap().to_owned();

    let (code, out, err) = run_inside(&ws, &inside::bundle(&base, &out_arg));
    assert_eq!(
        inside::parse_bundle(code, &out, &err),
        Err(GitError::NoNewCommits)
    );
    assert!(!out_path.exists());

    write(&ws, "new.txt", "hello\n");
    run_inside(&ws, &inside::commit("one", "A", "a@example.com"));
    write(&ws, "new.txt", "hello again\n");
    let (code, out, err) = run_inside(&ws, &inside::commit("two", "A", "a@example.com"));
    let head = inside::parse_commit(code, &out, &err).unwrap();

    let (code, out, err) = run_inside(&ws, &inside::bundle(&base, &out_arg));
    assert_eq!(inside::parse_bundle(code, &out, &err).unwrap(), head);
    assert!(out_path.is_file());
    assert!(!ws.join(".git/anycode.bundle.tmp").exists());

    let target = gitops::sandbox_ref("sb");
    let got = layout
        .mirror
        .fetch_bundle(&out_path, &target)
        .await
        .unwrap();
    assert_eq!(got, head);
    assert_eq!(
        layout.mirror.resolve(&target).await.unwrap(),
        Some(head.clone())
    );
    let log = layout.mirror.log(&base, &target, 10).await.unwrap();
    let subjects: Vec<&str> = log.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, vec!["two", "one"]);
    // Nothing lingers beside the mirror.
    let data = layout.mirror.path().parent().unwrap();
    assert_eq!(std::fs::read_dir(data).unwrap().count(), 1);

    // Again after more work: the ref moves (forced), still from the same base.
    write(&ws, "new.txt", "third\n");
    let (code, out, err) = run_inside(&ws, &inside::commit("three", "A", "a@example.com"));
    let head2 = inside::parse_commit(code, &out, &err).unwrap();
    let (code, out, err) = run_inside(&ws, &inside::bundle(&base, &out_arg));
    inside::parse_bundle(code, &out, &err).unwrap();
    assert_eq!(
        layout
            .mirror
            .fetch_bundle(&out_path, &target)
            .await
            .unwrap(),
        head2
    );

    let err = layout
        .mirror
        .fetch_bundle(&out_path, "not-a-ref")
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
}

#[tokio::test]
async fn fetch_bundle_refuses_symlinks_fifos_dirs_and_junk() {
    let (tmp, layout, base) = setup().await;
    let ws = layout.checkout("sb", &base, "work").await;
    write(&ws, "new.txt", "hello\n");
    run_inside(&ws, &inside::commit("one", "A", "a@example.com"));
    let real = ws.join(".git").join("real.bundle");
    let (code, out, err) = run_inside(&ws, &inside::bundle(&base, real.to_str().unwrap()));
    inside::parse_bundle(code, &out, &err).unwrap();
    let target = "refs/anycode/sandboxes/sb";

    let link = ws.join(".git").join("link.bundle");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = layout.mirror.fetch_bundle(&link, target).await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");

    // A symlink to a host secret is refused the same way (and never read).
    let secret = tmp.path().join("secret");
    std::fs::write(&secret, "top secret").unwrap();
    let link2 = ws.join("evil.bundle");
    std::os::unix::fs::symlink(&secret, &link2).unwrap();
    assert!(layout.mirror.fetch_bundle(&link2, target).await.is_err());

    let fifo = ws.join("fifo.bundle");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let err = layout.mirror.fetch_bundle(&fifo, target).await.unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");

    let err = layout
        .mirror
        .fetch_bundle(&ws.join("src"), target)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");

    let junk = ws.join("junk.bundle");
    std::fs::write(&junk, "# v2 git bundle\nnot really\n\nPACK").unwrap();
    let err = layout.mirror.fetch_bundle(&junk, target).await.unwrap_err();
    assert!(matches!(err, GitError::Failed { .. }), "{err:?}");
    std::fs::write(&junk, "hello").unwrap();
    assert!(layout.mirror.fetch_bundle(&junk, target).await.is_err());

    // A bundle whose prerequisites the mirror lacks (`new_repo`'s first commit is the same
    // commit in every repository made in the same second: add one of its own).
    let other = new_repo(tmp.path(), "other");
    write(&other, "y", "only in other");
    commit_all(&other, "y");
    write(&other, "z", "z");
    commit_all(&other, "z");
    let foreign = tmp.path().join("foreign.bundle");
    git(
        &other,
        &[
            "bundle",
            "create",
            "-q",
            foreign.to_str().unwrap(),
            "HEAD~1..HEAD",
        ],
    );
    let err = layout
        .mirror
        .fetch_bundle(&foreign, target)
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::Failed { .. }), "{err:?}");

    // A corrupt pack after a valid header.
    let mut bytes = std::fs::read(&real).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n - 30..n - 20] {
        *b ^= 0xff;
    }
    let corrupt = ws.join("corrupt.bundle");
    std::fs::write(&corrupt, bytes).unwrap();
    let err = layout
        .mirror
        .fetch_bundle(&corrupt, target)
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::Failed { .. }), "{err:?}");

    assert_eq!(
        layout.mirror.resolve(target).await.unwrap(),
        None,
        "nothing imported"
    );
    // The valid one still works.
    layout.mirror.fetch_bundle(&real, target).await.unwrap();
}

#[tokio::test]
async fn diff_files_covers_the_whole_working_tree_without_touching_the_index() {
    let (_tmp, layout, base) = setup().await;
    let ws = layout.checkout("sb", &base, "work").await;
    // A committed change…
    write(&ws, "committed.txt", "c\n");
    run_inside(&ws, &inside::commit("c", "A", "a@example.com"));
    // …a staged one, unstaged ones, an untracked file, an ignored one.
    write(&ws, "staged.txt", "s\n");
    git(&ws, &["add", "staged.txt"]);
    write(&ws, "edit.txt", "one\nTWO\nthree\nfour\n");
    std::fs::remove_file(ws.join("remove.txt")).unwrap();
    std::fs::rename(ws.join("rename-me.txt"), ws.join("renamed.txt")).unwrap();
    write(&ws, "dir/untracked file.txt", "u\n");
    write(&ws, "debug.log", "ignored\n");
    let index_before = std::fs::read(ws.join(".git/index")).unwrap();
    let status_before = git(&ws, &["status", "--porcelain"]);

    let (code, out, err) = run_inside(&ws, &inside::diff_files(&base));
    assert_eq!(code, 0, "{err}");
    let files = inside::parse_files(&out).unwrap();

    assert_eq!(
        std::fs::read(ws.join(".git/index")).unwrap(),
        index_before,
        "index untouched"
    );
    assert_eq!(git(&ws, &["status", "--porcelain"]), status_before);
    let find = |p: &str| {
        files
            .iter()
            .find(|f| f.path == p)
            .unwrap_or_else(|| panic!("{p} not in {files:?}"))
    };
    assert_eq!(find("committed.txt").status, FileStatus::Added);
    assert_eq!(find("staged.txt").status, FileStatus::Added);
    let edit = find("edit.txt");
    assert_eq!(
        (edit.status, edit.additions, edit.deletions),
        (FileStatus::Modified, 2, 1)
    );
    assert_eq!(find("remove.txt").status, FileStatus::Deleted);
    let renamed = find("renamed.txt");
    assert_eq!(renamed.status, FileStatus::Renamed);
    assert_eq!(renamed.old_path.as_deref(), Some("rename-me.txt"));
    assert_eq!(find("dir/untracked file.txt").status, FileStatus::Added);
    assert!(
        !files.iter().any(|f| f.path == "debug.log"),
        "ignored files are left out"
    );
    assert!(!files.iter().any(|f| f.path == "keep.txt"));

    // The patch of two of them (both sides of the rename).
    let paths = vec![
        "edit.txt".to_owned(),
        "renamed.txt".to_owned(),
        "rename-me.txt".to_owned(),
    ];
    let (code, out, err) = run_inside(&ws, &inside::diff_patch(&base, &paths));
    assert_eq!(code, 0, "{err}");
    let patch = parse_patch(&out, 1000);
    assert_eq!(patch.len(), 2, "{out}");
    let edit = patch.iter().find(|f| f.path == "edit.txt").unwrap();
    let added: Vec<&str> = edit.hunks[0]
        .lines
        .iter()
        .filter(|l| l.kind == gitops::LineKind::Add)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(added, vec!["TWO", "four"]);
    let renamed = patch.iter().find(|f| f.path == "renamed.txt").unwrap();
    assert_eq!(renamed.status, FileStatus::Renamed);
    assert_eq!(
        std::fs::read(ws.join(".git/index")).unwrap(),
        index_before,
        "index untouched"
    );

    // Patch of an untracked file only.
    let (code, out, _) = run_inside(
        &ws,
        &inside::diff_patch(&base, &["dir/untracked file.txt".to_owned()]),
    );
    assert_eq!(code, 0);
    let patch = parse_patch(&out, 1000);
    assert_eq!(patch.len(), 1);
    assert_eq!(patch[0].status, FileStatus::Added);
    assert_eq!(patch[0].path, "dir/untracked file.txt");

    // Status and list.
    let (code, out, err) = run_inside(&ws, &inside::status(&base));
    assert_eq!(code, 0, "{err}");
    let st = inside::parse_status(&out).unwrap();
    assert_eq!(st.branch.as_deref(), Some("work"));
    assert_eq!(st.head, Some(git(&ws, &["rev-parse", "HEAD"])));
    assert_eq!((st.ahead, st.behind), (1, 0));
    // staged.txt, edit.txt, remove.txt, rename-me.txt (deleted), renamed.txt (untracked),
    // dir/untracked file.txt
    assert_eq!(st.dirty_files, 6, "{out:?}");
    assert_eq!(st.untracked_files, 2);

    let (code, out, _) = run_inside(&ws, &inside::list_files());
    assert_eq!(code, 0);
    let list = inside::parse_list(&out);
    assert!(list.contains(&"dir/untracked file.txt".to_owned()));
    assert!(list.contains(&"keep.txt".to_owned()));
    assert!(!list.contains(&"debug.log".to_owned()));
}

#[tokio::test]
async fn scripts_work_from_a_subdirectory() {
    let (_tmp, layout, base) = setup().await;
    let ws = layout.checkout("sb", &base, "work").await;
    write(&ws, "sub/dir/x.txt", "x\n");
    let (code, out, err) = run_inside(&ws.join("sub"), &inside::diff_files(&base));
    assert_eq!(code, 0, "{err}");
    let files = inside::parse_files(&out).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "sub/dir/x.txt");
}
