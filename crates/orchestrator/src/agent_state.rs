//! Each Claude agent's state, derived from structured signals only — Claude Code hooks relayed
//! by the in-sandbox agent, the terminal's process ending, and the user's own interrupt keys —
//! never from screen text.
//!
//! | signal | state |
//! |---|---|
//! | terminal starts `claude` | `starting` |
//! | SessionStart, Stop | `idle` |
//! | UserPromptSubmit, PreToolUse, PostToolUse | `working` |
//! | PermissionRequest, Notification(permission_prompt) | `waiting_for_input` (permission) |
//! | Notification(idle_prompt), Notification(other) while idle | `waiting_for_input` (input) |
//! | StopFailure | `error` (its `error`) |
//! | SessionEnd, process exit | `done` |
//! | Esc / Ctrl-C typed while `working` or waiting, then no hook for a moment | `idle` |
//!
//! An interrupt (Esc) fires no hook, so the last rule recovers the state.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::fleet::FleetEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    Starting,
    Working,
    WaitingForInput,
    Idle,
    Done,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatus {
    pub state: AgentState,
    /// Why it waits or failed, or the tool it runs.
    pub reason: Option<String>,
    pub since: String,
    pub session_id: Option<String>,
    /// Set once a turn finished and nobody looked since (the inbox's "finished" items).
    pub turn_finished: bool,
    pub sandbox_id: Option<String>,
}

const INTERRUPT_GRACE: Duration = Duration::from_millis(1500);

#[derive(Default)]
struct Entry {
    status: Option<AgentStatus>,
    /// Bumped by every signal; an interrupt recovery only applies if nothing came after it.
    generation: u64,
}

pub struct AgentStates {
    map: Mutex<HashMap<String, Entry>>,
    events: broadcast::Sender<FleetEvent>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

impl AgentStates {
    pub fn new(events: broadcast::Sender<FleetEvent>) -> Arc<Self> {
        Arc::new(Self {
            map: Mutex::new(HashMap::new()),
            events,
        })
    }

    pub fn get(&self, terminal: &str) -> Option<AgentStatus> {
        lock(&self.map).get(terminal).and_then(|e| e.status.clone())
    }

    pub fn all(&self) -> Vec<(String, AgentStatus)> {
        lock(&self.map)
            .iter()
            .filter_map(|(k, e)| e.status.clone().map(|s| (k.clone(), s)))
            .collect()
    }

    fn set(
        &self,
        terminal: &str,
        sandbox: Option<&str>,
        state: AgentState,
        reason: Option<String>,
        session: Option<String>,
    ) {
        let mut map = lock(&self.map);
        let e = map.entry(terminal.to_string()).or_default();
        e.generation += 1;
        let prev = e.status.clone();
        let turn_finished = match state {
            AgentState::Idle => prev
                .as_ref()
                .is_some_and(|p| p.state == AgentState::Working || p.turn_finished),
            AgentState::WaitingForInput => prev.as_ref().is_some_and(|p| p.turn_finished),
            _ => false,
        };
        let same = prev
            .as_ref()
            .is_some_and(|p| p.state == state && p.reason == reason);
        e.status = Some(AgentStatus {
            state,
            reason,
            since: if same {
                prev.as_ref().map(|p| p.since.clone()).unwrap_or_default()
            } else {
                store::now_rfc3339()
            },
            session_id: session.or_else(|| prev.as_ref().and_then(|p| p.session_id.clone())),
            turn_finished,
            sandbox_id: sandbox
                .map(str::to_owned)
                .or_else(|| prev.and_then(|p| p.sandbox_id)),
        });
        drop(map);
        let _ = self
            .events
            .send(FleetEvent::AgentState(terminal.to_string()));
    }

    /// A terminal started `claude`.
    pub fn starting(&self, terminal: &str, sandbox: Option<&str>) {
        self.set(terminal, sandbox, AgentState::Starting, None, None);
    }

    /// A Claude Code hook fired in `terminal`.
    pub fn hook(&self, sandbox: &str, terminal: &str, event: &str, payload: &Value) {
        let session = text(payload, "session_id");
        let current = self.get(terminal).map(|s| s.state);
        let (state, reason) = match event {
            "SessionStart" | "Stop" => (AgentState::Idle, None),
            "UserPromptSubmit" => (AgentState::Working, None),
            "PreToolUse" | "PostToolUse" => (AgentState::Working, text(payload, "tool_name")),
            "PermissionRequest" => (
                AgentState::WaitingForInput,
                Some(format!(
                    "permission: {}",
                    text(payload, "tool_name").unwrap_or_else(|| "a tool".into())
                )),
            ),
            "Notification" => match text(payload, "notification_type").as_deref() {
                Some("permission_prompt") => (
                    AgentState::WaitingForInput,
                    Some(text(payload, "message").unwrap_or_else(|| "permission needed".into())),
                ),
                Some("idle_prompt") => (
                    AgentState::WaitingForInput,
                    Some("waiting for your input".into()),
                ),
                _ if current == Some(AgentState::Working) => return,
                _ => (AgentState::WaitingForInput, text(payload, "message")),
            },
            "StopFailure" => (
                AgentState::Error,
                Some(
                    text(payload, "error")
                        .or_else(|| text(payload, "last_assistant_message"))
                        .unwrap_or_else(|| "the turn failed".into()),
                ),
            ),
            "SessionEnd" => (AgentState::Done, text(payload, "reason")),
            _ => return,
        };
        self.set(terminal, Some(sandbox), state, reason, session);
    }

    /// The user typed into `terminal`. Esc or Ctrl-C while Claude works or waits interrupts it
    /// without a hook: unless a hook arrives within a moment, the agent is idle again.
    pub fn input(self: &Arc<Self>, terminal: &str, data: &[u8]) {
        let interrupt = data == b"\x1b" || data.contains(&0x03);
        if !interrupt {
            return;
        }
        let generation = {
            let map = lock(&self.map);
            match map.get(terminal) {
                Some(Entry {
                    status: Some(s),
                    generation,
                }) if matches!(s.state, AgentState::Working | AgentState::WaitingForInput) => {
                    *generation
                }
                _ => return,
            }
        };
        let me = Arc::clone(self);
        let terminal = terminal.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(INTERRUPT_GRACE).await;
            let still = lock(&me.map)
                .get(&terminal)
                .is_some_and(|e| e.generation == generation);
            if still {
                me.set(
                    &terminal,
                    None,
                    AgentState::Idle,
                    Some("interrupted".into()),
                    None,
                );
            }
        });
    }

    /// The terminal's process ended.
    pub fn exited(&self, terminal: &str) {
        if self
            .get(terminal)
            .is_some_and(|s| s.state != AgentState::Done)
        {
            self.set(
                terminal,
                None,
                AgentState::Done,
                Some("process exited".into()),
                None,
            );
        }
    }

    /// The user looked at the terminal: a finished turn is no longer news.
    pub fn seen(&self, terminal: &str) {
        let mut map = lock(&self.map);
        if let Some(Entry {
            status: Some(s), ..
        }) = map.get_mut(terminal)
        {
            if s.turn_finished {
                s.turn_finished = false;
                drop(map);
                let _ = self
                    .events
                    .send(FleetEvent::AgentState(terminal.to_string()));
            }
        }
    }

    pub fn forget(&self, terminal: &str) {
        lock(&self.map).remove(terminal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn states() -> Arc<AgentStates> {
        AgentStates::new(broadcast::channel(64).0)
    }

    #[test]
    fn hooks_drive_the_state_machine() {
        let s = states();
        let table = [
            (
                "SessionStart",
                json!({"session_id": "s1"}),
                AgentState::Idle,
            ),
            (
                "UserPromptSubmit",
                json!({"prompt": "hi"}),
                AgentState::Working,
            ),
            (
                "PreToolUse",
                json!({"tool_name": "Bash"}),
                AgentState::Working,
            ),
            (
                "PermissionRequest",
                json!({"tool_name": "Bash"}),
                AgentState::WaitingForInput,
            ),
            (
                "PostToolUse",
                json!({"tool_name": "Bash"}),
                AgentState::Working,
            ),
            (
                "Notification",
                json!({"notification_type": "other"}),
                AgentState::Working,
            ),
            ("Stop", json!({}), AgentState::Idle),
            (
                "Notification",
                json!({"notification_type": "idle_prompt"}),
                AgentState::WaitingForInput,
            ),
            ("UserPromptSubmit", json!({}), AgentState::Working),
            (
                "StopFailure",
                json!({"error": "rate_limit"}),
                AgentState::Error,
            ),
            (
                "SessionEnd",
                json!({"reason": "prompt_input_exit"}),
                AgentState::Done,
            ),
        ];
        for (event, payload, want) in table {
            s.hook("sb", "t", event, &payload);
            assert_eq!(s.get("t").unwrap().state, want, "after {event}");
        }
        let st = s.get("t").unwrap();
        assert_eq!(st.session_id.as_deref(), Some("s1"));
        assert_eq!(st.sandbox_id.as_deref(), Some("sb"));
    }

    #[test]
    fn a_finished_turn_is_news_until_seen() {
        let s = states();
        s.hook("sb", "t", "UserPromptSubmit", &json!({}));
        s.hook("sb", "t", "Stop", &json!({}));
        assert!(s.get("t").unwrap().turn_finished);
        s.seen("t");
        assert!(!s.get("t").unwrap().turn_finished);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_without_a_hook_returns_to_idle() {
        let s = states();
        s.hook("sb", "t", "UserPromptSubmit", &json!({}));
        s.input("t", b"\x1b");
        tokio::time::sleep(INTERRUPT_GRACE * 2).await;
        assert_eq!(s.get("t").unwrap().state, AgentState::Idle);
        // A hook after the key wins over the recovery.
        s.hook("sb", "t", "UserPromptSubmit", &json!({}));
        s.input("t", b"\x1b");
        s.hook("sb", "t", "PreToolUse", &json!({"tool_name": "Read"}));
        tokio::time::sleep(INTERRUPT_GRACE * 2).await;
        assert_eq!(s.get("t").unwrap().state, AgentState::Working);
    }
}
