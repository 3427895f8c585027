//! One server connection: the hello exchange, then requests (terminals, exec), terminal
//! subscriptions (each a `terminal::Viewer` streaming into the connection), input, and tunnels.
//! All outgoing frames go through one bounded queue to one writer task.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agent_proto::{
    read_frame, write_frame, Exit, Frame, Message, ProtoError, TerminalEvent, TerminalOp, VERSION,
};
use bytes::Bytes;
use terminal::{Control, FlowConfig, Viewer, ViewerEvent};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::terminals::{Create, Terminals};
use crate::tunnel::{Accepted, Tunnels};

const FLOW: FlowConfig = FlowConfig {
    window: 2 * 1024 * 1024,
    lag_limit: 3 * 1024 * 1024,
    max_frame: 256 * 1024,
};

struct Sub {
    terminal: String,
    acks: mpsc::Sender<u64>,
    stop: CancellationToken,
}

pub async fn serve<R, W>(
    first: Frame,
    mut r: R,
    mut w: W,
    terminals: Arc<Terminals>,
    tunnels: Tunnels,
    hooks: crate::daemon::HookQueue,
    stop: CancellationToken,
) -> Result<(), ProtoError>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    // Hello first, both ways.
    match first {
        Frame::Control(Message::Hello { version, .. }) if version == VERSION => {}
        Frame::Control(Message::Hello { version, .. }) => {
            return Err(ProtoError::Malformed(format!(
                "server speaks protocol {version}, agent {VERSION}"
            )));
        }
        other => {
            return Err(ProtoError::Malformed(format!(
                "expected hello, got {other:?}"
            )))
        }
    }
    write_frame(
        &mut w,
        &Frame::Control(Message::Welcome {
            version: VERSION,
            agent_version: env!("CARGO_PKG_VERSION").into(),
            pid: std::process::id(),
            tunnel_ports: tunnels.ports().clone(),
        }),
    )
    .await?;

    let (out_tx, mut out_rx) = mpsc::channel::<Frame>(256);
    let writer_stop = stop.clone();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = writer_stop.cancelled() => break,
                f = out_rx.recv() => match f {
                    Some(f) => if write_frame(&mut w, &f).await.is_err() { break },
                    None => break,
                },
            }
        }
        let _ = w.shutdown().await;
    });

    let (accept_tx, mut accept_rx) = mpsc::channel::<Accepted>(32);
    tunnels.route_to(accept_tx);
    let mut tunnel_writers: HashMap<u32, mpsc::Sender<Bytes>> = HashMap::new();
    let mut next_tunnel: u32 = 1;
    let mut subs: HashMap<u32, Sub> = HashMap::new();

    let result = loop {
        tokio::select! {
            _ = stop.cancelled() => break Ok(()),
            hook = hooks.pop() => {
                if out_tx.send(Frame::Control(hook)).await.is_err() {
                    break Ok(());
                }
            }
            accepted = accept_rx.recv() => {
                let Some(a) = accepted else { continue };
                let id = next_tunnel;
                next_tunnel = next_tunnel.wrapping_add(1).max(1);
                let (tx, rx) = mpsc::channel::<Bytes>(64);
                tunnel_writers.insert(id, tx);
                if out_tx.send(Frame::Control(Message::TunnelOpen { tunnel: id, kind: a.kind.into() })).await.is_err() {
                    break Ok(());
                }
                tokio::spawn(pump_tunnel(id, a.stream, rx, out_tx.clone(), stop.clone()));
            }
            frame = read_frame(&mut r) => {
                let frame = match frame {
                    Ok(f) => f,
                    Err(ProtoError::Closed) => break Ok(()),
                    Err(e) => break Err(e),
                };
                match frame {
                    Frame::Input { channel, data } => {
                        if let Some(s) = subs.get(&channel).and_then(|s| terminals.get(&s.terminal)) {
                            if s.try_input(data).is_err() {
                                tracing::debug!(channel, "input dropped");
                            }
                        }
                    }
                    Frame::Tunnel { tunnel, data } => {
                        if let Some(tx) = tunnel_writers.get(&tunnel) {
                            if tx.send(data).await.is_err() {
                                tunnel_writers.remove(&tunnel);
                            }
                        }
                    }
                    Frame::Control(Message::TunnelClose { tunnel }) => {
                        tunnel_writers.remove(&tunnel);
                    }
                    Frame::Control(Message::TerminalAck { channel, offset }) => {
                        if let Some(s) = subs.get(&channel) {
                            let _ = s.acks.try_send(offset);
                        }
                    }
                    Frame::Control(Message::TerminalUnsubscribe { channel }) => {
                        if let Some(s) = subs.remove(&channel) {
                            s.stop.cancel();
                        }
                    }
                    Frame::Control(Message::TerminalSubscribe { id, terminal, channel, from }) => {
                        let reply = match terminals.get(&terminal) {
                            Some(session) => {
                                let (acks, ack_rx) = mpsc::channel(64);
                                let sub_stop = stop.child_token();
                                if let Some(old) = subs.insert(channel, Sub { terminal: terminal.clone(), acks, stop: sub_stop.clone() }) {
                                    old.stop.cancel();
                                }
                                let viewer = Viewer::attach(session, from, FLOW);
                                tokio::spawn(stream_terminal(channel, viewer, ack_rx, out_tx.clone(), sub_stop));
                                Message::Ok { id }
                            }
                            None => not_found(id, &terminal),
                        };
                        let _ = out_tx.send(Frame::Control(reply)).await;
                    }
                    Frame::Control(msg) => {
                        let terminals = Arc::clone(&terminals);
                        let out = out_tx.clone();
                        // Requests run on their own task so a slow exec never blocks input.
                        tokio::spawn(async move {
                            if let Some(reply) = handle(msg, &terminals).await {
                                let _ = out.send(Frame::Control(reply)).await;
                            }
                        });
                    }
                    other => tracing::debug!(?other, "unexpected frame from server"),
                }
            }
        }
    };
    for (_, s) in subs {
        s.stop.cancel();
    }
    drop(out_tx);
    let _ = writer.await;
    result
}

fn not_found(id: u64, terminal: &str) -> Message {
    Message::Error {
        id,
        code: "not_found".into(),
        message: format!("terminal {terminal} does not exist"),
    }
}

async fn handle(msg: Message, terminals: &Terminals) -> Option<Message> {
    Some(match msg {
        Message::TerminalCreate {
            id,
            terminal,
            argv,
            cwd,
            env,
            cols,
            rows,
            name,
        } => {
            match terminals.create(Create {
                terminal,
                argv,
                cwd,
                env,
                cols,
                rows,
                name,
            }) {
                Ok(()) => Message::Ok { id },
                Err(e) => Message::Error {
                    id,
                    code: "spawn_failed".into(),
                    message: e,
                },
            }
        }
        Message::TerminalList { id } => Message::Terminals {
            id,
            terminals: terminals.list(),
        },
        Message::TerminalSnapshot { id, terminal } => match terminals.get(&terminal) {
            Some(s) => {
                let snap = s.snapshot();
                let start = s.info().start;
                Message::SnapshotReply {
                    id,
                    start: start.min(snap.offset),
                    offset: snap.offset,
                    cols: snap.cols,
                    rows: snap.rows,
                    data: String::from_utf8_lossy(&snap.data).into_owned(),
                }
            }
            None => not_found(id, &terminal),
        },
        Message::TerminalControl { id, terminal, op } => {
            let session = match op {
                TerminalOp::Close => terminals.remove(&terminal),
                _ => terminals.get(&terminal),
            };
            let Some(s) = session else {
                return Some(not_found(id, &terminal));
            };
            let c = match op {
                TerminalOp::Resize { cols, rows } => Control::Resize { cols, rows },
                TerminalOp::Interrupt => Control::Interrupt,
                TerminalOp::Kill => Control::Kill,
                TerminalOp::Restart => Control::Restart,
                TerminalOp::Close => Control::Close,
            };
            match s.control(c).await {
                Ok(()) => Message::Ok { id },
                Err(e) => Message::Error {
                    id,
                    code: "terminal_exited".into(),
                    message: e.to_string(),
                },
            }
        }
        Message::Exec {
            id,
            argv,
            cwd,
            env,
            timeout_ms,
            stdin,
        } => {
            let timeout = Duration::from_millis(timeout_ms.clamp(1, 24 * 3600 * 1000));
            match crate::exec::run(argv, cwd, env, timeout, stdin).await {
                Ok(o) => Message::ExecResult {
                    id,
                    exit_code: o.exit_code,
                    signal: o.signal,
                    stdout: o.stdout,
                    stderr: o.stderr,
                    timed_out: o.timed_out,
                    truncated: o.truncated,
                },
                Err(e) => Message::Error {
                    id,
                    code: "spawn_failed".into(),
                    message: e,
                },
            }
        }
        Message::Hello { .. } => return None,
        other => {
            let id = other.reply_id().unwrap_or(0);
            Message::Error {
                id,
                code: "unsupported".into(),
                message: format!("unexpected message {other:?}"),
            }
        }
    })
}

async fn stream_terminal(
    channel: u32,
    mut viewer: Viewer,
    mut acks: mpsc::Receiver<u64>,
    out: mpsc::Sender<Frame>,
    stop: CancellationToken,
) {
    loop {
        let ev = tokio::select! {
            _ = stop.cancelled() => return,
            Some(offset) = acks.recv() => { viewer.ack(offset); continue; }
            ev = viewer.next() => ev,
        };
        let frame = match ev {
            ViewerEvent::Output { offset, data } => Frame::Output {
                channel,
                offset,
                data,
            },
            ViewerEvent::Snapshot(s) => {
                let resize = Frame::Control(Message::TerminalEvent {
                    channel,
                    event: TerminalEvent::Resize {
                        cols: s.cols,
                        rows: s.rows,
                    },
                });
                if out.send(resize).await.is_err() {
                    return;
                }
                Frame::Snapshot {
                    channel,
                    offset: s.offset,
                    data: Bytes::from(s.data),
                }
            }
            ViewerEvent::Resize { cols, rows } => Frame::Control(Message::TerminalEvent {
                channel,
                event: TerminalEvent::Resize { cols, rows },
            }),
            ViewerEvent::Started => Frame::Control(Message::TerminalEvent {
                channel,
                event: TerminalEvent::Started,
            }),
            ViewerEvent::Exit(e) => Frame::Control(Message::TerminalEvent {
                channel,
                event: TerminalEvent::Exit(Exit {
                    code: e.code,
                    signal: e.signal,
                }),
            }),
            ViewerEvent::Closed => {
                let _ = out
                    .send(Frame::Control(Message::TerminalEvent {
                        channel,
                        event: TerminalEvent::Closed,
                    }))
                    .await;
                return;
            }
            ViewerEvent::Busy(_) => continue,
        };
        if out.send(frame).await.is_err() {
            return;
        }
    }
}

async fn pump_tunnel(
    id: u32,
    stream: tokio::net::TcpStream,
    mut from_server: mpsc::Receiver<Bytes>,
    out: mpsc::Sender<Frame>,
    stop: CancellationToken,
) {
    let (mut r, mut w) = stream.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if out
                        .send(Frame::Tunnel {
                            tunnel: id,
                            data: Bytes::copy_from_slice(&buf[..n]),
                        })
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    };
    let down = async {
        while let Some(data) = from_server.recv().await {
            if w.write_all(&data).await.is_err() {
                break;
            }
        }
        let _ = w.shutdown().await;
    };
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = async { tokio::join!(up, down) } => {}
    }
    let _ = out
        .send(Frame::Control(Message::TunnelClose { tunnel: id }))
        .await;
}
