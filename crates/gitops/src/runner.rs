//! The one way this crate runs `git` on the host.
//!
//! Every invocation:
//! - starts from an **empty environment** and adds only `PATH`, `HOME=/nonexistent`,
//!   `LANG`/`LC_ALL=C`, `GIT_CONFIG_NOSYSTEM=1`, `GIT_CONFIG_GLOBAL=/dev/null`,
//!   `GIT_TERMINAL_PROMPT=0`, `GIT_NO_LAZY_FETCH=1`, `GIT_NO_REPLACE_OBJECTS=1`,
//!   `GIT_LITERAL_PATHSPECS=1`, `GIT_CEILING_DIRECTORIES=/`, `SSH_ASKPASS_REQUIRE=never`, plus
//!   the pass-through variables a network needs ([`PASS_THROUGH`]: proxies, CA bundles, the
//!   ssh agent) — so no `GIT_DIR`, `GIT_CONFIG_PARAMETERS`, `GIT_SSH_COMMAND`, `GIT_ASKPASS`,
//!   `GIT_EXEC_PATH`, `GIT_TRACE*` of the server's environment reaches git;
//! - names its repository explicitly (`--git-dir`, `--work-tree`, or a path argument) and runs
//!   in `/` (no repository discovery from a working directory);
//! - overrides every configuration key that runs a program or fetches over an unsafe protocol
//!   ([`HARDENING`]: hooks, fsmonitor, ssh command, askpass, credential helpers, `ext::`,
//!   auto-gc/maintenance) and fscks what it receives;
//! - gets credentials only through [`HttpAuth`] as environment configuration for that command;
//! - runs in its own process group, killed (the group: `git-remote-https`, `index-pack`, `ssh`
//!   too) on timeout or when the caller drops the future;
//! - keeps at most `max_stdout` bytes of stdout (then stops the command: `truncated`) and
//!   [`MAX_STDERR`] bytes of stderr, which is scrubbed of credentials before anyone sees it.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::auth::HttpAuth;
use crate::error::{classify, scrub, GitError};

/// Bytes of stderr kept (the rest is read and dropped).
pub(crate) const MAX_STDERR: usize = 64 * 1024;
/// Default stdout cap.
pub(crate) const DEFAULT_MAX_STDOUT: usize = 64 * 1024 * 1024;
/// Default timeout of a local (non-network) command.
pub(crate) const LOCAL_TIMEOUT: Duration = Duration::from_secs(120);

/// `-c` settings given to every git we run. Command-line configuration wins over every file,
/// including a repository's own `config`.
pub(crate) const HARDENING: &[&str] = &[
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.sshCommand=ssh -o BatchMode=yes",
    "core.askPass=",
    "core.attributesFile=/dev/null",
    "core.pager=cat",
    "credential.helper=",
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.ssh.allow=always",
    "protocol.git.allow=always",
    "protocol.file.allow=always",
    "protocol.ext.allow=never",
    "gc.auto=0",
    "maintenance.auto=false",
    "transfer.fsckObjects=true",
    "submodule.recurse=false",
    "log.showSignature=false",
    "color.ui=false",
    "advice.detachedHead=false",
];

/// Variables copied from the server's environment when set: what a network transport needs
/// and cannot run a program.
pub(crate) const PASS_THROUGH: &[&str] = &[
    "SSH_AUTH_SOCK",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
];

/// One git command, built then run once.
pub(crate) struct Git<'a> {
    op: &'static str,
    global: Vec<OsString>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    auth: Option<(&'a HttpAuth, String)>,
    stdin: Option<Input>,
    timeout: Duration,
    max_stdout: usize,
    network: bool,
}

/// What git reads on stdin.
enum Input {
    Bytes(Vec<u8>),
    /// Read by git directly from the file's current offset (large data, e.g. a pack).
    File(std::fs::File),
}

/// What a finished (or stopped) git left.
#[derive(Debug)]
pub(crate) struct Output {
    /// Exit code; `None` when killed by a signal (also after `truncated`).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    /// Scrubbed, lossy UTF-8.
    pub stderr: String,
    /// stdout reached `max_stdout`; the command was stopped there.
    pub truncated: bool,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub fn stdout_lossy(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl<'a> Git<'a> {
    /// `op` names the operation in errors and logs (`"fetch"`, `"merge-tree"`…).
    pub fn new(op: &'static str) -> Self {
        Git {
            op,
            global: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            auth: None,
            stdin: None,
            timeout: LOCAL_TIMEOUT,
            max_stdout: DEFAULT_MAX_STDOUT,
            network: false,
        }
    }

    /// `--git-dir=<dir>`: the repository, named explicitly.
    pub fn git_dir(mut self, dir: &Path) -> Self {
        let mut flag = OsString::from("--git-dir=");
        flag.push(dir.as_os_str());
        self.global.push(flag);
        self
    }

    /// `--work-tree=<dir>`.
    pub fn work_tree(mut self, dir: &Path) -> Self {
        let mut flag = OsString::from("--work-tree=");
        flag.push(dir.as_os_str());
        self.global.push(flag);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// More `-c key=value` settings for this command (after [`HARDENING`], so they win over
    /// it: never pass program-running keys here).
    pub fn configs(mut self, settings: &[&str]) -> Self {
        for setting in settings {
            self.global.push("-c".into());
            self.global.push((*setting).into());
        }
        self
    }

    /// An extra environment variable (e.g. `GIT_OBJECT_DIRECTORY` for a quarantine).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.into(), value.as_ref().to_owned()));
        self
    }

    /// Credentials for the remote at `url`, for this command only.
    pub fn auth(mut self, auth: Option<&'a HttpAuth>, url: &str) -> Self {
        self.auth = auth.map(|a| (a, url.to_owned()));
        self
    }

    pub fn stdin(mut self, bytes: Vec<u8>) -> Self {
        self.stdin = Some(Input::Bytes(bytes));
        self
    }

    /// Git reads `file` from its current offset as stdin.
    pub fn stdin_file(mut self, file: std::fs::File) -> Self {
        self.stdin = Some(Input::File(file));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn max_stdout(mut self, bytes: usize) -> Self {
        self.max_stdout = bytes;
        self
    }

    /// Talks to a remote: a timeout is a [`GitError::Network`].
    pub fn network(mut self) -> Self {
        self.network = true;
        self
    }

    /// The process, ready to spawn (argv and environment are final here; tests inspect it).
    pub(crate) fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new("git");
        cmd.env_clear();
        cmd.env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
        );
        for key in PASS_THROUGH {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        for (key, value) in [
            ("HOME", "/nonexistent"),
            ("LANG", "C"),
            ("LC_ALL", "C"),
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            ("GIT_TERMINAL_PROMPT", "0"),
            ("GIT_NO_LAZY_FETCH", "1"),
            ("GIT_NO_REPLACE_OBJECTS", "1"),
            ("GIT_LITERAL_PATHSPECS", "1"),
            ("GIT_CEILING_DIRECTORIES", "/"),
            ("SSH_ASKPASS_REQUIRE", "never"),
        ] {
            cmd.env(key, value);
        }
        if let Some((auth, url)) = &self.auth {
            let (key, value) = auth.config_for(url);
            cmd.env("GIT_CONFIG_COUNT", "1");
            cmd.env("GIT_CONFIG_KEY_0", key);
            cmd.env("GIT_CONFIG_VALUE_0", value);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd.current_dir("/");
        for setting in HARDENING {
            cmd.arg("-c").arg(setting);
        }
        cmd.args(&self.global);
        cmd.args(&self.args);
        cmd
    }

    fn secrets(&self) -> Vec<String> {
        self.auth
            .as_ref()
            .map(|(a, _)| a.secrets())
            .unwrap_or_default()
    }

    /// Runs to the end; a non-zero exit is an error classified from stderr. A `truncated`
    /// stdout is not an error: the caller decides.
    pub async fn run(self) -> Result<Output, GitError> {
        let op = self.op;
        let out = self.output().await?;
        if out.success() || out.truncated {
            Ok(out)
        } else {
            Err(classify(op, &out.stderr))
        }
    }

    /// Runs to the end and returns whatever the exit code.
    pub async fn output(self) -> Result<Output, GitError> {
        let started = Instant::now();
        let secrets = self.secrets();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let mut cmd = tokio::process::Command::from(self.command());
        let (stdin_cfg, input) = match self.stdin {
            Some(Input::Bytes(bytes)) => (Stdio::piped(), Some(bytes)),
            Some(Input::File(file)) => (Stdio::from(file), None),
            None => (Stdio::null(), None),
        };
        cmd.process_group(0)
            .kill_on_drop(true)
            .stdin(stdin_cfg)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                GitError::Io("`git` is not installed (not found in PATH)".into())
            }
            _ => GitError::io("cannot start git", e),
        })?;
        let mut group = GroupGuard(child.id().map(|id| Pid::from_raw(id as i32)));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let max_stdout = self.max_stdout;
        let pgid = group.0;

        let work = async {
            let write = async move {
                if let (Some(mut pipe), Some(bytes)) = (stdin, input) {
                    // git may exit without reading everything (EPIPE): its exit code says why.
                    let _ = pipe.write_all(&bytes).await;
                    let _ = pipe.shutdown().await;
                }
            };
            let read_out = async move {
                let Some(pipe) = stdout else {
                    return Ok((Vec::new(), false));
                };
                let (bytes, full) = read_capped(pipe, max_stdout, false).await?;
                if full {
                    if let Some(pgid) = pgid {
                        let _ = killpg(pgid, Signal::SIGKILL);
                    }
                }
                Ok::<_, std::io::Error>((bytes, full))
            };
            let read_err = async move {
                match stderr {
                    Some(pipe) => read_capped(pipe, MAX_STDERR, true).await.map(|(b, _)| b),
                    None => Ok(Vec::new()),
                }
            };
            let ((), out, err) = tokio::join!(write, read_out, read_err);
            let status = child.wait().await;
            (out, err, status)
        };
        let (out, err, status) = match tokio::time::timeout(self.timeout, work).await {
            Ok(done) => done,
            Err(_) => {
                // The child is not reaped yet, so its process group id is still ours to kill.
                group.kill();
                let message = format!("timed out after {}s", self.timeout.as_secs());
                return Err(if self.network {
                    GitError::Network(message)
                } else {
                    GitError::failed(self.op, message)
                });
            }
        };
        let status = status.map_err(|e| GitError::io("waiting for git", e))?;
        group.disarm();
        let (stdout, truncated) = out.map_err(|e| GitError::io("reading git's output", e))?;
        let stderr = err.map_err(|e| GitError::io("reading git's errors", e))?;
        let stderr = scrub(&String::from_utf8_lossy(&stderr), &secrets);
        tracing::debug!(
            op = self.op,
            code = status.code(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            truncated,
            "git"
        );
        Ok(Output {
            code: if truncated { None } else { status.code() },
            stdout,
            stderr,
            truncated,
        })
    }
}

/// Kills the process group on drop unless disarmed (the leader was reaped). Declared after the
/// child so it drops first, while the group id cannot have been reused.
struct GroupGuard(Option<Pid>);

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }

    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads up to `cap` bytes. When full: `drain` keeps reading and dropping (so the writer never
/// blocks), otherwise it returns at once with `true`.
async fn read_capped(
    mut pipe: impl AsyncRead + Unpin,
    cap: usize,
    drain: bool,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut full = false;
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok((kept, full));
        }
        if full {
            continue;
        }
        let room = cap - kept.len();
        if n > room {
            kept.extend_from_slice(&chunk[..room]);
            full = true;
            if !drain {
                return Ok((kept, true));
            }
        } else {
            kept.extend_from_slice(&chunk[..n]);
        }
    }
}

/// `git --version`, e.g. `"2.39.5"`.
pub async fn version() -> Result<String, GitError> {
    let out = Git::new("version").arg("--version").run().await?;
    let text = out.stdout_lossy();
    Ok(text
        .trim()
        .strip_prefix("git version ")
        .unwrap_or(text.trim())
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_in_the_environment_only() {
        let auth = HttpAuth::token("ghp_TOPSECRET");
        let git = Git::new("fetch")
            .git_dir(Path::new("/m.git"))
            .arg("fetch")
            .arg("https://github.com/a/b.git")
            .auth(Some(&auth), "https://github.com/a/b.git");
        let cmd = git.command();
        let argv: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let header = auth.header_value();
        let b64 = header.trim_start_matches("Authorization: Basic ");
        for arg in &argv {
            assert!(!arg.contains("TOPSECRET") && !arg.contains(b64), "{arg}");
        }
        let envs: Vec<(String, String)> = cmd
            .get_envs()
            .filter_map(|(k, v)| {
                Some((
                    k.to_string_lossy().into_owned(),
                    v?.to_string_lossy().into_owned(),
                ))
            })
            .collect();
        let get = |k: &str| {
            envs.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("GIT_CONFIG_COUNT"), Some("1"));
        assert_eq!(
            get("GIT_CONFIG_KEY_0"),
            Some("http.https://github.com/.extraHeader")
        );
        assert_eq!(get("GIT_CONFIG_VALUE_0"), Some(header.as_str()));
        assert_eq!(get("GIT_CONFIG_GLOBAL"), Some("/dev/null"));
        assert_eq!(get("HOME"), Some("/nonexistent"));
        assert!(argv.contains(&"core.hooksPath=/dev/null".to_owned()));
        assert!(argv.contains(&"--git-dir=/m.git".to_owned()));
    }

    #[test]
    fn environment_starts_empty() {
        let cmd = Git::new("x").command();
        let names: Vec<String> = cmd
            .get_envs()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        for name in &names {
            let allowed = PASS_THROUGH.contains(&name.as_str())
                || name == "PATH"
                || name == "HOME"
                || name == "LANG"
                || name == "LC_ALL"
                || name == "SSH_ASKPASS_REQUIRE"
                || name.starts_with("GIT_");
            assert!(allowed, "unexpected variable {name}");
        }
        assert!(!names
            .iter()
            .any(|n| n == "GIT_DIR" || n == "GIT_CONFIG_PARAMETERS"));
    }

    #[tokio::test]
    async fn stdout_is_capped_and_the_command_stopped() {
        // `git help -a` prints a few KB.
        let out = Git::new("help")
            .args(["help", "-a"])
            .max_stdout(100)
            .output()
            .await
            .unwrap();
        assert!(out.truncated);
        assert_eq!(out.stdout.len(), 100);
    }

    #[tokio::test]
    async fn version_runs() {
        let v = version().await.unwrap();
        assert!(v.starts_with('2'), "{v}");
    }
}
