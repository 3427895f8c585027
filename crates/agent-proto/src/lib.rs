//! The agent protocol: one byte stream (a `docker exec` stdio pair, a Unix socket, …) carries
//! many channels. Transport-independent: anything `AsyncRead + AsyncWrite` works.
//!
//! Frame: `u32 length (big-endian, of what follows) · u8 kind · body`.
//!
//! | kind | body | direction |
//! |---|---|---|
//! | 1 `Control` | JSON [`Message`] | both |
//! | 2 `Output` | `u32 channel · u64 offset · bytes` | agent → server |
//! | 3 `Snapshot` | `u32 channel · u64 offset · bytes` | agent → server |
//! | 4 `Input` | `u32 channel · bytes` (channel = terminal subscription) | server → agent |
//! | 5 `Tunnel` | `u32 tunnel · bytes` | both |
//!
//! The first frame each way is `Hello` with [`VERSION`]; a peer refuses a different major version.
use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub const VERSION: u32 = 1;
/// Largest frame body accepted.
pub const MAX_FRAME: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Control(Message),
    Output {
        channel: u32,
        offset: u64,
        data: Bytes,
    },
    Snapshot {
        channel: u32,
        offset: u64,
        data: Bytes,
    },
    Input {
        channel: u32,
        data: Bytes,
    },
    Tunnel {
        tunnel: u32,
        data: Bytes,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    #[error("connection closed")]
    Closed,
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame of {0} bytes exceeds the limit")]
    TooLarge(usize),
    #[error("malformed frame: {0}")]
    Malformed(String),
}

/// A process's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalState {
    Running,
    Exited(Exit),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminalInfo {
    pub terminal: String,
    pub cols: u16,
    pub rows: u16,
    pub start: u64,
    pub end: u64,
    pub state: TerminalState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum TerminalOp {
    Resize { cols: u16, rows: u16 },
    Interrupt,
    Kill,
    Restart,
    Close,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum TerminalEvent {
    Resize { cols: u16, rows: u16 },
    Started,
    Exit(Exit),
    Closed,
}

/// Control messages. Requests carry an `id`; the answer is `Ok`/`Error`/a typed reply with the
/// same `id`. Events have no id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Message {
    Hello {
        version: u32,
        agent_version: String,
    },
    /// Agent's answer to the server's hello: where its loopback proxies listen.
    Welcome {
        version: u32,
        agent_version: String,
        pid: u32,
        tunnel_ports: BTreeMap<String, u16>,
    },

    TerminalCreate {
        id: u64,
        terminal: String,
        argv: Vec<String>,
        cwd: Option<String>,
        env: BTreeMap<String, String>,
        cols: u16,
        rows: u16,
        name: String,
    },
    TerminalList {
        id: u64,
    },
    Terminals {
        id: u64,
        terminals: Vec<TerminalInfo>,
    },
    /// The current screen of a terminal, plus its buffer bounds.
    TerminalSnapshot {
        id: u64,
        terminal: String,
    },
    SnapshotReply {
        id: u64,
        start: u64,
        offset: u64,
        cols: u16,
        rows: u16,
        data: String,
    },
    /// Stream output of `terminal` on `channel` from `from` (or a snapshot when absent/too old).
    TerminalSubscribe {
        id: u64,
        terminal: String,
        channel: u32,
        from: Option<u64>,
    },
    TerminalUnsubscribe {
        channel: u32,
    },
    TerminalAck {
        channel: u32,
        offset: u64,
    },
    TerminalControl {
        id: u64,
        terminal: String,
        op: TerminalOp,
    },
    TerminalEvent {
        channel: u32,
        event: TerminalEvent,
    },

    Exec {
        id: u64,
        argv: Vec<String>,
        cwd: Option<String>,
        env: BTreeMap<String, String>,
        timeout_ms: u64,
        stdin: Option<String>,
    },
    ExecResult {
        id: u64,
        exit_code: Option<i32>,
        signal: Option<i32>,
        stdout: String,
        stderr: String,
        timed_out: bool,
        truncated: bool,
    },

    /// A Claude Code hook fired inside the sandbox (from `anycode-agent hook`, relayed by the
    /// daemon to the server). `terminal` is the AnyCode terminal the CLI runs in, if any.
    Hook {
        terminal: Option<String>,
        event: String,
        payload: serde_json::Value,
    },

    /// The agent accepted a connection on its loopback proxy `kind` (e.g. `egress`).
    TunnelOpen {
        tunnel: u32,
        kind: String,
    },
    TunnelClose {
        tunnel: u32,
    },

    Ok {
        id: u64,
    },
    Error {
        id: u64,
        code: String,
        message: String,
    },
}

impl Message {
    /// The request id of a reply, if this is one.
    pub fn reply_id(&self) -> Option<u64> {
        match self {
            Message::Terminals { id, .. }
            | Message::SnapshotReply { id, .. }
            | Message::ExecResult { id, .. }
            | Message::Ok { id }
            | Message::Error { id, .. } => Some(*id),
            _ => None,
        }
    }
}

const K_CONTROL: u8 = 1;
const K_OUTPUT: u8 = 2;
const K_SNAPSHOT: u8 = 3;
const K_INPUT: u8 = 4;
const K_TUNNEL: u8 = 5;

impl Frame {
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::new();
        b.put_u32(0);
        match self {
            Frame::Control(m) => {
                b.put_u8(K_CONTROL);
                b.extend_from_slice(&serde_json::to_vec(m).unwrap_or_default());
            }
            Frame::Output {
                channel,
                offset,
                data,
            }
            | Frame::Snapshot {
                channel,
                offset,
                data,
            } => {
                b.put_u8(if matches!(self, Frame::Output { .. }) {
                    K_OUTPUT
                } else {
                    K_SNAPSHOT
                });
                b.put_u32(*channel);
                b.put_u64(*offset);
                b.extend_from_slice(data);
            }
            Frame::Input { channel: id, data } | Frame::Tunnel { tunnel: id, data } => {
                b.put_u8(if matches!(self, Frame::Input { .. }) {
                    K_INPUT
                } else {
                    K_TUNNEL
                });
                b.put_u32(*id);
                b.extend_from_slice(data);
            }
        }
        let len = (b.len() - 4) as u32;
        b[..4].copy_from_slice(&len.to_be_bytes());
        b.freeze()
    }

    pub fn decode(mut body: Bytes) -> Result<Frame, ProtoError> {
        if body.is_empty() {
            return Err(ProtoError::Malformed("empty frame".into()));
        }
        let kind = body.get_u8();
        let need = |b: &Bytes, n: usize| {
            if b.len() < n {
                Err(ProtoError::Malformed(format!(
                    "kind {kind}: {} bytes, need {n}",
                    b.len()
                )))
            } else {
                Ok(())
            }
        };
        Ok(match kind {
            K_CONTROL => Frame::Control(
                serde_json::from_slice(&body).map_err(|e| ProtoError::Malformed(e.to_string()))?,
            ),
            K_OUTPUT | K_SNAPSHOT => {
                need(&body, 12)?;
                let channel = body.get_u32();
                let offset = body.get_u64();
                if kind == K_OUTPUT {
                    Frame::Output {
                        channel,
                        offset,
                        data: body,
                    }
                } else {
                    Frame::Snapshot {
                        channel,
                        offset,
                        data: body,
                    }
                }
            }
            K_INPUT | K_TUNNEL => {
                need(&body, 4)?;
                let id = body.get_u32();
                if kind == K_INPUT {
                    Frame::Input {
                        channel: id,
                        data: body,
                    }
                } else {
                    Frame::Tunnel {
                        tunnel: id,
                        data: body,
                    }
                }
            }
            other => return Err(ProtoError::Malformed(format!("unknown frame kind {other}"))),
        })
    }
}

/// Reads one frame; `Closed` at a clean end of stream.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Result<Frame, ProtoError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(ProtoError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME + 64 {
        return Err(ProtoError::TooLarge(len));
    }
    let mut body = BytesMut::zeroed(len);
    r.read_exact(&mut body).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ProtoError::Closed
        } else {
            e.into()
        }
    })?;
    Frame::decode(body.freeze())
}

pub async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, f: &Frame) -> Result<(), ProtoError> {
    w.write_all(&f.encode()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_over_a_stream() {
        let frames = vec![
            Frame::Control(Message::Hello {
                version: VERSION,
                agent_version: "x".into(),
            }),
            Frame::Control(Message::TerminalControl {
                id: 7,
                terminal: "t".into(),
                op: TerminalOp::Resize { cols: 3, rows: 4 },
            }),
            Frame::Output {
                channel: 9,
                offset: 1 << 40,
                data: Bytes::from_static(b"hello"),
            },
            Frame::Snapshot {
                channel: 1,
                offset: 0,
                data: Bytes::new(),
            },
            Frame::Input {
                channel: 2,
                data: Bytes::from_static(b"\x03"),
            },
            Frame::Tunnel {
                tunnel: 5,
                data: Bytes::from(vec![0u8; 70_000]),
            },
        ];
        let (mut a, mut b) = tokio::io::duplex(1024);
        let sent = frames.clone();
        let writer = tokio::spawn(async move {
            for f in &sent {
                write_frame(&mut a, f).await.unwrap();
            }
        });
        for f in &frames {
            assert_eq!(&read_frame(&mut b).await.unwrap(), f);
        }
        writer.await.unwrap();
        assert!(matches!(read_frame(&mut b).await, Err(ProtoError::Closed)));
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        for body in [
            &b""[..],
            b"\x09",
            b"\x02\x00\x00",
            b"\x01{not json",
            b"\x04\x00",
        ] {
            assert!(
                Frame::decode(Bytes::copy_from_slice(body)).is_err(),
                "{body:?}"
            );
        }
    }

    #[tokio::test]
    async fn oversized_length_is_refused() {
        let (mut a, mut b) = tokio::io::duplex(64);
        a.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        assert!(matches!(
            read_frame(&mut b).await,
            Err(ProtoError::TooLarge(_))
        ));
    }
}
