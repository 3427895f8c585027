//! The client against `fake-forge` over real TCP: every call, its error cases, and what went on
//! the wire.

#![allow(clippy::unwrap_used)] // test helpers unwrap: a panic is a failed test with a location

use std::path::Path;
use std::process::{Command, Stdio};

use fake_forge::{FakeForge, Fault};
use forge::{
    Checks, DevicePoll, Forge, ForgeError, MergeMethod, MergeRequest, NewPull, UpdatePull,
};

const ALICE: &str = "tok-alice";
const BOB: &str = "tok-bob";

struct Env {
    _tmp: tempfile::TempDir,
    fake: FakeForge,
    api: Forge,
}

async fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let fake = FakeForge::start(tmp.path()).await.unwrap();
    fake.add_user("alice", ALICE);
    fake.add_user("bob", BOB);
    fake.set_user_name("alice", Some("Alice A."));
    let api = Forge::new(&fake.url(), None).unwrap();
    Env {
        _tmp: tmp,
        fake,
        api,
    }
}

/// `alice/app` with `main` (a.txt, b.txt) and `feat` (one commit changing a.txt).
fn seed(fake: &FakeForge) {
    fake.create_repo("alice", "app", false, "main");
    fake.commit_files(
        "alice",
        "app",
        "main",
        &[("a.txt", "a\n"), ("b.txt", "b\n")],
        "init",
    );
    fake.commit_files(
        "alice",
        "app",
        "feat",
        &[("a.txt", "a feat\n")],
        "feat: change a",
    );
}

fn new_pull(head: &str) -> NewPull {
    NewPull {
        title: format!("Merge {head}"),
        body: "Body text".into(),
        head: head.into(),
        base: "main".into(),
        draft: false,
    }
}

/// `git --git-dir <bare> <args>`.
fn bare_git(bare: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn user_and_bad_tokens() {
    let e = env().await;
    let user = e.api.user(ALICE).await.unwrap();
    assert_eq!(user.login, "alice");
    assert_eq!(user.name.as_deref(), Some("Alice A."));
    assert_eq!(e.api.user(BOB).await.unwrap().name, None);
    let err = e.api.user("nope").await.unwrap_err();
    assert!(
        matches!(&err, ForgeError::Unauthorized(m) if m == "Bad credentials"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("nope"));

    let req = &e.fake.requests()[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/user"));
    assert_eq!(req.auth_login.as_deref(), Some("alice"));
}

#[tokio::test]
async fn repositories_public_private_missing() {
    let e = env().await;
    e.fake.create_repo("alice", "pub", false, "main");
    e.fake.create_repo("alice", "priv", true, "trunk");
    e.fake.set_description("alice", "pub", Some("A public one"));

    let r = e.api.repo(None, "alice", "pub").await.unwrap();
    assert_eq!(r.full_name, "alice/pub");
    assert_eq!((r.owner.as_str(), r.name.as_str()), ("alice", "pub"));
    assert!(!r.private);
    assert_eq!(r.default_branch, "main");
    assert_eq!(r.clone_url, format!("{}/alice/pub.git", e.fake.url()));
    assert_eq!(r.clone_url, e.api.clone_url("alice", "pub"));
    assert_eq!(r.html_url, format!("{}/alice/pub", e.fake.url()));
    assert_eq!(r.description.as_deref(), Some("A public one"));

    let r = e.api.repo(Some(ALICE), "alice", "priv").await.unwrap();
    assert!(r.private);
    assert_eq!(r.default_branch, "trunk");
    for token in [None, Some(BOB)] {
        let err = e.api.repo(token, "alice", "priv").await.unwrap_err();
        assert!(
            matches!(&err, ForgeError::NotFound(m) if m == "repository alice/priv not found or not visible with this token"),
            "{err:?}"
        );
    }
    e.fake.grant("alice", "priv", "bob");
    assert!(e.api.repo(Some(BOB), "alice", "priv").await.is_ok());
    assert!(matches!(
        e.api.repo(Some(ALICE), "alice", "missing").await,
        Err(ForgeError::NotFound(_))
    ));
    assert!(matches!(
        e.api.repo(Some("bad"), "alice", "pub").await,
        Err(ForgeError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn user_repos_lists_owned_and_granted_most_recent_first() {
    let e = env().await;
    e.fake.create_repo("alice", "one", false, "main");
    e.fake.create_repo("alice", "two", true, "main");
    e.fake.create_repo("bob", "theirs", true, "main");
    e.fake.create_repo("bob", "shared", true, "main");
    e.fake.grant("bob", "shared", "alice");
    e.fake
        .commit_files("alice", "one", "main", &[("x", "x")], "x"); // `one` is now newest

    let names =
        |repos: Vec<forge::Repo>| repos.into_iter().map(|r| r.full_name).collect::<Vec<_>>();
    assert_eq!(
        names(e.api.user_repos(ALICE, 1, 100).await.unwrap()),
        ["alice/one", "bob/shared", "alice/two"]
    );
    assert_eq!(
        names(e.api.user_repos(ALICE, 2, 2).await.unwrap()),
        ["alice/two"]
    );
    assert!(e.api.user_repos(ALICE, 3, 2).await.unwrap().is_empty());
    let req = e.fake.requests().pop().unwrap();
    assert_eq!(req.path, "/user/repos");
    assert_eq!(req.query.as_deref(), Some("sort=updated&page=3&per_page=2"));
}

#[tokio::test]
async fn create_pull_sends_githubs_payload_and_parses_the_answer() {
    let e = env().await;
    seed(&e.fake);
    let feat = e.fake.branch_sha("alice", "app", "feat").unwrap();
    let main = e.fake.branch_sha("alice", "app", "main").unwrap();

    let mut req = new_pull("feat");
    req.draft = true;
    let pr = e
        .api
        .create_pull(ALICE, "alice", "app", &req)
        .await
        .unwrap();
    assert_eq!(pr.number, 1);
    assert_eq!(pr.state, "open");
    assert!(pr.draft && !pr.merged);
    assert_eq!(pr.title, "Merge feat");
    assert_eq!(pr.body, "Body text");
    assert_eq!(pr.html_url, format!("{}/alice/app/pull/1", e.fake.url()));
    assert_eq!(
        (pr.head_ref.as_str(), pr.head_sha.as_str()),
        ("feat", feat.as_str())
    );
    assert_eq!(
        (pr.base_ref.as_str(), pr.base_sha.as_str()),
        ("main", main.as_str())
    );
    assert_eq!(pr.mergeable, Some(true));
    assert_eq!(pr.merge_commit_sha, None);

    let recorded = e.fake.requests().pop().unwrap();
    assert_eq!(
        (recorded.method.as_str(), recorded.path.as_str()),
        ("POST", "/repos/alice/app/pulls")
    );
    assert_eq!(recorded.auth_login.as_deref(), Some("alice"));
    assert_eq!(
        recorded.body.unwrap(),
        serde_json::json!({"title": "Merge feat", "body": "Body text", "head": "feat", "base": "main", "draft": true})
    );
    assert_eq!(e.fake.pulls("alice", "app"), vec![pr.clone()]);
    assert_eq!(e.api.pull(None, "alice", "app", 1).await.unwrap(), pr);
}

#[tokio::test]
async fn create_pull_validation_errors() {
    let e = env().await;
    seed(&e.fake);
    e.fake
        .commit_files("alice", "app", "same", &[], "nothing new");
    e.api
        .create_pull(ALICE, "alice", "app", &new_pull("feat"))
        .await
        .unwrap();

    let cases = [
        (
            new_pull("feat"),
            "A pull request already exists for alice:feat.",
        ),
        (new_pull("missing"), "head branch missing does not exist"),
        (
            NewPull {
                base: "nobase".into(),
                ..new_pull("feat")
            },
            "base branch nobase does not exist",
        ),
        (
            NewPull {
                title: "".into(),
                ..new_pull("feat")
            },
            "title is required",
        ),
    ];
    for (req, want) in cases {
        match e.api.create_pull(ALICE, "alice", "app", &req).await {
            Err(ForgeError::Validation(m)) => {
                assert!(m.starts_with("Validation Failed: "), "{m}");
                assert!(m.contains(want), "{m} should contain {want}");
            }
            other => panic!("{req:?}: {other:?}"),
        }
    }
    // "same" has a commit, but an empty one is still a commit; a branch at main has none.
    let main = e.fake.branch_sha("alice", "app", "main").unwrap();
    let bare = e.fake.repo_path("alice", "app");
    bare_git(&bare, &["update-ref", "refs/heads/even", &main]);
    match e
        .api
        .create_pull(ALICE, "alice", "app", &new_pull("even"))
        .await
    {
        Err(ForgeError::Validation(m)) => {
            assert!(m.contains("No commits between main and even"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // Writes need write access; anonymous writes need a token.
    assert!(matches!(
        e.api
            .create_pull(BOB, "alice", "app", &new_pull("same"))
            .await,
        Err(ForgeError::Forbidden(_))
    ));
}

#[tokio::test]
async fn mergeable_follows_the_base_branch() {
    let e = env().await;
    seed(&e.fake);
    let pr = e
        .api
        .create_pull(ALICE, "alice", "app", &new_pull("feat"))
        .await
        .unwrap();
    assert_eq!(pr.mergeable, Some(true));
    assert_eq!(pr.mergeable_state.as_deref(), Some("clean"));

    // A non-conflicting change on base keeps it mergeable; a conflicting one does not.
    e.fake.commit_files(
        "alice",
        "app",
        "main",
        &[("b.txt", "b main\n")],
        "b on main",
    );
    assert_eq!(
        e.api
            .pull(Some(ALICE), "alice", "app", pr.number)
            .await
            .unwrap()
            .mergeable,
        Some(true)
    );
    let moved = e.fake.commit_files(
        "alice",
        "app",
        "main",
        &[("a.txt", "a main\n")],
        "a on main",
    );
    let pr = e
        .api
        .pull(Some(ALICE), "alice", "app", pr.number)
        .await
        .unwrap();
    assert_eq!(pr.mergeable, Some(false));
    assert_eq!(pr.mergeable_state.as_deref(), Some("dirty"));
    assert_eq!(pr.base_sha, moved);

    let err = e
        .api
        .merge_pull(ALICE, "alice", "app", pr.number, &MergeRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ForgeError::NotMergeable(m) if m == "Pull Request is not mergeable"),
        "{err:?}"
    );
    assert_eq!(
        e.fake.branch_sha("alice", "app", "main").as_deref(),
        Some(moved.as_str())
    );
    assert!(matches!(
        e.api.pull(None, "alice", "app", 99).await,
        Err(ForgeError::NotFound(m)) if m.contains("#99")
    ));
}

#[tokio::test]
async fn merge_squash_and_rebase_move_the_base_branch() {
    let e = env().await;
    e.fake.create_repo("alice", "app", false, "main");
    e.fake
        .commit_files("alice", "app", "main", &[("a.txt", "a\n")], "init");
    let bare = e.fake.repo_path("alice", "app");
    for (i, method) in [MergeMethod::Merge, MergeMethod::Squash, MergeMethod::Rebase]
        .into_iter()
        .enumerate()
    {
        let branch = format!("topic-{method}");
        let file = format!("{method}.txt");
        e.fake.commit_files(
            "alice",
            "app",
            &branch,
            &[(&file, "one\n")],
            &format!("{method} one"),
        );
        e.fake.commit_files(
            "alice",
            "app",
            &branch,
            &[(&file, "two\n")],
            &format!("{method} two"),
        );
        // Base moves on (no conflict) so merges are real merges, not fast-forwards.
        let base = e.fake.commit_files(
            "alice",
            "app",
            "main",
            &[(&format!("main{i}.txt"), "m\n")],
            "main moves",
        );
        let head = e.fake.branch_sha("alice", "app", &branch).unwrap();
        let pr = e
            .api
            .create_pull(ALICE, "alice", "app", &new_pull(&branch))
            .await
            .unwrap();

        let req = MergeRequest {
            method,
            sha: Some(head.clone()),
            ..MergeRequest::default()
        };
        let result = e
            .api
            .merge_pull(ALICE, "alice", "app", pr.number, &req)
            .await
            .unwrap();
        assert!(result.merged);
        assert_eq!(result.message, "Pull Request successfully merged");
        let main = e.fake.branch_sha("alice", "app", "main").unwrap();
        assert_eq!(result.sha, main);
        assert_eq!(bare_git(&bare, &["show", &format!("main:{file}")]), "two");
        assert_eq!(
            bare_git(&bare, &["show", &format!("main:main{i}.txt")]),
            "m"
        );

        let parents = bare_git(&bare, &["log", "-1", "--format=%P", "main"]);
        let subjects = bare_git(&bare, &["log", "--format=%s", &format!("{base}..main")]);
        match method {
            MergeMethod::Merge => {
                assert_eq!(parents, format!("{base} {head}"));
                assert_eq!(
                    subjects.lines().next(),
                    Some(format!("Merge pull request #{} from alice/{branch}", pr.number).as_str())
                );
            }
            MergeMethod::Squash => {
                assert_eq!(parents, base);
                assert_eq!(subjects, format!("Merge {branch} (#{})", pr.number));
            }
            MergeMethod::Rebase => {
                assert_eq!(subjects, format!("{method} two\n{method} one"));
                assert_eq!(bare_git(&bare, &["rev-parse", "main~2"]), base);
                assert_ne!(main, head, "rebased commits are new commits");
            }
        }
        let pr = e.api.pull(None, "alice", "app", pr.number).await.unwrap();
        assert!(pr.merged);
        assert_eq!(pr.state, "closed");
        assert_eq!(pr.merge_commit_sha.as_deref(), Some(main.as_str()));
        assert_eq!(pr.mergeable, None);
        // Merging again is refused.
        assert!(matches!(
            e.api
                .merge_pull(ALICE, "alice", "app", pr.number, &MergeRequest::default())
                .await,
            Err(ForgeError::NotMergeable(_))
        ));
    }
    let recorded = e
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(recorded.path, "/repos/alice/app/pulls/1/merge");
    assert_eq!(recorded.body.unwrap()["merge_method"], "merge");
}

#[tokio::test]
async fn merge_refuses_a_stale_head_and_honours_titles() {
    let e = env().await;
    seed(&e.fake);
    let pr = e
        .api
        .create_pull(ALICE, "alice", "app", &new_pull("feat"))
        .await
        .unwrap();
    e.fake
        .commit_files("alice", "app", "feat", &[("c.txt", "c")], "more");

    let stale = MergeRequest {
        sha: Some(pr.head_sha.clone()),
        ..MergeRequest::default()
    };
    let err = e
        .api
        .merge_pull(ALICE, "alice", "app", pr.number, &stale)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ForgeError::Conflict(m) if m == "Head branch was modified. Review and try the merge again."),
        "{err:?}"
    );
    assert!(matches!(
        e.api
            .merge_pull(BOB, "alice", "app", pr.number, &MergeRequest::default())
            .await,
        Err(ForgeError::Forbidden(_))
    ));
    let req = MergeRequest {
        method: MergeMethod::Squash,
        commit_title: Some("Custom title".into()),
        commit_message: Some("Custom body".into()),
        sha: None,
    };
    e.api
        .merge_pull(ALICE, "alice", "app", pr.number, &req)
        .await
        .unwrap();
    let bare = e.fake.repo_path("alice", "app");
    assert_eq!(
        bare_git(&bare, &["log", "-1", "--format=%B", "main"]),
        "Custom title\n\nCustom body"
    );
    assert_eq!(bare_git(&bare, &["show", "main:c.txt"]), "c");
}

#[tokio::test]
async fn update_close_reopen_and_delete_branch() {
    let e = env().await;
    seed(&e.fake);
    let pr = e
        .api
        .create_pull(ALICE, "alice", "app", &new_pull("feat"))
        .await
        .unwrap();

    let edit = UpdatePull {
        title: Some("New title".into()),
        body: Some("New body".into()),
        state: None,
    };
    let pr2 = e
        .api
        .update_pull(ALICE, "alice", "app", pr.number, &edit)
        .await
        .unwrap();
    assert_eq!(
        (pr2.title.as_str(), pr2.body.as_str(), pr2.state.as_str()),
        ("New title", "New body", "open")
    );
    assert_eq!(
        e.fake.requests().pop().unwrap().body.unwrap(),
        serde_json::json!({"title": "New title", "body": "New body"})
    );

    let close = UpdatePull {
        state: Some("closed".into()),
        ..UpdatePull::default()
    };
    assert_eq!(
        e.api
            .update_pull(ALICE, "alice", "app", pr.number, &close)
            .await
            .unwrap()
            .state,
        "closed"
    );
    let open = UpdatePull {
        state: Some("open".into()),
        ..UpdatePull::default()
    };
    assert_eq!(
        e.api
            .update_pull(ALICE, "alice", "app", pr.number, &open)
            .await
            .unwrap()
            .state,
        "open"
    );

    e.api
        .delete_branch(ALICE, "alice", "app", "feat")
        .await
        .unwrap();
    assert_eq!(e.fake.branch_sha("alice", "app", "feat"), None);
    // Deleting the head branch closes the pull request, as on GitHub.
    assert_eq!(
        e.api
            .pull(None, "alice", "app", pr.number)
            .await
            .unwrap()
            .state,
        "closed"
    );
    let err = e
        .api
        .delete_branch(ALICE, "alice", "app", "feat")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ForgeError::Validation(m) if m == "Reference does not exist"),
        "{err:?}"
    );

    // Branch names with slashes.
    e.fake
        .commit_files("alice", "app", "anycode/task-1", &[("t", "t")], "t");
    e.api
        .delete_branch(ALICE, "alice", "app", "anycode/task-1")
        .await
        .unwrap();
    assert_eq!(e.fake.branch_sha("alice", "app", "anycode/task-1"), None);
    assert_eq!(
        e.fake.requests().pop().unwrap().path,
        "/repos/alice/app/git/refs/heads/anycode/task-1"
    );
}

#[tokio::test]
async fn checks_are_counted() {
    let e = env().await;
    seed(&e.fake);
    let sha = e.fake.branch_sha("alice", "app", "feat").unwrap();
    assert_eq!(
        e.api.checks(None, "alice", "app", &sha).await.unwrap(),
        Checks::default()
    );
    let run =
        |n: &str, s: &str, c: Option<&str>| (n.to_string(), s.to_string(), c.map(str::to_string));
    e.fake.set_checks(
        "alice",
        "app",
        &sha,
        vec![
            run("build", "completed", Some("success")),
            run("lint", "completed", Some("skipped")),
            run("test", "completed", Some("failure")),
            run("e2e", "in_progress", None),
            run("deploy", "queued", None),
        ],
    );
    let checks = e
        .api
        .checks(Some(ALICE), "alice", "app", &sha)
        .await
        .unwrap();
    assert_eq!(
        checks,
        Checks {
            total: 5,
            passed: 2,
            failed: 1,
            pending: 2
        }
    );
    // A branch name resolves to its commit, as on GitHub.
    assert_eq!(
        e.api.checks(None, "alice", "app", "feat").await.unwrap(),
        checks
    );
}

#[tokio::test]
async fn device_flow_pending_then_token_or_denied() {
    let e = env().await;
    let code = e.api.device_start("client-1", "repo").await.unwrap();
    assert_eq!(
        code.verification_uri,
        format!("{}/login/device", e.fake.url())
    );
    assert_eq!(code.user_code.len(), 9);
    assert_eq!((code.expires_in, code.interval), (900, 1));
    let recorded = e.fake.requests().pop().unwrap();
    assert_eq!(recorded.path, "/login/device/code");
    assert_eq!(
        recorded.body.unwrap(),
        serde_json::json!({"client_id": "client-1", "scope": "repo"})
    );

    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::Pending
    );
    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::Pending
    );
    assert!(e.fake.approve_device(&code.user_code, "alice"));
    let DevicePoll::Token(token) = e
        .api
        .device_poll("client-1", &code.device_code)
        .await
        .unwrap()
    else {
        panic!("expected a token");
    };
    assert_eq!(e.api.user(&token).await.unwrap().login, "alice");
    let recorded = e.fake.requests().into_iter().rev().nth(1).unwrap();
    assert_eq!(
        recorded.body.unwrap()["grant_type"],
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    // The code is spent.
    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::Expired
    );

    // A user with no token yet gets a fresh one.
    let code = e.api.device_start("client-1", "repo").await.unwrap();
    assert!(e.fake.approve_device(&code.user_code, "carol"));
    let DevicePoll::Token(token) = e
        .api
        .device_poll("client-1", &code.device_code)
        .await
        .unwrap()
    else {
        panic!("expected a token");
    };
    assert_eq!(e.api.user(&token).await.unwrap().login, "carol");

    let code = e.api.device_start("client-1", "repo").await.unwrap();
    assert!(e.fake.deny_device(&code.user_code));
    assert!(
        !e.fake.approve_device(&code.user_code, "alice"),
        "no longer pending"
    );
    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::Denied
    );

    let code = e.api.device_start("client-1", "repo").await.unwrap();
    assert!(e.fake.expire_device(&code.user_code));
    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::Expired
    );

    e.fake.set_device_interval(5);
    let code = e.api.device_start("client-1", "repo").await.unwrap();
    assert_eq!(code.interval, 5);
    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::Pending
    );
    assert_eq!(
        e.api
            .device_poll("client-1", &code.device_code)
            .await
            .unwrap(),
        DevicePoll::SlowDown { interval: 10 }
    );

    assert!(
        matches!(e.api.device_poll("client-1", "bogus").await, Err(ForgeError::Validation(m)) if m.starts_with("incorrect_device_code"))
    );
    assert!(matches!(
        e.api.device_start("", "repo").await,
        Err(ForgeError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn faults_and_network_errors() {
    let e = env().await;
    e.fake.set_fault(Some(Fault::Status {
        path_prefix: "/user".into(),
        status: 500,
    }));
    assert!(matches!(
        e.api.user(ALICE).await,
        Err(ForgeError::Unexpected { status: 500, .. })
    ));
    assert!(e.api.user(ALICE).await.is_ok(), "faults are one-shot");
    e.fake.set_fault(Some(Fault::Status {
        path_prefix: "/user".into(),
        status: 429,
    }));
    assert!(matches!(
        e.api.user(ALICE).await,
        Err(ForgeError::RateLimited {
            retry_after_secs: Some(1)
        })
    ));
    e.fake.set_fault(Some(Fault::Status {
        path_prefix: "/repos".into(),
        status: 403,
    }));
    assert!(e.api.user(ALICE).await.is_ok(), "only matching paths");
    assert!(matches!(
        e.api.repo(None, "a", "b").await,
        Err(ForgeError::Forbidden(_))
    ));

    // Nothing listens on a port we just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = Forge::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
    let err = dead.user(ALICE).await.unwrap_err();
    assert!(matches!(err, ForgeError::Network(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(!err.to_string().contains(ALICE));
}
