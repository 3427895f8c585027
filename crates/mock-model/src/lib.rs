//! A scripted mock of the Anthropic Messages API, for running the real Claude Code CLI (and
//! anything else that speaks the API) in tests.
//!
//! - [`MockModel::start`] serves a [`Script`] on `127.0.0.1:<random port>` in the current tokio
//!   runtime (stopped on drop); point `ANTHROPIC_BASE_URL` at [`MockModel::base_url`]. [`serve`]
//!   does the same on a given listener until a shutdown future completes (the
//!   `anycode-mock-model` binary uses it).
//! - Endpoints: `POST …/v1/messages` (any path prefix, any query such as `?beta=true`) answered
//!   as SSE when the body says `"stream": true`, else as JSON; `POST …/v1/messages/count_tokens`;
//!   `GET /_mock/requests` (the log as JSON); anything else `200 {}`.
//! - A [`Script`] holds ordered [`Turn`]s (replies with text / `tool_use` / thinking blocks and
//!   usage, or faults: HTTP errors with `retry-after` / `x-should-retry`, and streams cut after N
//!   events), prompt-matching [`Rule`]s and a fallback (default: `Mock reply to: <prompt>`).
//!   Progress is kept per conversation (`X-Claude-Code-Session-Id`). Side requests — those
//!   without tools, like the CLI's title generation — never consume turns.
//! - Every request is recorded ([`RecordedRequest`]: path, full header values, parsed body,
//!   which turn answered) in a [`RequestLog`].
//! - [`cli`] finds or installs the pinned CLI and prepares its `HOME` and environment.

pub mod cli;
mod log;
mod script;
mod server;
pub mod sse;

pub use log::{redact, RecordedRequest, RequestKind, RequestLog, Served};
pub use script::{Block, Fault, Reply, Rule, Script, Turn, Usage, DEFAULT_SIDE_REPLY, ECHO_PREFIX};
pub use server::{serve, serve_mock, Mock, MockModel, DEFAULT_CONVERSATION, LOG_PATH};
