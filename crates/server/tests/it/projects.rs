//! Projects end to end against the fake forge (GitHub REST subset + real Git over smart HTTP):
//! import (public, private, local, bad input, a cut clone), a sandbox on a new branch (real
//! Docker), its diff, a PR with the expected payload, a conflicting change on the base detected
//! and named, merges, a rejected push — and the invariant that nothing a sandbox plants in its
//! repository ever runs on the host.
use std::process::Command;

use fake_forge::{FakeForge, Fault};
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

const TOKEN_ALICE: &str = "ghp_alice_token_0123456789";

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Removes a sandbox's containers even when the test fails.
struct Cleanup(String);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let ids = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=anycode.sandbox-id={}", self.0),
        ]);
        for c in ids.lines() {
            docker(&["rm", "-f", c]);
        }
    }
}

async fn forge() -> (FakeForge, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let f = FakeForge::start(root.path()).await.unwrap();
    f.add_user("alice", TOKEN_ALICE);
    (f, root)
}

fn seed(f: &FakeForge, name: &str, private: bool) {
    f.create_repo("alice", name, private, "main");
    f.commit_files(
        "alice",
        name,
        "main",
        &[
            ("README.md", "# Demo\n\nline two\nline three\n"),
            (
                "package.json",
                "{\"name\": \"demo\", \"version\": \"1.0.0\"}\n",
            ),
            ("package-lock.json", "{}\n"),
            ("src/app.js", "console.log('hi');\n"),
        ],
        "initial",
    );
}

async fn server_for(f: &FakeForge, docker_driver: bool) -> TestServer {
    let url = f.url();
    TestServer::start_with(move |c| {
        c.github.api_url = url.clone();
        c.github.poll_every = std::time::Duration::from_secs(3600);
        if docker_driver {
            c.sandbox_driver = server::DriverChoice::Docker;
        }
    })
    .await
}

async fn connect(s: &TestServer) {
    let (st, v) = s
        .api(
            Method::POST,
            "/api/github/token",
            Some(json!({"token": TOKEN_ALICE})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["login"], "alice");
}

async fn import(s: &TestServer, repository: &str) -> (u16, Value) {
    s.api(
        Method::POST,
        "/api/github/import",
        Some(json!({ "repository": repository })),
    )
    .await
}

async fn exec(s: &TestServer, id: &str, script: &str) -> Value {
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{id}/exec"),
            Some(json!({"command": ["sh", "-c", script], "timeoutMs": 30000})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["exitCode"], 0, "{v}");
    v
}

async fn project_sandbox(s: &TestServer, project: &str, branch: &str) -> String {
    let (st, v) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": unique("proj"), "projectId": project, "branch": branch, "setup": false})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["git"]["branch"], branch);
    v["id"].as_str().unwrap().to_string()
}

fn repo_dirs(s: &TestServer) -> Vec<String> {
    match std::fs::read_dir(s.dir.join("repos")) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

#[tokio::test]
async fn import_public_private_local_and_bad_input_leave_nothing_half_done() {
    let (f, _root) = forge().await;
    seed(&f, "pub", false);
    seed(&f, "priv", true);
    let s = server_for(&f, false).await;

    let (st, v) = import(&s, "alice/pub").await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["status"], "ready");
    assert_eq!(v["defaultBranch"], "main");
    assert_eq!(v["kind"], "forge");
    assert!(
        v["detected"]["languages"]
            .to_string()
            .to_lowercase()
            .contains("javascript")
            || v["detected"]["packageManagers"].to_string().contains("npm"),
        "{v}"
    );

    // Private without a token: invisible, like GitHub says it.
    let (st, v) = import(&s, &format!("{}/alice/priv", f.url())).await;
    assert_eq!(st, 404, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("connect GitHub"),
        "{v}"
    );

    // A wrong token is refused and not stored.
    let (st, v) = s
        .api(
            Method::POST,
            "/api/github/token",
            Some(json!({"token": "ghp_wrong_token_xyz"})),
        )
        .await;
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["error"]["code"], "forge_access_denied");
    let (_, auth) = s.api(Method::GET, "/api/github/auth", None).await;
    assert_eq!(auth["connected"], false, "{auth}");

    connect(&s).await;
    let (_, auth) = s.api(Method::GET, "/api/github/auth", None).await;
    assert_eq!(auth["connected"], true);
    assert!(
        !auth.to_string().contains(TOKEN_ALICE),
        "the token never leaves: {auth}"
    );
    let (st, repos) = s.api(Method::GET, "/api/github/repos", None).await;
    assert_eq!(st, 200, "{repos}");
    assert!(repos.to_string().contains("alice/priv"), "{repos}");

    let (st, v) = import(&s, "https://github.com/alice/priv").await;
    // github.com is not the configured forge here: it is just another URL, and unreachable.
    assert!(st >= 400, "{v}");
    let (st, v) = import(&s, "alice/priv").await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["private"], true);
    let (st, v) = import(&s, "alice/priv").await;
    assert_eq!(st, 409, "{v}");

    // Bad input: each a clear error, nothing left behind.
    for (input, code) in [
        ("not a repo!!", 400),
        ("alice/missing", 404),
        ("/definitely/not/a/path", 400),
    ] {
        let (st, v) = import(&s, input).await;
        assert_eq!(st, code, "{input}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().len() > 10, "{v}");
    }
    let (st, v) = s
        .api(
            Method::POST,
            "/api/github/import",
            Some(json!({"repository": "alice/pub2", "branch": "bad..name"})),
        )
        .await;
    assert_eq!(st, 400, "{v}");

    // A network failure in the middle of the clone: 502, no project, no mirror folder.
    seed(&f, "cut", false);
    f.set_fault(Some(Fault::CutUploadPack { after_bytes: 200 }));
    let (st, v) = import(&s, "alice/cut").await;
    assert_eq!(st, 502, "{v}");
    f.set_fault(None);

    // A local repository.
    let local = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(local.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@x")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@x")
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    };
    git(&["init", "-q", "-b", "trunk"]);
    std::fs::write(local.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    let (st, v) = import(&s, local.path().to_str().unwrap()).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["kind"], "local");
    assert_eq!(v["defaultBranch"], "trunk");

    let (_, list) = s.api(Method::GET, "/api/projects", None).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ready", "ready", "ready"], "{list}");
    assert_eq!(repo_dirs(&s).len(), 3, "no mirror of a failed import stays");

    // Branches: listed from the mirror; a new one is pushed to the origin.
    let pid = list[1]["id"].as_str().unwrap();
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/projects/{pid}/branches"),
            Some(json!({"name": "release/1"})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert!(f.branch_sha("alice", "priv", "release/1").is_some());
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/projects/{pid}/branches"),
            Some(json!({"name": "-bad"})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let (_, branches) = s
        .api(Method::GET, &format!("/api/projects/{pid}/branches"), None)
        .await;
    assert!(branches.to_string().contains("release/1"), "{branches}");
}

#[tokio::test]
async fn a_sandbox_branch_becomes_a_pr_conflicts_are_named_and_merges_land() {
    let (f, _root) = forge().await;
    seed(&f, "app", true);
    let s = server_for(&f, true).await;
    connect(&s).await;
    let (st, p) = import(&s, "alice/app").await;
    assert_eq!(st, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();

    // An invalid branch: a clear error and no sandbox.
    let (st, v) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": unique("bad"), "projectId": pid, "branch": "a b"})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    let (_, list) = s.api(Method::GET, "/api/sandboxes", None).await;
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");

    let sb = project_sandbox(&s, &pid, "feature/readme").await;
    let _c = Cleanup(sb.clone());
    // The checkout is the project's, on the new branch, sharing the mirror's objects.
    let v = exec(
        &s,
        &sb,
        "git rev-parse --abbrev-ref HEAD && cat README.md && du -sk .git | cut -f1",
    )
    .await;
    let out = v["stdout"].as_str().unwrap();
    assert!(out.starts_with("feature/readme\n# Demo"), "{out}");

    exec(
        &s,
        &sb,
        "printf '# Demo\\n\\nline two changed by the agent\\nline three\\n' > README.md && echo 'export const x = 1;' > src/new.js",
    )
    .await;
    let (st, d) = s
        .api(Method::GET, &format!("/api/sandboxes/{sb}/diff"), None)
        .await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["totalFiles"], 2, "{d}");
    let paths: Vec<&str> = d["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["README.md", "src/new.js"], "{d}");
    // Pagination: one file per page.
    let (_, d1) = s
        .api(
            Method::GET,
            &format!("/api/sandboxes/{sb}/diff?offset=1&limit=1"),
            None,
        )
        .await;
    assert_eq!(d1["files"][0]["path"], "src/new.js", "{d1}");
    let (st, fd) = s
        .api(
            Method::GET,
            &format!("/api/sandboxes/{sb}/diff/file?path=README.md"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{fd}");
    let lines = fd["hunks"][0]["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "add" && l["text"] == "line two changed by the agent"),
        "{fd}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "delete" && l["text"] == "line two"),
        "{fd}"
    );
    let (_, files) = s
        .api(Method::GET, &format!("/api/sandboxes/{sb}/files"), None)
        .await;
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "src/new.js"),
        "{files}"
    );
    let (st, bad) = s
        .api(
            Method::GET,
            &format!("/api/sandboxes/{sb}/file?path=../../etc/passwd"),
            None,
        )
        .await;
    assert_eq!(st, 400, "{bad}");

    // The conflict radar: a second branch touching README.md is flagged before any PR.
    let sb3 = project_sandbox(&s, &pid, "feature/readme-too").await;
    let _c3 = Cleanup(sb3.clone());
    exec(
        &s,
        &sb3,
        "echo 'another edit' >> README.md && echo x > unrelated.txt",
    )
    .await;
    let (st, radar) = s
        .api(
            Method::GET,
            &format!("/api/radar?projectId={pid}&refresh=true"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{radar}");
    assert_eq!(radar.as_array().unwrap().len(), 1, "{radar}");
    assert_eq!(radar[0]["files"], json!(["README.md"]), "{radar}");
    let mut branches: Vec<&str> = radar[0]["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    branches.sort();
    assert_eq!(branches, vec!["feature/readme", "feature/readme-too"]);
    // The radar observes: a stopped sandbox is not started by it, and its last findings stay.
    let (st, _) = s
        .api(Method::POST, &format!("/api/sandboxes/{sb3}/stop"), None)
        .await;
    assert_eq!(st, 200);
    let (_, radar) = s
        .api(
            Method::GET,
            &format!("/api/radar?projectId={pid}&refresh=true"),
            None,
        )
        .await;
    assert_eq!(radar.as_array().unwrap().len(), 1, "{radar}");
    let (_, sb3_view) = s
        .api(Method::GET, &format!("/api/sandboxes/{sb3}"), None)
        .await;
    assert_eq!(sb3_view["status"], "stopped", "{sb3_view}");
    s.api(Method::DELETE, &format!("/api/sandboxes/{sb3}"), None)
        .await;
    let (_, radar) = s
        .api(
            Method::GET,
            &format!("/api/radar?projectId={pid}&refresh=true"),
            None,
        )
        .await;
    assert_eq!(radar, json!([]), "a destroyed sandbox leaves the radar");

    // The PR: drafted from the work, committed and pushed, with the expected payload.
    let (st, draft) = s
        .api(Method::GET, &format!("/api/sandboxes/{sb}/pr-draft"), None)
        .await;
    assert_eq!(st, 200, "{draft}");
    assert_eq!(draft["uncommitted"], 2, "{draft}");
    let drafted: Vec<&str> = draft["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        drafted,
        vec!["README.md", "src/new.js"],
        "uncommitted work is in the draft: {draft}"
    );
    let (_, st) = s
        .api(
            Method::GET,
            &format!("/api/sandboxes/{sb}/git/status"),
            None,
        )
        .await;
    assert_eq!(
        st["dirty"], 2,
        "drafting changed nothing in the sandbox: {st}"
    );
    assert_eq!(st["ahead"], 0, "{st}");
    let (st, pr) = s
        .api(
            Method::POST,
            "/api/github/pull-requests",
            Some(json!({"sandboxId": sb, "title": "Improve the README"})),
        )
        .await;
    assert_eq!(st, 201, "{pr}");
    assert_eq!(pr["state"], "open");
    assert_eq!(pr["head"], "feature/readme");
    assert_eq!(pr["base"], "main");
    assert_eq!(pr["conflicts"], json!([]));
    let created = f
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/repos/alice/app/pulls")
        .expect("a PR request reached the forge");
    let body = created.body.unwrap();
    assert_eq!(body["head"], "feature/readme");
    assert_eq!(body["base"], "main");
    assert_eq!(body["title"], "Improve the README");
    assert!(
        body["body"].as_str().unwrap().contains("README.md"),
        "{body}"
    );
    assert_eq!(created.auth_login.as_deref(), Some("alice"));
    let pushed = f.branch_sha("alice", "app", "feature/readme").unwrap();
    assert_eq!(pr["headSha"], pushed);

    // The base moves under the PR with a conflicting change: detected and the file named.
    f.commit_files(
        "alice",
        "app",
        "main",
        &[(
            "README.md",
            "# Demo\n\nline two changed upstream\nline three\n",
        )],
        "upstream edit",
    );
    let number = pr["number"].as_i64().unwrap();
    let (st, pr) = s
        .api(
            Method::GET,
            &format!("/api/github/pull-requests/{number}?projectId={pid}"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{pr}");
    assert_eq!(pr["mergeable"], false, "{pr}");
    assert_eq!(pr["conflicts"], json!(["README.md"]), "{pr}");
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/github/pull-requests/{number}/merge"),
            Some(json!({"projectId": pid, "mergeMethod": "merge"})),
        )
        .await;
    assert_eq!(st, 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("README.md"),
        "{v}"
    );

    // A second sandbox with non-conflicting work is squash-merged, its branch deleted.
    let sb2 = project_sandbox(&s, &pid, "feature/docs").await;
    let _c2 = Cleanup(sb2.clone());
    exec(&s, &sb2, "mkdir -p docs && echo 'how to' > docs/howto.md").await;
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{sb2}/commit"),
            Some(json!({"message": "Add docs"})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let (st, pr2) = s
        .api(
            Method::POST,
            "/api/github/pull-requests",
            Some(json!({"sandboxId": sb2})),
        )
        .await;
    assert_eq!(st, 201, "{pr2}");
    assert_eq!(pr2["title"], "Add docs", "drafted from the commit: {pr2}");
    let n2 = pr2["number"].as_i64().unwrap();
    let (st, merged) = s
        .api(
            Method::POST,
            &format!("/api/github/pull-requests/{n2}/merge"),
            Some(json!({"projectId": pid, "merge_method": "squash", "delete_branch": true})),
        )
        .await;
    assert_eq!(st, 200, "{merged}");
    assert_eq!(merged["state"], "merged", "{merged}");
    assert!(
        f.branch_sha("alice", "app", "feature/docs").is_none(),
        "branch deleted"
    );
    let main = f.branch_sha("alice", "app", "main").unwrap();
    assert_eq!(merged["mergeSha"], main);

    // A push the origin rejects as non-fast-forward: a clear 409.
    f.commit_files(
        "alice",
        "app",
        "feature/readme",
        &[("other.txt", "x\n")],
        "someone else",
    );
    exec(&s, &sb, "echo more >> src/new.js").await;
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{sb}/commit"),
            Some(json!({"message": "More"})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = s
        .api(Method::POST, &format!("/api/sandboxes/{sb}/push"), None)
        .await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "rejected", "{v}");

    for id in [&sb, &sb2] {
        s.api(Method::DELETE, &format!("/api/sandboxes/{id}"), None)
            .await;
    }
}

/// A sandbox plants `core.fsmonitor`, `core.hooksPath`, a filter driver and `diff.external`
/// in its repository. Git inside the sandbox runs them (proving they are live), but no AnyCode
/// operation — diff, files, commit, push, PR draft, PR, merge — runs any of them on the host.
#[tokio::test]
async fn nothing_a_sandbox_plants_in_its_repository_runs_on_the_host() {
    let (f, _root) = forge().await;
    seed(&f, "trap", true);
    let s = server_for(&f, true).await;
    connect(&s).await;
    let (_, p) = import(&s, "alice/trap").await;
    let pid = p["id"].as_str().unwrap().to_string();
    let sb = project_sandbox(&s, &pid, "feature/trap").await;
    let _c = Cleanup(sb.clone());
    let marker = format!("anycode-pwned-{}", uuid::Uuid::now_v7().simple());
    let plant = format!(
        r#"set -e
mkdir -p .hooks
for h in fsmon filter diffext pre-commit post-commit pre-push post-checkout reference-transaction; do
  printf '#!/bin/sh\ntouch /tmp/{marker}-%s\ncat 2>/dev/null || true\n' "$h" > .hooks/$h
  chmod +x .hooks/$h
done
git config core.fsmonitor .hooks/fsmon
git config core.hooksPath .hooks
git config filter.evil.clean .hooks/filter
git config filter.evil.smudge .hooks/filter
git config filter.evil.required false
git config diff.external .hooks/diffext
echo '* filter=evil' > .gitattributes
echo 'planted' >> README.md
"#
    );
    exec(&s, &sb, &plant).await;
    // Live inside the sandbox: git there runs them.
    let v = exec(
        &s,
        &sb,
        &format!("git status >/dev/null 2>&1; ls /tmp | grep -c {marker} || true"),
    )
    .await;
    assert_ne!(
        v["stdout"].as_str().unwrap().trim(),
        "0",
        "the plant must be live: {v}"
    );

    let host_markers = || -> Vec<String> {
        std::fs::read_dir("/tmp")
            .unwrap()
            .filter_map(|e| {
                let n = e.ok()?.file_name().to_string_lossy().into_owned();
                n.contains(&marker).then_some(n)
            })
            .collect()
    };
    for (m, path, body) in [
        (Method::GET, format!("/api/sandboxes/{sb}/diff"), None),
        (
            Method::GET,
            format!("/api/sandboxes/{sb}/diff/file?path=README.md"),
            None,
        ),
        (Method::GET, format!("/api/sandboxes/{sb}/files"), None),
        (Method::GET, format!("/api/sandboxes/{sb}/git/status"), None),
        (
            Method::POST,
            format!("/api/sandboxes/{sb}/commit"),
            Some(json!({"message": "trap"})),
        ),
        (Method::POST, format!("/api/sandboxes/{sb}/push"), None),
        (Method::GET, format!("/api/sandboxes/{sb}/pr-draft"), None),
        (
            Method::POST,
            "/api/github/pull-requests".to_string(),
            Some(json!({"sandboxId": sb, "title": "trap"})),
        ),
        (
            Method::GET,
            format!("/api/projects/{pid}/branches?refresh=true"),
            None,
        ),
    ] {
        let (st, v) = s.api(m.clone(), &path, body).await;
        assert!(st < 300, "{m} {path}: {st} {v}");
        assert!(
            host_markers().is_empty(),
            "{m} {path} ran sandbox code on the host: {:?}",
            host_markers()
        );
    }
    let (_, pulls) = s
        .api(
            Method::GET,
            &format!("/api/github/pull-requests?projectId={pid}"),
            None,
        )
        .await;
    let n = pulls[0]["number"].as_i64().unwrap();
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/github/pull-requests/{n}/merge"),
            Some(json!({"projectId": pid})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert!(
        host_markers().is_empty(),
        "merge ran sandbox code on the host"
    );
    s.api(Method::DELETE, &format!("/api/sandboxes/{sb}"), None)
        .await;
}

#[tokio::test]
async fn webhooks_need_a_valid_signature_and_update_pull_requests() {
    let (f, _root) = forge().await;
    seed(&f, "hooks", false);
    let url = f.url();
    let s = TestServer::start_with(move |c| {
        c.github.api_url = url.clone();
        c.github.webhook_secret = Some("s3cret".into());
        c.github.poll_every = std::time::Duration::from_secs(3600);
    })
    .await;
    let send = |sig: Option<String>, body: Vec<u8>| {
        let mut r = s
            .http
            .post(s.url("/api/github/webhook"))
            .header("x-github-event", "push")
            .header("content-type", "application/json")
            .body(body);
        if let Some(sig) = sig {
            r = r.header("x-hub-signature-256", sig);
        }
        r.send()
    };
    let body = json!({"ref": "refs/heads/main", "repository": {"full_name": "alice/hooks"}})
        .to_string()
        .into_bytes();
    // No AnyCode token is needed, but the signature is.
    assert_eq!(send(None, body.clone()).await.unwrap().status(), 401);
    assert_eq!(
        send(Some(forge::sign_webhook(b"wrong", &body)), body.clone())
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        send(Some(forge::sign_webhook(b"s3cret", &body)), body.clone())
            .await
            .unwrap()
            .status(),
        204
    );

    // The forge's own deliveries keep a PR current: it is merged on the forge, the webhook
    // arrives, the PR shows merged — with no poll (the poller runs hourly here).
    connect(&s).await;
    let (st, p) = import(&s, "alice/hooks").await;
    assert_eq!(st, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();
    f.commit_files(
        "alice",
        "hooks",
        "feature",
        &[("NEW.md", "new\n")],
        "feature work",
    );
    f.set_webhook(&s.url("/api/github/webhook"), "s3cret");
    let (st, pr) = s
        .api(
            Method::POST,
            "/api/github/pull-requests",
            Some(json!({"projectId": pid, "head": "feature", "base": "main", "title": "Feature"})),
        )
        .await;
    assert_eq!(st, 201, "{pr}");
    assert_eq!(pr["state"], "open");
    let number = pr["number"].as_u64().unwrap();
    let mut events = s.events().await;
    let merged = forge::Forge::new(&f.url(), None)
        .unwrap()
        .merge_pull(
            TOKEN_ALICE,
            "alice",
            "hooks",
            number,
            &forge::MergeRequest {
                method: forge::MergeMethod::Merge,
                commit_title: None,
                commit_message: None,
                sha: None,
            },
        )
        .await
        .unwrap();
    assert!(merged.merged);
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "pull"
            && ev["payload"]["number"] == number
            && ev["payload"]["state"] == "merged"
        {
            break;
        }
    }
    let (_, list) = s
        .api(
            Method::GET,
            &format!("/api/github/pull-requests?projectId={pid}"),
            None,
        )
        .await;
    assert_eq!(list[0]["state"], "merged", "{list}");
}
