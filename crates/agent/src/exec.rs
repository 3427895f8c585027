//! Non-interactive commands: stdout, stderr (each capped), exit status, with a timeout that kills
//! the whole process group.
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAP: usize = 1024 * 1024;

pub struct ExecOutcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub truncated: bool,
}

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(mut r: R) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut truncated = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = CAP.saturating_sub(out.len());
                if room < n {
                    truncated = true;
                }
                out.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    (out, truncated)
}

pub async fn run(
    argv: Vec<String>,
    cwd: Option<String>,
    env: BTreeMap<String, String>,
    timeout: Duration,
    stdin: Option<String>,
) -> Result<ExecOutcome, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .envs(env)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    match cwd {
        Some(c) => {
            cmd.current_dir(c);
        }
        None if std::path::Path::new("/workspace").is_dir() => {
            cmd.current_dir("/workspace");
        }
        None => {}
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let pid = child.id().unwrap_or(0);
    if let (Some(input), Some(mut w)) = (stdin, child.stdin.take()) {
        tokio::spawn(async move {
            let _ = w.write_all(input.as_bytes()).await;
        });
    }
    let out = tokio::spawn(read_capped(child.stdout.take().ok_or("no stdout")?));
    let err = tokio::spawn(read_capped(child.stderr.take().ok_or("no stderr")?));
    let (status, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(s) => (s.ok(), false),
        Err(_) => {
            let _ = pty::signal_group(pid, pty::PtySignal::SIGKILL);
            (child.wait().await.ok(), true)
        }
    };
    // A background child may keep the pipes open: kill the group, then collect.
    let _ = pty::signal_group(pid, pty::PtySignal::SIGKILL);
    let (stdout, t1) = out.await.unwrap_or_default();
    let (stderr, t2) = err.await.unwrap_or_default();
    use std::os::unix::process::ExitStatusExt;
    Ok(ExecOutcome {
        exit_code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
        truncated: t1 || t2,
    })
}
