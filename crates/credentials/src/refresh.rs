//! Refreshing the Claude Code login in the credentials file.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::broker::{ActiveCredential, ActiveKind};
use crate::discovery::{parse_blob, read_file, OAuthBlob};
use crate::error::CredError;
use crate::fsutil::write_atomic_private;
use crate::info::CredentialSource;
use crate::secret::Secret;
use crate::time::{now_ms, system_time_from_ms};

/// Claude Code 2.1.x's token endpoint (facts §2.3).
pub const DEFAULT_TOKEN_URL: &str = "https://platform.claude.com/v1/oauth/token";
/// Claude Code's public OAuth client id.
pub const DEFAULT_CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
/// The scope Claude Code asks for when it refreshes.
pub const DEFAULT_SCOPE: &str =
    "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload";

/// Where and how to refresh.
#[derive(Debug, Clone)]
pub struct RefreshConfig {
    pub token_url: String,
    pub client_id: String,
    /// Sent as `scope`; `None` leaves it out of the request.
    pub scope: Option<String>,
    /// Refresh when the token expires within this margin.
    pub skew: Duration,
    /// Timeout of one token request.
    pub timeout: Duration,
    /// After a failed refresh, do not try again with the same refresh token for this long.
    pub failure_backoff: Duration,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        Self {
            token_url: DEFAULT_TOKEN_URL.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            scope: Some(DEFAULT_SCOPE.into()),
            skew: Duration::from_secs(5 * 60),
            timeout: Duration::from_secs(30),
            failure_backoff: Duration::from_secs(30),
        }
    }
}

#[derive(Default)]
struct State {
    /// The refresh token whose last refresh failed, and when.
    failed: Option<(Instant, Secret)>,
}

/// Refreshes the credentials file's OAuth login, one request at a time: callers that arrive
/// during a refresh wait for it and then read its result from the file.
pub struct Refresher {
    config: RefreshConfig,
    client: reqwest::Client,
    state: tokio::sync::Mutex<State>,
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

fn active_from(blob: &OAuthBlob) -> ActiveCredential {
    ActiveCredential {
        kind: ActiveKind::OAuth,
        secret: blob.access.clone(),
        expires_at: blob.expires_at_ms.map(system_time_from_ms),
        source: CredentialSource::File,
        id: "file".into(),
    }
}

/// The current token if it has not expired yet, else `err`.
fn still_usable(blob: &OAuthBlob, now: i64, err: CredError) -> Result<ActiveCredential, CredError> {
    if blob.expires_at_ms.is_some_and(|e| e > now) {
        Ok(active_from(blob))
    } else {
        Err(err)
    }
}

impl Refresher {
    pub fn new(config: RefreshConfig) -> Result<Self, CredError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("anycode/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CredError::Refresh(format!("could not build the HTTP client: {e}")))?;
        Ok(Self {
            config,
            client,
            state: tokio::sync::Mutex::new(State::default()),
        })
    }

    pub fn config(&self) -> &RefreshConfig {
        &self.config
    }

    /// True when a token expiring at `expires_at_ms` should be refreshed at `now_ms`.
    pub fn needs_refresh(&self, expires_at_ms: Option<i64>, now_ms: i64) -> bool {
        let skew = i64::try_from(self.config.skew.as_millis()).unwrap_or(i64::MAX);
        expires_at_ms.is_some_and(|e| e.saturating_sub(now_ms) <= skew)
    }

    /// Returns a fresh token from the credentials file at `path`, refreshing it first if it
    /// expires within the margin. If the refresh fails but the old token has not expired yet,
    /// the old token is returned (as Claude Code does).
    pub async fn ensure_fresh(&self, path: &Path) -> Result<ActiveCredential, CredError> {
        let mut state = self.state.lock().await;
        // Read under the lock: a refresh that finished while we waited is seen here.
        let blob = match read_file(path) {
            None => return Err(CredError::NoCredentials),
            Some(Err(message)) => return Err(CredError::Refresh(message)),
            Some(Ok(blob)) => blob,
        };
        let now = now_ms();
        if !self.needs_refresh(blob.expires_at_ms, now) {
            return Ok(active_from(&blob));
        }
        let Some(refresh) = blob.refresh.clone() else {
            return still_usable(
                &blob,
                now,
                CredError::Expired {
                    from: CredentialSource::File,
                },
            );
        };
        if let Some((at, token)) = &state.failed {
            if *token == refresh && at.elapsed() < self.config.failure_backoff {
                return still_usable(
                    &blob,
                    now,
                    CredError::Refresh("the last attempt failed moments ago".into()),
                );
            }
        }
        match self.request(&refresh).await {
            Ok(tokens) => {
                let updated = write_back(path, &tokens, &refresh, now_ms())?;
                state.failed = None;
                tracing::info!(path = %path.display(), "refreshed the Claude OAuth login");
                Ok(active_from(&updated))
            }
            Err(e) => {
                tracing::warn!(error = %e, "Claude OAuth refresh failed");
                state.failed = Some((Instant::now(), refresh));
                still_usable(&blob, now, e)
            }
        }
    }

    async fn request(&self, refresh: &Secret) -> Result<TokenResponse, CredError> {
        let mut body = json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh.expose(),
            "client_id": self.config.client_id,
        });
        if let Some(scope) = &self.config.scope {
            body["scope"] = Value::String(scope.clone());
        }
        let response = self
            .client
            .post(&self.config.token_url)
            .json(&body)
            .send()
            .await
            .map_err(|e| CredError::Refresh(format!("token request failed: {e}")))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CredError::Refresh(format!("token response could not be read: {e}")))?;
        if !status.is_success() {
            // Only the OAuth error code is shown: the body is never logged.
            let code = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .filter(|c| {
                    c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                });
            return Err(CredError::Refresh(match code {
                Some(code) => format!("token endpoint answered {status} ({code})"),
                None => format!("token endpoint answered {status}"),
            }));
        }
        let tokens: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
            CredError::Refresh("token endpoint answered with an unexpected body".into())
        })?;
        if tokens.access_token.trim().is_empty() {
            return Err(CredError::Refresh(
                "token endpoint answered with an empty access token".into(),
            ));
        }
        Ok(tokens)
    }
}

/// Writes new tokens into the credentials file, keeping every other field, atomically and 0600.
fn write_back(
    path: &Path,
    tokens: &TokenResponse,
    old_refresh: &Secret,
    now: i64,
) -> Result<OAuthBlob, CredError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CredError::io("could not read", path, e))?;
    let mut root: Value = serde_json::from_str(&text)
        .map_err(|_| CredError::Refresh("credentials file is not valid JSON".into()))?;
    let oauth = root
        .get_mut("claudeAiOauth")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| CredError::Refresh("credentials file has no claudeAiOauth login".into()))?;
    let expires_in_ms = tokens.expires_in.unwrap_or(3600).saturating_mul(1000);
    oauth.insert("accessToken".into(), json!(tokens.access_token));
    oauth.insert(
        "refreshToken".into(),
        json!(tokens
            .refresh_token
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or(old_refresh.expose())),
    );
    oauth.insert("expiresAt".into(), json!(now.saturating_add(expires_in_ms)));
    if let Some(scope) = tokens.scope.as_deref().filter(|s| !s.trim().is_empty()) {
        oauth.insert(
            "scopes".into(),
            json!(scope.split_whitespace().collect::<Vec<_>>()),
        );
    }
    let out = serde_json::to_string(&root)
        .map_err(|e| CredError::Refresh(format!("could not encode the credentials: {e}")))?;
    write_atomic_private(path, out.as_bytes())?;
    parse_blob(&out, "credentials file").map_err(CredError::Refresh)
}
