//! The real Claude Code CLI (pinned version, located or installed by `mock_model::cli`) against
//! the mock. Set `ANYCODE_SKIP_CLAUDE_CLI=1` to skip these where npm or the CLI is unavailable.

use std::path::Path;
use std::time::Duration;

use mock_model::{cli, MockModel, RequestKind, Script, Served, Turn};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(120);

struct Run {
    status: std::process::ExitStatus,
    events: Vec<Value>,
    stderr: String,
}

impl Run {
    fn result(&self) -> &Value {
        self.events
            .iter()
            .find(|e| e["type"] == "result")
            .unwrap_or_else(|| panic!("no result event; stderr: {}", self.stderr))
    }
}

async fn run_claude(mock: &MockModel, home: &Path, work: &Path, args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::from(cli::command(home, &mock.base_url(), "test-token"));
    cmd.args(args)
        .args(["--output-format", "stream-json", "--verbose"])
        .current_dir(work)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(TIMEOUT, cmd.output())
        .await
        .expect("claude timed out")
        .expect("claude did not start");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for r in mock.requests() {
        eprintln!("{}", r.summary());
    }
    Run {
        status: out.status,
        events,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn setup() -> Option<(tempfile::TempDir, tempfile::TempDir)> {
    if cli::skip_real_cli() {
        eprintln!("skipped: {}=1", cli::ENV_SKIP);
        return None;
    }
    let home = tempfile::tempdir().expect("temp HOME");
    let work = tempfile::tempdir().expect("temp workspace");
    cli::prepare_home(home.path(), &[work.path()]).expect("seeding HOME");
    Some((home, work))
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_say_hi_reaches_the_mock_with_the_bearer_token() {
    let Some((home, work)) = setup() else { return };
    let mock = MockModel::start(Script::echo()).await;
    let run = run_claude(&mock, home.path(), work.path(), &["-p", "say hi"]).await;

    assert!(
        run.status.success(),
        "rc {:?}; stderr: {}",
        run.status,
        run.stderr
    );
    let result = run.result();
    assert_eq!(result["subtype"], "success", "{result}");
    assert_eq!(result["result"], "Mock reply to: say hi", "{result}");
    let init = run
        .events
        .iter()
        .find(|e| e["type"] == "system" && e["subtype"] == "init")
        .expect("init event");

    let main = mock.log().main();
    assert_eq!(main.len(), 1, "one main-loop request");
    let request = &main[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.query.as_deref(), Some("beta=true"));
    assert_eq!(request.header("authorization"), Some("Bearer test-token"));
    assert_eq!(request.api_key(), None);
    assert!(request.is_stream());
    assert_eq!(request.prompt().as_deref(), Some("say hi"));
    assert!(request.tool_names().iter().any(|t| t == "Write"));
    assert_eq!(request.session_id(), init["session_id"].as_str());
    assert!(request
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with(&format!("claude-cli/{}", cli::CLAUDE_CLI_VERSION))));
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_tool_use_writes_files_in_the_workspace() {
    let Some((home, work)) = setup() else { return };
    let hello = work.path().join("hello.txt");
    let script = Script::turns([
        Turn::tool_use(
            "Write",
            json!({"file_path": hello.to_string_lossy(), "content": "hello from the mock\n"}),
        ),
        Turn::tool_use(
            "Bash",
            json!({"command": "echo bash-was-here > bash.txt", "description": "Write bash.txt"}),
        ),
        Turn::text("Done: wrote hello.txt and bash.txt."),
    ]);
    let mock = MockModel::start(script).await;
    let run = run_claude(
        &mock,
        home.path(),
        work.path(),
        &[
            "-p",
            "create the files",
            "--permission-mode",
            "bypassPermissions",
            "--allowedTools",
            "Write",
            "Bash",
        ],
    )
    .await;

    assert!(
        run.status.success(),
        "rc {:?}; stderr: {}",
        run.status,
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&hello).unwrap(),
        "hello from the mock\n"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("bash.txt")).unwrap(),
        "bash-was-here\n"
    );
    let result = run.result();
    assert_eq!(result["result"], "Done: wrote hello.txt and bash.txt.");
    assert_eq!(result["num_turns"], 3, "{result}");

    let main = mock.log().main();
    let served: Vec<Served> = main.iter().map(|r| r.served.clone()).collect();
    assert_eq!(
        served,
        [
            Served::Turn { index: 0 },
            Served::Turn { index: 1 },
            Served::Turn { index: 2 }
        ]
    );
    // Each follow-up carries the tool_result of the previous tool_use.
    for r in &main[1..] {
        let results = r.tool_results();
        assert_eq!(results.len(), 1, "{}", r.body["messages"]);
        assert_ne!(results[0]["is_error"], true, "{}", results[0]);
    }
    assert!(mock
        .log()
        .filter(|r| r.kind == RequestKind::Side)
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_match_the_prompt_and_tool_results_advance() {
    let Some((home, work)) = setup() else { return };
    let note = work.path().join("note.md");
    let script = Script::echo().rule(
        "make a note",
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": note.to_string_lossy(), "content": "# note\n"}),
            ),
            Turn::text("Made the note."),
        ],
    );
    let mock = MockModel::start(script).await;
    let args = [
        "--permission-mode",
        "bypassPermissions",
        "--allowedTools",
        "Write",
    ];
    let run = run_claude(
        &mock,
        home.path(),
        work.path(),
        &[&["-p", "please MAKE A NOTE"][..], &args[..]].concat(),
    )
    .await;
    assert!(run.status.success(), "stderr: {}", run.stderr);
    assert_eq!(run.result()["result"], "Made the note.");
    assert_eq!(std::fs::read_to_string(&note).unwrap(), "# note\n");

    // Unmatched prompt: the echo.
    let run = run_claude(&mock, home.path(), work.path(), &["-p", "what now?"]).await;
    assert_eq!(run.result()["result"], "Mock reply to: what now?");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_is_retried_and_should_retry_false_fails_fast() {
    let Some((home, work)) = setup() else { return };
    let mock = MockModel::start(Script::turns([
        Turn::rate_limited(1),
        Turn::text("after the retry"),
    ]))
    .await;
    let run = run_claude(&mock, home.path(), work.path(), &["-p", "hi"]).await;
    assert!(run.status.success(), "stderr: {}", run.stderr);
    assert_eq!(run.result()["result"], "after the retry");
    let retry = run
        .events
        .iter()
        .find(|e| e["type"] == "system" && e["subtype"] == "api_retry")
        .expect("an api_retry event");
    assert_eq!(retry["error_status"], 429, "{retry}");
    assert_eq!(mock.log().main().len(), 2);

    let mock = MockModel::start(Script::turns([Turn::unauthorized().should_retry(false)])).await;
    let started = std::time::Instant::now();
    let run = run_claude(&mock, home.path(), work.path(), &["-p", "hi"]).await;
    assert!(!run.status.success());
    assert_eq!(run.result()["is_error"], true);
    assert_eq!(mock.log().main().len(), 1, "no retry");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread")]
async fn base_url_path_prefix_is_kept() {
    let Some((home, work)) = setup() else { return };
    let mock = MockModel::start(Script::echo()).await;
    let base = format!("{}/sbx/abc", mock.base_url());
    let mut cmd = tokio::process::Command::from(cli::command(home.path(), &base, "tok-2"));
    let out = cmd
        .args(["-p", "prefixed", "--output-format", "json"])
        .current_dir(work.path())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("claude did not start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("json result");
    assert_eq!(result["result"], "Mock reply to: prefixed");
    for r in mock.requests() {
        eprintln!("{} {}", r.method, r.path);
    }
    let main = mock.log().main();
    assert_eq!(main[0].path, "/sbx/abc/v1/messages");
    assert_eq!(main[0].bearer(), Some("tok-2"));
}
