//! Sandbox rows.
use sqlx::Row;

use crate::{now_rfc3339, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct SandboxRecord {
    pub id: String,
    pub name: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub driver: String,
    pub image: String,
    pub runtime_id: Option<String>,
    pub cpus: f64,
    pub memory_mb: i64,
    pub pids: i64,
    pub network: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_active_at: String,
}

const COLS: &str = "id, name, status, failure_reason, driver, image, runtime_id, cpus, memory_mb, pids, network, created_at, updated_at, last_active_at";

fn from_row(r: &sqlx::sqlite::SqliteRow) -> Result<SandboxRecord> {
    Ok(SandboxRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        failure_reason: r.try_get("failure_reason")?,
        driver: r.try_get("driver")?,
        image: r.try_get("image")?,
        runtime_id: r.try_get("runtime_id")?,
        cpus: r.try_get("cpus")?,
        memory_mb: r.try_get("memory_mb")?,
        pids: r.try_get("pids")?,
        network: r.try_get("network")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_active_at: r.try_get("last_active_at")?,
    })
}

/// Returned when a live sandbox already has the name.
#[derive(Debug)]
pub struct NameTaken;

impl Store {
    pub async fn insert_sandbox(&self, s: &SandboxRecord) -> Result<Result<(), NameTaken>> {
        let r = sqlx::query(&format!(
            "INSERT INTO sandboxes ({COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        ))
        .bind(&s.id)
        .bind(&s.name)
        .bind(&s.status)
        .bind(&s.failure_reason)
        .bind(&s.driver)
        .bind(&s.image)
        .bind(&s.runtime_id)
        .bind(s.cpus)
        .bind(s.memory_mb)
        .bind(s.pids)
        .bind(&s.network)
        .bind(&s.created_at)
        .bind(&s.updated_at)
        .bind(&s.last_active_at)
        .execute(self.pool())
        .await;
        match r {
            Ok(_) => Ok(Ok(())),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Err(NameTaken)),
            Err(e) => Err(StoreError::Db(e)),
        }
    }

    /// Sandboxes that still exist (not destroyed), oldest first.
    pub async fn list_sandboxes(&self) -> Result<Vec<SandboxRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM sandboxes WHERE status != 'destroyed' ORDER BY created_at, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn get_sandbox(&self, id: &str) -> Result<Option<SandboxRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM sandboxes WHERE id = ? AND status != 'destroyed'"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Sets the status; `destroyed` is final and never overwritten (a late engine event cannot
    /// resurrect a destroyed sandbox).
    pub async fn set_sandbox_status(
        &self,
        id: &str,
        status: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        let now = now_rfc3339();
        sqlx::query(
            "UPDATE sandboxes SET status = ?, failure_reason = ?, updated_at = ?, \
             destroyed_at = CASE WHEN ? = 'destroyed' THEN ? ELSE destroyed_at END \
             WHERE id = ? AND status != 'destroyed'",
        )
        .bind(status)
        .bind(reason)
        .bind(&now)
        .bind(status)
        .bind(&now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_sandbox_runtime(&self, id: &str, runtime_id: &str) -> Result<()> {
        sqlx::query("UPDATE sandboxes SET runtime_id = ?, updated_at = ? WHERE id = ?")
            .bind(runtime_id)
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn touch_sandbox(&self, id: &str, at: &str) -> Result<()> {
        sqlx::query("UPDATE sandboxes SET last_active_at = ? WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Open terminals of one sandbox.
    pub async fn sandbox_terminals(&self, sandbox_id: &str) -> Result<Vec<crate::TerminalRecord>> {
        Ok(self
            .list_terminals()
            .await?
            .into_iter()
            .filter(|t| t.sandbox_id.as_deref() == Some(sandbox_id))
            .collect())
    }

    /// Closes every terminal of a destroyed sandbox.
    pub async fn close_sandbox_terminals(&self, sandbox_id: &str) -> Result<()> {
        let now = now_rfc3339();
        sqlx::query("UPDATE terminals SET closed_at = ?, status = 'exited', updated_at = ? WHERE sandbox_id = ? AND closed_at IS NULL")
            .bind(&now)
            .bind(&now)
            .bind(sandbox_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, name: &str) -> SandboxRecord {
        let now = now_rfc3339();
        SandboxRecord {
            id: id.into(),
            name: name.into(),
            status: "pending".into(),
            failure_reason: None,
            driver: "docker".into(),
            image: "img".into(),
            runtime_id: None,
            cpus: 1.5,
            memory_mb: 512,
            pids: 100,
            network: "none".into(),
            created_at: now.clone(),
            updated_at: now.clone(),
            last_active_at: now,
        }
    }

    #[tokio::test]
    async fn names_are_unique_among_live_sandboxes_only() {
        let store = Store::in_memory().await.unwrap();
        assert!(store
            .insert_sandbox(&rec("a", "alpha"))
            .await
            .unwrap()
            .is_ok());
        assert!(store
            .insert_sandbox(&rec("b", "alpha"))
            .await
            .unwrap()
            .is_err());
        store
            .set_sandbox_status("a", "destroyed", None)
            .await
            .unwrap();
        assert!(store
            .insert_sandbox(&rec("c", "alpha"))
            .await
            .unwrap()
            .is_ok());
        let list = store.list_sandboxes().await.unwrap();
        assert_eq!(
            list.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["c"]
        );
        assert_eq!(list[0].cpus, 1.5);
        assert!(store.get_sandbox("a").await.unwrap().is_none());
    }
}
