//! Choosing the credential to use and turning it into upstream headers.

use std::sync::Arc;
use std::time::SystemTime;

use crate::discovery::{discover, discover_found, Found, Sources};
use crate::error::CredError;
use crate::info::{CredentialInfo, CredentialKind, CredentialSource};
use crate::refresh::Refresher;
use crate::secret::Secret;
use crate::store::{CredentialStore, StoredKind};
use crate::time::{now_ms, system_time_from_ms};

/// The `anthropic-beta` flag the Messages API requires for OAuth access tokens.
pub const OAUTH_BETA: &str = "oauth-2025-04-20";

/// How the active credential is sent upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveKind {
    /// `x-api-key: <key>`.
    ApiKey,
    /// `authorization: Bearer <token>` and `anthropic-beta: oauth-2025-04-20`.
    OAuth,
}

/// The credential to use for one upstream request. `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub struct ActiveCredential {
    pub kind: ActiveKind,
    pub secret: Secret,
    pub expires_at: Option<SystemTime>,
    pub source: CredentialSource,
    /// The [`CredentialInfo::id`] it came from.
    pub id: String,
}

impl ActiveCredential {
    /// Rewrites `headers` (names compared case-insensitively) so that they carry exactly this
    /// credential's upstream auth: any incoming `x-api-key` and `authorization` headers (e.g. a
    /// sandbox's own token) are removed, then
    /// - API key: `x-api-key: <key>`; the OAuth beta flag is taken out of `anthropic-beta`
    ///   (the header is dropped if nothing else is left);
    /// - OAuth: `authorization: Bearer <token>`, and `anthropic-beta` holds `oauth-2025-04-20`
    ///   merged into the flags already there (one header, comma-separated, no duplicates).
    pub fn apply_headers(&self, headers: &mut Vec<(String, String)>) {
        let existing_beta: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("anthropic-beta"))
            .map(|(_, v)| v.clone())
            .collect();
        headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("x-api-key")
                && !n.eq_ignore_ascii_case("authorization")
                && !n.eq_ignore_ascii_case("anthropic-beta")
        });
        let joined = existing_beta.join(",");
        match self.kind {
            ActiveKind::ApiKey => {
                headers.push(("x-api-key".into(), self.secret.expose().to_owned()));
                let flags: Vec<&str> = split_flags(&joined)
                    .into_iter()
                    .filter(|f| *f != OAUTH_BETA)
                    .collect();
                if !flags.is_empty() {
                    headers.push(("anthropic-beta".into(), flags.join(",")));
                }
            }
            ActiveKind::OAuth => {
                headers.push((
                    "authorization".into(),
                    format!("Bearer {}", self.secret.expose()),
                ));
                let existing = (!existing_beta.is_empty()).then_some(joined.as_str());
                headers.push(("anthropic-beta".into(), merge_beta(existing, OAUTH_BETA)));
            }
        }
    }
}

fn split_flags(value: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for f in value.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// Adds `flag` to a comma-separated `anthropic-beta` value, keeping the order of the flags
/// already there and dropping duplicates and empty items.
pub fn merge_beta(existing: Option<&str>, flag: &str) -> String {
    let mut flags = split_flags(existing.unwrap_or(""));
    if !flags.contains(&flag) {
        flags.push(flag);
    }
    flags.join(",")
}

/// Picks the credential to use. Order: the most recently stored one, then
/// `CLAUDE_CODE_OAUTH_TOKEN`, then `ANTHROPIC_API_KEY`, then the Claude Code login (Keychain on
/// macOS, then the credentials file). Sources with an error are skipped.
#[derive(Debug, Clone)]
pub struct Broker {
    sources: Sources,
    store: Option<Arc<CredentialStore>>,
    refresher: Option<Arc<Refresher>>,
}

impl Broker {
    pub fn new(sources: Sources) -> Self {
        Self {
            sources,
            store: None,
            refresher: None,
        }
    }

    /// Use (and prefer) user-added credentials from `store`.
    pub fn with_store(mut self, store: Arc<CredentialStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Refresh the credentials file's OAuth login when it is about to expire. Give a refresher to
    /// the server's broker only: whoever refreshes rotates the refresh token.
    pub fn with_refresher(mut self, refresher: Arc<Refresher>) -> Self {
        self.refresher = Some(refresher);
        self
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    pub fn store(&self) -> Option<&Arc<CredentialStore>> {
        self.store.as_ref()
    }

    /// Everything known, safe to show: stored credentials (most recent first), then discovered
    /// ones in preference order. On macOS this may ask the Keychain (a blocking call).
    pub fn list(&self) -> Vec<CredentialInfo> {
        let mut out = self.store.as_ref().map(|s| s.list()).unwrap_or_default();
        out.extend(discover(&self.sources));
        out
    }

    fn stored(&self) -> Option<ActiveCredential> {
        let entry = self.store.as_ref()?.latest()?;
        Some(ActiveCredential {
            kind: match entry.kind {
                StoredKind::ApiKey => ActiveKind::ApiKey,
                StoredKind::OAuthToken => ActiveKind::OAuth,
            },
            secret: entry.value,
            expires_at: None,
            source: CredentialSource::Stored,
            id: entry.id,
        })
    }

    /// The credential to use now, refreshing the credentials file's OAuth login first if it
    /// expires within the refresher's margin (concurrent callers share one refresh).
    pub async fn resolve(&self) -> Result<ActiveCredential, CredError> {
        if let Some(c) = self.stored() {
            return Ok(c);
        }
        let found = if self.sources.keychain {
            // The Keychain read runs a process and may wait for the user to allow access.
            let sources = self.sources.clone();
            tokio::task::spawn_blocking(move || discover_found(&sources))
                .await
                .unwrap_or_default()
        } else {
            discover_found(&self.sources)
        };
        let now = now_ms();
        let mut last_err = None;
        for f in found {
            if f.info.error.is_some() {
                continue;
            }
            if f.info.source == CredentialSource::File {
                if let Some(refresher) = &self.refresher {
                    if f.refreshable && refresher.needs_refresh(f.expires_at_ms, now) {
                        match refresher
                            .ensure_fresh(&self.sources.credentials_file())
                            .await
                        {
                            Ok(c) => return Ok(c),
                            Err(e) => {
                                last_err = Some(e);
                                continue;
                            }
                        }
                    }
                }
            }
            match active(f, now) {
                Ok(c) => return Ok(c),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or(CredError::NoCredentials))
    }

    /// Like [`Broker::resolve`] but never refreshes and never waits on the network; an expired
    /// login is skipped. On macOS this may ask the Keychain (a blocking call).
    pub fn resolve_now(&self) -> Result<ActiveCredential, CredError> {
        if let Some(c) = self.stored() {
            return Ok(c);
        }
        let now = now_ms();
        let mut last_err = None;
        for f in discover_found(&self.sources) {
            if f.info.error.is_some() {
                continue;
            }
            match active(f, now) {
                Ok(c) => return Ok(c),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or(CredError::NoCredentials))
    }
}

fn active(f: Found, now: i64) -> Result<ActiveCredential, CredError> {
    let source = f.info.source;
    if f.expires_at_ms.is_some_and(|e| e <= now) {
        return Err(CredError::Expired { from: source });
    }
    let secret = f.secret.ok_or(CredError::NoCredentials)?;
    Ok(ActiveCredential {
        kind: match f.info.kind {
            CredentialKind::ApiKey => ActiveKind::ApiKey,
            CredentialKind::OAuthToken | CredentialKind::OAuthSubscription => ActiveKind::OAuth,
        },
        secret,
        expires_at: f.expires_at_ms.map(system_time_from_ms),
        source,
        id: f.info.id,
    })
}
