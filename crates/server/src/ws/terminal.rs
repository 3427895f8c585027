//! `/ws/terminals/:id`: attaches a [`terminal::Viewer`] to a WebSocket. Input is read with
//! priority over output so Ctrl-C stays responsive during a flood; output is paced by the
//! client's acknowledgements.
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::{BufMut, Bytes, BytesMut};
use prometheus::IntCounter;
use serde::Deserialize;
use terminal::{Control, FlowConfig, Session, SessionError, Viewer, ViewerEvent};
use tokio_util::sync::CancellationToken;

use super::messages::*;
use crate::observability::Metrics;
use crate::AppState;
use orchestrator::terminals::check_size;
use orchestrator::TerminalHub;

const MAX_TEXT: usize = 64 * 1024;
const MAX_BINARY: usize = 1024 * 1024;
const PING_EVERY: Duration = Duration::from_secs(20);
const IDLE_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
pub struct ConnectQuery {
    from: Option<u64>,
    cols: Option<u32>,
    rows: Option<u32>,
}

pub async fn terminal_socket(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ConnectQuery>,
) -> Response {
    let session = id.parse().ok().and_then(|id| state.hub.session(id));
    ws.max_message_size(MAX_BINARY)
        .max_frame_size(MAX_BINARY)
        .on_upgrade(move |socket| async move {
            let metrics = Arc::clone(&state.metrics);
            let gauge = metrics
                .websocket_connections_active
                .with_label_values(&["terminal"]);
            gauge.inc();
            match session {
                Some(session) => {
                    let mut conn = Connection::new(
                        socket,
                        session,
                        &metrics,
                        state.flow,
                        state.shutdown.clone(),
                    );
                    // Interrupt keys can end a Claude turn without a hook: the agent-state
                    // machine watches input (never screen text).
                    let (fleet, tid) = (Arc::clone(&state.fleet), id.clone());
                    conn.on_input =
                        Some(Box::new(move |data: &[u8]| fleet.agent_input(&tid, data)));
                    state.fleet.agent_seen(&id);
                    conn.run(q, state.hub.clone(), id).await;
                }
                None => {
                    let mut socket = socket;
                    let _ = socket
                        .send(Message::Close(Some(CloseFrame {
                            code: 4404,
                            reason: Utf8Bytes::from_static("not_found"),
                        })))
                        .await;
                }
            }
            gauge.dec();
        })
}

/// Sees every keystroke sent to the terminal (for the agent-state machine).
type InputObserver = Box<dyn Fn(&[u8]) + Send>;

struct Counters {
    in_input: IntCounter,
    in_other: IntCounter,
    out_output: IntCounter,
    out_other: IntCounter,
}

struct Connection {
    socket: WebSocket,
    session: Session,
    flow: FlowConfig,
    shutdown: CancellationToken,
    counters: Counters,
    last_seen: Instant,
    warned_backpressure: bool,
    on_input: Option<InputObserver>,
}

enum Flow {
    Continue,
    Close(u16, &'static str),
}

impl Connection {
    fn new(
        socket: WebSocket,
        session: Session,
        m: &Metrics,
        flow: FlowConfig,
        shutdown: CancellationToken,
    ) -> Self {
        let c = |d: &str, t: &str| m.websocket_messages_total.with_label_values(&[d, t]);
        Self {
            socket,
            session,
            flow,
            shutdown,
            counters: Counters {
                in_input: c("in", "input"),
                in_other: c("in", "control"),
                out_output: c("out", "output"),
                out_other: c("out", "control"),
            },
            last_seen: Instant::now(),
            warned_backpressure: false,
            on_input: None,
        }
    }

    async fn send_json(&mut self, msg: TerminalServerMessage) -> bool {
        self.counters.out_other.inc();
        let text = serde_json::to_string(&msg).unwrap_or_default();
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    async fn send_frame(&mut self, kind: u8, offset: u64, data: &[u8]) -> bool {
        self.counters.out_output.inc();
        let mut buf = BytesMut::with_capacity(9 + data.len());
        buf.put_u8(kind);
        buf.put_u64(offset);
        buf.put_slice(data);
        self.socket
            .send(Message::Binary(buf.freeze()))
            .await
            .is_ok()
    }

    async fn close(&mut self, code: u16, reason: &'static str) {
        let _ = self
            .socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            })))
            .await;
    }

    async fn run(mut self, q: ConnectQuery, hub: Arc<TerminalHub>, id: String) {
        if !self
            .send_json(TerminalServerMessage::status(
                TerminalConnectionStatus::Connecting,
                None,
            ))
            .await
        {
            return;
        }
        if let (Some(cols), Some(rows)) = (q.cols, q.rows) {
            if let Err(e) = self.resize(&hub, &id, cols, rows).await {
                let _ = self.send_json(e).await;
            }
        }
        let mut viewer = Viewer::attach(self.session.clone(), q.from, self.flow);
        let info = viewer.info();
        let hello = TerminalServerMessage::Hello(HelloPayload {
            terminal_id: id.clone(),
            cols: info.cols,
            rows: info.rows,
            start_offset: info.start,
            end_offset: info.end,
            window: self.flow.window,
        });
        if !self.send_json(hello).await {
            return;
        }
        let ready = match info.state {
            terminal::ProcessState::Exited(_) => TerminalConnectionStatus::Disconnected,
            _ => TerminalConnectionStatus::Ready,
        };
        if !self
            .send_json(TerminalServerMessage::status(ready, None))
            .await
        {
            return;
        }
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                biased;
                msg = self.socket.recv() => {
                    let flow = match msg {
                        Some(Ok(m)) => self.on_message(m, &mut viewer, &hub, &id).await,
                        Some(Err(e)) => {
                            let text = e.to_string();
                            if text.contains("too long") || text.contains("Space limit") || text.contains("size") {
                                Flow::Close(1009, "message_too_large")
                            } else {
                                return;
                            }
                        }
                        None => return,
                    };
                    if let Flow::Close(code, reason) = flow {
                        self.close(code, reason).await;
                        return;
                    }
                }
                _ = self.shutdown.cancelled() => {
                    let _ = self.send_json(TerminalServerMessage::status(TerminalConnectionStatus::Disconnected, Some("server shutting down"))).await;
                    self.close(1001, "server shutting down").await;
                    return;
                }
                _ = ping.tick() => {
                    if self.last_seen.elapsed() > IDLE_LIMIT {
                        self.close(1001, "idle").await;
                        return;
                    }
                    if self.socket.send(Message::Ping(Bytes::new())).await.is_err() {
                        return;
                    }
                }
                ev = viewer.next() => {
                    if !self.on_event(ev).await {
                        return;
                    }
                }
            }
        }
    }

    /// Returns false when the connection should end.
    async fn on_event(&mut self, ev: ViewerEvent) -> bool {
        match ev {
            ViewerEvent::Output { offset, data } => {
                self.send_frame(FRAME_OUTPUT, offset, &data).await
            }
            ViewerEvent::Snapshot(s) => {
                if s.cols > 0 {
                    // Size first so the client paints the snapshot at the right size.
                    let _ = self
                        .send_json(TerminalServerMessage::Resize(ResizePayload {
                            cols: u32::from(s.cols),
                            rows: u32::from(s.rows),
                        }))
                        .await;
                }
                self.send_frame(FRAME_SNAPSHOT, s.offset, &s.data).await
            }
            ViewerEvent::Resize { cols, rows } => {
                self.send_json(TerminalServerMessage::Resize(ResizePayload {
                    cols: u32::from(cols),
                    rows: u32::from(rows),
                }))
                .await
            }
            ViewerEvent::Busy(true) => {
                self.send_json(TerminalServerMessage::status(
                    TerminalConnectionStatus::Busy,
                    Some("output is faster than this client"),
                ))
                .await
            }
            ViewerEvent::Busy(false) | ViewerEvent::Started => {
                self.send_json(TerminalServerMessage::status(
                    TerminalConnectionStatus::Ready,
                    None,
                ))
                .await
            }
            ViewerEvent::Exit(s) => {
                self.send_json(TerminalServerMessage::Exit(ExitPayload {
                    code: s.code,
                    signal: s.signal,
                }))
                .await
                    && self
                        .send_json(TerminalServerMessage::status(
                            TerminalConnectionStatus::Disconnected,
                            Some("process exited"),
                        ))
                        .await
            }
            ViewerEvent::Closed => {
                let _ = self
                    .send_json(TerminalServerMessage::status(
                        TerminalConnectionStatus::Disconnected,
                        Some("terminal closed"),
                    ))
                    .await;
                self.close(1000, "terminal closed").await;
                false
            }
        }
    }

    async fn on_message(
        &mut self,
        msg: Message,
        viewer: &mut Viewer,
        hub: &Arc<TerminalHub>,
        id: &str,
    ) -> Flow {
        self.last_seen = Instant::now();
        match msg {
            Message::Binary(data) => {
                self.counters.in_input.inc();
                self.input(data).await;
                Flow::Continue
            }
            Message::Text(text) => {
                if text.len() > MAX_TEXT {
                    let _ = self
                        .send_json(TerminalServerMessage::error(
                            "message_too_large",
                            format!("text messages are limited to {MAX_TEXT} bytes"),
                        ))
                        .await;
                    return Flow::Close(1009, "message_too_large");
                }
                let env: Envelope = match serde_json::from_str(text.as_str()) {
                    Ok(e) => e,
                    Err(e) => {
                        self.counters.in_other.inc();
                        let _ = self
                            .send_json(TerminalServerMessage::error(
                                "invalid_message",
                                format!("not a {{\"type\",\"payload\"}} JSON message: {e}"),
                            ))
                            .await;
                        return Flow::Continue;
                    }
                };
                if env.kind == "input" {
                    self.counters.in_input.inc();
                } else {
                    self.counters.in_other.inc();
                }
                if let Err(err) = self.dispatch(env, viewer, hub, id).await {
                    let _ = self.send_json(err).await;
                }
                Flow::Continue
            }
            Message::Ping(_) | Message::Pong(_) => Flow::Continue,
            Message::Close(_) => Flow::Close(1000, "bye"),
        }
    }

    async fn dispatch(
        &mut self,
        env: Envelope,
        viewer: &mut Viewer,
        hub: &Arc<TerminalHub>,
        id: &str,
    ) -> Result<(), TerminalServerMessage> {
        fn payload<T: serde::de::DeserializeOwned>(
            kind: &str,
            v: serde_json::Value,
        ) -> Result<T, TerminalServerMessage> {
            let v = if v.is_null() {
                serde_json::json!({})
            } else {
                v
            };
            serde_json::from_value(v).map_err(|e| {
                TerminalServerMessage::error(
                    "invalid_message",
                    format!("bad `{kind}` payload: {e}"),
                )
            })
        }
        match env.kind.as_str() {
            "input" => {
                let p: InputPayload = payload("input", env.payload)?;
                self.input(Bytes::from(p.data)).await;
            }
            "ack" => {
                let p: AckPayload = payload("ack", env.payload)?;
                viewer.ack(p.offset);
            }
            "resize" => {
                let p: ResizePayload = payload("resize", env.payload)?;
                self.resize(hub, id, p.cols, p.rows).await?;
            }
            "ping" => {
                let p: PingPayload = payload("ping", env.payload)?;
                if !self.send_json(TerminalServerMessage::Pong(p)).await {
                    return Ok(());
                }
            }
            "command" => {
                let p: CommandPayload = payload("command", env.payload)?;
                let c = match p.command {
                    TerminalCommand::Interrupt => Control::Interrupt,
                    TerminalCommand::Kill => Control::Kill,
                    TerminalCommand::Restart => Control::Restart,
                };
                self.session.control(c).await.map_err(|_| {
                    TerminalServerMessage::error("terminal_exited", "the terminal has ended")
                })?;
            }
            other => {
                return Err(TerminalServerMessage::error(
                    "invalid_message",
                    format!(
                    "unknown message type `{other}`; expected input, resize, ping, command or ack"
                ),
                ))
            }
        }
        Ok(())
    }

    async fn input(&mut self, data: Bytes) {
        if let Some(f) = &self.on_input {
            f(&data);
        }
        match self.session.try_input(data) {
            Ok(()) => self.warned_backpressure = false,
            Err(SessionError::Backpressure) if !self.warned_backpressure => {
                self.warned_backpressure = true;
                let _ = self
                    .send_json(TerminalServerMessage::error(
                        "input_dropped",
                        "the process is not reading its input; keystrokes were dropped",
                    ))
                    .await;
            }
            Err(SessionError::Closed) => {
                let _ = self
                    .send_json(TerminalServerMessage::error(
                        "terminal_exited",
                        "the terminal has ended",
                    ))
                    .await;
            }
            Err(_) => {}
        }
    }

    async fn resize(
        &mut self,
        hub: &Arc<TerminalHub>,
        id: &str,
        cols: u32,
        rows: u32,
    ) -> Result<(), TerminalServerMessage> {
        let (c, r) = check_size(cols, rows)
            .map_err(|e| TerminalServerMessage::error("invalid_size", e.to_string()))?;
        self.session
            .control(Control::Resize { cols: c, rows: r })
            .await
            .map_err(|_| {
                TerminalServerMessage::error("terminal_exited", "the terminal has ended")
            })?;
        if let Ok(tid) = id.parse() {
            if let Err(e) = hub.store().set_terminal_size(tid, c, r).await {
                tracing::warn!(error = %e, "could not store terminal size");
            }
        }
        Ok(())
    }
}
