//! The report: a table with each figure, its target and PASS/MISS, and the same as JSON.
use serde_json::{json, Value};

use crate::echo::EchoResult;
use crate::memory::MemoryResult;
use crate::throughput::{pipeline, ThroughputResult};

pub struct Report {
    /// 1-minute load average before and after the run (other work on the machine skews figures).
    pub load: (f64, f64),
    pub echo: EchoResult,
    pub throughput: ThroughputResult,
    pub memory: MemoryResult,
}

/// One line of the table; `target` and `pass` are absent for figures given for context.
pub struct Row {
    name: String,
    value: String,
    target: Option<(&'static str, bool)>,
}

pub fn row(name: impl Into<String>, value: String) -> Row {
    Row {
        name: name.into(),
        value,
        target: None,
    }
}

pub fn check(name: impl Into<String>, value: String, target: &'static str, pass: bool) -> Row {
    Row {
        name: name.into(),
        value,
        target: Some((target, pass)),
    }
}

impl Report {
    fn rows(&self) -> Vec<Row> {
        let e = &self.echo;
        let t = &self.throughput;
        let m = &self.memory;
        let ms = |v: f64| format!("{v:.3} ms");
        let mbs = |v: f64| format!("{v:.1} MB/s");
        let mb = |v: f64| format!("{v:.2} MB");
        let (p50, p90, p99) = (e.percentile(50.0), e.percentile(90.0), e.percentile(99.0));
        vec![
            check("echo round trip p50", ms(p50), "< 1 ms", p50 < 1.0),
            row("echo round trip p90", ms(p90)),
            check("echo round trip p99", ms(p99), "< 4 ms", p99 < 4.0),
            row("echo round trip max", ms(e.max())),
            row("output over WebSocket (median)", mbs(t.ws_median())),
            row("raw PTY read (median)", mbs(t.raw_median())),
            row(
                "server CPU while streaming (median)",
                format!("{:.2} cores", t.server_cores_median()),
            ),
            check(
                "WebSocket / raw PTY",
                format!("{:.0} %", t.ratio() * 100.0),
                ">= 70 %",
                t.ratio() >= 0.7,
            ),
            check(
                "bytes lost (all runs)",
                format!("{} ({} snapshots)", t.lost(), t.snapshots()),
                "0",
                t.lost() == 0,
            ),
            row("server RSS, no terminal", mb(MemoryResult::mb(m.rss0_kib))),
            row(
                "server RSS, 1 idle terminal",
                mb(MemoryResult::mb(m.rss1_kib)),
            ),
            row(
                format!("server RSS, {} idle terminals", m.terminals),
                mb(MemoryResult::mb(m.rss_n_kib)),
            ),
            check(
                "per idle terminal",
                mb(m.per_terminal_mb()),
                "< 2 MB",
                m.per_terminal_mb() < 2.0,
            ),
        ]
    }

    /// The table, ready to print.
    pub fn table(&self) -> String {
        let header = format!(
            "AnyCode terminal bench ({} CPUs, load average {:.2} before / {:.2} after; MB = 10^6 bytes)\n  echo: {} keys after {} warm-up, one at a time; throughput: `{}`, {} runs, medians",
            cpus(),
            self.load.0,
            self.load.1,
            self.echo.keys,
            self.echo.warmup,
            pipeline(self.throughput.size_mib),
            self.throughput.ws.len(),
        );
        table(&header, &self.rows())
    }

    pub fn to_json(&self) -> Value {
        let targets = targets_json(&self.rows());
        json!({
            "cpus": cpus(),
            "load_average": [self.load.0, self.load.1],
            "echo": self.echo.to_json(),
            "throughput": self.throughput.to_json(),
            "memory": self.memory.to_json(),
            "targets": targets,
        })
    }
}

/// `header`, then one line per row with its value, target and PASS/MISS.
pub fn table(header: &str, rows: &[Row]) -> String {
    let w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let v = rows
        .iter()
        .map(|r| r.value.chars().count())
        .max()
        .unwrap_or(0);
    let t = rows
        .iter()
        .filter_map(|r| r.target.map(|(t, _)| t.len()))
        .max()
        .unwrap_or(0)
        .max(8);
    let mut out = format!("{header}\n\n");
    out.push_str(&format!(
        "{:<w$}  {:>v$}  {:<t$}  result\n",
        "metric", "value", "target"
    ));
    out.push_str(&format!("{}\n", "-".repeat(w + v + t + 12)));
    for r in rows {
        let (target, verdict) = match r.target {
            Some((t, pass)) => (t, if pass { "PASS" } else { "MISS" }),
            None => ("", ""),
        };
        out.push_str(&format!(
            "{:<w$}  {:>v$}  {:<t$}  {verdict}\n",
            r.name, r.value, target
        ));
    }
    out
}

/// The rows that have a target, as JSON.
pub fn targets_json(rows: &[Row]) -> Value {
    rows.iter()
        .filter_map(|r| {
            r.target.map(|(target, pass)| {
                json!({"metric": r.name, "value": r.value, "target": target, "pass": pass})
            })
        })
        .collect()
}

/// Nearest-rank percentile of sorted samples (NaN when there are none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The 1-minute load average from `/proc/loadavg` (NaN where unavailable).
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}
