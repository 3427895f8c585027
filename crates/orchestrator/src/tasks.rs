//! Tasks and the scheduler.
//!
//! A task is a prompt for a project. Its life: `queued → running → completed | failed |
//! cancelled` (retries go back to `queued` with a `not_before`). Running means: a sandbox on the
//! task's branch → the project's setup → a headless `claude -p` run (or, interactively, `claude`
//! with the prompt in a terminal until the user marks it done) → commit → push → a PR when
//! `autoPR`. Every step is stored, so a restarted server picks each running task up where it
//! was (see [`Tasks::recover`]).
//!
//! The scheduler starts queued tasks by priority, then first come, under a global limit and a
//! per-project limit; a task is claimed with a conditional update, so it never runs twice. When
//! the model proxy reports a 429, the scheduler holds new work until the window reopens and says
//! so on every waiting task. Retries follow the error class: the model's rate limit (respecting
//! `retry-after`), the model failing, the sandbox dying — with exponential backoff; other
//! failures are final.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use store::{Store, TaskRecord};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::fleet::{Fleet, FleetError, FleetEvent, NewSandbox};
use crate::projects::{NewPr, ProjectError, ProjectSandbox, Projects};
use crate::runs::RunRequest;
use crate::terminals::NewTerminal;

pub const TASK_TYPES: [&str; 5] = ["feature", "bugfix", "refactor", "review", "custom"];

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Tasks running at once, all projects together.
    pub max_running: usize,
    /// Tasks running at once in one project.
    pub max_per_project: usize,
}

#[derive(Debug, Clone)]
pub struct TasksConfig {
    pub limits: Limits,
    pub default_timeout: Duration,
    /// How often the scheduler looks even when nothing notifies it (backoff deadlines).
    pub tick: Duration,
    /// Permission mode for headless runs (inside the sandbox, which is the boundary).
    pub permission_mode: String,
    /// Model for headless runs, if not the CLI's default.
    pub model: Option<String>,
}

impl Default for TasksConfig {
    fn default() -> Self {
        Self {
            limits: Limits {
                max_running: 5,
                max_per_project: 3,
            },
            default_timeout: Duration::from_secs(3600),
            tick: Duration::from_secs(1),
            permission_mode: "bypassPermissions".into(),
            model: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewTask {
    pub project_id: String,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub prompt: String,
    pub base_branch: Option<String>,
    pub target_branch: Option<String>,
    pub auto_pr: bool,
    pub interactive: bool,
    pub priority: i64,
    pub timeout_secs: Option<u64>,
    pub max_attempts: Option<i64>,
    pub workflow_run_id: Option<String>,
    pub step_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerStatus {
    pub limits: Limits,
    pub running: usize,
    pub queued: usize,
    /// Why new work is held, until when (RFC 3339).
    pub hold_reason: Option<String>,
    pub hold_until: Option<String>,
}

/// How a failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    RateLimited,
    ModelUnavailable,
    SandboxLost,
    Timeout,
    Setup,
    Git,
    Task,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::ModelUnavailable => "model_unavailable",
            Self::SandboxLost => "sandbox_lost",
            Self::Timeout => "timeout",
            Self::Setup => "setup_failed",
            Self::Git => "git",
            Self::Task => "task_failed",
        }
    }

    /// (max retries, first delay) — the spec's strategies: rate limits 5 × from 5 s (respecting
    /// `retry-after`), model errors 3 × from 1 s, a lost sandbox 2 × from 2 s; the rest none.
    fn policy(self) -> Option<(i64, Duration)> {
        match self {
            Self::RateLimited => Some((5, Duration::from_secs(5))),
            Self::ModelUnavailable => Some((3, Duration::from_secs(1))),
            Self::SandboxLost => Some((2, Duration::from_secs(2))),
            _ => None,
        }
    }
}

/// The delay before retry number `attempt` (1-based): `retry-after` when the upstream gave one,
/// else exponential from the class's first delay, capped at 5 minutes.
pub fn backoff(class: ErrorClass, attempt: i64, retry_after: Option<Duration>) -> Option<Duration> {
    let (max, first) = class.policy()?;
    if attempt > max {
        return None;
    }
    if let Some(r) = retry_after.filter(|_| class == ErrorClass::RateLimited) {
        return Some(r);
    }
    let factor = 2u32.saturating_pow(u32::try_from(attempt.saturating_sub(1)).unwrap_or(30));
    Some(first.saturating_mul(factor).min(Duration::from_secs(300)))
}

#[derive(Debug)]
struct Failure {
    class: ErrorClass,
    message: String,
    retry_after: Option<Duration>,
}

impl Failure {
    fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            class,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<FleetError> for Failure {
    fn from(e: FleetError) -> Self {
        let class = match e {
            FleetError::Agent(_) | FleetError::EngineUnavailable(_) | FleetError::NotFound(_) => {
                ErrorClass::SandboxLost
            }
            FleetError::WrongState { .. } => ErrorClass::SandboxLost,
            _ => ErrorClass::Task,
        };
        Failure::new(class, e.to_string())
    }
}

impl From<ProjectError> for Failure {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::Fleet(f) => f.into(),
            other => Failure::new(ErrorClass::Git, other.to_string()),
        }
    }
}

impl From<store::StoreError> for Failure {
    fn from(e: store::StoreError) -> Self {
        Failure::new(ErrorClass::Task, e.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

struct Hold {
    until: tokio::time::Instant,
    until_text: String,
    reason: String,
}

pub struct Tasks {
    store: Store,
    fleet: Arc<Fleet>,
    projects: Arc<Projects>,
    cfg: Mutex<TasksConfig>,
    wake: Notify,
    /// Running tasks of this process: cancellation for each.
    running: Mutex<HashMap<String, (String, CancellationToken)>>,
    hold: Mutex<Option<Hold>>,
    /// The last 429 each sandbox saw: (when, retry-after).
    limited: Mutex<HashMap<String, (tokio::time::Instant, Option<Duration>)>>,
    /// Interactive tasks waiting for the user: task id → notified when marked done.
    done: Mutex<HashMap<String, Arc<Notify>>>,
    shutdown: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn rfc3339_in(d: Duration) -> String {
    let t = std::time::SystemTime::now() + d;
    store::rfc3339(t)
}

fn short(id: &str) -> String {
    id.chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

impl Tasks {
    pub fn new(
        store: Store,
        fleet: Arc<Fleet>,
        projects: Arc<Projects>,
        cfg: TasksConfig,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            fleet,
            projects,
            cfg: Mutex::new(cfg),
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            hold: Mutex::new(None),
            limited: Mutex::new(HashMap::new()),
            done: Mutex::new(HashMap::new()),
            shutdown,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn emit(&self, id: &str) {
        let _ = self
            .fleet
            .event_sender()
            .send(FleetEvent::Task(id.to_string()));
    }

    async fn log(&self, id: &str, level: &str, message: &str) {
        if let Err(e) = self.store.add_task_log(id, level, message).await {
            tracing::warn!(task = id, error = %e, "cannot log");
        }
    }

    /// Starts the scheduler, the rate-limit listener and the recovery of tasks a previous
    /// server left running.
    pub async fn start(self: &Arc<Self>) -> Result<(), TaskError> {
        self.recover().await?;
        let me = Arc::clone(self);
        let mut events = self.fleet.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = me.shutdown.cancelled() => break,
                    ev = events.recv() => match ev {
                        Ok(FleetEvent::RateLimited { sandbox, status, retry_after_secs }) => {
                            me.rate_limited(&sandbox, status, retry_after_secs.map(Duration::from_secs));
                        }
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(_) => break,
                    }
                }
            }
        });
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let tick = lock(&me.cfg).tick;
                tokio::select! {
                    () = me.shutdown.cancelled() => break,
                    () = me.wake.notified() => {}
                    () = tokio::time::sleep(tick) => {}
                }
                if let Err(e) = me.schedule_once().await {
                    tracing::warn!(error = %e, "scheduling failed");
                }
            }
        });
        Ok(())
    }

    fn rate_limited(&self, sandbox: &str, status: u16, retry_after: Option<Duration>) {
        lock(&self.limited).insert(
            sandbox.to_string(),
            (tokio::time::Instant::now(), retry_after),
        );
        if status != 429 {
            return;
        }
        let wait = retry_after
            .unwrap_or(Duration::from_secs(30))
            .min(Duration::from_secs(3600));
        let until_text = rfc3339_in(wait);
        *lock(&self.hold) = Some(Hold {
            until: tokio::time::Instant::now() + wait,
            reason: format!(
                "the model API rate-limited AnyCode (429); new tasks wait until {until_text}"
            ),
            until_text,
        });
        let _ = self.fleet.event_sender().send(FleetEvent::Scheduler);
        self.wake.notify_one();
    }

    pub fn limits(&self) -> Limits {
        lock(&self.cfg).limits
    }

    pub fn set_limits(&self, limits: Limits) -> Result<(), TaskError> {
        if !(1..=200).contains(&limits.max_running) || !(1..=200).contains(&limits.max_per_project)
        {
            return Err(TaskError::Invalid(
                "limits must be between 1 and 200".into(),
            ));
        }
        lock(&self.cfg).limits = limits;
        let _ = self.fleet.event_sender().send(FleetEvent::Scheduler);
        self.wake.notify_one();
        Ok(())
    }

    pub async fn status(&self) -> Result<SchedulerStatus, TaskError> {
        let queued = self.store.list_tasks(Some("queued")).await?.len();
        let hold = lock(&self.hold);
        let active = hold
            .as_ref()
            .filter(|h| h.until > tokio::time::Instant::now());
        Ok(SchedulerStatus {
            limits: self.limits(),
            running: lock(&self.running).len(),
            queued,
            hold_reason: active.map(|h| h.reason.clone()),
            hold_until: active.map(|h| h.until_text.clone()),
        })
    }

    // ---------- API ----------

    pub async fn create(&self, req: NewTask) -> Result<TaskRecord, TaskError> {
        let prompt = req.prompt.trim().to_string();
        if prompt.is_empty() || prompt.len() > 100_000 || prompt.contains('\0') {
            return Err(TaskError::Invalid(
                "`prompt` must be 1 to 100000 bytes, without NUL".into(),
            ));
        }
        let kind = req.kind.clone().unwrap_or_else(|| "feature".into());
        if !TASK_TYPES.contains(&kind.as_str()) {
            return Err(TaskError::Invalid(format!(
                "`type` `{kind}` is not one of {}",
                TASK_TYPES.join(", ")
            )));
        }
        let project = self
            .projects
            .get(&req.project_id)
            .await
            .map_err(|e| match e {
                ProjectError::NotFound(_) => TaskError::NotFound(format!(
                    "project `{}` does not exist (was it deleted?)",
                    req.project_id
                )),
                other => other.into(),
            })?;
        let id = uuid::Uuid::now_v7().to_string();
        let base = req
            .base_branch
            .clone()
            .unwrap_or_else(|| project.default_branch.clone());
        let target = req
            .target_branch
            .clone()
            .unwrap_or_else(|| format!("anycode/task-{}", short(&id)));
        for (what, b) in [("baseBranch", &base), ("targetBranch", &target)] {
            gitops::validate_branch_name(b)
                .map_err(|e| TaskError::Invalid(format!("`{what}`: {e}")))?;
        }
        if !self.projects.has_branch(&project.id, &base).await? {
            return Err(TaskError::Invalid(format!(
                "`baseBranch`: `{base}` is not a branch of the repository"
            )));
        }
        if base == target {
            return Err(TaskError::Invalid(
                "`targetBranch` must differ from `baseBranch`".into(),
            ));
        }
        if !(-100..=100).contains(&req.priority) {
            return Err(TaskError::Invalid(
                "`priority` must be between -100 and 100".into(),
            ));
        }
        let timeout = req
            .timeout_secs
            .unwrap_or(lock(&self.cfg).default_timeout.as_secs());
        if !(10..=7 * 86_400).contains(&timeout) {
            return Err(TaskError::Invalid(
                "`timeoutSecs` must be between 10 and 604800".into(),
            ));
        }
        let title = req
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| {
                prompt
                    .lines()
                    .next()
                    .unwrap_or("task")
                    .chars()
                    .take(80)
                    .collect()
            });
        let now = store::now_rfc3339();
        let t = TaskRecord {
            id: id.clone(),
            project_id: project.id,
            kind,
            title,
            prompt,
            base_branch: base,
            target_branch: target,
            auto_pr: req.auto_pr,
            mode: if req.interactive {
                "interactive"
            } else {
                "headless"
            }
            .into(),
            priority: req.priority,
            status: "queued".into(),
            phase: None,
            progress: 0,
            wait_reason: None,
            sandbox_id: None,
            run_id: None,
            session_id: None,
            attempt: 0,
            max_attempts: req.max_attempts.unwrap_or(6).clamp(1, 10),
            timeout_secs: i64::try_from(timeout).unwrap_or(3600),
            not_before: None,
            error: None,
            error_class: None,
            result: None,
            workflow_run_id: req.workflow_run_id.clone(),
            step_id: req.step_id.clone(),
            cancel_requested: false,
            created_at: now.clone(),
            updated_at: now,
            started_at: None,
            finished_at: None,
        };
        self.store.insert_task(&t).await?;
        self.log(&id, "info", "queued").await;
        self.emit(&id);
        self.wake.notify_one();
        Ok(t)
    }

    pub async fn get(&self, id: &str) -> Result<TaskRecord, TaskError> {
        self.store
            .get_task(id)
            .await?
            .ok_or_else(|| TaskError::NotFound(format!("task `{id}` does not exist")))
    }

    pub async fn list(&self, status: Option<&str>) -> Result<Vec<TaskRecord>, TaskError> {
        Ok(self.store.list_tasks(status).await?)
    }

    pub async fn logs(&self, id: &str) -> Result<Vec<store::TaskLog>, TaskError> {
        self.get(id).await?;
        Ok(self.store.task_logs(id).await?)
    }

    /// Cancels a queued or running task. The sandbox stays for inspection.
    pub async fn cancel(&self, id: &str) -> Result<TaskRecord, TaskError> {
        let t = self.get(id).await?;
        if matches!(t.status.as_str(), "completed" | "failed" | "cancelled") {
            return Err(TaskError::Conflict(format!(
                "task `{id}` is already {}",
                t.status
            )));
        }
        self.store.request_task_cancel(id).await?;
        let token = lock(&self.running).get(id).map(|(_, c)| c.clone());
        match token {
            Some(c) => c.cancel(),
            None => {
                self.store
                    .finish_task(id, "cancelled", Some("cancelled by the user"), None, None)
                    .await?;
                self.log(id, "info", "cancelled").await;
                self.emit(id);
            }
        }
        self.get(id).await
    }

    /// The user says an interactive task is done: its work is committed, pushed and (with
    /// `autoPR`) proposed.
    pub async fn complete(&self, id: &str) -> Result<TaskRecord, TaskError> {
        let t = self.get(id).await?;
        if t.mode != "interactive" || t.status != "running" {
            return Err(TaskError::Conflict(
                "only a running interactive task can be marked done".into(),
            ));
        }
        match lock(&self.done).get(id) {
            Some(n) => n.notify_one(),
            None => {
                return Err(TaskError::Conflict(
                    "the task is not waiting for the user yet".into(),
                ))
            }
        }
        self.get(id).await
    }

    // ---------- scheduling ----------

    async fn schedule_once(self: &Arc<Self>) -> Result<(), TaskError> {
        let hold_reason = {
            let mut h = lock(&self.hold);
            if h.as_ref()
                .is_some_and(|h| h.until <= tokio::time::Instant::now())
            {
                *h = None;
                let _ = self.fleet.event_sender().send(FleetEvent::Scheduler);
            }
            h.as_ref().map(|h| h.reason.clone())
        };
        let queued = self.store.queued_tasks().await?;
        if queued.is_empty() {
            return Ok(());
        }
        let limits = self.limits();
        let now = store::now_rfc3339();
        let mut per_project: HashMap<String, usize> = HashMap::new();
        for (_, (project, _)) in lock(&self.running).iter() {
            *per_project.entry(project.clone()).or_default() += 1;
        }
        let mut total: usize = per_project.values().sum();
        for t in queued {
            let reason = if let Some(r) = &hold_reason {
                Some(r.clone())
            } else if t.not_before.as_deref().is_some_and(|nb| nb > now.as_str()) {
                Some(format!(
                    "retrying after {} ({})",
                    t.not_before.clone().unwrap_or_default(),
                    t.error.clone().unwrap_or_default()
                ))
            } else if total >= limits.max_running {
                Some(format!(
                    "waiting for a free slot ({total}/{} tasks running)",
                    limits.max_running
                ))
            } else if per_project.get(&t.project_id).copied().unwrap_or(0) >= limits.max_per_project
            {
                Some(format!(
                    "waiting: this project already runs {} tasks (the per-project limit)",
                    limits.max_per_project
                ))
            } else {
                None
            };
            if let Some(r) = reason {
                if t.wait_reason.as_deref() != Some(r.as_str()) {
                    self.store.set_task_wait(&t.id, Some(&r)).await?;
                    self.emit(&t.id);
                }
                continue;
            }
            if !self.store.claim_task(&t.id).await? {
                continue;
            }
            total += 1;
            *per_project.entry(t.project_id.clone()).or_default() += 1;
            self.launch(t.id.clone(), t.project_id.clone(), false);
        }
        Ok(())
    }

    fn launch(self: &Arc<Self>, id: String, project: String, recovering: bool) {
        let token = self.shutdown.child_token();
        lock(&self.running).insert(id.clone(), (project, token.clone()));
        let _ = self.fleet.event_sender().send(FleetEvent::Scheduler);
        let me = Arc::clone(self);
        tokio::spawn(async move {
            me.drive(&id, token, recovering).await;
            lock(&me.running).remove(&id);
            lock(&me.done).remove(&id);
            me.emit(&id);
            let _ = me.fleet.event_sender().send(FleetEvent::Scheduler);
            me.wake.notify_one();
        });
    }

    /// Runs one claimed task to an end state (or back to the queue for a retry).
    async fn drive(self: &Arc<Self>, id: &str, cancel: CancellationToken, recovering: bool) {
        let Ok(t) = self.get(id).await else { return };
        self.emit(id);
        self.log(
            id,
            "info",
            &if recovering {
                format!(
                    "resumed after a server restart (phase {})",
                    t.phase.clone().unwrap_or_default()
                )
            } else {
                format!("started (attempt {})", t.attempt)
            },
        )
        .await;
        let timeout = Duration::from_secs(u64::try_from(t.timeout_secs).unwrap_or(3600));
        let outcome = tokio::select! {
            r = tokio::time::timeout(timeout, self.execute(&t, recovering)) => match r {
                Ok(r) => r,
                Err(_) => Err(Failure::new(ErrorClass::Timeout, format!("timed out after {} s", t.timeout_secs))),
            },
            () = cancel.cancelled() => {
                if self.shutdown.is_cancelled() {
                    // The server stops: leave the task running in the store; the next start
                    // recovers it.
                    return;
                }
                Err(Failure::new(ErrorClass::Task, "cancelled by the user"))
            }
        };
        let t = self.get(id).await.unwrap_or(t);
        match outcome {
            Ok(result) => {
                let _ = self
                    .store
                    .finish_task(id, "completed", None, None, Some(&result))
                    .await;
                self.log(id, "info", "completed").await;
            }
            Err(f) if t.cancel_requested || cancel.is_cancelled() => {
                self.stop_run(&t).await;
                let _ = self
                    .store
                    .finish_task(id, "cancelled", Some("cancelled by the user"), None, None)
                    .await;
                self.log(id, "info", &format!("cancelled ({})", f.message))
                    .await;
            }
            Err(f) => {
                if f.class == ErrorClass::Timeout {
                    self.stop_run(&t).await;
                }
                let retry_after = f.retry_after.or_else(|| {
                    let sb = t.sandbox_id.as_deref()?;
                    lock(&self.limited).get(sb).and_then(|(_, r)| *r)
                });
                let delay =
                    backoff(f.class, t.attempt, retry_after).filter(|_| t.attempt < t.max_attempts);
                match delay {
                    Some(d) => {
                        let nb = rfc3339_in(d);
                        self.log(
                            id,
                            "warn",
                            &format!("{} ({}); retrying after {nb}", f.message, f.class.as_str()),
                        )
                        .await;
                        let _ = self
                            .store
                            .requeue_task(id, Some(&nb), &f.message, f.class.as_str())
                            .await;
                    }
                    None => {
                        self.log(id, "error", &format!("failed: {}", f.message))
                            .await;
                        let _ = self
                            .store
                            .finish_task(
                                id,
                                "failed",
                                Some(&f.message),
                                Some(f.class.as_str()),
                                None,
                            )
                            .await;
                    }
                }
            }
        }
    }

    async fn stop_run(&self, t: &TaskRecord) {
        let Ok(Some(t)) = self.store.get_task(&t.id).await else {
            return;
        };
        let Some(run) = &t.run_id else { return };
        if let Ok(Some(r)) = self.store.get_run(run).await {
            if let Ok(tid) = r.terminal_id.parse() {
                if let Some(s) = self.fleet.hub().session(tid) {
                    let _ = s.control(terminal::Control::Kill).await;
                }
            }
        }
    }

    async fn progress(&self, id: &str, phase: &str, pct: i64) {
        let _ = self.store.set_task_progress(id, phase, pct).await;
        self.emit(id);
    }

    async fn execute(
        self: &Arc<Self>,
        t: &TaskRecord,
        recovering: bool,
    ) -> Result<serde_json::Value, Failure> {
        let id = t.id.as_str();
        // 1. A sandbox on the task's branch (kept across retries and restarts while it lives).
        self.progress(id, "sandbox", 5).await;
        let sandbox = self.ensure_sandbox(t).await?;
        // 2. Setup, unless a previous life of this task got past it.
        let past_setup = recovering
            && matches!(
                t.phase.as_deref(),
                Some("claude" | "waiting_for_user" | "commit" | "push" | "pr")
            );
        if !past_setup {
            self.progress(id, "setup", 10).await;
            self.setup(t, &sandbox).await?;
        }
        // 3. Claude.
        let past_claude =
            recovering && matches!(t.phase.as_deref(), Some("commit" | "push" | "pr"));
        if !past_claude {
            if t.mode == "interactive" {
                self.interactive(t, &sandbox, recovering).await?;
            } else {
                self.headless(t, &sandbox, recovering).await?;
            }
        }
        // 4. Commit what Claude left, bring the commits into the mirror.
        self.progress(id, "commit", 85).await;
        let st = self.projects.status(&sandbox).await?;
        if st.dirty_files > 0 {
            self.projects.commit(&sandbox, &t.title).await?;
            self.log(id, "info", "committed the work").await;
        }
        let commits = match self.projects.sandbox_commits(&sandbox).await {
            Ok(c) => c,
            Err(ProjectError::Conflict(_)) => vec![],
            Err(e) => return Err(e.into()),
        };
        let mut result = serde_json::json!({
            "branch": t.target_branch,
            "sandboxId": sandbox,
            "commits": commits.iter().map(|c| serde_json::json!({"sha": c.sha, "subject": c.subject})).collect::<Vec<_>>(),
        });
        if commits.is_empty() {
            result["note"] = "Claude made no changes".into();
            self.log(id, "warn", "no changes to push").await;
            return Ok(result);
        }
        // 5. Push from the mirror.
        self.progress(id, "push", 90).await;
        // `sandbox_commits` just harvested: push that, without a second bundle.
        self.projects.push_harvested(&sandbox).await?;
        self.log(id, "info", &format!("pushed {}", t.target_branch))
            .await;
        // 6. The PR.
        if t.auto_pr {
            self.progress(id, "pr", 95).await;
            let pr = match self
                .projects
                .pull_for_branch(&t.project_id, &t.target_branch)
                .await?
            {
                Some(pr) => pr,
                None => {
                    self.projects
                        .create_pr(NewPr {
                            project_id: t.project_id.clone(),
                            sandbox_id: Some(sandbox.clone()),
                            title: Some(t.title.clone()),
                            body: None,
                            head: None,
                            base: Some(t.base_branch.clone()),
                            draft: false,
                        })
                        .await?
                }
            };
            self.log(id, "info", &format!("opened PR #{} {}", pr.number, pr.url))
                .await;
            result["prUrl"] = pr.url.clone().into();
            result["prNumber"] = pr.number.into();
        }
        Ok(result)
    }

    async fn ensure_sandbox(&self, t: &TaskRecord) -> Result<String, Failure> {
        if let Some(sb) = &t.sandbox_id {
            match self.fleet.get(sb).await {
                Ok(s)
                    if s.agent_connected
                        || matches!(
                            s.state,
                            crate::SandboxState::Ready | crate::SandboxState::Running
                        ) =>
                {
                    return Ok(sb.clone());
                }
                Ok(s)
                    if matches!(
                        s.state,
                        crate::SandboxState::Stopped | crate::SandboxState::Paused
                    ) =>
                {
                    self.fleet.start_sandbox(sb).await?;
                    return Ok(sb.clone());
                }
                _ => {
                    // Dead: remove it (its branch with it) and start over in a new one.
                    self.log(
                        &t.id,
                        "warn",
                        "the task's sandbox is gone; starting over in a new one",
                    )
                    .await;
                    let _ = self.fleet.destroy(sb).await;
                    self.store.set_task_sandbox(&t.id, None).await?;
                    self.store.set_task_run(&t.id, None, None).await?;
                }
            }
        }
        let name = format!("task-{}-{}", short(&t.id), t.attempt.max(1));
        let made = self
            .projects
            .create_sandbox(ProjectSandbox {
                project_id: t.project_id.clone(),
                sandbox: NewSandbox {
                    name,
                    ..Default::default()
                },
                branch: Some(t.target_branch.clone()),
                base: Some(t.base_branch.clone()),
                setup: false,
            })
            .await
            .map_err(|e| match e {
                ProjectError::NotFound(m) => {
                    Failure::new(ErrorClass::Task, format!("{m} (was the project deleted?)"))
                }
                other => other.into(),
            })?;
        self.store
            .set_task_sandbox(&t.id, Some(&made.record.id))
            .await?;
        self.log(
            &t.id,
            "info",
            &format!("sandbox {} on branch {}", made.record.name, t.target_branch),
        )
        .await;
        self.emit(&t.id);
        Ok(made.record.id)
    }

    async fn setup(&self, t: &TaskRecord, sandbox: &str) -> Result<(), Failure> {
        let project = self.projects.get(&t.project_id).await?;
        let Some(script) = crate::projects::setup_script(project.detected.as_ref()) else {
            return Ok(());
        };
        self.log(&t.id, "info", "running the project's setup").await;
        let cwd = self.fleet.paths(sandbox).workspace_inside;
        let out = self
            .fleet
            .exec(
                sandbox,
                vec!["/bin/bash".into(), "-lc".into(), script],
                Some(cwd),
                BTreeMap::new(),
                Duration::from_secs(1800),
                None,
            )
            .await?;
        if out.exit_code != Some(0) {
            let tail: String = out
                .stderr
                .chars()
                .rev()
                .take(1500)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(Failure::new(
                ErrorClass::Setup,
                format!("setup failed (exit {:?}): {tail}", out.exit_code),
            ));
        }
        Ok(())
    }

    async fn headless(
        self: &Arc<Self>,
        t: &TaskRecord,
        sandbox: &str,
        recovering: bool,
    ) -> Result<(), Failure> {
        let id = t.id.as_str();
        // A run of an earlier life: wait for it when it is still followed (its process lived on
        // in the sandbox); else resume its session, or start over.
        let mut run_id = None;
        let mut resume = None;
        if recovering {
            if let Some(r) = &t.run_id {
                if let Ok(Some(rec)) = self.store.get_run(r).await {
                    if rec.status != "failed" {
                        run_id = Some(r.clone());
                    } else {
                        resume = rec.session_id.or(t.session_id.clone());
                    }
                }
            }
        }
        let run_id = match run_id {
            Some(r) => {
                self.log(id, "info", "re-attached to the running Claude process")
                    .await;
                r
            }
            None => {
                self.progress(id, "claude", 20).await;
                let (model, mode) = {
                    let c = lock(&self.cfg);
                    (c.model.clone(), c.permission_mode.clone())
                };
                let req = RunRequest {
                    prompt: if resume.is_some() {
                        format!(
                            "Continue the task where you left off. The task was:\n\n{}",
                            t.prompt
                        )
                    } else {
                        t.prompt.clone()
                    },
                    model,
                    permission_mode: Some(mode),
                    resume: resume.clone(),
                    ..Default::default()
                };
                let run = self.fleet.start_run(sandbox, req).await?;
                self.store.set_task_run(id, Some(&run.id), None).await?;
                self.log(
                    id,
                    "info",
                    &match &resume {
                        Some(s) => format!("resumed Claude session {s}"),
                        None => "started Claude (headless)".into(),
                    },
                )
                .await;
                run.id
            }
        };
        self.progress(id, "claude", 20).await;
        let mut events = self.fleet.subscribe();
        loop {
            let rec = self
                .store
                .get_run(&run_id)
                .await?
                .ok_or_else(|| Failure::new(ErrorClass::Task, "the run vanished"))?;
            if let Some(s) = &rec.session_id {
                if t.session_id.as_deref() != Some(s) {
                    self.store.set_task_run(id, Some(&run_id), Some(s)).await?;
                }
            }
            match rec.status.as_str() {
                "completed" => return Ok(()),
                "failed" => {
                    // A run that ended because its sandbox died is retried in a new sandbox.
                    let alive = self.fleet.get(sandbox).await.is_ok_and(|s| {
                        matches!(
                            s.state,
                            crate::SandboxState::Ready | crate::SandboxState::Running
                        )
                    });
                    if !alive {
                        return Err(Failure::new(
                            ErrorClass::SandboxLost,
                            "the task's sandbox died during the run",
                        ));
                    }
                    return Err(self.classify_run_failure(sandbox, rec.result.as_ref()));
                }
                _ => {}
            }
            let n = self
                .store
                .run_events(&run_id)
                .await
                .map(|e| e.len())
                .unwrap_or(0);
            self.progress(id, "claude", 20 + (n as i64 * 4).min(60))
                .await;
            // Wait for this run's next event.
            loop {
                match events.recv().await {
                    Ok(FleetEvent::Run(r)) if r == run_id => break,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(_) => return Err(Failure::new(ErrorClass::Task, "the server is stopping")),
                }
            }
        }
    }

    fn classify_run_failure(&self, sandbox: &str, result: Option<&serde_json::Value>) -> Failure {
        let text = result.map(|r| r.to_string()).unwrap_or_default();
        let lower = text.to_lowercase();
        let recent_429 = lock(&self.limited)
            .get(sandbox)
            .filter(|(at, _)| at.elapsed() < Duration::from_secs(600))
            .map(|(_, r)| *r);
        let message: String = result
            .and_then(|r| r.get("result").or(r.get("error")).and_then(|v| v.as_str()))
            .unwrap_or("Claude failed")
            .chars()
            .take(500)
            .collect();
        if let Some(retry_after) =
            recent_429.filter(|_| lower.contains("429") || lower.contains("rate"))
        {
            return Failure {
                class: ErrorClass::RateLimited,
                message: format!("the model API rate-limited the run: {message}"),
                retry_after,
            };
        }
        if lower.contains("429") || lower.contains("rate limit") {
            return Failure::new(
                ErrorClass::RateLimited,
                format!("the model API rate-limited the run: {message}"),
            );
        }
        if [
            "529",
            "overloaded",
            "500",
            "502",
            "503",
            "api error",
            "connection",
        ]
        .iter()
        .any(|k| lower.contains(k))
        {
            return Failure::new(
                ErrorClass::ModelUnavailable,
                format!("the model API failed: {message}"),
            );
        }
        Failure::new(
            ErrorClass::Task,
            format!("Claude did not finish the task: {message}"),
        )
    }

    async fn interactive(
        self: &Arc<Self>,
        t: &TaskRecord,
        sandbox: &str,
        recovering: bool,
    ) -> Result<(), Failure> {
        let id = t.id.as_str();
        let have_terminal = recovering && t.phase.as_deref() == Some("waiting_for_user");
        if !have_terminal {
            let cwd = self.fleet.paths(sandbox).workspace_inside;
            // Subscribe first: the hook that says Claude is at its prompt may come quickly.
            let mut events = self.fleet.subscribe();
            let (rec, _) = self
                .fleet
                .create_terminal(
                    sandbox,
                    NewTerminal {
                        name: Some(format!(
                            "task: {}",
                            t.title.chars().take(40).collect::<String>()
                        )),
                        command: Some(vec!["claude".into()]),
                        cwd: Some(cwd),
                        ..Default::default()
                    },
                )
                .await?;
            // Pre-fill the prompt once Claude is at its prompt (its SessionStart hook), as a
            // paste and without Enter: the user reads it, edits it, and sends it.
            let terminal = rec.id.to_string();
            let ready = tokio::time::timeout(Duration::from_secs(90), async {
                loop {
                    if self
                        .fleet
                        .agent_status(&terminal)
                        .is_some_and(|s| s.state != crate::agent_state::AgentState::Starting)
                    {
                        return true;
                    }
                    match events.recv().await {
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(_) => return false,
                    }
                }
            })
            .await
            .unwrap_or(false);
            if let Some(session) = self.fleet.hub().session(rec.id) {
                let paste = format!("\x1b[200~{}\x1b[201~", t.prompt);
                let _ = session
                    .control(terminal::Control::Input(bytes::Bytes::from(paste)))
                    .await;
            }
            self.log(
                id,
                "info",
                if ready {
                    "Claude is open in a terminal with the prompt filled in; send it, work with Claude, then mark the task done"
                } else {
                    "Claude was slow to start; the prompt was typed into its terminal anyway; mark the task done when finished"
                },
            )
            .await;
        }
        let notify = Arc::new(Notify::new());
        lock(&self.done).insert(id.to_string(), Arc::clone(&notify));
        self.progress(id, "waiting_for_user", 50).await;
        notify.notified().await;
        self.log(id, "info", "marked done by the user").await;
        Ok(())
    }

    /// After a restart: every task the store says is running continues — its sandbox, its
    /// Claude process (re-followed, never started twice) — or is cancelled if that was asked.
    pub async fn recover(self: &Arc<Self>) -> Result<(), TaskError> {
        self.fleet
            .refollow_runs()
            .await
            .map_err(ProjectError::from)?;
        for t in self.store.list_tasks(Some("running")).await? {
            if t.cancel_requested {
                self.store
                    .finish_task(
                        &t.id,
                        "cancelled",
                        Some("cancelled by the user"),
                        None,
                        None,
                    )
                    .await?;
                continue;
            }
            tracing::info!(task = %t.id, phase = ?t.phase, "recovering a running task");
            self.launch(t.id.clone(), t.project_id.clone(), true);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_follows_the_error_class() {
        let s = Duration::from_secs;
        assert_eq!(backoff(ErrorClass::ModelUnavailable, 1, None), Some(s(1)));
        assert_eq!(backoff(ErrorClass::ModelUnavailable, 3, None), Some(s(4)));
        assert_eq!(backoff(ErrorClass::ModelUnavailable, 4, None), None);
        assert_eq!(backoff(ErrorClass::RateLimited, 2, None), Some(s(10)));
        assert_eq!(
            backoff(ErrorClass::RateLimited, 2, Some(s(42))),
            Some(s(42)),
            "retry-after wins"
        );
        assert_eq!(backoff(ErrorClass::RateLimited, 6, Some(s(1))), None);
        assert_eq!(backoff(ErrorClass::SandboxLost, 2, None), Some(s(4)));
        assert_eq!(backoff(ErrorClass::Task, 1, None), None);
        assert_eq!(backoff(ErrorClass::Setup, 1, None), None);
        assert_eq!(backoff(ErrorClass::Timeout, 1, None), None);
    }

    #[test]
    fn short_ids_are_the_tail() {
        assert_eq!(short("0190abcd-1234-7000-8000-00000000beef"), "0000beef");
    }
}
