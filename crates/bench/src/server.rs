//! Runs the real `anycode serve --port 0` in a throw-away data dir and finds its port from the
//! line it prints: `AnyCode is running. Open:  http://127.0.0.1:PORT/?token=…`.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::client::Api;

const READY_LINE: &str = "AnyCode is running. Open:";
const START_LIMIT: Duration = Duration::from_secs(30);

pub struct Server {
    child: Child,
    pub pid: u32,
    pub port: u16,
    token: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts `bin serve` and waits for its URL line. Its log goes to `<data-dir>/server.log`.
    pub async fn start(bin: &Path) -> anyhow::Result<Self> {
        Self::start_with(bin, &[]).await
    }

    /// [`Server::start`] with extra `serve` arguments.
    pub async fn start_with(bin: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_env(bin, extra, &[], &[]).await
    }

    /// [`Server::start_with`], with `env` set and `unset` removed from its environment.
    pub async fn start_env(
        bin: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
        unset: &[&str],
    ) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("anycode-bench-")
            .tempdir()
            .context("cannot create a temporary data dir")?;
        let token = format!("bench-{}", std::process::id());
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let mut cmd = Command::new(bin);
        for name in unset {
            cmd.env_remove(name);
        }
        let mut child = cmd
            .envs(env.iter().copied())
            .arg("serve")
            .args(["--port", "0", "--token", &token, "--data-dir"])
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("server exited at once"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(START_LIMIT, async {
            while let Some(line) = lines.next_line().await? {
                if line.contains(READY_LINE) {
                    return parse_port(&line);
                }
            }
            bail!("the server exited before printing its URL")
        })
        .await
        .map_err(|_| anyhow!("the server did not print its URL within {START_LIMIT:?}"))?
        .with_context(|| format!("see {}", dir.path().join("server.log").display()))?;
        // Keep reading stdout so the server can never block on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            pid,
            port,
            token,
            dir,
        })
    }

    pub fn api(&self) -> Api {
        Api::new(self.port, &self.token)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn recording(&self, id: &str) -> PathBuf {
        self.dir
            .path()
            .join("recordings")
            .join(format!("{id}.cast"))
    }

    /// CPU time (user + system) the server has used so far, in seconds.
    pub fn cpu_secs(&self) -> anyhow::Result<f64> {
        let path = format!("/proc/{}/stat", self.pid);
        let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        // Fields after the `(comm)`: state is field 3, utime 14 and stime 15 (in USER_HZ = 100).
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .ok_or_else(|| anyhow!("bad {path}"))?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> anyhow::Result<f64> {
            let v = fields.get(i - 3).ok_or_else(|| anyhow!("short {path}"))?;
            Ok(v.parse::<f64>()?)
        };
        Ok((ticks(14)? + ticks(15)?) / 100.0)
    }

    /// SIGTERM, then SIGKILL if it has not ended within 5 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let pid = i32::try_from(self.pid)?;
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}

fn parse_port(line: &str) -> anyhow::Result<u16> {
    let after = line
        .split("http://")
        .nth(1)
        .ok_or_else(|| anyhow!("no URL in {line:?}"))?;
    let host_port = after.split('/').next().unwrap_or_default();
    let port = host_port
        .rsplit(':')
        .next()
        .ok_or_else(|| anyhow!("no port in {line:?}"))?;
    port.parse()
        .with_context(|| format!("bad port in {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::parse_port;

    #[test]
    fn parses_the_port_from_the_ready_line() {
        let line = "AnyCode is running. Open:  http://127.0.0.1:43117/?token=abc";
        assert_eq!(parse_port(line).ok(), Some(43117));
    }
}
