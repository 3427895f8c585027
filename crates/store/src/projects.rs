//! Projects (imported repositories), their pull requests, and which project/branch a sandbox
//! works on.
use sqlx::Row;

use crate::{now_rfc3339, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    pub id: String,
    pub name: String,
    /// `forge` (GitHub or the configured forge), `url` (any other Git URL) or `local` (a path).
    pub kind: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub clone_url: String,
    pub default_branch: String,
    pub private: bool,
    pub shallow: bool,
    /// `importing` or `ready`.
    pub status: String,
    /// Detected project type, JSON.
    pub detected: Option<serde_json::Value>,
    pub created_at: String,
    pub updated_at: String,
}

const PCOLS: &str = "id, name, kind, owner, repo, clone_url, default_branch, private, shallow, status, detected, created_at, updated_at";

fn project_from(r: &sqlx::sqlite::SqliteRow) -> Result<ProjectRecord> {
    let detected: Option<String> = r.try_get("detected")?;
    Ok(ProjectRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        owner: r.try_get("owner")?,
        repo: r.try_get("repo")?,
        clone_url: r.try_get("clone_url")?,
        default_branch: r.try_get("default_branch")?,
        private: r.try_get::<i64, _>("private")? != 0,
        shallow: r.try_get::<i64, _>("shallow")? != 0,
        status: r.try_get("status")?,
        detected: detected.and_then(|s| serde_json::from_str(&s).ok()),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Returned when a project with the same clone URL exists.
#[derive(Debug)]
pub struct AlreadyImported {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PullRecord {
    pub project_id: String,
    pub number: i64,
    pub sandbox_id: Option<String>,
    pub title: String,
    pub url: String,
    pub head: String,
    pub base: String,
    pub head_sha: Option<String>,
    /// `open`, `closed` or `merged`.
    pub state: String,
    pub draft: bool,
    pub mergeable: Option<bool>,
    pub conflicts: Vec<String>,
    pub checks: Option<serde_json::Value>,
    pub merge_sha: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const RCOLS: &str = "project_id, number, sandbox_id, title, url, head, base, head_sha, state, draft, mergeable, conflicts, checks, merge_sha, created_at, updated_at";

fn pull_from(r: &sqlx::sqlite::SqliteRow) -> Result<PullRecord> {
    let conflicts: String = r.try_get("conflicts")?;
    let checks: Option<String> = r.try_get("checks")?;
    Ok(PullRecord {
        project_id: r.try_get("project_id")?,
        number: r.try_get("number")?,
        sandbox_id: r.try_get("sandbox_id")?,
        title: r.try_get("title")?,
        url: r.try_get("url")?,
        head: r.try_get("head")?,
        base: r.try_get("base")?,
        head_sha: r.try_get("head_sha")?,
        state: r.try_get("state")?,
        draft: r.try_get::<i64, _>("draft")? != 0,
        mergeable: r.try_get::<Option<i64>, _>("mergeable")?.map(|m| m != 0),
        conflicts: serde_json::from_str(&conflicts)
            .map_err(|e| StoreError::Corrupt(format!("pull_requests.conflicts: {e}")))?,
        checks: checks.and_then(|s| serde_json::from_str(&s).ok()),
        merge_sha: r.try_get("merge_sha")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The project and branch a sandbox works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxGit {
    pub project_id: String,
    pub branch: String,
    pub base_ref: String,
    pub base_sha: String,
}

impl Store {
    pub async fn insert_project(&self, p: &ProjectRecord) -> Result<Result<(), AlreadyImported>> {
        let r = sqlx::query(&format!(
            "INSERT INTO projects ({PCOLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
        ))
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.kind)
        .bind(&p.owner)
        .bind(&p.repo)
        .bind(&p.clone_url)
        .bind(&p.default_branch)
        .bind(i64::from(p.private))
        .bind(i64::from(p.shallow))
        .bind(&p.status)
        .bind(p.detected.as_ref().map(|d| d.to_string()))
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute(self.pool())
        .await;
        match r {
            Ok(_) => Ok(Ok(())),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let id: Option<String> =
                    sqlx::query_scalar("SELECT id FROM projects WHERE clone_url = ?")
                        .bind(&p.clone_url)
                        .fetch_optional(self.pool())
                        .await?;
                Ok(Err(AlreadyImported {
                    id: id.unwrap_or_default(),
                }))
            }
            Err(e) => Err(StoreError::Db(e)),
        }
    }

    /// Marks an import finished: default branch and detected type known.
    pub async fn finish_project_import(
        &self,
        id: &str,
        default_branch: &str,
        detected: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query("UPDATE projects SET status = 'ready', default_branch = ?, detected = ?, updated_at = ? WHERE id = ?")
            .bind(default_branch)
            .bind(detected.to_string())
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn set_project_detected(&self, id: &str, detected: &serde_json::Value) -> Result<()> {
        sqlx::query("UPDATE projects SET detected = ?, updated_at = ? WHERE id = ?")
            .bind(detected.to_string())
            .bind(now_rfc3339())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn list_projects(&self) -> Result<Vec<ProjectRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PCOLS} FROM projects ORDER BY created_at, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(project_from).collect()
    }

    pub async fn get_project(&self, id: &str) -> Result<Option<ProjectRecord>> {
        let row = sqlx::query(&format!("SELECT {PCOLS} FROM projects WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(project_from).transpose()
    }

    pub async fn find_project_by_forge(
        &self,
        owner: &str,
        repo: &str,
    ) -> Result<Option<ProjectRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {PCOLS} FROM projects WHERE kind = 'forge' AND lower(owner) = lower(?) AND lower(repo) = lower(?)"
        ))
        .bind(owner)
        .bind(repo)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(project_from).transpose()
    }

    /// Deletes a project and its pull-request rows; sandboxes keep existing but lose the link.
    pub async fn delete_project(&self, id: &str) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE sandboxes SET project_id = NULL WHERE project_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM pull_requests WHERE project_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("DELETE FROM projects WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    /// Ids of projects whose import never finished (the server died during it).
    pub async fn unfinished_imports(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM projects WHERE status = 'importing'")
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn set_sandbox_git(&self, sandbox: &str, g: &SandboxGit) -> Result<()> {
        sqlx::query(
            "UPDATE sandboxes SET project_id = ?, branch = ?, base_ref = ?, base_sha = ? WHERE id = ?",
        )
        .bind(&g.project_id)
        .bind(&g.branch)
        .bind(&g.base_ref)
        .bind(&g.base_sha)
        .bind(sandbox)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn sandbox_git(&self, sandbox: &str) -> Result<Option<SandboxGit>> {
        let row = sqlx::query(
            "SELECT project_id, branch, base_ref, base_sha FROM sandboxes WHERE id = ? AND project_id IS NOT NULL",
        )
        .bind(sandbox)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SandboxGit {
            project_id: r.try_get("project_id")?,
            branch: r
                .try_get::<Option<String>, _>("branch")?
                .unwrap_or_default(),
            base_ref: r
                .try_get::<Option<String>, _>("base_ref")?
                .unwrap_or_default(),
            base_sha: r
                .try_get::<Option<String>, _>("base_sha")?
                .unwrap_or_default(),
        }))
    }

    /// Live sandboxes of a project with their branches: (sandbox id, branch).
    pub async fn project_sandboxes(&self, project: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT id, branch FROM sandboxes WHERE project_id = ? AND status != 'destroyed' ORDER BY created_at",
        )
        .bind(project)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get::<Option<String>, _>("branch")?
                        .unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// Inserts or replaces a pull request row.
    pub async fn upsert_pull(&self, p: &PullRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO pull_requests ({RCOLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) \
             ON CONFLICT (project_id, number) DO UPDATE SET \
             sandbox_id = COALESCE(excluded.sandbox_id, pull_requests.sandbox_id), title = excluded.title, \
             url = excluded.url, head = excluded.head, base = excluded.base, head_sha = excluded.head_sha, \
             state = excluded.state, draft = excluded.draft, mergeable = excluded.mergeable, \
             conflicts = excluded.conflicts, checks = excluded.checks, merge_sha = excluded.merge_sha, \
             updated_at = excluded.updated_at"
        ))
        .bind(&p.project_id)
        .bind(p.number)
        .bind(&p.sandbox_id)
        .bind(&p.title)
        .bind(&p.url)
        .bind(&p.head)
        .bind(&p.base)
        .bind(&p.head_sha)
        .bind(&p.state)
        .bind(i64::from(p.draft))
        .bind(p.mergeable.map(i64::from))
        .bind(serde_json::to_string(&p.conflicts).unwrap_or_else(|_| "[]".into()))
        .bind(p.checks.as_ref().map(|c| c.to_string()))
        .bind(&p.merge_sha)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn get_pull(&self, project: &str, number: i64) -> Result<Option<PullRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {RCOLS} FROM pull_requests WHERE project_id = ? AND number = ?"
        ))
        .bind(project)
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(pull_from).transpose()
    }

    /// Pull requests, newest first; `project` narrows to one project, `open_only` to open ones.
    pub async fn list_pulls(
        &self,
        project: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<PullRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RCOLS} FROM pull_requests WHERE (? IS NULL OR project_id = ?) AND (? = 0 OR state = 'open') ORDER BY created_at DESC"
        ))
        .bind(project)
        .bind(project)
        .bind(i64::from(open_only))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(pull_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str, url: &str) -> ProjectRecord {
        let now = now_rfc3339();
        ProjectRecord {
            id: id.into(),
            name: "demo".into(),
            kind: "forge".into(),
            owner: Some("Acme".into()),
            repo: Some("Demo".into()),
            clone_url: url.into(),
            default_branch: "main".into(),
            private: true,
            shallow: false,
            status: "importing".into(),
            detected: None,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn projects_are_unique_by_clone_url_and_finish_importing() {
        let s = Store::in_memory().await.unwrap();
        s.insert_project(&project("p1", "https://x/acme/demo.git"))
            .await
            .unwrap()
            .unwrap();
        let dup = s
            .insert_project(&project("p2", "https://x/acme/demo.git"))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(dup.id, "p1");
        assert_eq!(
            s.unfinished_imports().await.unwrap(),
            vec!["p1".to_string()]
        );
        s.finish_project_import("p1", "trunk", &serde_json::json!({"languages": ["rust"]}))
            .await
            .unwrap();
        let p = s.get_project("p1").await.unwrap().unwrap();
        assert_eq!(
            (p.status.as_str(), p.default_branch.as_str()),
            ("ready", "trunk")
        );
        assert_eq!(p.detected.unwrap()["languages"][0], "rust");
        assert!(s.unfinished_imports().await.unwrap().is_empty());
        assert_eq!(
            s.find_project_by_forge("acme", "demo")
                .await
                .unwrap()
                .unwrap()
                .id,
            "p1"
        );
    }

    #[tokio::test]
    async fn pulls_upsert_and_deleting_a_project_removes_them() {
        let s = Store::in_memory().await.unwrap();
        s.insert_project(&project("p1", "u"))
            .await
            .unwrap()
            .unwrap();
        let now = now_rfc3339();
        let mut pr = PullRecord {
            project_id: "p1".into(),
            number: 7,
            sandbox_id: Some("sb".into()),
            title: "t".into(),
            url: "http://x/pull/7".into(),
            head: "feature".into(),
            base: "main".into(),
            head_sha: None,
            state: "open".into(),
            draft: false,
            mergeable: None,
            conflicts: vec![],
            checks: None,
            merge_sha: None,
            created_at: now.clone(),
            updated_at: now,
        };
        s.upsert_pull(&pr).await.unwrap();
        pr.sandbox_id = None;
        pr.mergeable = Some(false);
        pr.conflicts = vec!["src/a.rs".into()];
        s.upsert_pull(&pr).await.unwrap();
        let got = s.get_pull("p1", 7).await.unwrap().unwrap();
        assert_eq!(
            got.sandbox_id.as_deref(),
            Some("sb"),
            "a webhook update keeps the sandbox link"
        );
        assert_eq!(got.conflicts, vec!["src/a.rs".to_string()]);
        assert_eq!(got.mergeable, Some(false));
        assert_eq!(s.list_pulls(Some("p1"), true).await.unwrap().len(), 1);
        assert!(s.delete_project("p1").await.unwrap());
        assert!(s.list_pulls(None, false).await.unwrap().is_empty());
    }
}
