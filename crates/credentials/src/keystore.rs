//! Where the credential store's AES key lives.
//!
//! - [`FileKeyStorage`]: `<data>/secret.key`, mode 0600 (always available; the only choice
//!   before keyrings were supported, so an existing key file always wins).
//! - The OS keyring when there is one: the macOS Keychain through `/usr/bin/security`, or the
//!   freedesktop Secret Service (GNOME Keyring, KWallet) through `secret-tool` (libsecret-tools)
//!   when it is installed and a session bus answers.
//!
//! The key goes to the keyring tools on stdin, never on their command line, where any local user
//! could read it from `/proc/<pid>/cmdline` or `ps`: `secret-tool store` reads the secret from
//! stdin, and `security` is driven in its interactive mode (`security -i`), whose commands come
//! from stdin. Reading the key back prints it on the tool's stdout, a pipe only we read.
//!
//! A keyring entry is named per data dir (`anycode` / `store-key-<hash of the data dir>`), so
//! several installations on one machine keep separate keys.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::CredError;
use crate::fsutil::{load_or_create_key, read_key, KEY_LEN};

/// The keyring service name of AnyCode's entries.
pub const KEYRING_SERVICE: &str = "anycode";
/// How long a keyring tool may take before the keyring counts as unavailable (a locked keyring
/// waiting for a password prompt nobody answers, a bus that does not respond).
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the key is kept, as reported by the API and `anycode doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum KeyStorageKind {
    /// The macOS Keychain.
    Keychain,
    /// The freedesktop Secret Service (GNOME Keyring, KWallet), through `secret-tool`.
    SecretService,
    /// A 0600 file in the data dir.
    File,
}

impl fmt::Display for KeyStorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Keychain => "the macOS Keychain",
            Self::SecretService => "the Secret Service keyring",
            Self::File => "a 0600 key file",
        })
    }
}

/// Which storage [`crate::CredentialStore::open_with`] may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyStorageChoice {
    /// The OS keyring when one answers, else the key file; an existing key file always wins.
    #[default]
    Auto,
    /// Only the key file (tests; machines whose keyring must not be touched).
    File,
}

/// A place that keeps one 256-bit key.
pub trait KeyStorage: Send + Sync + fmt::Debug {
    fn kind(&self) -> KeyStorageKind;
    /// Where, for messages (never the key).
    fn describe(&self) -> String;
    /// The key, or `None` when none is stored yet.
    fn load(&self) -> Result<Option<[u8; KEY_LEN]>, CredError>;
    /// Stores `key` (called only after `load` found none).
    fn store(&self, key: &[u8; KEY_LEN]) -> Result<(), CredError>;
    /// The stored key, or a new one from `generate`, stored (and read back to be sure).
    fn load_or_create(
        &self,
        generate: &mut dyn FnMut() -> [u8; KEY_LEN],
    ) -> Result<[u8; KEY_LEN], CredError> {
        if let Some(k) = self.load()? {
            return Ok(k);
        }
        let key = generate();
        self.store(&key)?;
        match self.load()? {
            Some(k) if k == key => Ok(k),
            _ => Err(self.failure("the key did not read back after it was stored")),
        }
    }
    fn failure(&self, reason: &str) -> CredError {
        CredError::KeyStorage {
            storage: self.describe(),
            reason: reason.to_string(),
        }
    }
}

/// `<data>/secret.key`, mode 0600; a key file anyone else may read is refused.
#[derive(Debug, Clone)]
pub struct FileKeyStorage {
    path: PathBuf,
}

impl FileKeyStorage {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn exists(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok()
    }
}

impl KeyStorage for FileKeyStorage {
    fn kind(&self) -> KeyStorageKind {
        KeyStorageKind::File
    }
    fn describe(&self) -> String {
        self.path.display().to_string()
    }
    fn load(&self) -> Result<Option<[u8; KEY_LEN]>, CredError> {
        if !self.exists() {
            return Ok(None);
        }
        read_key(&self.path).map(Some)
    }
    fn store(&self, key: &[u8; KEY_LEN]) -> Result<(), CredError> {
        let got = load_or_create_key(&self.path, || *key)?;
        if &got == key {
            Ok(())
        } else {
            Err(self.failure("another key file appeared meanwhile"))
        }
    }
    /// Atomic: two openers racing end up with the same key.
    fn load_or_create(
        &self,
        generate: &mut dyn FnMut() -> [u8; KEY_LEN],
    ) -> Result<[u8; KEY_LEN], CredError> {
        load_or_create_key(&self.path, generate)
    }
}

/// The keyring account of a data dir: `store-key-` and 16 hex digits of the SHA-256 of its
/// canonical path (only `[a-z0-9-]`: safe on any command line, no quoting).
pub fn keyring_account(data_dir: &Path) -> String {
    use sha2::Digest;
    let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = sha2::Sha256::digest(path.as_os_str().as_encoded_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("store-key-{hex}")
}

fn to_hex(key: &[u8; KEY_LEN]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<[u8; KEY_LEN]> {
    let text = text.trim();
    if text.len() != KEY_LEN * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; KEY_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// What a keyring tool answered.
pub(crate) struct ToolOutput {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs a tool with `input` on its stdin and a deadline. The pipes are read on a helper thread;
/// on timeout the child is killed (a reader held up by a grandchild that kept the pipe is left
/// to finish on its own).
pub(crate) fn run_tool(
    program: &Path,
    args: &[&str],
    input: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<ToolOutput> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(bytes), Some(mut pipe)) = (input, child.stdin.take()) {
        // A few hundred bytes fit the pipe buffer: this cannot block on a child that does not
        // read. Dropping the pipe sends EOF.
        let _ = pipe.write_all(bytes);
    }
    let out = child.stdout.take();
    let err = child.stderr.take();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || {
        let errors = std::thread::spawn(move || {
            let mut e = Vec::new();
            if let Some(mut s) = err {
                let _ = s.read_to_end(&mut e);
            }
            e
        });
        let mut o = Vec::new();
        if let Some(mut s) = out {
            let _ = s.read_to_end(&mut o);
        }
        let e = errors.join().unwrap_or_default();
        let _ = tx.send((o, e));
    });
    match rx.recv_timeout(timeout) {
        Ok((stdout, stderr)) => {
            let status = child.wait()?;
            Ok(ToolOutput {
                code: status.code(),
                stdout,
                stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
            })
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no answer within {} s", timeout.as_secs()),
            ))
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

/// The freedesktop Secret Service through `secret-tool` (package libsecret-tools).
#[derive(Debug, Clone)]
pub struct SecretToolStorage {
    program: PathBuf,
    account: String,
    timeout: Duration,
}

impl SecretToolStorage {
    /// `secret-tool` from `PATH`.
    pub fn new(account: impl Into<String>) -> Self {
        Self::with_program("secret-tool", account)
    }

    pub fn with_program(program: impl Into<PathBuf>, account: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            account: account.into(),
            timeout: KEYRING_TIMEOUT,
        }
    }

    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<ToolOutput, CredError> {
        run_tool(&self.program, args, input, self.timeout)
            .map_err(|e| self.failure(&format!("{}: {e}", self.program.display())))
    }
}

impl KeyStorage for SecretToolStorage {
    fn kind(&self) -> KeyStorageKind {
        KeyStorageKind::SecretService
    }
    fn describe(&self) -> String {
        format!(
            "Secret Service item service={KEYRING_SERVICE} account={}",
            self.account
        )
    }
    fn load(&self) -> Result<Option<[u8; KEY_LEN]>, CredError> {
        let out = self.run(
            &[
                "lookup",
                "service",
                KEYRING_SERVICE,
                "account",
                &self.account,
            ],
            None,
        )?;
        match out.code {
            Some(0) => from_hex(&String::from_utf8_lossy(&out.stdout))
                .map(Some)
                .ok_or_else(|| self.failure("the stored key is not 64 hex digits")),
            // Not found: exit 1 and nothing on stderr. Anything said on stderr is a failure
            // (no session bus, no Secret Service provider, a locked keyring).
            Some(1) if out.stderr.is_empty() => Ok(None),
            _ => Err(self.failure(if out.stderr.is_empty() {
                "secret-tool failed"
            } else {
                first_line(&out.stderr)
            })),
        }
    }
    fn store(&self, key: &[u8; KEY_LEN]) -> Result<(), CredError> {
        let out = self.run(
            &[
                "store",
                "--label=AnyCode credential store key",
                "service",
                KEYRING_SERVICE,
                "account",
                &self.account,
            ],
            Some(to_hex(key).as_bytes()),
        )?;
        if out.code == Some(0) {
            Ok(())
        } else {
            Err(self.failure(first_line(&out.stderr)))
        }
    }
}

/// The macOS Keychain through `/usr/bin/security`.
#[derive(Debug, Clone)]
pub struct KeychainStorage {
    program: PathBuf,
    account: String,
    timeout: Duration,
}

impl KeychainStorage {
    pub fn new(account: impl Into<String>) -> Self {
        Self::with_program("/usr/bin/security", account)
    }

    pub fn with_program(program: impl Into<PathBuf>, account: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            account: account.into(),
            timeout: KEYRING_TIMEOUT,
        }
    }

    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<ToolOutput, CredError> {
        run_tool(&self.program, args, input, self.timeout)
            .map_err(|e| self.failure(&format!("{}: {e}", self.program.display())))
    }
}

/// `security` exits 44 when an item is not found (errSecItemNotFound).
const SECURITY_NOT_FOUND: i32 = 44;

impl KeyStorage for KeychainStorage {
    fn kind(&self) -> KeyStorageKind {
        KeyStorageKind::Keychain
    }
    fn describe(&self) -> String {
        format!(
            "Keychain item service={KEYRING_SERVICE} account={}",
            self.account
        )
    }
    fn load(&self) -> Result<Option<[u8; KEY_LEN]>, CredError> {
        let out = self.run(
            &[
                "find-generic-password",
                "-s",
                KEYRING_SERVICE,
                "-a",
                &self.account,
                "-w",
            ],
            None,
        )?;
        match out.code {
            Some(0) => from_hex(&String::from_utf8_lossy(&out.stdout))
                .map(Some)
                .ok_or_else(|| self.failure("the stored key is not 64 hex digits")),
            Some(SECURITY_NOT_FOUND) => Ok(None),
            _ => Err(self.failure(first_line(&out.stderr))),
        }
    }
    fn store(&self, key: &[u8; KEY_LEN]) -> Result<(), CredError> {
        // Interactive mode reads the command from stdin: the key is not on any command line.
        // The account and the service are `[a-z0-9-]`, so nothing needs quoting.
        let command = format!(
            "add-generic-password -U -s {KEYRING_SERVICE} -a {} -l \"AnyCode credential store key\" -w {}\n",
            self.account,
            to_hex(key)
        );
        let out = self.run(&["-i"], Some(command.as_bytes()))?;
        // `security -i` may exit 0 even when its command failed: `load_or_create` reads the
        // key back to be sure.
        if out.code == Some(0) {
            Ok(())
        } else {
            Err(self.failure(first_line(&out.stderr)))
        }
    }
}

/// This platform's keyring, if it has a tool for one (whether it answers is found out on use).
pub fn platform_keyring(data_dir: &Path) -> Option<Box<dyn KeyStorage>> {
    let account = keyring_account(data_dir);
    if cfg!(target_os = "macos") {
        let k = KeychainStorage::new(account);
        return k
            .program
            .exists()
            .then(|| Box::new(k) as Box<dyn KeyStorage>);
    }
    if cfg!(unix) {
        return Some(Box::new(SecretToolStorage::new(account)));
    }
    None
}

/// Where the store's key of `data_dir` is, or would be put, found without creating anything
/// (for `anycode doctor`): the kind and a line about it.
pub fn probe(data_dir: &Path, choice: KeyStorageChoice) -> (KeyStorageKind, String) {
    let file = FileKeyStorage::new(data_dir.join(crate::KEY_FILE));
    if file.exists() {
        return (KeyStorageKind::File, file.describe());
    }
    let keyring = match choice {
        KeyStorageChoice::Auto => platform_keyring(data_dir),
        KeyStorageChoice::File => None,
    };
    match keyring.map(|k| (k.load(), k)) {
        Some((Ok(Some(_)), k)) => (k.kind(), k.describe()),
        Some((Ok(None), k)) => (
            k.kind(),
            format!("{} (created on first start)", k.describe()),
        ),
        Some((Err(e), _)) => {
            let why = match e {
                CredError::KeyStorage { reason, .. } => reason,
                other => other.to_string(),
            };
            (
                KeyStorageKind::File,
                format!("{} (no OS keyring answers: {why})", file.describe()),
            )
        }
        None => (KeyStorageKind::File, file.describe()),
    }
}

/// Picks the storage and loads (or creates) the key:
/// 1. an existing key file (what AnyCode always used; keeps working);
/// 2. with [`KeyStorageChoice::Auto`], the keyring, if it answers: its key, or a new one stored
///    there;
/// 3. the key file, created.
///
/// A keyring that fails is logged and skipped. When `credentials.enc` exists, a keyring that does
/// not answer (or has no key) is an error naming both places looked at: a new key could not
/// decrypt it.
pub(crate) fn open_key(
    file: FileKeyStorage,
    keyring: Option<Box<dyn KeyStorage>>,
    ciphertext: &Path,
    generate: &mut dyn FnMut() -> [u8; KEY_LEN],
) -> Result<(Box<dyn KeyStorage>, [u8; KEY_LEN]), CredError> {
    if let Some(key) = file.load()? {
        return Ok((Box::new(file), key));
    }
    let mut keyring_problem = None;
    if let Some(k) = keyring {
        match k.load() {
            Ok(Some(key)) => return Ok((k, key)),
            Ok(None) if ciphertext.exists() => {
                keyring_problem = Some(format!("{} holds no key", k.describe()));
            }
            Ok(None) => match k.load_or_create(generate) {
                Ok(key) => {
                    tracing::info!(storage = %k.describe(), "credential store key created in the OS keyring");
                    return Ok((k, key));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot store the credential store key in the OS keyring; using a 0600 key file");
                }
            },
            Err(e) => {
                tracing::info!(error = %e, "no OS keyring answers; the credential store key is a 0600 file");
                keyring_problem = Some(e.to_string());
            }
        }
    }
    if let (true, Some(problem)) = (ciphertext.exists(), keyring_problem) {
        return Err(CredError::KeyStorage {
            storage: file.describe(),
            reason: format!(
                "{} exists but its key is missing (keyring: {problem})",
                ciphertext.display(),
            ),
        });
    }
    let key = file.load_or_create(generate)?;
    Ok((Box::new(file), key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A fake keyring tool: a shell script keeping entries as files in `dir`, logging its argv
    /// (to prove the key never appears there).
    fn fake_tool(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("tool");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\nD={}\necho \"$@\" >> \"$D/argv.log\"\n{body}\n",
                dir.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    const SECRET_TOOL: &str = r#"
case "$1" in
  lookup) [ -f "$D/item-$5" ] || exit 1; cat "$D/item-$5" ;;
  store) cat > "$D/item-$6" ;;
  *) echo "unknown command" >&2; exit 2 ;;
esac"#;

    fn gen(byte: u8) -> impl FnMut() -> [u8; KEY_LEN] {
        move || [byte; KEY_LEN]
    }

    #[test]
    fn hex_round_trip_and_bad_input() {
        let key = [0xab; KEY_LEN];
        assert_eq!(from_hex(&format!("{}\n", to_hex(&key))), Some(key));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex(&"zz".repeat(KEY_LEN)), None);
    }

    #[test]
    fn accounts_differ_per_data_dir_and_need_no_quoting() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let (x, y) = (keyring_account(a.path()), keyring_account(b.path()));
        assert_ne!(x, y);
        assert_eq!(x, keyring_account(a.path()), "stable");
        assert!(x
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }

    #[test]
    fn file_storage_creates_once_and_keeps_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = FileKeyStorage::new(dir.path().join("secret.key"));
        assert_eq!(file.load().unwrap(), None);
        let k = file.load_or_create(&mut gen(7)).unwrap();
        assert_eq!(k, [7; KEY_LEN]);
        assert_eq!(file.load_or_create(&mut gen(9)).unwrap(), k, "kept");
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn secret_tool_gets_the_key_on_stdin_never_on_argv() {
        let dir = tempfile::tempdir().unwrap();
        let tool = fake_tool(dir.path(), SECRET_TOOL);
        let k = SecretToolStorage::with_program(&tool, "store-key-test");
        assert_eq!(k.load().unwrap(), None, "not found is not an error");
        let key = k.load_or_create(&mut gen(0x5a)).unwrap();
        assert_eq!(key, [0x5a; KEY_LEN]);
        assert_eq!(k.load().unwrap(), Some(key));
        let argv = std::fs::read_to_string(dir.path().join("argv.log")).unwrap();
        assert!(!argv.contains(&to_hex(&key)), "{argv}");
        assert!(
            argv.contains(
                "store --label=AnyCode credential store key service anycode account store-key-test"
            ),
            "{argv}"
        );
    }

    #[test]
    fn a_secret_tool_without_a_bus_is_an_error_not_a_missing_key() {
        let dir = tempfile::tempdir().unwrap();
        let tool = fake_tool(
            dir.path(),
            "echo 'secret-tool: Cannot autolaunch D-Bus without X11 $DISPLAY' >&2; exit 1",
        );
        let k = SecretToolStorage::with_program(&tool, "a");
        let e = k.load().unwrap_err().to_string();
        assert!(e.contains("Cannot autolaunch D-Bus"), "{e}");
    }

    #[test]
    fn a_hanging_tool_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let tool = fake_tool(dir.path(), "exec sleep 30");
        let mut k = SecretToolStorage::with_program(&tool, "a");
        k.timeout = Duration::from_millis(200);
        let started = std::time::Instant::now();
        let e = k.load().unwrap_err().to_string();
        assert!(e.contains("no answer"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    /// Against a real Secret Service: opt-in, e.g.
    /// `dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets;
    /// ANYCODE_TEST_SECRET_SERVICE=1 cargo test -p credentials real_secret_service'`.
    #[test]
    fn real_secret_service_when_asked_for() {
        if std::env::var_os("ANYCODE_TEST_SECRET_SERVICE").is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let k = SecretToolStorage::new(keyring_account(dir.path()));
        assert_eq!(k.load().unwrap(), None);
        let key = k.load_or_create(&mut gen(0x42)).unwrap();
        assert_eq!(k.load().unwrap(), Some(key));
        let store = crate::CredentialStore::open_with(dir.path(), KeyStorageChoice::Auto).unwrap();
        assert_eq!(store.key_storage(), KeyStorageKind::SecretService);
        assert!(!dir.path().join(crate::KEY_FILE).exists());
    }

    #[test]
    fn keychain_is_driven_through_stdin_in_interactive_mode() {
        let dir = tempfile::tempdir().unwrap();
        // find-generic-password -s S -a A -w  /  -i with "add-generic-password … -w HEX" on stdin.
        let tool = fake_tool(
            dir.path(),
            r#"
case "$1" in
  find-generic-password) [ -f "$D/item-$5" ] || { echo 'The specified item could not be found in the keychain.' >&2; exit 44; }; cat "$D/item-$5"; echo ;;
  -i) read -r cmd; set -- $cmd; acct=$6; for last; do :; done; printf %s "$last" > "$D/item-$acct" ;;
esac"#,
        );
        let k = KeychainStorage::with_program(&tool, "store-key-mac");
        assert_eq!(k.load().unwrap(), None);
        let key = k.load_or_create(&mut gen(0x11)).unwrap();
        assert_eq!(k.load().unwrap(), Some(key));
        let argv = std::fs::read_to_string(dir.path().join("argv.log")).unwrap();
        assert!(!argv.contains(&to_hex(&key)), "{argv}");
        assert_eq!(k.kind(), KeyStorageKind::Keychain);
    }

    #[test]
    fn open_prefers_an_existing_key_file_then_the_keyring_then_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let tools = tempfile::tempdir().unwrap();
        let tool = fake_tool(tools.path(), SECRET_TOOL);
        let keyring = || {
            Some(Box::new(SecretToolStorage::with_program(&tool, "acct")) as Box<dyn KeyStorage>)
        };
        let file = || FileKeyStorage::new(dir.path().join("secret.key"));
        let enc = dir.path().join("credentials.enc");

        // Fresh: the keyring gets the key; no key file appears.
        let (s, k1) = open_key(file(), keyring(), &enc, &mut gen(1)).unwrap();
        assert_eq!(s.kind(), KeyStorageKind::SecretService);
        assert!(!file().exists());
        // Next time: the same key from the keyring.
        let (_, again) = open_key(file(), keyring(), &enc, &mut gen(2)).unwrap();
        assert_eq!(again, k1);

        // An existing key file (an installation from before keyrings) wins over the keyring.
        let other = tempfile::tempdir().unwrap();
        let legacy = FileKeyStorage::new(other.path().join("secret.key"));
        let old = legacy.load_or_create(&mut gen(3)).unwrap();
        let (s, k) = open_key(
            legacy.clone(),
            keyring(),
            &other.path().join("credentials.enc"),
            &mut gen(4),
        )
        .unwrap();
        assert_eq!((s.kind(), k), (KeyStorageKind::File, old));

        // A keyring that does not answer: the key file.
        let broken = fake_tool(other.path(), "echo 'no bus' >&2; exit 1");
        let third = tempfile::tempdir().unwrap();
        let (s, _) = open_key(
            FileKeyStorage::new(third.path().join("secret.key")),
            Some(Box::new(SecretToolStorage::with_program(&broken, "x"))),
            &third.path().join("credentials.enc"),
            &mut gen(5),
        )
        .unwrap();
        assert_eq!(s.kind(), KeyStorageKind::File);
        assert!(third.path().join("secret.key").exists());

        // Ciphertext without any key: an error, never a fresh key that cannot decrypt it.
        let fourth = tempfile::tempdir().unwrap();
        let enc4 = fourth.path().join("credentials.enc");
        std::fs::write(&enc4, b"x").unwrap();
        let e = open_key(
            FileKeyStorage::new(fourth.path().join("secret.key")),
            Some(Box::new(SecretToolStorage::with_program(&broken, "x"))),
            &enc4,
            &mut gen(6),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("its key is missing") && e.contains("no bus"),
            "{e}"
        );
        assert!(!fourth.path().join("secret.key").exists());
    }
}
