//! Branch and ref name rules, in Rust (no `git check-ref-format` process).

use crate::error::GitError;

pub use refname::MAX_BRANCH_NAME;
use refname::{ref_rule, shown};

/// Checks `name` as a branch name by `git check-ref-format --branch`'s rules, plus a length cap.
/// The error names the rule broken.
pub fn validate_branch_name(name: &str) -> Result<(), GitError> {
    match refname::branch_problem(name) {
        Some(p) => Err(GitError::InvalidRef(p)),
        None => Ok(()),
    }
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
    ref_rule(name).map_err(bad)
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
