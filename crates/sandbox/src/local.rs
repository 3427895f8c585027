//! The local driver: a sandbox is a host directory and a detached `anycode-agent daemon` process
//! (its own session, so it outlives the server). No isolation — for machines without an engine.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::*;

pub struct LocalDriver {
    /// Per sandbox: its spec (kept in memory and in `<state>/local.json`).
    known: Mutex<HashMap<String, LocalSandbox>>,
    root: PathBuf,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct LocalSandbox {
    id: String,
    name: String,
    state_dir: PathBuf,
    workspace_dir: PathBuf,
    agent_binary: PathBuf,
    env: BTreeMap<String, String>,
    pid: Option<u32>,
    stopped: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl LocalDriver {
    /// `root` is where the driver remembers its sandboxes (one JSON file each).
    pub fn new(root: PathBuf) -> Self {
        let _ = std::fs::create_dir_all(&root);
        let mut known = HashMap::new();
        if let Ok(entries) = std::fs::read_dir(&root) {
            for e in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    if let Ok(sb) = serde_json::from_str::<LocalSandbox>(&text) {
                        known.insert(sb.id.clone(), sb);
                    }
                }
            }
        }
        Self {
            known: Mutex::new(known),
            root,
        }
    }

    fn save(&self, sb: &LocalSandbox) {
        let path = self.root.join(format!("{}.json", sb.id));
        if let Ok(text) = serde_json::to_string_pretty(sb) {
            let tmp = path.with_extension("json.tmp");
            if std::fs::write(&tmp, text).is_ok() {
                let _ = std::fs::rename(tmp, path);
            }
        }
    }

    fn get(&self, id: &str) -> DriverResult<LocalSandbox> {
        lock(&self.known)
            .get(id)
            .cloned()
            .ok_or_else(|| DriverError::NotFound(id.into()))
    }

    /// Signals the sandbox's whole process group (pause = SIGSTOP, unpause = SIGCONT).
    fn signal_group(&self, id: &str, signal: nix::sys::signal::Signal) -> DriverResult<()> {
        if let Some(pid) = self.get(id)?.pid {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid as i32), signal);
        }
        Ok(())
    }

    fn socket(sb: &LocalSandbox) -> PathBuf {
        sb.state_dir.join("agent.sock")
    }

    fn alive(pid: Option<u32>) -> bool {
        pid.is_some_and(|p| {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(p as i32), None).is_ok()
                && !is_zombie(p)
        })
    }

    fn spawn_agent(&self, sb: &mut LocalSandbox) -> DriverResult<()> {
        std::fs::create_dir_all(&sb.state_dir).map_err(|e| DriverError::Failed(e.to_string()))?;
        let log = std::fs::File::create(sb.state_dir.join("agent.log"))
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        let mut cmd = std::process::Command::new(&sb.agent_binary);
        cmd.arg("daemon")
            .arg("--socket")
            .arg(Self::socket(sb))
            .arg("--state-dir")
            .arg(&sb.state_dir)
            .current_dir(&sb.workspace_dir)
            .envs(&sb.env)
            .env("ANYCODE_AGENT_CHILD", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log);
        // Its own process group: a Ctrl-C or exit of the server does not reach it.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| DriverError::Failed(format!("cannot start the agent: {e}")))?;
        sb.pid = Some(child.id());
        sb.stopped = false;
        // Reap it when it ends so it does not linger as a zombie of the server.
        std::thread::spawn(move || {
            let mut child = child;
            let _ = child.wait();
        });
        Ok(())
    }

    fn observed(sb: &LocalSandbox) -> Observed {
        let running = Self::alive(sb.pid);
        Observed {
            id: sb.id.clone(),
            name: sb.name.clone(),
            runtime_id: sb.pid.map(|p| format!("pid:{p}")).unwrap_or_default(),
            state: if running {
                RuntimeState::Running
            } else {
                RuntimeState::Stopped
            },
            exit_code: None,
            limits: None,
            image: "local".into(),
        }
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[async_trait::async_trait]
impl SandboxDriver for LocalDriver {
    fn kind(&self) -> &'static str {
        "local"
    }

    async fn check(&self) -> DriverResult<DriverInfo> {
        Ok(DriverInfo {
            kind: "local",
            version: std::env::consts::OS.to_string(),
        })
    }

    async fn image_present(&self, _image: &str) -> DriverResult<bool> {
        Ok(true)
    }

    async fn create(&self, spec: &SandboxSpec) -> DriverResult<Observed> {
        if lock(&self.known).values().any(|s| s.name == spec.name) {
            return Err(DriverError::Conflict(spec.name.clone()));
        }
        let mut sb = LocalSandbox {
            id: spec.id.clone(),
            name: spec.name.clone(),
            state_dir: spec.state_dir.clone(),
            workspace_dir: spec.workspace_dir.clone(),
            agent_binary: spec.agent_binary.clone(),
            env: spec.env.clone(),
            pid: None,
            stopped: false,
        };
        std::fs::create_dir_all(&sb.workspace_dir)
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        self.spawn_agent(&mut sb)?;
        self.save(&sb);
        let o = Self::observed(&sb);
        lock(&self.known).insert(sb.id.clone(), sb);
        Ok(o)
    }

    async fn start(&self, id: &str) -> DriverResult<()> {
        let mut sb = self.get(id)?;
        if !Self::alive(sb.pid) {
            self.spawn_agent(&mut sb)?;
            self.save(&sb);
            lock(&self.known).insert(sb.id.clone(), sb);
        }
        Ok(())
    }

    async fn stop(&self, id: &str) -> DriverResult<()> {
        let mut sb = self.get(id)?;
        if let Some(pid) = sb.pid.filter(|p| Self::alive(Some(*p))) {
            let pid = nix::unistd::Pid::from_raw(pid as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            for _ in 0..50 {
                if !Self::alive(sb.pid) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if Self::alive(sb.pid) {
                let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
        sb.stopped = true;
        self.save(&sb);
        lock(&self.known).insert(sb.id.clone(), sb);
        Ok(())
    }

    async fn pause(&self, id: &str) -> DriverResult<()> {
        self.signal_group(id, nix::sys::signal::Signal::SIGSTOP)
    }

    async fn unpause(&self, id: &str) -> DriverResult<()> {
        self.signal_group(id, nix::sys::signal::Signal::SIGCONT)
    }

    async fn remove(&self, id: &str) -> DriverResult<()> {
        if lock(&self.known).contains_key(id) {
            self.stop(id).await?;
        }
        lock(&self.known).remove(id);
        let _ = std::fs::remove_file(self.root.join(format!("{id}.json")));
        Ok(())
    }

    async fn inspect(&self, id: &str) -> DriverResult<Observed> {
        lock(&self.known)
            .get(id)
            .map(Self::observed)
            .ok_or_else(|| DriverError::NotFound(id.into()))
    }

    async fn list(&self) -> DriverResult<Vec<Observed>> {
        Ok(lock(&self.known).values().map(Self::observed).collect())
    }

    async fn connect_agent(&self, id: &str) -> DriverResult<AgentStream> {
        let sb = self.get(id)?;
        let socket = Self::socket(&sb);
        // The agent creates its socket right after it starts: wait for it briefly.
        let mut last = None;
        for _ in 0..100 {
            match tokio::net::UnixStream::connect(&socket).await {
                Ok(s) => return Ok(Box::pin(s)),
                Err(e) => last = Some(e),
            }
            if !Self::alive(sb.pid) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Err(DriverError::Failed(format!(
            "cannot reach the agent at {}: {}",
            socket.display(),
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    async fn stats(&self, id: &str) -> DriverResult<Stats> {
        let sb = self.get(id)?;
        let rss = sb
            .pid
            .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .map(str::to_owned)
            })
            .and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
            .unwrap_or(0);
        Ok(Stats {
            cpu_percent: 0.0,
            memory_bytes: rss * 1024,
            memory_limit_bytes: 0,
        })
    }

    fn events(&self) -> Option<futures_util::stream::BoxStream<'static, DriverEvent>> {
        None
    }
}
