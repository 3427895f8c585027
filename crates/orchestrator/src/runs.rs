//! Headless Claude runs: `claude -p --output-format stream-json --verbose` in a sandbox terminal
//! (so it can be watched live like any terminal), its stream parsed into a typed event log that
//! is stored and announced on the fleet's events. Tasks build on this.
use std::sync::Arc;

use serde_json::Value;
use store::{RunRecord, Store};
use terminal::{FlowConfig, Session, Viewer, ViewerEvent};

use crate::fleet::{Fleet, FleetError, FleetEvent};
use crate::terminals::NewTerminal;

#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub prompt: String,
    pub model: Option<String>,
    pub allowed_tools: Vec<String>,
    pub max_turns: Option<u32>,
    /// `default`, `acceptEdits`, `bypassPermissions` or `plan`.
    pub permission_mode: Option<String>,
    /// Continue an earlier session.
    pub resume: Option<String>,
}

fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:()*,/ ".contains(c))
}

impl RunRequest {
    fn argv(&self) -> Result<Vec<String>, FleetError> {
        let bad = |m: &str| Err(FleetError::Invalid(m.to_string()));
        if self.prompt.trim().is_empty()
            || self.prompt.len() > 100_000
            || self.prompt.contains('\0')
        {
            return bad("`prompt` must be 1 to 100000 bytes, without NUL");
        }
        let mut argv: Vec<String> = [
            "claude",
            "-p",
            &self.prompt,
            "--output-format",
            "stream-json",
            "--verbose",
        ]
        .map(String::from)
        .to_vec();
        if let Some(m) = &self.model {
            if !plain(m) {
                return bad("`model` is not a model name");
            }
            argv.extend(["--model".into(), m.clone()]);
        }
        if !self.allowed_tools.is_empty() {
            if !self.allowed_tools.iter().all(|t| plain(t)) {
                return bad(
                    "`allowedTools` entries must be tool names or patterns like `Bash(git:*)`",
                );
            }
            argv.extend(["--allowedTools".into(), self.allowed_tools.join(",")]);
        }
        if let Some(n) = self.max_turns {
            if !(1..=1000).contains(&n) {
                return bad("`maxTurns` must be between 1 and 1000");
            }
            argv.extend(["--max-turns".into(), n.to_string()]);
        }
        if let Some(mode) = &self.permission_mode {
            if !["default", "acceptEdits", "bypassPermissions", "plan"].contains(&mode.as_str()) {
                return bad(
                    "`permissionMode` must be default, acceptEdits, bypassPermissions or plan",
                );
            }
            argv.extend(["--permission-mode".into(), mode.clone()]);
        }
        if let Some(r) = &self.resume {
            if !r.chars().all(|c| c.is_ascii_hexdigit() || c == '-') || r.is_empty() || r.len() > 64
            {
                return bad("`resume` must be a session id");
            }
            argv.extend(["--resume".into(), r.clone()]);
        }
        Ok(argv)
    }
}

/// The kind of one stream-json line.
pub fn classify(v: &Value) -> &'static str {
    match v.get("type").and_then(Value::as_str) {
        Some("system") if v.get("subtype").and_then(Value::as_str) == Some("init") => "init",
        Some("assistant") => {
            let blocks = v.pointer("/message/content").and_then(Value::as_array);
            if blocks.is_some_and(|b| {
                b.iter()
                    .any(|x| x.get("type").and_then(Value::as_str) == Some("tool_use"))
            }) {
                "tool_use"
            } else {
                "assistant_text"
            }
        }
        Some("user") => {
            let blocks = v.pointer("/message/content").and_then(Value::as_array);
            if blocks.is_some_and(|b| {
                b.iter()
                    .any(|x| x.get("type").and_then(Value::as_str) == Some("tool_result"))
            }) {
                "tool_result"
            } else {
                "other"
            }
        }
        Some("result") => "result",
        _ => "other",
    }
}

impl Fleet {
    /// Starts a headless run in a sandbox.
    pub async fn start_run(
        self: &Arc<Self>,
        sandbox: &str,
        req: RunRequest,
    ) -> Result<RunRecord, FleetError> {
        let argv = req.argv()?;
        let (term, _) = self
            .create_terminal(
                sandbox,
                NewTerminal {
                    name: Some("claude -p".into()),
                    command: Some(argv),
                    cols: Some(200),
                    rows: Some(50),
                    ..Default::default()
                },
            )
            .await?;
        let run_id = uuid::Uuid::now_v7().to_string();
        let store = self.hub().store().clone();
        store
            .insert_run(&run_id, sandbox, &term.id.to_string(), &req.prompt)
            .await?;
        if let Some(session) = self.hub().session(term.id) {
            let events = self.event_sender();
            tokio::spawn(follow(store.clone(), events, run_id.clone(), session));
        }
        store
            .get_run(&run_id)
            .await?
            .ok_or_else(|| FleetError::Failed("the run vanished".into()))
    }
}

impl Fleet {
    /// After a restart: runs still marked running are followed again from their terminal's first
    /// byte (the agent kept the process and its output while the server was down; stored events
    /// are not duplicated). A run whose terminal is gone is marked failed.
    pub async fn refollow_runs(self: &Arc<Self>) -> Result<(), FleetError> {
        let store = self.hub().store().clone();
        for run in store.running_runs().await? {
            let me = Arc::clone(self);
            tokio::spawn(async move { me.refollow(run).await });
        }
        Ok(())
    }

    /// Waits (up to two minutes) for the run's sandbox to be reattached, then follows the run
    /// again; a sandbox that is gone or never comes back means the run was lost.
    async fn refollow(self: Arc<Self>, run: RunRecord) {
        let store = self.hub().store().clone();
        let mut events = self.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let session = run
                .terminal_id
                .parse()
                .ok()
                .and_then(|t| self.hub().session(t));
            if let Some(session) = session {
                follow(store, self.event_sender(), run.id.clone(), session).await;
                return;
            }
            let alive = matches!(
                self.get(&run.sandbox_id).await.map(|s| s.state),
                Ok(crate::SandboxState::Ready | crate::SandboxState::Running)
            );
            if !alive || tokio::time::Instant::now() >= deadline {
                break;
            }
            let _ = tokio::time::timeout_at(deadline, async {
                loop {
                    match events.recv().await {
                        Ok(FleetEvent::Sandbox(id)) if id == run.sandbox_id => break,
                        Ok(FleetEvent::Terminal(_)) => break,
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
            .await;
        }
        let _ = store
            .finish_run(
                &run.id,
                "failed",
                Some(&serde_json::json!({"error": "the run's terminal was lost while AnyCode was down"})),
            )
            .await;
        let _ = self.event_sender().send(FleetEvent::Run(run.id));
    }
}

/// Reads the run's terminal from its first byte, one JSON line at a time, until it exits.
async fn follow(
    store: Store,
    events: tokio::sync::broadcast::Sender<FleetEvent>,
    run: String,
    session: Session,
) {
    let flow = FlowConfig {
        window: 8 * 1024 * 1024,
        lag_limit: u64::MAX / 2,
        max_frame: 256 * 1024,
    };
    let mut viewer = Viewer::attach(session, Some(0), flow);
    let mut line: Vec<u8> = Vec::new();
    let mut seq = 0i64;
    let mut result: Option<Value> = None;
    let mut failure: Option<String> = None;
    loop {
        match viewer.next().await {
            ViewerEvent::Output { data, .. } => {
                viewer.ack(viewer.cursor());
                for &b in data.iter() {
                    if b != b'\n' {
                        if line.len() < 16 * 1024 * 1024 {
                            line.push(b);
                        }
                        continue;
                    }
                    let text = String::from_utf8_lossy(&line).trim().to_string();
                    line.clear();
                    let Ok(v) = serde_json::from_str::<Value>(&text) else {
                        continue;
                    };
                    let kind = classify(&v);
                    if kind == "init" {
                        if let Some(sid) = v.get("session_id").and_then(Value::as_str) {
                            let _ = store.set_run_session(&run, sid).await;
                        }
                    }
                    if kind == "result" {
                        result = Some(v.clone());
                    }
                    seq += 1;
                    if let Err(e) = store.add_run_event(&run, seq, kind, &v).await {
                        tracing::warn!(run, error = %e, "cannot store a run event");
                    }
                    let _ = events.send(FleetEvent::Run(run.clone()));
                }
            }
            ViewerEvent::Snapshot(_) => {
                failure = Some("the run's output outgrew its buffer".into())
            }
            ViewerEvent::Exit(status) => {
                if result.is_none() {
                    failure.get_or_insert_with(|| {
                        format!("claude exited ({:?}) without a result", status.code)
                    });
                }
                break;
            }
            ViewerEvent::Closed => {
                failure.get_or_insert_with(|| "the terminal was closed".into());
                break;
            }
            _ => {}
        }
    }
    let ok = failure.is_none()
        && result
            .as_ref()
            .is_some_and(|r| r.get("is_error").and_then(Value::as_bool) != Some(true));
    let summary = result.or_else(|| failure.map(|f| serde_json::json!({"error": f})));
    if let Err(e) = store
        .finish_run(
            &run,
            if ok { "completed" } else { "failed" },
            summary.as_ref(),
        )
        .await
    {
        tracing::warn!(run, error = %e, "cannot finish a run");
    }
    let _ = events.send(FleetEvent::Run(run));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stream_json_lines_are_classified() {
        let cases = [
            (
                json!({"type": "system", "subtype": "init", "session_id": "s"}),
                "init",
            ),
            (
                json!({"type": "assistant", "message": {"content": [{"type": "text", "text": "hi"}]}}),
                "assistant_text",
            ),
            (
                json!({"type": "assistant", "message": {"content": [{"type": "tool_use", "name": "Write"}]}}),
                "tool_use",
            ),
            (
                json!({"type": "user", "message": {"content": [{"type": "tool_result", "content": "ok"}]}}),
                "tool_result",
            ),
            (json!({"type": "result", "subtype": "success"}), "result"),
            (json!({"type": "rate_limit_event"}), "other"),
        ];
        for (v, want) in cases {
            assert_eq!(classify(&v), want, "{v}");
        }
    }

    #[test]
    fn requests_are_validated_before_anything_runs() {
        let ok = RunRequest {
            prompt: "do it".into(),
            allowed_tools: vec!["Write".into(), "Bash(git:*)".into()],
            max_turns: Some(5),
            ..Default::default()
        };
        let argv = ok.argv().unwrap();
        assert!(argv
            .windows(2)
            .any(|w| w == ["--allowedTools", "Write,Bash(git:*)"]));
        for bad in [
            RunRequest {
                prompt: " ".into(),
                ..Default::default()
            },
            RunRequest {
                prompt: "x".into(),
                permission_mode: Some("yolo".into()),
                ..Default::default()
            },
            RunRequest {
                prompt: "x".into(),
                max_turns: Some(0),
                ..Default::default()
            },
            RunRequest {
                prompt: "x".into(),
                resume: Some("../etc".into()),
                ..Default::default()
            },
            RunRequest {
                prompt: "x".into(),
                model: Some("a;rm -rf /".into()),
                ..Default::default()
            },
        ] {
            assert!(bad.argv().is_err(), "{bad:?}");
        }
    }
}
