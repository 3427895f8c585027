//! Each sandbox's credential mode (`proxy` or `direct`), kept beside its record. Only the mode is
//! stored, never a credential.
use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// Sets the mode (`proxy` or `direct`) of a sandbox that is being created.
    pub async fn set_sandbox_credential_mode(&self, id: &str, mode: &str) -> Result<()> {
        sqlx::query("UPDATE sandboxes SET credential_mode = ? WHERE id = ?")
            .bind(mode)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ids of the sandboxes (not destroyed) in `direct` mode.
    pub async fn direct_mode_sandboxes(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM sandboxes WHERE credential_mode = 'direct' AND status != 'destroyed'",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get("id").map_err(Into::into))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{SandboxRecord, Store};

    fn rec(id: &str) -> SandboxRecord {
        let now = crate::now_rfc3339();
        SandboxRecord {
            id: id.into(),
            name: id.into(),
            status: "pending".into(),
            failure_reason: None,
            driver: "docker".into(),
            image: "img".into(),
            runtime_id: None,
            cpus: 1.0,
            memory_mb: 512,
            pids: 100,
            network: "none".into(),
            created_at: now.clone(),
            updated_at: now.clone(),
            last_active_at: now,
        }
    }

    #[tokio::test]
    async fn modes_default_to_proxy_and_destroyed_sandboxes_drop_out() {
        let s = Store::in_memory().await.unwrap();
        for id in ["a", "b", "c"] {
            s.insert_sandbox(&rec(id)).await.unwrap().unwrap();
        }
        s.set_sandbox_credential_mode("b", "direct").await.unwrap();
        s.set_sandbox_credential_mode("c", "direct").await.unwrap();
        s.set_sandbox_status("c", "destroyed", None).await.unwrap();
        assert_eq!(
            s.direct_mode_sandboxes().await.unwrap(),
            vec!["b".to_string()]
        );
        assert!(
            s.set_sandbox_credential_mode("a", "sideways")
                .await
                .is_err(),
            "the schema refuses unknown modes"
        );
    }
}
