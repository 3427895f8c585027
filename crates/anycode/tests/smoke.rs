//! Smoke test of the compiled binary: it starts, prints a URL with the token, serves the API
//! with that token, refuses without it, keeps a generated token across restarts, and exits
//! cleanly on SIGTERM.
#![allow(clippy::unwrap_used)]
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn start(data_dir: &std::path::Path, token: Option<&str>) -> (Child, String, u16) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anycode"));
    cmd.args(["serve", "--port", "0", "--data-dir"])
        .arg(data_dir);
    cmd.env_remove("ANYCODE_TOKEN");
    if let Some(t) = token {
        cmd.args(["--token", t]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let url = line.split_whitespace().last().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let token = url.split("?token=").nth(1).unwrap().to_string();
    let port: u16 = url["http://127.0.0.1:".len()..]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (child, token, port)
}

fn get(port: u16, path: &str, token: Option<&str>) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn terminate(mut child: Child) -> std::process::ExitStatus {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    child.wait().unwrap()
}

#[test]
fn binary_serves_with_its_token_and_shuts_down_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (child, token, port) = start(dir.path(), None);
    assert!(token.len() >= 32, "generated token is long: {token}");
    let ok = get(port, "/api/terminals", Some(&token));
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with("[]"), "{ok}");
    let refused = get(port, "/api/terminals", None);
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("\"code\":\"unauthorized\""));
    let status = terminate(child);
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    // The generated token is kept (0600) so bookmarks survive a restart.
    let saved = std::fs::read_to_string(dir.path().join("token")).unwrap();
    assert_eq!(saved, token);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("token"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let (child, again, _) = start(dir.path(), None);
    assert_eq!(again, token);
    assert!(terminate(child).success());
}

#[test]
fn doctor_reports_each_dependency() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anycode"))
        .arg("doctor")
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "git",
        "docker",
        "image",
        "claude",
        "data dir",
        "Sandbox driver",
    ] {
        assert!(
            text.lines().any(|l| l.contains(name)),
            "{name} missing from:\n{text}"
        );
    }
}

#[test]
fn bad_flags_get_a_clear_error_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_anycode"))
        .args(["serve", "--port", "notaport"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'notaport'"));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anycode"))
        .args(["serve", "--port", "0", "--token", "short", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));
}
