//! `anycode serve`: resolve the token and data dir, bind, print the URL, run until a signal.
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::cli::{default_data_dir, ServeArgs};

pub fn main(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args))
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ANYCODE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).init();
    } else {
        builder.compact().init();
    }
}

/// The token from flags/env, or the one kept in `<data>/token` (0600), or a new one.
fn resolve_token(given: Option<String>, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(t) = given.filter(|t| !t.is_empty()) {
        anyhow::ensure!(t.len() >= 8, "--token must have at least 8 characters");
        return Ok(t);
    }
    let path = data_dir.join("token");
    if let Ok(t) = std::fs::read_to_string(&path) {
        let t = t.trim().to_string();
        if t.len() >= 8 {
            return Ok(t);
        }
    }
    use rand::Rng;
    let bytes: [u8; 24] = rand::rng().random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut f = open_private(&path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    Ok(token)
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let token = resolve_token(args.token.clone(), &data_dir)?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{} (is another anycode running? try --port)",
                args.host, args.port
            )
        })?;
    let addr = listener.local_addr()?;

    let mut cfg = server::Config::new(data_dir.clone(), token.clone());
    cfg.allowed_hosts = args.allowed_hosts;
    cfg.allowed_origins = args.allowed_origins;
    cfg.buffer_bytes = args.terminal_buffer.max(64 * 1024);
    cfg.sandbox_driver = match args.sandbox_driver.as_str() {
        "docker" => server::DriverChoice::Docker,
        "local" => server::DriverChoice::Local,
        _ => server::DriverChoice::Auto,
    };
    cfg.sandbox_image = args.sandbox_image;
    anyhow::ensure!(
        args.idle_pause_minutes >= 1,
        "--idle-pause-minutes must be at least 1"
    );
    anyhow::ensure!(
        args.idle_destroy_hours >= 1,
        "--idle-destroy-hours must be at least 1"
    );
    cfg.idle_pause = std::time::Duration::from_secs(args.idle_pause_minutes * 60);
    cfg.idle_destroy = std::time::Duration::from_secs(args.idle_destroy_hours * 3600);
    cfg.egress_allow = args.egress_allow;
    cfg.credential_mode = args.credential_mode.into();
    cfg.key_storage = args.key_storage.into();
    anyhow::ensure!(
        args.anthropic_upstream.starts_with("http://")
            || args.anthropic_upstream.starts_with("https://"),
        "--anthropic-upstream must be an http(s) URL"
    );
    cfg.anthropic_upstream = args.anthropic_upstream;
    anyhow::ensure!(
        args.github_api_url.starts_with("http://") || args.github_api_url.starts_with("https://"),
        "--github-api-url must be an http(s) URL"
    );
    anyhow::ensure!(
        (1..=200).contains(&args.max_running_tasks)
            && (1..=200).contains(&args.max_tasks_per_project),
        "--max-running-tasks and --max-tasks-per-project must be between 1 and 200"
    );
    cfg.tasks = server::TaskLimits {
        max_running: args.max_running_tasks,
        max_per_project: args.max_tasks_per_project,
    };
    cfg.github = server::GithubConfig {
        api_url: args.github_api_url,
        web_url: args.github_web_url,
        client_id: args.github_client_id.filter(|s| !s.is_empty()),
        webhook_secret: args.github_webhook_secret.filter(|s| !s.is_empty()),
        host_token: host_github_token(),
        poll_every: std::time::Duration::from_secs(args.pr_poll_seconds.max(5)),
    };

    let shutdown = CancellationToken::new();
    // Install the handlers before printing the URL: a SIGTERM right after start-up must shut
    // down cleanly, not kill the process with the default action.
    let signals = signal_handlers()?;
    let cancel = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal(signals).await;
        tracing::info!("shutting down");
        cancel.cancel();
    });

    let shown_host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    let shown_host = if shown_host.contains(':') {
        format!("[{shown_host}]")
    } else {
        shown_host
    };
    // The URL carries the token: printed for the user, never logged. A closed stdout (a
    // supervisor that stopped reading) must not take the server down: write errors are ignored.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "AnyCode is running. Open:  http://{shown_host}:{}/?token={token}",
        addr.port()
    );
    let _ = writeln!(out, "Data dir: {}", data_dir.display());
    let _ = out.flush();
    tracing::info!(%addr, data_dir = %data_dir.display(), "listening");
    server::run(listener, cfg, shutdown).await
}

type Signals = (tokio::signal::unix::Signal, tokio::signal::unix::Signal);

fn signal_handlers() -> anyhow::Result<Signals> {
    use tokio::signal::unix::{signal, SignalKind};
    Ok((
        signal(SignalKind::terminate())?,
        signal(SignalKind::interrupt())?,
    ))
}

async fn wait_for_signal((mut term, mut int): Signals) {
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// A GitHub token the host already has: `GITHUB_TOKEN`/`GH_TOKEN`, else the GitHub CLI's login
/// (`gh auth token`). Used when the user has not connected GitHub in AnyCode.
fn host_github_token() -> Option<(String, &'static str)> {
    for var in ["GITHUB_TOKEN", "GH_TOKEN"] {
        if let Ok(t) = std::env::var(var) {
            if !t.trim().is_empty() {
                return Some((t.trim().to_string(), "env"));
            }
        }
    }
    let out = std::process::Command::new("gh")
        .args(["auth", "token"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let t = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !t.trim().is_empty()).then(|| (t.trim().to_string(), "gh"))
}
