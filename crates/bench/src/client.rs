//! A client of a running `anycode serve`: the few REST calls the bench needs and one terminal
//! WebSocket that speaks the protocol of `docs/protocol.md` (binary output frames with offsets,
//! JSON control messages, acknowledgements).
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const FRAME_OUTPUT: u8 = 0;
const FRAME_SNAPSHOT: u8 = 1;
const HEADER: usize = 9;

/// REST access to one server.
pub struct Api {
    http: reqwest::Client,
    port: u16,
    token: String,
}

impl Api {
    pub fn new(port: u16, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            port,
            token: token.to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `POST /api/terminals` with `command`; returns the new terminal's id.
    pub async fn create_terminal(&self, command: &[&str]) -> anyhow::Result<String> {
        self.create("/api/terminals", json!({ "command": command }))
            .await
    }

    /// `POST path` with `body`, expecting `201` and an `id` in the answer; returns the id.
    pub async fn create(&self, path: &str, body: Value) -> anyhow::Result<String> {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = res.status();
        let body: Value = res
            .json()
            .await
            .with_context(|| format!("POST {path}: body"))?;
        if status.as_u16() != 201 {
            bail!("POST {path} answered {status}: {body}");
        }
        body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("POST {path}: no id in {body}"))
    }

    /// `POST path` with `body`; the status and the JSON answer, whatever the status.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = res.status().as_u16();
        let body = res
            .json()
            .await
            .with_context(|| format!("POST {path}: body"))?;
        Ok((status, body))
    }

    /// `GET path` as JSON, expecting success.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("GET {path}"))?;
        Ok(res.json().await?)
    }

    /// `endOffset` from `GET /api/terminals/{id}`.
    pub async fn end_offset(&self, id: &str) -> anyhow::Result<u64> {
        let body = self.get(&format!("/api/terminals/{id}")).await?;
        body["endOffset"]
            .as_u64()
            .ok_or_else(|| anyhow!("GET /api/terminals/{id}: no endOffset in {body}"))
    }

    pub async fn delete_terminal(&self, id: &str) -> anyhow::Result<()> {
        self.delete(&format!("/api/terminals/{id}")).await
    }

    /// `DELETE path`, expecting success.
    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        self.http
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("DELETE {path}"))?;
        Ok(())
    }

    /// Opens `/ws/terminals/{id}`, replaying from `from` (TCP_NODELAY on, as a browser does).
    pub async fn connect(&self, id: &str, from: u64) -> anyhow::Result<TermSocket> {
        let url = format!(
            "ws://127.0.0.1:{}/ws/terminals/{id}?token={}&from={from}",
            self.port, self.token
        );
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .context("WebSocket connect")?;
        Ok(TermSocket {
            ws,
            next: from,
            acked: from,
            snapshots: 0,
        })
    }
}

/// What the server sent, decoded.
pub enum Event {
    /// Terminal bytes `[offset, offset + data.len())`.
    Output { offset: u64, data: Bytes },
    /// A screen snapshot painted by `data`; output continues from `offset` (bytes before it were
    /// skipped).
    Snapshot { offset: u64, data: Bytes },
    /// The process ended after its last output byte.
    Exit,
    /// Any other JSON control message (`hello`, `status`, `resize`, `pong`).
    Control,
}

/// One terminal WebSocket. Tracks `next`, the offset after the last byte received.
pub struct TermSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next: u64,
    acked: u64,
    snapshots: u32,
}

impl TermSocket {
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    pub fn snapshots(&self) -> u32 {
        self.snapshots
    }

    async fn send_json(&mut self, v: Value) -> anyhow::Result<()> {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .context("WebSocket send")
    }

    /// Sends keystrokes as an `input` message.
    pub async fn input(&mut self, data: &str) -> anyhow::Result<()> {
        self.send_json(json!({"type": "input", "payload": {"data": data}}))
            .await
    }

    /// Acknowledges everything received so far, if anything is new.
    pub async fn ack(&mut self) -> anyhow::Result<()> {
        if self.next == self.acked {
            return Ok(());
        }
        self.acked = self.next;
        let offset = self.next;
        self.send_json(json!({"type": "ack", "payload": {"offset": offset}}))
            .await
    }

    /// The next event; output frames are checked to be contiguous.
    pub async fn next_event(&mut self) -> anyhow::Result<Event> {
        loop {
            let msg = self
                .ws
                .next()
                .await
                .ok_or_else(|| anyhow!("WebSocket closed by the server"))?
                .context("WebSocket receive")?;
            match msg {
                Message::Binary(frame) => return self.on_frame(frame),
                Message::Text(text) => {
                    let v: Value = serde_json::from_str(text.as_str())
                        .with_context(|| format!("bad JSON from the server: {text}"))?;
                    return Ok(match v["type"].as_str().unwrap_or_default() {
                        "exit" => Event::Exit,
                        "error" => bail!("server error: {}", v["payload"]),
                        _ => Event::Control,
                    });
                }
                Message::Close(c) => bail!("WebSocket closed by the server: {c:?}"),
                _ => {}
            }
        }
    }

    fn on_frame(&mut self, frame: Bytes) -> anyhow::Result<Event> {
        if frame.len() < HEADER {
            bail!(
                "binary frame of {} bytes is shorter than its header",
                frame.len()
            );
        }
        let mut be = [0u8; 8];
        be.copy_from_slice(&frame[1..HEADER]);
        let offset = u64::from_be_bytes(be);
        match frame[0] {
            FRAME_OUTPUT => {
                if offset != self.next {
                    bail!("output at offset {offset}, expected {}", self.next);
                }
                let data = frame.slice(HEADER..);
                self.next = offset + data.len() as u64;
                Ok(Event::Output { offset, data })
            }
            FRAME_SNAPSHOT => {
                self.snapshots += 1;
                self.next = offset;
                self.acked = offset;
                Ok(Event::Snapshot {
                    offset,
                    data: frame.slice(HEADER..),
                })
            }
            kind => bail!("unknown binary frame kind {kind}"),
        }
    }

    /// Reads output until `pred` holds for the bytes received since this call began (output and
    /// snapshot data alike).
    pub async fn read_until(
        &mut self,
        limit: Duration,
        pred: impl Fn(&[u8]) -> bool,
    ) -> anyhow::Result<Vec<u8>> {
        let mut seen = Vec::new();
        tokio::time::timeout(limit, async {
            while !pred(&seen) {
                match self.next_event().await? {
                    Event::Output { data, .. } => {
                        seen.extend_from_slice(&data);
                        self.ack().await?;
                    }
                    Event::Snapshot { data, .. } => seen.extend_from_slice(&data),
                    Event::Exit => bail!("the process exited"),
                    Event::Control => {}
                }
            }
            anyhow::Ok(())
        })
        .await
        .map_err(|_| {
            anyhow!(
                "no expected output within {limit:?}; got {:?}",
                String::from_utf8_lossy(&seen)
            )
        })??;
        Ok(seen)
    }

    /// Closes the WebSocket politely and waits for the server's close.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.ws.close(None).await.context("WebSocket close")?;
        let drain = async { while let Some(Ok(_)) = self.ws.next().await {} };
        let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
        Ok(())
    }
}
