use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An Anthropic API key (`sk-ant-api…`), sent as `x-api-key`.
    ApiKey,
    /// A bare OAuth access token, e.g. from `claude setup-token`; never refreshed.
    #[serde(rename = "oauth_token")]
    OAuthToken,
    /// A Claude subscription login (access + refresh token) from the CLI's credentials file or
    /// the macOS Keychain.
    #[serde(rename = "oauth_subscription")]
    OAuthSubscription,
}

/// Where a credential came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// Added by the user in AnyCode (encrypted store).
    Stored,
    /// The Claude Code credentials file.
    File,
    /// The macOS Keychain item of Claude Code.
    Keychain,
    /// An environment variable of the server process.
    Env,
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stored => "the credential store",
            Self::File => "the Claude Code credentials file",
            Self::Keychain => "the macOS Keychain",
            Self::Env => "the environment",
        })
    }
}

/// A credential as it is safe to show: never the secret, only a short prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialInfo {
    /// A uuid for stored credentials; `file`, `keychain`, `env:CLAUDE_CODE_OAUTH_TOKEN` or
    /// `env:ANTHROPIC_API_KEY` for discovered ones.
    pub id: String,
    pub kind: CredentialKind,
    pub source: CredentialSource,
    /// The first few characters followed by `…`; absent when the source could not be read.
    pub prefix: Option<String>,
    /// RFC 3339, when known.
    pub expires_at: Option<String>,
    pub expired: bool,
    /// `pro`, `max`, … when the source says so.
    pub subscription_type: Option<String>,
    /// RFC 3339 time it was added (stored credentials only).
    pub created_at: Option<String>,
    /// Why this source cannot be used, e.g. "credentials file is not valid JSON".
    pub error: Option<String>,
    /// Something worth telling the user that does not stop the credential from being used.
    pub warning: Option<String>,
}

impl CredentialInfo {
    pub(crate) fn new(
        id: impl Into<String>,
        kind: CredentialKind,
        source: CredentialSource,
    ) -> Self {
        Self {
            id: id.into(),
            kind,
            source,
            prefix: None,
            expires_at: None,
            expired: false,
            subscription_type: None,
            created_at: None,
            error: None,
            warning: None,
        }
    }

    /// Usable: readable and not expired.
    pub fn usable(&self) -> bool {
        self.error.is_none() && !self.expired
    }
}
