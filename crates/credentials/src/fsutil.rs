//! Small filesystem helpers: owner-only atomic writes and the key file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::CredError;

pub(crate) const KEY_LEN: usize = 32;

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple());
    path.with_file_name(tmp)
}

/// Opens a new file that only its owner can read and write (`O_CREAT|O_EXCL`, mode 0600).
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Writes `bytes` to `path` atomically: a fresh 0600 temporary file in the same directory,
/// fsync, rename over `path`.
pub(crate) fn write_atomic_private(path: &Path, bytes: &[u8]) -> Result<(), CredError> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(CredError::io("could not write", path, e));
    }
    sync_dir(path);
    Ok(())
}

/// Creates a directory (and its parents) that only its owner can enter.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), CredError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| CredError::io("could not create directory", dir, e))
}

/// Refuses a key file that is not a regular file or that anyone but its owner may access.
fn check_key_file(path: &Path) -> Result<(), CredError> {
    let meta =
        fs::symlink_metadata(path).map_err(|e| CredError::io("could not inspect", path, e))?;
    if !meta.file_type().is_file() {
        return Err(CredError::KeyFile {
            path: path.to_owned(),
            reason: "not a regular file".into(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(CredError::KeyFilePermissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    Ok(())
}

pub(crate) fn read_key(path: &Path) -> Result<[u8; KEY_LEN], CredError> {
    check_key_file(path)?;
    let mut buf = Vec::with_capacity(KEY_LEN);
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|e| CredError::io("could not read", path, e))?;
    <[u8; KEY_LEN]>::try_from(buf.as_slice()).map_err(|_| CredError::KeyFile {
        path: path.to_owned(),
        reason: format!("expected {KEY_LEN} bytes, found {}", buf.len()),
    })
}

/// Loads the key at `path`, or creates it with `generate` if it does not exist yet.
///
/// Creation is atomic: the key is written to a 0600 temporary file and hard-linked into place,
/// so a concurrent opener either sees no key file or a complete one; if two race, both end up
/// with the key that was linked first.
pub(crate) fn load_or_create_key(
    path: &Path,
    generate: impl FnOnce() -> [u8; KEY_LEN],
) -> Result<[u8; KEY_LEN], CredError> {
    match fs::symlink_metadata(path) {
        Ok(_) => return read_key(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(CredError::io("could not inspect", path, e)),
    }
    let key = generate();
    let tmp = temp_path(path);
    let written = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(&key)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(CredError::io("could not create", path, e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(path);
            Ok(key)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key(path),
        Err(e) => Err(CredError::io("could not create", path, e)),
    }
}
