//! Runs a session's process on a local PTY: output into the session, control requests into the
//! process. The same session type is fed by other producers (an in-sandbox agent) elsewhere.
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use pty::Size as PtySize;
use pty::{PtyProcess, PtySignal, SpawnSpec};

use crate::session::{Control, Driver, ExitStatus, Session};

/// How long a process gets after SIGHUP before SIGKILL when its terminal is closed.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// After the process exits, how long to keep draining output still held by a background child.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// Starts `spec` and drives it for the session until the session is closed.
pub fn start(
    driver: Driver,
    spec: SpawnSpec,
) -> Result<tokio::task::JoinHandle<()>, pty::PtyError> {
    let process = pty::spawn(&spec)?;
    driver.session.set_running();
    Ok(tokio::spawn(run(driver, spec, process)))
}

enum Outcome {
    Exited,
    Restart,
    Close,
}

async fn run(driver: Driver, mut spec: SpawnSpec, first: PtyProcess) {
    let Driver {
        session,
        mut control,
    } = driver;
    let mut process = Some(first);
    loop {
        if let Some(p) = process.take() {
            match drive(&session, p, &mut control, &mut spec).await {
                Outcome::Exited => {}
                Outcome::Close => break,
                Outcome::Restart => {
                    process = respawn(&session, &spec);
                    continue;
                }
            }
        }
        // No process: wait for a restart or the end.
        match control.recv().await {
            Some(Control::Restart) => process = respawn(&session, &spec),
            Some(Control::Resize { cols, rows }) => {
                spec.cols = cols;
                spec.rows = rows;
                session.push_resize(cols, rows);
            }
            Some(Control::Close) | None => break,
            Some(_) => {}
        }
    }
    session.close();
}

fn respawn(session: &Session, spec: &SpawnSpec) -> Option<PtyProcess> {
    session.push_marker("restart");
    match pty::spawn(spec) {
        Ok(p) => {
            session.set_running();
            Some(p)
        }
        Err(e) => {
            let msg = format!("\r\n[anycode: restart failed: {e}]\r\n");
            // Make the failure visible in the terminal itself.
            let s = session.clone();
            tokio::spawn(async move { s.push_output(Bytes::from(msg)).await });
            session.push_exit(ExitStatus {
                code: Some(127),
                signal: None,
            });
            None
        }
    }
}

async fn drive(
    session: &Session,
    p: PtyProcess,
    control: &mut mpsc::Receiver<Control>,
    spec: &mut SpawnSpec,
) -> Outcome {
    let PtyProcess {
        mut reader,
        mut writer,
        mut child,
        pid,
    } = p;

    let out = session.clone();
    let mut reader_task = tokio::spawn(async move {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        loop {
            buf.reserve(64 * 1024);
            match reader.read_buf(&mut buf).await {
                Ok(0) => break,
                Ok(_) => out.push_output(buf.split().freeze()).await,
                Err(e) if pty::is_eof(&e) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "pty read ended");
                    break;
                }
            }
        }
    });

    // Writes go through their own task so a process that stops reading never blocks kill/close.
    let (input_tx, mut input_rx) = mpsc::channel::<ToPty>(64);
    let writer_task = tokio::spawn(async move {
        while let Some(msg) = input_rx.recv().await {
            match msg {
                ToPty::Data(data) => {
                    if writer.write_all(&data).await.is_err() {
                        break;
                    }
                }
                ToPty::Resize(cols, rows) => {
                    if let Err(e) = writer.resize(PtySize::new(rows, cols)) {
                        tracing::debug!(error = %e, "resize failed");
                    }
                }
            }
        }
    });

    let mut outcome = Outcome::Exited;
    let mut reader_done = false;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.ok(),
            _ = &mut reader_task, if !reader_done => { reader_done = true; }
            msg = control.recv() => match msg {
                Some(Control::Input(data)) => {
                    if input_tx.try_send(ToPty::Data(data)).is_err() {
                        tracing::debug!("pty input queue full; input dropped");
                    }
                }
                Some(Control::Interrupt) => { let _ = input_tx.try_send(ToPty::Data(Bytes::from_static(b"\x03"))); }
                Some(Control::Resize { cols, rows }) => {
                    spec.cols = cols;
                    spec.rows = rows;
                    if input_tx.send(ToPty::Resize(cols, rows)).await.is_ok() {
                        session.push_resize(cols, rows);
                    }
                }
                Some(Control::Kill) => { let _ = pty::signal_group(pid, PtySignal::SIGKILL); }
                Some(Control::Restart) => {
                    outcome = Outcome::Restart;
                    let _ = pty::signal_group(pid, PtySignal::SIGKILL);
                }
                Some(Control::Close) | None => {
                    outcome = Outcome::Close;
                    let _ = pty::signal_group(pid, PtySignal::SIGHUP);
                    match tokio::time::timeout(CLOSE_GRACE, child.wait()).await {
                        Ok(s) => break s.ok(),
                        Err(_) => { let _ = pty::signal_group(pid, PtySignal::SIGKILL); }
                    }
                }
            }
        }
    };
    // Deliver everything the process wrote before it exited: drain until EOF (EIO).
    if !reader_done
        && tokio::time::timeout(DRAIN_AFTER_EXIT, &mut reader_task)
            .await
            .is_err()
    {
        // A background child still holds the PTY; stop reading so the terminal can end.
        let _ = pty::signal_group(pid, PtySignal::SIGHUP);
        if tokio::time::timeout(DRAIN_AFTER_EXIT, &mut reader_task)
            .await
            .is_err()
        {
            reader_task.abort();
        }
    }
    drop(input_tx);
    let _ = writer_task.await;
    let status = status.map(exit_status).unwrap_or(ExitStatus {
        code: None,
        signal: None,
    });
    session.push_exit(status);
    outcome
}

fn exit_status(s: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus {
        code: s.code(),
        signal: s.signal(),
    }
}

enum ToPty {
    Data(Bytes),
    Resize(u16, u16),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{ProcessState, SessionConfig};

    fn spec(script: &str) -> SpawnSpec {
        SpawnSpec {
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            cwd: None,
            env: Default::default(),
            cols: 80,
            rows: 24,
        }
    }

    async fn wait_for(session: &Session, mut pred: impl FnMut(&Session) -> bool) {
        let mut rx = session.subscribe();
        while !pred(session) {
            tokio::time::timeout(Duration::from_secs(10), rx.changed())
                .await
                .expect("guard")
                .expect("open");
        }
    }

    #[tokio::test]
    async fn restart_runs_the_command_again_and_kill_ends_it() {
        let d = Session::start(SessionConfig::default()).unwrap();
        let s = d.session.clone();
        start(d, spec("echo started; exec cat")).unwrap();
        wait_for(&s, |s| {
            s.screen_text().iter().any(|l| l.contains("started"))
        })
        .await;
        s.control(Control::Restart).await.unwrap();
        wait_for(&s, |s| {
            s.info().exits == 1
                && s.screen_text()
                    .iter()
                    .filter(|l| l.contains("started"))
                    .count()
                    == 2
        })
        .await;
        s.control(Control::Kill).await.unwrap();
        wait_for(&s, |s| s.info().exits == 2).await;
        assert!(matches!(
            s.info().state,
            ProcessState::Exited(ExitStatus {
                signal: Some(9),
                ..
            })
        ));
    }
}
