//! Local pseudo-terminal processes — the only crate that talks to the OS PTY layer.
//!
//! [`spawn`] starts a command as the leader of a new session on a fresh PTY and returns a
//! [`PtyProcess`]: a read half, a write half and a [`PtyControl`] that resizes the PTY and signals
//! the whole process group. Linux reports the end of a PTY stream as `EIO`; [`is_eof`] tells
//! callers to treat that as end of file.
use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

pub use pty_process::{OwnedReadPty, OwnedWritePty, Size};

/// What to run on a PTY.
#[derive(Debug, Clone)]
pub struct SpawnSpec {
    pub argv: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, String>,
    pub cols: u16,
    pub rows: u16,
}

#[derive(Debug, thiserror::Error)]
pub enum PtyError {
    #[error("empty command")]
    EmptyCommand,
    #[error("could not open a pseudo-terminal: {0}")]
    Open(String),
    #[error("could not start `{program}`: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("could not resize the pseudo-terminal: {0}")]
    Resize(String),
}

/// A running process on its own PTY.
pub struct PtyProcess {
    pub reader: OwnedReadPty,
    pub writer: OwnedWritePty,
    pub child: tokio::process::Child,
    pub pid: u32,
}

/// Resizes and signals; cheap to keep beside the writer.
impl PtyProcess {
    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), PtyError> {
        self.writer
            .resize(pty_process::Size::new(rows, cols))
            .map_err(|e| PtyError::Resize(e.to_string()))
    }
}

/// Sends `signal` to the whole process group led by `pid` (the PTY's session).
pub fn signal_group(pid: u32, signal: Signal) -> io::Result<()> {
    let pid = i32::try_from(pid).map_err(|_| io::Error::other("pid out of range"))?;
    match killpg(Pid::from_raw(pid), signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(e) => Err(io::Error::from(e)),
    }
}

pub use nix::sys::signal::Signal as PtySignal;

/// Starts `spec.argv` as a session leader with the PTY as its controlling terminal.
pub fn spawn(spec: &SpawnSpec) -> Result<PtyProcess, PtyError> {
    let (program, args) = spec.argv.split_first().ok_or(PtyError::EmptyCommand)?;
    let (pty, pts) = pty_process::open().map_err(|e| PtyError::Open(e.to_string()))?;
    pty.resize(pty_process::Size::new(spec.rows, spec.cols))
        .map_err(|e| PtyError::Resize(e.to_string()))?;
    let mut cmd = pty_process::Command::new(program)
        .args(args)
        .env("TERM", "xterm-256color")
        .env("COLORTERM", "truecolor")
        .envs(spec.env.iter())
        .kill_on_drop(true);
    if let Some(cwd) = &spec.cwd {
        cmd = cmd.current_dir(cwd);
    }
    // `spawn` consumes the slave side, so the parent never keeps it open (EOF arrives as EIO).
    let child = cmd.spawn(pts).map_err(|e| PtyError::Spawn {
        program: program.clone(),
        source: match e {
            pty_process::Error::Io(io) => io,
            other => io::Error::other(other.to_string()),
        },
    })?;
    let pid = child.id().unwrap_or(0);
    let (reader, writer) = pty.into_split();
    Ok(PtyProcess {
        reader,
        writer,
        child,
        pid,
    })
}

/// Linux ends a PTY stream with `EIO` once every slave descriptor is closed.
pub fn is_eof(err: &io::Error) -> bool {
    err.raw_os_error() == Some(nix::libc::EIO)
}
