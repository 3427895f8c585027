//! Output throughput: `head -c NM /dev/urandom | base64` streamed to one WebSocket client that
//! acknowledges every frame at once, against the same command read straight from a PTY with
//! the `pty` crate (the physical limit of this machine). Runs alternate so both see the same load.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

use crate::client::{Api, Event};
use crate::server::Server;

const RUN_LIMIT: Duration = Duration::from_secs(600);

/// One WebSocket run.
pub struct WsRun {
    /// Terminal bytes received in output frames.
    pub bytes: u64,
    pub secs: f64,
    /// `endOffset` from the REST API after the exit.
    pub end_offset: u64,
    /// Offset reached by the client (skips by snapshots included).
    pub client_offset: u64,
    pub snapshots: u32,
    pub frames: u64,
    /// CPU seconds the server used during the run.
    pub server_cpu_secs: f64,
}

impl WsRun {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.secs
    }

    pub fn lost(&self) -> u64 {
        self.end_offset.saturating_sub(self.bytes)
    }

    /// Server CPU use during the run, in cores (1.0 = one core busy all the time).
    pub fn server_cores(&self) -> f64 {
        self.server_cpu_secs / self.secs
    }
}

/// One raw PTY run.
pub struct RawRun {
    pub bytes: u64,
    pub secs: f64,
}

impl RawRun {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.secs
    }
}

pub struct ThroughputResult {
    pub size_mib: u32,
    pub ws: Vec<WsRun>,
    pub raw: Vec<RawRun>,
}

pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl ThroughputResult {
    pub fn ws_median(&self) -> f64 {
        median(self.ws.iter().map(WsRun::mb_per_s))
    }

    pub fn raw_median(&self) -> f64 {
        median(self.raw.iter().map(RawRun::mb_per_s))
    }

    pub fn ratio(&self) -> f64 {
        self.ws_median() / self.raw_median()
    }

    pub fn lost(&self) -> u64 {
        self.ws.iter().map(WsRun::lost).sum()
    }

    pub fn server_cores_median(&self) -> f64 {
        median(self.ws.iter().map(WsRun::server_cores))
    }

    pub fn snapshots(&self) -> u32 {
        self.ws.iter().map(|r| r.snapshots).sum()
    }

    pub fn to_json(&self) -> Value {
        let runs: Vec<Value> = self
            .ws
            .iter()
            .zip(&self.raw)
            .map(|(w, r)| {
                json!({
                    "ws_mb_s": w.mb_per_s(),
                    "ws_bytes": w.bytes,
                    "ws_secs": w.secs,
                    "ws_frames": w.frames,
                    "end_offset": w.end_offset,
                    "client_offset": w.client_offset,
                    "snapshots": w.snapshots,
                    "server_cpu_secs": w.server_cpu_secs,
                    "lost_bytes": w.lost(),
                    "raw_mb_s": r.mb_per_s(),
                    "raw_bytes": r.bytes,
                    "raw_secs": r.secs,
                })
            })
            .collect();
        json!({
            "command": pipeline(self.size_mib),
            "size_mib": self.size_mib,
            "runs": runs,
            "ws_mb_s_median": self.ws_median(),
            "raw_mb_s_median": self.raw_median(),
            "ratio": self.ratio(),
            "lost_bytes": self.lost(),
            "server_cores_median": self.server_cores_median(),
        })
    }
}

pub fn pipeline(size_mib: u32) -> String {
    format!("head -c {size_mib}M /dev/urandom | base64")
}

pub async fn run(server: &Server, size_mib: u32, runs: usize) -> anyhow::Result<ThroughputResult> {
    let api = server.api();
    let mut result = ThroughputResult {
        size_mib,
        ws: Vec::new(),
        raw: Vec::new(),
    };
    for i in 0..runs {
        let raw = raw_run(size_mib).await.context("raw PTY run")?;
        eprintln!(
            "  run {}/{runs}: raw PTY {:.1} MB/s ({} bytes in {:.2} s)",
            i + 1,
            raw.mb_per_s(),
            raw.bytes,
            raw.secs
        );
        result.raw.push(raw);
        let ws = ws_run(server, &api, size_mib)
            .await
            .context("WebSocket run")?;
        eprintln!(
            "  run {}/{runs}: WebSocket {:.1} MB/s ({} bytes in {:.2} s, {} frames, server {:.2} cores, {} snapshots, {} lost)",
            i + 1,
            ws.mb_per_s(),
            ws.bytes,
            ws.secs,
            ws.frames,
            ws.server_cores(),
            ws.snapshots,
            ws.lost()
        );
        result.ws.push(ws);
    }
    Ok(result)
}

async fn ws_run(server: &Server, api: &Api, size_mib: u32) -> anyhow::Result<WsRun> {
    // The pipeline waits for one line of input, so it starts only once the client is attached.
    let script = format!("stty -echo; read _; {}", pipeline(size_mib));
    let id = api.create_terminal(&["/bin/sh", "-c", &script]).await?;
    let mut ws = api.connect(&id, 0).await?;
    let cpu_before = server.cpu_secs()?;
    ws.input("\r").await?;
    let mut first: Option<(Instant, u64)> = None;
    let mut bytes = 0u64;
    let mut frames = 0u64;
    let finished = tokio::time::timeout(RUN_LIMIT, async {
        loop {
            match ws.next_event().await? {
                Event::Output { offset, data } => {
                    first.get_or_insert((Instant::now(), offset));
                    bytes += data.len() as u64;
                    frames += 1;
                    ws.ack().await?;
                }
                Event::Snapshot { offset, .. } => {
                    first.get_or_insert((Instant::now(), offset));
                }
                Event::Exit => return anyhow::Ok(Instant::now()),
                Event::Control => {}
            }
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("the stream did not end within {RUN_LIMIT:?}"))??;
    let Some((started, _)) = first else {
        bail!("no output before the exit");
    };
    let server_cpu_secs = server.cpu_secs()? - cpu_before;
    let end_offset = api.end_offset(&id).await?;
    let run = WsRun {
        bytes,
        secs: finished.duration_since(started).as_secs_f64(),
        end_offset,
        client_offset: ws.next_offset(),
        snapshots: ws.snapshots(),
        frames,
        server_cpu_secs,
    };
    ws.close().await?;
    api.delete_terminal(&id).await?;
    // The recording of a few hundred MB is not needed; free the disk at once.
    let _ = std::fs::remove_file(server.recording(&id));
    Ok(run)
}

async fn raw_run(size_mib: u32) -> anyhow::Result<RawRun> {
    let spec = pty::SpawnSpec {
        argv: vec!["/bin/sh".into(), "-c".into(), pipeline(size_mib)],
        cwd: None,
        env: BTreeMap::new(),
        cols: 80,
        rows: 24,
    };
    let mut p = pty::spawn(&spec)?;
    // The same read size as the server's PTY reader.
    let mut buf = vec![0u8; 64 * 1024];
    let mut first: Option<Instant> = None;
    let mut bytes = 0u64;
    loop {
        match p.reader.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                first.get_or_insert_with(Instant::now);
                bytes += n as u64;
            }
            Err(e) if pty::is_eof(&e) => break,
            Err(e) => return Err(e).context("PTY read"),
        }
    }
    let finished = Instant::now();
    p.child.wait().await?;
    let Some(started) = first else {
        bail!("the PTY produced no output");
    };
    Ok(RawRun {
        bytes,
        secs: finished.duration_since(started).as_secs_f64(),
    })
}
