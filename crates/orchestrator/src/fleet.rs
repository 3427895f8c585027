//! The sandbox fleet: lifecycle (`pending → creating → ready → running → paused → stopped →
//! destroyed`, plus `failed` with a reason), one supervised agent link per live sandbox,
//! reconciliation with the engine at start-up and on engine events, idle TTL, resource stats.
//!
//! Records are the source of truth for what the user asked for; the engine is the source of
//! truth for what exists. Reconciliation makes them agree and explains every difference.
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sandbox::link::{AgentLink, Mirror, TunnelHandler};
use sandbox::{DriverError, Limits, NetworkMode, RuntimeState, SandboxDriver, SandboxSpec, Stats};
use store::{SandboxRecord, Store, TerminalId, TerminalRecord, TerminalStatus};
use terminal::{Info, Session, SessionConfig};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::agent_state::{AgentStates, AgentStatus};
use crate::credential_mode::CredentialMode;
use crate::terminals::{terminal_name, HubError, NewTerminal, TerminalHub};

#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// `<data>/sandboxes`: one folder per sandbox with `workspace/` and `state/`.
    pub sandboxes_dir: PathBuf,
    pub agent_binary: PathBuf,
    pub default_image: String,
    pub default_limits: Limits,
    pub pause_after: Duration,
    pub destroy_after: Duration,
    pub sweep_every: Duration,
    pub stats_every: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxState {
    Pending,
    Creating,
    Ready,
    Running,
    Paused,
    Stopped,
    Destroyed,
    Failed,
}

impl SandboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Creating => "creating",
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Destroyed => "destroyed",
            Self::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "creating" => Self::Creating,
            "ready" => Self::Ready,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "stopped" => Self::Stopped,
            "destroyed" => Self::Destroyed,
            _ => Self::Failed,
        }
    }
}

#[derive(Debug, Clone)]
pub enum FleetEvent {
    Sandbox(String),
    SandboxRemoved(String),
    Terminal(String),
    /// A terminal's Claude agent changed state.
    AgentState(String),
    /// A headless run logged an event or finished.
    Run(String),
    /// The model upstream limited a sandbox (429) or was overloaded (529).
    RateLimited {
        sandbox: String,
        status: u16,
        retry_after_secs: Option<u64>,
    },
    /// A project was imported or changed.
    Project(String),
    ProjectRemoved(String),
    /// A pull request's state, checks or conflicts changed.
    Pull {
        project: String,
        number: i64,
    },
    /// The GitHub connection changed (token stored or removed, device flow finished).
    GithubAuth,
    /// A task changed (state, progress, wait reason).
    Task(String),
    /// The scheduler's hold or limits changed.
    Scheduler,
    /// A workflow run or one of its steps changed.
    WorkflowRun(String),
    /// The forge told us about a push or a pull request (verified webhook).
    ForgeEvent {
        project: String,
        event: String,
        branch: Option<String>,
    },
    /// Two branches of one project touch the same files (or stopped doing so).
    Radar(String),
    /// A new sandbox's setup started, succeeded or failed.
    Setup {
        sandbox: String,
        terminal: String,
        state: String,
        exit_code: Option<i32>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("sandbox `{0}` does not exist")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("a sandbox named `{0}` already exists")]
    Duplicate(String),
    #[error("image `{0}` is not present; build it with scripts/sandbox-image")]
    ImageMissing(String),
    #[error("the container engine is not available: {0}")]
    EngineUnavailable(String),
    #[error("sandbox `{id}` is {state}; {hint}")]
    WrongState {
        id: String,
        state: &'static str,
        hint: &'static str,
    },
    #[error("the sandbox agent is not reachable: {0}")]
    Agent(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<DriverError> for FleetError {
    fn from(e: DriverError) -> Self {
        match e {
            DriverError::Unavailable(m) => FleetError::EngineUnavailable(m),
            DriverError::ImageMissing(i) => FleetError::ImageMissing(i),
            DriverError::NotFound(id) => {
                FleetError::Failed(format!("the engine has no sandbox `{id}`"))
            }
            DriverError::Conflict(n) => FleetError::Duplicate(n),
            DriverError::Failed(m) => FleetError::Failed(m),
        }
    }
}

/// A request for a new sandbox, parsed from JSON.
#[derive(Debug, Default, Clone)]
pub struct NewSandbox {
    pub name: String,
    pub image: Option<String>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    pub pids: Option<u32>,
    pub network: Option<NetworkMode>,
    /// A checkout of a project's mirror to put in the workspace before the sandbox first runs.
    pub checkout: Option<Checkout>,
    /// `None`: the server's default.
    pub credential_mode: Option<CredentialMode>,
}

/// A project checkout for a new sandbox: its own clone sharing the mirror's objects, on a new
/// branch. Made on the host *before* the sandbox exists — after that, the host never runs git in
/// the workspace again.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub mirror_dir: PathBuf,
    pub base_sha: String,
    pub branch: String,
    pub author_name: String,
    pub author_email: String,
}

/// Where a sandbox's directories are, seen from the host and from inside.
#[derive(Debug, Clone)]
pub struct SandboxPaths {
    pub host_state: PathBuf,
    pub host_workspace: PathBuf,
    pub state_inside: String,
    pub workspace_inside: String,
}

/// Output of a non-interactive command.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecOutput {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub truncated: bool,
    pub duration_ms: u64,
}

/// Everything about one sandbox the API shows.
#[derive(Debug, Clone)]
pub struct SandboxSnapshot {
    pub record: SandboxRecord,
    pub state: SandboxState,
    pub stats: Option<Stats>,
    pub terminals: usize,
    pub agent_connected: bool,
    /// The project and branch it works on, if it was made for a project.
    pub git: Option<store::SandboxGit>,
    pub credential_mode: CredentialMode,
}

pub type LifecycleObserver = Arc<dyn Fn(&'static str, Duration) + Send + Sync>;

pub struct Fleet {
    store: Store,
    driver: Arc<dyn SandboxDriver>,
    hub: Arc<TerminalHub>,
    cfg: FleetConfig,
    tunnels: Arc<dyn TunnelHandler>,
    links: Mutex<HashMap<String, Arc<AgentLink>>>,
    supervised: Mutex<HashMap<String, CancellationToken>>,
    /// Terminal → (its sandbox, its mirror).
    mirrors: Mutex<HashMap<TerminalId, (String, Mirror)>>,
    stats: Mutex<HashMap<String, Stats>>,
    activity: Mutex<HashMap<String, (u64, Instant)>>,
    /// Sandboxes in the middle of a user's start/stop/destroy: engine events about them are
    /// the operation's own echo, not news, and must not overwrite its outcome.
    busy: Mutex<std::collections::HashSet<String>>,
    /// Claude agents' states, from hooks.
    states: Arc<AgentStates>,
    /// Sandbox → SHA-256 of its live model-proxy token.
    tokens: Mutex<HashMap<String, String>>,
    /// Direct credential mode, when the server allows it (`credential_mode.rs`).
    pub(crate) direct_access: std::sync::OnceLock<crate::credential_mode::DirectAccess>,
    events: broadcast::Sender<FleetEvent>,
    observer: LifecycleObserver,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn valid_image(image: &str) -> bool {
    !image.is_empty()
        && image.len() <= 255
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
}

impl Fleet {
    pub fn new(
        store: Store,
        driver: Arc<dyn SandboxDriver>,
        hub: Arc<TerminalHub>,
        cfg: FleetConfig,
        tunnels: Arc<dyn TunnelHandler>,
        observer: LifecycleObserver,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let events = broadcast::channel(1024).0;
        let states = AgentStates::new(events.clone());
        let tunnels: Arc<dyn TunnelHandler> = Arc::new(LinkEvents {
            inner: tunnels,
            states: Arc::clone(&states),
        });
        Arc::new(Self {
            store,
            driver,
            hub,
            cfg,
            tunnels,
            links: Mutex::new(HashMap::new()),
            supervised: Mutex::new(HashMap::new()),
            mirrors: Mutex::new(HashMap::new()),
            stats: Mutex::new(HashMap::new()),
            activity: Mutex::new(HashMap::new()),
            busy: Mutex::new(std::collections::HashSet::new()),
            states,
            tokens: Mutex::new(HashMap::new()),
            direct_access: std::sync::OnceLock::new(),
            events,
            observer,
            tasks: TaskTracker::new(),
            shutdown,
        })
    }

    pub fn driver_kind(&self) -> &'static str {
        self.driver.kind()
    }

    /// The image new sandboxes use unless told otherwise.
    pub fn default_image(&self) -> &str {
        &self.cfg.default_image
    }

    /// A label of an image, from the engine (`claude_cli.rs`).
    pub(crate) async fn image_label(
        &self,
        image: &str,
        label: &str,
    ) -> Result<Option<String>, DriverError> {
        self.driver.image_label(image, label).await
    }

    pub fn event_sender(&self) -> broadcast::Sender<FleetEvent> {
        self.events.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<FleetEvent> {
        self.events.subscribe()
    }

    fn emit(&self, e: FleetEvent) {
        let _ = self.events.send(e);
    }

    pub fn hub(&self) -> &Arc<TerminalHub> {
        &self.hub
    }

    // ---------- start-up and background work ----------

    /// Reconciles records with the engine, then starts the engine-event watcher, the idle
    /// sweeper and the stats poller.
    pub async fn start(self: &Arc<Self>) {
        match self.store.live_sandbox_tokens().await {
            Ok(tokens) => *lock(&self.tokens) = tokens.into_iter().collect(),
            Err(e) => tracing::warn!(error = %e, "cannot load sandbox tokens"),
        }
        self.load_credential_modes().await;
        if let Err(e) = self.reconcile().await {
            tracing::warn!(error = %e, "reconciliation failed; will retry on engine events");
        }
        let me = Arc::clone(self);
        self.tasks.spawn(async move { me.watch_engine().await });
        let me = Arc::clone(self);
        self.tasks.spawn(async move { me.sweep_idle().await });
        let me = Arc::clone(self);
        self.tasks.spawn(async move { me.poll_stats().await });
    }

    /// Makes records and engine agree. A labelled container with no record is removed (a
    /// zombie); a record whose container vanished is marked failed with the reason.
    pub async fn reconcile(self: &Arc<Self>) -> Result<(), FleetError> {
        let observed = self.driver.list().await?;
        let records = self.store.list_sandboxes().await?;
        let known: HashMap<&str, &SandboxRecord> =
            records.iter().map(|r| (r.id.as_str(), r)).collect();
        for o in &observed {
            if !known.contains_key(o.id.as_str()) {
                tracing::info!(sandbox = %o.id, name = %o.name, "removing a sandbox container with no record (zombie)");
                if let Err(e) = self.driver.remove(&o.id).await {
                    tracing::warn!(sandbox = %o.id, error = %e, "zombie removal failed");
                }
            }
        }
        let by_id: HashMap<&str, &sandbox::Observed> =
            observed.iter().map(|o| (o.id.as_str(), o)).collect();
        let mut running = Vec::new();
        for r in &records {
            let state = SandboxState::parse(&r.status);
            if matches!(state, SandboxState::Failed | SandboxState::Destroyed) {
                continue;
            }
            match by_id.get(r.id.as_str()).map(|o| o.state) {
                None | Some(RuntimeState::Missing) => {
                    if matches!(state, SandboxState::Pending | SandboxState::Creating) {
                        self.set_status(
                            &r.id,
                            SandboxState::Failed,
                            Some("the server stopped while this sandbox was being created"),
                        )
                        .await?;
                    } else {
                        self.set_status(
                            &r.id,
                            SandboxState::Failed,
                            Some("its container vanished (removed outside AnyCode)"),
                        )
                        .await?;
                    }
                    self.lose_terminals(&r.id).await;
                }
                Some(RuntimeState::Running) => {
                    if !matches!(state, SandboxState::Ready | SandboxState::Running) {
                        self.set_status(&r.id, SandboxState::Ready, None).await?;
                    }
                    running.push(r.id.clone());
                }
                Some(RuntimeState::Paused) => {
                    if state != SandboxState::Paused {
                        self.set_status(&r.id, SandboxState::Paused, None).await?;
                    }
                    self.supervise(&r.id);
                }
                Some(RuntimeState::Stopped) => {
                    if state != SandboxState::Stopped {
                        let reason = "its container stopped outside AnyCode";
                        self.set_status(&r.id, SandboxState::Stopped, Some(reason))
                            .await?;
                    }
                    self.unsupervise(&r.id);
                    self.lose_terminals(&r.id).await;
                }
            }
        }
        // Reattach running sandboxes before serving, all at once: after a restart the first
        // request already finds every terminal with its screen and history.
        let first = running.iter().filter(|id| self.link(id).is_none()).map(|id| async move {
            if let Err(e) = self.connect(id).await {
                tracing::info!(sandbox = %id, error = %e, "first reconnect failed; retrying in the background");
            }
        });
        futures_util::future::join_all(first).await;
        for id in &running {
            self.supervise(id);
        }
        Ok(())
    }

    async fn watch_engine(self: Arc<Self>) {
        use futures_util::StreamExt;
        let Some(mut events) = self.driver.events() else {
            return;
        };
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                ev = events.next() => match ev {
                    Some(sandbox::DriverEvent::Changed { id }) => {
                        if let Err(e) = self.refresh(&id).await {
                            tracing::debug!(sandbox = %id, error = %e, "refresh after engine event failed");
                        }
                    }
                    Some(sandbox::DriverEvent::Resync) => {
                        if let Err(e) = self.reconcile().await {
                            tracing::warn!(error = %e, "reconciliation after engine resync failed");
                        }
                    }
                    None => return,
                },
            }
        }
    }

    /// Re-reads one sandbox from the engine after an event.
    async fn refresh(self: &Arc<Self>, id: &str) -> Result<(), FleetError> {
        if lock(&self.busy).contains(id) {
            return Ok(());
        }
        let Some(r) = self.store.get_sandbox(id).await? else {
            return Ok(());
        };
        let state = SandboxState::parse(&r.status);
        if matches!(
            state,
            SandboxState::Pending
                | SandboxState::Creating
                | SandboxState::Destroyed
                | SandboxState::Failed
        ) {
            return Ok(());
        }
        match self.driver.inspect(id).await {
            Ok(o) => match o.state {
                RuntimeState::Running if state == SandboxState::Paused => {
                    self.set_status(id, SandboxState::Ready, None).await?;
                }
                RuntimeState::Paused if state != SandboxState::Paused => {
                    self.set_status(id, SandboxState::Paused, None).await?;
                }
                RuntimeState::Stopped if state != SandboxState::Stopped => {
                    let reason = match o.exit_code {
                        Some(137) => {
                            "its container was killed outside AnyCode (exit 137)".to_string()
                        }
                        Some(c) => format!("its container exited with code {c}"),
                        None => "its container stopped".to_string(),
                    };
                    self.unsupervise(id);
                    self.set_status(id, SandboxState::Stopped, Some(&reason))
                        .await?;
                    self.lose_terminals(id).await;
                }
                _ => {}
            },
            Err(DriverError::NotFound(_)) => {
                self.unsupervise(id);
                self.set_status(
                    id,
                    SandboxState::Failed,
                    Some("its container vanished (removed outside AnyCode)"),
                )
                .await?;
                self.lose_terminals(id).await;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Pauses sandboxes idle longer than `pause_after`; destroys ones idle longer than
    /// `destroy_after`. Activity = terminal output since the last sweep.
    async fn sweep_idle(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.cfg.sweep_every);
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let Ok(records) = self.store.list_sandboxes().await else {
                continue;
            };
            for r in records {
                let state = SandboxState::parse(&r.status);
                if !matches!(
                    state,
                    SandboxState::Ready | SandboxState::Running | SandboxState::Paused
                ) {
                    continue;
                }
                let idle = self.idle_for(&r.id);
                if idle >= self.cfg.destroy_after {
                    tracing::info!(sandbox = %r.id, "destroying after idle TTL");
                    let _ = self.destroy(&r.id).await;
                } else if idle >= self.cfg.pause_after && state != SandboxState::Paused {
                    tracing::info!(sandbox = %r.id, "pausing after idle TTL");
                    let _ = self.pause(&r.id).await;
                }
            }
        }
    }

    fn output_total(&self, id: &str) -> u64 {
        lock(&self.mirrors)
            .values()
            .filter(|(sb, _)| sb == id)
            .map(|(_, m)| m.session.info().end)
            .sum()
    }

    fn idle_for(&self, id: &str) -> Duration {
        let total = self.output_total(id);
        let mut act = lock(&self.activity);
        let entry = act.entry(id.to_string()).or_insert((total, Instant::now()));
        if entry.0 != total {
            *entry = (total, Instant::now());
        }
        entry.1.elapsed()
    }

    /// Marks a sandbox as used now (API calls, new terminals).
    pub fn touch(&self, id: &str) {
        let total = self.output_total(id);
        lock(&self.activity).insert(id.to_string(), (total, Instant::now()));
    }

    async fn poll_stats(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.cfg.stats_every);
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let ids: Vec<String> = lock(&self.links).keys().cloned().collect();
            for id in ids {
                if let Ok(s) = self.driver.stats(&id).await {
                    lock(&self.stats).insert(id.clone(), s);
                    self.emit(FleetEvent::Sandbox(id));
                }
            }
        }
    }

    // ---------- links ----------

    /// Keeps an agent link to `id` for as long as the sandbox runs: connects, re-attaches every
    /// terminal, and reconnects after a drop (e.g. a `docker exec` that died).
    fn supervise(self: &Arc<Self>, id: &str) {
        let token = self.shutdown.child_token();
        {
            let mut sup = lock(&self.supervised);
            if sup.get(id).is_some_and(|t| !t.is_cancelled()) {
                return;
            }
            sup.insert(id.to_string(), token.clone());
        }
        let me = Arc::clone(self);
        let id = id.to_string();
        self.tasks.spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                if token.is_cancelled() {
                    break;
                }
                let existing = me.link(&id);
                let attempt = match existing {
                    Some(link) => Ok(link),
                    None => me.connect(&id).await,
                };
                match attempt {
                    Ok(link) => {
                        backoff = Duration::from_millis(100);
                        let closed = link.closed();
                        tokio::select! {
                            _ = token.cancelled() => { link.close(); break; }
                            _ = closed.cancelled() => {}
                        }
                        lock(&me.links).remove(&id);
                        me.emit(FleetEvent::Sandbox(id.clone()));
                    }
                    Err(e) => {
                        tracing::info!(sandbox = %id, error = %e, "agent not reachable yet");
                    }
                }
                // Reconnect only while the engine says it runs.
                match me.driver.inspect(&id).await {
                    Ok(o) if matches!(o.state, RuntimeState::Running | RuntimeState::Paused) => {}
                    _ => {
                        let _ = me.refresh(&id).await;
                        break;
                    }
                }
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            lock(&me.supervised).remove(&id);
        });
    }

    fn unsupervise(&self, id: &str) {
        if let Some(t) = lock(&self.supervised).remove(id) {
            t.cancel();
        }
        if let Some(l) = lock(&self.links).remove(id) {
            l.close();
        }
    }

    async fn connect(self: &Arc<Self>, id: &str) -> Result<Arc<AgentLink>, FleetError> {
        let stream = self.driver.connect_agent(id).await?;
        let link = AgentLink::connect(id, stream, Arc::clone(&self.tunnels))
            .await
            .map_err(|e| FleetError::Agent(e.to_string()))?;
        // Re-attach terminals: records are the truth for what the user has open.
        let agent_terms = link
            .list_terminals()
            .await
            .map_err(|e| FleetError::Agent(e.to_string()))?;
        let records = self.store.sandbox_terminals(id).await?;
        for rec in &records {
            let key = rec.id.to_string();
            match agent_terms.iter().find(|t| t.terminal == key) {
                Some(info) => {
                    let mirror = self.mirror_for(rec);
                    if let Err(e) = link.attach(&mirror, Some(&info.state)).await {
                        tracing::warn!(terminal = %key, error = %e, "re-attach failed");
                    }
                }
                None => {
                    if rec.status == TerminalStatus::Running {
                        let _ = self.hub.mark_exited(rec.id).await;
                        if let Some((_, m)) = lock(&self.mirrors).get(&rec.id) {
                            m.session.push_exit(terminal::ExitStatus {
                                code: None,
                                signal: None,
                            });
                        }
                    }
                }
            }
        }
        // Terminals the agent has but nobody records (closed while the link was down).
        for t in &agent_terms {
            if !records.iter().any(|r| r.id.to_string() == t.terminal) {
                let _ = link
                    .terminal_op(&t.terminal, agent_proto::TerminalOp::Close)
                    .await;
            }
        }
        lock(&self.links).insert(id.to_string(), Arc::clone(&link));
        self.touch(id);
        self.emit(FleetEvent::Sandbox(id.to_string()));
        Ok(link)
    }

    /// The mirror of a recorded sandbox terminal, made (and registered with the hub) on first use.
    fn mirror_for(&self, rec: &TerminalRecord) -> Mirror {
        let mut mirrors = lock(&self.mirrors);
        if let Some((_, m)) = mirrors.get(&rec.id) {
            return m.clone();
        }
        let m = new_mirror(rec.id, rec.cols, rec.rows);
        mirrors.insert(
            rec.id,
            (rec.sandbox_id.clone().unwrap_or_default(), m.clone()),
        );
        drop(mirrors);
        self.hub.adopt_mirror(rec.id, m.session.clone());
        m
    }

    fn link(&self, id: &str) -> Option<Arc<AgentLink>> {
        lock(&self.links)
            .get(id)
            .filter(|l| !l.is_closed())
            .cloned()
    }

    /// Waits briefly for the supervised link (just created or reconnecting).
    async fn wait_link(&self, id: &str) -> Result<Arc<AgentLink>, FleetError> {
        for _ in 0..600 {
            if let Some(l) = self.link(id) {
                return Ok(l);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(FleetError::Agent(
            "no connection to the sandbox agent".into(),
        ))
    }

    async fn lose_terminals(&self, id: &str) {
        let Ok(records) = self.store.sandbox_terminals(id).await else {
            return;
        };
        for rec in records {
            let _ = self.hub.mark_exited(rec.id).await;
            if let Some((_, m)) = lock(&self.mirrors).get(&rec.id) {
                if matches!(m.session.info().state, terminal::ProcessState::Running) {
                    m.session.push_exit(terminal::ExitStatus {
                        code: None,
                        signal: None,
                    });
                }
            }
            self.emit(FleetEvent::Terminal(rec.id.to_string()));
        }
    }

    async fn set_status(
        &self,
        id: &str,
        s: SandboxState,
        reason: Option<&str>,
    ) -> Result<(), FleetError> {
        self.store
            .set_sandbox_status(id, s.as_str(), reason)
            .await?;
        if s == SandboxState::Destroyed {
            self.emit(FleetEvent::SandboxRemoved(id.to_string()));
        } else {
            self.emit(FleetEvent::Sandbox(id.to_string()));
        }
        Ok(())
    }

    // ---------- queries ----------

    pub async fn list(&self) -> Result<Vec<SandboxSnapshot>, FleetError> {
        let records = self.store.list_sandboxes().await?;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            out.push(self.snapshot_of(r).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, id: &str) -> Result<SandboxSnapshot, FleetError> {
        let r = self
            .store
            .get_sandbox(id)
            .await?
            .ok_or_else(|| FleetError::NotFound(id.into()))?;
        self.snapshot_of(r).await
    }

    async fn snapshot_of(&self, r: SandboxRecord) -> Result<SandboxSnapshot, FleetError> {
        let terms = self.store.sandbox_terminals(&r.id).await?;
        let running = terms.iter().filter(|t| {
            self.hub
                .session(t.id)
                .is_some_and(|s| matches!(s.info().state, terminal::ProcessState::Running))
        });
        let running = running.count();
        let mut state = SandboxState::parse(&r.status);
        if state == SandboxState::Ready && running > 0 {
            state = SandboxState::Running;
        }
        Ok(SandboxSnapshot {
            git: self.store.sandbox_git(&r.id).await?,
            stats: lock(&self.stats).get(&r.id).copied(),
            agent_connected: self.link(&r.id).is_some(),
            credential_mode: self.credential_mode(&r.id),
            terminals: terms.len(),
            state,
            record: r,
        })
    }

    // ---------- commands ----------

    pub async fn create(self: &Arc<Self>, req: NewSandbox) -> Result<SandboxSnapshot, FleetError> {
        let started = Instant::now();
        let name = req.name.trim().to_string();
        if !valid_name(&name) {
            return Err(FleetError::Invalid(
                "`name` must be 1-63 characters: letters, digits, `-`, `_`, `.`, starting with a letter or digit".into(),
            ));
        }
        let image = req.image.unwrap_or_else(|| self.cfg.default_image.clone());
        if !valid_image(&image) {
            return Err(FleetError::Invalid(format!(
                "`image` `{image}` is not a valid image reference"
            )));
        }
        let d = self.cfg.default_limits;
        let limits = Limits {
            cpus: req.cpus.unwrap_or(d.cpus),
            memory_mb: req.memory_mb.unwrap_or(d.memory_mb),
            pids: req.pids.unwrap_or(d.pids),
        };
        let host_cpus = std::thread::available_parallelism()
            .map(|n| n.get() as f64)
            .unwrap_or(1.0);
        if !(0.1..=host_cpus).contains(&limits.cpus) || !limits.cpus.is_finite() {
            return Err(FleetError::Invalid(format!(
                "`cpus` must be between 0.1 and {host_cpus} (this machine's CPUs)"
            )));
        }
        if !(128..=1024 * 1024).contains(&limits.memory_mb) {
            return Err(FleetError::Invalid(
                "`memoryMb` must be between 128 and 1048576".into(),
            ));
        }
        if !(32..=65_536).contains(&limits.pids) {
            return Err(FleetError::Invalid(
                "`pids` must be between 32 and 65536".into(),
            ));
        }
        let network = req.network.unwrap_or(NetworkMode::None);
        let credential_mode = self.choose_credential_mode(req.credential_mode)?;
        if !self.cfg.agent_binary.is_file() {
            return Err(FleetError::Failed(format!(
                "the sandbox agent binary is missing at {}: build it with `cargo build --release -p agent` (scripts/run does)",
                self.cfg.agent_binary.display()
            )));
        }
        if !self.driver.image_present(&image).await? {
            return Err(FleetError::ImageMissing(image));
        }
        let now = store::now_rfc3339();
        let id = uuid::Uuid::now_v7().to_string();
        let record = SandboxRecord {
            id: id.clone(),
            name: name.clone(),
            status: SandboxState::Pending.as_str().into(),
            failure_reason: None,
            driver: self.driver.kind().into(),
            image: image.clone(),
            runtime_id: None,
            cpus: limits.cpus,
            memory_mb: limits.memory_mb as i64,
            pids: i64::from(limits.pids),
            network: match network {
                NetworkMode::None => "none".into(),
                NetworkMode::Bridge => "bridge".into(),
            },
            created_at: now.clone(),
            updated_at: now.clone(),
            last_active_at: now,
        };
        if self.store.insert_sandbox(&record).await?.is_err() {
            return Err(FleetError::Duplicate(name));
        }
        self.emit(FleetEvent::Sandbox(id.clone()));
        self.set_status(&id, SandboxState::Creating, None).await?;
        self.record_credential_mode(&id, credential_mode).await?;

        let dir = self.cfg.sandboxes_dir.join(&id);
        // Direct mode: no proxy token (processes get the real credential when they start).
        let token = (credential_mode == CredentialMode::Proxy).then(crate::claude::new_proxy_token);
        if let Some(token) = &token {
            let hash = crate::claude::token_hash(token);
            self.store.set_sandbox_token(&id, &hash).await?;
            lock(&self.tokens).insert(id.clone(), hash);
        }
        let local = self.driver.kind() == "local";
        let (config_dir, agent_in_sandbox) = if local {
            (
                dir.join("state").join("claude").display().to_string(),
                self.cfg.agent_binary.display().to_string(),
            )
        } else {
            (
                crate::claude::CONFIG_DIR_IN_SANDBOX.to_string(),
                sandbox::AGENT_PATH_IN_SANDBOX.to_string(),
            )
        };
        // The sandbox's own proxy token lives in its environment (never the real credential).
        let mut env = crate::claude::env(None, &config_dir);
        if let Some(token) = token {
            env.insert("ANTHROPIC_AUTH_TOKEN".into(), token);
        }
        env.insert("ANYCODE_SANDBOX_ID".into(), id.clone());
        if local {
            env.insert(
                "ANYCODE_AGENT_SOCKET".into(),
                dir.join("state").join("agent.sock").display().to_string(),
            );
        }
        let spec = SandboxSpec {
            id: id.clone(),
            name,
            image,
            workspace_dir: dir.join("workspace"),
            state_dir: dir.join("state"),
            agent_binary: self.cfg.agent_binary.clone(),
            limits,
            network,
            env,
            mirror_dir: match (&req.checkout, local) {
                (Some(c), false) => Some(c.mirror_dir.clone()),
                _ => None,
            },
        };
        let made = async {
            std::fs::create_dir_all(&spec.workspace_dir)
                .map_err(|e| FleetError::Failed(format!("cannot create the workspace: {e}")))?;
            if let Some(c) = &req.checkout {
                self.checkout(&dir, c, local).await?;
            }
            std::fs::create_dir_all(spec.state_dir.join("recordings"))
                .map_err(|e| FleetError::Failed(format!("cannot create the state dir: {e}")))?;
            crate::claude::prepare_config(&spec.state_dir.join("claude"), &agent_in_sandbox)
                .map_err(|e| FleetError::Failed(format!("cannot prepare Claude's config: {e}")))?;
            let o = self.driver.create(&spec).await?;
            self.store.set_sandbox_runtime(&id, &o.runtime_id).await?;
            Ok::<_, FleetError>(())
        }
        .await;
        if let Err(e) = made {
            // Nothing may be left behind: remove whatever the engine made, keep the record as failed.
            let _ = self.driver.remove(&id).await;
            let reason = e.to_string();
            self.set_status(&id, SandboxState::Failed, Some(&reason))
                .await?;
            return Err(e);
        }
        self.set_status(&id, SandboxState::Ready, None).await?;
        self.supervise(&id);
        // Ready means reachable: wait for the first agent connection.
        if let Err(e) = self.wait_link(&id).await {
            let reason = format!("the agent did not start: {e}");
            self.unsupervise(&id);
            let _ = self.driver.remove(&id).await;
            self.set_status(&id, SandboxState::Failed, Some(&reason))
                .await?;
            return Err(FleetError::Failed(reason));
        }
        (self.observer)("create", started.elapsed());
        self.get(&id).await
    }

    /// Clones the project mirror into the new workspace (see [`Checkout`]). The relative
    /// alternates resolve to `/mirror.git` inside a container and, through a `mirror.git`
    /// symlink beside the workspace, on the host (local driver).
    async fn checkout(&self, dir: &Path, c: &Checkout, local: bool) -> Result<(), FleetError> {
        let link = dir.join("mirror.git");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&c.mirror_dir, &link)
            .map_err(|e| FleetError::Failed(format!("cannot link the mirror: {e}")))?;
        let origin = if local {
            link.display().to_string()
        } else {
            sandbox::MIRROR_IN_SANDBOX.to_string()
        };
        let opts = gitops::CheckoutOptions {
            origin_url_in_sandbox: origin,
            user_name: c.author_name.clone(),
            user_email: c.author_email.clone(),
            ..Default::default()
        };
        gitops::prepare_checkout(
            &gitops::Mirror::at(&c.mirror_dir),
            &dir.join("workspace"),
            &c.base_sha,
            &c.branch,
            &opts,
        )
        .await
        .map_err(|e| FleetError::Failed(format!("cannot check out the project: {e}")))?;
        Ok(())
    }

    /// The sandbox's directories on the host and inside it.
    pub fn paths(&self, id: &str) -> SandboxPaths {
        let dir = self.cfg.sandboxes_dir.join(id);
        let local = self.driver.kind() == "local";
        SandboxPaths {
            state_inside: if local {
                dir.join("state").display().to_string()
            } else {
                sandbox::STATE_DIR_IN_SANDBOX.to_string()
            },
            workspace_inside: if local {
                dir.join("workspace").display().to_string()
            } else {
                sandbox::WORKSPACE_IN_SANDBOX.to_string()
            },
            host_state: dir.join("state"),
            host_workspace: dir.join("workspace"),
        }
    }

    fn busy(&self, id: &str) -> BusyGuard<'_> {
        lock(&self.busy).insert(id.to_string());
        BusyGuard {
            fleet: self,
            id: id.to_string(),
        }
    }

    pub async fn start_sandbox(self: &Arc<Self>, id: &str) -> Result<SandboxSnapshot, FleetError> {
        let _busy = self.busy(id);
        let started = Instant::now();
        let snap = self.get(id).await?;
        match snap.state {
            SandboxState::Paused => {
                self.driver.unpause(id).await?;
                self.set_status(id, SandboxState::Ready, None).await?;
                self.supervise(id);
            }
            SandboxState::Stopped | SandboxState::Failed => {
                match self.driver.start(id).await {
                    Ok(()) => {}
                    Err(DriverError::NotFound(_)) => {
                        return Err(FleetError::WrongState {
                            id: id.into(),
                            state: "gone",
                            hint: "its container no longer exists; delete it and create a new one",
                        })
                    }
                    Err(e) => return Err(e.into()),
                }
                self.set_status(id, SandboxState::Ready, None).await?;
                self.supervise(id);
                self.wait_link(id).await?;
            }
            SandboxState::Ready | SandboxState::Running => {}
            _ => {
                return Err(FleetError::WrongState {
                    id: id.into(),
                    state: snap.state.as_str(),
                    hint: "wait until it is ready",
                })
            }
        }
        self.touch(id);
        (self.observer)("start", started.elapsed());
        self.get(id).await
    }

    pub async fn stop(self: &Arc<Self>, id: &str) -> Result<SandboxSnapshot, FleetError> {
        let _busy = self.busy(id);
        let started = Instant::now();
        let snap = self.get(id).await?;
        if matches!(snap.state, SandboxState::Pending | SandboxState::Creating) {
            return Err(FleetError::WrongState {
                id: id.into(),
                state: snap.state.as_str(),
                hint: "wait until it is ready",
            });
        }
        self.unsupervise(id);
        if snap.state == SandboxState::Paused {
            let _ = self.driver.unpause(id).await;
        }
        match self.driver.stop(id).await {
            Ok(()) | Err(DriverError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.set_status(id, SandboxState::Stopped, Some("stopped by the user"))
            .await?;
        self.lose_terminals(id).await;
        (self.observer)("stop", started.elapsed());
        self.get(id).await
    }

    pub async fn pause(self: &Arc<Self>, id: &str) -> Result<(), FleetError> {
        self.driver.pause(id).await?;
        self.set_status(id, SandboxState::Paused, Some("paused after being idle"))
            .await?;
        Ok(())
    }

    pub async fn destroy(self: &Arc<Self>, id: &str) -> Result<(), FleetError> {
        let _busy = self.busy(id);
        let started = Instant::now();
        self.store
            .get_sandbox(id)
            .await?
            .ok_or_else(|| FleetError::NotFound(id.into()))?;
        self.unsupervise(id);
        self.driver.remove(id).await?;
        lock(&self.mirrors).retain(|_, (sb, _)| sb != id);
        self.hub.drop_sandbox(id).await?;
        // Revoking a sandbox revokes its model-proxy token.
        lock(&self.tokens).remove(id);
        self.store.revoke_sandbox_token(id).await?;
        self.forget_credential_mode(id);
        self.set_status(id, SandboxState::Destroyed, None).await?;
        let _ = std::fs::remove_dir_all(self.cfg.sandboxes_dir.join(id));
        lock(&self.stats).remove(id);
        lock(&self.activity).remove(id);
        (self.observer)("destroy", started.elapsed());
        Ok(())
    }

    async fn live_link(self: &Arc<Self>, id: &str) -> Result<Arc<AgentLink>, FleetError> {
        let snap = self.get(id).await?;
        match snap.state {
            SandboxState::Ready | SandboxState::Running => {}
            SandboxState::Paused => {
                self.driver.unpause(id).await?;
                self.set_status(id, SandboxState::Ready, None).await?;
            }
            other => {
                return Err(FleetError::WrongState {
                    id: id.into(),
                    state: other.as_str(),
                    hint: "start it first",
                });
            }
        }
        self.touch(id);
        self.wait_link(id).await
    }

    fn process_env(link: &AgentLink) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        if let Some(port) = link.welcome.tunnel_ports.get("egress") {
            let url = format!("http://127.0.0.1:{port}");
            for k in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
                env.insert(k.to_string(), url.clone());
            }
            env.insert("NO_PROXY".into(), "localhost,127.0.0.1".into());
            env.insert("no_proxy".into(), "localhost,127.0.0.1".into());
        }
        if let Some(port) = link.welcome.tunnel_ports.get("model") {
            env.insert(
                "ANTHROPIC_BASE_URL".into(),
                format!("http://127.0.0.1:{port}"),
            );
        }
        env
    }

    // ---------- Claude agents ----------

    /// Whether `token` is `sandbox`'s live model-proxy token.
    pub fn token_valid(&self, sandbox: &str, token: &str) -> bool {
        let want = lock(&self.tokens).get(sandbox).cloned();
        want.is_some_and(|h| {
            constant_time_eq(h.as_bytes(), crate::claude::token_hash(token).as_bytes())
        })
    }

    pub fn agent_status(&self, terminal: &str) -> Option<AgentStatus> {
        self.states.get(terminal)
    }

    pub fn agent_statuses(&self) -> Vec<(String, AgentStatus)> {
        self.states.all()
    }

    /// The user typed into a terminal (an interrupt key may end a turn without a hook).
    pub fn agent_input(&self, terminal: &str, data: &[u8]) {
        self.states.input(terminal, data);
    }

    pub fn agent_seen(&self, terminal: &str) {
        self.states.seen(terminal);
    }

    /// Reported by the model proxy.
    pub fn rate_limited(&self, sandbox: &str, status: u16, retry_after_secs: Option<u64>) {
        self.emit(FleetEvent::RateLimited {
            sandbox: sandbox.to_string(),
            status,
            retry_after_secs,
        });
    }

    pub async fn exec(
        self: &Arc<Self>,
        id: &str,
        argv: Vec<String>,
        cwd: Option<String>,
        env: BTreeMap<String, String>,
        timeout: Duration,
        stdin: Option<String>,
    ) -> Result<ExecOutput, FleetError> {
        crate::terminals::check_argv(&argv)?;
        crate::terminals::check_env(&env)?;
        let link = self.live_link(id).await?;
        let mut full = Self::process_env(&link);
        self.add_direct_credential(id, &mut full).await;
        full.extend(env);
        Self::exec_on(&link, argv, cwd, full, timeout, stdin).await
    }

    /// Runs one command through an agent link and maps its reply.
    async fn exec_on(
        link: &AgentLink,
        argv: Vec<String>,
        cwd: Option<String>,
        env: BTreeMap<String, String>,
        timeout: Duration,
        stdin: Option<String>,
    ) -> Result<ExecOutput, FleetError> {
        let started = Instant::now();
        match link.exec(argv, cwd, env, timeout, stdin).await {
            Ok(agent_proto::Message::ExecResult {
                exit_code,
                signal,
                stdout,
                stderr,
                timed_out,
                truncated,
                ..
            }) => Ok(ExecOutput {
                exit_code,
                signal,
                stdout,
                stderr,
                timed_out,
                truncated,
                duration_ms: started.elapsed().as_millis() as u64,
            }),
            Ok(other) => Err(FleetError::Agent(format!("unexpected reply {other:?}"))),
            Err(sandbox::link::LinkError::Agent { code, message }) if code == "spawn_failed" => {
                Err(FleetError::Invalid(message))
            }
            Err(e) => Err(FleetError::Agent(e.to_string())),
        }
    }

    /// Like [`Fleet::exec`], for background observers (the conflict radar): runs only in a
    /// sandbox that is up and connected, never wakes a paused one, and is not user activity
    /// (the idle timer keeps running).
    pub async fn exec_observe(
        &self,
        id: &str,
        argv: Vec<String>,
        cwd: Option<String>,
        timeout: Duration,
    ) -> Result<ExecOutput, FleetError> {
        let snap = self.get(id).await?;
        if !matches!(snap.state, SandboxState::Ready | SandboxState::Running) {
            return Err(FleetError::WrongState {
                id: id.into(),
                state: snap.state.as_str(),
                hint: "observers leave it alone",
            });
        }
        let link = self
            .link(id)
            .ok_or_else(|| FleetError::Agent("not connected".into()))?;
        let env = Self::process_env(&link);
        Self::exec_on(&link, argv, cwd, env, timeout, None).await
    }

    /// Opens a terminal inside the sandbox and registers its mirror with the hub.
    pub async fn create_terminal(
        self: &Arc<Self>,
        id: &str,
        req: NewTerminal,
    ) -> Result<(TerminalRecord, Option<Info>), FleetError> {
        let (cols, rows) = TerminalHub::check_request(&req)?;
        let link = self.live_link(id).await?;
        let argv = req
            .command
            .clone()
            .unwrap_or_else(|| vec!["/bin/bash".into(), "-l".into()]);
        let argv = if self.driver.kind() == "local" && req.command.is_none() {
            vec![std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into())]
        } else {
            argv
        };
        let name = terminal_name(req.name.clone(), &argv)?;
        let tid = TerminalId::new();
        let mut env = Self::process_env(&link);
        self.add_direct_credential(id, &mut env).await;
        env.insert("TERM".into(), "xterm-256color".into());
        // Hooks report which terminal they fired in.
        env.insert("ANYCODE_TERMINAL_ID".into(), tid.to_string());
        env.extend(req.env.clone());
        if argv
            .first()
            .is_some_and(|a| a.rsplit('/').next() == Some("claude"))
        {
            self.states.starting(&tid.to_string(), Some(id));
        }
        link.create_terminal(
            &tid.to_string(),
            argv.clone(),
            req.cwd.clone(),
            env,
            cols,
            rows,
            &name,
        )
        .await
        .map_err(|e| match e {
            sandbox::link::LinkError::Agent { message, .. } => {
                FleetError::Hub(HubError::Spawn(message))
            }
            other => FleetError::Agent(other.to_string()),
        })?;
        let record = TerminalRecord {
            id: tid,
            name,
            command: argv,
            cwd: req.cwd,
            cols,
            rows,
            status: TerminalStatus::Running,
            exit_code: None,
            signal: None,
            sandbox_id: Some(id.to_string()),
            created_at: store::now_rfc3339(),
        };
        let mirror = new_mirror(tid, cols, rows);
        lock(&self.mirrors).insert(tid, (id.to_string(), mirror.clone()));
        let created = self.hub.add_mirror(record, mirror.session.clone()).await?;
        link.attach(&mirror, None)
            .await
            .map_err(|e| FleetError::Agent(e.to_string()))?;
        self.emit(FleetEvent::Sandbox(id.to_string()));
        Ok(created)
    }

    /// Ends background work (links closed; sandboxes keep running).
    pub async fn shutdown(&self) {
        for (_, t) in lock(&self.supervised).drain() {
            t.cancel();
        }
        for (_, l) in lock(&self.links).drain() {
            l.close();
        }
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// A mirror keyed by the agent's terminal id (the record's id). Sizes come from validated
/// records, so the session always starts.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What an agent link reports besides terminal output: tunnels go to the server's handler,
/// hooks to the agents' state machine.
struct LinkEvents {
    inner: Arc<dyn TunnelHandler>,
    states: Arc<AgentStates>,
}

impl TunnelHandler for LinkEvents {
    fn handle(&self, sandbox: &str, tunnel: sandbox::link::Tunnel) {
        self.inner.handle(sandbox, tunnel);
    }

    fn hook(
        &self,
        sandbox: &str,
        terminal: Option<String>,
        event: String,
        payload: serde_json::Value,
    ) {
        match terminal {
            Some(t) => self.states.hook(sandbox, &t, &event, &payload),
            None => tracing::debug!(sandbox, event, "hook from outside an AnyCode terminal"),
        }
    }
}

/// Clears a sandbox's busy mark when its operation ends, however it ends.
struct BusyGuard<'a> {
    fleet: &'a Fleet,
    id: String,
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        lock(&self.fleet.busy).remove(&self.id);
    }
}

fn new_mirror(tid: TerminalId, cols: u16, rows: u16) -> Mirror {
    let cfg = SessionConfig {
        cols: cols.clamp(1, 1000),
        rows: rows.clamp(1, 500),
        ..Default::default()
    };
    match Session::start(cfg) {
        Ok(driver) => Mirror::new(tid.to_string(), driver),
        Err(_) => unreachable!("clamped sizes are valid"),
    }
}
