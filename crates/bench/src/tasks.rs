//! Tasks and the scheduler against `anycode serve --sandbox-driver docker` whose model proxy
//! forwards to the mock Anthropic API (`anycode-mock-model`, a separate process; a prompt with
//! [`NEEDLE`] is answered with a `Write` tool call, then a short text). The project is a local
//! Git repository the bench creates (`git init`, a few files) and imports by its path, so no
//! forge is involved; `autoPR` stays off, so a task's flow is: sandbox on a new branch → (no
//! setup) → headless `claude -p` → commit → push to the local origin.
//!
//! After one unmeasured warm-up task and one warm-up direct unit, for each limit L (default 20,
//! then 5), on the same server:
//! - **tasks** — `PUT /api/scheduler {"maxRunning": L, "maxPerProject": L}`, then N (default 20)
//!   `POST /api/tasks` at once; completion is watched on `/ws/events` (`task` events; `GET
//!   /api/tasks` every few seconds as a safety net). Reported: the wall time (first submit → last
//!   task seen ended), queue → start (`createdAt → startedAt`), the phases (from the task's log
//!   timestamps and its run's `finishedAt`), failures by error class;
//! - **direct** — the same work without the scheduler, at most L at once: `POST /api/sandboxes`
//!   (same project, a new branch, no setup) → `POST /api/sandboxes/{id}/runs` (same prompt) →
//!   its `run` event → `git/status` → `commit` → `push`.
//!
//! Both report the server's CPU time (`/proc/<pid>/stat`: its own `utime + stime`, and that of
//! its reaped children — host `git` — apart), the machine's busy CPU time (`/proc/stat`), the
//! server's `VmRSS` sampled every 100 ms (and `VmHWM`), and the sum of this instance's containers'
//! memory (`docker stats --no-stream`, every ~2 s).
//!
//! **The scheduler's own overhead per task** is reported two ways:
//! - *dispatch latency*: time a task is ready to run and a slot is free but it does not run yet.
//!   With a free slot: `createdAt → startedAt` (the claim), then `startedAt →` the driver's first
//!   log line (`started (attempt n)`). For a task that waited for a slot: the k-th task to start
//!   after the first L is matched with the k-th task to finish, `finishedAt → startedAt`
//!   ("handoff");
//! - *cost against doing the same work directly*: (server CPU of the task round − server CPU of
//!   the direct round) / N, their ratio, and the difference of the median per-task work time
//!   (`startedAt → finishedAt` against the direct unit's `POST /api/sandboxes → push`). That
//!   difference covers the whole task machinery (scheduler, task driver, its log and progress
//!   writes, one extra bundle harvest to list commits), not only the scheduling loop.
//!
//! Every sandbox is deleted through the API after each round; at the end (and on failure)
//! whatever is left is deleted, then this instance's containers are removed with `docker rm -f`
//! (see [`DockerServer::finish`]).
use crate::mock::MockProcess;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, ensure, Context};
use futures_util::future::join_all;
use futures_util::{stream, StreamExt};
use mock_model::{Script, Turn};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::process::Command;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::memory::{rss_kib, MemoryResult as Rss};
use crate::report::{check, cpus, load_average, percentile, row, table, targets_json, Row};
use crate::sandboxes::{docker, mem_usage_bytes, DockerServer, IMAGE};

/// The fake key the credential broker picks up from the server's environment.
const FAKE_KEY: &str = "sk-ant-api03-bench-fake-123456";
/// Prompts containing this get the `Write` tool call, then a text.
const NEEDLE: &str = "anycode-bench-task";
/// The file the mock's `Write` tool call creates (the sandbox's checkout is `/workspace`).
const WRITTEN: &str = "/workspace/bench-task.txt";
/// How long a round may take before its unfinished tasks are reported and cancelled.
const ROUND_LIMIT: Duration = Duration::from_secs(20 * 60);
/// `GET /api/tasks` (or the runs) this often while waiting, in case an event was missed.
const POLL_EVERY: Duration = Duration::from_secs(5);
const SETTLE: Duration = Duration::from_secs(2);
const RSS_EVERY: Duration = Duration::from_millis(100);
const STATS_GAP: Duration = Duration::from_secs(1);
/// After a round, with its sandboxes left idle: the window their upkeep is measured over.
const IDLE_WINDOW: Duration = Duration::from_secs(5);
/// `/proc` CPU times are in USER_HZ ticks (100 on Linux).
const TICKS: f64 = 100.0;

pub struct Options<'a> {
    pub server: &'a Path,
    pub mock: &'a Path,
    /// Tasks submitted at once in each round.
    pub tasks: usize,
    /// One round per scheduler limit (global and per project alike).
    pub limits: &'a [usize],
}

// ---------- the report ----------

/// What a round cost the machine, from before the first submit to the last end.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    /// The server's own `utime + stime`.
    pub server_cpu_s: f64,
    /// `cutime + cstime`: children the server reaped (host `git`).
    pub children_cpu_s: f64,
    /// All CPUs of the machine, busy (not idle or iowait).
    pub machine_busy_s: f64,
    pub rss_before_kib: u64,
    pub rss_peak_kib: u64,
    /// `VmHWM` after the round (the process's peak so far, rounds before included).
    pub hwm_kib: u64,
    /// The highest sum of this instance's containers' memory in one `docker stats` round.
    pub containers_peak_sum: u64,
    /// Containers in that round.
    pub containers_at_peak: usize,
    /// Per container, its highest reading.
    pub container_peaks: Vec<u64>,
    pub stats_rounds: usize,
    /// Server CPU over [`IDLE_WINDOW`] right after the round, its sandboxes idle.
    pub idle_cpu_s: f64,
    pub idle_sandboxes: usize,
    /// Sandbox-seconds between each item's end and the round's end (its sandbox idle, alive).
    pub linger_s: f64,
}

impl Usage {
    /// Server CPU per idle sandbox per second (agent link, stats stream, …).
    fn idle_rate(&self) -> f64 {
        self.idle_cpu_s / IDLE_WINDOW.as_secs_f64() / self.idle_sandboxes.max(1) as f64
    }

    /// The round's server CPU less the estimated upkeep of sandboxes that had finished.
    fn busy_cpu_s(&self) -> f64 {
        self.server_cpu_s - self.idle_rate() * self.linger_s
    }

    fn to_json(&self) -> Value {
        json!({
            "idle_server_cpu_s": self.idle_cpu_s,
            "idle_window_s": IDLE_WINDOW.as_secs_f64(),
            "idle_sandboxes": self.idle_sandboxes,
            "idle_cpu_per_sandbox_per_s": self.idle_rate(),
            "linger_sandbox_s": self.linger_s,
            "server_cpu_less_idle_upkeep_s": self.busy_cpu_s(),
            "server_cpu_s": self.server_cpu_s,
            "server_children_cpu_s": self.children_cpu_s,
            "machine_busy_cpu_s": self.machine_busy_s,
            "server_rss_before_mb": Rss::mb(self.rss_before_kib),
            "server_rss_peak_mb": Rss::mb(self.rss_peak_kib),
            "server_vmhwm_mb": Rss::mb(self.hwm_kib),
            "containers_peak_sum_mb": self.containers_peak_sum as f64 / 1e6,
            "containers_at_peak": self.containers_at_peak,
            "container_peak_mb_avg": mean(&self.container_peaks) / 1e6,
            "container_peak_mb_max": self.container_peaks.iter().copied().max().unwrap_or(0) as f64 / 1e6,
            "docker_stats_rounds": self.stats_rounds,
        })
    }
}

/// One task as the store saw it, times in ms since the epoch.
#[derive(Debug, Clone)]
pub struct TaskTiming {
    pub id: String,
    pub status: String,
    pub attempt: i64,
    pub error_class: Option<String>,
    pub error: Option<String>,
    pub created: i64,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    /// The run record's `createdAt` and `finishedAt`.
    pub run_created: Option<i64>,
    pub run_finished: Option<i64>,
    /// `(at, message)` from `GET /api/tasks/{id}/logs`.
    pub logs: Vec<(i64, String)>,
}

impl TaskTiming {
    fn log_at(&self, prefix: &str) -> Option<i64> {
        self.logs
            .iter()
            .find(|(_, m)| m.starts_with(prefix))
            .map(|(at, _)| *at)
    }

    /// The driver's first log line of its (first) attempt.
    fn driver_at(&self) -> Option<i64> {
        self.log_at("started (attempt")
    }
}

/// The phases of a task, each `(name, from, to)` in ms since the epoch.
fn phases(t: &TaskTiming) -> Vec<(&'static str, Option<i64>, Option<i64>)> {
    let driver = t.driver_at();
    let sandbox = t.log_at("sandbox ");
    let claude = t.log_at("started Claude");
    let committed = t.log_at("committed the work");
    let pushed = t.log_at("pushed ");
    vec![
        ("claim → driver", t.started, driver),
        ("sandbox (create + checkout)", driver, sandbox),
        ("setup + claude start", sandbox, claude),
        ("claude run", claude, t.run_finished),
        ("git status + commit", t.run_finished, committed),
        ("harvest + push", committed, pushed),
        ("finish", pushed, t.finished),
    ]
}

pub struct TaskRound {
    pub limit: usize,
    pub n: usize,
    /// `POST /api/tasks` answers, per task, in ms.
    pub submit_ms: Vec<f64>,
    /// Submits that were refused: their errors.
    pub refused: Vec<String>,
    /// First submit → last task seen ended (event, or a poll).
    pub wall: Duration,
    /// First submit (client clock) → last `finishedAt` (server clock; same machine).
    pub server_span_ms: f64,
    pub tasks: Vec<TaskTiming>,
    /// Tasks not ended within [`ROUND_LIMIT`] (then cancelled).
    pub unfinished: usize,
    pub events: usize,
    pub resyncs: usize,
    pub usage: Usage,
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn mean(v: &[u64]) -> f64 {
    v.iter().sum::<u64>() as f64 / v.len().max(1) as f64
}

/// `{p50, p95, max, n}` in ms.
fn stats_json(v: &[f64]) -> Value {
    let s = sorted(v.to_vec());
    json!({"n": s.len(), "p50_ms": percentile(&s, 50.0), "p95_ms": percentile(&s, 95.0), "max_ms": s.last()})
}

impl TaskRound {
    fn completed(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.status == "completed")
            .count()
    }

    fn queue_ms(&self) -> Vec<f64> {
        self.tasks
            .iter()
            .filter_map(|t| Some((t.started? - t.created) as f64))
            .collect()
    }

    /// Tasks by start time: the first `limit` found a free slot.
    fn by_start(&self) -> Vec<&TaskTiming> {
        let mut v: Vec<&TaskTiming> = self.tasks.iter().filter(|t| t.started.is_some()).collect();
        v.sort_by_key(|t| t.started);
        v
    }

    /// `createdAt → startedAt` of the tasks that found a free slot.
    fn dispatch_ms(&self) -> Vec<f64> {
        self.by_start()
            .iter()
            .take(self.limit)
            .filter_map(|t| Some((t.started? - t.created) as f64))
            .collect()
    }

    /// `startedAt →` the driver's first log line, all tasks.
    fn launch_ms(&self) -> Vec<f64> {
        self.tasks
            .iter()
            .filter_map(|t| Some((t.driver_at()? - t.started?) as f64))
            .collect()
    }

    /// For the tasks that waited for a slot: the k-th of them to start against the k-th task
    /// to finish, `finishedAt → startedAt`.
    fn handoff_ms(&self) -> Vec<f64> {
        let waited: Vec<i64> = self
            .by_start()
            .iter()
            .skip(self.limit)
            .filter_map(|t| t.started)
            .collect();
        let mut finished: Vec<i64> = self.tasks.iter().filter_map(|t| t.finished).collect();
        finished.sort_unstable();
        handoffs(&waited, &finished)
    }

    /// `startedAt → finishedAt` of the completed tasks.
    fn work_ms(&self) -> Vec<f64> {
        self.tasks
            .iter()
            .filter(|t| t.status == "completed")
            .filter_map(|t| Some((t.finished? - t.started?) as f64))
            .collect()
    }

    /// The run record's `createdAt → finishedAt`, completed tasks.
    fn run_record_ms(&self) -> Vec<f64> {
        self.tasks
            .iter()
            .filter(|t| t.status == "completed")
            .filter_map(|t| Some((t.run_finished? - t.run_created?) as f64))
            .collect()
    }

    /// Per phase, the durations over the tasks completed at their first attempt.
    fn phase_ms(&self) -> Vec<(&'static str, Vec<f64>)> {
        let clean: Vec<&TaskTiming> = self
            .tasks
            .iter()
            .filter(|t| t.status == "completed" && t.attempt == 1)
            .collect();
        let Some(first) = clean.first() else {
            return vec![];
        };
        let names: Vec<&'static str> = phases(first).iter().map(|p| p.0).collect();
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let v = clean
                    .iter()
                    .filter_map(|t| {
                        let (_, a, b) = phases(t)[i];
                        Some((b? - a?) as f64)
                    })
                    .collect();
                (name, v)
            })
            .collect()
    }

    /// Failures grouped by error class: `(class, count, first message)`.
    fn failures(&self) -> Vec<(String, usize, String)> {
        let mut by: Vec<(String, usize, String)> = Vec::new();
        for t in self.tasks.iter().filter(|t| t.status != "completed") {
            let class = t
                .error_class
                .clone()
                .unwrap_or_else(|| format!("status {}", t.status));
            match by.iter_mut().find(|(c, _, _)| *c == class) {
                Some(e) => e.1 += 1,
                None => by.push((class, 1, t.error.clone().unwrap_or_default())),
            }
        }
        by
    }

    fn to_json(&self) -> Value {
        let phases: serde_json::Map<String, Value> = self
            .phase_ms()
            .into_iter()
            .map(|(name, v)| (name.to_string(), stats_json(&v)))
            .collect();
        json!({
            "limit": self.limit,
            "tasks": self.n,
            "completed": self.completed(),
            "refused": self.refused,
            "unfinished": self.unfinished,
            "failures": self.failures().iter().map(|(c, n, m)| json!({"class": c, "count": n, "example": m})).collect::<Vec<_>>(),
            "retried": self.tasks.iter().filter(|t| t.attempt > 1).count(),
            "wall_s": self.wall.as_secs_f64(),
            "server_span_s": self.server_span_ms / 1e3,
            "submit": stats_json(&self.submit_ms),
            "queue_to_start": stats_json(&self.queue_ms()),
            "dispatch_free_slot": stats_json(&self.dispatch_ms()),
            "claim_to_driver": stats_json(&self.launch_ms()),
            "handoff_after_slot_freed": stats_json(&self.handoff_ms()),
            "work": stats_json(&self.work_ms()),
            "run_record": stats_json(&self.run_record_ms()),
            "phases": phases,
            "events": self.events,
            "event_resyncs": self.resyncs,
            "usage": self.usage.to_json(),
            "per_task": self.tasks.iter().map(|t| json!({
                "id": t.id, "status": t.status, "attempt": t.attempt, "errorClass": t.error_class,
                "error": t.error, "createdMs": t.created, "startedMs": t.started,
                "finishedMs": t.finished, "runCreatedMs": t.run_created,
                "runFinishedMs": t.run_finished,
            })).collect::<Vec<_>>(),
        })
    }
}

/// `waited[k] - finished[k]` for each task that waited, in ms (see [`TaskRound::handoff_ms`]).
fn handoffs(waited_starts: &[i64], finished_sorted: &[i64]) -> Vec<f64> {
    waited_starts
        .iter()
        .zip(finished_sorted)
        .map(|(s, f)| (s - f) as f64)
        .collect()
}

/// One unit of the direct round, in ms.
#[derive(Debug, Clone)]
pub struct Unit {
    /// `POST /api/sandboxes` (with the project and a new branch).
    pub create_ms: f64,
    /// `POST …/runs` → its `run` event says it ended.
    pub run_ms: f64,
    /// The run record's `createdAt → finishedAt` (as for a task's run).
    pub run_record_ms: f64,
    /// The run's `finishedAt` → the bench saw it ended (event delivery and polling).
    pub seen_lag_ms: f64,
    /// `git/status` + `commit` + `push`.
    pub git_ms: f64,
    pub total_ms: f64,
    /// When the push answered, ms since the epoch.
    pub end_ms: i64,
}

pub struct DirectRound {
    pub concurrency: usize,
    pub n: usize,
    /// `/ws/events` messages received during the round.
    pub events: usize,
    pub units: Vec<Unit>,
    pub failures: Vec<String>,
    pub wall: Duration,
    pub usage: Usage,
}

impl DirectRound {
    fn col(&self, f: impl Fn(&Unit) -> f64) -> Vec<f64> {
        self.units.iter().map(f).collect()
    }

    fn to_json(&self) -> Value {
        json!({
            "concurrency": self.concurrency,
            "units": self.n,
            "ok": self.units.len(),
            "failures": self.failures,
            "wall_s": self.wall.as_secs_f64(),
            "events": self.events,
            "create": stats_json(&self.col(|u| u.create_ms)),
            "run": stats_json(&self.col(|u| u.run_ms)),
            "run_record": stats_json(&self.col(|u| u.run_record_ms)),
            "run_seen_lag": stats_json(&self.col(|u| u.seen_lag_ms)),
            "git": stats_json(&self.col(|u| u.git_ms)),
            "total": stats_json(&self.col(|u| u.total_ms)),
            "usage": self.usage.to_json(),
        })
    }
}

pub struct LimitResult {
    pub tasks: TaskRound,
    pub direct: DirectRound,
}

impl LimitResult {
    /// Extra server CPU per task against the direct round, in seconds.
    fn cpu_overhead_per_task(&self) -> f64 {
        (self.tasks.usage.server_cpu_s - self.direct.usage.server_cpu_s) / self.tasks.n as f64
    }

    fn cpu_ratio(&self) -> f64 {
        self.tasks.usage.server_cpu_s / self.direct.usage.server_cpu_s.max(1e-9)
    }

    /// [`LimitResult::cpu_overhead_per_task`] with the idle upkeep of finished sandboxes
    /// removed from both rounds (it grows with a round's length, not with its work).
    fn busy_cpu_overhead_per_task(&self) -> f64 {
        (self.tasks.usage.busy_cpu_s() - self.direct.usage.busy_cpu_s()) / self.tasks.n as f64
    }

    fn busy_cpu_ratio(&self) -> f64 {
        self.tasks.usage.busy_cpu_s() / self.direct.usage.busy_cpu_s().max(1e-9)
    }

    /// Median task work time minus the median direct unit, in ms.
    fn work_overhead_p50(&self) -> f64 {
        let t = sorted(self.tasks.work_ms());
        let d = sorted(self.direct.col(|u| u.total_ms));
        percentile(&t, 50.0) - percentile(&d, 50.0)
    }
}

pub struct TasksReport {
    pub load: (f64, f64),
    pub cli_version: String,
    pub limits: Vec<LimitResult>,
}

// ---------- running it ----------

pub async fn run(opts: &Options<'_>) -> anyhow::Result<TasksReport> {
    docker(&["image", "inspect", "--format", "{{.Id}}", IMAGE])
        .with_context(|| format!("is Docker up, with {IMAGE} built (scripts/sandbox-image)?"))?;
    let load_before = load_average();
    let dir = tempfile::Builder::new()
        .prefix("anycode-bench-tasks-")
        .tempdir()?;
    let repo = make_repo(dir.path()).context("creating the local repository")?;
    let mock = MockProcess::start(opts.mock, dir.path(), &mock_script()).await?;
    let server = DockerServer::start_with(
        opts.server,
        &["--anthropic-upstream", &mock.url],
        &[("ANTHROPIC_API_KEY", FAKE_KEY)],
        &[
            "CLAUDE_CODE_OAUTH_TOKEN",
            "ANTHROPIC_AUTH_TOKEN",
            "GITHUB_TOKEN",
            "GH_TOKEN",
        ],
    )
    .await?;
    let result = measure(&server, &repo, opts).await;
    let finished = server.finish().await;
    mock.stop().await;
    let (cli_version, limits) = result?;
    finished?;
    Ok(TasksReport {
        load: (load_before, load_average()),
        cli_version,
        limits,
    })
}

/// What every round needs.
struct Ctx<'a> {
    rest: Rest,
    watcher: &'a Watcher,
    pid: u32,
    instance: &'a str,
    project: String,
}

async fn measure(
    server: &DockerServer,
    repo: &Path,
    opts: &Options<'_>,
) -> anyhow::Result<(String, Vec<LimitResult>)> {
    let pid = server.server.pid;
    let rest = Rest::new(server.server.port, &server_token(pid)?);
    let watcher = Watcher::start(server.server.port, &rest.token).await?;
    let result = async {
        let project = import(&rest, repo).await?;
        let ctx = Ctx {
            rest: rest.clone(),
            watcher: &watcher,
            pid,
            instance: &server.instance,
            project,
        };
        eprintln!("tasks: warm-up (one task, one direct unit)…");
        rest.expect(
            Method::PUT,
            "/api/scheduler",
            Some(&json!({"maxRunning": opts.tasks, "maxPerProject": opts.tasks})),
            200,
        )
        .await?;
        let warm = task_round(&ctx, 0, opts.tasks, 1).await?;
        if let Some(t) = warm.tasks.iter().find(|t| t.status != "completed") {
            let logs: Vec<&str> = t.logs.iter().map(|(_, m)| m.as_str()).collect();
            bail!(
                "the warm-up task ended {} ({:?}: {:?}); its log: {logs:?}",
                t.status,
                t.error_class,
                t.error
            );
        }
        ensure!(
            warm.unfinished == 0 && warm.refused.is_empty(),
            "the warm-up task did not finish"
        );
        let warm_direct = direct_round(&ctx, "warm", 1, 1).await?;
        if let Some(f) = warm_direct.failures.first() {
            bail!("the warm-up direct unit failed: {f}");
        }
        let cli_version = cli_version(&rest).await.unwrap_or_default();

        let mut out = Vec::new();
        for (i, &limit) in opts.limits.iter().enumerate() {
            eprintln!(
                "tasks: {} tasks at once, limit {limit} (maxRunning = maxPerProject)…",
                opts.tasks
            );
            let tasks = task_round(&ctx, i + 1, limit, opts.tasks).await?;
            eprintln!(
                "  {}/{} completed, wall {:.1} s, queue→start p50 {:.0} ms",
                tasks.completed(),
                tasks.n,
                tasks.wall.as_secs_f64(),
                percentile(&sorted(tasks.queue_ms()), 50.0)
            );
            for (class, n, example) in tasks.failures() {
                eprintln!("  failed: {n} × {class}: {example}");
            }
            eprintln!(
                "direct: the same work without the scheduler, {} units, at most {limit} at once…",
                opts.tasks
            );
            let direct = direct_round(&ctx, &format!("r{}", i + 1), limit, opts.tasks).await?;
            eprintln!(
                "  {}/{} ok, wall {:.1} s",
                direct.units.len(),
                direct.n,
                direct.wall.as_secs_f64()
            );
            for f in &direct.failures {
                eprintln!("  {f}");
            }
            out.push(LimitResult { tasks, direct });
        }
        anyhow::Ok((cli_version, out))
    }
    .await;
    watcher.stop();
    result
}

/// The task round: submit `n` at once under `limit`, wait, read what the store says.
async fn task_round(
    ctx: &Ctx<'_>,
    round: usize,
    limit: usize,
    n: usize,
) -> anyhow::Result<TaskRound> {
    let rest = &ctx.rest;
    rest.expect(
        Method::PUT,
        "/api/scheduler",
        Some(&json!({"maxRunning": limit, "maxPerProject": limit})),
        200,
    )
    .await?;
    tokio::time::sleep(SETTLE).await;
    let events_before = ctx.watcher.counts();
    let before = Probe::take(ctx.pid)?;
    let done = AtomicBool::new(false);
    let work = async {
        let r = async {
            let t0 = Instant::now();
            let t0_ms = epoch_ms_now();
            let posts = join_all((0..n).map(|i| async move {
                let body = json!({
                    "projectId": ctx.project,
                    "type": "feature",
                    "title": format!("bench task {round}-{i}"),
                    "prompt": format!("{NEEDLE} {round}-{i}: write the bench file"),
                    "autoPR": false,
                });
                let t = Instant::now();
                let r = rest
                    .expect(Method::POST, "/api/tasks", Some(&body), 201)
                    .await;
                (t.elapsed(), r)
            }))
            .await;
            let mut ids = Vec::new();
            let mut refused = Vec::new();
            let mut submit_ms = Vec::new();
            for (took, r) in posts {
                submit_ms.push(took.as_secs_f64() * 1e3);
                match r.and_then(|v| {
                    v["id"]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| anyhow!("no id in {v}"))
                }) {
                    Ok(id) => ids.push(id),
                    Err(e) => refused.push(format!("{e:#}")),
                }
            }
            let ended = ctx
                .watcher
                .wait_ended(rest, Kind::Task, &ids, ROUND_LIMIT)
                .await;
            let last = ctx.watcher.last_end(Kind::Task, &ids);
            let wall = last.map_or_else(|| t0.elapsed(), |at| at.duration_since(t0));
            let after = Probe::take(ctx.pid)?;
            anyhow::Ok((ids, refused, submit_ms, ended, wall, t0_ms, after))
        }
        .await;
        done.store(true, Ordering::Relaxed);
        r
    };
    let (r, rss_peak, containers) = tokio::join!(
        work,
        rss_peak(&done, ctx.pid),
        container_peaks(&done, ctx.instance)
    );
    let (ids, refused, submit_ms, ended, wall, t0_ms, after) = r?;
    let idle = idle_upkeep(ctx).await?;

    // Unfinished tasks are reported, then cancelled so that they do not run into the next round.
    let unfinished = ids.len() - ended;
    if unfinished > 0 {
        eprintln!("  {unfinished} task(s) did not end within {ROUND_LIMIT:?}; cancelling them");
        for id in &ids {
            let _ = rest
                .send(Method::POST, &format!("/api/tasks/{id}/cancel"), None)
                .await;
        }
    }
    let tasks = join_all(ids.iter().map(|id| timing(rest, id))).await;
    let tasks: Vec<TaskTiming> = tasks.into_iter().collect::<anyhow::Result<_>>()?;
    delete_sandboxes(rest).await?;

    let server_span_ms = tasks
        .iter()
        .filter_map(|t| t.finished)
        .max()
        .map_or(f64::NAN, |f| (f - t0_ms) as f64);
    let ends: Vec<i64> = tasks.iter().filter_map(|t| t.finished).collect();
    let events_after = ctx.watcher.counts();
    let mut usage = usage(&before, &after, rss_peak, containers);
    (usage.idle_cpu_s, usage.idle_sandboxes) = idle;
    usage.linger_s = linger_s(&ends);
    Ok(TaskRound {
        limit,
        n,
        submit_ms,
        refused,
        wall,
        server_span_ms,
        tasks,
        unfinished,
        events: events_after.0 - events_before.0,
        resyncs: events_after.1 - events_before.1,
        usage,
    })
}

/// The store's view of one task: its record, its log, its run's end.
async fn timing(rest: &Rest, id: &str) -> anyhow::Result<TaskTiming> {
    let t = rest
        .expect(Method::GET, &format!("/api/tasks/{id}"), None, 200)
        .await?;
    let logs = rest
        .expect(Method::GET, &format!("/api/tasks/{id}/logs"), None, 200)
        .await?;
    let run = match t["runId"].as_str() {
        Some(run) => rest
            .expect(Method::GET, &format!("/api/runs/{run}"), None, 200)
            .await
            .ok(),
        None => None,
    };
    // `GET /api/runs/{id}` answers `{run, events}`.
    let run_at = |k: &str| {
        run.as_ref()
            .and_then(|r| r["run"][k].as_str().and_then(epoch_ms))
    };
    let at = |k: &str| t[k].as_str().and_then(epoch_ms);
    let text = |k: &str| t[k].as_str().map(str::to_owned);
    Ok(TaskTiming {
        id: id.to_string(),
        status: t["status"].as_str().unwrap_or_default().to_string(),
        attempt: t["attempt"].as_i64().unwrap_or(0),
        error_class: text("errorClass"),
        error: text("error"),
        created: at("createdAt").ok_or_else(|| anyhow!("no createdAt in {t}"))?,
        started: at("startedAt"),
        finished: at("finishedAt"),
        run_created: run_at("createdAt"),
        run_finished: run_at("finishedAt"),
        logs: logs
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| {
                Some((
                    epoch_ms(l["at"].as_str()?)?,
                    l["message"].as_str()?.to_string(),
                ))
            })
            .collect(),
    })
}

/// The direct round: `n` units of the tasks' work without the scheduler, `concurrency` at once.
async fn direct_round(
    ctx: &Ctx<'_>,
    tag: &str,
    concurrency: usize,
    n: usize,
) -> anyhow::Result<DirectRound> {
    tokio::time::sleep(SETTLE).await;
    let events_before = ctx.watcher.counts().0;
    let before = Probe::take(ctx.pid)?;
    let done = AtomicBool::new(false);
    let work = async {
        let r = async {
            let t0 = Instant::now();
            let results: Vec<(usize, anyhow::Result<Unit>)> = stream::iter(0..n)
                .map(|i| async move { (i, unit(ctx, tag, i).await) })
                .buffer_unordered(concurrency)
                .collect()
                .await;
            let wall = t0.elapsed();
            let after = Probe::take(ctx.pid)?;
            anyhow::Ok((results, wall, after))
        }
        .await;
        done.store(true, Ordering::Relaxed);
        r
    };
    let (r, rss_peak, containers) = tokio::join!(
        work,
        rss_peak(&done, ctx.pid),
        container_peaks(&done, ctx.instance)
    );
    let (results, wall, after) = r?;
    let idle = idle_upkeep(ctx).await?;
    let mut units = Vec::new();
    let mut failures = Vec::new();
    for (i, r) in results {
        match r {
            Ok(u) => units.push(u),
            Err(e) => failures.push(format!("unit {i}: {e:#}")),
        }
    }
    delete_sandboxes(&ctx.rest).await?;
    let ends: Vec<i64> = units.iter().map(|u| u.end_ms).collect();
    let mut usage = usage(&before, &after, rss_peak, containers);
    (usage.idle_cpu_s, usage.idle_sandboxes) = idle;
    usage.linger_s = linger_s(&ends);
    Ok(DirectRound {
        concurrency,
        n,
        events: ctx.watcher.counts().0 - events_before,
        units,
        failures,
        wall,
        usage,
    })
}

/// A sandbox on a new branch of the project, the same prompt as a task's, then commit and push;
/// the unit's times.
async fn unit(ctx: &Ctx<'_>, tag: &str, i: usize) -> anyhow::Result<Unit> {
    let rest = &ctx.rest;
    let t0 = Instant::now();
    let sb = rest
        .expect(
            Method::POST,
            "/api/sandboxes",
            Some(&json!({
                "name": format!("direct-{tag}-{i}"),
                "projectId": ctx.project,
                "branch": format!("bench/direct-{tag}-{i}"),
                "setup": false,
            })),
            201,
        )
        .await?;
    let sb = sb["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no id in {sb}"))?
        .to_string();
    let create = t0.elapsed();
    let t1 = Instant::now();
    let run = rest
        .expect(
            Method::POST,
            &format!("/api/sandboxes/{sb}/runs"),
            Some(&json!({
                "prompt": format!("{NEEDLE} direct {tag}-{i}: write the bench file"),
                "permissionMode": "bypassPermissions",
            })),
            201,
        )
        .await?;
    let run = run["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no id in {run}"))?
        .to_string();
    let ended = ctx
        .watcher
        .wait_ended(rest, Kind::Run, std::slice::from_ref(&run), ROUND_LIMIT)
        .await;
    ensure!(ended == 1, "run {run} did not end within {ROUND_LIMIT:?}");
    let run_ms = t1.elapsed();
    let seen_ms = epoch_ms_now();
    let r = rest
        .expect(Method::GET, &format!("/api/runs/{run}"), None, 200)
        .await?;
    // `GET /api/runs/{id}` answers `{run, events}`.
    let run_at = |k: &str| r["run"][k].as_str().and_then(epoch_ms);
    let (run_created, run_finished) = (run_at("createdAt"), run_at("finishedAt"));
    ensure!(
        r["run"]["status"] == "completed",
        "run {run} ended {}: {}",
        r["run"]["status"],
        r["run"]["result"]
    );
    let t2 = Instant::now();
    let st = rest
        .expect(
            Method::GET,
            &format!("/api/sandboxes/{sb}/git/status"),
            None,
            200,
        )
        .await?;
    ensure!(
        st["dirty"].as_u64().unwrap_or(0) > 0,
        "Claude left no change in sandbox {sb}: {st}"
    );
    rest.expect(
        Method::POST,
        &format!("/api/sandboxes/{sb}/commit"),
        Some(&json!({"message": format!("direct {tag}-{i}")})),
        201,
    )
    .await?;
    rest.expect(
        Method::POST,
        &format!("/api/sandboxes/{sb}/push"),
        None,
        200,
    )
    .await?;
    let git = t2.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok(Unit {
        create_ms: ms(create),
        run_ms: ms(run_ms),
        run_record_ms: match (run_created, run_finished) {
            (Some(a), Some(b)) => (b - a) as f64,
            _ => f64::NAN,
        },
        seen_lag_ms: run_finished.map_or(f64::NAN, |f| (seen_ms - f) as f64),
        git_ms: ms(git),
        total_ms: ms(t0.elapsed()),
        end_ms: epoch_ms_now(),
    })
}

/// Deletes every sandbox the server lists, all at once.
async fn delete_sandboxes(rest: &Rest) -> anyhow::Result<()> {
    let list = rest
        .expect(Method::GET, "/api/sandboxes", None, 200)
        .await?;
    let ids: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["state"] != "destroyed")
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    let deleted = join_all(ids.iter().map(|id| async move {
        let path = format!("/api/sandboxes/{id}");
        match rest.send(Method::DELETE, &path, None).await? {
            (204 | 200 | 404, _) => Ok(()),
            (s, v) => Err(anyhow!("DELETE {path} answered {s}: {v}")),
        }
    }))
    .await;
    deleted.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(())
}

/// Imports `repo` by its path and waits until the project is ready; its id.
async fn import(rest: &Rest, repo: &Path) -> anyhow::Result<String> {
    let p = rest
        .expect(
            Method::POST,
            "/api/github/import",
            Some(&json!({"repository": repo.display().to_string()})),
            201,
        )
        .await?;
    let id = p["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no id in {p}"))?
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut status = p["status"].as_str().unwrap_or_default().to_string();
    while status != "ready" {
        ensure!(
            Instant::now() < deadline,
            "project {id} is still {status:?} after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        let p = rest
            .expect(Method::GET, &format!("/api/projects/{id}"), None, 200)
            .await?;
        status = p["status"]
            .as_str()
            .or(p["project"]["status"].as_str())
            .unwrap_or_default()
            .to_string();
    }
    Ok(id)
}

async fn cli_version(rest: &Rest) -> anyhow::Result<String> {
    let s = rest
        .expect(Method::GET, "/api/claude/status", None, 200)
        .await?;
    Ok(s["sandboxCliVersion"]
        .as_str()
        .unwrap_or("unknown")
        .to_string())
}

/// A Git repository with a few files on `main`, made with the host's `git`.
fn make_repo(dir: &Path) -> anyhow::Result<PathBuf> {
    let repo = dir.join("bench-app");
    std::fs::create_dir_all(repo.join("src"))?;
    std::fs::write(
        repo.join("README.md"),
        "# Bench app\n\nA project for the AnyCode tasks bench.\n",
    )?;
    std::fs::write(repo.join("src/greeting.txt"), "hello\n")?;
    std::fs::write(repo.join("notes.md"), "- one\n- two\n")?;
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args([
                "-c",
                "user.name=AnyCode Bench",
                "-c",
                "user.email=bench@anycode.invalid",
            ])
            .args(args)
            .output()
            .context("cannot run git")?;
        ensure!(
            out.status.success(),
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "."])?;
    git(&["commit", "-q", "-m", "initial"])?;
    Ok(repo)
}

// ---------- measuring ----------

/// CPU and memory of the server and the machine at one moment.
struct Probe {
    server_cpu_s: f64,
    children_cpu_s: f64,
    machine_busy_s: f64,
    rss_kib: u64,
}

impl Probe {
    fn take(pid: u32) -> anyhow::Result<Self> {
        let (own, children) = proc_cpu(pid)?;
        Ok(Self {
            server_cpu_s: own,
            children_cpu_s: children,
            machine_busy_s: machine_busy_s()?,
            rss_kib: rss_kib(pid)?,
        })
    }
}

fn usage(before: &Probe, after: &Probe, rss_peak_kib: (u64, u64), c: Containers) -> Usage {
    Usage {
        server_cpu_s: after.server_cpu_s - before.server_cpu_s,
        children_cpu_s: after.children_cpu_s - before.children_cpu_s,
        machine_busy_s: after.machine_busy_s - before.machine_busy_s,
        rss_before_kib: before.rss_kib,
        rss_peak_kib: rss_peak_kib.0.max(before.rss_kib).max(after.rss_kib),
        hwm_kib: rss_peak_kib.1,
        containers_peak_sum: c.peak_sum,
        containers_at_peak: c.at_peak,
        container_peaks: c.peaks.into_values().collect(),
        stats_rounds: c.rounds,
        ..Usage::default()
    }
}

/// Server CPU over [`IDLE_WINDOW`] with the round's sandboxes idle, and how many are alive.
async fn idle_upkeep(ctx: &Ctx<'_>) -> anyhow::Result<(f64, usize)> {
    let (from, _) = proc_cpu(ctx.pid)?;
    tokio::time::sleep(IDLE_WINDOW).await;
    let (to, _) = proc_cpu(ctx.pid)?;
    let live = ctx
        .rest
        .expect(Method::GET, "/api/sandboxes", None, 200)
        .await?
        .as_array()
        .map_or(0, |a| {
            a.iter().filter(|s| s["state"] != "destroyed").count()
        });
    Ok((to - from, live))
}

/// Σ (last end − end), in seconds: how long finished items' sandboxes stayed idle in the round.
fn linger_s(ends: &[i64]) -> f64 {
    let last = ends.iter().copied().max().unwrap_or(0);
    ends.iter().map(|e| (last - e) as f64 / 1e3).sum()
}

/// `(utime + stime, cutime + cstime)` of `pid`, in seconds.
fn proc_cpu(pid: u32) -> anyhow::Result<(f64, f64)> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_stat_cpu(&stat).ok_or_else(|| anyhow!("bad {path}"))
}

fn parse_stat_cpu(stat: &str) -> Option<(f64, f64)> {
    // After `(comm)`: field 3 (state) first; utime 14, stime 15, cutime 16, cstime 17.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let [u, s, cu, cs] = f[..] else { return None };
    Some(((u + s) / TICKS, (cu + cs) / TICKS))
}

/// Busy time of all CPUs so far (the `cpu` line of `/proc/stat` less idle and iowait), in s.
fn machine_busy_s() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .ok_or_else(|| anyhow!("no cpu line in /proc/stat"))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|x| x.parse().ok())
        .collect();
    ensure!(v.len() >= 5, "short cpu line in /proc/stat: {line}");
    let total: f64 = v.iter().sum();
    Ok((total - v[3] - v[4]) / TICKS)
}

/// `VmHWM` of `pid` in KiB.
fn hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The highest `VmRSS` while `done` is false, and `VmHWM` at the end.
async fn rss_peak(done: &AtomicBool, pid: u32) -> (u64, u64) {
    let mut peak = 0;
    while !done.load(Ordering::Relaxed) {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        tokio::time::sleep(RSS_EVERY).await;
    }
    (peak, hwm_kib(pid))
}

#[derive(Default)]
struct Containers {
    peak_sum: u64,
    at_peak: usize,
    peaks: HashMap<String, u64>,
    rounds: usize,
}

/// `docker stats` rounds over this instance's running containers while `done` is false.
async fn container_peaks(done: &AtomicBool, instance: &str) -> Containers {
    let mut c = Containers::default();
    while !done.load(Ordering::Relaxed) {
        // A container that comes or goes between `ps` and `stats` fails the round: skip it.
        if let Ok(round) = container_round(instance).await {
            c.rounds += 1;
            let sum: u64 = round.iter().map(|(_, b)| b).sum();
            if sum > c.peak_sum {
                c.peak_sum = sum;
                c.at_peak = round.len();
            }
            for (id, bytes) in round {
                let p = c.peaks.entry(id).or_default();
                *p = (*p).max(bytes);
            }
        }
        tokio::time::sleep(STATS_GAP).await;
    }
    c
}

async fn container_round(instance: &str) -> anyhow::Result<Vec<(String, u64)>> {
    let filter = format!("label=anycode.instance={instance}");
    let ps = Command::new("docker")
        .args(["ps", "-q", "--filter", &filter])
        .output()
        .await?;
    ensure!(ps.status.success(), "docker ps failed");
    let ids: Vec<String> = String::from_utf8(ps.stdout)?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let out = Command::new("docker")
        .args([
            "stats",
            "--no-stream",
            "--format",
            "{{.Container}} {{.MemUsage}}",
        ])
        .args(&ids)
        .output()
        .await?;
    ensure!(out.status.success(), "docker stats failed");
    String::from_utf8(out.stdout)?
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(id, usage)| Ok((id.to_string(), mem_usage_bytes(usage)?)))
        .collect()
}

// ---------- the server's API and events ----------

/// REST calls with any method; the status and the JSON answer.
#[derive(Clone)]
struct Rest {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Rest {
    fn new(port: u16, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
            token: token.to_string(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status().as_u16();
        let text = res
            .text()
            .await
            .with_context(|| format!("{method} {path}: body"))?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// [`Rest::send`], expecting `want`.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.send(method.clone(), path, body).await?;
        ensure!(status == want, "{method} {path} answered {status}: {value}");
        Ok(value)
    }
}

/// The token the server was started with (`--token` on its command line; the bench's
/// [`crate::server::Server`] keeps it private).
fn server_token(pid: u32) -> anyhow::Result<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    token_from_cmdline(&raw).ok_or_else(|| anyhow!("no --token on the server's command line"))
}

fn token_from_cmdline(raw: &[u8]) -> Option<String> {
    let args: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
    args.windows(2)
        .find(|w| w[0] == b"--token")
        .map(|w| String::from_utf8_lossy(w[1]).into_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Task,
    Run,
}

impl Kind {
    fn ended(self, status: &str) -> bool {
        match self {
            Kind::Task => matches!(status, "completed" | "failed" | "cancelled"),
            Kind::Run => matches!(status, "completed" | "failed"),
        }
    }
}

#[derive(Default)]
struct Seen {
    /// Task or run id → (latest status, when first seen ended).
    tasks: HashMap<String, (String, Option<Instant>)>,
    runs: HashMap<String, (String, Option<Instant>)>,
    events: usize,
    resyncs: usize,
}

impl Seen {
    fn map(&mut self, kind: Kind) -> &mut HashMap<String, (String, Option<Instant>)> {
        match kind {
            Kind::Task => &mut self.tasks,
            Kind::Run => &mut self.runs,
        }
    }

    fn update(&mut self, kind: Kind, id: &str, status: &str, at: Instant) {
        let e = self
            .map(kind)
            .entry(id.to_string())
            .or_insert_with(|| (String::new(), None));
        if e.1.is_some() {
            return; // an end is final
        }
        e.0 = status.to_string();
        if kind.ended(status) {
            e.1 = Some(at);
        }
    }
}

/// `/ws/events`, read on its own task: the latest status of every task and run.
struct Watcher {
    seen: Arc<Mutex<Seen>>,
    tick: watch::Receiver<u64>,
    reader: tokio::task::JoinHandle<()>,
}

fn lock(m: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watcher {
    async fn start(port: u16, token: &str) -> anyhow::Result<Self> {
        let url = format!("ws://127.0.0.1:{port}/ws/events?token={token}");
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("connecting to /ws/events")?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (tx, tick) = watch::channel(0u64);
        let s = Arc::clone(&seen);
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                let now = Instant::now();
                {
                    let mut seen = lock(&s);
                    seen.events += 1;
                    let p = &v["payload"];
                    let status = p["status"].as_str().unwrap_or_default();
                    match (v["type"].as_str(), p["id"].as_str()) {
                        (Some("task"), Some(id)) => seen.update(Kind::Task, id, status, now),
                        (Some("run"), Some(id)) => seen.update(Kind::Run, id, status, now),
                        (Some("resync"), _) => seen.resyncs += 1,
                        _ => {}
                    }
                }
                tx.send_modify(|n| *n += 1);
            }
        });
        Ok(Self { seen, tick, reader })
    }

    fn stop(&self) {
        self.reader.abort();
    }

    /// `(events, resyncs)` so far.
    fn counts(&self) -> (usize, usize) {
        let s = lock(&self.seen);
        (s.events, s.resyncs)
    }

    fn ended(&self, kind: Kind, ids: &[String]) -> usize {
        let mut s = lock(&self.seen);
        let m = s.map(kind);
        ids.iter()
            .filter(|id| m.get(*id).is_some_and(|e| e.1.is_some()))
            .count()
    }

    /// When the last of `ids` was first seen ended.
    fn last_end(&self, kind: Kind, ids: &[String]) -> Option<Instant> {
        let mut s = lock(&self.seen);
        let m = s.map(kind);
        ids.iter().filter_map(|id| m.get(id)?.1).max()
    }

    /// Waits until every one of `ids` has ended, or `limit` passed; how many ended.
    async fn wait_ended(&self, rest: &Rest, kind: Kind, ids: &[String], limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        let mut tick = self.tick.clone();
        let mut next_poll = Instant::now() + POLL_EVERY;
        loop {
            tick.borrow_and_update();
            let ended = self.ended(kind, ids);
            let now = Instant::now();
            if ended == ids.len() || now >= deadline {
                return ended;
            }
            if now >= next_poll {
                self.poll(rest, kind, ids).await;
                next_poll = Instant::now() + POLL_EVERY;
                continue;
            }
            let wake = tokio::time::Instant::from_std(next_poll.min(deadline));
            tokio::select! {
                r = tick.changed() => if r.is_err() {
                    // The event socket closed: fall back to polling.
                    tokio::time::sleep_until(wake).await;
                },
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// Reads the statuses through the REST API (after a missed event or a `resync`).
    async fn poll(&self, rest: &Rest, kind: Kind, ids: &[String]) {
        let now = Instant::now();
        match kind {
            Kind::Task => {
                if let Ok(list) = rest.expect(Method::GET, "/api/tasks", None, 200).await {
                    let mut s = lock(&self.seen);
                    for t in list.as_array().into_iter().flatten() {
                        if let (Some(id), Some(st)) = (t["id"].as_str(), t["status"].as_str()) {
                            s.update(Kind::Task, id, st, now);
                        }
                    }
                }
            }
            Kind::Run => {
                for id in ids {
                    if let Ok(r) = rest
                        .expect(Method::GET, &format!("/api/runs/{id}"), None, 200)
                        .await
                    {
                        let st = r["run"]["status"].as_str().unwrap_or_default();
                        lock(&self.seen).update(Kind::Run, id, st, now);
                    }
                }
            }
        }
    }
}

/// A prompt with [`NEEDLE`] gets a `Write` of [`WRITTEN`], then a short text; anything else the
/// echo.
fn mock_script() -> Script {
    Script::echo().rule(
        NEEDLE,
        [
            Turn::tool_use(
                "Write",
                json!({"file_path": WRITTEN, "content": "written by the AnyCode tasks bench\n"}),
            ),
            Turn::text("Wrote the bench file."),
        ],
    )
}

// ---------- time ----------

fn epoch_ms_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Milliseconds since the epoch of the store's RFC 3339 times (`2026-11-28T14:05:38.808Z`).
fn epoch_ms(s: &str) -> Option<i64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    let ms: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm), the inverse of the store's formatting.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms)
}

// ---------- the table and the JSON ----------

impl TasksReport {
    fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let ms = |v: &[f64]| {
            let s = sorted(v.to_vec());
            if s.is_empty() {
                return "–".to_string();
            }
            format!(
                "{:.0} / {:.0} / {:.0} ms",
                percentile(&s, 50.0),
                percentile(&s, 95.0),
                percentile(&s, 100.0)
            )
        };
        for l in &self.limits {
            let t = &l.tasks;
            let d = &l.direct;
            let p = format!("L={:<2}", t.limit);
            let ok = t.completed();
            rows.push(check(
                format!("{p} tasks completed"),
                format!("{ok}/{}", t.n),
                "all",
                ok == t.n,
            ));
            for (class, n, example) in t.failures() {
                let example: String = example.chars().take(60).collect();
                rows.push(row(
                    format!("{p}   failed: {class}"),
                    format!("{n} ({example})"),
                ));
            }
            rows.push(row(
                format!("{p} wall, first submit → last done"),
                format!("{:.1} s", t.wall.as_secs_f64()),
            ));
            rows.push(row(
                format!("{p} POST /api/tasks ×{} p50/p95/max", t.n),
                ms(&t.submit_ms),
            ));
            rows.push(row(
                format!("{p} queue → start p50/p95/max"),
                ms(&t.queue_ms()),
            ));
            rows.push(row(
                format!("{p} sched: free slot → claim p50/p95/max"),
                ms(&t.dispatch_ms()),
            ));
            if t.limit < t.n {
                rows.push(row(
                    format!("{p} sched: slot freed → claim p50/p95/max"),
                    ms(&t.handoff_ms()),
                ));
            }
            rows.push(row(
                format!("{p} sched: claim → driver p50/p95/max"),
                ms(&t.launch_ms()),
            ));
            for (name, v) in t.phase_ms() {
                rows.push(row(format!("{p}   phase {name}"), ms(&v)));
            }
            rows.push(row(
                format!("{p} task work (start→end) p50/p95/max"),
                ms(&t.work_ms()),
            ));
            rows.push(check(
                format!("{p} direct units ok"),
                format!("{}/{}", d.units.len(), d.n),
                "all",
                d.units.len() == d.n,
            ));
            rows.push(row(
                format!("{p} direct wall (≤{} at once)", d.concurrency),
                format!("{:.1} s", d.wall.as_secs_f64()),
            ));
            rows.push(row(
                format!("{p} direct unit p50/p95/max"),
                ms(&d.col(|u| u.total_ms)),
            ));
            rows.push(row(
                format!("{p}   direct create / run / git p50"),
                format!(
                    "{:.0} / {:.0} / {:.0} ms",
                    percentile(&sorted(d.col(|u| u.create_ms)), 50.0),
                    percentile(&sorted(d.col(|u| u.run_ms)), 50.0),
                    percentile(&sorted(d.col(|u| u.git_ms)), 50.0)
                ),
            ));
            rows.push(row(
                format!("{p} claude run record p50, tasks / direct"),
                format!(
                    "{:.0} / {:.0} ms",
                    percentile(&sorted(t.run_record_ms()), 50.0),
                    percentile(&sorted(d.col(|u| u.run_record_ms)), 50.0)
                ),
            ));
            rows.push(row(
                format!("{p} task work − direct unit (p50)"),
                format!("{:+.0} ms", l.work_overhead_p50()),
            ));
            rows.push(row(
                format!("{p} wall tasks / direct"),
                format!(
                    "{:.2}",
                    t.wall.as_secs_f64() / d.wall.as_secs_f64().max(1e-9)
                ),
            ));
            rows.push(row(
                format!("{p} server CPU tasks / direct"),
                format!(
                    "{:.2} / {:.2} s",
                    t.usage.server_cpu_s, d.usage.server_cpu_s
                ),
            ));
            rows.push(row(
                format!("{p} server CPU per task / per unit"),
                format!(
                    "{:.3} / {:.3} s",
                    t.usage.server_cpu_s / t.n as f64,
                    d.usage.server_cpu_s / d.n as f64
                ),
            ));
            rows.push(row(
                format!("{p} task machinery CPU per task (ratio)"),
                format!(
                    "{:+.3} s ({:.2}×)",
                    l.cpu_overhead_per_task(),
                    l.cpu_ratio()
                ),
            ));
            rows.push(row(
                format!("{p} /ws/events messages tasks / direct"),
                format!("{} / {}", t.events, d.events),
            ));
            rows.push(row(
                format!("{p} idle upkeep per sandbox (t / d)"),
                format!(
                    "{:.1} / {:.1} ms CPU/s",
                    t.usage.idle_rate() * 1e3,
                    d.usage.idle_rate() * 1e3
                ),
            ));
            rows.push(row(
                format!("{p} same, less idle upkeep of finished"),
                format!(
                    "{:+.3} s ({:.2}×)",
                    l.busy_cpu_overhead_per_task(),
                    l.busy_cpu_ratio()
                ),
            ));
            rows.push(row(
                format!("{p} host git (server children) CPU t/d"),
                format!(
                    "{:.2} / {:.2} s",
                    t.usage.children_cpu_s, d.usage.children_cpu_s
                ),
            ));
            rows.push(row(
                format!("{p} machine busy CPU tasks / direct"),
                format!(
                    "{:.0} / {:.0} s",
                    t.usage.machine_busy_s, d.usage.machine_busy_s
                ),
            ));
            rows.push(row(
                format!("{p} server RSS before / peak (tasks)"),
                format!(
                    "{:.1} / {:.1} MB",
                    Rss::mb(t.usage.rss_before_kib),
                    Rss::mb(t.usage.rss_peak_kib)
                ),
            ));
            rows.push(row(
                format!("{p} server RSS peak (direct)"),
                format!("{:.1} MB", Rss::mb(d.usage.rss_peak_kib)),
            ));
            rows.push(row(
                format!("{p} containers peak sum (tasks / direct)"),
                format!(
                    "{:.0} MB ({}) / {:.0} MB ({})",
                    t.usage.containers_peak_sum as f64 / 1e6,
                    t.usage.containers_at_peak,
                    d.usage.containers_peak_sum as f64 / 1e6,
                    d.usage.containers_at_peak
                ),
            ));
            rows.push(row(
                format!("{p} container peak avg / max (tasks)"),
                format!(
                    "{:.0} / {:.0} MB",
                    mean(&t.usage.container_peaks) / 1e6,
                    t.usage.container_peaks.iter().copied().max().unwrap_or(0) as f64 / 1e6
                ),
            ));
        }
        rows
    }

    pub fn table(&self) -> String {
        let n = self.limits.first().map_or(0, |l| l.tasks.n);
        let header = format!(
            "AnyCode tasks bench ({} CPUs, load average {:.2} before / {:.2} after; MB = 10^6 bytes)\n  {n} tasks at once per round (mock model: Write tool call + text; local Git origin; autoPR off), image {IMAGE}, claude {}\n  direct = the same work without the scheduler (POST /api/sandboxes + runs + commit + push), ≤ L at once\n  sched rows = the scheduler's own latency: free slot → claim (createdAt → startedAt), slot freed → claim (k-th finish → k-th waiting start), claim → the driver's first log line",
            cpus(),
            self.load.0,
            self.load.1,
            self.cli_version,
        );
        table(&header, &self.rows())
    }

    pub fn to_json(&self) -> Value {
        json!({
            "cpus": cpus(),
            "load_average": [self.load.0, self.load.1],
            "image": IMAGE,
            "claude_version": self.cli_version,
            "rounds": self.limits.iter().map(|l| json!({
                "limit": l.tasks.limit,
                "tasks": l.tasks.to_json(),
                "direct": l.direct.to_json(),
                "server_cpu_overhead_per_task_s": l.cpu_overhead_per_task(),
                "server_cpu_ratio_tasks_to_direct": l.cpu_ratio(),
                "server_cpu_overhead_per_task_less_idle_upkeep_s": l.busy_cpu_overhead_per_task(),
                "server_cpu_ratio_less_idle_upkeep": l.busy_cpu_ratio(),
                "work_overhead_p50_ms": l.work_overhead_p50(),
            })).collect::<Vec<_>>(),
            "targets": targets_json(&self.rows()),
        })
    }

    /// One line with the headline figures.
    pub fn summary(&self) -> Value {
        let p = |v: Vec<f64>, q: f64| percentile(&sorted(v), q);
        json!({
            "part": "tasks",
            "rounds": self.limits.iter().map(|l| {
                let t = &l.tasks;
                json!({
                    "limit": t.limit,
                    "tasks": t.n,
                    "completed": t.completed(),
                    "wall_s": (t.wall.as_secs_f64() * 10.0).round() / 10.0,
                    "direct_wall_s": (l.direct.wall.as_secs_f64() * 10.0).round() / 10.0,
                    "queue_p50_ms": p(t.queue_ms(), 50.0),
                    "queue_p95_ms": p(t.queue_ms(), 95.0),
                    "dispatch_p50_ms": p(t.dispatch_ms(), 50.0),
                    "handoff_p50_ms": p(t.handoff_ms(), 50.0),
                    "claim_to_driver_p50_ms": p(t.launch_ms(), 50.0),
                    "server_cpu_per_task_s": t.usage.server_cpu_s / t.n as f64,
                    "direct_server_cpu_per_unit_s": l.direct.usage.server_cpu_s / l.direct.n as f64,
                    "server_cpu_ratio": l.cpu_ratio(),
                    "server_cpu_overhead_per_task_less_idle_s": l.busy_cpu_overhead_per_task(),
                    "server_cpu_ratio_less_idle": l.busy_cpu_ratio(),
                    "server_rss_peak_mb": Rss::mb(t.usage.rss_peak_kib),
                    "containers_peak_sum_mb": t.usage.containers_peak_sum as f64 / 1e6,
                })
            }).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_store_times() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(epoch_ms("2000-03-01T00:00:00.000Z"), Some(951_868_800_000));
        assert_eq!(
            epoch_ms("2026-11-28T14:05:38.808Z"),
            Some(1_795_874_738_808)
        );
        assert_eq!(epoch_ms("2024-02-29T23:59:59.5Z"), Some(1_709_251_199_500));
        assert_eq!(epoch_ms("not a time"), None);
    }

    #[test]
    fn reads_cpu_times_from_proc_stat() {
        let stat = "123 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 30 20 0 0";
        assert_eq!(parse_stat_cpu(stat), Some((3.0, 0.5)));
        assert_eq!(parse_stat_cpu("123 (x) S 1"), None);
    }

    #[test]
    fn finds_the_token_on_the_command_line() {
        let raw = b"/bin/anycode\0serve\0--port\x000\0--token\0bench-42\0--data-dir\0/tmp/x\0";
        assert_eq!(token_from_cmdline(raw).as_deref(), Some("bench-42"));
        assert_eq!(token_from_cmdline(b"anycode\0serve\0"), None);
    }

    #[test]
    fn matches_waiting_starts_with_finishes() {
        // Slots freed at 100, 150, 300; the waiting tasks started at 103, 152, 301.
        assert_eq!(
            handoffs(&[103, 152, 301], &[100, 150, 300, 400, 500]),
            vec![3.0, 2.0, 1.0]
        );
    }

    #[test]
    fn splits_a_task_into_phases() {
        let t = TaskTiming {
            id: "t".into(),
            status: "completed".into(),
            attempt: 1,
            error_class: None,
            error: None,
            created: 0,
            started: Some(10),
            finished: Some(900),
            run_created: Some(305),
            run_finished: Some(600),
            logs: vec![
                (0, "queued".into()),
                (12, "started (attempt 1)".into()),
                (300, "sandbox task-1 on branch anycode/task-1".into()),
                (310, "started Claude (headless)".into()),
                (700, "committed the work".into()),
                (850, "pushed anycode/task-1".into()),
                (900, "completed".into()),
            ],
        };
        let d: Vec<Option<i64>> = phases(&t)
            .iter()
            .map(|(_, a, b)| Some(b.as_ref()? - a.as_ref()?))
            .collect();
        assert_eq!(
            d,
            vec![
                Some(2),
                Some(288),
                Some(10),
                Some(290),
                Some(100),
                Some(150),
                Some(50)
            ]
        );
    }
}
