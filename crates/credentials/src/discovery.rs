//! Read-only discovery of the credentials the user already has.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::info::{CredentialInfo, CredentialKind, CredentialSource};
use crate::secret::Secret;
use crate::time::{now_ms, rfc3339_from_ms};

/// Long-lived OAuth token from `claude setup-token`.
pub const ENV_OAUTH_TOKEN: &str = "CLAUDE_CODE_OAUTH_TOKEN";
/// Anthropic API key.
pub const ENV_API_KEY: &str = "ANTHROPIC_API_KEY";
/// Moves Claude Code's config, including `.credentials.json`, to another directory.
pub const ENV_CONFIG_DIR: &str = "CLAUDE_CONFIG_DIR";
/// The credentials file's name inside `~/.claude` (or `$CLAUDE_CONFIG_DIR`).
pub const CREDENTIALS_FILE_NAME: &str = ".credentials.json";
/// The macOS Keychain generic-password service Claude Code stores its login under.
pub const KEYCHAIN_SERVICE: &str = "Claude Code-credentials";

/// Where discovery looks: injectable so tests use temporary directories.
#[derive(Clone)]
pub struct Sources {
    pub home: PathBuf,
    pub env: BTreeMap<String, String>,
    /// Read the macOS Keychain (only has an effect in macOS builds). Off for [`Sources::new`],
    /// on for [`Sources::from_process`].
    pub keychain: bool,
}

impl Sources {
    /// Injected home and environment; the Keychain is not read.
    pub fn new(home: impl Into<PathBuf>, env: BTreeMap<String, String>) -> Self {
        Self {
            home: home.into(),
            env,
            keychain: false,
        }
    }

    /// This process's home directory and environment, and the Keychain on macOS.
    pub fn from_process() -> Self {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let home = env
            .get("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_owned()))
            .unwrap_or_else(|| PathBuf::from("/nonexistent"));
        Self {
            home,
            env,
            keychain: cfg!(target_os = "macos"),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// `$CLAUDE_CONFIG_DIR/.credentials.json` if that is set, else `~/.claude/.credentials.json`.
    pub fn credentials_file(&self) -> PathBuf {
        match self.var(ENV_CONFIG_DIR) {
            Some(dir) => Path::new(dir).join(CREDENTIALS_FILE_NAME),
            None => self.home.join(".claude").join(CREDENTIALS_FILE_NAME),
        }
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Environment values may be secrets: show the names only.
        f.debug_struct("Sources")
            .field("home", &self.home)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("keychain", &self.keychain)
            .finish()
    }
}

/// The `claudeAiOauth` section of Claude Code's credentials blob.
#[derive(Debug, Clone)]
pub(crate) struct OAuthBlob {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub expires_at_ms: Option<i64>,
    pub subscription_type: Option<String>,
}

/// Parses the credentials JSON (file or Keychain). The error is a message fit for the user.
pub(crate) fn parse_blob(text: &str, what: &str) -> Result<OAuthBlob, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|_| format!("{what} is not valid JSON"))?;
    let oauth = value
        .get("claudeAiOauth")
        .filter(|v| v.is_object())
        .ok_or_else(|| format!("{what} has no claudeAiOauth login"))?;
    let access = oauth
        .get("accessToken")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{what} has no accessToken"))?;
    let refresh = oauth
        .get("refreshToken")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    let expires_at_ms = oauth.get("expiresAt").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    });
    let subscription_type = oauth
        .get("subscriptionType")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(OAuthBlob {
        access: Secret::new(access),
        refresh,
        expires_at_ms,
        subscription_type,
    })
}

/// One discovered credential, with its secret when it could be read.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub info: CredentialInfo,
    pub secret: Option<Secret>,
    pub expires_at_ms: Option<i64>,
    /// The refresh token exists (file/Keychain logins).
    pub refreshable: bool,
}

fn from_env(sources: &Sources, name: &str, kind: CredentialKind) -> Option<Found> {
    let value = sources.var(name)?;
    let mut info = CredentialInfo::new(format!("env:{name}"), kind, CredentialSource::Env);
    let secret = Secret::new(value);
    if value.chars().any(|c| !c.is_ascii_graphic()) {
        info.error = Some(format!(
            "{name} contains whitespace or non-printable characters"
        ));
        return Some(Found {
            info,
            secret: None,
            expires_at_ms: None,
            refreshable: false,
        });
    }
    info.prefix = Some(secret.prefix());
    Some(Found {
        info,
        secret: Some(secret),
        expires_at_ms: None,
        refreshable: false,
    })
}

fn from_blob(
    id: &str,
    source: CredentialSource,
    parsed: Result<OAuthBlob, String>,
    now: i64,
) -> Found {
    let mut info = CredentialInfo::new(id, CredentialKind::OAuthSubscription, source);
    match parsed {
        Ok(blob) => {
            info.prefix = Some(blob.access.prefix());
            info.expires_at = blob.expires_at_ms.map(rfc3339_from_ms);
            info.expired = blob.expires_at_ms.is_some_and(|e| e <= now);
            info.subscription_type = blob.subscription_type;
            if blob.refresh.is_none() {
                info.warning =
                    Some("no refresh token: it cannot be renewed when it expires".into());
            }
            Found {
                info,
                secret: Some(blob.access),
                expires_at_ms: blob.expires_at_ms,
                refreshable: blob.refresh.is_some(),
            }
        }
        Err(message) => {
            info.error = Some(message);
            Found {
                info,
                secret: None,
                expires_at_ms: None,
                refreshable: false,
            }
        }
    }
}

/// Reads the credentials file. `None` when it does not exist.
pub(crate) fn read_file(path: &Path) -> Option<Result<OAuthBlob, String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(parse_blob(&text, "credentials file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            Some(Err("credentials file is not valid UTF-8".into()))
        }
        Err(e) => Some(Err(format!("credentials file could not be read: {e}"))),
    }
}

/// Runs `security find-generic-password`. `None` when there is no such item.
#[cfg(target_os = "macos")]
fn read_keychain(sources: &Sources) -> Option<Result<OAuthBlob, String>> {
    // With CLAUDE_CONFIG_DIR set, Claude Code uses a hashed service name; that variant is not
    // read here, the credentials file in that directory is.
    if sources.var(ENV_CONFIG_DIR).is_some() {
        return None;
    }
    let mut cmd = std::process::Command::new("/usr/bin/security");
    cmd.args(["find-generic-password", "-s", KEYCHAIN_SERVICE, "-w"]);
    if let Some(user) = sources.var("USER") {
        cmd.args(["-a", user]);
    }
    let out = match cmd.stdin(std::process::Stdio::null()).output() {
        Ok(out) => out,
        Err(e) => return Some(Err(format!("could not run the security tool: {e}"))),
    };
    if !out.status.success() {
        // Exit 44: the item does not exist. Anything else (denied access, locked keychain)
        // is worth showing.
        return match out.status.code() {
            Some(44) => None,
            code => Some(Err(format!(
                "Keychain item could not be read (security exited with {})",
                code.map_or_else(|| "a signal".to_owned(), |c| c.to_string())
            ))),
        };
    }
    match String::from_utf8(out.stdout) {
        Ok(text) => Some(parse_blob(text.trim(), "Keychain item")),
        Err(_) => Some(Err("Keychain item is not valid UTF-8".into())),
    }
}

#[cfg(not(target_os = "macos"))]
fn read_keychain(_sources: &Sources) -> Option<Result<OAuthBlob, String>> {
    None
}

/// Everything discovered, in the order [`crate::Broker`] prefers it: env OAuth token, env API
/// key, Keychain, credentials file.
pub(crate) fn discover_found(sources: &Sources) -> Vec<Found> {
    let now = now_ms();
    let mut found = Vec::new();
    found.extend(from_env(
        sources,
        ENV_OAUTH_TOKEN,
        CredentialKind::OAuthToken,
    ));
    found.extend(from_env(sources, ENV_API_KEY, CredentialKind::ApiKey));
    if sources.keychain {
        if let Some(parsed) = read_keychain(sources) {
            found.push(from_blob(
                "keychain",
                CredentialSource::Keychain,
                parsed,
                now,
            ));
        }
    }
    if let Some(parsed) = read_file(&sources.credentials_file()) {
        found.push(from_blob("file", CredentialSource::File, parsed, now));
    }
    found
}

/// What the user already has, safe to show. Read-only; a source that cannot be read shows up
/// with an `error` instead of failing the whole discovery.
pub fn discover(sources: &Sources) -> Vec<CredentialInfo> {
    discover_found(sources)
        .into_iter()
        .map(|f| f.info)
        .collect()
}
