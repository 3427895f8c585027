//! Branch and ref name rules, in Rust (no `git check-ref-format` process).

use crate::error::GitError;

/// Longest branch name accepted, in bytes.
pub const MAX_BRANCH_NAME: usize = 200;

/// Checks `name` as a branch name by `git check-ref-format --branch`'s rules, plus a length cap.
/// The error names the rule broken.
pub fn validate_branch_name(name: &str) -> Result<(), GitError> {
    let bad = |rule: &str| {
        GitError::InvalidRef(format!(
            "`{}` is not a valid branch name: {rule}",
            shown(name)
        ))
    };
    if name.is_empty() {
        return Err(GitError::InvalidRef("a branch name cannot be empty".into()));
    }
    if name.len() > MAX_BRANCH_NAME {
        return Err(bad(&format!("longer than {MAX_BRANCH_NAME} bytes")));
    }
    if name.starts_with('-') {
        return Err(bad("it cannot start with `-`"));
    }
    if name == "HEAD" {
        return Err(bad("`HEAD` is reserved"));
    }
    check_ref_rules(name).map_err(bad)
}

/// Checks a full ref name (`refs/…`), e.g. the target of a harvested bundle.
pub(crate) fn validate_full_ref(name: &str) -> Result<(), GitError> {
    let bad =
        |rule: &str| GitError::InvalidRef(format!("`{}` is not a valid ref: {rule}", shown(name)));
    if !name.starts_with("refs/") {
        return Err(bad("it must start with `refs/`"));
    }
    if name.len() > 1024 {
        return Err(bad("too long"));
    }
    check_ref_rules(name).map_err(bad)
}

/// The rules of `git check-ref-format` shared by branch names and full refs.
fn check_ref_rules(name: &str) -> Result<(), &'static str> {
    if name == "@" {
        return Err("`@` alone is reserved");
    }
    if let Some(c) = name.chars().find(|&c| {
        c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
    }) {
        return Err(match c {
            ' ' => "it cannot contain spaces",
            c if c.is_ascii_control() => "it cannot contain control characters",
            _ => "it cannot contain any of ~ ^ : ? * [ \\",
        });
    }
    if name.contains("..") {
        return Err("it cannot contain `..`");
    }
    if name.contains("@{") {
        return Err("it cannot contain `@{`");
    }
    if name.contains("//") {
        return Err("it cannot contain `//`");
    }
    if name.starts_with('/') || name.ends_with('/') {
        return Err("it cannot start or end with `/`");
    }
    if name.ends_with('.') {
        return Err("it cannot end with `.`");
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return Err("no part of it can start with `.`");
        }
        if component.ends_with(".lock") {
            return Err("no part of it can end with `.lock`");
        }
    }
    Ok(())
}

/// A name for an error message: control characters escaped, cut at 80 characters.
fn shown(name: &str) -> String {
    let escaped: String = name.chars().flat_map(char::escape_default).collect();
    match escaped.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &escaped[..at]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names() {
        let ok = [
            "main",
            "feature/x",
            "anycode/fix-123",
            "a.b",
            "v1.2.3",
            "ünïcode",
            "a@b",
            "x/y/z_w-1",
            "HEADS",
        ];
        for name in ok {
            assert!(validate_branch_name(name).is_ok(), "{name}");
        }
        let long = "a".repeat(201);
        let bad: &[(&str, &str)] = &[
            ("", "empty"),
            ("-x", "start with `-`"),
            ("HEAD", "reserved"),
            ("@", "reserved"),
            ("a..b", "`..`"),
            ("a b", "spaces"),
            ("a\tb", "control"),
            ("a\u{7f}b", "control"),
            ("a~1", "~ ^ :"),
            ("a^", "~ ^ :"),
            ("a:b", "~ ^ :"),
            ("a?", "~ ^ :"),
            ("a*", "~ ^ :"),
            ("a[", "~ ^ :"),
            ("a\\b", "~ ^ :"),
            ("a@{1}", "`@{`"),
            ("a//b", "`//`"),
            ("/a", "start or end with `/`"),
            ("a/", "start or end with `/`"),
            ("a.", "end with `.`"),
            (".a", "start with `.`"),
            ("a/.b", "start with `.`"),
            ("a.lock", "`.lock`"),
            ("a.lock/b", "`.lock`"),
            (&long, "longer than 200 bytes"),
        ];
        for (name, rule) in bad {
            let err = validate_branch_name(name).unwrap_err();
            assert!(matches!(err, GitError::InvalidRef(_)), "{name:?}");
            assert!(err.to_string().contains(rule), "{name:?}: {err}");
        }
    }

    #[test]
    fn full_refs() {
        assert!(validate_full_ref("refs/anycode/sandboxes/0192-ab").is_ok());
        assert!(validate_full_ref("refs/heads/main").is_ok());
        assert!(validate_full_ref("HEAD").is_err());
        assert!(validate_full_ref("refs/x..y").is_err());
        assert!(validate_full_ref("refs/x/").is_err());
    }

    #[test]
    fn messages_escape_control_characters() {
        let err = validate_branch_name("a\nb").unwrap_err().to_string();
        assert!(err.contains("a\\nb"), "{err}");
    }
}
