//! Keystroke → echo round trip: `cat` on a raw, non-echoing TTY sends every byte back once; each
//! key is one `input` message, and the clock stops when its byte arrives in an output frame.
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{json, Value};

use crate::client::{Api, Event};

/// Prints `R` once the TTY is raw, then echoes.
const COMMAND: [&str; 3] = ["/bin/sh", "-c", "stty raw -echo; printf R; exec cat"];
const KEY_LIMIT: Duration = Duration::from_secs(5);

pub struct EchoResult {
    pub keys: usize,
    pub warmup: usize,
    /// Round trips in milliseconds, sorted.
    pub samples_ms: Vec<f64>,
}

impl EchoResult {
    /// Nearest-rank percentile.
    pub fn percentile(&self, p: f64) -> f64 {
        crate::report::percentile(&self.samples_ms, p)
    }

    pub fn mean(&self) -> f64 {
        self.samples_ms.iter().sum::<f64>() / self.samples_ms.len() as f64
    }

    pub fn max(&self) -> f64 {
        self.samples_ms.last().copied().unwrap_or(f64::NAN)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "keys": self.keys,
            "warmup": self.warmup,
            "p50_ms": self.percentile(50.0),
            "p90_ms": self.percentile(90.0),
            "p99_ms": self.percentile(99.0),
            "max_ms": self.max(),
            "mean_ms": self.mean(),
        })
    }
}

pub async fn run(api: &Api, keys: usize, warmup: usize) -> anyhow::Result<EchoResult> {
    let id = api.create_terminal(&COMMAND).await?;
    let mut ws = api.connect(&id, 0).await?;
    ws.read_until(Duration::from_secs(10), |seen| seen.contains(&b'R'))
        .await?;
    let mut samples_ms = Vec::with_capacity(keys);
    for i in 0..warmup + keys {
        let key = b'a' + (i % 26) as u8;
        let target = ws.next_offset() + 1;
        let started = Instant::now();
        ws.input(std::str::from_utf8(&[key])?).await?;
        let mut last = 0u8;
        while ws.next_offset() < target {
            let ev = tokio::time::timeout(KEY_LIMIT, ws.next_event()).await;
            match ev {
                Ok(Ok(Event::Output { data, .. })) => last = data.last().copied().unwrap_or(0),
                Ok(Ok(Event::Snapshot { .. })) => bail!("unexpected snapshot during echo"),
                Ok(Ok(Event::Exit)) => bail!("cat exited during the echo test"),
                Ok(Ok(Event::Control)) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => bail!("no echo for key {i} within {KEY_LIMIT:?}"),
            }
        }
        let elapsed = started.elapsed();
        if ws.next_offset() != target || last != key {
            bail!(
                "key {i}: expected exactly {:?} back, got up to offset {} ending in {:?}",
                key as char,
                ws.next_offset(),
                last as char
            );
        }
        if i >= warmup {
            samples_ms.push(elapsed.as_secs_f64() * 1000.0);
        }
        // Acknowledge outside the timed part, like a browser after it painted the byte.
        ws.ack().await?;
    }
    ws.close().await?;
    api.delete_terminal(&id).await?;
    samples_ms.sort_by(f64::total_cmp);
    Ok(EchoResult {
        keys,
        warmup,
        samples_ms,
    })
}
