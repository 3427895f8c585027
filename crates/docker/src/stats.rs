//! Container stats from ONE streaming subscription per container, started on the first
//! request and kept while the container runs; callers read the latest sample. (A one-shot
//! `stats(stream=false)` makes the engine sample twice, ≈1 s per call.)
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use sandbox::Stats;
use tokio::sync::watch;

/// How long the first request waits for the engine's first sample (it samples every second).
const FIRST_SAMPLE_WAIT: Duration = Duration::from_secs(5);
/// A subscription whose last sample is older than this has gone quiet: the engine (20.10)
/// keeps the stream of a container that died open but sends nothing more.
const STALE_AFTER: Duration = Duration::from_secs(3);

/// A sample and when it arrived.
type Sample = Option<(Stats, Instant)>;

#[derive(Default)]
pub(crate) struct StatsSubscriptions {
    by_container: Mutex<HashMap<String, Subscription>>,
}

struct Subscription {
    latest: watch::Receiver<Sample>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StatsSubscriptions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Subscription>> {
        self.by_container.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest sample for `container`, subscribing first if needed; `None` when the engine
    /// ends the subscription without a sample (the container is not running).
    pub(crate) async fn latest(&self, docker: &Docker, container: &str) -> Option<Stats> {
        let mut rx = {
            let mut subs = self.lock();
            subs.retain(|_, s| {
                let quiet =
                    matches!(*s.latest.borrow(), Some((_, at)) if at.elapsed() > STALE_AFTER);
                !s.task.is_finished() && !quiet
            });
            match subs.get(container) {
                Some(s) => s.latest.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    let task = tokio::spawn(follow(docker.clone(), container.to_owned(), tx));
                    subs.insert(
                        container.to_owned(),
                        Subscription {
                            latest: rx.clone(),
                            task,
                        },
                    );
                    rx
                }
            }
        };
        let wait = async {
            let sample = rx.wait_for(Option::is_some).await.ok()?;
            sample.map(|(stats, _)| stats)
        };
        // `None`: the subscription ended (its sender dropped) or no sample came in time.
        tokio::time::timeout(FIRST_SAMPLE_WAIT, wait)
            .await
            .ok()
            .flatten()
    }

    /// Whether `container` has a subscription that still delivers samples.
    pub(crate) fn is_live(&self, container: &str) -> bool {
        self.lock().get(container).is_some_and(|s| {
            !s.task.is_finished()
                && matches!(*s.latest.borrow(), Some((_, at)) if at.elapsed() <= STALE_AFTER)
        })
    }

    /// Ends `container`'s subscription (it stopped or is being removed).
    pub(crate) fn end(&self, container: &str) {
        self.lock().remove(container);
    }
}

async fn follow(docker: Docker, container: String, tx: watch::Sender<Sample>) {
    let options = StatsOptionsBuilder::new().stream(true).build();
    let mut samples = docker.stats(&container, Some(options));
    while let Some(sample) = samples.next().await {
        match sample {
            Ok(s) if is_running_sample(&s) => {
                tx.send_replace(Some((stats_of(&s), Instant::now())));
            }
            // A stream opened on a stopped container sends an empty sample.
            Ok(_) => break,
            Err(e) => {
                tracing::debug!(%container, "stats stream ended: {e}");
                break;
            }
        }
    }
}

/// A stopped container's samples have no timestamp and no CPU counters.
fn is_running_sample(s: &ContainerStatsResponse) -> bool {
    s.cpu_stats
        .as_ref()
        .and_then(|c| c.system_cpu_usage)
        .unwrap_or(0)
        > 0
}

/// CPU percent the usual way: the container's share of the host's CPU time since the previous
/// sample, times the number of CPUs (so 200 % = two full CPUs); memory without the page cache
/// the kernel can drop (as `docker stats` shows it).
pub(crate) fn stats_of(s: &ContainerStatsResponse) -> Stats {
    let cpu = s.cpu_stats.clone().unwrap_or_default();
    let pre = s.precpu_stats.clone().unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&pre));
    let pre_system = pre.system_cpu_usage.unwrap_or(0);
    let system_delta = cpu.system_cpu_usage.unwrap_or(0).saturating_sub(pre_system);
    let online = cpu
        .online_cpus
        .filter(|n| *n > 0)
        .map(u64::from)
        .unwrap_or_else(|| {
            cpu.cpu_usage
                .as_ref()
                .and_then(|u| u.percpu_usage.as_ref())
                .map_or(1, |p| p.len().max(1) as u64)
        });
    let cpu_percent = if pre_system > 0 && system_delta > 0 {
        cpu_delta as f64 / system_delta as f64 * online as f64 * 100.0
    } else {
        0.0
    };
    let memory = s.memory_stats.clone().unwrap_or_default();
    let cache = memory
        .stats
        .as_ref()
        .and_then(|m| {
            m.get("total_inactive_file")
                .or_else(|| m.get("inactive_file"))
                .copied()
        })
        .unwrap_or(0);
    Stats {
        cpu_percent,
        memory_bytes: memory.usage.unwrap_or(0).saturating_sub(cache),
        memory_limit_bytes: memory.limit.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};

    fn cpu(total: u64, system: u64) -> ContainerCpuStats {
        ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        }
    }

    #[test]
    fn cpu_percent_from_deltas_and_memory_without_cache() {
        let s = ContainerStatsResponse {
            cpu_stats: Some(cpu(1_500, 10_000)),
            precpu_stats: Some(cpu(1_000, 9_000)),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(100),
                limit: Some(1000),
                stats: Some(HashMap::from([("total_inactive_file".to_owned(), 30)])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let st = stats_of(&s);
        assert!((st.cpu_percent - 100.0).abs() < 1e-9, "{}", st.cpu_percent);
        assert_eq!(st.memory_bytes, 70);
        assert_eq!(st.memory_limit_bytes, 1000);
        // The first sample of a stream has no previous one.
        let first = ContainerStatsResponse {
            cpu_stats: Some(cpu(5, 5)),
            ..Default::default()
        };
        assert_eq!(stats_of(&first).cpu_percent, 0.0);
    }
}
