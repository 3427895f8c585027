//! The `anycode` binary: `serve` (the default), `doctor`, `openapi`.
//!
//! - `cli.rs`: flags and environment.
//! - `serve.rs`: token, data dir, listener, signals → `server::run`.
//! - `doctor.rs`: what this machine has and what to do about what it lacks.
mod cli;
mod doctor;
mod serve;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let command = cli
        .command
        .clone()
        .unwrap_or_else(|| cli::Command::Serve(Box::new(cli.serve.clone())));
    let result = match command {
        cli::Command::Serve(args) => serve::main(*args),
        cli::Command::Doctor(args) => doctor::main(args),
        cli::Command::Openapi => {
            println!("{}", server::openapi::json());
            Ok(())
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("anycode: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
