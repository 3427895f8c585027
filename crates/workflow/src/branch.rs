//! Git branch names, by `git check-ref-format --branch`'s rules plus a length cap — the same
//! rules as `gitops::validate_branch_name` (this crate stays pure, so it does not depend on
//! the crate that runs `git`; keep the two in step).

/// Longest branch name accepted, in bytes (as in `gitops`).
pub const MAX_BRANCH_NAME: usize = 200;

/// Checks `name` as a branch name; the error names the rule broken.
pub fn validate_branch_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a branch name cannot be empty".into());
    }
    let rule = if name.len() > MAX_BRANCH_NAME {
        Some(format!("longer than {MAX_BRANCH_NAME} bytes"))
    } else if name.starts_with('-') {
        Some("it cannot start with `-`".into())
    } else if name == "HEAD" {
        Some("`HEAD` is reserved".into())
    } else {
        ref_rule(name).err().map(str::to_owned)
    };
    match rule {
        Some(rule) => Err(format!(
            "`{}` is not a valid branch name: {rule}",
            shown(name)
        )),
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

fn ref_rule(name: &str) -> Result<(), &'static str> {
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

/// A name for a message: control characters escaped, cut at 80 characters.
pub(crate) fn shown(name: &str) -> String {
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
