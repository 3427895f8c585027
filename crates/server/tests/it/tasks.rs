//! Tasks end to end: the real `claude` CLI in real Docker sandboxes against the mock model, the
//! fake forge for pushes and PRs. A task's whole flow, bad input, cancel, the rate-limit hold and
//! resume, and a server restart in the middle of a run (the run continues; nothing runs twice).

use mock_model::{Script, Turn};
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

async fn create_task(s: &TestServer, body: Value) -> Value {
    let (st, t) = s.api(Method::POST, "/api/tasks", Some(body)).await;
    assert_eq!(st, 201, "{t}");
    t
}

/// Waits on `/ws/events` until the task satisfies `pred`; returns its view.
async fn until_task(events: &mut Events, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "task" && ev["payload"]["id"] == id && pred(&ev["payload"]) {
            return ev["payload"].clone();
        }
    }
}

fn finished(t: &Value) -> bool {
    matches!(
        t["status"].as_str(),
        Some("completed" | "failed" | "cancelled")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_claude_then_commits_pushes_and_opens_a_pr() {
    let w = ForgeWorld::start(Script::echo().rule(
        "add a greeting",
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": "/workspace/greeting.txt", "content": "hello from the task\n"}),
            ),
            Turn::text("Added the greeting."),
        ],
    ))
    .await;
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    let mut events = s.events().await;
    let t = create_task(
        &s,
        json!({"projectId": pid, "prompt": "Please add a greeting file", "title": "Add a greeting", "autoPR": true}),
    )
    .await;
    assert_eq!(t["status"], "queued");
    let id = t["id"].as_str().unwrap();
    let running = until_task(&mut events, id, |t| t["phase"] == "claude").await;
    assert_eq!(running["status"], "running");
    let done = until_task(&mut events, id, finished).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["progress"], 100);
    let result = &done["result"];
    assert_eq!(result["commits"].as_array().unwrap().len(), 1, "{result}");
    assert_eq!(result["commits"][0]["subject"], "Add a greeting");
    let branch = done["targetBranch"].as_str().unwrap();
    assert!(branch.starts_with("anycode/task-"), "{branch}");
    let pulls = w.forge.pulls("alice", "app");
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].head_ref, branch);
    assert_eq!(pulls[0].base_ref, "main");
    assert_eq!(result["prNumber"], pulls[0].number);
    // The PR's description: a summary Claude wrote (through the host's credential), then the
    // commits and the diffstat.
    assert!(
        pulls[0].body.contains("## Summary (written by Claude)"),
        "{}",
        pulls[0].body
    );
    assert!(pulls[0].body.contains("greeting.txt"), "{}", pulls[0].body);
    assert!(
        done["usage"]["requests"].as_i64().unwrap() >= 1,
        "usage per task: {done}"
    );
    assert!(w.forge.branch_sha("alice", "app", branch).is_some());
    let (_, logs) = s
        .api(Method::GET, &format!("/api/tasks/{id}/logs"), None)
        .await;
    let text = logs.to_string();
    for want in [
        "started",
        "started Claude",
        "committed",
        "pushed",
        "opened PR",
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    // The model saw the task's prompt once.
    let prompts = w
        .mock
        .requests()
        .iter()
        .filter(|r| {
            r.prompt()
                .is_some_and(|p| p.contains("Please add a greeting file"))
        })
        .count();
    assert!(prompts >= 1);
    destroy_all_sandboxes(&s).await;
}

#[tokio::test]
async fn bad_tasks_are_refused_with_clear_errors() {
    let w = ForgeWorld::start(Script::echo()).await;
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    for (body, code, needle) in [
        (
            json!({"projectId": "nope", "prompt": "x"}),
            404,
            "does not exist",
        ),
        (json!({"projectId": pid, "prompt": "  "}), 400, "prompt"),
        (
            json!({"projectId": pid, "prompt": "x", "type": "deploy"}),
            400,
            "type",
        ),
        (
            json!({"projectId": pid, "prompt": "x", "targetBranch": "a..b"}),
            400,
            "targetBranch",
        ),
        (
            json!({"projectId": pid, "prompt": "x", "targetBranch": "main"}),
            400,
            "differ",
        ),
        (
            json!({"projectId": pid, "prompt": "x", "baseBranch": "no-such-branch"}),
            400,
            "baseBranch",
        ),
        (
            json!({"projectId": pid, "prompt": "x", "priority": 1000}),
            400,
            "priority",
        ),
        (
            json!({"projectId": pid, "prompt": "x", "timeoutSecs": 1}),
            400,
            "timeoutSecs",
        ),
    ] {
        let (st, v) = s.api(Method::POST, "/api/tasks", Some(body.clone())).await;
        assert_eq!(st, code, "{body}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
    let (st, _) = s.api(Method::POST, "/api/tasks/nope/cancel", None).await;
    assert_eq!(st, 404);
    let (st, v) = s
        .api(
            Method::PUT,
            "/api/scheduler",
            Some(json!({"maxRunning": 0, "maxPerProject": 1})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_a_queued_and_a_running_task() {
    let w = ForgeWorld::start(Script::echo().rule(
        "take your time",
        [Turn::text("still thinking").delayed(60_000)],
    ))
    .await;
    let s = TestServer::start_with(w.tweak()).await;
    let (st, _) = s
        .api(
            Method::PUT,
            "/api/scheduler",
            Some(json!({"maxRunning": 1, "maxPerProject": 1})),
        )
        .await;
    assert_eq!(st, 200);
    let pid = import_app(&s).await;
    let mut events = s.events().await;
    let slow = create_task(&s, json!({"projectId": pid, "prompt": "take your time"})).await;
    let slow_id = slow["id"].as_str().unwrap();
    until_task(&mut events, slow_id, |t| t["phase"] == "claude").await;
    let queued = create_task(&s, json!({"projectId": pid, "prompt": "later"})).await;
    let queued_id = queued["id"].as_str().unwrap();
    let waiting = until_task(&mut events, queued_id, |t| t["waitReason"].is_string()).await;
    assert!(
        waiting["waitReason"]
            .as_str()
            .unwrap()
            .contains("free slot"),
        "{waiting}"
    );
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/tasks/{queued_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "cancelled");
    let (st, _) = s
        .api(Method::POST, &format!("/api/tasks/{slow_id}/cancel"), None)
        .await;
    assert_eq!(st, 200);
    let done = until_task(&mut events, slow_id, finished).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    let (st, v) = s
        .api(Method::POST, &format!("/api/tasks/{slow_id}/cancel"), None)
        .await;
    assert_eq!(st, 409, "a finished task cannot be cancelled again: {v}");
    destroy_all_sandboxes(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_new_work_and_it_resumes_on_its_own() {
    // The first model request of the conversation is refused with 429 (retry-after 2 s); the
    // CLI retries it itself, then finishes.
    let w = ForgeWorld::start(Script::echo().rule(
        "first task",
        [Turn::rate_limited(2), Turn::text("first done")],
    ))
    .await;
    let s = TestServer::start_with(w.tweak()).await;
    let (st, _) = s
        .api(
            Method::PUT,
            "/api/scheduler",
            Some(json!({"maxRunning": 1, "maxPerProject": 1})),
        )
        .await;
    assert_eq!(st, 200);
    let pid = import_app(&s).await;
    let mut events = s.events().await;
    let a = create_task(&s, json!({"projectId": pid, "prompt": "first task"})).await;
    let b = create_task(&s, json!({"projectId": pid, "prompt": "second task"})).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    // The hold is announced and shown on the waiting task.
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "scheduler" && ev["payload"]["holdReason"].is_string() {
            assert!(
                ev["payload"]["holdReason"]
                    .as_str()
                    .unwrap()
                    .contains("429"),
                "{ev}"
            );
            break;
        }
    }
    let held = until_task(&mut events, b, |t| {
        t["waitReason"]
            .as_str()
            .is_some_and(|r| r.contains("rate-limited"))
    })
    .await;
    assert_eq!(held["status"], "queued");
    // Both finish without anyone touching anything.
    let mut done = std::collections::HashSet::new();
    while done.len() < 2 {
        let ev = events.next_json().await;
        if ev["type"] == "task" && finished(&ev["payload"]) {
            assert_eq!(ev["payload"]["status"], "completed", "{ev}");
            done.insert(ev["payload"]["id"].as_str().unwrap().to_string());
        }
    }
    assert!(done.contains(a) && done.contains(b));
    destroy_all_sandboxes(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_run_continues_it_without_running_it_twice() {
    let w = ForgeWorld::start(Script::echo().rule(
        "survive a restart",
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": "/workspace/survived.txt", "content": "yes\n"}),
            ),
            Turn::text("Wrote it.").delayed(4_000),
        ],
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let s = TestServer::start_at(path.clone(), w.tweak()).await;
    let pid = import_app(&s).await;
    let mut events = s.events().await;
    let t = create_task(
        &s,
        json!({"projectId": pid, "prompt": "survive a restart", "title": "Survive"}),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    // Wait until Claude has made its first tool call, then stop the server.
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "run" {
            let (_, d) = s
                .api(
                    Method::GET,
                    &format!("/api/runs/{}", ev["payload"]["id"].as_str().unwrap()),
                    None,
                )
                .await;
            if d["events"].to_string().contains("tool_use") {
                break;
            }
        }
    }
    drop(events);
    stop(&s).await;
    let s2 = TestServer::start_at(path, w.tweak()).await;
    let mut events = s2.events().await;
    let (_, now) = s2.api(Method::GET, &format!("/api/tasks/{id}"), None).await;
    let done = if finished(&now) {
        now
    } else {
        until_task(&mut events, &id, finished).await
    };
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["commits"][0]["subject"], "Survive");
    assert_eq!(done["attempt"], 1, "not retried: {done}");
    let (_, runs) = s2.api(Method::GET, "/api/runs", None).await;
    assert_eq!(
        runs.as_array().unwrap().len(),
        1,
        "one run, never a second: {runs}"
    );
    let (_, logs) = s2
        .api(Method::GET, &format!("/api/tasks/{id}/logs"), None)
        .await;
    assert!(
        logs.to_string().contains("resumed after a server restart"),
        "{logs}"
    );
    destroy_all_sandboxes(&s2).await;
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_that_dies_mid_task_is_replaced_and_the_task_completes() {
    let w = ForgeWorld::start(Script::echo().rule(
        "outlive your sandbox",
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": "/workspace/phoenix.txt", "content": "again\n"}),
            ),
            Turn::text("done").delayed(3_000),
        ],
    ))
    .await;
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    let mut events = s.events().await;
    let t = create_task(
        &s,
        json!({"projectId": pid, "prompt": "outlive your sandbox", "title": "Phoenix"}),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    let running = until_task(&mut events, id, |t| {
        t["phase"] == "claude" && t["sandboxId"].is_string()
    })
    .await;
    let first = running["sandboxId"].as_str().unwrap().to_string();
    // Kill the container from outside, mid-run.
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=anycode.sandbox-id={first}"),
        ])
        .output()
        .unwrap();
    let container = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!container.is_empty());
    assert!(std::process::Command::new("docker")
        .args(["kill", &container])
        .status()
        .unwrap()
        .success());
    let done = until_task(&mut events, id, finished).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempt"], 2, "retried once: {done}");
    let (_, logs) = s
        .api(Method::GET, &format!("/api/tasks/{id}/logs"), None)
        .await;
    assert!(logs.to_string().contains("sandbox_lost"), "{logs}");
    destroy_all_sandboxes(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interactive_task_prefills_the_prompt_and_finishes_when_marked_done() {
    let w = ForgeWorld::start(Script::echo()).await;
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    let mut events = s.events().await;
    let t = create_task(
        &s,
        json!({"projectId": pid, "prompt": "Refactor the parser module", "interactive": true}),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    let waiting = until_task(&mut events, id, |t| t["phase"] == "waiting_for_user").await;
    let sandbox = waiting["sandboxId"].as_str().unwrap();
    let (_, terms) = s.api(Method::GET, "/api/terminals", None).await;
    let term = terms
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["sandboxId"] == sandbox && t["name"].as_str().unwrap_or("").starts_with("task:")
        })
        .unwrap_or_else(|| panic!("the task's claude terminal: {terms}"));
    let mut term_ws = s.connect(term["id"].as_str().unwrap(), "").await;
    // The prompt is in Claude's input box, not sent: the model never saw it.
    // (Claude's input box draws word by word, with cursor moves between the words.)
    term_ws.until_output("module").await;
    let shown = String::from_utf8_lossy(&term_ws.output).to_string();
    for word in ["Refactor", "parser", "module"] {
        assert!(shown.contains(word), "{word} in {shown:?}");
    }
    assert!(
        !w.mock.requests().iter().any(|r| r
            .prompt()
            .is_some_and(|p| p.contains("Refactor the parser module"))),
        "pre-filled, not submitted"
    );
    // Some work by hand, then "Mark done": committed and pushed like a headless task.
    let (_, _) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{sandbox}/exec"),
            Some(json!({"command": ["sh", "-c", "echo by-hand > manual.txt"]})),
        )
        .await;
    let (st, v) = s
        .api(Method::POST, &format!("/api/tasks/{id}/complete"), None)
        .await;
    assert_eq!(st, 200, "{v}");
    let done = until_task(&mut events, id, finished).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["result"]["commits"].as_array().unwrap().len(),
        1,
        "{done}"
    );
    let branch = done["targetBranch"].as_str().unwrap();
    assert!(w.forge.branch_sha("alice", "app", branch).is_some());
    destroy_all_sandboxes(&s).await;
}
