//! Other secrets AnyCode holds for the user (GitHub tokens, webhook secrets), encrypted with the
//! same key as the credential store, in a file of their own: `MAGIC || nonce || AES-256-GCM(JSON
//! map)`, rewritten atomically with a fresh nonce on every change.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use aes_gcm::Aes256Gcm;

use crate::error::CredError;
use crate::fsutil::write_atomic_private;
use crate::secret::Secret;

const MAGIC: &[u8] = b"ANYCODE-VAULT-1\n";

/// Named secrets. Cheap to share behind an `Arc`.
pub struct Vault {
    path: PathBuf,
    cipher: Aes256Gcm,
    entries: Mutex<BTreeMap<String, String>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("names", &self.lock().keys().cloned().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Vault {
    pub(crate) fn open(path: PathBuf, cipher: Aes256Gcm) -> Result<Self, CredError> {
        let v = Self {
            path,
            cipher,
            entries: Mutex::new(BTreeMap::new()),
        };
        let loaded = v.load()?;
        *v.lock() = loaded;
        Ok(v)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn corrupt(&self, reason: &str) -> CredError {
        CredError::CorruptStore {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    fn load(&self) -> Result<BTreeMap<String, String>, CredError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(CredError::io("could not read", &self.path, e)),
        };
        let plain = crate::sealed::open(&self.cipher, MAGIC, &bytes).map_err(|e| match e {
            crate::sealed::Unsealed::WrongMagic => self.corrupt("not an AnyCode vault"),
            crate::sealed::Unsealed::Truncated => self.corrupt("truncated"),
            crate::sealed::Unsealed::Decrypt => {
                self.corrupt("does not decrypt with this installation's key")
            }
        })?;
        serde_json::from_slice(&plain).map_err(|_| self.corrupt("decrypted contents are not valid"))
    }

    fn save(&self, entries: &BTreeMap<String, String>) -> Result<(), CredError> {
        let plain = serde_json::to_vec(entries).map_err(|e| self.corrupt(&e.to_string()))?;
        let out = crate::sealed::seal(&self.cipher, MAGIC, &plain)
            .ok_or_else(|| self.corrupt("encryption failed"))?;
        write_atomic_private(&self.path, &out)
    }

    pub fn get(&self, name: &str) -> Option<Secret> {
        self.lock().get(name).map(|v| Secret::new(v.as_str()))
    }

    /// Stores `value` under `name`, replacing what was there. Written before it returns.
    pub fn set(&self, name: &str, value: &str) -> Result<(), CredError> {
        let mut g = self.lock();
        let mut next = g.clone();
        next.insert(name.to_owned(), value.to_owned());
        self.save(&next)?;
        *g = next;
        Ok(())
    }

    /// Removes `name`; true when it was there.
    pub fn remove(&self, name: &str) -> Result<bool, CredError> {
        let mut g = self.lock();
        if !g.contains_key(name) {
            return Ok(false);
        }
        let mut next = g.clone();
        next.remove(name);
        self.save(&next)?;
        *g = next;
        Ok(true)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use crate::CredentialStore;

    #[test]
    fn secrets_survive_reopen_and_are_not_plaintext_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::open(dir.path()).unwrap();
        let v = store.vault("github.enc").unwrap();
        v.set("token", "ghp_supersecretvalue123").unwrap();
        let raw = std::fs::read(dir.path().join("github.enc")).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("supersecret"));
        drop(v);
        let store = CredentialStore::open(dir.path()).unwrap();
        let v = store.vault("github.enc").unwrap();
        assert_eq!(v.get("token").unwrap().expose(), "ghp_supersecretvalue123");
        assert!(v.remove("token").unwrap());
        assert!(!v.remove("token").unwrap());
        assert!(v.get("token").is_none());
    }

    #[test]
    fn a_foreign_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("github.enc"), b"hello").unwrap();
        let store = CredentialStore::open(dir.path()).unwrap();
        let e = store.vault("github.enc").unwrap_err().to_string();
        assert!(e.contains("not an AnyCode vault"), "{e}");
    }
}
