//! `anycode-fake-forge`: the fake GitHub as a process, for tests that cannot link it (browser
//! end-to-end tests). Prints `{"url": "http://127.0.0.1:PORT"}` on one line when ready, serves
//! until SIGTERM or SIGINT. Control it further over `/_fake/*` (see the library docs).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;
use fake_forge::FakeForge;

#[derive(Debug, Parser)]
#[command(
    name = "anycode-fake-forge",
    about = "A local fake GitHub (REST + git smart HTTP) for tests"
)]
struct Args {
    /// Where bare repositories live (default: a temporary directory removed on exit).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// A user and its token, `login:token` (repeatable).
    #[arg(long = "user", value_name = "LOGIN:TOKEN")]
    users: Vec<String>,
    /// A repository, `owner/name` or `owner/name:private`, created empty with branch main
    /// (repeatable).
    #[arg(long = "repo", value_name = "OWNER/NAME[:private]")]
    repos: Vec<String>,
    /// Push every branch and tag of a local repository into `owner/name` (created public if
    /// not given with --repo), `owner/name=PATH` (repeatable).
    #[arg(long = "seed", value_name = "OWNER/NAME=PATH")]
    seeds: Vec<String>,
    /// Deliver webhooks here.
    #[arg(long)]
    webhook: Option<String>,
    /// The webhook signing secret.
    #[arg(long, default_value = "")]
    webhook_secret: String,
}

fn split_repo(s: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('/') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() => Ok((o.to_string(), n.to_string())),
        _ => bail!("expected owner/name, got {s:?}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "fake_forge=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let temp;
    let root = match &args.root {
        Some(r) => r.clone(),
        None => {
            temp = tempfile::tempdir().context("cannot create a temporary root")?;
            temp.path().to_path_buf()
        }
    };
    let forge = FakeForge::start_on(&root, args.port)
        .await
        .context("cannot start the fake forge")?;
    for user in &args.users {
        let Some((login, token)) = user.split_once(':') else {
            bail!("--user expects login:token, got {user:?}");
        };
        forge.add_user(login, token);
    }
    for repo in &args.repos {
        let (spec, private) = match repo.strip_suffix(":private") {
            Some(spec) => (spec, true),
            None => (repo.as_str(), false),
        };
        let (owner, name) = split_repo(spec)?;
        forge.create_repo(&owner, &name, private, "main");
    }
    for seed in &args.seeds {
        let Some((spec, path)) = seed.split_once('=') else {
            bail!("--seed expects owner/name=PATH, got {seed:?}");
        };
        let (owner, name) = split_repo(spec)?;
        forge.create_repo(&owner, &name, false, "main");
        fake_forge::seed(&forge, &owner, &name, std::path::Path::new(path))
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot seed {owner}/{name} from {path}"))?;
    }
    if let Some(url) = &args.webhook {
        forge.set_webhook(url, &args.webhook_secret);
    }
    println!("{}", serde_json::json!({"url": forge.url()}));

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    drop(forge);
    Ok(())
}
