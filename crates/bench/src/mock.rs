//! The `anycode-mock-model` binary as a child process serving a script (parts that measure real
//! `claude` CLIs run against it).
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, Context};
use mock_model::Script;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct MockProcess {
    child: Child,
    pub url: String,
}

impl MockProcess {
    /// Starts `bin` on a free port with `script` (written into `dir`), and waits for its URL.
    pub async fn start(bin: &Path, dir: &Path, script: &Script) -> anyhow::Result<Self> {
        let path = dir.join("script.json");
        std::fs::write(&path, serde_json::to_string(script)?)?;
        let log = std::fs::File::create(dir.join("mock.log"))?;
        let mut child = Command::new(bin)
            .args(["--port", "0", "--script"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .map_err(|_| anyhow!("the mock did not print its URL within 10 s"))??
            .ok_or_else(|| anyhow!("the mock exited before printing its URL"))?;
        let url = line
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("unexpected first line from the mock: {line:?}"))?
            .trim()
            .to_string();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, url })
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
