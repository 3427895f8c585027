//! What the mock answers: a [`Script`] of [`Turn`]s, plus prompt-matching [`Rule`]s.
//!
//! Everything here is plain data with a JSON form (the binary's `--script file.json`):
//!
//! ```json
//! {
//!   "turns": [
//!     {"type": "error", "status": 429, "retry_after": 1},
//!     {"type": "reply", "content": [
//!        {"type": "tool_use", "name": "Write",
//!         "input": {"file_path": "/tmp/w/hello.txt", "content": "hi\n"}}]},
//!     {"type": "reply", "content": [{"type": "text", "text": "Done."}],
//!      "usage": {"input_tokens": 100, "output_tokens": 7}}
//!   ],
//!   "rules": [{"contains": "weather", "reply": "Sunny."}],
//!   "fallback": null,
//!   "side_reply": "Mock title"
//! }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The whole behaviour of one mock server.
///
/// Main-loop requests (those that carry a non-empty `tools` list) of each conversation (keyed by
/// the `X-Claude-Code-Session-Id` header) walk through a sequence of steps:
///
/// 1. A request whose last message is a fresh user prompt (not a `tool_result`) and whose prompt
///    contains a [`Rule::contains`] text switches the conversation to that rule's steps.
///    A retry of the same request (same message count and prompt) does not restart the rule.
/// 2. Otherwise the conversation's current sequence advances: at first [`Script::turns`], later
///    the steps of the last matched rule. So a request carrying a `tool_result` gets the next step.
/// 3. When the sequence is exhausted, [`Script::fallback`] answers (by default an echo,
///    `Mock reply to: <prompt>`).
///
/// Side requests (no `tools`, e.g. title generation on haiku) never consume steps; they get
/// [`Script::side_reply`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Steps every conversation starts with, in order.
    #[serde(default)]
    pub turns: Vec<Turn>,
    /// Prompt-matching rules, first match wins.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The answer once the current sequence is exhausted; `None` echoes the prompt.
    #[serde(default)]
    pub fallback: Option<Turn>,
    /// Text for side requests; `None` means [`DEFAULT_SIDE_REPLY`]. When the side request asks
    /// for structured output (`output_config.format` with a JSON schema, as the CLI's title
    /// generation does), the reply is a JSON value fitting the schema with this text in its
    /// string fields, e.g. `{"title": "Mock side reply"}`.
    #[serde(default)]
    pub side_reply: Option<String>,
    /// When `true`, requests without tools are treated like main-loop requests (they consume
    /// steps). Default `false`.
    #[serde(default)]
    pub toolless_is_main: bool,
}

/// Reply text for side requests unless [`Script::side_reply`] says otherwise.
pub const DEFAULT_SIDE_REPLY: &str = "Mock side reply";

/// Prefix of the default echo reply: `Mock reply to: <prompt>`.
pub const ECHO_PREFIX: &str = "Mock reply to: ";

impl Script {
    /// A script with only the default echo behaviour.
    pub fn echo() -> Self {
        Self::default()
    }

    /// A script walking through `turns` in order.
    pub fn turns(turns: impl IntoIterator<Item = Turn>) -> Self {
        Self {
            turns: turns.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Adds a rule: when the prompt contains `needle`, answer with `steps`.
    pub fn rule(
        mut self,
        needle: impl Into<String>,
        steps: impl IntoIterator<Item = Turn>,
    ) -> Self {
        self.rules.push(Rule {
            contains: needle.into(),
            reply: None,
            turns: steps.into_iter().collect(),
        });
        self
    }

    /// Adds a rule: when the prompt contains `needle`, reply with `text`.
    pub fn rule_text(self, needle: impl Into<String>, text: impl Into<String>) -> Self {
        self.rule(needle, [Turn::text(text)])
    }

    /// Sets the answer used once a conversation's steps are exhausted.
    pub fn with_fallback(mut self, turn: Turn) -> Self {
        self.fallback = Some(turn);
        self
    }

    /// Sets the text of side requests.
    pub fn with_side_reply(mut self, text: impl Into<String>) -> Self {
        self.side_reply = Some(text.into());
        self
    }

    /// Parses the JSON form.
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    /// Reads and parses a JSON script file.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Self::from_json(&text).map_err(|e| anyhow::anyhow!("parsing {}: {e}", path.display()))
    }
}

/// "When the prompt contains X, answer with these steps."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Matched case-insensitively against the latest user prompt text (system reminders and
    /// tool results excluded).
    pub contains: String,
    /// Shorthand for a single text reply; used when `turns` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// The steps: the first answers the prompt, each following one answers the next main-loop
    /// request of the conversation (typically the one carrying the `tool_result`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turns: Vec<Turn>,
}

impl Rule {
    /// The steps this rule answers with.
    pub fn steps(&self) -> Vec<Turn> {
        if self.turns.is_empty() {
            vec![Turn::text(self.reply.clone().unwrap_or_default())]
        } else {
            self.turns.clone()
        }
    }

    /// Whether `prompt` triggers this rule.
    pub fn matches(&self, prompt: &str) -> bool {
        prompt
            .to_lowercase()
            .contains(&self.contains.to_lowercase())
    }
}

/// One answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Turn {
    /// A model message (streamed as SSE or returned as JSON, as the request asks).
    Reply(Reply),
    /// An HTTP error response.
    Error(Fault),
}

impl Turn {
    /// A reply with a single text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Reply(Reply::new([Block::text(text)]))
    }

    /// A reply with a single `tool_use` block.
    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Self::Reply(Reply::new([Block::tool_use(name, input)]))
    }

    /// A reply with the given blocks.
    pub fn reply(content: impl IntoIterator<Item = Block>) -> Self {
        Self::Reply(Reply::new(content))
    }

    /// An HTTP error with the Anthropic error body for `status`.
    pub fn error(status: u16) -> Self {
        Self::Error(Fault::new(status))
    }

    /// `401 authentication_error`.
    pub fn unauthorized() -> Self {
        Self::error(401)
    }

    /// `429 rate_limit_error` with `retry-after: <secs>`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut fault = Fault::new(429);
        fault.retry_after = Some(retry_after_secs);
        Self::Error(fault)
    }

    /// `529 overloaded_error`.
    pub fn overloaded() -> Self {
        Self::error(529)
    }

    /// `500 api_error`.
    pub fn server_error() -> Self {
        Self::error(500)
    }

    /// A streamed reply whose connection is dropped after `after_events` SSE events.
    pub fn cut(reply: Reply, after_events: usize) -> Self {
        Self::Reply(Reply {
            cut_after_events: Some(after_events),
            ..reply
        })
    }

    /// For an error: serve it `times` times in a row before moving on.
    pub fn repeat(self, times: u32) -> Self {
        match self {
            Self::Error(fault) => Self::Error(Fault {
                repeat: times,
                ..fault
            }),
            other => other,
        }
    }

    /// For an error: add `x-should-retry: <value>`.
    pub fn should_retry(self, value: bool) -> Self {
        match self {
            Self::Error(fault) => Self::Error(Fault {
                should_retry: Some(value),
                ..fault
            }),
            other => other,
        }
    }

    /// For a reply: set its usage numbers.
    pub fn with_usage(self, usage: Usage) -> Self {
        match self {
            Self::Reply(reply) => Self::Reply(Reply { usage, ..reply }),
            other => other,
        }
    }

    /// Wait this long before answering (both replies and errors).
    pub fn delayed(self, ms: u64) -> Self {
        match self {
            Self::Reply(reply) => Self::Reply(Reply {
                delay_ms: ms,
                ..reply
            }),
            Self::Error(fault) => Self::Error(Fault {
                delay_ms: ms,
                ..fault
            }),
        }
    }

    /// How many times this turn is served before the sequence advances.
    pub(crate) fn times(&self) -> u32 {
        match self {
            Self::Reply(_) => 1,
            Self::Error(fault) => fault.repeat.max(1),
        }
    }
}

/// A model message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Content blocks, in order.
    pub content: Vec<Block>,
    /// Token counts reported in `message_start` / `message_delta` (or the JSON `usage`).
    #[serde(default)]
    pub usage: Usage,
    /// Defaults to `tool_use` when the content has a `tool_use` block, else `end_turn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Overrides the `model` echoed back (default: the request's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Delay before the response starts, in milliseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
    /// Delay between SSE events, in milliseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub event_delay_ms: u64,
    /// Fault: drop the connection after this many SSE events. A non-streaming request gets its
    /// connection dropped without a complete response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_after_events: Option<usize>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Reply {
    /// A reply with these blocks and default usage.
    pub fn new(content: impl IntoIterator<Item = Block>) -> Self {
        Self {
            content: content.into_iter().collect(),
            usage: Usage::default(),
            stop_reason: None,
            model: None,
            delay_ms: 0,
            event_delay_ms: 0,
            cut_after_events: None,
        }
    }

    /// The stop reason sent: explicit, else `tool_use` / `end_turn` by content.
    pub fn effective_stop_reason(&self) -> String {
        if let Some(reason) = &self.stop_reason {
            return reason.clone();
        }
        if self
            .content
            .iter()
            .any(|b| matches!(b, Block::ToolUse { .. }))
        {
            "tool_use".into()
        } else {
            "end_turn".into()
        }
    }
}

/// One content block of a [`Reply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Text; streamed as several `text_delta`s.
    Text { text: String },
    /// A tool call; its input is streamed as several `input_json_delta`s.
    ToolUse {
        /// Generated (`toolu_mock_…`) when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        name: String,
        input: Value,
    },
    /// Extended thinking; streamed as `thinking_delta`s plus a `signature_delta`.
    Thinking {
        thinking: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
}

impl Block {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// A `tool_use` block with a generated id.
    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Self::ToolUse {
            id: None,
            name: name.into(),
            input,
        }
    }

    /// A thinking block with a generated signature.
    pub fn thinking(text: impl Into<String>) -> Self {
        Self::Thinking {
            thinking: text.into(),
            signature: None,
        }
    }
}

/// Token counts of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            input_tokens: 10,
            output_tokens: 5,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
        }
    }
}

/// An HTTP error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP status, e.g. 401, 429, 500, 529.
    pub status: u16,
    /// `error.type` in the body; default derived from the status (`rate_limit_error`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// `error.message` in the body; default derived from the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Adds `retry-after: <secs>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Adds `x-should-retry: true|false` (`false` makes the CLI fail the turn at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_retry: Option<bool>,
    /// Any further response headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Serve this error this many times in a row (default 1).
    #[serde(default = "one")]
    pub repeat: u32,
    /// Delay before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// An error with the defaults for `status`.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            error_type: None,
            message: None,
            retry_after: None,
            should_retry: None,
            headers: BTreeMap::new(),
            repeat: 1,
            delay_ms: 0,
        }
    }

    /// `error.type`: explicit, else the Anthropic type for the status.
    pub fn effective_error_type(&self) -> String {
        if let Some(t) = &self.error_type {
            return t.clone();
        }
        match self.status {
            400 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            529 => "overloaded_error",
            _ => "api_error",
        }
        .into()
    }

    /// `error.message`: explicit, else a generic text for the status.
    pub fn effective_message(&self) -> String {
        if let Some(m) = &self.message {
            return m.clone();
        }
        match self.status {
            401 => "invalid x-api-key",
            429 => "Number of request tokens has exceeded your per-minute rate limit (mock)",
            529 => "Overloaded",
            500 => "Internal server error (mock)",
            _ => "mock error",
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip() {
        let script = Script::turns([
            Turn::rate_limited(1).repeat(2),
            Turn::tool_use("Write", json!({"file_path": "/x", "content": "y"})),
            Turn::text("done").with_usage(Usage {
                input_tokens: 3,
                ..Usage::default()
            }),
        ])
        .rule_text("weather", "Sunny.");
        let text = serde_json::to_string(&script).unwrap();
        assert_eq!(Script::from_json(&text).unwrap(), script);
    }

    #[test]
    fn parses_documented_example() {
        let script = Script::from_json(
            r#"{"turns":[{"type":"error","status":429,"retry_after":1},
                {"type":"reply","content":[{"type":"tool_use","name":"Write","input":{"a":1}}]},
                {"type":"reply","content":[{"type":"text","text":"Done."}],"usage":{"input_tokens":100,"output_tokens":7}}],
               "rules":[{"contains":"weather","reply":"Sunny."}]}"#,
        )
        .unwrap();
        assert_eq!(script.turns.len(), 3);
        assert_eq!(script.rules[0].steps(), vec![Turn::text("Sunny.")]);
        assert!(script.rules[0].matches("What's the WEATHER?"));
        let Turn::Reply(reply) = &script.turns[1] else {
            panic!("not a reply")
        };
        assert_eq!(reply.effective_stop_reason(), "tool_use");
    }
}
