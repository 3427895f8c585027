//! Credentials the user added in AnyCode, encrypted at rest.
//!
//! A random 256-bit key is kept in the OS keyring or in `<data>/secret.key` (mode 0600; a key
//! file anyone else may read is refused); see [`crate::keystore`]. `<data>/credentials.enc` holds `MAGIC || nonce (12 bytes) || AES-256-GCM(JSON)`,
//! rewritten atomically with a fresh random nonce on every change.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use aes_gcm::aead::{KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key};
use serde::{Deserialize, Serialize};

use crate::error::CredError;
use crate::fsutil::{create_private_dir, write_atomic_private, KEY_LEN};
use crate::info::{CredentialInfo, CredentialKind, CredentialSource};
use crate::keystore::{open_key, FileKeyStorage, KeyStorage, KeyStorageChoice, KeyStorageKind};
use crate::secret::Secret;
use crate::time::{now_ms, rfc3339_from_ms};

pub const KEY_FILE: &str = "secret.key";
pub const CIPHERTEXT_FILE: &str = "credentials.enc";
pub const MIN_SECRET_LEN: usize = 8;
pub const MAX_SECRET_LEN: usize = 4096;

const MAGIC: &[u8] = b"ANYCODE-CRED-1\n";

/// What the user can add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoredKind {
    ApiKey,
    #[serde(rename = "oauth_token")]
    OAuthToken,
}

impl From<StoredKind> for CredentialKind {
    fn from(k: StoredKind) -> Self {
        match k {
            StoredKind::ApiKey => CredentialKind::ApiKey,
            StoredKind::OAuthToken => CredentialKind::OAuthToken,
        }
    }
}

/// Checks a value the user is adding. Surrounding whitespace (a pasted line break) is trimmed;
/// returns the value to store and an optional warning for a value that is accepted but looks
/// wrong.
pub fn validate(kind: StoredKind, raw: &str) -> Result<(Secret, Option<String>), CredError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(CredError::Invalid("the value is empty".into()));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(CredError::Invalid(
            "the value must not contain spaces or line breaks".into(),
        ));
    }
    if value.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(CredError::Invalid(
            "the value must consist of printable ASCII characters".into(),
        ));
    }
    if value.len() < MIN_SECRET_LEN {
        return Err(CredError::Invalid(format!(
            "the value is too short ({} characters; at least {MIN_SECRET_LEN})",
            value.len()
        )));
    }
    if value.len() > MAX_SECRET_LEN {
        return Err(CredError::Invalid(format!(
            "the value is too long ({} characters; at most {MAX_SECRET_LEN})",
            value.len()
        )));
    }
    let warning = match kind {
        StoredKind::ApiKey if value.starts_with("sk-ant-oat") => Some(
            "this looks like an OAuth token, not an API key; it will be sent as x-api-key".into(),
        ),
        StoredKind::ApiKey if !value.starts_with("sk-ant-") => Some(
            "this does not look like an Anthropic API key (they start with sk-ant-); stored anyway"
                .into(),
        ),
        StoredKind::OAuthToken if value.starts_with("sk-ant-ort") => {
            return Err(CredError::Invalid(
                "this is an OAuth refresh token; add the access token (claude setup-token prints one)"
                    .into(),
            ))
        }
        StoredKind::OAuthToken if value.starts_with("sk-ant-api") => Some(
            "this looks like an API key, not an OAuth token; it will be sent as a Bearer token"
                .into(),
        ),
        StoredKind::OAuthToken if !value.starts_with("sk-ant-oat") => Some(
            "this does not look like a Claude OAuth token (they start with sk-ant-oat); stored anyway"
                .into(),
        ),
        _ => None,
    };
    Ok((Secret::new(value), warning))
}

#[derive(Clone)]
pub(crate) struct Entry {
    pub id: String,
    pub kind: StoredKind,
    pub value: Secret,
    pub created_at_ms: i64,
    pub warning: Option<String>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("value", &self.value)
            .field("created_at_ms", &self.created_at_ms)
            .finish()
    }
}

impl Entry {
    pub(crate) fn info(&self) -> CredentialInfo {
        let mut info =
            CredentialInfo::new(self.id.clone(), self.kind.into(), CredentialSource::Stored);
        info.prefix = Some(self.value.prefix());
        info.created_at = Some(rfc3339_from_ms(self.created_at_ms));
        info.warning = self.warning.clone();
        info
    }
}

/// The plaintext inside the ciphertext file. Private: it holds secrets as plain strings.
#[derive(Serialize, Deserialize)]
struct Plain {
    version: u32,
    entries: Vec<PlainEntry>,
}

#[derive(Serialize, Deserialize)]
struct PlainEntry {
    id: String,
    kind: StoredKind,
    value: String,
    created_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

/// The encrypted store of user-added credentials. Cheap to share behind an `Arc`; every method
/// takes `&self`.
pub struct CredentialStore {
    /// Where the key is (a path, or a keyring item's description).
    key_path: PathBuf,
    key_storage: KeyStorageKind,
    data_path: PathBuf,
    cipher: Aes256Gcm,
    entries: Mutex<Vec<Entry>>,
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field("key_path", &self.key_path)
            .field("data_path", &self.data_path)
            .field("entries", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl CredentialStore {
    /// Opens (creating if needed) the store in `data_dir`. Fails on a key file with permissions
    /// wider than 0600 and on a ciphertext file that does not decrypt.
    ///
    /// The key is kept in `<data>/secret.key` (0600); see [`CredentialStore::open_with`] for the
    /// OS keyring.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, CredError> {
        Self::open_with(data_dir, KeyStorageChoice::File)
    }

    /// Like [`CredentialStore::open`], with the key in the OS keyring when `choice` is
    /// [`KeyStorageChoice::Auto`] and one answers (an existing key file keeps being used).
    pub fn open_with(
        data_dir: impl AsRef<Path>,
        choice: KeyStorageChoice,
    ) -> Result<Self, CredError> {
        let dir = data_dir.as_ref();
        let keyring = match choice {
            KeyStorageChoice::Auto => crate::keystore::platform_keyring(dir),
            KeyStorageChoice::File => None,
        };
        Self::open_with_storage(dir, keyring)
    }

    /// Opens with a given keyring (tests pass a fake one); `None`: the key file only.
    pub fn open_with_storage(
        data_dir: impl AsRef<Path>,
        keyring: Option<Box<dyn KeyStorage>>,
    ) -> Result<Self, CredError> {
        let dir = data_dir.as_ref();
        create_private_dir(dir)?;
        let data_path = dir.join(CIPHERTEXT_FILE);
        let (storage, key) = open_key(
            FileKeyStorage::new(dir.join(KEY_FILE)),
            keyring,
            &data_path,
            &mut || {
                let k = Aes256Gcm::generate_key(OsRng);
                let mut out = [0u8; KEY_LEN];
                out.copy_from_slice(k.as_slice());
                out
            },
        )?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let store = Self {
            key_path: PathBuf::from(storage.describe()),
            key_storage: storage.kind(),
            data_path,
            cipher,
            entries: Mutex::new(Vec::new()),
        };
        let entries = store.load()?;
        *store.lock() = entries;
        Ok(store)
    }

    /// Where the store's key is kept.
    pub fn key_storage(&self) -> KeyStorageKind {
        self.key_storage
    }

    /// The key's location for messages: the key file's path or the keyring item.
    pub fn key_location(&self) -> &Path {
        &self.key_path
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        // A panic while holding the lock cannot leave the Vec half-updated in a way that
        // matters (every mutation is a single push/remove), so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn corrupt(&self, reason: impl Into<String>) -> CredError {
        CredError::CorruptStore {
            path: self.data_path.clone(),
            reason: reason.into(),
        }
    }

    fn load(&self) -> Result<Vec<Entry>, CredError> {
        let bytes = match std::fs::read(&self.data_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CredError::io("could not read", &self.data_path, e)),
        };
        let plaintext = crate::sealed::open(&self.cipher, MAGIC, &bytes).map_err(|e| match e {
            crate::sealed::Unsealed::WrongMagic => self.corrupt("not an AnyCode credential store"),
            crate::sealed::Unsealed::Truncated => self.corrupt("truncated"),
            crate::sealed::Unsealed::Decrypt => CredError::Decrypt {
                path: self.data_path.clone(),
                key: self.key_path.clone(),
            },
        })?;
        let plain: Plain = serde_json::from_slice(&plaintext)
            .map_err(|_| self.corrupt("decrypted contents are not valid"))?;
        if plain.version != 1 {
            return Err(self.corrupt(format!("unknown version {}", plain.version)));
        }
        Ok(plain
            .entries
            .into_iter()
            .map(|e| Entry {
                id: e.id,
                kind: e.kind,
                value: Secret::new(e.value),
                created_at_ms: e.created_at_ms,
                warning: e.warning,
            })
            .collect())
    }

    fn save(&self, entries: &[Entry]) -> Result<(), CredError> {
        let plain = Plain {
            version: 1,
            entries: entries
                .iter()
                .map(|e| PlainEntry {
                    id: e.id.clone(),
                    kind: e.kind,
                    value: e.value.expose().to_owned(),
                    created_at_ms: e.created_at_ms,
                    warning: e.warning.clone(),
                })
                .collect(),
        };
        let plaintext = serde_json::to_vec(&plain).map_err(|e| self.corrupt(e.to_string()))?;
        let out = crate::sealed::seal(&self.cipher, MAGIC, &plaintext)
            .ok_or_else(|| self.corrupt("encryption failed"))?;
        write_atomic_private(&self.data_path, &out)
    }

    /// A vault of other named secrets in `<data>/<file_name>`, under this store's key.
    pub fn vault(&self, file_name: &str) -> Result<crate::vault::Vault, CredError> {
        let dir = self.data_path.parent().unwrap_or_else(|| Path::new("."));
        crate::vault::Vault::open(dir.join(file_name), self.cipher.clone())
    }

    /// Validates and stores a credential; it becomes the most recent one, which
    /// [`crate::Broker`] prefers over everything else.
    pub fn add(&self, kind: StoredKind, value: &str) -> Result<CredentialInfo, CredError> {
        let (value, warning) = validate(kind, value)?;
        if warning.is_some() {
            tracing::warn!(
                ?kind,
                "stored a credential that does not look like its kind"
            );
        }
        let mut entries = self.lock();
        let created_at_ms = now_ms().max(entries.last().map_or(0, |e| e.created_at_ms));
        let entry = Entry {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            value,
            created_at_ms,
            warning,
        };
        let info = entry.info();
        entries.push(entry);
        if let Err(e) = self.save(&entries) {
            entries.pop();
            return Err(e);
        }
        tracing::info!(id = %info.id, ?kind, "credential added");
        Ok(info)
    }

    /// Removes a stored credential.
    pub fn remove(&self, id: &str) -> Result<(), CredError> {
        let mut entries = self.lock();
        let pos = entries
            .iter()
            .position(|e| e.id == id)
            .ok_or_else(|| CredError::NotFound(id.to_owned()))?;
        let removed = entries.remove(pos);
        if let Err(e) = self.save(&entries) {
            entries.insert(pos, removed);
            return Err(e);
        }
        tracing::info!(%id, "credential removed");
        Ok(())
    }

    /// Stored credentials, most recent first.
    pub fn list(&self) -> Vec<CredentialInfo> {
        self.lock().iter().rev().map(Entry::info).collect()
    }

    /// The most recently added credential.
    pub(crate) fn latest(&self) -> Option<Entry> {
        self.lock().last().cloned()
    }
}
