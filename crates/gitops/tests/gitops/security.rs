//! The security invariant: nothing a sandbox plants in its checkout runs on the host, whatever
//! host-side operation follows.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use gitops::{inside, prepare_checkout, CheckoutOptions};

use crate::support::{
    file_url, git, git_cmd, marker_script, markers, new_repo, run_inside, write, Layout,
};

/// Plants every program-running setting we know of in the checkout at `ws`; each touches its
/// own marker in `marks`.
fn plant(ws: &Path, marks: &Path, scripts: &Path) {
    let script = |name: &str| {
        let path = scripts.join(name);
        marker_script(&path, &marks.join(name));
        path.display().to_string()
    };
    let hooks = scripts.join("hooks");
    for hook in [
        "pre-commit",
        "post-commit",
        "post-checkout",
        "post-merge",
        "pre-push",
        "reference-transaction",
        "pre-auto-gc",
        "post-rewrite",
        "fsmonitor-watchman",
        "push-to-checkout",
        "pre-receive",
        "update",
        "post-update",
    ] {
        marker_script(&hooks.join(hook), &marks.join(format!("hook-{hook}")));
        // Also the repository's own hooks directory.
        marker_script(
            &ws.join(".git/hooks").join(hook),
            &marks.join(format!("githook-{hook}")),
        );
    }
    let fsmonitor = script("fsmonitor");
    let clean = script("filter-clean");
    let smudge = script("filter-smudge");
    let external = script("diff-external");
    let textconv = script("textconv");
    let ssh = script("ssh");
    let askpass = script("askpass");
    let helper = script("credential-helper");
    let pager = script("pager");
    let merge = script("merge-driver");
    let upload = script("packobjectshook");
    let sets: Vec<(&str, String)> = vec![
        ("core.fsmonitor", fsmonitor),
        ("core.hooksPath", hooks.display().to_string()),
        ("filter.x.clean", clean),
        ("filter.x.smudge", smudge),
        ("filter.x.required", "true".into()),
        ("diff.external", external),
        ("diff.x.textconv", textconv),
        ("merge.x.driver", merge),
        ("core.sshCommand", ssh),
        ("core.askPass", askpass),
        ("credential.helper", format!("!{helper}")),
        ("core.pager", pager),
        ("uploadpack.packObjectsHook", upload),
        ("gc.auto", "1".into()),
    ];
    for (key, value) in sets {
        git(ws, &["config", key, &value]);
    }
    write(ws, ".gitattributes", "* filter=x diff=x merge=x\n");
}

#[tokio::test]
async fn host_operations_never_run_what_a_sandbox_planted() {
    let tmp = tempfile::tempdir().unwrap();
    let marks = tmp.path().join("marks");
    let scripts = tmp.path().join("scripts");
    std::fs::create_dir_all(&marks).unwrap();
    let work = new_repo(tmp.path(), "work");
    let upstream = tmp.path().join("upstream.git");
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
    let layout = Layout::new(tmp.path(), &file_url(&upstream)).await;
    let mirror = &layout.mirror;
    let base = mirror.resolve("main").await.unwrap().unwrap();
    let ws = layout.checkout("sb", &base, "anycode/sb").await;

    // The sandbox works (its own hooks would be its own business: plant afterwards so the
    // markers only show host execution), commits attributes naming the evil drivers, bundles.
    write(&ws, ".gitattributes", "* filter=x diff=x merge=x\n");
    write(&ws, "src/lib.rs", "pub fn one() -> u32 {\n    2\n}\n");
    write(&ws, "evil.txt", "payload\n");
    let (code, out, err) = run_inside(
        &ws,
        &inside::commit("sandbox work", "Agent", "agent@example.com"),
    );
    inside::parse_commit(code, &out, &err).unwrap();
    let bundle = ws.join(".git").join("anycode.bundle");
    let (code, out, err) = run_inside(&ws, &inside::bundle(&base, bundle.to_str().unwrap()));
    let head = inside::parse_bundle(code, &out, &err).unwrap();
    plant(&ws, &marks, &scripts);
    write(&ws, "src/lib.rs", "dirty\n"); // so a status/diff in the checkout would consult fsmonitor
    assert!(
        markers(&marks).is_empty(),
        "setup ran nothing: {:?}",
        markers(&marks)
    );

    // Every host-side operation.
    let target = gitops::sandbox_ref("sb");
    assert_eq!(mirror.fetch_bundle(&bundle, &target).await.unwrap(), head);
    mirror.merge_check("main", &target).await.unwrap();
    mirror.log(&base, &target, 10).await.unwrap();
    let files = mirror.diff_files("main", &target).await.unwrap();
    assert!(files.iter().any(|f| f.path == ".gitattributes"));
    mirror
        .diff_file("main", &target, "src/lib.rs", 100)
        .await
        .unwrap();
    mirror
        .diff_file("main", &target, "evil.txt", 100)
        .await
        .unwrap();
    mirror.list_files(&target, 100).await.unwrap();
    mirror.read_file(&target, "evil.txt", 100).await.unwrap();
    mirror
        .read_file(&target, ".gitattributes", 100)
        .await
        .unwrap();
    mirror.branches().await.unwrap();
    mirror.default_branch().await.unwrap();
    mirror.resolve(&target).await.unwrap();
    mirror.create_branch("anycode/sb", &target).await.unwrap();
    mirror
        .push(&target, "anycode/sb", None, false)
        .await
        .unwrap();
    mirror.fetch(None).await.unwrap();
    // A new sandbox forked from the harvested work checks out the evil attributes.
    let ws2 = layout.sandbox_dir("sb2").join("workspace");
    prepare_checkout(
        mirror,
        &ws2,
        &target,
        "anycode/sb2",
        &CheckoutOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(ws2.join("evil.txt")).unwrap(),
        "payload\n"
    );
    // Merge-tree over the attributes, both ways.
    mirror.merge_check(&target, "main").await.unwrap();

    assert_eq!(
        markers(&marks),
        Vec::<String>::new(),
        "host git ran a planted program"
    );

    // Control: an unhardened host `git status` in that checkout *does* run what was planted.
    let _ = git_cmd(&ws, &["status", "--porcelain"]).output().unwrap();
    let _ = git_cmd(&ws, &["diff", "HEAD"]).output().unwrap();
    let hit = markers(&marks);
    assert!(hit.contains(&"fsmonitor".to_owned()), "{hit:?}");
    assert!(hit.contains(&"diff-external".to_owned()), "{hit:?}");
}

#[test]
fn marker_scripts_are_executable() {
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("s");
    marker_script(&script, &tmp.path().join("m"));
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111);
    assert!(std::process::Command::new(&script)
        .status()
        .unwrap()
        .success());
    assert!(tmp.path().join("m").exists());
}
