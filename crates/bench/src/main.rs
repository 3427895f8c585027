//! `anycode-bench`: measures terminals end to end against the real `anycode serve` binary.
//!
//! In one run, each part on a fresh server in a throw-away data dir:
//! - **echo** — keystroke → echo round trip over the terminal WebSocket (p50/p90/p99);
//! - **throughput** — output of `head -c NM /dev/urandom | base64` to one acknowledging client,
//!   against the same command read straight from a PTY (the machine's limit), with a check that
//!   no byte was lost;
//! - **memory** — server RSS with 1 and with N idle shells, and the cost per idle terminal.
//!
//! Prints a table with PASS/MISS per target and writes the figures as JSON. It exits non-zero
//! only when the bench itself fails, never because a target was missed. `scripts/bench` builds
//! and runs it.
mod client;
mod echo;
mod memory;
mod report;
mod server;
mod throughput;

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

use crate::report::Report;
use crate::server::Server;

#[derive(Debug, Parser)]
#[command(
    name = "anycode-bench",
    about = "Terminal latency, throughput and memory of anycode"
)]
struct Args {
    /// The `anycode` binary to benchmark (build it with `--release`).
    #[arg(long, default_value = "target/release/anycode")]
    server: PathBuf,
    /// Keystrokes measured for the echo round trip.
    #[arg(long, default_value_t = 1000)]
    keys: usize,
    /// Keystrokes sent first and not measured.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// MiB of random data given to `base64` in the throughput test.
    #[arg(long, default_value_t = 200)]
    size_mib: u32,
    /// Throughput runs (WebSocket and raw PTY each); medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Idle terminals for the memory test.
    #[arg(long, default_value_t = 50)]
    terminals: usize,
    /// Where to write the figures as JSON.
    #[arg(long, default_value = "target/bench/terminal.json")]
    json: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.keys > 0 && args.runs > 0,
        "--keys and --runs must be positive"
    );
    anyhow::ensure!(args.terminals >= 2, "--terminals must be at least 2");

    let load_before = report::load_average();
    eprintln!("echo: {} keys ({} warm-up)…", args.keys, args.warmup);
    let server = Server::start(&args.server).await?;
    let echo = echo::run(&server.api(), args.keys, args.warmup)
        .await
        .context("echo test")?;
    server.stop().await?;

    eprintln!(
        "throughput: `{}`, {} runs…",
        throughput::pipeline(args.size_mib),
        args.runs
    );
    let server = Server::start(&args.server).await?;
    let throughput = throughput::run(&server, args.size_mib, args.runs)
        .await
        .context("throughput test")?;
    server.stop().await?;

    eprintln!("memory: {} idle terminals…", args.terminals);
    let server = Server::start(&args.server).await?;
    let memory = memory::run(&server.api(), server.pid, args.terminals)
        .await
        .context("memory test")?;
    server.stop().await?;

    let report = Report {
        load: (load_before, report::load_average()),
        echo,
        throughput,
        memory,
    };
    println!("\n{}", report.table());
    if let Some(dir) = args.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(&report.to_json())?;
    std::fs::write(&args.json, json + "\n")
        .with_context(|| format!("cannot write {}", args.json.display()))?;
    println!("JSON: {}", args.json.display());
    Ok(())
}
