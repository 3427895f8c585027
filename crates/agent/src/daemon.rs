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
    let tunnels = Tunnels::listen(opts.egress_port).await?;
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
    let mut current: Option<CancellationToken> = None;
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((s, _)) => s,
                Err(e) => { tracing::warn!(error = %e, "accept failed"); continue; }
            },
        };
        if let Some(prev) = current.take() {
            prev.cancel();
        }
        let token = shutdown.child_token();
        current = Some(token.clone());
        let (terminals, tunnels) = (Arc::clone(&terminals), tunnels.clone());
        tokio::spawn(async move {
            let (r, w) = stream.into_split();
            if let Err(e) = crate::conn::serve(r, w, terminals, tunnels, token).await {
                tracing::info!(error = %e, "server connection ended");
            }
        });
    }
    terminals.close_all().await;
    let _ = std::fs::remove_file(&opts.socket);
    Ok(())
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
