//! `anycode-mock-model --port 0 --script file.json`: serves a mock of the Anthropic Messages API
//! and prints `listening on http://127.0.0.1:PORT` once bound. Without `--script` it echoes
//! (`Mock reply to: <prompt>`). One summary line per request goes to stderr; the full log is at
//! `GET /_mock/requests`. Stops on Ctrl-C / SIGTERM.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use mock_model::{serve_mock, Mock, Script};

#[derive(Debug, Parser)]
#[command(
    name = "anycode-mock-model",
    about = "Mock of the Anthropic Messages API for tests"
)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// JSON script (see the `mock_model::Script` docs); default: echo every prompt.
    #[arg(long)]
    script: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let script = match &args.script {
        Some(path) => Script::from_file(path)?,
        None => Script::echo(),
    };
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("binding {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let mock = Mock::new(script);
    let log = mock.log().clone();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;

    // Print one line per request as they arrive.
    tokio::spawn(async move {
        let mut printed = 0;
        loop {
            let all = log.all();
            for r in &all[printed..] {
                eprintln!("{}", r.summary());
            }
            printed = all.len();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    });

    serve_mock(listener, mock, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
