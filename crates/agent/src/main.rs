//! `anycode-agent` — the in-sandbox agent. It depends on no server crate.
//!
//! - `daemon`: the sandbox's main process. When it is PID 1 it becomes a tiny init
//!   ([`reaper`]) that reaps every orphan and runs the real daemon as its child. The daemon
//!   ([`daemon`]) listens on a Unix socket inside the sandbox and serves one server connection
//!   at a time ([`conn`]); terminals ([`terminals`]) outlive connections, so a server restart
//!   loses nothing.
//! - `attach`: bridges stdin/stdout to the daemon's socket. The server runs it through
//!   `docker exec` (a stream that works wherever the engine runs) or connects to the socket
//!   directly (local driver).
mod conn;
mod daemon;
mod exec;
mod reaper;
mod terminals;
mod tunnel;

use std::path::PathBuf;

fn usage() -> ! {
    eprintln!(
        "usage: anycode-agent daemon --socket PATH --state-dir DIR [--egress-port N] [--model-port N]\n       anycode-agent attach --socket PATH\n       anycode-agent hook EVENT   (Claude Code hook; JSON on stdin)\n       anycode-agent --version"
    );
    std::process::exit(2)
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") => println!("anycode-agent {}", env!("CARGO_PKG_VERSION")),
        Some("daemon") => {
            let socket = flag(&args, "--socket")
                .map(PathBuf::from)
                .unwrap_or_else(|| usage());
            let state = flag(&args, "--state-dir")
                .map(PathBuf::from)
                .unwrap_or_else(|| usage());
            // Ports of the loopback proxies: flags, else environment, else any free port.
            let port = |flag_name: &str, env_name: &str| {
                flag(&args, flag_name)
                    .or_else(|| std::env::var(env_name).ok())
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0)
            };
            let egress_port = port("--egress-port", "ANYCODE_EGRESS_PORT");
            let model_port = port("--model-port", "ANYCODE_MODEL_PORT");
            if std::process::id() == 1 && std::env::var_os("ANYCODE_AGENT_CHILD").is_none() {
                std::process::exit(reaper::run_as_init());
            }
            init_logging();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build();
            let code = match rt {
                Ok(rt) => match rt.block_on(daemon::run(daemon::Options {
                    socket,
                    state_dir: state,
                    egress_port,
                    model_port,
                })) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("anycode-agent: {e}");
                        1
                    }
                },
                Err(e) => {
                    eprintln!("anycode-agent: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        Some("hook") => {
            // Never fail Claude: any problem ends in exit 0.
            let event = args.get(1).cloned().unwrap_or_default();
            let socket = std::env::var("ANYCODE_AGENT_SOCKET")
                .map(PathBuf::from)
                .unwrap_or_else(|_| PathBuf::from("/run/anycode/agent.sock"));
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(daemon::hook(&socket, &event));
            }
        }
        Some("attach") => {
            let socket = flag(&args, "--socket")
                .map(PathBuf::from)
                .unwrap_or_else(|| usage());
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let code = match rt.map(|rt| rt.block_on(daemon::attach(&socket))) {
                Ok(Ok(())) => 0,
                Ok(Err(e)) | Err(e) => {
                    eprintln!("anycode-agent attach: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        _ => usage(),
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("ANYCODE_AGENT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .compact()
        .init();
}
