//! `prepare_checkout`: relative alternates, no copied objects, shallow mirrors, failures.

use gitops::{prepare_checkout, CheckoutOptions, CloneOptions, GitError, Mirror};

use crate::support::{commit_all, file_url, files_under, git, git_cmd, new_repo, write, Layout};

#[tokio::test]
async fn checkout_shares_the_mirrors_objects_through_a_relative_path() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    for i in 0..20 {
        write(&up, &format!("f{i}.txt"), &format!("{i}\n"));
        commit_all(&up, &format!("c{i}"));
    }
    git(&up, &["tag", "-a", "v1", "-m", "release"]);
    let head = git(&up, &["rev-parse", "HEAD"]);
    let layout = Layout::new(tmp.path(), &file_url(&up)).await;

    let ws = layout.sandbox_dir("sb1").join("workspace");
    let opts = CheckoutOptions {
        user_name: "Agent".into(),
        user_email: "agent@anycode".into(),
        ..CheckoutOptions::default()
    };
    let sha = prepare_checkout(&layout.mirror, &ws, "main", "anycode/sb1", &opts)
        .await
        .unwrap();
    assert_eq!(sha, head);

    // The work tree is there, on the new branch.
    assert_eq!(std::fs::read_to_string(ws.join("f19.txt")).unwrap(), "19\n");
    assert_eq!(
        git(&ws, &["symbolic-ref", "--short", "HEAD"]),
        "anycode/sb1"
    );
    assert_eq!(git(&ws, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&ws, &["status", "--porcelain"]), "", "clean checkout");
    assert_eq!(
        std::fs::read_to_string(ws.join(".git/objects/info/alternates")).unwrap(),
        "../../../mirror.git/objects\n"
    );
    assert_eq!(git(&ws, &["config", "remote.origin.url"]), "/mirror.git");
    assert_eq!(git(&ws, &["config", "user.name"]), "Agent");
    assert_eq!(git(&ws, &["config", "user.email"]), "agent@anycode");
    assert_eq!(git(&ws, &["rev-parse", "refs/remotes/origin/main"]), head);
    assert_eq!(
        git(&ws, &["describe", "--tags"]),
        "v1",
        "annotated tags peel"
    );

    // No object was copied: only the index, refs and config.
    let objects: Vec<_> = files_under(&ws.join(".git/objects"))
        .into_iter()
        .filter(|p| !p.ends_with("info/alternates"))
        .collect();
    assert!(objects.is_empty(), "{objects:?}");

    // History reads through the relative path (via the sandbox-style symlink)…
    assert_eq!(git(&ws, &["rev-list", "--count", "HEAD"]), "21");
    // …and only through it: without the symlink the objects are gone.
    std::fs::remove_file(ws.parent().unwrap().join("mirror.git")).unwrap();
    let out = git_cmd(&ws, &["log", "-1"]).output().unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn any_revision_can_be_the_base() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    let first = git(&up, &["rev-parse", "HEAD"]);
    write(&up, "x.txt", "x");
    commit_all(&up, "second");
    let layout = Layout::new(tmp.path(), &file_url(&up)).await;
    let ws = layout.checkout("sb", &first, "work").await;
    assert_eq!(git(&ws, &["rev-parse", "HEAD"]), first);
    assert!(!ws.join("x.txt").exists());
}

#[tokio::test]
async fn checkout_of_a_shallow_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    for i in 0..5 {
        write(&up, "n.txt", &i.to_string());
        commit_all(&up, &format!("c{i}"));
    }
    let dest = tmp.path().join("data").join("mirror.git");
    let opts = CloneOptions {
        depth: Some(2),
        ..CloneOptions::default()
    };
    let mirror = Mirror::clone_from(&file_url(&up), &dest, None, &opts)
        .await
        .unwrap();
    let layout = Layout {
        root: tmp.path().to_owned(),
        mirror,
    };
    let ws = layout.checkout("sb", "main", "work").await;
    assert!(ws.join(".git/shallow").exists());
    assert_eq!(git(&ws, &["rev-list", "--count", "HEAD"]), "2");
    assert_eq!(git(&ws, &["status", "--porcelain"]), "");
}

#[tokio::test]
async fn refuses_a_non_empty_workspace_and_cleans_up_after_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let up = new_repo(tmp.path(), "up");
    let layout = Layout::new(tmp.path(), &file_url(&up)).await;

    let busy = tmp.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("file"), "x").unwrap();
    let err = prepare_checkout(&layout.mirror, &busy, "main", "b", &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::AlreadyExists(_)), "{err:?}");
    assert_eq!(
        std::fs::read_to_string(busy.join("file")).unwrap(),
        "x",
        "untouched"
    );

    let ws = tmp.path().join("ws");
    let err = prepare_checkout(&layout.mirror, &ws, "no-such-rev", "b", &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
    assert!(!ws.exists());
    let err = prepare_checkout(
        &layout.mirror,
        &ws,
        "main",
        "bad..branch",
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GitError::InvalidRef(_)), "{err:?}");
    assert!(!ws.exists());

    // An empty directory is fine (e.g. a mount point), and is emptied again on failure.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let gone = Mirror::at(tmp.path().join("gone.git"));
    assert!(
        prepare_checkout(&gone, &empty, "main", "b", &Default::default())
            .await
            .is_err()
    );
    assert!(empty.exists());
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    prepare_checkout(&layout.mirror, &empty, "main", "b", &Default::default())
        .await
        .unwrap();

    let bad = CheckoutOptions {
        alternates_rel: "/abs/objects".into(),
        ..CheckoutOptions::default()
    };
    assert!(
        prepare_checkout(&layout.mirror, &tmp.path().join("ws2"), "main", "b", &bad)
            .await
            .is_err()
    );
}
