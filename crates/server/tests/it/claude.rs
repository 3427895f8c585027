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

/// Every regular file under `dir` that contains `needle` (for "the secret is on no disk").
fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                todo.push(e.path());
            } else if t.is_file() {
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(e.path());
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_mode_puts_the_credential_in_process_environments_only() {
    let mock = MockModel::start(Script::echo()).await;
    let s = claude_server(&mock).await;
    let (st, sb) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("direct"), "credentialMode": "direct"})),
        )
        .await;
    assert_eq!(st, 201, "{sb}");
    assert_eq!(sb["credentialMode"], "direct");
    let sid = sb["id"].as_str().unwrap().to_string();

    // exec: the real key, the upstream as base URL, and no proxy token.
    let env = exec(
        &s,
        &sid,
        "printf '%s|%s|%s' \"$ANTHROPIC_API_KEY\" \"${ANTHROPIC_AUTH_TOKEN:-none}\" \"$ANTHROPIC_BASE_URL\"",
    )
    .await;
    assert_eq!(env, format!("{SECRET}|none|{}", mock.base_url()));

    // A terminal gets it too (only its hash is printed: terminal output is recorded on disk).
    let want_hash = orchestrator::claude::token_hash(SECRET);
    let (st, t) = s
        .api(
            Method::POST,
            "/api/terminals",
            Some(json!({"sandboxId": sid, "command": ["sh", "-c", "printf %s \"$ANTHROPIC_API_KEY\" | sha256sum"]})),
        )
        .await;
    assert_eq!(st, 201, "{t}");
    let mut term = s.connect(t["id"].as_str().unwrap(), "&from=0").await;
    term.until_output(&want_hash).await;

    // The upstream is reachable through the egress proxy from this sandbox, with the real key.
    let body =
        r#"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"direct hello"}]}"#;
    let reply = exec(&s, &sid, &format!(
        "curl -s --noproxy '' -x \"$HTTP_PROXY\" -X POST \"$ANTHROPIC_BASE_URL/v1/messages\" -H \"x-api-key: $ANTHROPIC_API_KEY\" -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' -d '{body}'"
    )).await;
    assert!(reply.contains(r#""type":"message""#), "{reply}");
    assert!(
        mock.log()
            .messages()
            .iter()
            .any(|r| r.api_key() == Some(SECRET)
                && r.prompt().is_some_and(|p| p.contains("direct hello"))),
        "the upstream saw the key, sent by the sandbox itself"
    );

    // The real CLI, headless, talks to the upstream itself with the key from its environment.
    // (The mock listens on the host's loopback, which `NO_PROXY` exempts; clear it so the CLI
    // goes through the egress proxy like it would to api.anthropic.com.)
    let (st, out) = s
        .api(
            Method::POST,
            &format!("/api/sandboxes/{sid}/exec"),
            Some(json!({
                "command": ["claude", "-p", "hello from direct mode"],
                "env": {"NO_PROXY": "", "no_proxy": ""},
                "timeoutMs": 60000
            })),
        )
        .await;
    assert_eq!(st, 200, "{out}");
    assert!(
        out["stdout"]
            .as_str()
            .unwrap_or("")
            .contains("hello from direct mode"),
        "{out}"
    );
    let main = mock.log().main();
    assert!(!main.is_empty());
    assert!(
        main.iter()
            .all(|r| r.api_key() == Some(SECRET) && r.bearer().is_none()),
        "the CLI sent the real key itself, and no proxy token"
    );

    // The container's create-time environment (what `docker inspect` shows) does not hold it.
    let container = std::process::Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=anycode.sandbox-id={sid}"),
        ])
        .output()
        .unwrap();
    let container = String::from_utf8_lossy(&container.stdout)
        .trim()
        .to_string();
    assert!(!container.is_empty(), "the sandbox's container");
    let inspect = std::process::Command::new("docker")
        .args(["inspect", &container])
        .output()
        .unwrap();
    let inspect = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        inspect.contains("CLAUDE_CONFIG_DIR"),
        "inspect shows the env"
    );
    assert!(
        !inspect.contains(SECRET),
        "the credential is in the container's config"
    );
    assert!(
        !inspect.contains("ANTHROPIC_AUTH_TOKEN"),
        "no proxy token in direct mode"
    );

    // No file holds it: not the sandbox's files inside, not its state and workspace dirs on the
    // host, not the store (the whole data dir is searched).
    let inside = exec(
        &s,
        &sid,
        &format!("grep -rIl '{SECRET}' /workspace /anycode /home /tmp /etc 2>/dev/null | wc -l"),
    )
    .await;
    assert_eq!(inside.trim(), "0", "a file inside holds the secret");
    let on_disk = files_containing(&s.dir, SECRET.as_bytes());
    assert!(on_disk.is_empty(), "{on_disk:?}");
    assert!(s.dir.join("sandboxes").join(&sid).join("state").is_dir());

    // A proxy-mode sandbox next to it: no key, and the upstream is not on its allowlist.
    let (_, other) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("proxied")})),
        )
        .await;
    assert_eq!(other["credentialMode"], "proxy");
    let oid = other["id"].as_str().unwrap().to_string();
    let refused = exec(&s, &oid, &format!(
        "echo key=${{ANTHROPIC_API_KEY:-unset}}; curl -s -o /dev/null -w '%{{http_code}}' --noproxy '' -x \"$HTTP_PROXY\" -X POST '{}/v1/messages' -d '{{}}'",
        mock.base_url()
    )).await;
    assert_eq!(refused, "key=unset\n403", "{refused}");

    // The CLI version new sandboxes get is the one the image pins.
    let label = std::process::Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"org.anycode.claude-code-version\"}}",
            "anycode-sandbox:latest",
        ])
        .output()
        .unwrap();
    let label = String::from_utf8_lossy(&label.stdout).trim().to_string();
    let (_, status) = s.api(Method::GET, "/api/claude/status", None).await;
    assert_eq!(status["driver"], "docker");
    assert_eq!(
        status["sandboxCliVersion"].as_str(),
        Some(label.as_str()),
        "{status}"
    );

    // Bad modes are refused.
    let (st, v) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("bad"), "credentialMode": "sideways"})),
        )
        .await;
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );

    for id in [&sid, &oid] {
        let _ = s
            .api(Method::DELETE, &format!("/api/sandboxes/{id}"), None)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_status_key_storage_and_a_default_direct_mode_that_survives_a_restart() {
    let home = tempfile::tempdir().unwrap().keep();
    let sources = credentials::Sources::new(
        home,
        BTreeMap::from([("ANTHROPIC_API_KEY".to_string(), SECRET.to_string())]),
    );
    let tweak = |c: &mut server::Config| {
        c.credential_mode = server::CredentialMode::Direct;
        c.credential_sources = Some(sources.clone());
    };
    // The harness default: the local driver, whose sandboxes run the host's CLI.
    let s = TestServer::start_with(tweak).await;
    let (st, status) = s.api(Method::GET, "/api/claude/status", None).await;
    assert_eq!(st, 200, "{status}");
    assert_eq!(status["driver"], "local");
    assert_eq!(status["image"], "anycode-sandbox:latest");
    assert_eq!(status["defaultCredentialMode"], "direct");
    assert_eq!(
        status["sandboxCliVersion"], status["hostCliVersion"],
        "local sandboxes run the host's CLI"
    );
    let (_, creds) = s.api(Method::GET, "/api/credentials/status", None).await;
    assert_eq!(creds["keyStorage"], "file", "{creds}");
    assert!(s.dir.join("secret.key").is_file());

    // Without a mode: the server's default; an explicit mode wins.
    let (st, direct) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("dflt")})),
        )
        .await;
    assert_eq!(
        (st, direct["credentialMode"].as_str()),
        (201, Some("direct")),
        "{direct}"
    );
    let (_, proxied) = s
        .api(
            Method::POST,
            "/api/sandboxes",
            Some(json!({"name": name("px"), "credentialMode": "proxy"})),
        )
        .await;
    assert_eq!(proxied["credentialMode"], "proxy");
    let (did, pid) = (
        direct["id"].as_str().unwrap().to_string(),
        proxied["id"].as_str().unwrap().to_string(),
    );
    let probe = "printf '%s|%s' \"${ANTHROPIC_API_KEY:-unset}\" \"${ANTHROPIC_AUTH_TOKEN:+token}\"";
    assert_eq!(exec(&s, &did, probe).await, format!("{SECRET}|"));
    assert_eq!(exec(&s, &pid, probe).await, "unset|token");

    // A restarted server still knows which sandboxes are direct.
    s.shutdown.cancel();
    let again = TestServer::start_at(s.dir.clone(), tweak).await;
    let (_, list) = again.api(Method::GET, "/api/sandboxes", None).await;
    let mode_of = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["credentialMode"].clone())
    };
    assert_eq!(mode_of(&did), Some(json!("direct")));
    assert_eq!(mode_of(&pid), Some(json!("proxy")));
    assert_eq!(exec(&again, &did, probe).await, format!("{SECRET}|"));
    assert_eq!(exec(&again, &pid, probe).await, "unset|token");
    for id in [&did, &pid] {
        let _ = again
            .api(Method::DELETE, &format!("/api/sandboxes/{id}"), None)
            .await;
    }
}
