//! The server's own environment and global git config never reach host git: a hostile `HOME`
//! (`~/.gitconfig`), `XDG_CONFIG_HOME`, `GIT_CONFIG_*`, `GIT_DIR`, `GIT_SSH_COMMAND`,
//! `GIT_EXEC_PATH`, `GIT_TRACE`. Its own test binary: it changes the process environment, before
//! any thread starts.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn script(path: &Path, marker: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn plain_git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn marks(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn hostile_home_and_environment_are_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let marks_dir = root.join("marks");
    std::fs::create_dir_all(&marks_dir).unwrap();

    // An upstream (made with a clean environment, before the hostile one is installed).
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    plain_git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("a.txt"), "a\n").unwrap();
    plain_git(&work, &["add", "-A"]);
    plain_git(&work, &["commit", "-q", "-m", "a"]);
    let upstream = root.join("upstream.git");
    plain_git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            upstream.to_str().unwrap(),
        ],
    );
    let url = format!("file://{}", upstream.display());

    // The hostile environment.
    let hooks = root.join("hooks");
    for hook in [
        "reference-transaction",
        "post-checkout",
        "pre-push",
        "post-update",
        "pre-receive",
        "update",
    ] {
        script(&hooks.join(hook), &marks_dir.join(format!("hook-{hook}")));
    }
    let s = |name: &str| {
        let p = root.join("scripts").join(name);
        script(&p, &marks_dir.join(name));
        p.display().to_string()
    };
    let config = format!(
        "[core]\n\tfsmonitor = {}\n\thooksPath = {}\n\tsshCommand = {}\n\tpager = {}\n\
         [uploadpack]\n\tpackObjectsHook = {}\n\
         [credential]\n\thelper = !{}\n\
         [url \"file:///nonexistent/evil.git\"]\n\tinsteadOf = {url}\n\
         [protocol]\n\tallow = always\n",
        s("fsmonitor"),
        hooks.display(),
        s("ssh"),
        s("pager"),
        s("packobjectshook"),
        s("credential"),
    );
    let home = root.join("home");
    std::fs::create_dir_all(home.join(".config/git")).unwrap();
    std::fs::write(home.join(".gitconfig"), &config).unwrap();
    std::fs::write(home.join(".config/git/config"), &config).unwrap();
    let exec_path = root.join("exec-path");
    for helper in [
        "git-upload-pack",
        "git-remote-http",
        "git-remote-https",
        "git-receive-pack",
    ] {
        script(
            &exec_path.join(helper),
            &marks_dir.join(format!("exec-{helper}")),
        );
    }
    let vars: Vec<(&str, String)> = vec![
        ("HOME", home.display().to_string()),
        (
            "XDG_CONFIG_HOME",
            home.join(".config").display().to_string(),
        ),
        (
            "GIT_CONFIG_PARAMETERS",
            format!("'core.hookspath'='{}'", hooks.display()),
        ),
        ("GIT_CONFIG_COUNT", "1".into()),
        ("GIT_CONFIG_KEY_0", "core.fsmonitor".into()),
        ("GIT_CONFIG_VALUE_0", s("fsmonitor-env")),
        ("GIT_DIR", root.join("bogus").display().to_string()),
        ("GIT_WORK_TREE", root.join("bogus").display().to_string()),
        ("GIT_SSH_COMMAND", s("git-ssh-command")),
        ("GIT_ASKPASS", s("askpass")),
        ("GIT_EXEC_PATH", exec_path.display().to_string()),
        ("GIT_TRACE", marks_dir.join("trace").display().to_string()),
        ("GIT_CONFIG_NOSYSTEM", "0".into()),
        ("EDITOR", s("editor")),
    ];
    for (key, value) in &vars {
        // Edition 2021, single-threaded here: nothing else reads the environment concurrently.
        std::env::set_var(key, value);
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let data = root.join("data");
        let mirror =
            gitops::Mirror::clone_from(&url, &data.join("mirror.git"), None, &Default::default())
                .await
                .expect("clone works despite the environment");
        mirror.fetch(None).await.unwrap();
        let head = mirror.resolve("main").await.unwrap().unwrap();
        mirror.create_branch("x", &head).await.unwrap();
        let ws = root.join("sb").join("workspace");
        gitops::prepare_checkout(&mirror, &ws, "main", "work", &Default::default())
            .await
            .unwrap();
        assert!(ws.join("a.txt").exists());
        mirror
            .push("refs/heads/x", "pushed", None, false)
            .await
            .unwrap();
        mirror.log(&head, "x", 5).await.unwrap();
        mirror.diff_files(&head, "x").await.unwrap();
        mirror.merge_check("main", "x").await.unwrap();
    });
    assert_eq!(
        marks(&marks_dir),
        Vec::<String>::new(),
        "the server's environment reached git"
    );

    // Control: plain git in this environment does run them.
    std::env::remove_var("GIT_DIR");
    std::env::remove_var("GIT_WORK_TREE");
    std::env::remove_var("GIT_EXEC_PATH");
    let _ = Command::new("git")
        .current_dir(root)
        .args([
            "clone",
            "-q",
            "--bare",
            &url,
            root.join("control.git").to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !marks(&marks_dir).is_empty(),
        "the hostile environment is effective"
    );
}
