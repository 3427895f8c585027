//! How a sandbox's processes reach the model, chosen when it is created:
//!
//! - **proxy** (the default): the sandbox holds only its own proxy token (`ANTHROPIC_AUTH_TOKEN`)
//!   and `ANTHROPIC_BASE_URL` points at its agent's loopback `model` port; the model proxy swaps
//!   in the real credential on the host. The real credential is never readable inside.
//! - **direct**: for users who want the CLI to talk to the upstream itself. Each process the
//!   server starts in the sandbox (terminals, exec, headless runs) gets the real credential in
//!   its environment — `ANTHROPIC_API_KEY` for an API key, `CLAUDE_CODE_OAUTH_TOKEN` for an OAuth
//!   token — resolved from the broker at process start and sent with the agent protocol's
//!   request for that process. It is never written anywhere: not in the sandbox's files, not in
//!   the container's create-time environment (which `docker inspect` shows), not in the store.
//!   `ANTHROPIC_BASE_URL` is the upstream, reached through the egress proxy, whose allowlist lets
//!   direct sandboxes (only them) reach the upstream's host. The sandbox gets no proxy token.
//!   Anything running in the sandbox can read the credential: that is the trade-off.
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::fleet::{Fleet, FleetError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialMode {
    #[default]
    Proxy,
    Direct,
}

impl CredentialMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proxy => "proxy",
            Self::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "proxy" => Some(Self::Proxy),
            "direct" => Some(Self::Direct),
            _ => None,
        }
    }
}

/// The sandboxes in direct mode. Shared by the fleet (which keeps it) and the tunnels (whose
/// egress allowlist for these sandboxes includes the upstream).
#[derive(Debug, Default)]
pub struct DirectSandboxes(Mutex<HashSet<String>>);

impl DirectSandboxes {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn contains(&self, sandbox: &str) -> bool {
        self.set().contains(sandbox)
    }

    fn insert(&self, sandbox: &str) {
        self.set().insert(sandbox.to_string());
    }

    fn remove(&self, sandbox: &str) {
        self.set().remove(sandbox);
    }

    fn replace(&self, all: impl IntoIterator<Item = String>) {
        *self.set() = all.into_iter().collect();
    }
}

/// What direct mode needs; given to the fleet with [`Fleet::enable_direct_mode`]. Without it
/// every sandbox is in proxy mode.
pub struct DirectAccess {
    /// The mode of sandboxes created without one (`--credential-mode`).
    pub default_mode: CredentialMode,
    /// `ANTHROPIC_BASE_URL` in direct mode: the upstream the model proxy uses.
    pub upstream: String,
    /// The real credential, resolved (and refreshed) by the broker at each process start.
    pub credentials: Arc<dyn model_proxy::Credentials>,
    pub sandboxes: Arc<DirectSandboxes>,
}

/// The egress allowlist pattern (`host:port`) of an upstream URL, e.g.
/// `https://api.anthropic.com` → `api.anthropic.com:443`.
pub fn upstream_pattern(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let has_port = if authority.starts_with('[') {
        authority.contains("]:")
    } else {
        authority.contains(':')
    };
    Some(if has_port {
        authority.to_string()
    } else {
        format!("{authority}:{default_port}")
    })
}

impl Fleet {
    /// Allows direct mode (and sets the default mode). Call once, before serving.
    pub fn enable_direct_mode(&self, access: DirectAccess) {
        let _ = self.direct_access.set(access);
    }

    /// The mode of sandboxes created without one.
    pub fn default_credential_mode(&self) -> CredentialMode {
        self.direct_access
            .get()
            .map_or(CredentialMode::Proxy, |a| a.default_mode)
    }

    /// A sandbox's mode.
    pub fn credential_mode(&self, sandbox: &str) -> CredentialMode {
        match self.direct_access.get() {
            Some(a) if a.sandboxes.contains(sandbox) => CredentialMode::Direct,
            _ => CredentialMode::Proxy,
        }
    }

    /// The mode for a new sandbox: the one asked for, else the default.
    pub(crate) fn choose_credential_mode(
        &self,
        asked: Option<CredentialMode>,
    ) -> Result<CredentialMode, FleetError> {
        let mode = asked.unwrap_or_else(|| self.default_credential_mode());
        if mode == CredentialMode::Direct && self.direct_access.get().is_none() {
            return Err(FleetError::Invalid(
                "`credentialMode` `direct` is not available on this server".into(),
            ));
        }
        Ok(mode)
    }

    /// Records a new sandbox's mode (in the store and for the egress policy).
    pub(crate) async fn record_credential_mode(
        &self,
        sandbox: &str,
        mode: CredentialMode,
    ) -> Result<(), FleetError> {
        if mode == CredentialMode::Direct {
            self.hub()
                .store()
                .set_sandbox_credential_mode(sandbox, mode.as_str())
                .await?;
            if let Some(a) = self.direct_access.get() {
                a.sandboxes.insert(sandbox);
            }
        }
        Ok(())
    }

    pub(crate) fn forget_credential_mode(&self, sandbox: &str) {
        if let Some(a) = self.direct_access.get() {
            a.sandboxes.remove(sandbox);
        }
    }

    /// Loads which sandboxes are in direct mode (at start-up).
    pub(crate) async fn load_credential_modes(&self) {
        let Some(a) = self.direct_access.get() else {
            return;
        };
        match self.hub().store().direct_mode_sandboxes().await {
            Ok(ids) => a.sandboxes.replace(ids),
            Err(e) => tracing::warn!(error = %e, "cannot load the sandboxes' credential modes"),
        }
    }

    /// For a process starting in a direct-mode sandbox: the upstream as `ANTHROPIC_BASE_URL` and
    /// the real credential, into `env` (which goes to the agent with the request for this one
    /// process). Proxy-mode sandboxes are left alone. Without a usable credential the process
    /// starts anyway (the CLI then says it is not logged in).
    pub(crate) async fn add_direct_credential(
        &self,
        sandbox: &str,
        env: &mut BTreeMap<String, String>,
    ) {
        let Some(a) = self.direct_access.get() else {
            return;
        };
        if !a.sandboxes.contains(sandbox) {
            return;
        }
        env.insert("ANTHROPIC_BASE_URL".into(), a.upstream.clone());
        env.remove("ANTHROPIC_AUTH_TOKEN");
        match a.credentials.resolve().await {
            Ok(model_proxy::UpstreamAuth::ApiKey(key)) => {
                env.insert("ANTHROPIC_API_KEY".into(), key);
            }
            Ok(model_proxy::UpstreamAuth::OAuth(token)) => {
                env.insert("CLAUDE_CODE_OAUTH_TOKEN".into(), token);
            }
            Err(e) => {
                tracing::warn!(sandbox, error = %e, "direct mode: no usable credential for a new process");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_patterns() {
        for (url, want) in [
            ("https://api.anthropic.com", Some("api.anthropic.com:443")),
            ("https://api.anthropic.com/", Some("api.anthropic.com:443")),
            (
                "http://gateway.corp:8080/anthropic",
                Some("gateway.corp:8080"),
            ),
            ("http://127.0.0.1:4010", Some("127.0.0.1:4010")),
            ("http://[::1]:4010/x", Some("[::1]:4010")),
            ("http://[::1]/x", Some("[::1]:80")),
            ("https://user@host.example", Some("host.example:443")),
            ("ftp://x", None),
            ("https://", None),
            ("no-scheme", None),
        ] {
            assert_eq!(upstream_pattern(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn modes_round_trip() {
        for m in [CredentialMode::Proxy, CredentialMode::Direct] {
            assert_eq!(CredentialMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(CredentialMode::parse("Direct"), None);
        assert_eq!(CredentialMode::default(), CredentialMode::Proxy);
    }

    #[test]
    fn the_direct_set_is_shared() {
        let s = DirectSandboxes::default();
        s.insert("a");
        assert!(s.contains("a") && !s.contains("b"));
        s.replace(["b".to_string()]);
        assert!(!s.contains("a") && s.contains("b"));
        s.remove("b");
        assert!(!s.contains("b"));
    }
}
