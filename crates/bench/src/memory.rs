//! Server memory per idle terminal: the server's `VmRSS` with 0, 1 and N idle shells, each one
//! shown at its prompt to a WebSocket that then closed (as after a browser tab went away).
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde_json::{json, Value};

use crate::client::Api;

/// Time for the server to finish closing a WebSocket and settle before `VmRSS` is read.
const SETTLE: Duration = Duration::from_millis(500);

pub struct MemoryResult {
    pub terminals: usize,
    pub rss0_kib: u64,
    pub rss1_kib: u64,
    pub rss_n_kib: u64,
}

impl MemoryResult {
    pub fn mb(kib: u64) -> f64 {
        kib as f64 * 1024.0 / 1e6
    }

    /// `(rssN - rss1) / (N - 1)`, in MB.
    pub fn per_terminal_mb(&self) -> f64 {
        let extra = self.rss_n_kib.saturating_sub(self.rss1_kib);
        Self::mb(extra) / (self.terminals.saturating_sub(1).max(1)) as f64
    }

    pub fn to_json(&self) -> Value {
        json!({
            "terminals": self.terminals,
            "rss0_mb": Self::mb(self.rss0_kib),
            "rss1_mb": Self::mb(self.rss1_kib),
            "rss_n_mb": Self::mb(self.rss_n_kib),
            "per_terminal_mb": self.per_terminal_mb(),
        })
    }
}

/// `VmRSS` of `pid` in KiB, from `/proc/<pid>/status`.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS in {path}"))
}

pub async fn run(api: &Api, pid: u32, terminals: usize) -> anyhow::Result<MemoryResult> {
    tokio::time::sleep(SETTLE).await;
    let rss0_kib = rss_kib(pid)?;
    idle_terminal(api).await?;
    tokio::time::sleep(SETTLE).await;
    let rss1_kib = rss_kib(pid)?;
    for _ in 1..terminals {
        idle_terminal(api).await?;
    }
    tokio::time::sleep(SETTLE).await;
    let rss_n_kib = rss_kib(pid)?;
    Ok(MemoryResult {
        terminals,
        rss0_kib,
        rss1_kib,
        rss_n_kib,
    })
}

/// Starts `/bin/sh`, waits for its prompt over a WebSocket, then closes the WebSocket.
async fn idle_terminal(api: &Api) -> anyhow::Result<()> {
    let id = api.create_terminal(&["/bin/sh"]).await?;
    let mut ws = api.connect(&id, 0).await?;
    ws.read_until(Duration::from_secs(10), |seen| {
        seen.ends_with(b"$ ") || seen.ends_with(b"# ")
    })
    .await
    .context("waiting for the shell prompt")?;
    ws.close().await
}
