//! The store: SQLite (WAL, foreign keys) through sqlx, schema by migrations in `migrations/`.
//! Only this crate writes SQL. Rows come out as plain records; ids are UUIDv7 newtypes.
use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

mod credential_modes;
mod ids;
mod projects;
mod runs;
mod sandboxes;
mod tasks;
mod usage;
pub use ids::TerminalId;
pub use projects::{AlreadyImported, ProjectRecord, PullRecord, SandboxGit};
pub use runs::{RunEvent, RunRecord};
pub use sandboxes::{NameTaken, SandboxRecord};
pub use tasks::{StepRecord, TaskLog, TaskRecord, WorkflowRecord, WorkflowRunRecord};
pub use usage::{UsageRow, UsageTotals};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// A terminal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRecord {
    pub id: TerminalId,
    pub name: String,
    pub command: Vec<String>,
    pub cwd: Option<String>,
    pub cols: u16,
    pub rows: u16,
    pub status: TerminalStatus,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub sandbox_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStatus {
    Running,
    Exited,
}

impl TerminalStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Exited => "exited",
        }
    }
}

pub fn now_rfc3339() -> String {
    // Seconds precision with milliseconds, UTC, without pulling a date crate in.
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_rfc3339(d.as_secs() as i64, d.subsec_millis())
}

/// A point in time as RFC 3339 (UTC, milliseconds); sorts as text like the time it names.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format_rfc3339(d.as_secs() as i64, d.subsec_millis())
}

fn format_rfc3339(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

impl Store {
    /// Opens (creating if needed) the database file and runs pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// An in-memory store for tests.
    pub async fn in_memory() -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn insert_terminal(&self, t: &TerminalRecord) -> Result<()> {
        let command =
            serde_json::to_string(&t.command).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO terminals (id, name, command, cwd, cols, rows, status, exit_code, signal, \
             sandbox_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(t.id.to_string())
        .bind(&t.name)
        .bind(command)
        .bind(&t.cwd)
        .bind(i64::from(t.cols))
        .bind(i64::from(t.rows))
        .bind(t.status.as_str())
        .bind(t.exit_code)
        .bind(t.signal)
        .bind(&t.sandbox_id)
        .bind(&t.created_at)
        .bind(&t.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Open (not deleted) terminals, oldest first.
    pub async fn list_terminals(&self) -> Result<Vec<TerminalRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, command, cwd, cols, rows, status, exit_code, signal, sandbox_id, \
             created_at FROM terminals WHERE closed_at IS NULL ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(terminal_from_row).collect()
    }

    pub async fn rename_terminal(&self, id: TerminalId, name: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE terminals SET name = ?, updated_at = ? WHERE id = ? AND closed_at IS NULL",
        )
        .bind(name)
        .bind(now_rfc3339())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_terminal_size(&self, id: TerminalId, cols: u16, rows: u16) -> Result<()> {
        sqlx::query("UPDATE terminals SET cols = ?, rows = ?, updated_at = ? WHERE id = ?")
            .bind(i64::from(cols))
            .bind(i64::from(rows))
            .bind(now_rfc3339())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_terminal_status(
        &self,
        id: TerminalId,
        status: TerminalStatus,
        exit_code: Option<i32>,
        signal: Option<i32>,
    ) -> Result<()> {
        sqlx::query("UPDATE terminals SET status = ?, exit_code = ?, signal = ?, updated_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(exit_code)
            .bind(signal)
            .bind(now_rfc3339())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close_terminal(&self, id: TerminalId) -> Result<bool> {
        let now = now_rfc3339();
        let r = sqlx::query(
            "UPDATE terminals SET closed_at = ?, status = 'exited', updated_at = ? WHERE id = ? AND closed_at IS NULL",
        )
        .bind(&now)
        .bind(&now)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// At start-up: local terminals from a previous server life have no process any more.
    pub async fn mark_local_terminals_exited(&self) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE terminals SET status = 'exited', updated_at = ? WHERE status = 'running' AND sandbox_id IS NULL",
        )
        .bind(now_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }
}

fn terminal_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<TerminalRecord> {
    let id: String = row.try_get("id")?;
    let command: String = row.try_get("command")?;
    let status: String = row.try_get("status")?;
    Ok(TerminalRecord {
        id: id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("terminal id {id}")))?,
        name: row.try_get("name")?,
        command: serde_json::from_str(&command).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        cwd: row.try_get("cwd")?,
        cols: u16::try_from(row.try_get::<i64, _>("cols")?).unwrap_or(80),
        rows: u16::try_from(row.try_get::<i64, _>("rows")?).unwrap_or(24),
        status: if status == "running" {
            TerminalStatus::Running
        } else {
            TerminalStatus::Exited
        },
        exit_code: row.try_get("exit_code")?,
        signal: row.try_get("signal")?,
        sandbox_id: row.try_get("sandbox_id")?,
        created_at: row.try_get("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> TerminalRecord {
        TerminalRecord {
            id: TerminalId::new(),
            name: name.into(),
            command: vec!["bash".into(), "-l".into()],
            cwd: Some("/tmp".into()),
            cols: 80,
            rows: 24,
            status: TerminalStatus::Running,
            exit_code: None,
            signal: None,
            sandbox_id: None,
            created_at: now_rfc3339(),
        }
    }

    #[tokio::test]
    async fn terminals_round_trip_rename_and_close() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let a = record("one");
        let b = record("two");
        store.insert_terminal(&a).await.unwrap();
        store.insert_terminal(&b).await.unwrap();
        assert!(store.rename_terminal(a.id, "renamed").await.unwrap());
        assert!(store.close_terminal(b.id).await.unwrap());
        assert!(
            !store.close_terminal(b.id).await.unwrap(),
            "closing twice is a no-op"
        );
        let list = store.list_terminals().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "renamed");
        assert_eq!(list[0].command, vec!["bash", "-l"]);
        assert_eq!(store.mark_local_terminals_exited().await.unwrap(), 1);
        assert_eq!(
            store.list_terminals().await.unwrap()[0].status,
            TerminalStatus::Exited
        );
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_rfc3339(1_795_000_000, 5), "2026-11-18T11:06:40.005Z");
    }
}
