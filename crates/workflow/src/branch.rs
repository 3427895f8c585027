//! Git branch names and branch filters, by the shared `refname` rules (the same ones `gitops`
//! applies before it runs git).

pub(crate) use refname::shown;
pub use refname::MAX_BRANCH_NAME;

/// Checks `name` as a branch name; the error names the rule broken.
pub fn validate_branch_name(name: &str) -> Result<(), String> {
    match refname::branch_problem(name) {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// Checks a branch filter: a branch name in which `*` may stand for any run of characters.
pub fn validate_branch_pattern(pattern: &str) -> Result<(), String> {
    if !pattern.contains('*') {
        return validate_branch_name(pattern);
    }
    // Each `*` stands for at least one ordinary character for the rules' sake.
    validate_branch_name(&pattern.replace('*', "x")).map_err(|_| {
        format!(
            "`{}` is not a valid branch pattern: outside `*` it must be a valid branch name",
            shown(pattern)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names() {
        for ok in [
            "main",
            "feature/auth",
            "a.b",
            "v1.2.3",
            "user@host",
            "feat_x-1",
            "特性/认证",
        ] {
            assert_eq!(validate_branch_name(ok), Ok(()), "{ok}");
        }
        for (bad, rule) in [
            ("", "empty"),
            ("-x", "start with `-`"),
            ("HEAD", "reserved"),
            ("@", "reserved"),
            ("a b", "spaces"),
            ("a..b", "`..`"),
            ("a~1", "~ ^"),
            ("a:b", "~ ^"),
            ("a@{1}", "`@{`"),
            ("a//b", "`//`"),
            ("/a", "start or end"),
            ("a/", "start or end"),
            ("a.", "end with `.`"),
            (".a", "start with `.`"),
            ("a/.b", "start with `.`"),
            ("a.lock", "`.lock`"),
            ("a\tb", "control"),
        ] {
            let err = validate_branch_name(bad).expect_err(bad);
            assert!(err.contains(rule), "{bad}: {err}");
        }
        assert!(validate_branch_name(&"a".repeat(201)).is_err());
    }

    #[test]
    fn branch_patterns() {
        assert_eq!(validate_branch_pattern("release/*"), Ok(()));
        assert_eq!(validate_branch_pattern("*"), Ok(()));
        assert_eq!(validate_branch_pattern("main"), Ok(()));
        assert!(validate_branch_pattern("a b*").is_err());
        assert!(validate_branch_pattern("a..*").is_err());
    }
}
