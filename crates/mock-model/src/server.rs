//! The axum server: routing by path suffix (so any `ANTHROPIC_BASE_URL` prefix works), turn
//! selection per conversation, and rendering turns as SSE, JSON or HTTP errors.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::log::{self, RecordedRequest, RequestKind, RequestLog, Served};
use crate::script::{Block, Fault, Reply, Script, Turn, DEFAULT_SIDE_REPLY, ECHO_PREFIX};
use crate::sse;

/// Largest request body accepted (the CLI's requests with full tool lists are a few hundred KB;
/// long conversations grow).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Pause before dropping a cut stream, so the events before the cut reach the client.
const CUT_FLUSH_PAUSE: Duration = Duration::from_millis(50);

/// Path of the log endpoint (`GET`): the request log as JSON, for tests driving the binary.
pub const LOG_PATH: &str = "/_mock/requests";

/// Conversation key when a request has no `x-claude-code-session-id`.
pub const DEFAULT_CONVERSATION: &str = "default";

/// Where a conversation's current steps came from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Turns,
    Rule(usize),
}

/// Per-conversation progress.
#[derive(Debug)]
struct Conversation {
    source: Source,
    steps: Vec<Turn>,
    pos: usize,
    /// How many times `steps[pos]` has been served (for repeated errors).
    served_times: u32,
    /// Message count and prompt of the request that last activated a rule (its retries do not
    /// restart it).
    rule_at: Option<(usize, String)>,
}

#[derive(Debug)]
struct Inner {
    script: Script,
    conversations: HashMap<String, Conversation>,
}

/// The mock's shared state: script, per-conversation progress and the request log.
/// Cloning shares it; build a router with [`Mock::router`].
#[derive(Debug, Clone)]
pub struct Mock {
    inner: Arc<Mutex<Inner>>,
    log: RequestLog,
    ids: Arc<AtomicU64>,
}

impl Mock {
    pub fn new(script: Script) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                script,
                conversations: HashMap::new(),
            })),
            log: RequestLog::default(),
            ids: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The request log (shared).
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// Replaces the script and forgets all conversation progress (the log is kept).
    pub fn set_script(&self, script: Script) {
        let mut inner = self.lock();
        inner.script = script;
        inner.conversations.clear();
    }

    /// An axum router answering every path.
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Picks the answer to a `/v1/messages` request.
    fn choose(&self, conversation: &str, body: &Value, side: bool) -> (Turn, Served) {
        let mut inner = self.lock();
        let Inner {
            script,
            conversations,
        } = &mut *inner;
        if side {
            let text = script
                .side_reply
                .clone()
                .unwrap_or_else(|| DEFAULT_SIDE_REPLY.into());
            // Structured output (the CLI's title generation asks for `{"title": string}`).
            let format = &body["output_config"]["format"];
            let text = if format["type"] == "json_schema" {
                schema_instance(&format["schema"], &text).to_string()
            } else {
                text
            };
            return (Turn::text(text), Served::Side);
        }
        let conv = conversations
            .entry(conversation.to_string())
            .or_insert_with(|| Conversation {
                source: Source::Turns,
                steps: script.turns.clone(),
                pos: 0,
                served_times: 0,
                rule_at: None,
            });
        let messages = body["messages"].as_array().map_or(0, Vec::len);
        let prompt = log::prompt(body).unwrap_or_default();
        let fingerprint = (messages, prompt.clone());
        if log::is_fresh_prompt(body) && conv.rule_at.as_ref() != Some(&fingerprint) {
            if let Some((i, rule)) = script
                .rules
                .iter()
                .enumerate()
                .find(|(_, r)| r.matches(&prompt))
            {
                *conv = Conversation {
                    source: Source::Rule(i),
                    steps: rule.steps(),
                    pos: 0,
                    served_times: 0,
                    rule_at: Some(fingerprint),
                };
            } else if matches!(conv.source, Source::Rule(_)) {
                // A new prompt that matches no rule ends the previous rule's steps.
                conv.steps.clear();
                conv.pos = 0;
            }
        }
        if let Some(turn) = conv.steps.get(conv.pos).cloned() {
            let served = match conv.source {
                Source::Turns => Served::Turn { index: conv.pos },
                Source::Rule(rule) => Served::Rule {
                    rule,
                    step: conv.pos,
                },
            };
            conv.served_times += 1;
            if conv.served_times >= turn.times() {
                conv.pos += 1;
                conv.served_times = 0;
            }
            return (turn, served);
        }
        let turn = script
            .fallback
            .clone()
            .unwrap_or_else(|| Turn::text(format!("{ECHO_PREFIX}{prompt}")));
        (turn, Served::Fallback)
    }
}

/// A minimal JSON value valid for a (simple) JSON schema: strings are `text`, numbers 0,
/// booleans false, arrays empty, enums their first value, objects their required properties
/// (all properties when none are required).
fn schema_instance(schema: &Value, text: &str) -> Value {
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types.first().and_then(Value::as_str).unwrap_or("string"),
        Value::String(t) => t.as_str(),
        _ if schema["properties"].is_object() => "object",
        _ => "string",
    };
    match ty {
        "object" => {
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let required: Vec<String> = schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_else(|| props.keys().cloned().collect());
            let object = required
                .into_iter()
                .map(|name| {
                    let value = schema_instance(props.get(&name).unwrap_or(&Value::Null), text);
                    (name, value)
                })
                .collect();
            Value::Object(object)
        }
        "array" => json!([]),
        "number" | "integer" => json!(0),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => Value::String(text.into()),
    }
}

/// Serves `script` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    script: Script,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_mock(listener, Mock::new(script), shutdown).await
}

/// Serves an existing [`Mock`] (whose log the caller keeps) until `shutdown` completes.
pub async fn serve_mock(
    listener: TcpListener,
    mock: Mock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, mock.router())
        .with_graceful_shutdown(shutdown)
        .await
}

/// A mock server running on `127.0.0.1:<random port>` in the current tokio runtime; stops when
/// dropped.
#[derive(Debug)]
pub struct MockModel {
    addr: SocketAddr,
    mock: Mock,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl MockModel {
    /// Binds `127.0.0.1:0` and starts serving `script`. Panics if it cannot bind (test helper).
    pub async fn start(script: Script) -> Self {
        match Self::try_start(script).await {
            Ok(m) => m,
            Err(e) => panic!("mock model: cannot bind 127.0.0.1:0: {e}"),
        }
    }

    /// Like [`MockModel::start`], returning bind errors.
    pub async fn try_start(script: Script) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let mock = Mock::new(script);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn({
            let mock = mock.clone();
            async move {
                let shutdown = async {
                    let _ = rx.await;
                };
                if let Err(e) = serve_mock(listener, mock, shutdown).await {
                    tracing::warn!("mock model server ended: {e}");
                }
            }
        });
        Ok(Self {
            addr,
            mock,
            shutdown: Some(tx),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the value for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared request log.
    pub fn log(&self) -> &RequestLog {
        self.mock.log()
    }

    /// A snapshot of all requests so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.mock.log().all()
    }

    /// Replaces the script and resets conversation progress.
    pub fn set_script(&self, script: Script) {
        self.mock.set_script(script);
    }

    /// The underlying [`Mock`].
    pub fn mock(&self) -> &Mock {
        &self.mock
    }
}

impl Drop for MockModel {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Connections still streaming would keep graceful shutdown waiting; the test is over.
        self.task.abort();
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn handle(State(mock): State<Mock>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let conversation = parts
        .headers
        .get("x-claude-code-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(DEFAULT_CONVERSATION)
        .to_string();
    let post = parts.method == Method::POST;

    if parts.method == Method::GET && path == LOG_PATH {
        return axum::Json(mock.log().all()).into_response();
    }

    let (kind, turn, served) = if post && path.ends_with("/v1/messages/count_tokens") {
        (RequestKind::CountTokens, None, Served::Fixed)
    } else if post && path.ends_with("/v1/messages") {
        let side = {
            let no_tools = log::tool_names(&json).is_empty();
            no_tools && !mock.lock().script.toolless_is_main
        };
        let kind = if side {
            RequestKind::Side
        } else {
            RequestKind::Main
        };
        if json["messages"].is_array() {
            let (turn, served) = mock.choose(&conversation, &json, side);
            (kind, Some(turn), served)
        } else {
            (kind, None, Served::Fixed)
        }
    } else {
        (RequestKind::Other, None, Served::Fixed)
    };

    let recorded = mock.log().push(RecordedRequest {
        seq: 0,
        method: parts.method.to_string(),
        path: path.clone(),
        query,
        headers: header_pairs(&parts.headers),
        body: json.clone(),
        kind,
        conversation,
        served,
    });
    tracing::info!("{}", recorded.summary());

    let request_id = format!("req_mock_{}", mock.next_id());
    let mut response = match (kind, turn) {
        (RequestKind::CountTokens, _) => {
            let estimate = (bytes.len() / 4).max(1);
            axum::Json(json!({"input_tokens": estimate})).into_response()
        }
        (RequestKind::Main | RequestKind::Side, None) => error_response(&Fault {
            status: 400,
            message: Some("messages: field required (mock)".into()),
            ..Fault::new(400)
        }),
        (RequestKind::Main | RequestKind::Side, Some(Turn::Error(fault))) => {
            sleep_ms(fault.delay_ms).await;
            error_response(&fault)
        }
        (RequestKind::Main | RequestKind::Side, Some(Turn::Reply(reply))) => {
            let reply = with_ids(&mock, reply);
            sleep_ms(reply.delay_ms).await;
            let model = reply
                .model
                .clone()
                .or_else(|| json["model"].as_str().map(str::to_string))
                .unwrap_or_else(|| "claude-mock".into());
            let message_id = format!("msg_mock_{}", mock.next_id());
            if json["stream"].as_bool().unwrap_or(false) {
                stream_response(reply, &message_id, &model)
            } else if reply.cut_after_events.is_some() {
                cut_body_response()
            } else {
                axum::Json(sse::message_json(&reply, &message_id, &model)).into_response()
            }
        }
        (RequestKind::Other, _) => axum::Json(json!({})).into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", v);
    }
    response
}

async fn sleep_ms(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Fills in missing tool-use ids.
fn with_ids(mock: &Mock, mut reply: Reply) -> Reply {
    for block in &mut reply.content {
        if let Block::ToolUse { id: id @ None, .. } = block {
            *id = Some(format!("toolu_mock_{}", mock.next_id()));
        }
    }
    reply
}

fn error_response(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "type": "error",
        "error": {"type": fault.effective_error_type(), "message": fault.effective_message()},
    });
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    let mut set = |name: &str, value: String| {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::try_from(name),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(n, v);
        }
    };
    if let Some(secs) = fault.retry_after {
        set("retry-after", secs.to_string());
    }
    if let Some(retry) = fault.should_retry {
        set("x-should-retry", retry.to_string());
    }
    for (name, value) in &fault.headers {
        set(name, value.clone());
    }
    response
}

fn stream_response(reply: Reply, message_id: &str, model: &str) -> Response {
    let mut events = sse::reply_events(&reply, message_id, model);
    let cut = reply.cut_after_events;
    if let Some(n) = cut {
        events.truncate(n);
    }
    let delay = reply.event_delay_ms;
    let body = futures_util::stream::iter(events.into_iter().enumerate())
        .then(move |(i, event)| async move {
            if i > 0 {
                sleep_ms(delay).await;
            }
            Ok::<Bytes, std::io::Error>(event.encode())
        })
        .chain(futures_util::stream::iter(cut).then(|_| async {
            // Let hyper flush the events already produced before the connection drops.
            tokio::time::sleep(CUT_FLUSH_PAUSE).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "mock: stream cut",
            ))
        }));
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A 200 whose body errors at once: the connection drops before any byte of it.
fn cut_body_response() -> Response {
    let body = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "mock: body cut",
        ))
    });
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_instances() {
        let title = json!({"type": "object", "additionalProperties": false,
            "properties": {"title": {"type": "string"}}, "required": ["title"]});
        assert_eq!(schema_instance(&title, "T"), json!({"title": "T"}));
        let mixed = json!({"properties": {"n": {"type": "integer"}, "k": {"enum": ["a", "b"]},
            "l": {"type": "array"}, "b": {"type": ["boolean", "null"]}}});
        assert_eq!(
            schema_instance(&mixed, "T"),
            json!({"n": 0, "k": "a", "l": [], "b": false})
        );
    }
}
