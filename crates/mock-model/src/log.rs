//! The request log: every request the mock received, with full header values (tests assert which
//! credential arrived) and the parsed JSON body, plus accessors for what tests usually check.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// What kind of request this was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `POST …/v1/messages` from the agent's main loop (it carries tools).
    Main,
    /// `POST …/v1/messages` without tools: title generation and similar utility calls.
    Side,
    /// `POST …/v1/messages/count_tokens`.
    CountTokens,
    /// Anything else (answered `200 {}`).
    Other,
}

/// Which part of the script answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Served {
    /// `Script::turns[index]`.
    Turn { index: usize },
    /// `Script::rules[rule]`, step `step` of its steps.
    Rule { rule: usize, step: usize },
    /// `Script::fallback`, or the default echo reply.
    Fallback,
    /// The side-request reply.
    Side,
    /// A fixed answer (count_tokens, other paths, malformed requests).
    Fixed,
}

/// One received request.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// 0-based arrival order.
    pub seq: usize,
    pub method: String,
    /// Path without the query, prefixes kept (e.g. `/sbx/1/v1/messages`).
    pub path: String,
    /// Raw query string, e.g. `beta=true`.
    pub query: Option<String>,
    /// Header names lower-cased, values in full, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Parsed JSON body (`Null` if empty or not JSON).
    pub body: Value,
    pub kind: RequestKind,
    /// Conversation key: the `x-claude-code-session-id` header, or `"default"`.
    pub conversation: String,
    pub served: Served,
}

impl RecordedRequest {
    /// First value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The token of `Authorization: Bearer <token>`.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }

    /// The `x-api-key` header.
    pub fn api_key(&self) -> Option<&str> {
        self.header("x-api-key")
    }

    /// All `anthropic-beta` values, split on commas.
    pub fn betas(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "anthropic-beta")
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The `x-claude-code-session-id` header.
    pub fn session_id(&self) -> Option<&str> {
        self.header("x-claude-code-session-id")
    }

    /// `body.model`.
    pub fn model(&self) -> Option<&str> {
        self.body["model"].as_str()
    }

    /// Whether the body asked for SSE (`"stream": true`).
    pub fn is_stream(&self) -> bool {
        self.body["stream"].as_bool().unwrap_or(false)
    }

    /// Names of the tools offered to the model.
    pub fn tool_names(&self) -> Vec<String> {
        tool_names(&self.body)
    }

    /// Number of entries in `body.messages` (including the CLI's `role: "system"` entries).
    pub fn message_count(&self) -> usize {
        self.body["messages"].as_array().map_or(0, Vec::len)
    }

    /// The latest user prompt text (system reminders and tool results skipped).
    pub fn prompt(&self) -> Option<String> {
        prompt(&self.body)
    }

    /// The system prompt as one string (text blocks joined by newlines).
    pub fn system_text(&self) -> String {
        match &self.body["system"] {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }

    /// All `tool_result` blocks of the last user/assistant message.
    pub fn tool_results(&self) -> Vec<Value> {
        last_message_blocks(&self.body)
            .into_iter()
            .filter(|b| b["type"] == "tool_result")
            .collect()
    }

    /// A one-line summary with secrets shortened, for logs.
    pub fn summary(&self) -> String {
        let cred = match (self.bearer(), self.api_key()) {
            (Some(b), _) => format!(" bearer={}", redact(b)),
            (None, Some(k)) => format!(" x-api-key={}", redact(k)),
            _ => String::new(),
        };
        let model = self
            .model()
            .map(|m| format!(" model={m}"))
            .unwrap_or_default();
        format!(
            "#{} {} {}{} kind={:?}{model} msgs={} tools={}{cred} served={:?}",
            self.seq,
            self.method,
            self.path,
            self.query
                .as_deref()
                .map(|q| format!("?{q}"))
                .unwrap_or_default(),
            self.kind,
            self.message_count(),
            self.tool_names().len(),
            self.served,
        )
    }
}

/// Keeps the first 4 and last 4 characters of a secret.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 10 {
        return "…".repeat(chars.len().min(3));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

pub(crate) fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The content of a message as blocks (a string becomes one text block).
fn blocks_of(message: &Value) -> Vec<Value> {
    match &message["content"] {
        Value::String(s) => vec![serde_json::json!({"type": "text", "text": s})],
        Value::Array(blocks) => blocks.clone(),
        _ => Vec::new(),
    }
}

/// The last `user` or `assistant` message. The CLI also puts `role: "system"` messages into
/// `messages` (e.g. the agent list after the prompt), which are skipped.
fn last_turn_message(body: &Value) -> Option<&Value> {
    body["messages"]
        .as_array()?
        .iter()
        .rev()
        .find(|m| m["role"] == "user" || m["role"] == "assistant")
}

fn last_message_blocks(body: &Value) -> Vec<Value> {
    last_turn_message(body).map(blocks_of).unwrap_or_default()
}

/// Whether the last user/assistant message is a user turn typed by a person (no `tool_result`
/// in it).
pub(crate) fn is_fresh_prompt(body: &Value) -> bool {
    let Some(last) = last_turn_message(body) else {
        return false;
    };
    last["role"] == "user" && !blocks_of(last).iter().any(|b| b["type"] == "tool_result")
}

/// The latest user text that is not a `<system-reminder>`, searching back from the last message.
pub(crate) fn prompt(body: &Value) -> Option<String> {
    let messages = body["messages"].as_array()?;
    for message in messages.iter().rev() {
        if message["role"] != "user" {
            continue;
        }
        let text = blocks_of(message)
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .rfind(|t| !t.trim_start().starts_with("<system-reminder>"))
            .map(str::to_string);
        if text.is_some() {
            return text;
        }
    }
    None
}

/// A shared, append-only list of [`RecordedRequest`]s. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    inner: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, mut request: RecordedRequest) -> RecordedRequest {
        let mut log = self.lock();
        request.seq = log.len();
        log.push(request.clone());
        request
    }

    /// Everything so far, in arrival order.
    pub fn all(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    /// Main-loop and side `POST …/v1/messages` requests.
    pub fn messages(&self) -> Vec<RecordedRequest> {
        self.filter(|r| matches!(r.kind, RequestKind::Main | RequestKind::Side))
    }

    /// Main-loop requests only.
    pub fn main(&self) -> Vec<RecordedRequest> {
        self.filter(|r| r.kind == RequestKind::Main)
    }

    /// Requests matching `pred`.
    pub fn filter(&self, pred: impl Fn(&RecordedRequest) -> bool) -> Vec<RecordedRequest> {
        self.lock().iter().filter(|r| pred(r)).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until some request matches `pred` and returns the first such one, or `None` after
    /// `timeout`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        pred: impl Fn(&RecordedRequest) -> bool,
    ) -> Option<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.lock().iter().find(|r| pred(r)) {
                return Some(r.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prompt_skips_reminders_and_tool_results() {
        let body = json!({"messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
                {"type": "text", "text": "make a file"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Write", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]},
        ]});
        assert_eq!(prompt(&body).as_deref(), Some("make a file"));
        assert!(!is_fresh_prompt(&body));
        let body = json!({"messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(prompt(&body).as_deref(), Some("hi"));
        assert!(is_fresh_prompt(&body));
        // Mid-conversation system messages after the prompt are skipped.
        let body = json!({"messages": [
            {"role": "user", "content": "hi"},
            {"role": "system", "content": "Available agent types: …"}]});
        assert_eq!(prompt(&body).as_deref(), Some("hi"));
        assert!(is_fresh_prompt(&body));
    }

    #[test]
    fn redacts() {
        assert_eq!(redact("sk-ant-api03-abcdefgh"), "sk-a…efgh");
        assert_eq!(redact("short"), "………");
    }
}
