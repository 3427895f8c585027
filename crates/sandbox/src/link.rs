//! The server's end of the agent protocol over one [`AgentStream`]: requests with replies,
//! terminal mirrors (a local `terminal::Session` per agent terminal, fed by the agent and kept at
//! the agent's offsets), and tunnels handed to a [`TunnelHandler`].
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_proto::{
    read_frame, write_frame, Frame, Message, ProtoError, TerminalEvent, TerminalInfo, TerminalOp,
    VERSION,
};
use bytes::Bytes;
use terminal::{Control, ExitStatus, ProcessState, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::AgentStream;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the sandbox agent is not connected")]
    Disconnected,
    #[error("the sandbox agent did not answer in time")]
    Timeout,
    #[error("agent protocol: {0}")]
    Protocol(String),
    #[error("{code}: {message}")]
    Agent { code: String, message: String },
}

impl From<ProtoError> for LinkError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::Closed => LinkError::Disconnected,
            other => LinkError::Protocol(other.to_string()),
        }
    }
}

/// A tunnel the agent opened (a process in the sandbox connected to a loopback proxy).
pub struct Tunnel {
    pub kind: String,
    /// Bytes from the sandbox.
    pub from_sandbox: mpsc::Receiver<Bytes>,
    /// Bytes to the sandbox; dropping it closes the tunnel.
    pub to_sandbox: mpsc::Sender<Bytes>,
}

/// Serves tunnels (egress proxy, model proxy) on the server side.
pub trait TunnelHandler: Send + Sync + 'static {
    fn handle(&self, sandbox: &str, tunnel: Tunnel);
    /// A Claude Code hook fired in the sandbox (relayed by the agent).
    fn hook(
        &self,
        _sandbox: &str,
        _terminal: Option<String>,
        _event: String,
        _payload: serde_json::Value,
    ) {
    }
}

/// A terminal mirror: the session viewers attach to, and its control queue (held by whichever
/// link currently forwards it, so it survives reconnects).
#[derive(Clone)]
pub struct Mirror {
    pub terminal: String,
    pub session: Session,
    control: Arc<tokio::sync::Mutex<mpsc::Receiver<Control>>>,
}

impl Mirror {
    pub fn new(terminal: String, driver: terminal::Driver) -> Self {
        Self {
            terminal,
            session: driver.session,
            control: Arc::new(tokio::sync::Mutex::new(driver.control)),
        }
    }
}

pub struct Welcome {
    pub agent_version: String,
    pub pid: u32,
    pub tunnel_ports: BTreeMap<String, u16>,
}

pub struct AgentLink {
    sandbox: String,
    out: mpsc::Sender<Frame>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Message>>>,
    next_id: AtomicU64,
    next_channel: AtomicU32,
    channels: Mutex<HashMap<u32, Session>>,
    tunnels: Mutex<HashMap<u32, mpsc::Sender<Bytes>>>,
    closed: CancellationToken,
    pub welcome: Welcome,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AgentLink {
    /// Says hello over `stream` and starts the reader and writer tasks.
    pub async fn connect(
        sandbox: &str,
        stream: AgentStream,
        tunnels: Arc<dyn TunnelHandler>,
    ) -> Result<Arc<Self>, LinkError> {
        let (mut r, mut w) = tokio::io::split(stream);
        write_frame(
            &mut w,
            &Frame::Control(Message::Hello {
                version: VERSION,
                agent_version: String::new(),
            }),
        )
        .await?;
        let welcome = match tokio::time::timeout(REQUEST_TIMEOUT, read_frame(&mut r))
            .await
            .map_err(|_| LinkError::Timeout)??
        {
            Frame::Control(Message::Welcome {
                version,
                agent_version,
                pid,
                tunnel_ports,
            }) if version == VERSION => Welcome {
                agent_version,
                pid,
                tunnel_ports,
            },
            Frame::Control(Message::Welcome { version, .. }) => {
                return Err(LinkError::Protocol(format!(
                    "agent speaks protocol {version}, server {VERSION}"
                )))
            }
            other => {
                return Err(LinkError::Protocol(format!(
                    "expected welcome, got {other:?}"
                )))
            }
        };
        let (out, out_rx) = mpsc::channel(256);
        let link = Arc::new(Self {
            sandbox: sandbox.to_string(),
            out,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            next_channel: AtomicU32::new(1),
            channels: Mutex::new(HashMap::new()),
            tunnels: Mutex::new(HashMap::new()),
            closed: CancellationToken::new(),
            welcome,
        });
        tokio::spawn(writer(w, out_rx, link.closed.clone()));
        tokio::spawn(reader(r, Arc::clone(&link), tunnels));
        Ok(link)
    }

    /// Fires when the connection ends; the owner reconnects.
    pub fn closed(&self) -> CancellationToken {
        self.closed.clone()
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    pub fn close(&self) {
        self.closed.cancel();
    }

    async fn request(&self, make: impl FnOnce(u64) -> Message) -> Result<Message, LinkError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        if self.out.send(Frame::Control(make(id))).await.is_err() {
            lock(&self.pending).remove(&id);
            return Err(LinkError::Disconnected);
        }
        let reply = tokio::select! {
            r = rx => r.map_err(|_| LinkError::Disconnected)?,
            _ = tokio::time::sleep(REQUEST_TIMEOUT) => {
                lock(&self.pending).remove(&id);
                return Err(LinkError::Timeout);
            }
        };
        match reply {
            Message::Error { code, message, .. } => Err(LinkError::Agent { code, message }),
            other => Ok(other),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_terminal(
        &self,
        terminal: &str,
        argv: Vec<String>,
        cwd: Option<String>,
        env: BTreeMap<String, String>,
        cols: u16,
        rows: u16,
        name: &str,
    ) -> Result<(), LinkError> {
        self.request(|id| Message::TerminalCreate {
            id,
            terminal: terminal.into(),
            argv,
            cwd,
            env,
            cols,
            rows,
            name: name.into(),
        })
        .await
        .map(|_| ())
    }

    pub async fn list_terminals(&self) -> Result<Vec<TerminalInfo>, LinkError> {
        match self.request(|id| Message::TerminalList { id }).await? {
            Message::Terminals { terminals, .. } => Ok(terminals),
            other => Err(LinkError::Protocol(format!("unexpected reply {other:?}"))),
        }
    }

    pub async fn terminal_op(&self, terminal: &str, op: TerminalOp) -> Result<(), LinkError> {
        self.request(|id| Message::TerminalControl {
            id,
            terminal: terminal.into(),
            op,
        })
        .await
        .map(|_| ())
    }

    pub async fn exec(
        &self,
        argv: Vec<String>,
        cwd: Option<String>,
        env: BTreeMap<String, String>,
        timeout: Duration,
        stdin: Option<String>,
    ) -> Result<Message, LinkError> {
        let timeout_ms = timeout.as_millis() as u64;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        if self
            .out
            .send(Frame::Control(Message::Exec {
                id,
                argv,
                cwd,
                env,
                timeout_ms,
                stdin,
            }))
            .await
            .is_err()
        {
            lock(&self.pending).remove(&id);
            return Err(LinkError::Disconnected);
        }
        // The agent enforces the command's timeout; allow it time to report.
        match tokio::time::timeout(timeout + REQUEST_TIMEOUT, rx).await {
            Ok(Ok(Message::Error { code, message, .. })) => Err(LinkError::Agent { code, message }),
            Ok(Ok(m)) => Ok(m),
            Ok(Err(_)) => Err(LinkError::Disconnected),
            Err(_) => {
                lock(&self.pending).remove(&id);
                Err(LinkError::Timeout)
            }
        }
    }

    /// Makes `mirror` follow the agent's terminal over this link: a fresh mirror is seeded with
    /// the agent's screen and its whole buffered history; a mirror that already has output
    /// resumes from its end. Control requests on the mirror are forwarded until the link ends.
    pub async fn attach(
        self: &Arc<Self>,
        mirror: &Mirror,
        state: Option<&agent_proto::TerminalState>,
    ) -> Result<(), LinkError> {
        let info = mirror.session.info();
        let mut caught_up_at = 0;
        let from = if info.end == 0 && info.start == 0 {
            match self
                .request(|id| Message::TerminalSnapshot {
                    id,
                    terminal: mirror.terminal.clone(),
                })
                .await?
            {
                Message::SnapshotReply {
                    start,
                    offset,
                    cols,
                    rows,
                    data,
                    ..
                } => {
                    mirror
                        .session
                        .seed(start, offset, cols, rows, data.as_bytes());
                    caught_up_at = offset;
                    Some(start)
                }
                other => return Err(LinkError::Protocol(format!("unexpected reply {other:?}"))),
            }
        } else {
            Some(info.end)
        };
        if let Some(agent_proto::TerminalState::Exited(e)) = state {
            mirror.session.push_exit(ExitStatus {
                code: e.code,
                signal: e.signal,
            });
        } else {
            mirror.session.set_state(ProcessState::Running);
        }
        let channel = self.next_channel.fetch_add(1, Ordering::Relaxed);
        lock(&self.channels).insert(channel, mirror.session.clone());
        if let Err(e) = self
            .request(|id| Message::TerminalSubscribe {
                id,
                terminal: mirror.terminal.clone(),
                channel,
                from,
            })
            .await
        {
            lock(&self.channels).remove(&channel);
            return Err(e);
        }
        tokio::spawn(forward_control(Arc::clone(self), mirror.clone(), channel));
        // Return once the history up to the snapshot is here, so replay "from N" works at once.
        let mut rx = mirror.session.subscribe();
        let wait = async {
            while mirror.session.info().end < caught_up_at && !self.is_closed() {
                if rx.changed().await.is_err() {
                    break;
                }
            }
        };
        tokio::time::timeout(REQUEST_TIMEOUT, wait)
            .await
            .map_err(|_| LinkError::Timeout)?;
        Ok(())
    }

    async fn send(&self, f: Frame) -> bool {
        self.out.send(f).await.is_ok()
    }
}

/// Viewer requests on a mirror → the agent, for as long as this link lives.
async fn forward_control(link: Arc<AgentLink>, mirror: Mirror, channel: u32) {
    let mut rx = mirror.control.lock().await;
    loop {
        let c = tokio::select! {
            _ = link.closed.cancelled() => break,
            c = rx.recv() => match c { Some(c) => c, None => break },
        };
        let op = match c {
            Control::Input(data) => {
                if !link.send(Frame::Input { channel, data }).await {
                    break;
                }
                continue;
            }
            Control::Resize { cols, rows } => TerminalOp::Resize { cols, rows },
            Control::Interrupt => TerminalOp::Interrupt,
            Control::Kill => TerminalOp::Kill,
            Control::Restart => TerminalOp::Restart,
            Control::Close => TerminalOp::Close,
        };
        let closing = op == TerminalOp::Close;
        if let Err(e) = link.terminal_op(&mirror.terminal, op).await {
            tracing::debug!(error = %e, terminal = %mirror.terminal, "terminal control failed");
        }
        if closing {
            mirror.session.close();
            break;
        }
    }
    lock(&link.channels).remove(&channel);
    let _ = link
        .send(Frame::Control(Message::TerminalUnsubscribe { channel }))
        .await;
}

async fn writer<W: AsyncWrite + Unpin>(
    mut w: W,
    mut rx: mpsc::Receiver<Frame>,
    closed: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = closed.cancelled() => break,
            f = rx.recv() => match f {
                Some(f) => if write_frame(&mut w, &f).await.is_err() { break },
                None => break,
            },
        }
    }
    closed.cancel();
}

async fn reader<R: AsyncRead + Unpin>(
    mut r: R,
    link: Arc<AgentLink>,
    tunnels: Arc<dyn TunnelHandler>,
) {
    let mut sizes: HashMap<u32, (u16, u16)> = HashMap::new();
    loop {
        let frame = tokio::select! {
            _ = link.closed.cancelled() => break,
            f = read_frame(&mut r) => match f {
                Ok(f) => f,
                Err(e) => {
                    if !matches!(e, ProtoError::Closed) {
                        tracing::warn!(sandbox = %link.sandbox, error = %e, "agent link failed");
                    }
                    break;
                }
            },
        };
        match frame {
            Frame::Output {
                channel,
                offset,
                data,
            } => {
                let session = lock(&link.channels).get(&channel).cloned();
                if let Some(s) = session {
                    if s.push_output_at(offset, data).await {
                        let end = s.info().end;
                        let _ = link.out.try_send(Frame::Control(Message::TerminalAck {
                            channel,
                            offset: end,
                        }));
                    } else {
                        tracing::warn!(channel, offset, "gap in agent output; resubscribing");
                        let _ = link
                            .out
                            .send(Frame::Control(Message::TerminalUnsubscribe { channel }))
                            .await;
                    }
                }
            }
            Frame::Snapshot {
                channel,
                offset,
                data,
            } => {
                let session = lock(&link.channels).get(&channel).cloned();
                if let Some(s) = session {
                    let (cols, rows) = sizes
                        .get(&channel)
                        .copied()
                        .unwrap_or((s.info().cols, s.info().rows));
                    s.seed(offset, offset, cols, rows, &data);
                    let _ = link
                        .out
                        .try_send(Frame::Control(Message::TerminalAck { channel, offset }));
                }
            }
            Frame::Control(Message::TerminalEvent { channel, event }) => {
                let session = lock(&link.channels).get(&channel).cloned();
                let Some(s) = session else { continue };
                match event {
                    TerminalEvent::Resize { cols, rows } => {
                        sizes.insert(channel, (cols, rows));
                        s.push_resize(cols, rows);
                    }
                    TerminalEvent::Started => s.set_running(),
                    TerminalEvent::Exit(e) => s.push_exit(ExitStatus {
                        code: e.code,
                        signal: e.signal,
                    }),
                    TerminalEvent::Closed => {
                        s.close();
                        lock(&link.channels).remove(&channel);
                    }
                }
            }
            Frame::Control(Message::TunnelOpen { tunnel, kind }) => {
                let (to_tx, mut to_rx) = mpsc::channel::<Bytes>(64);
                let (from_tx, from_rx) = mpsc::channel::<Bytes>(64);
                lock(&link.tunnels).insert(tunnel, from_tx);
                let out = link.out.clone();
                let closed = link.closed.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = closed.cancelled() => break,
                            d = to_rx.recv() => match d {
                                Some(data) => if out.send(Frame::Tunnel { tunnel, data }).await.is_err() { break },
                                None => break,
                            },
                        }
                    }
                    let _ = out
                        .send(Frame::Control(Message::TunnelClose { tunnel }))
                        .await;
                });
                tunnels.handle(
                    &link.sandbox,
                    Tunnel {
                        kind,
                        from_sandbox: from_rx,
                        to_sandbox: to_tx,
                    },
                );
            }
            Frame::Tunnel { tunnel, data } => {
                let tx = lock(&link.tunnels).get(&tunnel).cloned();
                if let Some(tx) = tx {
                    if tx.send(data).await.is_err() {
                        lock(&link.tunnels).remove(&tunnel);
                    }
                }
            }
            Frame::Control(Message::TunnelClose { tunnel }) => {
                lock(&link.tunnels).remove(&tunnel);
            }
            Frame::Control(Message::Hook {
                terminal,
                event,
                payload,
            }) => {
                tunnels.hook(&link.sandbox, terminal, event, payload);
            }
            Frame::Control(msg) => {
                if let Some(id) = msg.reply_id() {
                    if let Some(tx) = lock(&link.pending).remove(&id) {
                        let _ = tx.send(msg);
                    }
                }
            }
            other => tracing::debug!(?other, "unexpected frame from agent"),
        }
    }
    link.closed.cancel();
    lock(&link.pending).clear();
}
