//! The daemon: a Unix socket inside the sandbox, one server connection at a time (a new one
//! replaces the old), terminals and tunnel listeners that outlive connections.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

use crate::terminals::Terminals;
use crate::tunnel::Tunnels;

pub struct Options {
    pub socket: PathBuf,
    pub state_dir: PathBuf,
    pub egress_port: u16,
    pub model_port: u16,
}

pub async fn run(opts: Options) -> std::io::Result<()> {
    if let Some(dir) = opts.socket.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(&opts.socket);
    let listener = UnixListener::bind(&opts.socket)?;
    restrict(&opts.socket);
    std::fs::create_dir_all(opts.state_dir.join("recordings"))?;
    let terminals = Arc::new(Terminals::new(opts.state_dir.join("recordings")));
    let tunnels = Tunnels::listen(opts.egress_port, opts.model_port).await?;
    let hooks = HookQueue::default();
    tracing::info!(socket = %opts.socket.display(), egress = tunnels.ports().get("egress").copied().unwrap_or(0), "agent ready");

    let shutdown = CancellationToken::new();
    {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            if let (Ok(mut t), Ok(mut i)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                tokio::select! { _ = t.recv() => {}, _ = i.recv() => {} }
            }
            shutdown.cancel();
        });
    }
    let current: Arc<std::sync::Mutex<Option<CancellationToken>>> =
        Arc::new(std::sync::Mutex::new(None));
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((s, _)) => s,
                Err(e) => { tracing::warn!(error = %e, "accept failed"); continue; }
            },
        };
        let token = Replacing {
            token: shutdown.child_token(),
            current: Arc::clone(&current),
        };
        let (terminals, tunnels, hooks) = (Arc::clone(&terminals), tunnels.clone(), hooks.clone());
        tokio::spawn(async move {
            let (mut r, w) = stream.into_split();
            // The first frame says who connected: the server (hello) or a hook process.
            let first = match tokio::time::timeout(
                std::time::Duration::from_secs(10),
                agent_proto::read_frame(&mut r),
            )
            .await
            {
                Ok(Ok(f)) => f,
                _ => return,
            };
            if let agent_proto::Frame::Control(msg @ agent_proto::Message::Hook { .. }) = first {
                hooks.push(msg);
                return;
            }
            // Only a server connection replaces the current one.
            token.cancel_previous();
            if let Err(e) =
                crate::conn::serve(first, r, w, terminals, tunnels, hooks, token.token).await
            {
                tracing::info!(error = %e, "server connection ended");
            }
        });
    }
    terminals.close_all().await;
    let _ = std::fs::remove_file(&opts.socket);
    Ok(())
}

/// A server connection's token; when it turns out to be a server (not a hook), it cancels the
/// previous server connection and becomes the current one.
struct Replacing {
    token: CancellationToken,
    current: Arc<std::sync::Mutex<Option<CancellationToken>>>,
}

impl Replacing {
    fn cancel_previous(&self) {
        let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(prev) = cur.replace(self.token.clone()) {
            prev.cancel();
        }
    }
}

/// Hook events waiting for the server (bounded: the oldest are dropped when nobody listens).
#[derive(Clone, Default)]
pub struct HookQueue {
    inner: Arc<(
        std::sync::Mutex<std::collections::VecDeque<agent_proto::Message>>,
        tokio::sync::Notify,
    )>,
}

impl HookQueue {
    const MAX: usize = 1024;

    pub fn push(&self, m: agent_proto::Message) {
        let mut q = self.inner.0.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= Self::MAX {
            q.pop_front();
        }
        q.push_back(m);
        drop(q);
        self.inner.1.notify_waiters();
        self.inner.1.notify_one();
    }

    /// Waits for the next event.
    pub async fn pop(&self) -> agent_proto::Message {
        loop {
            let notified = self.inner.1.notified();
            if let Some(m) = self
                .inner
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front()
            {
                return m;
            }
            notified.await;
        }
    }
}

/// `anycode-agent hook EVENT`: Claude Code runs this for each hook with the event's JSON on
/// stdin. It relays the event to the daemon and exits 0 at once — never blocking or failing
/// Claude, whatever happens.
pub async fn hook(socket: &Path, event: &str) {
    use tokio::io::AsyncReadExt;
    let mut input = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        tokio::io::stdin().take(1024 * 1024).read_to_end(&mut input),
    )
    .await;
    let payload: serde_json::Value =
        serde_json::from_slice(&input).unwrap_or(serde_json::Value::Null);
    let terminal = std::env::var("ANYCODE_TERMINAL_ID")
        .ok()
        .filter(|t| !t.is_empty());
    let msg = agent_proto::Message::Hook {
        terminal,
        event: event.to_string(),
        payload,
    };
    let send = async {
        let mut s = UnixStream::connect(socket).await?;
        agent_proto::write_frame(&mut s, &agent_proto::Frame::Control(msg))
            .await
            .map_err(std::io::Error::other)?;
        use tokio::io::AsyncWriteExt;
        s.shutdown().await
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), send).await;
}

/// Only the sandbox user may connect.
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

/// `anycode-agent attach`: stdin → socket, socket → stdout, until either side ends.
pub async fn attach(socket: &Path) -> std::io::Result<()> {
    let stream = UnixStream::connect(socket).await?;
    let (mut r, mut w) = stream.into_split();
    let mut stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    let up = async {
        let _ = tokio::io::copy(&mut stdin, &mut w).await;
        let _ = w.shutdown().await;
    };
    let down = async {
        let _ = tokio::io::copy(&mut r, &mut stdout).await;
    };
    use tokio::io::AsyncWriteExt;
    tokio::select! { _ = up => {}, _ = down => {} }
    Ok(())
}
