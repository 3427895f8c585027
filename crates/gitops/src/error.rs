//! [`GitError`] and how a failed `git` is classified from its stderr.

/// Longest message kept from git's stderr, in bytes.
pub(crate) const MAX_MESSAGE: usize = 2048;

/// Why a git operation failed. Messages are git's own words (scrubbed of credentials, trimmed
/// to about 2 KB) or ours; none of them contains a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    /// The repository does not exist or is not visible (HTTP 404, "Repository not found", "does
    /// not appear to be a git repository", a missing local path).
    #[error("repository not found: {0}")]
    NotFound(String),
    /// The remote refused our credentials, or asked for some (401/403, "Authentication failed",
    /// "could not read Username").
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The remote could not be reached or the transfer broke (DNS, refused connection, early
    /// EOF, RPC failed, our timeout).
    #[error("network error: {0}")]
    Network(String),
    /// A branch name breaks a rule, or a revision is unknown.
    #[error("invalid ref: {0}")]
    InvalidRef(String),
    /// A branch (or other ref) that must not exist yet already exists.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// A push was rejected because the remote branch has commits we do not (non-fast-forward,
    /// "fetch first", stale lease).
    #[error("push rejected (not a fast-forward): {0}")]
    NonFastForward(String),
    /// What the user typed is neither `owner/repo`, a Git URL nor a local repository.
    #[error("{0}")]
    InvalidSource(String),
    /// A sandbox had no changes to commit.
    #[error("nothing to commit")]
    NothingToCommit,
    /// A sandbox has no commits beyond its base.
    #[error("no new commits")]
    NoNewCommits,
    /// Any other failure of `op`, with git's (scrubbed, trimmed) stderr or our explanation.
    #[error("git {op} failed: {message}")]
    Failed { op: String, message: String },
    /// A local file-system error around a git operation.
    #[error("i/o error: {0}")]
    Io(String),
}

impl GitError {
    pub(crate) fn failed(op: &str, message: impl Into<String>) -> Self {
        GitError::Failed {
            op: op.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn io(what: impl std::fmt::Display, err: std::io::Error) -> Self {
        GitError::Io(format!("{what}: {err}"))
    }
}

/// Maps a failed git's (already scrubbed) stderr to an error. Order matters: authentication is
/// recognised before "not found" (a private repository without credentials is both).
pub(crate) fn classify(op: &str, stderr: &str) -> GitError {
    let message = trim_message(stderr);
    let lower = stderr.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&[
        "[rejected]",
        "non-fast-forward",
        "(fetch first)",
        "stale info",
        "updates were rejected",
    ]) {
        return GitError::NonFastForward(message);
    }
    if has(&[
        "authentication failed",
        "could not read username",
        "could not read password",
        "terminal prompts disabled",
        "returned error: 401",
        "returned error: 403",
        "permission denied (publickey",
        "invalid username or password",
        "host key verification failed",
        "permission to ",
    ]) {
        return GitError::Auth(message);
    }
    if has(&[
        "repository not found",
        "does not appear to be a git repository",
        "returned error: 404",
        "' not found",
        "does not exist",
        "not a git repository",
    ]) {
        return GitError::NotFound(message);
    }
    if has(&[
        "could not resolve host",
        "could not resolve hostname",
        "failed to connect",
        "couldn't connect",
        "connection refused",
        "connection timed out",
        "connection reset",
        "operation timed out",
        "network is unreachable",
        "no route to host",
        "early eof",
        "rpc failed",
        "the remote end hung up",
        "unable to access",
        "ssl certificate",
        "gnutls",
        "unexpected disconnect",
    ]) {
        return GitError::Network(message);
    }
    if has(&[
        "remote branch",
        "couldn't find remote ref",
        "unknown revision",
        "bad revision",
        "invalid reference",
        "not a valid ref name",
        "is not a valid branch name",
        "not a valid object name",
        "bad object",
        "ambiguous argument",
    ]) {
        return GitError::InvalidRef(message);
    }
    GitError::failed(op, message)
}

/// Trims git's output to something to show: trailing space gone, at most [`MAX_MESSAGE`] bytes
/// (cut on a character boundary), `fatal: `/`error: ` prefixes kept (they say what happened).
pub(crate) fn trim_message(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAX_MESSAGE {
        return text.to_owned();
    }
    let mut end = MAX_MESSAGE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Removes secrets from text that git printed: every given secret (the token and its encoded
/// header), `Authorization:` header values, and passwords in URLs (`scheme://user:pass@host`).
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, "[redacted]");
    }
    let out = scrub_authorization(&out);
    scrub_url_userinfo(&out)
}

fn scrub_authorization(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.to_ascii_lowercase().find("authorization:") {
            Some(at) => {
                out.push_str(&line[..at]);
                out.push_str("Authorization: [redacted]");
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

/// `https://user:secret@host/…` → `https://user:[redacted]@host/…`; a bare `https://token@host`
/// (GitHub accepts a token as the user name) → `https://[redacted]@host`.
pub(crate) fn scrub_url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":[redacted]");
                    }
                    None if userinfo == "git" || userinfo.is_empty() => out.push_str(userinfo),
                    None => out.push_str("[redacted]"),
                }
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_messages() {
        let cases: &[(&str, &str)] = &[
            ("fatal: repository 'https://github.com/a/b/' not found", "NotFound"),
            ("ERROR: Repository not found.\nfatal: Could not read from remote repository.", "NotFound"),
            ("fatal: '/nope' does not appear to be a git repository", "NotFound"),
            ("fatal: could not read Username for 'https://github.com': terminal prompts disabled", "Auth"),
            ("remote: Invalid username or password.\nfatal: Authentication failed for 'x'", "Auth"),
            ("fatal: unable to access 'https://x/': The requested URL returned error: 403", "Auth"),
            ("fatal: unable to access 'http://127.0.0.1:9/x/': Failed to connect to 127.0.0.1 port 9: Connection refused", "Network"),
            ("fatal: unable to access 'https://nope.invalid/': Could not resolve host: nope.invalid", "Network"),
            ("error: RPC failed; curl 18\nfatal: early EOF", "Network"),
            ("fatal: Remote branch nope not found in upstream origin", "InvalidRef"),
            (" ! [rejected]        main -> main (fetch first)\nerror: failed to push some refs", "NonFastForward"),
            (" ! [rejected]        main -> main (non-fast-forward)", "NonFastForward"),
            ("fatal: something else entirely", "Failed"),
        ];
        for (stderr, want) in cases {
            let got = classify("op", stderr);
            let name = format!("{got:?}");
            assert!(name.starts_with(want), "{stderr:?} → {got:?}, want {want}");
        }
    }

    #[test]
    fn scrubs_tokens_headers_and_url_passwords() {
        let text = "fatal: https://x-access-token:ghp_SECRET@github.com/a/b failed\n\
                    Authorization: Basic eC1hY2Nlc3M=\n\
                    fatal: https://ghp_TOKEN@github.com/a/b\n\
                    git@github.com:a/b.git and ssh://git@host/x and tok_abcdef";
        let out = scrub(text, &["tok_abcdef"]);
        assert!(!out.contains("ghp_SECRET"), "{out}");
        assert!(!out.contains("ghp_TOKEN"), "{out}");
        assert!(!out.contains("eC1hY2Nlc3M="), "{out}");
        assert!(!out.contains("tok_abcdef"), "{out}");
        assert!(
            out.contains("https://x-access-token:[redacted]@github.com/a/b"),
            "{out}"
        );
        assert!(out.contains("ssh://git@host/x"), "{out}");
        assert!(out.contains("git@github.com:a/b.git"), "{out}");
    }

    #[test]
    fn trims_long_messages_on_a_char_boundary() {
        let long = "é".repeat(MAX_MESSAGE);
        let out = trim_message(&long);
        assert!(out.len() <= MAX_MESSAGE + "…".len());
        assert!(out.ends_with('…'));
    }
}
