//! Workflows end to end: the spec's `parallel-feature-development` exactly as written (three
//! real `claude` CLIs in three Docker sandboxes at once against the mock model, three PRs on the
//! fake forge), bad definitions, approvals, conditions, cancel, and a restart in the middle.

use mock_model::{Script, Turn};
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

const SPEC_EXAMPLE: &str =
    include_str!("../../../workflow/tests/fixtures/parallel-feature-development.yaml");

async fn create(s: &TestServer, project: &str, yaml: &str) -> String {
    let (st, w) = s
        .api(
            Method::POST,
            "/api/workflows",
            Some(json!({"projectId": project, "definition": yaml})),
        )
        .await;
    assert_eq!(st, 201, "{w}");
    w["id"].as_str().unwrap().to_string()
}

async fn run(s: &TestServer, wf: &str) -> String {
    let (st, r) = s
        .api(Method::POST, &format!("/api/workflows/{wf}/run"), None)
        .await;
    assert_eq!(st, 201, "{r}");
    r["id"].as_str().unwrap().to_string()
}

/// Waits (on `/ws/events`) until the run satisfies `pred`; returns its view.
async fn until_run(
    s: &TestServer,
    events: &mut Events,
    run: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        let (_, v) = s
            .api(Method::GET, &format!("/api/workflow-runs/{run}"), None)
            .await;
        if pred(&v) {
            return v;
        }
        loop {
            let ev = events.next_json().await;
            if ev["type"] == "workflow_run" && ev["payload"]["id"] == run {
                break;
            }
        }
    }
}

fn step<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stepId"] == id)
        .unwrap()
}

fn feature_rule(script: Script, needle: &str, file: &str) -> Script {
    script.rule(
        needle,
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": format!("/workspace/{file}"), "content": format!("{needle}\n")}),
            ),
            Turn::text(format!("{file} written")).delayed(1_500),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_parallel_workflow_runs_as_written_three_sandboxes_three_prs() {
    let script = feature_rule(Script::echo(), "实现用户认证功能", "auth.txt");
    let script = feature_rule(script, "实现用户仪表板", "dashboard.txt");
    let script = feature_rule(script, "实现系统设置页面", "settings.txt");
    let w = ForgeWorld::start(script).await;
    w.forge.commit_files(
        "alice",
        "app",
        "develop",
        &[("DEVELOP.md", "dev\n")],
        "develop",
    );
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    let wf = create(&s, &pid, SPEC_EXAMPLE).await;
    let (_, detail) = s
        .api(Method::GET, &format!("/api/workflows/{wf}"), None)
        .await;
    assert_eq!(detail["workflow"]["name"], "parallel-feature-development");
    assert_eq!(detail["steps"].as_array().unwrap().len(), 5);
    let mut events = s.events().await;
    let r = run(&s, &wf).await;
    let done = until_run(&s, &mut events, &r, |v| v["status"] != "running").await;
    assert_eq!(done["status"], "succeeded", "{done}");
    for id in [
        "setup",
        "feature-auth",
        "feature-dashboard",
        "feature-settings",
        "create-prs",
    ] {
        assert_eq!(step(&done, id)["status"], "succeeded", "{id}: {done}");
    }
    // Three PRs into develop, one per branch.
    let mut heads: Vec<(String, String)> = w
        .forge
        .pulls("alice", "app")
        .into_iter()
        .map(|p| (p.head_ref, p.base_ref))
        .collect();
    heads.sort();
    assert_eq!(
        heads,
        vec![
            ("feature/auth".to_string(), "develop".to_string()),
            ("feature/dashboard".to_string(), "develop".to_string()),
            ("feature/settings".to_string(), "develop".to_string()),
        ]
    );
    // The three Claude tasks ran at once, each in its own sandbox.
    let (_, tasks) = s.api(Method::GET, "/api/tasks", None).await;
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 3);
    let sandboxes: std::collections::HashSet<&str> = tasks
        .iter()
        .map(|t| t["sandboxId"].as_str().unwrap())
        .collect();
    assert_eq!(sandboxes.len(), 3);
    let latest_start = tasks
        .iter()
        .map(|t| t["startedAt"].as_str().unwrap())
        .max()
        .unwrap();
    let first_end = tasks
        .iter()
        .map(|t| t["finishedAt"].as_str().unwrap())
        .min()
        .unwrap();
    assert!(
        latest_start < first_end,
        "all three started before any finished: {tasks:?}"
    );
    // They worked from the `setup` step's branch.
    assert!(tasks.iter().all(|t| t["baseBranch"] == "main"));
    destroy_all_sandboxes(&s).await;
}

#[tokio::test]
async fn bad_definitions_are_refused_naming_the_offending_steps() {
    let w = ForgeWorld::start(Script::echo()).await;
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    let cases = [
        ("name: x\nsteps:\n  - id: a\n    type: wait\n    dependsOn: [c]\n    config: {duration: 1}\n  - id: b\n    type: wait\n    dependsOn: [a]\n    config: {duration: 1}\n  - id: c\n    type: wait\n    dependsOn: [b]\n    config: {duration: 1}\n", "cycle"),
        ("name: x\nsteps:\n  - id: a\n    type: deploy\n    config: {}\n", "unknown_step_type"),
        ("name: x\nsteps:\n  - id: a\n    type: wait\n    dependsOn: [nope]\n    config: {duration: 1}\n", "missing_dependency"),
        ("name: x\nsteps:\n  - id: a\n    type: wait\n    condition: \"steps.a.status ==\"\n    config: {duration: 1}\n", "invalid_condition"),
        ("name: x\ntriggers:\n  schedule: \"61 * * * *\"\nsteps:\n  - id: a\n    type: wait\n    config: {duration: 1}\n", "invalid_cron"),
        ("name: [unclosed\n", "invalid_yaml"),
    ];
    for (yaml, code) in cases {
        let (st, v) = s
            .api(
                Method::POST,
                "/api/workflows",
                Some(json!({"projectId": pid, "definition": yaml})),
            )
            .await;
        assert_eq!(st, 400, "{code}: {v}");
        let problems = v["error"]["details"]["problems"].as_array().unwrap();
        assert!(problems.iter().any(|p| p["code"] == code), "{code}: {v}");
        let (_, val) = s
            .api(
                Method::POST,
                "/api/workflows/validate",
                Some(json!({"definition": yaml})),
            )
            .await;
        assert_eq!(val["valid"], false, "{val}");
    }
    let (_, v) = s
        .api(
            Method::POST,
            "/api/workflows",
            Some(json!({"projectId": pid, "definition": cases[0].0})),
        )
        .await;
    let (_, val) = s
        .api(
            Method::POST,
            "/api/workflows/validate",
            Some(json!({"definition": cases[0].0})),
        )
        .await;
    assert_eq!(
        val["steps"].as_array().unwrap().len(),
        3,
        "the cycle can be drawn: {val}"
    );
    let cycle = &v["error"]["details"]["problems"][0]["stepIds"];
    assert_eq!(
        cycle.as_array().unwrap().len(),
        3,
        "the cycle's ids are named: {v}"
    );
    let (st, v) = s
        .api(
            Method::POST,
            "/api/workflows",
            Some(json!({"projectId": "gone", "definition": SPEC_EXAMPLE})),
        )
        .await;
    assert_eq!(st, 404, "{v}");
    let (st, v) = s
        .api(
            Method::POST,
            "/api/workflows/validate",
            Some(json!({"definition": SPEC_EXAMPLE})),
        )
        .await;
    assert_eq!((st, v["valid"].clone()), (200, json!(true)), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_conditions_rejection_and_cancel() {
    let w = ForgeWorld::start(Script::echo()).await;
    let s = TestServer::start_with(w.tweak()).await;
    let pid = import_app(&s).await;
    let yaml = r#"
name: gated
steps:
  - id: ask
    type: approval
    config:
      message: Ship it?
  - id: build
    type: shell_command
    dependsOn: [ask]
    config:
      command: echo built > built.txt && cat built.txt
  - id: only-on-failure
    type: shell_command
    dependsOn: [build]
    condition: "steps.build.status == 'failed'"
    config:
      command: echo never
"#;
    let wf = create(&s, &pid, yaml).await;
    let mut events = s.events().await;
    let r = run(&s, &wf).await;
    until_run(&s, &mut events, &r, |v| {
        step(v, "ask")["status"] == "waiting"
    })
    .await;
    let (_, approvals) = s.api(Method::GET, "/api/approvals", None).await;
    assert_eq!(approvals[0]["message"], "Ship it?", "{approvals}");
    assert_eq!(approvals[0]["workflowName"], "gated");
    // Answering a step that is not an approval is refused.
    let (st, _) = s
        .api(
            Method::POST,
            &format!("/api/workflow-runs/{r}/steps/build/approve"),
            None,
        )
        .await;
    assert_eq!(st, 409);
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/workflow-runs/{r}/steps/ask/approve"),
            Some(json!({"comment": "go"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let done = until_run(&s, &mut events, &r, |v| v["status"] != "running").await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(step(&done, "build")["output"]["stdout"], "built\n");
    assert_eq!(step(&done, "only-on-failure")["status"], "skipped");
    let (_, approvals) = s.api(Method::GET, "/api/approvals", None).await;
    assert_eq!(approvals, json!([]));

    // Rejected: the run fails and what depends on the approval is skipped.
    let r2 = run(&s, &wf).await;
    until_run(&s, &mut events, &r2, |v| {
        step(v, "ask")["status"] == "waiting"
    })
    .await;
    let (st, _) = s
        .api(
            Method::POST,
            &format!("/api/workflow-runs/{r2}/steps/ask/reject"),
            Some(json!({"comment": "not today"})),
        )
        .await;
    assert_eq!(st, 200);
    let done = until_run(&s, &mut events, &r2, |v| v["status"] != "running").await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(step(&done, "build")["status"], "skipped");
    assert!(done["error"].as_str().unwrap().contains("ask"), "{done}");

    // Parallel shell steps share the run's one sandbox (made once, not raced).
    let par = create(
        &s,
        &pid,
        "name: par\nsteps:\n  - id: a\n    type: shell_command\n    config: {command: echo a}\n  - id: b\n    type: shell_command\n    config: {command: echo b}\n  - id: c\n    type: shell_command\n    config: {command: echo c}\n",
    )
    .await;
    let rp = run(&s, &par).await;
    let done = until_run(&s, &mut events, &rp, |v| v["status"] != "running").await;
    assert_eq!(done["status"], "succeeded", "{done}");

    // Cancelled while waiting.
    let slow = create(
        &s,
        &pid,
        "name: slow\nsteps:\n  - id: nap\n    type: wait\n    config: {duration: 10m}\n",
    )
    .await;
    let r3 = run(&s, &slow).await;
    until_run(&s, &mut events, &r3, |v| {
        step(v, "nap")["status"] == "running"
    })
    .await;
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/workflow-runs/{r3}/cancel"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "cancelled");
    assert_eq!(step(&v, "nap")["status"], "cancelled");
    destroy_all_sandboxes(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_workflow_loses_nothing_and_runs_nothing_twice() {
    let script = Script::echo().rule(
        "write the notes",
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": "/workspace/notes.txt", "content": "notes\n"}),
            ),
            Turn::text("done").delayed(4_000),
        ],
    );
    let w = ForgeWorld::start(script).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let s = TestServer::start_at(path.clone(), w.tweak()).await;
    let pid = import_app(&s).await;
    let yaml = r#"
name: resumable
steps:
  - id: work
    type: claude_task
    config:
      prompt: please write the notes
      branch: feature/notes
  - id: check
    type: shell_command
    dependsOn: [work]
    config:
      command: cat notes.txt
      branch: feature/notes
"#;
    let wf = create(&s, &pid, yaml).await;
    let mut events = s.events().await;
    let r = run(&s, &wf).await;
    // Stop once the Claude task is in its run.
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "task" && ev["payload"]["phase"] == "claude" {
            break;
        }
    }
    drop(events);
    stop(&s).await;
    let s2 = TestServer::start_at(path, w.tweak()).await;
    let mut events = s2.events().await;
    let done = until_run(&s2, &mut events, &r, |v| v["status"] != "running").await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(step(&done, "check")["output"]["stdout"], "notes\n");
    let (_, tasks) = s2.api(Method::GET, "/api/tasks", None).await;
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    assert_eq!(tasks[0]["attempt"], 1, "{tasks}");
    let (_, runs) = s2.api(Method::GET, "/api/runs", None).await;
    assert_eq!(runs.as_array().unwrap().len(), 1, "Claude ran once: {runs}");
    destroy_all_sandboxes(&s2).await;
    drop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_on_the_forge_triggers_a_webhook_workflow() {
    let w = ForgeWorld::start(Script::echo()).await;
    let tweak = w.tweak();
    let s = TestServer::start_with(move |c| {
        tweak(c);
        c.github.webhook_secret = Some("hook-secret".into());
    })
    .await;
    let pid = import_app(&s).await;
    let yaml = "name: on-push\ntriggers:\n  manual: false\n  webhook:\n    events: [push]\n    branches: [main]\nsteps:\n  - id: look\n    type: shell_command\n    config: {command: git log --oneline -1 origin/main}\n";
    let wf = create(&s, &pid, yaml).await;
    let (st, v) = s
        .api(Method::POST, &format!("/api/workflows/{wf}/run"), None)
        .await;
    assert_eq!(st, 409, "not runnable by hand: {v}");
    w.forge
        .set_webhook(&s.url("/api/github/webhook"), "hook-secret");
    let mut events = s.events().await;
    // A push to another branch does not match the filter; one to main does.
    w.forge
        .commit_files("alice", "app", "other", &[("x.txt", "x\n")], "elsewhere");
    w.forge.commit_files(
        "alice",
        "app",
        "main",
        &[("y.txt", "y\n")],
        "pushed upstream",
    );
    let run = loop {
        let ev = events.next_json().await;
        if ev["type"] == "workflow_run" {
            break ev["payload"]["id"].as_str().unwrap().to_string();
        }
    };
    let done = until_run(&s, &mut events, &run, |v| v["status"] != "running").await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["trigger"]["event"], "push");
    assert_eq!(done["trigger"]["branch"], "main");
    let (_, runs) = s
        .api(Method::GET, &format!("/api/workflows/{wf}/runs"), None)
        .await;
    assert_eq!(
        runs.as_array().unwrap().len(),
        1,
        "only the push to main: {runs}"
    );
    destroy_all_sandboxes(&s).await;
}
