//! Workflows: stored YAML definitions (parsed and validated by the `workflow` crate) and their
//! runs.
//!
//! A run copies the definition, creates a row per step, and is driven by one task that starts
//! every step whose dependencies are done (up to `parallel.maxConcurrent`), after its condition
//! (the safe expression language) says so. `claude_task` steps become tasks (so the scheduler's
//! limits, retries and rate-limit hold apply and they survive restarts); `git_operation` and
//! `shell_command` steps run inline; `wait` steps store their deadline; `approval` steps wait
//! for a person (they show in the inbox). A failed step skips its dependents and fails the run.
//! All state is in the store: a restarted server drives every running run again, re-running
//! only inline steps (which are idempotent: a PR that exists is found, not opened twice).
//! Triggers: manual, `schedule` (cron, UTC) and the forge webhook (`push`, `pull_request`).
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use store::{StepRecord, Store, WorkflowRecord, WorkflowRunRecord};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use workflow::{GitOp, StepKind, Workflow};

use crate::fleet::{Fleet, FleetEvent, NewSandbox};
use crate::projects::{NewPr, ProjectError, ProjectSandbox, Projects};
use crate::tasks::{NewTask, Tasks};

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0}")]
    Invalid(String),
    #[error("the workflow definition has {} problem(s): {}", .0.len(), .0.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "))]
    Problems(Vec<workflow::Problem>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// A pending approval, for the inbox.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub run_id: String,
    pub step_id: String,
    pub workflow_id: String,
    pub workflow_name: String,
    pub message: Option<String>,
    pub since: Option<String>,
}

pub struct Workflows {
    store: Store,
    fleet: Arc<Fleet>,
    projects: Arc<Projects>,
    tasks: Arc<Tasks>,
    /// One wake-up per driven run.
    runs: Mutex<HashMap<String, Arc<Notify>>>,
    /// Serializes making a run's shared sandbox (parallel shell steps would race to make it).
    run_sandbox_lock: tokio::sync::Mutex<()>,
    shutdown: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "skipped" | "cancelled")
}

fn short(id: &str) -> String {
    id.chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

impl Workflows {
    pub fn new(
        store: Store,
        fleet: Arc<Fleet>,
        projects: Arc<Projects>,
        tasks: Arc<Tasks>,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            fleet,
            projects,
            tasks,
            runs: Mutex::new(HashMap::new()),
            run_sandbox_lock: tokio::sync::Mutex::new(()),
            shutdown,
        })
    }

    fn emit(&self, run: &str) {
        let _ = self
            .fleet
            .event_sender()
            .send(FleetEvent::WorkflowRun(run.to_string()));
    }

    fn wake(&self, run: &str) {
        if let Some(n) = lock(&self.runs).get(run) {
            n.notify_one();
        }
    }

    /// Drives the runs a previous server left running, and starts the trigger listeners.
    pub async fn start(self: &Arc<Self>) -> Result<(), WorkflowError> {
        for r in self.store.running_workflow_runs().await? {
            tracing::info!(run = %r.id, "resuming a workflow run");
            self.drive(r.id.clone());
        }
        // Task changes wake the run that owns the task; forge webhooks trigger workflows.
        let me = Arc::clone(self);
        let mut events = self.fleet.subscribe();
        tokio::spawn(async move {
            loop {
                let ev = tokio::select! {
                    () = me.shutdown.cancelled() => break,
                    ev = events.recv() => ev,
                };
                match ev {
                    Ok(FleetEvent::Task(id)) => {
                        if let Ok(Some(t)) = me.store.get_task(&id).await {
                            if let Some(r) = t.workflow_run_id {
                                me.wake(&r);
                            }
                        }
                    }
                    Ok(FleetEvent::ForgeEvent {
                        project,
                        event,
                        branch,
                    }) => {
                        me.on_forge_event(&project, &event, branch.as_deref()).await;
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let ids: Vec<String> = lock(&me.runs).keys().cloned().collect();
                        for r in ids {
                            me.wake(&r);
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        // Cron: fire each scheduled workflow when its next time passes (no backfill of times
        // missed while the server was down).
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut last = unix_now();
            loop {
                tokio::select! {
                    () = me.shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(15)) => {}
                }
                let now = unix_now();
                if let Ok(list) = me.store.list_workflows().await {
                    for w in list.into_iter().filter(|w| w.enabled) {
                        let Ok(def) = workflow::parse(&w.definition) else {
                            continue;
                        };
                        let Some(cron) = def.triggers.cron_schedule() else {
                            continue;
                        };
                        if cron.next_after(last).is_some_and(|t| t <= now) {
                            let trigger = json!({"event": "schedule", "at": now});
                            if let Err(e) = me.run(&w.id, trigger).await {
                                tracing::warn!(workflow = %w.id, error = %e, "scheduled run failed to start");
                            }
                        }
                    }
                }
                last = now;
            }
        });
        Ok(())
    }

    async fn on_forge_event(self: &Arc<Self>, project: &str, event: &str, branch: Option<&str>) {
        let Ok(list) = self.store.list_workflows().await else {
            return;
        };
        for w in list
            .into_iter()
            .filter(|w| w.enabled && w.project_id == project)
        {
            let Ok(def) = workflow::parse(&w.definition) else {
                continue;
            };
            if def
                .triggers
                .webhook
                .as_ref()
                .is_some_and(|h| h.matches(event, branch))
            {
                let trigger = json!({"event": event, "branch": branch});
                if let Err(e) = self.run(&w.id, trigger).await {
                    tracing::warn!(workflow = %w.id, error = %e, "webhook-triggered run failed to start");
                }
            }
        }
    }

    // ---------- definitions ----------

    pub fn validate(definition: &str) -> Result<Workflow, Vec<workflow::Problem>> {
        workflow::parse(definition)
    }

    pub async fn create(
        &self,
        project_id: &str,
        name: Option<String>,
        definition: &str,
    ) -> Result<WorkflowRecord, WorkflowError> {
        let def = workflow::parse(definition).map_err(WorkflowError::Problems)?;
        self.projects.get(project_id).await.map_err(|e| match e {
            ProjectError::NotFound(m) => WorkflowError::NotFound(m),
            other => WorkflowError::Invalid(other.to_string()),
        })?;
        let now = store::now_rfc3339();
        let w = WorkflowRecord {
            id: uuid::Uuid::now_v7().to_string(),
            project_id: project_id.to_string(),
            name: name.filter(|n| !n.trim().is_empty()).unwrap_or(def.name),
            definition: definition.to_string(),
            enabled: true,
            created_at: now.clone(),
            updated_at: now,
        };
        self.store.insert_workflow(&w).await?;
        Ok(w)
    }

    pub async fn update(
        &self,
        id: &str,
        name: Option<String>,
        definition: Option<String>,
        enabled: Option<bool>,
    ) -> Result<WorkflowRecord, WorkflowError> {
        let w = self.get(id).await?;
        let definition = definition.unwrap_or(w.definition);
        let def = workflow::parse(&definition).map_err(WorkflowError::Problems)?;
        let name = name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(if w.name.is_empty() { def.name } else { w.name });
        self.store
            .update_workflow(id, &name, &definition, enabled.unwrap_or(w.enabled))
            .await?;
        self.get(id).await
    }

    pub async fn get(&self, id: &str) -> Result<WorkflowRecord, WorkflowError> {
        self.store
            .get_workflow(id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("workflow `{id}` does not exist")))
    }

    pub async fn list(&self) -> Result<Vec<WorkflowRecord>, WorkflowError> {
        Ok(self.store.list_workflows().await?)
    }

    pub async fn delete(&self, id: &str) -> Result<(), WorkflowError> {
        for r in self.store.list_workflow_runs(Some(id)).await? {
            if r.status == "running" {
                return Err(WorkflowError::Conflict(
                    "the workflow has a running run; cancel it first".into(),
                ));
            }
        }
        if !self.store.delete_workflow(id).await? {
            return Err(WorkflowError::NotFound(format!(
                "workflow `{id}` does not exist"
            )));
        }
        Ok(())
    }

    // ---------- runs ----------

    pub async fn runs(&self, workflow: &str) -> Result<Vec<WorkflowRunRecord>, WorkflowError> {
        self.get(workflow).await?;
        Ok(self.store.list_workflow_runs(Some(workflow)).await?)
    }

    pub async fn run_detail(
        &self,
        run: &str,
    ) -> Result<(WorkflowRunRecord, Vec<StepRecord>, Option<Workflow>), WorkflowError> {
        let r = self.store.get_workflow_run(run).await?.ok_or_else(|| {
            WorkflowError::NotFound(format!("workflow run `{run}` does not exist"))
        })?;
        let steps = self.store.workflow_steps(run).await?;
        let def = workflow::parse(&r.definition).ok();
        Ok((r, steps, def))
    }

    /// Starts a run of the workflow as it is defined now.
    pub async fn run(
        self: &Arc<Self>,
        id: &str,
        trigger: Value,
    ) -> Result<WorkflowRunRecord, WorkflowError> {
        let w = self.get(id).await?;
        let def = workflow::parse(&w.definition).map_err(WorkflowError::Problems)?;
        if trigger["event"] == "manual" && !def.triggers.manual {
            return Err(WorkflowError::Conflict(
                "this workflow is not run by hand (`triggers.manual` is false)".into(),
            ));
        }
        self.projects.get(&w.project_id).await.map_err(|_| {
            WorkflowError::NotFound(format!(
                "the workflow's project `{}` does not exist (was it deleted?)",
                w.project_id
            ))
        })?;
        let r = WorkflowRunRecord {
            id: uuid::Uuid::now_v7().to_string(),
            workflow_id: w.id.clone(),
            definition: w.definition.clone(),
            trigger,
            status: "running".into(),
            error: None,
            created_at: store::now_rfc3339(),
            finished_at: None,
        };
        self.store.insert_workflow_run(&r, &def.order()).await?;
        self.emit(&r.id);
        self.drive(r.id.clone());
        Ok(r)
    }

    pub async fn cancel(&self, run: &str) -> Result<(), WorkflowError> {
        let (r, steps, _) = self.run_detail(run).await?;
        if r.status != "running" {
            return Err(WorkflowError::Conflict(format!(
                "the run is already {}",
                r.status
            )));
        }
        self.store
            .finish_workflow_run(run, "cancelled", Some("cancelled by the user"))
            .await?;
        for mut s in steps.into_iter().filter(|s| !terminal(&s.status)) {
            if let Some(t) = &s.task_id {
                let _ = self.tasks.cancel(t).await;
            }
            s.status = "cancelled".into();
            s.finished_at = Some(store::now_rfc3339());
            self.store.set_step(&s).await?;
        }
        self.wake(run);
        self.emit(run);
        Ok(())
    }

    /// Answers an approval step.
    pub async fn decide(
        &self,
        run: &str,
        step: &str,
        approve: bool,
        comment: Option<String>,
    ) -> Result<(), WorkflowError> {
        let (r, steps, def) = self.run_detail(run).await?;
        let s = steps
            .into_iter()
            .find(|s| s.step_id == step)
            .ok_or_else(|| WorkflowError::NotFound(format!("step `{step}` is not in this run")))?;
        let is_approval = def
            .as_ref()
            .and_then(|d| d.step(step))
            .is_some_and(|s| matches!(s.kind, StepKind::Approval { .. }));
        if !is_approval || s.status != "waiting" || r.status != "running" {
            return Err(WorkflowError::Conflict(format!(
                "step `{step}` is not waiting for an approval"
            )));
        }
        let mut s = s;
        s.status = if approve { "succeeded" } else { "failed" }.into();
        s.output = Some(json!({"approved": approve, "comment": comment}));
        if !approve {
            s.error = Some(match comment {
                Some(c) => format!("rejected: {c}"),
                None => "rejected".into(),
            });
        }
        s.finished_at = Some(store::now_rfc3339());
        self.store.set_step(&s).await?;
        self.emit(run);
        self.wake(run);
        Ok(())
    }

    pub async fn approvals(&self) -> Result<Vec<Approval>, WorkflowError> {
        let mut out = Vec::new();
        let names: HashMap<String, String> = self
            .store
            .list_workflows()
            .await?
            .into_iter()
            .map(|w| (w.id, w.name))
            .collect();
        for r in self.store.running_workflow_runs().await? {
            let Ok(def) = workflow::parse(&r.definition) else {
                continue;
            };
            for s in self.store.workflow_steps(&r.id).await? {
                if s.status != "waiting" {
                    continue;
                }
                if let Some(StepKind::Approval { message, .. }) =
                    def.step(&s.step_id).map(|d| &d.kind)
                {
                    out.push(Approval {
                        run_id: r.id.clone(),
                        step_id: s.step_id.clone(),
                        workflow_id: r.workflow_id.clone(),
                        workflow_name: names.get(&r.workflow_id).cloned().unwrap_or_default(),
                        message: message.clone(),
                        since: s.started_at.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    fn drive(self: &Arc<Self>, run: String) {
        let notify = Arc::new(Notify::new());
        lock(&self.runs).insert(run.clone(), Arc::clone(&notify));
        let me = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(e) = me.drive_run(&run, notify).await {
                tracing::warn!(run, error = %e, "a workflow run stopped with an error");
                let _ = me
                    .store
                    .finish_workflow_run(&run, "failed", Some(&e.to_string()))
                    .await;
                me.emit(&run);
            }
            lock(&me.runs).remove(&run);
        });
    }

    async fn drive_run(
        self: &Arc<Self>,
        run: &str,
        notify: Arc<Notify>,
    ) -> Result<(), WorkflowError> {
        let (r, _, def) = self.run_detail(run).await?;
        let def = def.ok_or_else(|| {
            WorkflowError::Invalid("the run's definition no longer parses".into())
        })?;
        let w = self.get(&r.workflow_id).await?;
        let mut inline: tokio::task::JoinSet<(String, Result<Value, String>)> =
            tokio::task::JoinSet::new();
        let mut inline_running: HashSet<String> = HashSet::new();
        loop {
            if self.shutdown.is_cancelled() {
                return Ok(());
            }
            let Some(r) = self.store.get_workflow_run(run).await? else {
                return Ok(());
            };
            if r.status != "running" {
                return Ok(());
            }
            let mut steps: BTreeMap<String, StepRecord> = self
                .store
                .workflow_steps(run)
                .await?
                .into_iter()
                .map(|s| (s.step_id.clone(), s))
                .collect();
            let mut changed = false;
            // Progress of started steps.
            for s in steps.values_mut() {
                if s.status == "running" {
                    if let Some(t) = &s.task_id {
                        if let Ok(Some(task)) = self.store.get_task(t).await {
                            let next = match task.status.as_str() {
                                "completed" => Some(("succeeded", None)),
                                "failed" => Some(("failed", task.error.clone())),
                                "cancelled" => {
                                    Some(("cancelled", Some("the task was cancelled".to_string())))
                                }
                                _ => None,
                            };
                            if let Some((st, err)) = next {
                                s.status = st.into();
                                s.error = err;
                                s.output = task.result.clone();
                                s.finished_at = Some(store::now_rfc3339());
                                self.store.set_step(s).await?;
                                changed = true;
                            }
                        }
                    } else if let Some(until) = &s.wait_until {
                        if until.as_str() <= store::now_rfc3339().as_str() {
                            s.status = "succeeded".into();
                            s.finished_at = Some(store::now_rfc3339());
                            self.store.set_step(s).await?;
                            changed = true;
                        }
                    } else if !inline_running.contains(&s.step_id) {
                        // An inline step of a previous server life: run it again.
                        s.status = "pending".into();
                    }
                }
            }
            // Start what is ready, within the concurrency limit.
            let limit = if def.parallel.enabled {
                def.concurrency().max(1) as usize
            } else {
                1
            };
            let mut active = steps.values().filter(|s| s.status == "running").count();
            for step in &def.steps {
                let Some(rec) = steps.get(&step.id).cloned() else {
                    continue;
                };
                if rec.status != "pending" {
                    continue;
                }
                let deps: Vec<&StepRecord> = step
                    .depends_on
                    .iter()
                    .filter_map(|d| steps.get(d))
                    .collect();
                if !deps.iter().all(|d| terminal(&d.status)) {
                    continue;
                }
                let mut rec = rec;
                if let Some(bad) = deps
                    .iter()
                    .find(|d| matches!(d.status.as_str(), "failed" | "cancelled"))
                {
                    rec.status = "skipped".into();
                    rec.error = Some(format!("dependency `{}` {}", bad.step_id, bad.status));
                    rec.finished_at = Some(store::now_rfc3339());
                    self.store.set_step(&rec).await?;
                    steps.insert(rec.step_id.clone(), rec);
                    changed = true;
                    continue;
                }
                if let Some(cond) = step.condition_expr() {
                    let ctx = context(&steps, &r.trigger);
                    match cond.and_then(|e| e.eval_bool(&workflow::expr::JsonContext(&ctx))) {
                        Ok(true) => {}
                        Ok(false) => {
                            rec.status = "skipped".into();
                            rec.error = Some("its condition is false".into());
                            rec.finished_at = Some(store::now_rfc3339());
                            self.store.set_step(&rec).await?;
                            steps.insert(rec.step_id.clone(), rec);
                            changed = true;
                            continue;
                        }
                        Err(e) => {
                            rec.status = "failed".into();
                            rec.error = Some(format!("the condition failed: {}", e.message));
                            rec.finished_at = Some(store::now_rfc3339());
                            self.store.set_step(&rec).await?;
                            steps.insert(rec.step_id.clone(), rec);
                            changed = true;
                            continue;
                        }
                    }
                }
                let occupies = !matches!(step.kind, StepKind::Approval { .. });
                if occupies && active >= limit {
                    continue;
                }
                rec.started_at = Some(store::now_rfc3339());
                match &step.kind {
                    StepKind::ClaudeTask {
                        prompt,
                        branch,
                        base,
                        task_type,
                        auto_pr,
                    } => {
                        let base = base.clone().or_else(|| run_base(&def, &steps));
                        let made = self
                            .tasks
                            .create(NewTask {
                                project_id: w.project_id.clone(),
                                kind: task_type.clone(),
                                title: Some(step.display_name().to_string()),
                                prompt: prompt.clone(),
                                base_branch: base,
                                target_branch: branch.clone(),
                                auto_pr: *auto_pr,
                                timeout_secs: step.timeout_secs,
                                workflow_run_id: Some(run.to_string()),
                                step_id: Some(step.id.clone()),
                                ..Default::default()
                            })
                            .await;
                        match made {
                            Ok(t) => {
                                rec.status = "running".into();
                                rec.task_id = Some(t.id);
                            }
                            Err(e) => {
                                rec.status = "failed".into();
                                rec.error = Some(e.to_string());
                                rec.finished_at = Some(store::now_rfc3339());
                            }
                        }
                    }
                    StepKind::Wait { duration_secs } => {
                        rec.status = "running".into();
                        rec.wait_until = Some(store::rfc3339(
                            std::time::SystemTime::now() + Duration::from_secs(*duration_secs),
                        ));
                    }
                    StepKind::Approval { .. } => {
                        rec.status = "waiting".into();
                    }
                    StepKind::GitOperation(_) | StepKind::ShellCommand { .. } => {
                        rec.status = "running".into();
                        inline_running.insert(step.id.clone());
                        let me = Arc::clone(self);
                        let step = step.clone();
                        let run_id = run.to_string();
                        let project = w.project_id.clone();
                        let base = run_base(&def, &steps);
                        let timeout = Duration::from_secs(step.timeout_secs.unwrap_or(1800));
                        inline.spawn(async move {
                            let id = step.id.clone();
                            let out = tokio::time::timeout(
                                timeout,
                                me.inline_step(&run_id, &project, base, &step),
                            )
                            .await
                            .unwrap_or_else(|_| {
                                Err(format!("timed out after {} s", timeout.as_secs()))
                            });
                            (id, out)
                        });
                    }
                }
                if rec.status == "running" && occupies {
                    active += 1;
                }
                self.store.set_step(&rec).await?;
                steps.insert(rec.step_id.clone(), rec);
                changed = true;
            }
            if changed {
                self.emit(run);
            }
            // Finished?
            if steps.values().all(|s| terminal(&s.status)) && inline.is_empty() {
                let failed: Vec<&str> = steps
                    .values()
                    .filter(|s| s.status == "failed")
                    .map(|s| s.step_id.as_str())
                    .collect();
                if failed.is_empty() {
                    self.store
                        .finish_workflow_run(run, "succeeded", None)
                        .await?;
                } else {
                    self.store
                        .finish_workflow_run(
                            run,
                            "failed",
                            Some(&format!("step(s) failed: {}", failed.join(", "))),
                        )
                        .await?;
                }
                self.emit(run);
                return Ok(());
            }
            // Wait for something to happen.
            let tick = if steps
                .values()
                .any(|s| s.wait_until.is_some() && s.status == "running")
            {
                Duration::from_millis(500)
            } else {
                Duration::from_secs(5)
            };
            tokio::select! {
                () = self.shutdown.cancelled() => return Ok(()),
                () = notify.notified() => {}
                () = tokio::time::sleep(tick) => {}
                Some(done) = inline.join_next(), if !inline.is_empty() => {
                    if let Ok((id, out)) = done {
                        inline_running.remove(&id);
                        if let Some(mut rec) = self.store.workflow_steps(run).await?.into_iter().find(|s| s.step_id == id) {
                            if rec.status == "running" {
                                match out {
                                    Ok(v) => {
                                        rec.status = "succeeded".into();
                                        rec.output = Some(v);
                                    }
                                    Err(e) => {
                                        rec.status = "failed".into();
                                        rec.error = Some(e);
                                    }
                                }
                                rec.finished_at = Some(store::now_rfc3339());
                                self.store.set_step(&rec).await?;
                                self.emit(run);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The sandbox a step of this run worked in on `branch` (from its tasks' results).
    async fn sandbox_for_branch(&self, run: &str, branch: &str) -> Option<String> {
        for s in self.store.workflow_steps(run).await.ok()? {
            let Some(t) = &s.task_id else { continue };
            if let Ok(Some(task)) = self.store.get_task(t).await {
                if task.target_branch == branch {
                    return task.sandbox_id;
                }
            }
        }
        None
    }

    async fn inline_step(
        self: &Arc<Self>,
        run: &str,
        project: &str,
        base: Option<String>,
        step: &workflow::Step,
    ) -> Result<Value, String> {
        let err = |e: ProjectError| e.to_string();
        match &step.kind {
            StepKind::GitOperation(GitOp::Checkout { branch }) => {
                let p = self.projects.get(project).await.map_err(err)?;
                if let Err(e) = self.projects.fetch(&p).await {
                    tracing::warn!(error = %e, "fetch before checkout failed; using the mirror");
                }
                let branches = self.projects.branches(project, false).await.map_err(err)?;
                let b = branches
                    .into_iter()
                    .find(|b| b.name == *branch)
                    .ok_or_else(|| format!("branch `{branch}` does not exist in the repository"))?;
                Ok(json!({"branch": branch, "sha": b.sha}))
            }
            StepKind::GitOperation(GitOp::Push { branch }) => {
                let sb = self
                    .sandbox_for_branch(run, branch)
                    .await
                    .ok_or_else(|| format!("no step of this run worked on branch `{branch}`"))?;
                let sha = self.projects.push(&sb).await.map_err(err)?;
                Ok(json!({"branch": branch, "sha": sha}))
            }
            StepKind::GitOperation(GitOp::CreatePr {
                branches,
                target_branch,
                title,
                draft,
            }) => {
                let mut out = Vec::new();
                for branch in branches {
                    if let Some(pr) = self
                        .projects
                        .pull_for_branch(project, branch)
                        .await
                        .map_err(err)?
                    {
                        out.push(json!({"branch": branch, "number": pr.number, "url": pr.url}));
                        continue;
                    }
                    let sb = self.sandbox_for_branch(run, branch).await.ok_or_else(|| {
                        format!("no step of this run worked on branch `{branch}`")
                    })?;
                    let pr = self
                        .projects
                        .create_pr(NewPr {
                            project_id: project.to_string(),
                            sandbox_id: Some(sb),
                            title: title.clone(),
                            body: None,
                            head: None,
                            base: target_branch.clone().or(base.clone()),
                            draft: *draft,
                        })
                        .await
                        .map_err(|e| format!("PR for `{branch}`: {e}"))?;
                    out.push(json!({"branch": branch, "number": pr.number, "url": pr.url}));
                }
                Ok(json!({"pulls": out}))
            }
            StepKind::GitOperation(GitOp::Merge { branch, .. }) => {
                let pr = self
                    .projects
                    .pull_for_branch(project, branch)
                    .await
                    .map_err(err)?
                    .ok_or_else(|| {
                        format!("no open pull request for branch `{branch}` to merge")
                    })?;
                let merged = self
                    .projects
                    .merge(project, pr.number, forge::MergeMethod::Merge, None, false)
                    .await
                    .map_err(err)?;
                Ok(json!({"branch": branch, "number": merged.number, "sha": merged.merge_sha}))
            }
            StepKind::ShellCommand { command, branch } => {
                let sb = match branch {
                    Some(b) => self
                        .sandbox_for_branch(run, b)
                        .await
                        .ok_or_else(|| format!("no step of this run worked on branch `{b}`"))?,
                    None => self.run_sandbox(run, project, base).await?,
                };
                let cwd = self.fleet.paths(&sb).workspace_inside;
                let out = self
                    .fleet
                    .exec(
                        &sb,
                        vec!["/bin/bash".into(), "-lc".into(), command.clone()],
                        Some(cwd),
                        BTreeMap::new(),
                        Duration::from_secs(step.timeout_secs.unwrap_or(1800)),
                        None,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let tail = |s: &str| -> String {
                    let n = s.chars().count();
                    s.chars().skip(n.saturating_sub(4000)).collect()
                };
                let v = json!({"exitCode": out.exit_code, "stdout": tail(&out.stdout), "stderr": tail(&out.stderr)});
                if out.exit_code == Some(0) {
                    Ok(v)
                } else {
                    Err(format!(
                        "`{command}` exited with {:?}: {}",
                        out.exit_code,
                        tail(&out.stderr).trim()
                    ))
                }
            }
            StepKind::ClaudeTask { .. } | StepKind::Wait { .. } | StepKind::Approval { .. } => {
                Err("not an inline step".into())
            }
        }
    }

    /// The run's own sandbox for shell commands with no branch: made on first use, on a branch
    /// of its own, and found again after a restart.
    async fn run_sandbox(
        &self,
        run: &str,
        project: &str,
        base: Option<String>,
    ) -> Result<String, String> {
        let branch = format!("anycode/wf-{}", short(run));
        let _one_at_a_time = self.run_sandbox_lock.lock().await;
        if let Ok(list) = self.store.project_sandboxes(project).await {
            if let Some((id, _)) = list.into_iter().find(|(_, b)| *b == branch) {
                return Ok(id);
            }
        }
        let made = self
            .projects
            .create_sandbox(ProjectSandbox {
                project_id: project.to_string(),
                sandbox: NewSandbox {
                    name: format!("wf-{}", short(run)),
                    ..Default::default()
                },
                branch: Some(branch),
                base,
                setup: false,
            })
            .await
            .map_err(|e| e.to_string())?;
        Ok(made.record.id)
    }
}

/// The base branch of the run's Claude tasks: the branch of a `checkout` step, if any.
fn run_base(def: &Workflow, _steps: &BTreeMap<String, StepRecord>) -> Option<String> {
    def.steps.iter().find_map(|s| match &s.kind {
        StepKind::GitOperation(GitOp::Checkout { branch }) => Some(branch.clone()),
        _ => None,
    })
}

/// What conditions can see: `steps.<id>.status|output`, `trigger.*`.
fn context(steps: &BTreeMap<String, StepRecord>, trigger: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for (id, s) in steps {
        m.insert(
            id.clone(),
            json!({"status": s.status, "output": s.output, "outputs": s.output, "error": s.error}),
        );
    }
    json!({"steps": m, "trigger": trigger})
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
