//! Locating (or installing) the pinned Claude Code CLI for tests, and preparing the throwaway
//! `HOME` and environment it needs to run against the mock without any dialog or outbound call.
//!
//! ```no_run
//! # async fn demo() {
//! use mock_model::{cli, MockModel, Script};
//! let mock = MockModel::start(Script::echo()).await;
//! let home = tempfile::tempdir().unwrap();
//! let work = tempfile::tempdir().unwrap();
//! cli::prepare_home(home.path(), &[work.path()]).unwrap();
//! let out = tokio::process::Command::from(cli::command(home.path(), &mock.base_url(), "test-token"))
//!     .args(["-p", "say hi", "--output-format", "stream-json", "--verbose"])
//!     .current_dir(work.path())
//!     .output()
//!     .await
//!     .unwrap();
//! # }
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{bail, Context};
use serde_json::json;

/// The CLI version AnyCode pins.
pub const CLAUDE_CLI_VERSION: &str = "2.1.197";

/// The npm package of the CLI.
pub const CLAUDE_CLI_PACKAGE: &str = "@anthropic-ai/claude-code";

/// Env var: use this binary as is (no version check).
pub const ENV_BIN: &str = "ANYCODE_CLAUDE_BIN";

/// Env var: install/cache directory (default `<cargo target dir>/claude-cli`).
pub const ENV_CACHE: &str = "ANYCODE_CLAUDE_CACHE";

/// Env var: when set to `1`, tests that need the real CLI should skip (see [`skip_real_cli`]).
pub const ENV_SKIP: &str = "ANYCODE_SKIP_CLAUDE_CLI";

/// Path of the pinned `claude` binary; panics with the reason when it cannot be found or
/// installed. See [`try_claude_binary`] for the lookup order.
pub fn claude_binary() -> PathBuf {
    match try_claude_binary() {
        Ok(p) => p,
        Err(e) => panic!("cannot locate or install claude {CLAUDE_CLI_VERSION}: {e:#}"),
    }
}

/// Whether tests needing the real CLI should skip (`ANYCODE_SKIP_CLAUDE_CLI=1`).
pub fn skip_real_cli() -> bool {
    std::env::var(ENV_SKIP).is_ok_and(|v| v == "1")
}

/// Path of the pinned `claude` binary, found in this order (the result is cached per process):
///
/// 1. `$ANYCODE_CLAUDE_BIN`, as is;
/// 2. `claude` on `PATH`, if `claude --version` reports [`CLAUDE_CLI_VERSION`];
/// 3. a previous install in the cache directory (`$ANYCODE_CLAUDE_CACHE`, else
///    `<cargo target dir>/claude-cli`);
/// 4. a fresh `npm install --prefix <cache> @anthropic-ai/claude-code@<version>` (done in a
///    temporary sibling directory, then renamed into place, so concurrent test processes do not
///    see half an install).
///
/// The native binary from the platform package (`@anthropic-ai/claude-code-<platform>/claude`)
/// is preferred over the npm wrapper, so the Node version does not matter.
pub fn try_claude_binary() -> anyhow::Result<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| locate().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn locate() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os(ENV_BIN) {
        let bin = PathBuf::from(bin);
        if !bin.exists() {
            bail!("{ENV_BIN}={} does not exist", bin.display());
        }
        return Ok(bin);
    }
    if let Some(bin) = on_path("claude") {
        if has_pinned_version(&bin) {
            return Ok(bin);
        }
    }
    let cache = cache_dir();
    if let Some(bin) = installed_binary(&cache) {
        return Ok(bin);
    }
    install(&cache)
}

/// The install/cache directory: `$ANYCODE_CLAUDE_CACHE`, else `<target>/claude-cli`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(ENV_CACHE) {
        return PathBuf::from(dir);
    }
    target_dir().join("claude-cli")
}

/// The cargo target directory: the nearest ancestor of the running executable holding a
/// `CACHEDIR.TAG` (cargo writes one), else `$CARGO_TARGET_DIR`, else `<workspace>/target`.
fn target_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file()) {
            return dir.to_path_buf();
        }
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn has_pinned_version(bin: &Path) -> bool {
    Command::new(bin)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).starts_with(CLAUDE_CLI_VERSION))
}

/// A working binary in an npm prefix: a native platform package first, then the wrapper.
fn installed_binary(prefix: &Path) -> Option<PathBuf> {
    let scope = prefix.join("node_modules/@anthropic-ai");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&scope)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("claude-code-"))
        .map(|e| e.path().join("claude"))
        .collect();
    candidates.sort();
    candidates.push(prefix.join("node_modules/.bin/claude"));
    candidates
        .into_iter()
        .find(|c| c.is_file() && has_pinned_version(c))
}

fn install(cache: &Path) -> anyhow::Result<PathBuf> {
    let parent = cache.parent().context("cache dir has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let staging = parent.join(format!(".claude-cli.tmp-{}-{nanos}", std::process::id()));
    let spec = format!("{CLAUDE_CLI_PACKAGE}@{CLAUDE_CLI_VERSION}");
    let output = Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&staging)
        .args(["--no-audit", "--no-fund", "--loglevel=error", &spec])
        .output()
        .context("running npm (is Node.js installed?)")?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        bail!(
            "npm install {spec} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if installed_binary(&staging).is_none() {
        let _ = std::fs::remove_dir_all(&staging);
        bail!("npm installed {spec} but no runnable claude {CLAUDE_CLI_VERSION} binary was found in it");
    }
    // A broken previous install is replaced; a concurrent winner is kept.
    if cache.exists() && installed_binary(cache).is_none() {
        let _ = std::fs::remove_dir_all(cache);
    }
    if std::fs::rename(&staging, cache).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    installed_binary(cache)
        .with_context(|| format!("no runnable claude in {} after install", cache.display()))
}

/// Seeds a throwaway `HOME` so the CLI shows no dialog: onboarding done, `trusted` directories
/// (and their descendants) trusted, the bypass-permissions warning accepted (both in
/// `.claude.json` and `.claude/settings.json`).
pub fn prepare_home(home: &Path, trusted: &[&Path]) -> std::io::Result<()> {
    let mut projects = serde_json::Map::new();
    for dir in trusted {
        let mut paths = vec![dir.to_path_buf()];
        if let Ok(canonical) = dir.canonicalize() {
            paths.push(canonical);
        }
        for p in paths {
            projects.insert(
                p.to_string_lossy().into_owned(),
                json!({"hasTrustDialogAccepted": true}),
            );
        }
    }
    let config = json!({
        "hasCompletedOnboarding": true,
        "bypassPermissionsModeAccepted": true,
        "projects": projects,
    });
    std::fs::write(home.join(".claude.json"), config.to_string())?;
    std::fs::create_dir_all(home.join(".claude"))?;
    std::fs::write(
        home.join(".claude/settings.json"),
        json!({"skipDangerousModePermissionPrompt": true}).to_string(),
    )
}

/// Credential and environment variables that would change which credential the CLI sends, or
/// where it goes; [`command`] removes them.
pub const SCRUBBED_ENV: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDE_CONFIG_DIR",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
];

/// The variables that make the CLI talk only to `base_url`, authenticated with
/// `Authorization: Bearer <auth_token>`, with no side traffic and no root check.
pub fn env_vars(home: &Path, base_url: &str, auth_token: &str) -> Vec<(String, OsString)> {
    let mut no_proxy = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    for host in ["127.0.0.1", "localhost"] {
        if !no_proxy.split(',').any(|h| h.trim() == host) {
            if !no_proxy.is_empty() {
                no_proxy.push(',');
            }
            no_proxy.push_str(host);
        }
    }
    let mut vars: Vec<(String, OsString)> = vec![
        ("HOME".into(), home.as_os_str().to_owned()),
        ("ANTHROPIC_BASE_URL".into(), base_url.into()),
        ("ANTHROPIC_AUTH_TOKEN".into(), auth_token.into()),
        ("NO_PROXY".into(), no_proxy.clone().into()),
        ("no_proxy".into(), no_proxy.into()),
    ];
    for (k, v) in [
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
        ("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1"),
        ("DISABLE_AUTOUPDATER", "1"),
        // Lifts the "bypass permissions cannot run as root" check; harmless otherwise.
        ("IS_SANDBOX", "1"),
    ] {
        vars.push((k.into(), v.into()));
    }
    vars
}

/// A `Command` for [`claude_binary`] with [`SCRUBBED_ENV`] removed and [`env_vars`] set. Add the
/// arguments and `current_dir`; wrap with `tokio::process::Command::from` if needed.
pub fn command(home: &Path, base_url: &str, auth_token: &str) -> Command {
    let mut cmd = Command::new(claude_binary());
    for name in SCRUBBED_ENV {
        cmd.env_remove(name);
    }
    cmd.envs(env_vars(home, base_url, auth_token));
    cmd
}
