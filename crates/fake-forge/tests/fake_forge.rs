//! The fake against the real git CLI over real TCP: clone, auth, push, faults, webhooks, and
//! the binary.

#![allow(clippy::unwrap_used)] // test helpers unwrap: a panic is a failed test with a location

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use fake_forge::{basic_auth, FakeForge, Fault};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

const ALICE: &str = "tok-alice";
const BOB: &str = "tok-bob";

/// `git` with no user config, no prompts, and a fixed identity.
fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .stdin(Stdio::null())
        .output()
        .expect("run git")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "git failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn auth(token: &str) -> String {
    format!("http.extraHeader=Authorization: {}", basic_auth(token))
}

async fn forge(dir: &Path) -> FakeForge {
    let fake = FakeForge::start(&dir.join("forge")).await.unwrap();
    fake.add_user("alice", ALICE);
    fake.add_user("bob", BOB);
    fake
}

#[tokio::test]
async fn public_repo_clones_with_plain_git() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = forge(tmp.path()).await;
    let bare = fake.create_repo("alice", "app", false, "main");
    assert!(bare.join("HEAD").exists());
    assert_eq!(
        bare,
        tmp.path()
            .join("forge")
            .canonicalize()
            .unwrap()
            .join("alice/app.git")
    );
    let sha = fake.commit_files(
        "alice",
        "app",
        "main",
        &[("README.md", "hello\n"), ("src/a.txt", "a")],
        "init",
    );
    assert_eq!(
        fake.branch_sha("alice", "app", "main").as_deref(),
        Some(sha.as_str())
    );
    assert_eq!(fake.branch_sha("alice", "app", "nope"), None);

    ok(git(
        tmp.path(),
        &["clone", "-q", &fake.clone_url("alice", "app"), "c1"],
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("c1/README.md")).unwrap(),
        "hello\n"
    );
    assert_eq!(ok(git(&tmp.path().join("c1"), &["rev-parse", "HEAD"])), sha);
    // Without `.git`, like GitHub.
    ok(git(
        tmp.path(),
        &["clone", "-q", &format!("{}/alice/app", fake.url()), "c2"],
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("c2/src/a.txt")).unwrap(),
        "a"
    );
    // A second commit on a new branch starts from the default branch.
    fake.commit_files("alice", "app", "feature", &[("b.txt", "b")], "b");
    ok(git(&tmp.path().join("c1"), &["fetch", "-q", "origin"]));
    let files = ok(git(
        &tmp.path().join("c1"),
        &["ls-tree", "-r", "--name-only", "origin/feature"],
    ));
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        ["README.md", "b.txt", "src/a.txt"]
    );
    // Many branches: the fetch request outgrows 1 KiB and git gzips it (http-backend inflates).
    let many = tmp.path().join("many");
    ok(git(
        tmp.path(),
        &["init", "-q", &many.display().to_string()],
    ));
    let mut stream = String::new();
    for i in 0..60 {
        let msg = format!("c{i}");
        stream.push_str(&format!(
            "commit refs/heads/b{i}\ncommitter T <t@e> {} +0000\ndata {}\n{msg}\n\n",
            1_700_000_000 + i,
            msg.len()
        ));
    }
    let mut child = Command::new("git")
        .current_dir(&many)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), stream.as_bytes()).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    ok(git(
        &many,
        &[
            "-c",
            &auth(ALICE),
            "push",
            "-q",
            &fake.clone_url("alice", "app"),
            "refs/heads/*:refs/heads/*",
        ],
    ));
    ok(git(&tmp.path().join("c1"), &["fetch", "-q", "origin"]));
    let remote = ok(git(&tmp.path().join("c1"), &["branch", "-r"]));
    assert_eq!(
        remote.lines().filter(|l| l.contains("origin/b")).count(),
        60
    );

    // Git traffic is not in the REST log.
    assert!(fake.requests().is_empty());
    // Unknown repositories are 404.
    let out = git(
        tmp.path(),
        &["clone", "-q", &fake.clone_url("alice", "missing"), "c3"],
    );
    assert!(!out.status.success());
}

#[tokio::test]
async fn private_repo_needs_a_token_that_can_see_it() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = forge(tmp.path()).await;
    fake.create_repo("alice", "secret", true, "main");
    fake.commit_files("alice", "secret", "main", &[("s.txt", "s")], "init");
    let url = fake.clone_url("alice", "secret");

    let out = git(tmp.path(), &["clone", "-q", &url, "anon"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("terminal prompts disabled")
            || err.contains("401")
            || err.contains("Authentication failed"),
        "{err}"
    );
    let out = git(
        tmp.path(),
        &["-c", &auth("wrong"), "clone", "-q", &url, "bad"],
    );
    assert!(!out.status.success());
    // Bob's token is valid but he cannot see it: 404, like GitHub.
    let out = git(tmp.path(), &["-c", &auth(BOB), "clone", "-q", &url, "bob"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    ok(git(
        tmp.path(),
        &["-c", &auth(ALICE), "clone", "-q", &url, "alice"],
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("alice/s.txt")).unwrap(),
        "s"
    );
    fake.grant("alice", "secret", "bob");
    ok(git(
        tmp.path(),
        &["-c", &auth(BOB), "clone", "-q", &url, "bob2"],
    ));
    // A bearer header works too.
    ok(git(
        tmp.path(),
        &[
            "-c",
            &format!("http.extraHeader=Authorization: Bearer {ALICE}"),
            "clone",
            "-q",
            &url,
            "bearer",
        ],
    ));
}

#[tokio::test]
async fn push_needs_a_token_with_write_access() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = forge(tmp.path()).await;
    fake.create_repo("alice", "app", false, "main");
    let base = fake.commit_files("alice", "app", "main", &[("a.txt", "1")], "init");
    let url = fake.clone_url("alice", "app");
    let work = tmp.path().join("w");
    ok(git(tmp.path(), &["clone", "-q", &url, "w"]));
    std::fs::write(work.join("a.txt"), "2").unwrap();
    ok(git(&work, &["commit", "-qam", "two"]));
    let head = ok(git(&work, &["rev-parse", "HEAD"]));

    let out = git(&work, &["push", "-q", "origin", "HEAD:main"]);
    assert!(!out.status.success(), "anonymous push must fail");
    let out = git(
        &work,
        &["-c", &auth(BOB), "push", "-q", "origin", "HEAD:main"],
    );
    assert!(!out.status.success(), "bob has no write access");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fake.branch_sha("alice", "app", "main").as_deref(),
        Some(base.as_str())
    );

    ok(git(
        &work,
        &[
            "-c",
            &auth(ALICE),
            "push",
            "-q",
            "origin",
            "HEAD:main",
            "HEAD:refs/heads/topic",
        ],
    ));
    assert_eq!(
        fake.branch_sha("alice", "app", "main").as_deref(),
        Some(head.as_str())
    );
    // A pack bigger than git's http.postBuffer (1 MiB) is sent chunked, without a length.
    let noise: Vec<u8> = (0u32..3_000_000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(work.join("noise.bin"), &noise).unwrap();
    ok(git(&work, &["add", "noise.bin"]));
    ok(git(&work, &["commit", "-qm", "noise"]));
    let big = ok(git(&work, &["rev-parse", "HEAD"]));
    ok(git(
        &work,
        &[
            "-c",
            &auth(ALICE),
            "push",
            "-q",
            "origin",
            "HEAD:refs/heads/big",
        ],
    ));
    assert_eq!(
        fake.branch_sha("alice", "app", "big").as_deref(),
        Some(big.as_str())
    );
    assert_eq!(
        fake.branch_sha("alice", "app", "topic").as_deref(),
        Some(head.as_str())
    );
    // A collaborator may push; a branch deletion is a push too.
    fake.grant("alice", "app", "bob");
    ok(git(
        &work,
        &["-c", &auth(BOB), "push", "-q", "origin", ":topic"],
    ));
    assert_eq!(fake.branch_sha("alice", "app", "topic"), None);
}

#[tokio::test]
async fn cut_upload_pack_fails_one_clone() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = forge(tmp.path()).await;
    fake.create_repo("alice", "app", false, "main");
    let big: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    fake.commit_files("alice", "app", "main", &[("big.txt", &big)], "big");
    let url = fake.clone_url("alice", "app");

    fake.set_fault(Some(Fault::CutUploadPack { after_bytes: 2000 }));
    let out = git(tmp.path(), &["clone", "-q", &url, "cut"]);
    assert!(!out.status.success(), "the cut clone must fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("RPC failed") || err.contains("early EOF"),
        "{err}"
    );
    // One-shot: the next clone works.
    ok(git(tmp.path(), &["clone", "-q", &url, "whole"]));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("whole/big.txt")).unwrap(),
        big
    );
}

#[derive(Debug)]
struct Hook {
    event: String,
    delivery: String,
    signature: String,
    body: Bytes,
}

async fn receive(State(tx): State<mpsc::Sender<Hook>>, headers: HeaderMap, body: Bytes) {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let _ = tx
        .send(Hook {
            event: h("x-github-event"),
            delivery: h("x-github-delivery"),
            signature: h("x-hub-signature-256"),
            body,
        })
        .await;
}

async fn next_hook(rx: &mut mpsc::Receiver<Hook>) -> (Hook, serde_json::Value) {
    let hook = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook within 10 s")
        .expect("receiver open");
    assert!(
        forge::verify_webhook_signature(b"s3cret", &hook.body, &hook.signature),
        "bad signature {}",
        hook.signature
    );
    assert!(uuid_like(&hook.delivery), "{}", hook.delivery);
    let json = serde_json::from_slice(&hook.body).unwrap();
    (hook, json)
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn webhooks_are_signed_and_cover_pushes_and_pulls() {
    let (tx, mut rx) = mpsc::channel(16);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(tx);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let tmp = tempfile::tempdir().unwrap();
    let fake = forge(tmp.path()).await;
    fake.create_repo("alice", "app", false, "main");
    let base = fake.commit_files("alice", "app", "main", &[("a.txt", "1")], "init");
    fake.set_webhook(&hook_url, "s3cret");

    // A git push.
    let work = tmp.path().join("w");
    ok(git(
        tmp.path(),
        &["clone", "-q", &fake.clone_url("alice", "app"), "w"],
    ));
    std::fs::write(work.join("b.txt"), "b").unwrap();
    ok(git(&work, &["add", "."]));
    ok(git(&work, &["commit", "-qm", "b"]));
    let head = ok(git(&work, &["rev-parse", "HEAD"]));
    ok(git(
        &work,
        &[
            "-c",
            &auth(ALICE),
            "push",
            "-q",
            "origin",
            "HEAD:refs/heads/feat",
        ],
    ));
    let (hook, push) = next_hook(&mut rx).await;
    assert_eq!(hook.event, "push");
    assert_eq!(push["ref"], "refs/heads/feat");
    assert_eq!(push["before"], "0000000000000000000000000000000000000000");
    assert_eq!(push["after"], head.as_str());
    assert_eq!(push["repository"]["full_name"], "alice/app");

    // A pull request opened, then merged.
    let api = forge::Forge::new(&fake.url(), None).unwrap();
    let pr = api
        .create_pull(
            ALICE,
            "alice",
            "app",
            &forge::NewPull {
                title: "Add b".into(),
                body: "".into(),
                head: "feat".into(),
                base: "main".into(),
                draft: false,
            },
        )
        .await
        .unwrap();
    let (hook, opened) = next_hook(&mut rx).await;
    assert_eq!(hook.event, "pull_request");
    assert_eq!(opened["action"], "opened");
    assert_eq!(opened["pull_request"]["number"], pr.number);
    assert_eq!(opened["pull_request"]["merged"], false);

    let merged = api
        .merge_pull(
            ALICE,
            "alice",
            "app",
            pr.number,
            &forge::MergeRequest::default(),
        )
        .await
        .unwrap();
    let (hook, push) = next_hook(&mut rx).await;
    assert_eq!(hook.event, "push");
    assert_eq!(push["ref"], "refs/heads/main");
    assert_eq!(push["before"], base.as_str());
    assert_eq!(push["after"], merged.sha.as_str());
    let (hook, closed) = next_hook(&mut rx).await;
    assert_eq!(hook.event, "pull_request");
    assert_eq!(closed["action"], "closed");
    assert_eq!(closed["pull_request"]["merged"], true);
    assert_eq!(
        closed["pull_request"]["merge_commit_sha"],
        merged.sha.as_str()
    );
    server.abort();
}

#[tokio::test]
async fn binary_serves_seeded_repositories() {
    let tmp = tempfile::tempdir().unwrap();
    // A local repository to seed from, on branch `trunk`.
    let local = tmp.path().join("local");
    std::fs::create_dir(&local).unwrap();
    ok(git(&local, &["init", "-q", "-b", "trunk"]));
    std::fs::write(local.join("seed.txt"), "seeded").unwrap();
    ok(git(&local, &["add", "."]));
    ok(git(&local, &["commit", "-qm", "seed"]));

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_anycode-fake-forge"))
        .args(["--root", tmp.path().join("root").to_str().unwrap()])
        .args([
            "--user",
            "alice:tok-alice",
            "--repo",
            "alice/private:private",
        ])
        .args(["--seed", &format!("alice/seeded={}", local.display())])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the binary prints its URL")
    .unwrap();
    let url = serde_json::from_str::<serde_json::Value>(&line).unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();

    ok(git(
        tmp.path(),
        &["clone", "-q", &format!("{url}/alice/seeded.git"), "c"],
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("c/seed.txt")).unwrap(),
        "seeded"
    );
    assert_eq!(
        ok(git(&tmp.path().join("c"), &["branch", "--show-current"])),
        "trunk"
    );
    let api = forge::Forge::new(&url, None).unwrap();
    assert_eq!(
        api.repo(None, "alice", "seeded")
            .await
            .unwrap()
            .default_branch,
        "trunk"
    );
    assert!(
        api.repo(Some("tok-alice"), "alice", "private")
            .await
            .unwrap()
            .private
    );
    assert!(matches!(
        api.repo(None, "alice", "private").await,
        Err(forge::ForgeError::NotFound(_))
    ));

    // The control endpoints drive what tests of the library call directly.
    let http = reqwest::Client::new();
    let sha: serde_json::Value = http
        .post(format!("{url}/_fake/commit"))
        .json(&serde_json::json!({"owner": "alice", "name": "seeded", "branch": "trunk", "files": {"x.txt": "x"}, "message": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sha["sha"].as_str().unwrap().len(), 40);
    let requests: Vec<fake_forge::RecordedRequest> = http
        .get(format!("{url}/_fake/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].auth_login.as_deref(), Some("alice"));

    child.start_kill().unwrap();
    child.wait().await.unwrap();
}
