//! `anycode-bench`: measures terminals and sandboxes end to end against the real
//! `anycode serve` binary.
//!
//! **terminals** — each part on a fresh server in a throw-away data dir:
//! - **echo** — keystroke → echo round trip over the terminal WebSocket (p50/p90/p99);
//! - **throughput** — output of `head -c NM /dev/urandom | base64` to one acknowledging client,
//!   against the same command read straight from a PTY (the machine's limit), with a check that
//!   no byte was lost;
//! - **memory** — server RSS with 1 and with N idle shells, and the cost per idle terminal.
//!
//! **sandboxes** (Docker) — time from `POST /api/sandboxes` to a shell prompt in it, against
//! bare `docker run`, and memory per idle sandbox; see [`sandboxes`].
//!
//! **claude** (Docker) — the model proxy's added latency and streaming throughput from inside a
//! sandbox against the mock Anthropic API, and N real `claude -p` CLIs at once; see [`claude`].
//!
//! **tasks** (Docker) — N tasks submitted at once through `/api/tasks` under scheduler limits L
//! (default 20 tasks, L = 20 then 5), against the same work driven directly without the
//! scheduler: wall time, queue → start, phases, peak memory, and the scheduler's own overhead
//! per task; see [`tasks`].
//!
//! **git** — importing a repository (`gitops::Mirror::clone_from`) and preparing a sandbox
//! checkout (`gitops::prepare_checkout`) against plain `git clone`, on a generated repository
//! of 20,000 files and 5,000 commits; see [`git`].
//!
//! Each prints a table with PASS/MISS per target and writes its figures as JSON. It exits non-zero
//! only when the bench itself fails, never because a target was missed. `scripts/bench` builds
//! and runs it.
mod claude;
mod client;
mod echo;
mod git;
mod memory;
mod mock;
mod report;
mod sandboxes;
mod server;
mod tasks;
mod throughput;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, ValueEnum};

use crate::report::Report;
use crate::server::Server;

#[derive(Debug, Parser)]
#[command(
    name = "anycode-bench",
    about = "Terminal latency, throughput and memory, sandbox start time and memory, Claude Code through the model proxy, and git import/checkout cost, of anycode"
)]
struct Args {
    /// Which benchmark to run.
    #[arg(value_enum, default_value_t = Part::All)]
    part: Part,
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
    /// Where to write the terminal figures as JSON.
    #[arg(long, default_value = "target/bench/terminal.json")]
    json: PathBuf,
    /// Sandboxes started one after another for the start time.
    #[arg(long, default_value_t = 20)]
    sandboxes: usize,
    /// Idle sandboxes for the memory test.
    #[arg(long, default_value_t = 10)]
    idle_sandboxes: usize,
    /// Where to write the sandbox figures as JSON.
    #[arg(long, default_value = "target/bench/sandboxes.json")]
    sandbox_json: PathBuf,
    /// The `anycode-mock-model` binary (default: next to `--server`).
    #[arg(long)]
    mock_model: Option<PathBuf>,
    /// Small requests of each kind (non-streaming, streaming) through the proxy and direct.
    #[arg(long, default_value_t = 200)]
    proxy_requests: usize,
    /// Size of the large streamed reply, in MB.
    #[arg(long, default_value_t = 2.0)]
    stream_mb: f64,
    /// Large streamed replies fetched through the proxy and direct.
    #[arg(long, default_value_t = 10)]
    stream_runs: usize,
    /// Real `claude -p` CLIs run at once, one round per value.
    #[arg(long, value_delimiter = ',', default_value = "5,20")]
    agents: Vec<usize>,
    /// Where to write the Claude figures as JSON.
    #[arg(long, default_value = "target/bench/claude.json")]
    claude_json: PathBuf,
    /// Tasks submitted at once in each round of the tasks bench.
    #[arg(long, default_value_t = 20)]
    task_count: usize,
    /// Scheduler limits (maxRunning = maxPerProject), one round per value.
    #[arg(long, value_delimiter = ',', default_value = "20,5")]
    task_limits: Vec<usize>,
    /// Where to write the tasks figures as JSON.
    #[arg(long, default_value = "target/bench/tasks.json")]
    tasks_json: PathBuf,
    /// Where the generated git repository is cached (and rounds run).
    #[arg(long, default_value = "target/bench/git-repo")]
    git_repo_dir: PathBuf,
    /// Files in the generated repository.
    #[arg(long, default_value_t = 20_000)]
    git_files: usize,
    /// Commits in the generated repository.
    #[arg(long, default_value_t = 5_000)]
    git_commits: usize,
    /// Rounds of the git bench; medians are reported.
    #[arg(long, default_value_t = 5)]
    git_runs: usize,
    /// Where to write the git figures as JSON.
    #[arg(long, default_value = "target/bench/git.json")]
    git_json: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    Terminals,
    Sandboxes,
    Claude,
    Tasks,
    Git,
    All,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.keys > 0 && args.runs > 0 && args.sandboxes > 0 && args.idle_sandboxes > 0,
        "--keys, --runs, --sandboxes and --idle-sandboxes must be positive"
    );
    anyhow::ensure!(args.terminals >= 2, "--terminals must be at least 2");
    anyhow::ensure!(
        args.proxy_requests > 0
            && args.stream_runs > 0
            && args.stream_mb > 0.0
            && !args.agents.is_empty()
            && args.agents.iter().all(|&n| n > 0),
        "--proxy-requests, --stream-runs, --stream-mb and --agents must be positive"
    );
    let all = args.part == Part::All;
    if all || args.part == Part::Terminals {
        terminals(&args).await?;
    }
    if all || args.part == Part::Sandboxes {
        let report = sandboxes::run(&args.server, args.sandboxes, args.idle_sandboxes)
            .await
            .context("sandbox bench")?;
        println!("\n{}", report.table());
        write_json(&args.sandbox_json, &report.to_json())?;
    }
    if all || args.part == Part::Claude {
        let mock = args
            .mock_model
            .clone()
            .unwrap_or_else(|| claude::default_mock(&args.server));
        let opts = claude::Options {
            server: &args.server,
            mock: &mock,
            requests: args.proxy_requests,
            big_mb: args.stream_mb,
            big_runs: args.stream_runs,
            agents: &args.agents,
        };
        let report = claude::run(&opts).await.context("claude bench")?;
        println!("\n{}", report.table());
        write_json(&args.claude_json, &report.to_json())?;
    }
    if all || args.part == Part::Tasks {
        anyhow::ensure!(
            args.task_count > 0 && args.task_limits.iter().all(|&l| (1..=200).contains(&l)),
            "--task-count must be positive and --task-limits between 1 and 200"
        );
        let opts = tasks::Options {
            server: &args.server,
            mock: &args
                .mock_model
                .clone()
                .unwrap_or_else(|| claude::default_mock(&args.server)),
            tasks: args.task_count,
            limits: &args.task_limits,
        };
        let report = tasks::run(&opts).await.context("tasks bench")?;
        println!("\n{}", report.table());
        println!("{}", report.summary());
        write_json(&args.tasks_json, &report.to_json())?;
    }
    if all || args.part == Part::Git {
        let opts = git::Options {
            repo_dir: &args.git_repo_dir,
            files: args.git_files,
            commits: args.git_commits,
            runs: args.git_runs,
        };
        let report = git::run(&opts).await.context("git bench")?;
        println!("\n{}", report.table());
        write_json(&args.git_json, &report.to_json())?;
    }
    Ok(())
}

async fn terminals(args: &Args) -> anyhow::Result<()> {
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
    write_json(&args.json, &report.to_json())
}

fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(value)?;
    std::fs::write(path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("JSON: {}", path.display());
    Ok(())
}
