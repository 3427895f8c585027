//! Tasks, their logs, workflows and workflow runs with their step states.
use sqlx::Row;

use crate::{now_rfc3339, Result, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub title: String,
    pub prompt: String,
    pub base_branch: String,
    pub target_branch: String,
    pub auto_pr: bool,
    pub mode: String,
    pub priority: i64,
    pub status: String,
    pub phase: Option<String>,
    pub progress: i64,
    pub wait_reason: Option<String>,
    pub sandbox_id: Option<String>,
    pub run_id: Option<String>,
    pub session_id: Option<String>,
    pub attempt: i64,
    pub max_attempts: i64,
    pub timeout_secs: i64,
    pub not_before: Option<String>,
    pub error: Option<String>,
    pub error_class: Option<String>,
    pub result: Option<serde_json::Value>,
    pub workflow_run_id: Option<String>,
    pub step_id: Option<String>,
    pub cancel_requested: bool,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

const TCOLS: &str = "id, project_id, type, title, prompt, base_branch, target_branch, auto_pr, mode, priority, status, phase, progress, wait_reason, sandbox_id, run_id, session_id, attempt, max_attempts, timeout_secs, not_before, error, error_class, result, workflow_run_id, step_id, cancel_requested, created_at, updated_at, started_at, finished_at";

fn task_from(r: &sqlx::sqlite::SqliteRow) -> Result<TaskRecord> {
    let result: Option<String> = r.try_get("result")?;
    Ok(TaskRecord {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        kind: r.try_get("type")?,
        title: r.try_get("title")?,
        prompt: r.try_get("prompt")?,
        base_branch: r.try_get("base_branch")?,
        target_branch: r.try_get("target_branch")?,
        auto_pr: r.try_get::<i64, _>("auto_pr")? != 0,
        mode: r.try_get("mode")?,
        priority: r.try_get("priority")?,
        status: r.try_get("status")?,
        phase: r.try_get("phase")?,
        progress: r.try_get("progress")?,
        wait_reason: r.try_get("wait_reason")?,
        sandbox_id: r.try_get("sandbox_id")?,
        run_id: r.try_get("run_id")?,
        session_id: r.try_get("session_id")?,
        attempt: r.try_get("attempt")?,
        max_attempts: r.try_get("max_attempts")?,
        timeout_secs: r.try_get("timeout_secs")?,
        not_before: r.try_get("not_before")?,
        error: r.try_get("error")?,
        error_class: r.try_get("error_class")?,
        result: result.and_then(|s| serde_json::from_str(&s).ok()),
        workflow_run_id: r.try_get("workflow_run_id")?,
        step_id: r.try_get("step_id")?,
        cancel_requested: r.try_get::<i64, _>("cancel_requested")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TaskLog {
    pub seq: i64,
    pub at: String,
    pub level: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRecord {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub definition: String,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRunRecord {
    pub id: String,
    pub workflow_id: String,
    pub definition: String,
    pub trigger: serde_json::Value,
    pub status: String,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepRecord {
    pub run_id: String,
    pub step_id: String,
    pub status: String,
    pub task_id: Option<String>,
    pub output: Option<serde_json::Value>,
    pub error: Option<String>,
    pub wait_until: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

fn run_from(r: &sqlx::sqlite::SqliteRow) -> Result<WorkflowRunRecord> {
    let trigger: String = r.try_get("trigger")?;
    Ok(WorkflowRunRecord {
        id: r.try_get("id")?,
        workflow_id: r.try_get("workflow_id")?,
        definition: r.try_get("definition")?,
        trigger: serde_json::from_str(&trigger).unwrap_or(serde_json::Value::Null),
        status: r.try_get("status")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

fn step_from(r: &sqlx::sqlite::SqliteRow) -> Result<StepRecord> {
    let output: Option<String> = r.try_get("output")?;
    Ok(StepRecord {
        run_id: r.try_get("run_id")?,
        step_id: r.try_get("step_id")?,
        status: r.try_get("status")?,
        task_id: r.try_get("task_id")?,
        output: output.and_then(|s| serde_json::from_str(&s).ok()),
        error: r.try_get("error")?,
        wait_until: r.try_get("wait_until")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

fn wf_from(r: &sqlx::sqlite::SqliteRow) -> Result<WorkflowRecord> {
    Ok(WorkflowRecord {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        name: r.try_get("name")?,
        definition: r.try_get("definition")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    pub async fn insert_task(&self, t: &TaskRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO tasks ({TCOLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        ))
        .bind(&t.id)
        .bind(&t.project_id)
        .bind(&t.kind)
        .bind(&t.title)
        .bind(&t.prompt)
        .bind(&t.base_branch)
        .bind(&t.target_branch)
        .bind(i64::from(t.auto_pr))
        .bind(&t.mode)
        .bind(t.priority)
        .bind(&t.status)
        .bind(&t.phase)
        .bind(t.progress)
        .bind(&t.wait_reason)
        .bind(&t.sandbox_id)
        .bind(&t.run_id)
        .bind(&t.session_id)
        .bind(t.attempt)
        .bind(t.max_attempts)
        .bind(t.timeout_secs)
        .bind(&t.not_before)
        .bind(&t.error)
        .bind(&t.error_class)
        .bind(t.result.as_ref().map(|r| r.to_string()))
        .bind(&t.workflow_run_id)
        .bind(&t.step_id)
        .bind(i64::from(t.cancel_requested))
        .bind(&t.created_at)
        .bind(&t.updated_at)
        .bind(&t.started_at)
        .bind(&t.finished_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn get_task(&self, id: &str) -> Result<Option<TaskRecord>> {
        let row = sqlx::query(&format!("SELECT {TCOLS} FROM tasks WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(task_from).transpose()
    }

    /// Tasks, newest first; `status` narrows to one state.
    pub async fn list_tasks(&self, status: Option<&str>) -> Result<Vec<TaskRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TCOLS} FROM tasks WHERE (? IS NULL OR status = ?) ORDER BY created_at DESC, id DESC"
        ))
        .bind(status)
        .bind(status)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// Queued tasks in the order the scheduler considers them: priority, then first come.
    pub async fn queued_tasks(&self) -> Result<Vec<TaskRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TCOLS} FROM tasks WHERE status = 'queued' ORDER BY priority DESC, created_at, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(task_from).collect()
    }

    /// Moves a queued task to running, once: false when someone else claimed it (or it was
    /// cancelled) first. This is what keeps a task from running twice.
    pub async fn claim_task(&self, id: &str) -> Result<bool> {
        let now = now_rfc3339();
        let r = sqlx::query(
            "UPDATE tasks SET status = 'running', attempt = attempt + 1, started_at = COALESCE(started_at, ?), \
             wait_reason = NULL, updated_at = ? WHERE id = ? AND status = 'queued' AND cancel_requested = 0",
        )
        .bind(&now)
        .bind(&now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_task_progress(&self, id: &str, phase: &str, progress: i64) -> Result<()> {
        sqlx::query(
            "UPDATE tasks SET phase = ?, progress = MAX(progress, ?), updated_at = ? WHERE id = ?",
        )
        .bind(phase)
        .bind(progress.clamp(0, 100))
        .bind(now_rfc3339())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_task_sandbox(&self, id: &str, sandbox: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE tasks SET sandbox_id = ?, updated_at = ? WHERE id = ?")
            .bind(sandbox)
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn set_task_run(
        &self,
        id: &str,
        run: Option<&str>,
        session: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE tasks SET run_id = ?, session_id = COALESCE(?, session_id), updated_at = ? WHERE id = ?",
        )
        .bind(run)
        .bind(session)
        .bind(now_rfc3339())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_task_wait(&self, id: &str, reason: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE tasks SET wait_reason = ?, updated_at = ? WHERE id = ? AND (wait_reason IS NOT ? )")
            .bind(reason)
            .bind(now_rfc3339())
            .bind(id)
            .bind(reason)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Back to the queue (a retry), not before `not_before`.
    pub async fn requeue_task(
        &self,
        id: &str,
        not_before: Option<&str>,
        error: &str,
        class: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE tasks SET status = 'queued', not_before = ?, error = ?, error_class = ?, run_id = NULL, \
             updated_at = ? WHERE id = ? AND status = 'running'",
        )
        .bind(not_before)
        .bind(error)
        .bind(class)
        .bind(now_rfc3339())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends a task (completed, failed or cancelled). A finished task stays finished.
    pub async fn finish_task(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        class: Option<&str>,
        result: Option<&serde_json::Value>,
    ) -> Result<bool> {
        let now = now_rfc3339();
        let r = sqlx::query(
            "UPDATE tasks SET status = ?, error = ?, error_class = ?, result = COALESCE(?, result), \
             progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END, wait_reason = NULL, \
             finished_at = ?, updated_at = ? WHERE id = ? AND status NOT IN ('completed','failed','cancelled')",
        )
        .bind(status)
        .bind(error)
        .bind(class)
        .bind(result.map(|r| r.to_string()))
        .bind(status)
        .bind(&now)
        .bind(&now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn request_task_cancel(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE tasks SET cancel_requested = 1, updated_at = ? WHERE id = ?")
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn add_task_log(&self, id: &str, level: &str, message: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO task_logs (task_id, seq, at, level, message) \
             VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM task_logs WHERE task_id = ?), ?, ?, ?)",
        )
        .bind(id)
        .bind(id)
        .bind(now_rfc3339())
        .bind(level)
        .bind(message)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn task_logs(&self, id: &str) -> Result<Vec<TaskLog>> {
        let rows = sqlx::query(
            "SELECT seq, at, level, message FROM task_logs WHERE task_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TaskLog {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    level: r.try_get("level")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }

    // ---------- workflows ----------

    pub async fn insert_workflow(&self, w: &WorkflowRecord) -> Result<()> {
        sqlx::query("INSERT INTO workflows (id, project_id, name, definition, enabled, created_at, updated_at) VALUES (?,?,?,?,?,?,?)")
            .bind(&w.id)
            .bind(&w.project_id)
            .bind(&w.name)
            .bind(&w.definition)
            .bind(i64::from(w.enabled))
            .bind(&w.created_at)
            .bind(&w.updated_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn update_workflow(
        &self,
        id: &str,
        name: &str,
        definition: &str,
        enabled: bool,
    ) -> Result<bool> {
        let r = sqlx::query("UPDATE workflows SET name = ?, definition = ?, enabled = ?, updated_at = ? WHERE id = ?")
            .bind(name)
            .bind(definition)
            .bind(i64::from(enabled))
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn list_workflows(&self) -> Result<Vec<WorkflowRecord>> {
        let rows = sqlx::query("SELECT * FROM workflows ORDER BY created_at, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(wf_from).collect()
    }

    pub async fn get_workflow(&self, id: &str) -> Result<Option<WorkflowRecord>> {
        let row = sqlx::query("SELECT * FROM workflows WHERE id = ?")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(wf_from).transpose()
    }

    pub async fn delete_workflow(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM workflows WHERE id = ?")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn insert_workflow_run(&self, r: &WorkflowRunRecord, steps: &[String]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT INTO workflow_runs (id, workflow_id, definition, trigger, status, error, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?)")
            .bind(&r.id)
            .bind(&r.workflow_id)
            .bind(&r.definition)
            .bind(r.trigger.to_string())
            .bind(&r.status)
            .bind(&r.error)
            .bind(&r.created_at)
            .bind(&r.finished_at)
            .execute(&mut *tx)
            .await?;
        for s in steps {
            sqlx::query(
                "INSERT INTO workflow_steps (run_id, step_id, status) VALUES (?, ?, 'pending')",
            )
            .bind(&r.id)
            .bind(s)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_workflow_run(&self, id: &str) -> Result<Option<WorkflowRunRecord>> {
        let row = sqlx::query("SELECT * FROM workflow_runs WHERE id = ?")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(run_from).transpose()
    }

    /// Runs of one workflow (or of all, when `workflow` is None), newest first.
    pub async fn list_workflow_runs(
        &self,
        workflow: Option<&str>,
    ) -> Result<Vec<WorkflowRunRecord>> {
        let rows = sqlx::query("SELECT * FROM workflow_runs WHERE (? IS NULL OR workflow_id = ?) ORDER BY created_at DESC, id DESC")
            .bind(workflow)
            .bind(workflow)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(run_from).collect()
    }

    pub async fn finish_workflow_run(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<bool> {
        let r = sqlx::query("UPDATE workflow_runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'running'")
            .bind(status)
            .bind(error)
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn workflow_steps(&self, run: &str) -> Result<Vec<StepRecord>> {
        let rows = sqlx::query("SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY rowid")
            .bind(run)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(step_from).collect()
    }

    pub async fn set_step(&self, s: &StepRecord) -> Result<()> {
        sqlx::query(
            "UPDATE workflow_steps SET status = ?, task_id = ?, output = ?, error = ?, wait_until = ?, \
             started_at = ?, finished_at = ? WHERE run_id = ? AND step_id = ?",
        )
        .bind(&s.status)
        .bind(&s.task_id)
        .bind(s.output.as_ref().map(|o| o.to_string()))
        .bind(&s.error)
        .bind(&s.wait_until)
        .bind(&s.started_at)
        .bind(&s.finished_at)
        .bind(&s.run_id)
        .bind(&s.step_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Runs still in progress (to resume after a restart).
    pub async fn running_workflow_runs(&self) -> Result<Vec<WorkflowRunRecord>> {
        let rows =
            sqlx::query("SELECT * FROM workflow_runs WHERE status = 'running' ORDER BY created_at")
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(run_from).collect()
    }

    /// Headless runs still marked running (to re-follow after a restart).
    pub async fn running_runs(&self) -> Result<Vec<crate::RunRecord>> {
        Ok(self
            .list_runs()
            .await?
            .into_iter()
            .filter(|r| r.status == "running")
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn task(id: &str, priority: i64) -> TaskRecord {
        let now = now_rfc3339();
        TaskRecord {
            id: id.into(),
            project_id: "p".into(),
            kind: "feature".into(),
            title: "t".into(),
            prompt: "do".into(),
            base_branch: "main".into(),
            target_branch: format!("anycode/{id}"),
            auto_pr: false,
            mode: "headless".into(),
            priority,
            status: "queued".into(),
            phase: None,
            progress: 0,
            wait_reason: None,
            sandbox_id: None,
            run_id: None,
            session_id: None,
            attempt: 0,
            max_attempts: 3,
            timeout_secs: 60,
            not_before: None,
            error: None,
            error_class: None,
            result: None,
            workflow_run_id: None,
            step_id: None,
            cancel_requested: false,
            created_at: now.clone(),
            updated_at: now,
            started_at: None,
            finished_at: None,
        }
    }

    #[tokio::test]
    async fn a_task_is_claimed_once_in_priority_order_and_finishes_once() {
        let s = Store::in_memory().await.unwrap();
        s.insert_task(&task("a", 0)).await.unwrap();
        s.insert_task(&task("b", 5)).await.unwrap();
        let q: Vec<String> = s
            .queued_tasks()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(q, vec!["b", "a"]);
        assert!(s.claim_task("b").await.unwrap());
        assert!(
            !s.claim_task("b").await.unwrap(),
            "a second claim must fail"
        );
        s.requeue_task("b", Some("2030-01-01T00:00:00Z"), "429", "rate_limited")
            .await
            .unwrap();
        let b = s.get_task("b").await.unwrap().unwrap();
        assert_eq!((b.status.as_str(), b.attempt), ("queued", 1));
        assert!(s.claim_task("b").await.unwrap());
        assert!(s
            .finish_task(
                "b",
                "completed",
                None,
                None,
                Some(&serde_json::json!({"commits": []}))
            )
            .await
            .unwrap());
        assert!(!s
            .finish_task("b", "failed", Some("late"), None, None)
            .await
            .unwrap());
        let b = s.get_task("b").await.unwrap().unwrap();
        assert_eq!(
            (b.status.as_str(), b.progress, b.attempt),
            ("completed", 100, 2)
        );
        s.request_task_cancel("a").await.unwrap();
        assert!(
            !s.claim_task("a").await.unwrap(),
            "a cancelled task is never claimed"
        );
        s.add_task_log("a", "info", "one").await.unwrap();
        s.add_task_log("a", "warn", "two").await.unwrap();
        let logs = s.task_logs("a").await.unwrap();
        assert_eq!(logs.iter().map(|l| l.seq).collect::<Vec<_>>(), vec![1, 2]);
    }
}
