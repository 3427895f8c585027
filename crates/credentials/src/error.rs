use std::path::PathBuf;

use crate::info::CredentialSource;

/// Errors of this crate. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum CredError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "key file {path} has mode {mode:04o}; it must be readable by its owner only (chmod 600)"
    )]
    KeyFilePermissions { path: PathBuf, mode: u32 },
    #[error("key file {path} is not usable: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("the credential store key in {storage} is not usable: {reason}")]
    KeyStorage { storage: String, reason: String },
    #[error(
        "credential store {path} could not be decrypted: it was modified, or {key} is not the key it was written with"
    )]
    Decrypt { path: PathBuf, key: PathBuf },
    #[error("credential store {path} is corrupt: {reason}")]
    CorruptStore { path: PathBuf, reason: String },
    #[error("invalid credential: {0}")]
    Invalid(String),
    #[error("no stored credential with id {0}")]
    NotFound(String),
    #[error("no Claude credentials: add an API key or OAuth token, set CLAUDE_CODE_OAUTH_TOKEN or ANTHROPIC_API_KEY, or log in with `claude` on this machine")]
    NoCredentials,
    #[error("the OAuth token from {from} has expired and cannot be refreshed here")]
    Expired { from: CredentialSource },
    #[error("OAuth refresh failed: {0}")]
    Refresh(String),
}

impl CredError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
