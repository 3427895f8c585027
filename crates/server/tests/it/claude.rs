//! Claude Code in a real sandbox: the real CLI from the sandbox image, the model proxy over the
//! agent's loopback tunnel, the mock Anthropic API as the upstream. The real credential must
//! reach the upstream and never the sandbox.
use std::collections::BTreeMap;

use mock_model::{MockModel, Script, Turn, ECHO_PREFIX};
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

const SECRET: &str = "sk-ant-api03-THE-REAL-SECRET-never-in-a-sandbox-0123456789";

async fn claude_server(mock: &MockModel) -> TestServer {
    let home = tempfile::tempdir().unwrap().keep();
    let upstream = mock.base_url();
    TestServer::start_with(move |c| {
        c.sandbox_driver = server::DriverChoice::Docker;
        c.anthropic_upstream = upstream;
        c.credential_sources = Some(credentials::Sources::new(
            home,
            BTreeMap::from([("ANTHROPIC_API_KEY".to_string(), SECRET.to_string())]),
        ));
    })
    .await
}

/// Waits on `/ws/events` for an `agent_state` of `terminal` in `state`.
async fn wait_agent(events: &mut Events, terminal: &str, state: &str) -> Value {
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "agent_state"
            && ev["payload"]["terminalId"] == terminal
            && ev["payload"]["agent"]["state"] == state
        {
            return ev["payload"]["agent"].clone();
        }
    }
}

/// Terminal output as plain text without escape sequences or whitespace.
fn squash(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final; OSC: ESC ] ... BEL/ST; others: ESC x.
            match chars.next() {
                Some('[') => {
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(d) = chars.next() {
                        if d == '\x07' || (d == '\x1b' && chars.peek() == Some(&'\\')) {
                            break;
                        }
                    }
                }
                _ => {}
            }
        } else if !c.is_whitespace() && !c.is_control() {
            out.push(c);
        }
    }
    out
}

fn name(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    )
}

async fn exec(s: &TestServer, id: &str, script: &str) -> String {
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{id}/exec"),
            Some(json!({"command": ["sh", "-c", script], "timeoutMs": 30000})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v["stdout"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_claude_through_the_proxy_with_states_inbox_usage_and_no_secret_inside() {
    let script = Script::echo().rule("run the check", [Turn::tool_use("Bash", json!({"command": "echo checked > /workspace/checked.txt", "description": "write a file"})), Turn::text("The check ran.")]);
    let mock = MockModel::start(script).await;
    let s = claude_server(&mock).await;
    let (st, sb) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("claude")})),
        )
        .await;
    assert_eq!(st, 201, "{sb}");
    let sid = sb["id"].as_str().unwrap().to_string();
    let mut events = s.events().await;

    let (st, t) = s
        .api(
            Method::POST,
            "/api/terminals",
            Some(json!({"sandboxId": sid, "command": ["claude"], "cols": 120, "rows": 40})),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let tid = t["id"].as_str().unwrap().to_string();
    let mut term = s.connect(&tid, "&from=0").await;

    // Zero-prompt start: SessionStart arrives with no dialog to answer.
    wait_agent(&mut events, &tid, "idle").await;

    // A prompt typed through the WebSocket: working, then the mock's reply, then idle.
    term.input("hello mock").await;
    term.input("\r").await;
    wait_agent(&mut events, &tid, "working").await;
    // The TUI moves the cursor instead of printing spaces: compare the text without escapes
    // and blanks.
    let want: String = format!("{ECHO_PREFIX}hello mock")
        .split_whitespace()
        .collect();
    while !squash(&term.output).contains(&want) {
        term.recv(true).await;
    }
    let idle = wait_agent(&mut events, &tid, "idle").await;
    assert_eq!(idle["turnFinished"], true);

    // The upstream saw the real key, swapped in by the proxy; never the sandbox's own token.
    let main = mock.log().main();
    assert!(!main.is_empty());
    assert!(
        main.iter()
            .all(|r| r.api_key() == Some(SECRET) && r.bearer().is_none()),
        "credential swapped"
    );

    // A tool that needs permission: the agent waits for input, and the inbox says so.
    term.input("please run the check").await;
    term.input("\r").await;
    let waiting = wait_agent(&mut events, &tid, "waiting_for_input").await;
    assert!(
        waiting["reason"].as_str().unwrap_or("").contains("Bash"),
        "{waiting}"
    );
    let (_, inbox) = s.api(Method::GET, "/api/inbox", None).await;
    let item = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["terminalId"] == tid.as_str())
        .cloned()
        .expect("inbox item");
    assert_eq!(item["kind"], "waiting_for_input");
    assert_eq!(item["sandboxId"], sid.as_str());

    // Usage was metered per sandbox.
    let (_, usage) = s.api(Method::GET, "/api/usage", None).await;
    assert!(
        usage
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sandboxId"] == sid.as_str() && r["requests"].as_i64().unwrap_or(0) >= 1),
        "{usage}"
    );

    // The real credential is nowhere in the sandbox: not in any process's environment, not in
    // its files.
    let found = exec(
        &s,
        &sid,
        &format!(
            "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c '{SECRET}'; \
         grep -rIl '{SECRET}' /workspace /anycode /home /tmp /run /etc 2>/dev/null | wc -l; \
         echo token=${{ANTHROPIC_AUTH_TOKEN:+set}} key=${{ANTHROPIC_API_KEY:-unset}}"
        ),
    )
    .await;
    let lines: Vec<&str> = found.lines().collect();
    assert_eq!(lines[0], "0", "secret in a process environment: {found}");
    assert_eq!(lines[1], "0", "secret in a file: {found}");
    assert_eq!(lines[2], "token=set key=unset");

    // A proxy token from another sandbox is refused, and not retried.
    let (_, other) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("other")})),
        )
        .await;
    let oid = other["id"].as_str().unwrap().to_string();
    let other_token = exec(&s, &oid, "printf %s \"$ANTHROPIC_AUTH_TOKEN\"").await;
    let refused = exec(&s, &sid, &format!(
        "curl -s -D - -o /dev/null -X POST \"$ANTHROPIC_BASE_URL/v1/messages\" -H 'authorization: Bearer {other_token}' -H 'content-type: application/json' -d '{{}}'"
    )).await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(
        refused
            .to_ascii_lowercase()
            .contains("x-should-retry: false"),
        "{refused}"
    );

    for id in [&sid, &oid] {
        let _ = s
            .api(Method::DELETE, &format!("/api/sandboxes/{id}"), None)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_run_writes_a_file_commits_it_and_logs_each_step() {
    let script = Script::echo().rule(
        "add the notes file",
        [
            Turn::tool_use("Write", json!({"file_path": "/workspace/NOTES.md", "content": "# Notes\nwritten by the mock\n"})),
            Turn::tool_use("Bash", json!({"command": "cd /workspace && git add NOTES.md && git commit -qm 'Add notes' && git log --oneline | head -1", "description": "commit"})),
            Turn::text("Committed the notes."),
        ],
    );
    let mock = MockModel::start(script).await;
    let s = claude_server(&mock).await;
    let (_, sb) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("headless")})),
        )
        .await;
    let sid = sb["id"].as_str().unwrap().to_string();
    exec(&s, &sid, "cd /workspace && git init -q && git config user.email a@b.c && git config user.name agent && git commit -q --allow-empty -m init").await;
    let mut events = s.events().await;
    let (st, run) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{sid}/runs"),
            Some(json!({
                "prompt": "please add the notes file and commit it",
                "allowedTools": ["Write", "Bash"],
                "permissionMode": "acceptEdits",
                "maxTurns": 10
            })),
        )
        .await;
    assert_eq!(st, 201, "{run}");
    let run_id = run["id"].as_str().unwrap().to_string();
    loop {
        let ev = events.next_json().await;
        if ev["type"] == "run"
            && ev["payload"]["id"] == run_id.as_str()
            && ev["payload"]["status"] != "running"
        {
            assert_eq!(ev["payload"]["status"], "completed", "{ev}");
            break;
        }
    }
    let (_, detail) = s
        .api(Method::GET, &format!("/api/runs/{run_id}"), None)
        .await;
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for want in [
        "init",
        "tool_use",
        "tool_result",
        "assistant_text",
        "result",
    ] {
        assert!(kinds.contains(&want), "{want} missing from {kinds:?}");
    }
    assert!(detail["run"]["sessionId"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(
        detail["run"]["result"]["subtype"], "success",
        "{}",
        detail["run"]["result"]
    );
    let log = exec(
        &s,
        &sid,
        "cat /workspace/NOTES.md; cd /workspace && git log --format=%s | head -1",
    )
    .await;
    assert_eq!(log, "# Notes\nwritten by the mock\nAdd notes\n");

    // Bad requests are refused before anything runs.
    let (st, v) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{sid}/runs"),
            Some(json!({"prompt": "x", "permissionMode": "yolo"})),
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let _ = s
        .api(Method::DELETE, &format!("/api/sandboxes/{sid}"), None)
        .await;
}
