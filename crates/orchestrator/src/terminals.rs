//! The terminal hub: creates, finds and ends terminal sessions — local ones, and mirrors of
//! terminals inside sandboxes — and keeps the store in step with them.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use store::{Store, TerminalId, TerminalRecord, TerminalStatus};
use terminal::{Control, Info, ProcessState, Session, SessionConfig, SpawnSpec};
use tokio_util::task::TaskTracker;

pub const MAX_COLS: u16 = 1000;
pub const MAX_ROWS: u16 = 500;
const MAX_ARGS: usize = 256;
const MAX_ARG_LEN: usize = 16 * 1024;
const MAX_ENV: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("terminal `{0}` does not exist")]
    NotFound(String),
    #[error("invalid terminal size {cols}x{rows}: columns must be 1..={MAX_COLS} and rows 1..={MAX_ROWS}")]
    InvalidSize { cols: u32, rows: u32 },
    #[error("{0}")]
    Invalid(String),
    #[error("could not start the terminal: {0}")]
    Spawn(String),
    #[error("the terminal has ended")]
    Ended,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// A request to open a terminal, already parsed from JSON.
#[derive(Debug, Default)]
pub struct NewTerminal {
    pub name: Option<String>,
    pub command: Option<Vec<String>>,
    pub cwd: Option<String>,
    pub env: BTreeMap<String, String>,
    pub cols: Option<u32>,
    pub rows: Option<u32>,
}

pub fn check_size(cols: u32, rows: u32) -> Result<(u16, u16), HubError> {
    if (1..=u32::from(MAX_COLS)).contains(&cols) && (1..=u32::from(MAX_ROWS)).contains(&rows) {
        Ok((cols as u16, rows as u16))
    } else {
        Err(HubError::InvalidSize { cols, rows })
    }
}

pub struct HubConfig {
    pub recordings_dir: PathBuf,
    pub buffer_bytes: usize,
    /// Where sandbox agents keep their recordings: `<sandboxes_dir>/<id>/state/recordings`.
    pub sandboxes_dir: PathBuf,
}

pub struct TerminalHub {
    store: Store,
    live: RwLock<HashMap<TerminalId, Session>>,
    /// Which live sessions mirror a sandbox terminal (their process belongs to the agent).
    mirrors: RwLock<std::collections::HashSet<TerminalId>>,
    cfg: HubConfig,
    tasks: TaskTracker,
    /// Ends the status watchers at shutdown (a mirror's session outlives the server's hub).
    stopping: tokio_util::sync::CancellationToken,
}

fn default_shell() -> Vec<String> {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| std::path::Path::new(s).exists());
    let shell = shell.or_else(|| {
        ["/bin/bash", "/bin/sh"]
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|s| s.to_string())
    });
    vec![shell.unwrap_or_else(|| "/bin/sh".into())]
}

pub fn check_argv(argv: &[String]) -> Result<(), HubError> {
    if argv.is_empty() || argv[0].trim().is_empty() {
        return Err(HubError::Invalid(
            "`command` must be a non-empty array of strings".into(),
        ));
    }
    if argv.len() > MAX_ARGS
        || argv
            .iter()
            .any(|a| a.len() > MAX_ARG_LEN || a.contains('\0'))
    {
        return Err(HubError::Invalid(format!(
            "`command` may have at most {MAX_ARGS} arguments of at most {MAX_ARG_LEN} bytes, without NUL"
        )));
    }
    Ok(())
}

pub fn check_env(env: &BTreeMap<String, String>) -> Result<(), HubError> {
    if env.len() > MAX_ENV
        || env
            .iter()
            .any(|(k, v)| k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0'))
    {
        return Err(HubError::Invalid(
            "`env` keys must be non-empty without `=` or NUL".into(),
        ));
    }
    Ok(())
}

/// The display name: given, or the program's file name.
pub fn terminal_name(given: Option<String>, argv: &[String]) -> Result<String, HubError> {
    let name = given
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            argv.first()
                .and_then(|a| std::path::Path::new(a).file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| "shell".into())
        });
    if name.chars().count() > 100 {
        return Err(HubError::Invalid(
            "`name` may have at most 100 characters".into(),
        ));
    }
    Ok(name)
}

fn home_dir() -> Option<String> {
    std::env::var("HOME")
        .ok()
        .filter(|h| std::path::Path::new(h).is_dir())
}

impl TerminalHub {
    pub async fn new(store: Store, cfg: HubConfig) -> Result<Arc<Self>, HubError> {
        std::fs::create_dir_all(&cfg.recordings_dir).map_err(|e| {
            HubError::Invalid(format!(
                "cannot create {}: {e}",
                cfg.recordings_dir.display()
            ))
        })?;
        // Local terminals do not outlive the server process; the store must say so.
        store.mark_local_terminals_exited().await?;
        Ok(Arc::new(Self {
            store,
            live: RwLock::new(HashMap::new()),
            mirrors: RwLock::new(std::collections::HashSet::new()),
            cfg,
            tasks: TaskTracker::new(),
            stopping: tokio_util::sync::CancellationToken::new(),
        }))
    }

    pub fn recording_path(&self, id: TerminalId, sandbox: Option<&str>) -> PathBuf {
        match sandbox {
            Some(sb) => self
                .cfg
                .sandboxes_dir
                .join(sb)
                .join("state")
                .join("recordings")
                .join(format!("{id}.cast")),
            None => self.cfg.recordings_dir.join(format!("{id}.cast")),
        }
    }

    /// Validates a request for a terminal in a sandbox: the same rules as a local one.
    pub fn check_request(req: &NewTerminal) -> Result<(u16, u16), HubError> {
        let size = check_size(req.cols.unwrap_or(80), req.rows.unwrap_or(24))?;
        if let Some(argv) = &req.command {
            check_argv(argv)?;
        }
        check_env(&req.env)?;
        Ok(size)
    }

    /// Registers a mirror of a sandbox terminal (created by the fleet) under its record.
    pub async fn add_mirror(
        self: &Arc<Self>,
        record: TerminalRecord,
        session: Session,
    ) -> Result<(TerminalRecord, Option<Info>), HubError> {
        self.store.insert_terminal(&record).await?;
        self.adopt_mirror(record.id, session.clone());
        Ok((record, Some(session.info())))
    }

    /// Tracks an existing record's mirror (after a reconnect or a server restart).
    pub fn adopt_mirror(self: &Arc<Self>, id: TerminalId, session: Session) {
        self.mirrors
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
        self.live
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, session.clone());
        self.tasks
            .spawn(status_watch(Arc::clone(self), id, session));
    }

    /// Marks a sandbox terminal whose process is gone (the sandbox stopped or lost it).
    pub async fn mark_exited(&self, id: TerminalId) -> Result<(), HubError> {
        self.store
            .set_terminal_status(id, TerminalStatus::Exited, None, None)
            .await?;
        Ok(())
    }

    /// Forgets the mirrors of a sandbox's terminals (the sandbox was destroyed).
    pub async fn drop_sandbox(&self, sandbox: &str) -> Result<(), HubError> {
        let ids: Vec<TerminalId> = self
            .store
            .sandbox_terminals(sandbox)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        for id in ids {
            if let Some(s) = self
                .live
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id)
            {
                s.close();
            }
        }
        self.store.close_sandbox_terminals(sandbox).await?;
        Ok(())
    }

    pub fn session(&self, id: TerminalId) -> Option<Session> {
        self.live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    pub async fn create(
        self: &Arc<Self>,
        req: NewTerminal,
    ) -> Result<(TerminalRecord, Option<Info>), HubError> {
        let (cols, rows) = check_size(req.cols.unwrap_or(80), req.rows.unwrap_or(24))?;
        let argv = match req.command {
            Some(argv) => {
                check_argv(&argv)?;
                argv
            }
            None => default_shell(),
        };
        let cwd = match req.cwd {
            Some(c) => {
                if !std::path::Path::new(&c).is_dir() {
                    return Err(HubError::Invalid(format!("`cwd` `{c}` is not a directory")));
                }
                Some(c)
            }
            None => home_dir(),
        };
        check_env(&req.env)?;
        let name = terminal_name(req.name, &argv)?;

        let id = TerminalId::new();
        let driver = Session::start(SessionConfig {
            buffer_bytes: self.cfg.buffer_bytes,
            cols,
            rows,
            recording: Some(self.recording_path(id, None)),
            command: argv.join(" "),
            title: name.clone(),
            ..Default::default()
        })
        .map_err(|e| HubError::Invalid(e.to_string()))?;
        let session = driver.session.clone();
        let spec = SpawnSpec {
            argv: argv.clone(),
            cwd: cwd.as_ref().map(PathBuf::from),
            env: req.env,
            cols,
            rows,
        };
        let runner = terminal::local::start(driver, spec).map_err(|e| {
            session.close();
            HubError::Spawn(e.to_string())
        })?;
        let record = TerminalRecord {
            id,
            name,
            command: argv,
            cwd,
            cols,
            rows,
            status: TerminalStatus::Running,
            exit_code: None,
            signal: None,
            sandbox_id: None,
            created_at: store::now_rfc3339(),
        };
        if let Err(e) = self.store.insert_terminal(&record).await {
            let _ = session.control(Control::Close).await;
            return Err(e.into());
        }
        self.live
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, session.clone());
        self.tasks.spawn(runner_watch(runner));
        self.tasks
            .spawn(status_watch(Arc::clone(self), id, session.clone()));
        Ok((record, Some(session.info())))
    }

    pub async fn list(&self) -> Result<Vec<(TerminalRecord, Option<Info>)>, HubError> {
        let records = self.store.list_terminals().await?;
        Ok(records
            .into_iter()
            .map(|r| {
                let info = self.session(r.id).map(|s| s.info());
                (r, info)
            })
            .collect())
    }

    pub async fn get(&self, id: TerminalId) -> Result<(TerminalRecord, Option<Info>), HubError> {
        self.list()
            .await?
            .into_iter()
            .find(|(r, _)| r.id == id)
            .ok_or_else(|| HubError::NotFound(id.to_string()))
    }

    pub async fn rename(
        &self,
        id: TerminalId,
        name: &str,
    ) -> Result<(TerminalRecord, Option<Info>), HubError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(HubError::Invalid(
                "`name` must have 1 to 100 characters".into(),
            ));
        }
        if !self.store.rename_terminal(id, name).await? {
            return Err(HubError::NotFound(id.to_string()));
        }
        self.get(id).await
    }

    pub async fn resize(
        &self,
        id: TerminalId,
        cols: u32,
        rows: u32,
    ) -> Result<(TerminalRecord, Option<Info>), HubError> {
        let (cols, rows) = check_size(cols, rows)?;
        let session = self
            .session(id)
            .ok_or_else(|| HubError::NotFound(id.to_string()))?;
        let mut changes = session.subscribe();
        session
            .control(Control::Resize { cols, rows })
            .await
            .map_err(|_| HubError::Ended)?;
        self.store.set_terminal_size(id, cols, rows).await?;
        // Answer with the size the terminal really has: wait for the producer to apply it.
        let applied = async {
            loop {
                let i = session.info();
                if (i.cols, i.rows) == (cols, rows) || i.closed {
                    break;
                }
                if changes.changed().await.is_err() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), applied).await;
        self.get(id).await
    }

    /// Ends the process (SIGHUP, then SIGKILL) and forgets the terminal; the recording stays.
    pub async fn delete(&self, id: TerminalId) -> Result<(), HubError> {
        let session = self
            .live
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        if let Some(s) = &session {
            let _ = s.control(Control::Close).await;
        }
        if !self.store.close_terminal(id).await? && session.is_none() {
            return Err(HubError::NotFound(id.to_string()));
        }
        Ok(())
    }

    /// Ends every terminal and waits for their runners (recordings flushed).
    /// Closes the server's own terminals. Sandbox terminals are left alone: their processes
    /// belong to the agent and outlive the server (closing a mirror would close the process).
    pub async fn shutdown(&self) {
        let mirrors = self
            .mirrors
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let sessions: Vec<Session> = self
            .live
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .filter(|(id, _)| !mirrors.contains(id))
            .map(|(_, s)| s)
            .collect();
        for s in &sessions {
            let _ = s.control(Control::Close).await;
        }
        self.stopping.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

async fn runner_watch(runner: tokio::task::JoinHandle<()>) {
    if let Err(e) = runner.await {
        tracing::error!(error = %e, "terminal runner panicked");
    }
}

/// Keeps the stored status in step with the process (exit codes survive a server restart).
async fn status_watch(hub: Arc<TerminalHub>, id: TerminalId, session: Session) {
    let mut rx = session.subscribe();
    let mut last = (ProcessState::Starting, 0u32);
    loop {
        let info = session.info();
        if (info.state, info.exits) != last {
            last = (info.state, info.exits);
            let r = match info.state {
                ProcessState::Exited(s) => {
                    hub.store
                        .set_terminal_status(id, TerminalStatus::Exited, s.code, s.signal)
                        .await
                }
                _ => {
                    hub.store
                        .set_terminal_status(id, TerminalStatus::Running, None, None)
                        .await
                }
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, terminal = %id, "could not store terminal status");
            }
        }
        if info.closed {
            break;
        }
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { break },
            () = hub.stopping.cancelled() => break,
        }
    }
}
