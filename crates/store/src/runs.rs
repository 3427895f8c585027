//! Headless runs and their event logs.
use sqlx::Row;

use crate::{now_rfc3339, Result, Store};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub sandbox_id: String,
    pub terminal_id: String,
    pub prompt: String,
    pub status: String,
    pub session_id: Option<String>,
    pub result: Option<serde_json::Value>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunEvent {
    pub seq: i64,
    pub kind: String,
    pub event: serde_json::Value,
}

fn run_from(r: &sqlx::sqlite::SqliteRow) -> Result<RunRecord> {
    let result: Option<String> = r.try_get("result")?;
    Ok(RunRecord {
        id: r.try_get("id")?,
        sandbox_id: r.try_get("sandbox_id")?,
        terminal_id: r.try_get("terminal_id")?,
        prompt: r.try_get("prompt")?,
        status: r.try_get("status")?,
        session_id: r.try_get("session_id")?,
        result: result.and_then(|s| serde_json::from_str(&s).ok()),
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

impl Store {
    pub async fn insert_run(
        &self,
        id: &str,
        sandbox: &str,
        terminal: &str,
        prompt: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO runs (id, sandbox_id, terminal_id, prompt, status, created_at) VALUES (?, ?, ?, ?, 'running', ?)")
            .bind(id)
            .bind(sandbox)
            .bind(terminal)
            .bind(prompt)
            .bind(now_rfc3339())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn add_run_event(
        &self,
        run: &str,
        seq: i64,
        kind: &str,
        event: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT OR IGNORE INTO run_events (run_id, seq, kind, event) VALUES (?, ?, ?, ?)",
        )
        .bind(run)
        .bind(seq)
        .bind(kind)
        .bind(event.to_string())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_run_session(&self, run: &str, session: &str) -> Result<()> {
        sqlx::query("UPDATE runs SET session_id = ? WHERE id = ?")
            .bind(session)
            .bind(run)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn finish_run(
        &self,
        run: &str,
        status: &str,
        result: Option<&serde_json::Value>,
    ) -> Result<()> {
        sqlx::query("UPDATE runs SET status = ?, result = ?, finished_at = ? WHERE id = ? AND status = 'running'")
            .bind(status)
            .bind(result.map(|r| r.to_string()))
            .bind(now_rfc3339())
            .bind(run)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn get_run(&self, id: &str) -> Result<Option<RunRecord>> {
        let row = sqlx::query("SELECT * FROM runs WHERE id = ?")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(run_from).transpose()
    }

    pub async fn list_runs(&self) -> Result<Vec<RunRecord>> {
        let rows = sqlx::query("SELECT * FROM runs ORDER BY created_at DESC LIMIT 500")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(run_from).collect()
    }

    pub async fn run_events(&self, run: &str) -> Result<Vec<RunEvent>> {
        let rows =
            sqlx::query("SELECT seq, kind, event FROM run_events WHERE run_id = ? ORDER BY seq")
                .bind(run)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("event")?;
                Ok(RunEvent {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    event: serde_json::from_str(&text).unwrap_or_default(),
                })
            })
            .collect()
    }
}
