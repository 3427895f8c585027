//! The agent's terminals: sessions from the `terminal` crate run on local PTYs inside the
//! sandbox. They live until closed, independent of any server connection.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use agent_proto::{Exit, TerminalInfo, TerminalState};
use terminal::{ProcessState, Session, SessionConfig, SpawnSpec};

pub struct Terminals {
    recordings: PathBuf,
    live: Mutex<HashMap<String, Session>>,
}

pub struct Create {
    pub terminal: String,
    pub argv: Vec<String>,
    pub cwd: Option<String>,
    pub env: BTreeMap<String, String>,
    pub cols: u16,
    pub rows: u16,
    pub name: String,
}

impl Terminals {
    pub fn new(recordings: PathBuf) -> Self {
        Self {
            recordings,
            live: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        self.map().get(id).cloned()
    }

    pub fn create(&self, c: Create) -> Result<(), String> {
        if c.terminal.is_empty() || c.terminal.contains('/') || c.terminal.len() > 64 {
            return Err("invalid terminal id".into());
        }
        if self.map().contains_key(&c.terminal) {
            return Err(format!("terminal {} exists", c.terminal));
        }
        let driver = Session::start(SessionConfig {
            cols: c.cols,
            rows: c.rows,
            recording: Some(self.recordings.join(format!("{}.cast", c.terminal))),
            command: c.argv.join(" "),
            title: c.name,
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
        let session = driver.session.clone();
        let cwd = c.cwd.map(PathBuf::from).or_else(|| {
            let ws = PathBuf::from("/workspace");
            ws.is_dir().then_some(ws)
        });
        let spec = SpawnSpec {
            argv: c.argv,
            cwd,
            env: c.env,
            cols: c.cols,
            rows: c.rows,
        };
        terminal::local::start(driver, spec).map_err(|e| {
            session.close();
            e.to_string()
        })?;
        self.map().insert(c.terminal, session);
        Ok(())
    }

    pub fn remove(&self, id: &str) -> Option<Session> {
        self.map().remove(id)
    }

    pub fn list(&self) -> Vec<TerminalInfo> {
        self.map()
            .iter()
            .map(|(id, s)| {
                let i = s.info();
                TerminalInfo {
                    terminal: id.clone(),
                    cols: i.cols,
                    rows: i.rows,
                    start: i.start,
                    end: i.end,
                    state: match i.state {
                        ProcessState::Exited(e) => TerminalState::Exited(Exit {
                            code: e.code,
                            signal: e.signal,
                        }),
                        _ => TerminalState::Running,
                    },
                }
            })
            .collect()
    }

    pub async fn close_all(&self) {
        let all: Vec<Session> = self.map().drain().map(|(_, s)| s).collect();
        for s in all {
            let _ = s.control(terminal::Control::Close).await;
        }
    }
}
