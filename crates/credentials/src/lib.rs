//! Owner of the user's Claude credentials.
//!
//! - [`discover`] finds what the user already has, read-only: the Claude Code credentials file
//!   (`~/.claude/.credentials.json`, or `$CLAUDE_CONFIG_DIR/.credentials.json`), the macOS
//!   Keychain item `Claude Code-credentials` (macOS builds only), and the environment variables
//!   `CLAUDE_CODE_OAUTH_TOKEN` and `ANTHROPIC_API_KEY`. A broken source is reported with an
//!   `error` in its [`CredentialInfo`], never as a failure of the whole discovery.
//! - [`CredentialStore`] keeps credentials the user added in AnyCode, encrypted with AES-256-GCM
//!   under a key kept in the OS keyring (macOS Keychain, Secret Service) or a 0600 key file
//!   ([`keystore`]).
//! - [`Broker`] picks the credential to use and turns it into upstream headers
//!   ([`ActiveCredential::apply_headers`]).
//! - [`Refresher`] refreshes the file-based OAuth token, one request at a time, and writes the
//!   rotated tokens back to the credentials file. Only the server owns one: sandboxes never
//!   refresh (a refresh rotates the refresh token and would invalidate every other copy).
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` print `[redacted]`. Nothing in this
//! crate logs a secret or a prefix of one.

mod broker;
mod discovery;
mod error;
mod fsutil;
mod info;
pub mod keystore;
mod refresh;
mod sealed;
mod secret;
mod store;
mod time;
mod vault;

pub use broker::{merge_beta, ActiveCredential, ActiveKind, Broker, OAUTH_BETA};
pub use discovery::{
    discover, Sources, CREDENTIALS_FILE_NAME, ENV_API_KEY, ENV_CONFIG_DIR, ENV_OAUTH_TOKEN,
    KEYCHAIN_SERVICE,
};
pub use error::CredError;
pub use info::{CredentialInfo, CredentialKind, CredentialSource};
pub use keystore::{KeyStorage, KeyStorageChoice, KeyStorageKind};
pub use refresh::{RefreshConfig, Refresher, DEFAULT_CLIENT_ID, DEFAULT_SCOPE, DEFAULT_TOKEN_URL};
pub use secret::Secret;
pub use store::{
    validate, CredentialStore, StoredKind, CIPHERTEXT_FILE, KEY_FILE, MAX_SECRET_LEN,
    MIN_SECRET_LEN,
};
pub use time::rfc3339_from_ms;
pub use vault::Vault;
