//! `anycode doctor`: what this machine has, and clear advice for what it lacks.
use std::path::Path;
use std::process::Command;

use crate::cli::{default_data_dir, DoctorArgs};

struct Check {
    name: &'static str,
    ok: bool,
    found: String,
    advice: &'static str,
}

fn version_of(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

fn docker_engine() -> Result<String, String> {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map_err(|_| "the docker CLI is not installed".to_string())?;
    if out.status.success() {
        Ok(format!(
            "engine {}",
            String::from_utf8_lossy(&out.stdout).trim()
        ))
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("no engine answers")
            .trim()
            .to_string())
    }
}

fn image_check(image: &str) -> Result<String, String> {
    let out = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"org.anycode.claude-code-version\"}}",
            image,
        ])
        .output()
        .map_err(|_| "the docker CLI is not installed".to_string())?;
    if out.status.success() {
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(format!("{image} (Claude Code {v})"))
    } else {
        Err(format!("{image} is not present"))
    }
}

fn data_dir_check(dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let probe = dir.join(".doctor-probe");
    std::fs::write(&probe, b"ok").map_err(|e| format!("{} is not writable: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(format!("{} (writable)", dir.display()))
}

pub fn main(args: DoctorArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.unwrap_or_else(default_data_dir);
    let git = version_of("git", &["--version"]);
    let claude = version_of("claude", &["--version"]);
    let docker = docker_engine();
    let data = data_dir_check(&data_dir);
    let (key_kind, key_where) = server::probe_key_storage(&data_dir, args.key_storage.into());
    let image = if docker.is_ok() {
        image_check(&args.sandbox_image)
    } else {
        Err("no engine to hold it".into())
    };
    let checks = [
        Check {
            name: "git",
            ok: git.is_some(),
            found: git.unwrap_or_else(|| "not found".into()),
            advice: "install Git 2.38 or newer (Debian/Ubuntu: apt-get install git; macOS: xcode-select --install)",
        },
        Check {
            name: "docker",
            ok: docker.is_ok(),
            found: docker.clone().unwrap_or_else(|e| e),
            advice: "install Docker (apt-get install docker.io, or Docker Desktop/OrbStack) and start the engine; without it sandboxes use the local driver (no isolation)",
        },
        Check {
            name: "image",
            ok: image.is_ok(),
            found: image.clone().unwrap_or_else(|e| e),
            advice: "build the sandbox image: scripts/sandbox-image (works offline from a debootstrap rootfs)",
        },
        Check {
            name: "claude",
            ok: claude.is_some(),
            found: claude.unwrap_or_else(|| "not found".into()),
            advice: "install the Claude Code CLI: npm install -g @anthropic-ai/claude-code (sandboxes get it from the sandbox image)",
        },
        Check {
            name: "data dir",
            ok: data.is_ok(),
            found: data.clone().unwrap_or_else(|e| e),
            advice: "choose a writable directory with --data-dir or ANYCODE_DATA_DIR",
        },
        Check {
            name: "key store",
            ok: true,
            found: format!("{key_kind}: {key_where}"),
            advice: "",
        },
    ];
    let mut problems = 0;
    for c in &checks {
        let mark = if c.ok { "ok  " } else { "MISS" };
        println!("[{mark}] {:<9} {}", c.name, c.found);
        if !c.ok {
            problems += 1;
            println!("       → {}", c.advice);
        }
    }
    let driver = if docker.is_ok() {
        "docker (a hardened container per sandbox)"
    } else {
        "local (no Docker engine: sandboxes run on this machine WITHOUT isolation)"
    };
    println!("\nSandbox driver: {driver}");
    if problems == 0 {
        println!("\nEverything AnyCode needs is here.");
    } else {
        println!(
            "\n{problems} item(s) need attention; AnyCode still starts, with the limits above."
        );
    }
    Ok(())
}
