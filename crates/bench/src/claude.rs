//! Claude Code against `anycode serve --sandbox-driver docker` whose model proxy forwards to the
//! mock Anthropic API (`anycode-mock-model`, a separate process), with a fake API key for the
//! credential broker. Both parts run on one server:
//! - **proxy** — the same `curl` loop (one request at a time, a new connection each) run inside
//!   one sandbox through one exec call, against `$ANTHROPIC_BASE_URL` (agent tunnel + model
//!   proxy + mock), and on the host straight against the mock: per-request `time_total` of small
//!   non-streaming and small streaming `POST /v1/messages`, and the throughput of a streamed reply
//!   of several MB of text (many `text_delta` events);
//! - **agents** — N sandboxes (1 GiB, 1 CPU each), then `claude -p "say hi <i>" --output-format
//!   json` exec'd in all of them at once: how many succeeded with the mock's echo, the wall time,
//!   per-run times, each container's peak memory (`docker stats`, sampled while they run) and the
//!   server's RSS; for each requested N (default 5, then 20).
//!
//! Every sandbox is deleted through the API; leftover containers of this server's instance are
//! then removed with `docker rm -f` (see [`DockerServer::finish`]).
use crate::mock::MockProcess;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context};
use futures_util::future::join_all;
use mock_model::{Block, Script, Turn, ECHO_PREFIX};
use serde_json::{json, Value};
use tokio::process::Command;

use crate::client::Api;
use crate::memory::{rss_kib, MemoryResult as Rss};
use crate::report::{check, cpus, load_average, percentile, row, table, targets_json, Row};
use crate::sandboxes::{docker, mem_usage_bytes, DockerServer, IMAGE};

/// The fake key the credential broker picks up from the server's environment.
const FAKE_KEY: &str = "sk-ant-api03-bench-fake-123456";
/// Prompts containing this get the large reply.
const BIG_NEEDLE: &str = "bench-big-reply";
/// Size of each text block of the large reply.
const BIG_BLOCK: usize = 8 * 1024;
/// Unmeasured requests of each kind before the measured ones.
const WARMUP: usize = 10;
const CLAUDE_TIMEOUT_MS: u64 = 120_000;
const SETTLE: Duration = Duration::from_secs(2);
const RSS_EVERY: Duration = Duration::from_millis(100);

pub struct Options<'a> {
    pub server: &'a Path,
    pub mock: &'a Path,
    /// Requests of each kind in the proxy loop.
    pub requests: usize,
    /// Size of the large streamed reply, in MB (10^6 bytes of text).
    pub big_mb: f64,
    /// Large replies fetched each way.
    pub big_runs: usize,
    /// Agents run at once, one round per entry.
    pub agents: &'a [usize],
}

/// `(http status, bytes received, seconds)` per request, by kind.
type Timings = HashMap<String, Vec<(u16, u64, f64)>>;

/// Per-request times of one kind, through the proxy and direct.
pub struct Latency {
    pub proxy_ms: Vec<f64>,
    pub direct_ms: Vec<f64>,
}

impl Latency {
    fn p(v: &[f64], p: f64) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        percentile(&s, p)
    }

    fn to_json(&self) -> Value {
        let side = |v: &[f64]| json!({"p50_ms": Self::p(v, 50.0), "p95_ms": Self::p(v, 95.0), "max_ms": Self::p(v, 100.0), "samples_ms": v});
        json!({
            "proxy": side(&self.proxy_ms),
            "direct": side(&self.direct_ms),
            "added_p50_ms": Self::p(&self.proxy_ms, 50.0) - Self::p(&self.direct_ms, 50.0),
            "added_p95_ms": Self::p(&self.proxy_ms, 95.0) - Self::p(&self.direct_ms, 95.0),
        })
    }
}

/// Throughput of the large streamed reply, in MB/s per run (bytes of the SSE body).
pub struct Throughput {
    pub bytes: u64,
    pub proxy_mbs: Vec<f64>,
    pub direct_mbs: Vec<f64>,
}

impl Throughput {
    fn median(v: &[f64]) -> f64 {
        Latency::p(v, 50.0)
    }
}

pub struct ProxyResult {
    pub requests: usize,
    pub json: Latency,
    pub sse: Latency,
    pub big: Throughput,
}

pub struct AgentsResult {
    pub agents: usize,
    /// Exit 0 with the mock's echo of its own prompt in `result`.
    pub ok: usize,
    pub failures: Vec<String>,
    pub wall: Duration,
    /// Per run, POST exec → its answer, in ms.
    pub runs_ms: Vec<f64>,
    /// Per container before the runs, from `docker stats`.
    pub idle_bytes: Vec<u64>,
    /// Per container, the highest `docker stats` reading during the runs.
    pub peak_bytes: Vec<u64>,
    /// `docker stats` rounds taken during the runs.
    pub stats_rounds: usize,
    pub rss_before_kib: u64,
    pub rss_peak_kib: u64,
}

impl AgentsResult {
    fn mean_mb(v: &[u64]) -> f64 {
        v.iter().sum::<u64>() as f64 / v.len().max(1) as f64 / 1e6
    }

    fn max_mb(v: &[u64]) -> f64 {
        v.iter().copied().max().unwrap_or(0) as f64 / 1e6
    }

    fn server_mb_per_agent(&self) -> f64 {
        Rss::mb(self.rss_peak_kib.saturating_sub(self.rss_before_kib)) / self.agents as f64
    }
}

pub struct ClaudeReport {
    pub load: (f64, f64),
    pub cli_version: String,
    pub proxy: ProxyResult,
    pub agents: Vec<AgentsResult>,
}

pub async fn run(opts: &Options<'_>) -> anyhow::Result<ClaudeReport> {
    docker(&["image", "inspect", "--format", "{{.Id}}", IMAGE])
        .with_context(|| format!("is Docker up, with {IMAGE} built (scripts/sandbox-image)?"))?;
    let load_before = load_average();
    let big_bytes = (opts.big_mb * 1e6) as usize;
    let dir = tempfile::Builder::new()
        .prefix("anycode-bench-mock-")
        .tempdir()?;
    let mock = MockProcess::start(opts.mock, dir.path(), &mock_script(big_bytes)).await?;
    let upstream = mock.url.clone();
    let server = DockerServer::start_with(
        opts.server,
        &["--anthropic-upstream", &upstream],
        &[("ANTHROPIC_API_KEY", FAKE_KEY)],
        &["CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"],
    )
    .await?;
    let result = measure(&server, &upstream, opts, big_bytes).await;
    server.finish().await?;
    mock.stop().await;
    let (cli_version, proxy, agents) = result?;
    Ok(ClaudeReport {
        load: (load_before, load_average()),
        cli_version,
        proxy,
        agents,
    })
}

async fn measure(
    server: &DockerServer,
    upstream: &str,
    opts: &Options<'_>,
    big_bytes: usize,
) -> anyhow::Result<(String, ProxyResult, Vec<AgentsResult>)> {
    let api = server.api();
    eprintln!(
        "claude proxy: {} small requests of each kind and {} × {:.1} MB streamed, through the proxy and direct…",
        opts.requests, opts.big_runs, opts.big_mb
    );
    let sb = api
        .create("/api/sandboxes", json!({ "name": "bench-proxy" }))
        .await?;
    let version = exec(&api, &sb, &["claude", "--version"], &Value::Null, 30_000).await?;
    let cli_version = version["stdout"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    let proxy = proxy_overhead(&api, &sb, upstream, opts, big_bytes)
        .await
        .context("proxy overhead test")?;
    api.delete(&format!("/api/sandboxes/{sb}")).await?;

    let mut agents = Vec::new();
    for &n in opts.agents {
        eprintln!("claude agents: {n} × `claude -p` at once…");
        let r = agents_at_once(server, n)
            .await
            .with_context(|| format!("{n} agents at once"))?;
        eprintln!(
            "  {}/{n} ok, wall {:.1} s, container peak avg {:.0} MB",
            r.ok,
            r.wall.as_secs_f64(),
            AgentsResult::mean_mb(&r.peak_bytes)
        );
        agents.push(r);
    }
    Ok((cli_version, proxy, agents))
}

/// The echo script plus the large reply, for the mock-model binary.
fn mock_script(big_bytes: usize) -> Script {
    let blocks = (big_bytes / BIG_BLOCK).max(1);
    let text = "x".repeat(BIG_BLOCK);
    let big = Turn::reply((0..blocks).map(|_| Block::text(text.clone())));
    Script::echo().rule(BIG_NEEDLE, [big])
}

/// `POST /api/sandboxes/{id}/exec`, expecting `200`; the answer.
async fn exec(
    api: &Api,
    sandbox: &str,
    command: &[&str],
    env: &Value,
    timeout_ms: u64,
) -> anyhow::Result<Value> {
    let mut body = json!({ "command": command, "timeoutMs": timeout_ms });
    if !env.is_null() {
        body["env"] = env.clone();
    }
    let (status, answer) = api
        .post(&format!("/api/sandboxes/{sandbox}/exec"), &body)
        .await?;
    ensure!(status == 200, "exec answered {status}: {answer}");
    Ok(answer)
}

/// The request loop, run the same way in the sandbox and on the host. Expects `URL`, `AUTH`
/// (one header), `RUN` (keeps conversations of the two runs apart), `WARMUP`, `N`, `BIG_RUNS`
/// and the three bodies. Prints `<kind> <status> <bytes> <seconds>` per request.
const LOOP: &str = r#"
run() {
  i=0
  while [ "$i" -lt "$3" ]; do
    curl -sS -o /dev/null -w "$1 %{http_code} %{size_download} %{time_total}\n" -X POST "$URL" \
      -H "$AUTH" -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \
      -H "x-claude-code-session-id: bench-$RUN-$1-$i" --data-raw "$2" || echo "$1 000 0 0"
    i=$((i + 1))
  done
}
run warm-json "$JSON_BODY" "$WARMUP"
run warm-sse "$SSE_BODY" "$WARMUP"
run json "$JSON_BODY" "$N"
run sse "$SSE_BODY" "$N"
run big "$BIG_BODY" "$BIG_RUNS"
"#;

fn body(prompt: &str, stream: bool) -> String {
    json!({
        "model": "claude-bench",
        "max_tokens": 64,
        "stream": stream,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "tools": [{"name": "noop", "description": "does nothing", "input_schema": {"type": "object"}}],
    })
    .to_string()
}

async fn proxy_overhead(
    api: &Api,
    sandbox: &str,
    upstream: &str,
    opts: &Options<'_>,
    big_bytes: usize,
) -> anyhow::Result<ProxyResult> {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("WARMUP", WARMUP.to_string()),
        ("N", opts.requests.to_string()),
        ("BIG_RUNS", opts.big_runs.to_string()),
        ("JSON_BODY", body("ping", false)),
        ("SSE_BODY", body("ping", true)),
        ("BIG_BODY", body(BIG_NEEDLE, true)),
    ]);

    env.insert("RUN", "direct".into());
    env.insert("URL", format!("{upstream}/v1/messages"));
    env.insert("AUTH", format!("x-api-key: {FAKE_KEY}"));
    let out = Command::new("sh")
        .args(["-c", LOOP])
        .envs(&env)
        .output()
        .await
        .context("cannot run the curl loop on the host")?;
    ensure!(
        out.status.success(),
        "the host loop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let direct = parse_timings(&String::from_utf8_lossy(&out.stdout))?;

    env.insert("RUN", "proxy".into());
    env.remove("URL");
    env.remove("AUTH");
    let script = format!(
        "URL=\"${{ANTHROPIC_BASE_URL%/}}/v1/messages\"; AUTH=\"authorization: Bearer $ANTHROPIC_AUTH_TOKEN\"; {LOOP}"
    );
    let answer = exec(
        api,
        sandbox,
        &["sh", "-c", &script],
        &serde_json::to_value(&env)?,
        600_000,
    )
    .await?;
    ensure!(
        answer["exitCode"] == 0 && answer["truncated"] == false,
        "the sandbox loop failed: {answer}"
    );
    let proxy = parse_timings(answer["stdout"].as_str().unwrap_or_default())?;

    let check = |t: &Timings, kind: &str, want: usize, min_bytes: u64| -> anyhow::Result<()> {
        let got = t.get(kind).map_or(&[][..], Vec::as_slice);
        ensure!(
            got.len() == want,
            "{} {kind} requests, want {want}",
            got.len()
        );
        if let Some(bad) = got.iter().find(|(s, b, _)| *s != 200 || *b < min_bytes) {
            bail!("a {kind} request got status {} with {} bytes", bad.0, bad.1);
        }
        Ok(())
    };
    for t in [&direct, &proxy] {
        check(t, "json", opts.requests, 1)?;
        check(t, "sse", opts.requests, 1)?;
        check(t, "big", opts.big_runs, big_bytes as u64)?;
    }
    let ms = |t: &Timings, kind: &str| -> Vec<f64> {
        t[kind].iter().map(|(_, _, s)| s * 1000.0).collect()
    };
    let mbs = |t: &Timings| -> Vec<f64> {
        t["big"]
            .iter()
            .map(|(_, b, s)| *b as f64 / 1e6 / s.max(1e-9))
            .collect()
    };
    Ok(ProxyResult {
        requests: opts.requests,
        json: Latency {
            proxy_ms: ms(&proxy, "json"),
            direct_ms: ms(&direct, "json"),
        },
        sse: Latency {
            proxy_ms: ms(&proxy, "sse"),
            direct_ms: ms(&direct, "sse"),
        },
        big: Throughput {
            bytes: proxy["big"].first().map_or(0, |r| r.1),
            proxy_mbs: mbs(&proxy),
            direct_mbs: mbs(&direct),
        },
    })
}

/// Parses the lines of [`LOOP`].
fn parse_timings(out: &str) -> anyhow::Result<Timings> {
    let mut t = Timings::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [kind, status, bytes, secs] = f[..] else {
            bail!("bad line from the curl loop: {line:?}");
        };
        let parsed = (status.parse()?, bytes.parse()?, secs.parse()?);
        t.entry(kind.to_string()).or_default().push(parsed);
    }
    Ok(t)
}

async fn agents_at_once(server: &DockerServer, n: usize) -> anyhow::Result<AgentsResult> {
    let api = server.api();
    let created = join_all((0..n).map(|i| {
        let body = json!({ "name": format!("claude-{n}-{i}"), "memoryMb": 1024, "cpus": 1 });
        api.create("/api/sandboxes", body)
    }))
    .await;
    let ids: Vec<String> = created.into_iter().collect::<anyhow::Result<_>>()?;
    let result = agents_in(server, &api, &ids).await;
    let deleted = join_all(ids.iter().map(|id| {
        let api = &api;
        async move { api.delete(&format!("/api/sandboxes/{id}")).await }
    }))
    .await;
    let r = result?;
    deleted.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(r)
}

async fn agents_in(
    server: &DockerServer,
    api: &Api,
    ids: &[String],
) -> anyhow::Result<AgentsResult> {
    let n = ids.len();
    let filter = format!("label=anycode.instance={}", server.instance);
    let (containers, _) = docker(&["ps", "-q", "--filter", &filter])?;
    let containers: Vec<String> = containers.split_whitespace().map(str::to_owned).collect();
    ensure!(
        containers.len() == n,
        "{} containers running for {n} sandboxes",
        containers.len()
    );
    tokio::time::sleep(SETTLE).await;
    let idle = docker_stats(&containers).await?;
    let pid = server.server.pid;
    let rss_before_kib = rss_kib(pid)?;

    let done = AtomicBool::new(false);
    let started = Instant::now();
    let runs = async {
        let runs = join_all(ids.iter().enumerate().map(|(i, id)| async move {
            let prompt = format!("say hi {i}");
            let t0 = Instant::now();
            let cmd = ["claude", "-p", &prompt, "--output-format", "json"];
            let answer = exec(api, id, &cmd, &Value::Null, CLAUDE_TIMEOUT_MS).await;
            (t0.elapsed(), answer.map(|a| verdict(&a, &prompt)))
        }))
        .await;
        done.store(true, Ordering::Relaxed);
        (runs, started.elapsed())
    };
    let stats = async {
        let mut peak: HashMap<String, u64> = HashMap::new();
        let mut rounds = 0;
        while !done.load(Ordering::Relaxed) {
            // A container that just ended its run may be missing from a round: skip the round.
            if let Ok(round) = docker_stats(&containers).await {
                rounds += 1;
                for (c, bytes) in containers.iter().zip(round) {
                    let p = peak.entry(c.clone()).or_default();
                    *p = (*p).max(bytes);
                }
            }
        }
        (peak, rounds)
    };
    let rss = async {
        let mut peak = rss_before_kib;
        while !done.load(Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            tokio::time::sleep(RSS_EVERY).await;
        }
        peak
    };
    // The wall time ends with the last run, not with the sampling round still in flight.
    let ((runs, wall), (peak, stats_rounds), rss_peak_kib) = tokio::join!(runs, stats, rss);

    let mut failures = Vec::new();
    let mut runs_ms = Vec::new();
    for (i, (took, verdict)) in runs.into_iter().enumerate() {
        runs_ms.push(took.as_secs_f64() * 1000.0);
        match verdict {
            Ok(Ok(())) => {}
            Ok(Err(why)) => failures.push(format!("agent {i}: {why}")),
            Err(e) => failures.push(format!("agent {i}: {e:#}")),
        }
    }
    for f in &failures {
        eprintln!("  {f}");
    }
    Ok(AgentsResult {
        agents: n,
        ok: n - failures.len(),
        failures,
        wall,
        runs_ms,
        idle_bytes: idle,
        peak_bytes: containers
            .iter()
            .map(|c| peak.get(c).copied().unwrap_or(0))
            .collect(),
        stats_rounds,
        rss_before_kib,
        rss_peak_kib,
    })
}

/// Whether an exec of `claude -p <prompt> --output-format json` succeeded with the mock's echo.
fn verdict(answer: &Value, prompt: &str) -> Result<(), String> {
    let short = |s: &Value| {
        s.as_str()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect::<String>()
    };
    if answer["exitCode"] != 0 {
        return Err(format!(
            "exit {} (timed out: {}); stderr {:?}; stdout {:?}",
            answer["exitCode"],
            answer["timedOut"],
            short(&answer["stderr"]),
            short(&answer["stdout"])
        ));
    }
    let want = format!("{ECHO_PREFIX}{prompt}");
    let stdout = answer["stdout"].as_str().unwrap_or_default();
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    // `say hi 1` must not pass on `say hi 10`.
    let echoed = |r: &str| {
        r.match_indices(&want)
            .any(|(at, _)| !r[at + want.len()..].starts_with(|c: char| c.is_ascii_digit()))
    };
    if result["result"].as_str().is_some_and(echoed) {
        Ok(())
    } else {
        Err(format!(
            "no {want:?} in the result: {:?}",
            short(&answer["stdout"])
        ))
    }
}

/// One `docker stats --no-stream` round: memory in use per container, in the order given.
async fn docker_stats(containers: &[String]) -> anyhow::Result<Vec<u64>> {
    let out = Command::new("docker")
        .args([
            "stats",
            "--no-stream",
            "--format",
            "{{.Container}} {{.MemUsage}}",
        ])
        .args(containers)
        .output()
        .await
        .context("cannot run docker stats")?;
    ensure!(
        out.status.success(),
        "docker stats failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8(out.stdout)?;
    let by_id: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once(' ')).collect();
    containers
        .iter()
        .map(|c| {
            let usage = by_id
                .get(c.as_str())
                .ok_or_else(|| anyhow!("no docker stats for {c}"))?;
            mem_usage_bytes(usage)
        })
        .collect()
}

impl ClaudeReport {
    fn rows(&self) -> Vec<Row> {
        let p = &self.proxy;
        let ms = |v: f64| format!("{v:.2} ms");
        let pair =
            |v: &[f64]| format!("{:.2} / {:.2} ms", Latency::p(v, 50.0), Latency::p(v, 95.0));
        let mut rows = Vec::new();
        for (name, l) in [("non-streaming", &p.json), ("streaming", &p.sse)] {
            rows.push(row(format!("{name} direct p50 / p95"), pair(&l.direct_ms)));
            rows.push(row(
                format!("{name} via proxy p50 / p95"),
                pair(&l.proxy_ms),
            ));
            rows.push(row(
                format!("{name} added p50 / p95"),
                format!(
                    "{} / {}",
                    ms(Latency::p(&l.proxy_ms, 50.0) - Latency::p(&l.direct_ms, 50.0)),
                    ms(Latency::p(&l.proxy_ms, 95.0) - Latency::p(&l.direct_ms, 95.0))
                ),
            ));
        }
        let (d, x) = (
            Throughput::median(&p.big.direct_mbs),
            Throughput::median(&p.big.proxy_mbs),
        );
        let size = p.big.bytes as f64 / 1e6;
        rows.push(row(
            format!("{size:.1} MB stream direct (median)"),
            format!("{d:.1} MB/s"),
        ));
        rows.push(row(
            format!("{size:.1} MB stream via proxy (median)"),
            format!("{x:.1} MB/s"),
        ));
        rows.push(row(
            "stream via proxy / direct",
            format!("{:.0} %", x / d * 100.0),
        ));
        for a in &self.agents {
            let n = a.agents;
            let mut runs = a.runs_ms.clone();
            runs.sort_by(f64::total_cmp);
            rows.push(check(
                format!("{n} agents: ok (exit 0 + echo)"),
                format!("{}/{n}", a.ok),
                "all",
                a.ok == n,
            ));
            rows.push(row(
                format!("{n} agents: wall time"),
                format!("{:.1} s", a.wall.as_secs_f64()),
            ));
            rows.push(row(
                format!("{n} agents: per run p50 / max"),
                format!(
                    "{:.1} / {:.1} s",
                    percentile(&runs, 50.0) / 1e3,
                    percentile(&runs, 100.0) / 1e3
                ),
            ));
            rows.push(row(
                format!("{n} agents: container idle (avg)"),
                format!("{:.0} MB", AgentsResult::mean_mb(&a.idle_bytes)),
            ));
            rows.push(row(
                format!("{n} agents: container peak avg / max"),
                format!(
                    "{:.0} / {:.0} MB",
                    AgentsResult::mean_mb(&a.peak_bytes),
                    AgentsResult::max_mb(&a.peak_bytes)
                ),
            ));
            rows.push(row(
                format!("{n} agents: server RSS before / peak"),
                format!(
                    "{:.1} / {:.1} MB",
                    Rss::mb(a.rss_before_kib),
                    Rss::mb(a.rss_peak_kib)
                ),
            ));
            rows.push(row(
                format!("{n} agents: server RSS growth per agent"),
                format!("{:.2} MB", a.server_mb_per_agent()),
            ));
        }
        rows
    }

    pub fn table(&self) -> String {
        let header = format!(
            "AnyCode Claude bench ({} CPUs, load average {:.2} before / {:.2} after; MB = 10^6 bytes)\n  image {IMAGE}, claude {}; proxy: {} requests of each kind, one curl each, sandbox → agent tunnel → proxy → mock vs host → mock; agents: `claude -p` at once, 1 GiB / 1 CPU each, docker stats every ~2 s",
            cpus(),
            self.load.0,
            self.load.1,
            self.cli_version,
            self.proxy.requests,
        );
        table(&header, &self.rows())
    }

    pub fn to_json(&self) -> Value {
        let p = &self.proxy;
        let agents: Vec<Value> = self
            .agents
            .iter()
            .map(|a| {
                let mut runs = a.runs_ms.clone();
                runs.sort_by(f64::total_cmp);
                json!({
                    "agents": a.agents,
                    "ok": a.ok,
                    "failures": a.failures,
                    "wall_s": a.wall.as_secs_f64(),
                    "run_p50_ms": percentile(&runs, 50.0),
                    "run_max_ms": percentile(&runs, 100.0),
                    "runs_ms": a.runs_ms,
                    "container_idle_mb_avg": AgentsResult::mean_mb(&a.idle_bytes),
                    "container_peak_mb_avg": AgentsResult::mean_mb(&a.peak_bytes),
                    "container_peak_mb_max": AgentsResult::max_mb(&a.peak_bytes),
                    "container_idle_bytes": a.idle_bytes,
                    "container_peak_bytes": a.peak_bytes,
                    "docker_stats_rounds": a.stats_rounds,
                    "server_rss_before_mb": Rss::mb(a.rss_before_kib),
                    "server_rss_peak_mb": Rss::mb(a.rss_peak_kib),
                    "server_mb_per_agent": a.server_mb_per_agent(),
                })
            })
            .collect();
        json!({
            "cpus": cpus(),
            "load_average": [self.load.0, self.load.1],
            "image": IMAGE,
            "claude_version": self.cli_version,
            "proxy": {
                "requests": p.requests,
                "non_streaming": p.json.to_json(),
                "streaming": p.sse.to_json(),
                "large_stream": {
                    "bytes": p.big.bytes,
                    "direct_mb_s": p.big.direct_mbs,
                    "proxy_mb_s": p.big.proxy_mbs,
                    "direct_mb_s_median": Throughput::median(&p.big.direct_mbs),
                    "proxy_mb_s_median": Throughput::median(&p.big.proxy_mbs),
                },
            },
            "agents": agents,
            "targets": targets_json(&self.rows()),
        })
    }
}

/// The `anycode-mock-model` next to `server`, else in `target/release`.
pub fn default_mock(server: &Path) -> PathBuf {
    server
        .parent()
        .map(|d| d.join("anycode-mock-model"))
        .unwrap_or_else(|| PathBuf::from("target/release/anycode-mock-model"))
}

#[cfg(test)]
mod tests {
    use super::{parse_timings, verdict};
    use serde_json::json;

    #[test]
    fn parses_the_curl_loop() {
        let t = parse_timings("json 200 512 0.001234\nbig 200 2000000 0.5\n\n").unwrap();
        assert_eq!(t["json"], vec![(200, 512, 0.001234)]);
        assert_eq!(t["big"][0].1, 2_000_000);
        assert!(parse_timings("json 200").is_err());
    }

    #[test]
    fn judges_a_claude_run() {
        let ok = json!({"exitCode": 0, "stdout": "{\"result\":\"Mock reply to: say hi 3\"}"});
        assert!(verdict(&ok, "say hi 3").is_ok());
        assert!(verdict(&ok, "say hi 4").is_err());
        let ten = json!({"exitCode": 0, "stdout": "{\"result\":\"Mock reply to: say hi 10\"}"});
        assert!(verdict(&ten, "say hi 1").is_err());
        assert!(verdict(&json!({"exitCode": 1, "stdout": ""}), "say hi 3").is_err());
    }
}
