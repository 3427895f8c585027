//! Sandboxes end to end against `anycode serve --sandbox-driver docker`, each part on a fresh
//! server in a throw-away data dir:
//! - **start** — `POST /api/sandboxes` → `POST /api/terminals` (`/bin/sh` in it) → its prompt
//!   over the WebSocket, for N fresh sandboxes one after another (each deleted before the next).
//!   Interleaved with the same engine without AnyCode: `docker run --rm IMAGE true` and
//!   `docker run -d IMAGE sleep infinity` (create + start only, the closer match);
//! - **memory** — N idle sandboxes, each with one terminal shown at its prompt to a WebSocket
//!   that then closed: the server's RSS growth, each container's memory (`docker stats`) and
//!   its `containerd-shim`'s RSS, per sandbox.
//!
//! Every sandbox is deleted through the API; as a safety net, containers labelled with this
//! server's instance id (and the baseline's own containers) are then removed with `docker rm -f`.
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context};
use serde_json::{json, Value};

use crate::client::Api;
use crate::memory::{rss_kib, MemoryResult as Rss};
use crate::report::{check, cpus, load_average, percentile, row, table, targets_json, Row};
use crate::server::Server;

pub const IMAGE: &str = "anycode-sandbox:latest";
const PROMPT: &str = "READY$ ";
const PROMPT_LIMIT: Duration = Duration::from_secs(60);
/// Time for the server and the containers to settle before memory is read.
const SETTLE: Duration = Duration::from_secs(2);
/// Marks the baseline's own containers so that a failed run still removes them.
const BASELINE_LABEL: &str = "anycode.bench";

/// Durations in milliseconds, in the order measured.
#[derive(Default)]
pub struct Samples(Vec<f64>);

impl Samples {
    fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    pub fn p(&self, p: f64) -> f64 {
        percentile(&self.sorted(), p)
    }

    fn to_json(&self) -> Value {
        let s = self.sorted();
        json!({
            "p50_ms": percentile(&s, 50.0),
            "p95_ms": percentile(&s, 95.0),
            "min_ms": s.first(),
            "max_ms": s.last(),
            "samples_ms": self.0,
        })
    }
}

#[derive(Default)]
pub struct StartResult {
    /// `POST /api/sandboxes` → prompt.
    pub total: Samples,
    /// `POST /api/sandboxes` until its `201`.
    pub create: Samples,
    /// `POST /api/terminals` → prompt.
    pub prompt: Samples,
    /// `docker run --rm … true`.
    pub docker_run: Samples,
    /// `docker run -d … sleep infinity`.
    pub docker_start: Samples,
}

pub struct IdleResult {
    pub sandboxes: usize,
    pub rss0_kib: u64,
    pub rss_n_kib: u64,
    /// Per container, from `docker stats`.
    pub container_bytes: Vec<u64>,
    /// Per container, the RSS of its `containerd-shim` (the parent of its PID 1).
    pub shim_kib: Vec<u64>,
}

impl IdleResult {
    pub fn server_mb_per_sandbox(&self) -> f64 {
        Rss::mb(self.rss_n_kib.saturating_sub(self.rss0_kib)) / self.sandboxes as f64
    }

    pub fn container_mb(&self) -> f64 {
        mean(&self.container_bytes) / 1e6
    }

    pub fn shim_mb(&self) -> f64 {
        mean(&self.shim_kib) * 1024.0 / 1e6
    }
}

fn mean(v: &[u64]) -> f64 {
    v.iter().sum::<u64>() as f64 / v.len().max(1) as f64
}

pub struct SandboxReport {
    pub load: (f64, f64),
    pub start: StartResult,
    pub idle: IdleResult,
}

pub async fn run(bin: &Path, count: usize, idle: usize) -> anyhow::Result<SandboxReport> {
    docker(&["image", "inspect", "--format", "{{.Id}}", IMAGE])
        .with_context(|| format!("is Docker up, with {IMAGE} built (scripts/sandbox-image)?"))?;
    let load_before = load_average();

    eprintln!("sandbox start: {count} sandboxes one after another, with the docker baseline…");
    let server = DockerServer::start(bin).await?;
    let start = start_times(&server.api(), count).await;
    server.finish().await?;
    let start = start.context("sandbox start test")?;

    eprintln!("sandbox memory: {idle} idle sandboxes…");
    let server = DockerServer::start(bin).await?;
    let idle = idle_memory(&server, idle).await;
    server.finish().await?;
    let idle = idle.context("sandbox memory test")?;

    Ok(SandboxReport {
        load: (load_before, load_average()),
        start,
        idle,
    })
}

/// `anycode serve --sandbox-driver docker` and the instance id its containers are labelled with.
pub struct DockerServer {
    pub server: Server,
    pub instance: String,
}

impl DockerServer {
    async fn start(bin: &Path) -> anyhow::Result<Self> {
        Self::start_with(bin, &[], &[], &[]).await
    }

    /// [`Server::start_env`] with `--sandbox-driver docker` and `extra` arguments.
    pub async fn start_with(
        bin: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
        unset: &[&str],
    ) -> anyhow::Result<Self> {
        let args = [&["--sandbox-driver", "docker"][..], extra].concat();
        let server = Server::start_env(bin, &args, env, unset).await?;
        // The server prints its URL before it is built: wait until it answers, then the
        // instance id is written.
        server.api().get("/api/sandboxes").await?;
        let path = server.data_dir().join("instance-id");
        let instance = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .trim()
            .to_string();
        ensure!(!instance.is_empty(), "{} is empty", path.display());
        Ok(Self { server, instance })
    }

    pub fn api(&self) -> Api {
        self.server.api()
    }

    /// Deletes every sandbox through the API, stops the server, then removes whatever
    /// container of this instance (or of the baseline) is left.
    pub async fn finish(self) -> anyhow::Result<()> {
        let api = self.api();
        let deleted = async {
            for sb in api
                .get("/api/sandboxes")
                .await?
                .as_array()
                .into_iter()
                .flatten()
            {
                let id = sb["id"].as_str().ok_or_else(|| anyhow!("no id in {sb}"))?;
                api.delete(&format!("/api/sandboxes/{id}")).await?;
            }
            anyhow::Ok(())
        }
        .await;
        self.server.stop().await?;
        let instance = format!("label=anycode.instance={}", self.instance);
        let ours = [
            "--filter",
            "label=app=anycode-sandbox",
            "--filter",
            &instance,
        ];
        let baseline = ["--filter", &format!("label={BASELINE_LABEL}")];
        for filters in [&ours[..], &baseline[..]] {
            let (ids, _) = docker(&[&["ps", "-aq"][..], filters].concat())?;
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                eprintln!("  removing {} leftover container(s)", ids.len());
                docker(&[&["rm", "-f"][..], &ids].concat())?;
            }
        }
        deleted.context("deleting the sandboxes through the API")
    }
}

async fn start_times(api: &Api, count: usize) -> anyhow::Result<StartResult> {
    let mut r = StartResult::default();
    let opts = ["--network", "none", "--label", BASELINE_LABEL];
    for i in 0..count {
        let (_, took) = docker(&[&["run", "--rm"][..], &opts, &[IMAGE, "true"]].concat())?;
        r.docker_run.push(took);
        let (id, took) =
            docker(&[&["run", "-d"][..], &opts, &[IMAGE, "sleep", "infinity"]].concat())?;
        r.docker_start.push(took);
        docker(&["rm", "-f", id.trim()])?;

        let sb = open_sandbox(api, &format!("bench-{i}")).await?;
        r.create.push(sb.create);
        r.prompt.push(sb.prompt);
        r.total.push(sb.create + sb.prompt);
        eprintln!(
            "  {}/{count}: prompt after {:.0} ms (POST /api/sandboxes {:.0} ms); docker run -d {:.0} ms",
            i + 1,
            (sb.create + sb.prompt).as_secs_f64() * 1000.0,
            sb.create.as_secs_f64() * 1000.0,
            took.as_secs_f64() * 1000.0,
        );
        api.delete(&format!("/api/sandboxes/{}", sb.id)).await?;
    }
    Ok(r)
}

async fn idle_memory(server: &DockerServer, n: usize) -> anyhow::Result<IdleResult> {
    let api = server.api();
    let pid = server.server.pid;
    tokio::time::sleep(SETTLE).await;
    let rss0_kib = rss_kib(pid)?;
    for i in 0..n {
        open_sandbox(&api, &format!("idle-{i}")).await?;
    }
    tokio::time::sleep(SETTLE).await;
    let rss_n_kib = rss_kib(pid)?;

    let filter = format!("label=anycode.instance={}", server.instance);
    let (ids, _) = docker(&["ps", "-q", "--filter", &filter])?;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    ensure!(
        ids.len() == n,
        "{} containers running for {n} sandboxes",
        ids.len()
    );
    let fmt = ["--format", "{{.MemUsage}}"];
    let (usage, _) = docker(&[&["stats", "--no-stream"][..], &fmt, &ids].concat())?;
    let container_bytes = usage
        .lines()
        .map(mem_usage_bytes)
        .collect::<Result<_, _>>()?;
    let (pids, _) = docker(&[&["inspect", "--format", "{{.State.Pid}}"][..], &ids].concat())?;
    let shim_kib = pids
        .split_whitespace()
        .map(|p| rss_kib(parent_pid(p.parse()?)?))
        .collect::<Result<_, _>>()?;
    Ok(IdleResult {
        sandboxes: n,
        rss0_kib,
        rss_n_kib,
        container_bytes,
        shim_kib,
    })
}

struct Opened {
    id: String,
    create: Duration,
    prompt: Duration,
}

/// Creates sandbox `name` and a `/bin/sh` in it, and waits for its prompt over a WebSocket.
async fn open_sandbox(api: &Api, name: &str) -> anyhow::Result<Opened> {
    let t0 = Instant::now();
    let id = api
        .create("/api/sandboxes", json!({ "name": name }))
        .await?;
    let create = t0.elapsed();
    let body = json!({ "sandboxId": id, "command": ["/bin/sh"], "env": { "PS1": PROMPT } });
    let term = api.create("/api/terminals", body).await?;
    let mut ws = api.connect(&term, 0).await?;
    ws.read_until(PROMPT_LIMIT, |seen| {
        seen.windows(PROMPT.len()).any(|w| w == PROMPT.as_bytes())
    })
    .await
    .with_context(|| format!("waiting for the prompt in sandbox {name}"))?;
    let prompt = t0.elapsed() - create;
    ws.close().await?;
    Ok(Opened { id, create, prompt })
}

/// Runs the docker CLI; its stdout and how long it took.
pub fn docker(args: &[&str]) -> anyhow::Result<(String, Duration)> {
    let started = Instant::now();
    let out = Command::new("docker")
        .args(args)
        .output()
        .context("cannot run the docker CLI")?;
    let took = started.elapsed();
    if !out.status.success() {
        bail!(
            "docker {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok((String::from_utf8(out.stdout)?, took))
}

/// The parent of `pid`, from `/proc/<pid>/stat`.
fn parent_pid(pid: u32) -> anyhow::Result<u32> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // After `(comm)`: state, then ppid.
    let ppid = stat
        .rsplit_once(')')
        .and_then(|(_, r)| r.split_whitespace().nth(1));
    Ok(ppid.ok_or_else(|| anyhow!("bad {path}"))?.parse()?)
}

/// The usage in `docker stats`' `MemUsage` (`12.5MiB / 3.8GiB`), in bytes.
pub fn mem_usage_bytes(s: &str) -> anyhow::Result<u64> {
    let used = s.split('/').next().unwrap_or_default().trim();
    let split = used
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| anyhow!("no unit in {s:?}"))?;
    let (num, unit) = used.split_at(split);
    let scale = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => bail!("unknown unit in {s:?}"),
    };
    Ok((num.trim().parse::<f64>()? * scale) as u64)
}

impl SandboxReport {
    fn rows(&self) -> Vec<Row> {
        let s = &self.start;
        let m = &self.idle;
        let ms = |v: f64| format!("{v:.0} ms");
        let two = |x: &Samples| format!("{:.0} / {:.0} ms", x.p(50.0), x.p(95.0));
        let mb = |v: f64| format!("{v:.2} MB");
        let (p50, p95) = (s.total.p(50.0), s.total.p(95.0));
        vec![
            check("sandbox → prompt p50", ms(p50), "< 1 s", p50 < 1000.0),
            check(
                "sandbox → prompt p95",
                ms(p95),
                "< 3 s (spec, warm)",
                p95 < 3000.0,
            ),
            row(
                "sandbox → prompt min / max",
                format!("{:.0} / {:.0} ms", s.total.p(0.0), s.total.p(100.0)),
            ),
            row("  POST /api/sandboxes p50", ms(s.create.p(50.0))),
            row("  POST /api/terminals → prompt p50", ms(s.prompt.p(50.0))),
            row("docker run --rm … true p50 / p95", two(&s.docker_run)),
            row(
                "docker run -d … (create+start) p50 / p95",
                two(&s.docker_start),
            ),
            row(
                "AnyCode over docker run -d (p50)",
                ms(p50 - s.docker_start.p(50.0)),
            ),
            row("server RSS, no sandbox", mb(Rss::mb(m.rss0_kib))),
            row(
                format!("server RSS, {} idle sandboxes", m.sandboxes),
                mb(Rss::mb(m.rss_n_kib)),
            ),
            row("server RSS per idle sandbox", mb(m.server_mb_per_sandbox())),
            row(
                "container memory per idle sandbox (avg)",
                mb(m.container_mb()),
            ),
            row("containerd-shim RSS per sandbox (avg)", mb(m.shim_mb())),
        ]
    }

    pub fn table(&self) -> String {
        let header = format!(
            "AnyCode sandbox bench ({} CPUs, load average {:.2} before / {:.2} after; MB = 10^6 bytes)\n  image {IMAGE}; start: {} sandboxes one after another; memory: {} idle sandboxes",
            cpus(),
            self.load.0,
            self.load.1,
            self.start.total.0.len(),
            self.idle.sandboxes,
        );
        table(&header, &self.rows())
    }

    pub fn to_json(&self) -> Value {
        let (s, m) = (&self.start, &self.idle);
        json!({
            "cpus": cpus(),
            "load_average": [self.load.0, self.load.1],
            "image": IMAGE,
            "start": {
                "sandboxes": s.total.0.len(),
                "sandbox_to_prompt": s.total.to_json(),
                "post_sandbox": s.create.to_json(),
                "terminal_to_prompt": s.prompt.to_json(),
                "docker_run_rm_true": s.docker_run.to_json(),
                "docker_run_detached": s.docker_start.to_json(),
            },
            "memory": {
                "sandboxes": m.sandboxes,
                "server_rss0_mb": Rss::mb(m.rss0_kib),
                "server_rss_n_mb": Rss::mb(m.rss_n_kib),
                "server_mb_per_sandbox": m.server_mb_per_sandbox(),
                "container_mb_avg": m.container_mb(),
                "container_bytes": m.container_bytes,
                "shim_mb_avg": m.shim_mb(),
            },
            "targets": targets_json(&self.rows()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::mem_usage_bytes;

    #[test]
    fn parses_docker_stats_mem_usage() {
        assert_eq!(mem_usage_bytes("1.5MiB / 3.8GiB").ok(), Some(1_572_864));
        assert_eq!(mem_usage_bytes("512KiB / 4GiB").ok(), Some(524_288));
        assert_eq!(mem_usage_bytes("0B / 0B").ok(), Some(0));
        assert!(mem_usage_bytes("lots").is_err());
    }
}
