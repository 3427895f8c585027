//! Bundles written by sandboxes: a safe private copy of an untrusted file, and its header.

use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::GitError;
use crate::inside::is_sha;

/// Largest bundle accepted.
pub const MAX_BUNDLE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Largest bundle header parsed.
const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// Copies the sandbox-written file at `src` into `dest` (a path in a private directory).
///
/// `src`'s last component is opened with `O_NOFOLLOW` (a symlink is refused) and `O_NONBLOCK`
/// (a FIFO cannot block us); the opened file must be a regular file of at most
/// [`MAX_BUNDLE_BYTES`]. Only the last component is protected: the directory holding the bundle
/// should be one the sandbox cannot replace by a symlink (e.g. the workspace root, which is a
/// mount point, or its `.git`; see [`crate::Mirror::fetch_bundle`]).
pub(crate) async fn copy_untrusted(src: &Path, dest: &Path) -> Result<u64, GitError> {
    let shown = src.display();
    let file = tokio::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(src)
        .await
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => GitError::Io(format!("refusing {shown}: it is a symbolic link")),
            _ => GitError::io(format!("cannot open {shown}"), e),
        })?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| GitError::io(format!("cannot stat {shown}"), e))?;
    if !meta.file_type().is_file() {
        return Err(GitError::Io(format!(
            "refusing {shown}: not a regular file"
        )));
    }
    if meta.len() > MAX_BUNDLE_BYTES {
        return Err(GitError::Io(format!(
            "refusing {shown}: larger than {} MiB",
            MAX_BUNDLE_BYTES / (1024 * 1024)
        )));
    }
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .await
        .map_err(|e| GitError::io(format!("cannot create {}", dest.display()), e))?;
    // The file may grow while we copy: copy at most the cap plus one byte and check.
    let copied = tokio::io::copy(&mut file.take(MAX_BUNDLE_BYTES + 1), &mut out)
        .await
        .map_err(|e| GitError::io(format!("cannot copy {shown}"), e))?;
    if copied > MAX_BUNDLE_BYTES {
        return Err(GitError::Io(format!(
            "refusing {shown}: it grew past the size limit"
        )));
    }
    out.flush()
        .await
        .map_err(|e| GitError::io(format!("cannot write {}", dest.display()), e))?;
    Ok(copied)
}

/// What a bundle's header says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Refs in the bundle: (sha, name).
    pub refs: Vec<(String, String)>,
    /// Commits the bundle needs the repository to have.
    pub prerequisites: Vec<String>,
    /// Byte offset of the pack data.
    pub pack_offset: u64,
}

impl Header {
    pub fn head(&self) -> Option<&str> {
        self.refs
            .iter()
            .find(|(_, name)| name == "HEAD")
            .map(|(sha, _)| sha.as_str())
    }
}

/// Reads and checks the header of the bundle at `path` (a private copy).
pub(crate) async fn read_header(path: &Path) -> Result<Header, GitError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| GitError::io("cannot open the bundle copy", e))?;
    let mut head = Vec::new();
    file.take(MAX_HEADER_BYTES as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| GitError::io("cannot read the bundle copy", e))?;
    parse_header(&head)
}

pub(crate) fn parse_header(bytes: &[u8]) -> Result<Header, GitError> {
    let bad = |why: &str| GitError::failed("bundle", format!("not a valid bundle: {why}"));
    let end = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("no end of header"))?;
    let text = std::str::from_utf8(&bytes[..end]).map_err(|_| bad("header is not text"))?;
    let mut lines = text.split('\n');
    match lines.next() {
        Some("# v2 git bundle") | Some("# v3 git bundle") => {}
        _ => return Err(bad("no `# v2 git bundle` signature")),
    }
    let mut header = Header {
        refs: Vec::new(),
        prerequisites: Vec::new(),
        pack_offset: end as u64 + 2,
    };
    for line in lines {
        if let Some(capability) = line.strip_prefix('@') {
            match capability {
                "object-format=sha1" | "object-format=sha256" => {}
                c if c.starts_with("filter") => {
                    return Err(bad("filtered (partial) bundles are refused"))
                }
                _ => return Err(bad("unknown capability")),
            }
        } else if let Some(rest) = line.strip_prefix('-') {
            let sha = rest.split(' ').next().unwrap_or("");
            if !is_sha(sha) {
                return Err(bad("malformed prerequisite"));
            }
            header.prerequisites.push(sha.to_owned());
        } else {
            let (sha, name) = line
                .split_once(' ')
                .ok_or_else(|| bad("malformed ref line"))?;
            if !is_sha(sha) || name.is_empty() {
                return Err(bad("malformed ref line"));
            }
            header.refs.push((sha.to_owned(), name.to_owned()));
        }
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v2_and_v3_headers() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let v2 = format!("# v2 git bundle\n-{a} subject\n{b} HEAD\n\nPACK...");
        let h = parse_header(v2.as_bytes()).unwrap();
        assert_eq!(h.prerequisites, vec![a.clone()]);
        assert_eq!(h.head(), Some(b.as_str()));
        assert_eq!(&v2.as_bytes()[h.pack_offset as usize..], b"PACK...");
        let v3 = format!("# v3 git bundle\n@object-format=sha1\n{b} HEAD\n\nPACK");
        assert!(parse_header(v3.as_bytes()).is_ok());
    }

    #[test]
    fn refuses_junk_and_filters() {
        let b = "b".repeat(40);
        for bad in [
            "hello world\n\n".to_owned(),
            "# v2 git bundle\nno-newline-end".to_owned(),
            format!("# v3 git bundle\n@filter=blob:none\n{b} HEAD\n\n"),
            "# v2 git bundle\nxyz HEAD\n\n".to_owned(),
            "# v2 git bundle\n-nothex\n\n".to_owned(),
        ] {
            assert!(parse_header(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
